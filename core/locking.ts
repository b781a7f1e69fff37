/**
 * Spinlocks: `raw_spinlock_t` always spins with preemption disabled and may
 * be taken in hard-IRQ context. `spinlock_t` does the same on a non-RT
 * kernel; on PREEMPT_RT it is a sleeping lock (an rt_mutex with priority
 * inheritance) that must not be taken in hard-IRQ context or with
 * interrupts or preemption disabled. Which one it is, is the answer of the
 * machine's {@linkcode LockingPolicy} slot, not a flag in the code.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { preemptEnable } from "./irq_work.ts";
import { type Kernel, SCHEDULE, STEP } from "./kernel.ts";
import type { Task } from "./sched.ts";

/** The locking slot: what `spinlock_t` is on this kernel. */
export interface LockingPolicy {
  /** Name for reports. */
  readonly name: string;
  /** `spinlock_t` is a sleeping rt_mutex (PREEMPT_RT) rather than a spinning lock. */
  readonly spinlockSleeps: boolean;
}

/** Non-RT locking: `spinlock_t` spins like `raw_spinlock_t`. */
export const NON_RT_LOCKING: LockingPolicy = { name: "non-RT", spinlockSleeps: false };

/** `raw_spinlock_t`. */
export class RawSpinlock {
  /** The holder (in interrupt context: the interrupted task), or null. */
  owner: Task | null = null;
  /** A lock named as in the kernel, e.g. `rq->lock`. */
  constructor(readonly name: string) {}
}

/** `spinlock_t`. */
export class Spinlock {
  /** The holder, or null. */
  owner: Task | null = null;
  /** Tasks sleeping on the lock (PREEMPT_RT), best priority first. */
  readonly waiters: Task[] = [];
  /** A lock named as in the kernel, e.g. `log_wait.lock`. */
  constructor(readonly name: string) {}
}

/** `raw_spin_lock()`: disable preemption and spin until the lock is free. */
export function* rawSpinLock(cpu: Cpu, lock: RawSpinlock): Kernel {
  cpu.current.preemptCount++;
  cpu.machine.emit(cpu, {
    type: "lock_acquire",
    lock: lock.name,
    lockType: "raw_spinlock_t",
    sleeping: false,
  });
  yield* spinUntilFree(cpu, lock);
}

/** `raw_spin_unlock()`. */
export function* rawSpinUnlock(cpu: Cpu, lock: RawSpinlock): Kernel {
  yield* release(cpu, lock);
  yield* preemptEnable(cpu);
}

/** `spin_lock()`: spins on a non-RT kernel; on PREEMPT_RT sleeps with priority inheritance. */
export function* spinLock(cpu: Cpu, lock: Spinlock): Kernel {
  const m = cpu.machine;
  const sleeping = m.locking.spinlockSleeps;
  if (!sleeping) cpu.current.preemptCount++;
  m.emit(cpu, { type: "lock_acquire", lock: lock.name, lockType: "spinlock_t", sleeping });
  if (!sleeping) return yield* spinUntilFree(cpu, lock);
  const task = cpu.current;
  // rt_spin_lock(): the holder is an RCU reader and stays on its CPU.
  m.rcu.readLock(cpu);
  task.migrateDisable++;
  for (;;) {
    yield STEP;
    const owner = lock.owner;
    if (owner === null) {
      lock.owner = task;
      return;
    }
    if (cpu.atomic) {
      // Cannot sleep here; the checker reports the bug. Spin so the model stays sane.
      yield m.timing.cpuRelaxNs;
      continue;
    }
    if (task.prio < owner.prio) boost(cpu, owner, task.prio);
    if (!lock.waiters.includes(task)) lock.waiters.push(task);
    lock.waiters.sort((a, b) => a.prio - b.prio);
    task.state = "uninterruptible";
    yield SCHEDULE;
    task.state = "running";
  }
}

/** `spin_unlock()`: on PREEMPT_RT, drop any inherited priority and wake the best waiter. */
export function* spinUnlock(cpu: Cpu, lock: Spinlock): Kernel {
  const m = cpu.machine;
  if (!m.locking.spinlockSleeps) {
    yield* release(cpu, lock);
    return yield* preemptEnable(cpu);
  }
  yield* release(cpu, lock);
  const task = cpu.current;
  task.migrateDisable--;
  m.rcu.readUnlock(cpu);
  if (task.prio !== task.normalPrio) cpu.runQueue.setPrio(task, task.normalPrio);
  const next = lock.waiters.shift();
  if (next !== undefined) yield* m.wakeUpProcess(cpu, next);
  if (cpu.runQueue.first() !== task && cpu.runQueue.first() !== undefined) {
    cpu.needResched = true;
    if (cpu.wantsPreempt()) yield STEP;
  }
}

function* spinUntilFree(cpu: Cpu, lock: RawSpinlock | Spinlock): Kernel {
  for (;;) {
    yield STEP;
    if (lock.owner === null) {
      lock.owner = cpu.current;
      return;
    }
    yield cpu.machine.timing.cpuRelaxNs;
  }
}

function* release(cpu: Cpu, lock: RawSpinlock | Spinlock): Kernel {
  if (lock.owner !== cpu.current) {
    throw new Error(
      `CPU ${cpu.id}: ${cpu.current.comm} unlocks ${lock.name}, held by ${lock.owner?.comm ?? "nobody"}`,
    );
  }
  yield STEP;
  lock.owner = null;
  cpu.machine.emit(cpu, { type: "lock_release", lock: lock.name });
}

/** Priority inheritance: raise `owner` to `prio` and let its CPU reschedule. */
function boost(cpu: Cpu, owner: Task, prio: number): void {
  const m = cpu.machine;
  const target = m.cpus[owner.cpu]!;
  target.runQueue.setPrio(owner, prio);
  if (owner !== target.current && owner.onRq && prio < target.current.prio) {
    target.needResched = true;
    if (target !== cpu) m.arch.sendIpi(cpu, target, "reschedule");
  }
}
