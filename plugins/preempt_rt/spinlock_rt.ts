/**
 * `spinlock_t` on PREEMPT_RT (kernel/locking/spinlock_rt.c, rtmutex.c): a
 * sleeping lock with priority inheritance. The holder is an RCU reader and
 * stays on its CPU (`migrate_disable`); a waiter that may not sleep (atomic
 * context, which the checker reports) spins instead, so the model stays sane.
 *
 * @module
 */

import {
  type Cpu,
  type Kernel,
  type Locking,
  type LockingPolicy,
  SCHEDULE,
  type Spinlock,
  STEP,
  type Task,
} from "../../core/mod.ts";

/** `rt_spin_lock()`. */
function* rtSpinLock(locks: Locking, cpu: Cpu, lock: Spinlock): Kernel {
  const { memory, trace, rcu, cpuRelaxNs } = locks.parts;
  trace.emit(cpu, { type: "lock_acquire", lock: lock.name, lockType: "spinlock_t", sleeping: true });
  const task = cpu.current;
  rcu.readLock(cpu);
  task.migrateDisable++;
  for (;;) {
    const owner = yield* memory.cmpxchg(cpu.id, lock.owner, null, task);
    if (owner === null) return;
    if (cpu.atomic) {
      yield cpu.relax(cpuRelaxNs);
      continue;
    }
    if (task.prio < owner.prio) yield* boost(locks, cpu, owner, task.prio);
    if (!lock.waiters.includes(task)) lock.waiters.push(task);
    lock.waiters.sort((a, b) => a.prio - b.prio);
    task.state = "uninterruptible";
    yield SCHEDULE;
    task.state = "running";
  }
}

/** `rt_spin_unlock()`: drop any inherited priority and wake the best waiter. */
function* rtSpinUnlock(locks: Locking, cpu: Cpu, lock: Spinlock): Kernel {
  const { rcu, wakeups } = locks.parts;
  yield* locks.release(cpu, lock);
  const task = cpu.current;
  task.migrateDisable--;
  rcu.readUnlock(cpu);
  if (task.prio !== task.normalPrio) cpu.runQueue.setPrio(task, task.normalPrio);
  const next = lock.waiters.shift();
  if (next !== undefined) yield* wakeups.wakeUpProcess(cpu, next);
  if (cpu.runQueue.first() !== task && cpu.runQueue.first() !== undefined) {
    cpu.needResched = true;
    if (cpu.wantsPreempt()) yield STEP;
  }
}

/** Priority inheritance: raise `owner` to `prio` and let its CPU reschedule. */
function* boost(locks: Locking, cpu: Cpu, owner: Task, prio: number): Kernel {
  const { cpus, wakeups } = locks.parts;
  const target = cpus[owner.cpu]!;
  target.runQueue.setPrio(owner, prio);
  const current = target.current;
  if (owner !== current && owner.onRq && (current === target.idleTask || prio < current.prio)) {
    yield* wakeups.reschedCurr(cpu, target);
  }
}

/** `spinlock_t` is an rt_mutex on PREEMPT_RT. */
export const RT_LOCKING: LockingPolicy = Object.freeze({
  name: "PREEMPT_RT",
  spinlockSleeps: true,
  spinLock: rtSpinLock,
  spinUnlock: rtSpinUnlock,
});
