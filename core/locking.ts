/**
 * Spinlocks: `raw_spinlock_t` always spins with preemption disabled and may
 * be taken in hard-IRQ context. What `spinlock_t` does is the answer of the
 * machine's {@linkcode LockingPolicy} slot: on a non-RT kernel the core's
 * answer ({@linkcode NON_RT_LOCKING}) spins like a raw lock; the PREEMPT_RT
 * plugin answers with a sleeping lock with priority inheritance.
 *
 * A lock's owner is a shared word ({@linkcode Cell}) taken with a
 * compare-and-swap and released with a store, through the machine's memory.
 * As with `CONFIG_DEBUG_SPINLOCK`, taking a spinning lock its own task (or
 * its own CPU) already holds is reported before the CPU starts spinning, and
 * a CPU that spins longer than the spin limit is a livelock (rule 21.7).
 *
 * @module
 */

import { Cell, type Memory } from "./atomic.ts";
import { type Cpu, preemptEnable } from "./cpu.ts";
import { checkName } from "./describe.ts";
import type { Findings } from "./findings.ts";
import { type Kernel, STEP } from "./kernel.ts";
import type { Rcu } from "./rcu.ts";
import type { Task } from "./sched.ts";
import type { TraceHub } from "./trace.ts";
import type { Wakeups } from "./wake.ts";

/** The locking slot: what `spinlock_t` is on this kernel. */
export interface LockingPolicy {
  /** Name for reports. */
  readonly name: string;
  /** `spinlock_t` is a sleeping lock (PREEMPT_RT) rather than a spinning one. */
  readonly spinlockSleeps: boolean;
  /** `spin_lock()`. */
  spinLock(locks: Locking, cpu: Cpu, lock: Spinlock): Kernel;
  /** `spin_unlock()`. */
  spinUnlock(locks: Locking, cpu: Cpu, lock: Spinlock): Kernel;
}

/** Non-RT locking: `spinlock_t` spins like `raw_spinlock_t`. */
export const NON_RT_LOCKING: LockingPolicy = Object.freeze({
  name: "non-RT",
  spinlockSleeps: false,
  spinLock: (locks: Locking, cpu: Cpu, lock: Spinlock) => locks.spinningLock(cpu, lock, "spinlock_t"),
  spinUnlock: (locks: Locking, cpu: Cpu, lock: Spinlock) => locks.spinningUnlock(cpu, lock),
});

/**
 * `raw_spinlock_t`.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import { RawSpinlock } from "./locking.ts";
 * const rqLock = new RawSpinlock("rq->lock");
 * const m = createMachine({ arch: fixtureArch() });
 * m.spawn({ cpu: 0, name: "t" }, function* (ctx) {
 *   yield* ctx.rawSpinLock(rqLock); // preemption is off while it is held
 *   yield* ctx.rawSpinUnlock(rqLock);
 * });
 * m.runUntil(1_000_000);
 * ```
 */
export class RawSpinlock {
  /** The holder (in interrupt context: the interrupted task), or null: the lock word. */
  readonly owner: Cell<Task | null> = new Cell<Task | null>(null);
  /** A lock named as in the kernel, e.g. `rq->lock`. */
  constructor(readonly name: string) {
    checkName("A lock's name", name);
  }
}

/**
 * `spinlock_t`.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import { Spinlock } from "./locking.ts";
 * const waitq = new Spinlock("log_wait.lock"); // sleeps on PREEMPT_RT
 * const m = createMachine({ arch: fixtureArch() });
 * m.spawn({ cpu: 0, name: "t" }, function* (ctx) {
 *   yield* ctx.spinLock(waitq);
 *   yield* ctx.spinUnlock(waitq);
 * });
 * m.runUntil(1_000_000);
 * ```
 */
export class Spinlock {
  /** The holder, or null: the lock word. */
  readonly owner: Cell<Task | null> = new Cell<Task | null>(null);
  /** Tasks sleeping on the lock (PREEMPT_RT), best priority first. */
  readonly waiters: Task[] = [];
  /** A lock named as in the kernel, e.g. `log_wait.lock`. */
  constructor(readonly name: string) {
    checkName("A lock's name", name);
  }
}

/** What the locks of a machine are built from. */
export interface LockingParts {
  /** The CPUs (priority inheritance boosts a holder on its CPU). */
  readonly cpus: readonly Cpu[];
  /** Shared memory (the owner words). */
  readonly memory: Memory;
  /** Where `lock_acquire`/`lock_release` go. */
  readonly trace: TraceHub;
  /** RCU (a sleeping lock's holder is a reader on PREEMPT_RT). */
  readonly rcu: Rcu;
  /** Task wake-ups (a sleeping lock's waiters). */
  readonly wakeups: Wakeups;
  /** The locking slot's answer. */
  readonly policy: LockingPolicy;
  /** `cpu_relax()` in spin loops, ns. */
  readonly cpuRelaxNs: number;
  /** Where spinlock debugging and livelocks are reported. */
  readonly findings: Findings;
  /** A CPU spinning on a lock this long is a livelock. */
  readonly spinLimitNs: number;
  /** The current simulated time. */
  readonly now: () => number;
}

/** The locks of one machine: the raw primitives, and `spinlock_t` as the policy answers. */
export class Locking {
  /** The parts the locks use (for the policy that answers `spinlock_t`). */
  readonly parts: LockingParts;
  /** Spinlock debugging has reported once and turned itself off (`debug_locks_off()`). */
  #debugLocksOff = false;

  /** Locks over `parts`. */
  constructor(parts: LockingParts) {
    this.parts = parts;
  }

  /** `raw_spin_lock()`: disable preemption and spin until the lock is free. */
  rawSpinLock(cpu: Cpu, lock: RawSpinlock): Kernel {
    return this.spinningLock(cpu, lock, "raw_spinlock_t");
  }

  /** `raw_spin_unlock()`. */
  rawSpinUnlock(cpu: Cpu, lock: RawSpinlock): Kernel {
    return this.spinningUnlock(cpu, lock);
  }

  /** `spin_lock()`, as the locking policy answers. */
  spinLock(cpu: Cpu, lock: Spinlock): Kernel {
    return this.parts.policy.spinLock(this, cpu, lock);
  }

  /** `spin_unlock()`, as the locking policy answers. */
  spinUnlock(cpu: Cpu, lock: Spinlock): Kernel {
    return this.parts.policy.spinUnlock(this, cpu, lock);
  }

  /** A spinning lock: preemption off, trace `lock_acquire`, spin until the owner word is ours. */
  *spinningLock(cpu: Cpu, lock: RawSpinlock | Spinlock, lockType: "raw_spinlock_t" | "spinlock_t"): Kernel {
    cpu.current.preemptCount++;
    this.parts.trace.emit(cpu, { type: "lock_acquire", lock: lock.name, lockType, sleeping: false });
    yield* this.spinUntilFree(cpu, lock);
  }

  /** Release a spinning lock and enable preemption. */
  *spinningUnlock(cpu: Cpu, lock: RawSpinlock | Spinlock): Kernel {
    yield* this.release(cpu, lock);
    yield* preemptEnable(cpu);
  }

  /**
   * Spin, one compare-and-swap of the owner word a try, until it succeeds;
   * `debug_spin_lock_before()` checks for recursion first (rule 21.7).
   */
  *spinUntilFree(cpu: Cpu, lock: RawSpinlock | Spinlock): Kernel {
    const { memory, cpuRelaxNs, spinLimitNs, now } = this.parts;
    this.#debugSpinLockBefore(cpu, lock);
    const start = now();
    for (;;) {
      if ((yield* memory.cmpxchg(cpu.id, lock.owner, null, cpu.current)) === null) return;
      const t = now();
      if (t - start > spinLimitNs) {
        const owner = memory.peek(cpu.id, lock.owner);
        this.parts.findings.livelock(
          cpu,
          `spin_lock() has spun ${(t - start) / 1e6} ms on ${lock.name}, held by ${
            owner === null ? "nobody" : `${owner.comm}/${owner.pid}`
          }`,
        );
        yield STEP;
      }
      // The first poll past the spin limit must happen: it reports the livelock.
      const overLimit = t + (Math.floor((start + spinLimitNs - t) / cpuRelaxNs) + 1) * cpuRelaxNs;
      yield cpu.relax(cpuRelaxNs, overLimit);
    }
  }

  /**
   * `debug_spin_lock_before()`: the lock's owner is the current task
   * ("recursion") or ran on this CPU ("cpu recursion"); reported once per
   * machine, as `spin_bug()` turns lock debugging off.
   */
  #debugSpinLockBefore(cpu: Cpu, lock: RawSpinlock | Spinlock): void {
    const owner = this.parts.memory.peek(cpu.id, lock.owner);
    if (owner === null || this.#debugLocksOff) return;
    const what = owner === cpu.current ? "recursion" : owner.cpu === cpu.id ? "cpu recursion" : null;
    if (what === null) return;
    this.#debugLocksOff = true;
    const task = cpu.current;
    this.parts.findings.warn(
      cpu,
      `BUG: spinlock ${what} on CPU#${cpu.id}, ${task.comm}/${task.pid}\n` +
        ` lock: ${lock.name}, .magic: dead4ead, .owner: ${owner.comm}/${owner.pid}, .owner_cpu: ${owner.cpu}`,
    );
  }

  /** Clear the owner word (the holder's unlock) and trace `lock_release`. */
  *release(cpu: Cpu, lock: RawSpinlock | Spinlock): Kernel {
    if (lock.owner.value !== cpu.current) {
      throw new Error(
        `CPU ${cpu.id}: ${cpu.current.comm} unlocks ${lock.name}, held by ${
          lock.owner.value?.comm ?? "nobody"
        }`,
      );
    }
    yield* this.parts.memory.write(cpu.id, lock.owner, null);
    this.parts.trace.emit(cpu, { type: "lock_release", lock: lock.name });
  }
}
