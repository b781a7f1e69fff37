/**
 * Time costs of the machine beyond interrupt entry, exit and IPI delivery:
 * what each kernel path the model runs costs, how long a spin loop polls,
 * and the two named profiles.
 *
 * A machine's costs are {@linkcode DEFAULT_TIMING}, overridden by the costs
 * its arch states (`Arch.timing`), overridden by the machine's `timing`
 * option. {@linkcode LEGACY_TIMING} states every cost, so
 * `timing: LEGACY_TIMING` gives the figures of the first builds on any
 * arch. Where each number comes from: docs/rules.md, section 23.
 *
 * @module
 */

/**
 * What the kernel paths of the model cost, in ns of CPU time on the CPU that
 * runs them. An arch may state any of them (`Arch.timing`); a machine's
 * `timing` option overrides them one by one.
 *
 * A cost of an atomic path is spent just before its memory step, so the
 * access happens at the end of the path's cost and stays a step of its own
 * (rule 23.2).
 *
 * @example
 * ```ts
 * import type { PathTiming } from "./timing.ts";
 * const slowAtomics: Partial<PathTiming> = { irqWorkClaimNs: 100, llistAddNs: 100 };
 * void slowAtomics;
 * ```
 */
export interface PathTiming {
  /** `irq_work_claim()`: its `atomic_fetch_or` on the work's flags. */
  readonly irqWorkClaimNs: number;
  /** `irq_work_single()` after the callback: `smp_mb()` and the BUSY-clearing `atomic_cmpxchg`. */
  readonly irqWorkReleaseNs: number;
  /** `llist_add()`: its `try_cmpxchg` on the list head. */
  readonly llistAddNs: number;
  /** `llist_del_all()`: its `xchg` on the list head. */
  readonly llistDelAllNs: number;
  /**
   * `__smp_call_single_queue()` beyond its `llist_add()`: the target CPU's
   * queue head is a cache line that CPU last wrote, fetched across cores.
   */
  readonly callSingleQueueNs: number;
  /** `try_to_wake_up()`: the task's locks, the run-queue lock, enqueue and preemption check. */
  readonly wakeUpNs: number;
  /** A context switch (`__schedule()` and `switch_to`), charged to the incoming task. */
  readonly contextSwitchNs: number;
  /** The tick handler's own work before irq_work (`tick_sched_timer()`, timekeeping, timers, RCU). */
  readonly tickNs: number;
}

/**
 * Time costs of the machine, beyond the arch's interrupt and IPI costs.
 *
 * @example
 * ```ts
 * import type { MachineTiming } from "./timing.ts";
 * const costs: Partial<MachineTiming> = { cpuRelaxNs: 10, wakeUpNs: 1_000 };
 * void costs;
 * ```
 */
export interface MachineTiming extends PathTiming {
  /** One `cpu_relax()` iteration of a spin loop (assumed 20 ns). */
  readonly cpuRelaxNs: number;
  /**
   * A CPU spinning this long in `irq_work_sync()` or on a spinlock is reported as a livelock and stops the
   * machine (10 ms); a `csd_lock_wait()` is reported as stuck after this long and as a livelock after twice.
   */
  readonly spinLimitNs: number;
}

/** The keys of {@linkcode PathTiming}: the costs an arch may state. */
export const PATH_TIMING_KEYS: readonly (keyof PathTiming)[] = Object.freeze([
  "irqWorkClaimNs",
  "irqWorkReleaseNs",
  "llistAddNs",
  "llistDelAllNs",
  "callSingleQueueNs",
  "wakeUpNs",
  "contextSwitchNs",
  "tickNs",
]);

/**
 * Default {@linkcode MachineTiming}: the costs a machine has where its arch
 * states none, assumptions for a generic modern server core (an uncontended
 * atomic read-modify-write in tens of ns, a cross-core cache-line transfer
 * of about 60 ns), stated and sourced in docs/rules.md, section 23.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import { DEFAULT_TIMING } from "./timing.ts";
 * const slowSwitch = createMachine({ arch: fixtureArch(), timing: { contextSwitchNs: 5_000 } });
 * if (slowSwitch.kernel.timing.tickNs !== DEFAULT_TIMING.tickNs) throw new Error("the rest stays");
 * ```
 */
export const DEFAULT_TIMING: MachineTiming = Object.freeze({
  irqWorkClaimNs: 20,
  irqWorkReleaseNs: 40,
  llistAddNs: 20,
  llistDelAllNs: 20,
  callSingleQueueNs: 60,
  wakeUpNs: 1_000,
  contextSwitchNs: 2_000,
  tickNs: 1_000,
  cpuRelaxNs: 20,
  spinLimitNs: 10_000_000,
});

/**
 * The costs of the first builds, as one profile: only the context switch
 * (2 µs), the tick handler (1 µs) and `cpu_relax()` (20 ns) cost time, every
 * other kernel path is free. It states every cost, so it overrides the
 * arch's: `createMachine({ arch, timing: LEGACY_TIMING })` reproduces results
 * of those builds exactly on every arch (the arches' interrupt and IPI costs
 * did not change). Combine as usual: `{ ...LEGACY_TIMING, wakeUpNs: 500 }`.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import { LEGACY_TIMING } from "./timing.ts";
 * const old = createMachine({ arch: fixtureArch(), timing: LEGACY_TIMING });
 * if (old.kernel.timing.irqWorkClaimNs !== 0) throw new Error("claims were free");
 * const oldButSlowWakeUps = createMachine({ arch: fixtureArch(), timing: { ...LEGACY_TIMING, wakeUpNs: 500 } });
 * if (oldButSlowWakeUps.kernel.timing.wakeUpNs !== 500) throw new Error("one cost changed");
 * ```
 */
export const LEGACY_TIMING: MachineTiming = Object.freeze({
  irqWorkClaimNs: 0,
  irqWorkReleaseNs: 0,
  llistAddNs: 0,
  llistDelAllNs: 0,
  callSingleQueueNs: 0,
  wakeUpNs: 0,
  contextSwitchNs: 2_000,
  tickNs: 1_000,
  cpuRelaxNs: 20,
  spinLimitNs: 10_000_000,
});

/** The costs an arch states, from its `timing` (the keys of {@linkcode PathTiming} it has). */
export function archPathTiming(timing: Partial<PathTiming>): Partial<PathTiming> {
  const stated: Partial<Record<keyof PathTiming, number>> = {};
  for (const key of PATH_TIMING_KEYS) {
    const value = timing[key];
    if (value !== undefined) stated[key] = value;
  }
  return stated;
}
