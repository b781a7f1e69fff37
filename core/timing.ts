/**
 * Time costs of the machine beyond the arch's, with their defaults.
 *
 * @module
 */

/**
 * Time costs of the machine, beyond the arch's.
 *
 * @example
 * ```ts
 * import type { MachineTiming } from "./timing.ts";
 * const costs: Partial<MachineTiming> = { cpuRelaxNs: 10 };
 * void costs;
 * ```
 */
export interface MachineTiming {
  /** A context switch, charged to the incoming task (assumed 2 µs). */
  readonly contextSwitchNs: number;
  /** The tick handler's own work before irq_work (assumed 1 µs). */
  readonly tickNs: number;
  /** One `cpu_relax()` iteration of a spin loop (assumed 20 ns). */
  readonly cpuRelaxNs: number;
  /**
   * A CPU spinning this long in `irq_work_sync()` or on a spinlock is reported as a livelock and stops the
   * machine (10 ms); a `csd_lock_wait()` is reported as stuck after this long and as a livelock after twice.
   */
  readonly spinLimitNs: number;
}

/**
 * Default {@linkcode MachineTiming}: assumptions for a modern server core, stated as such.
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
  contextSwitchNs: 2_000,
  tickNs: 1_000,
  cpuRelaxNs: 20,
  spinLimitNs: 10_000_000,
});
