/**
 * Time costs of the machine beyond the arch's, with their defaults.
 *
 * @module
 */

/** Time costs of the machine, beyond the arch's. */
export interface MachineTiming {
  /** A context switch, charged to the incoming task (assumed 2 µs). */
  readonly contextSwitchNs: number;
  /** The tick handler's own work before irq_work (assumed 1 µs). */
  readonly tickNs: number;
  /** One `cpu_relax()` iteration of a spin loop (assumed 20 ns). */
  readonly cpuRelaxNs: number;
  /** An `irq_work_sync()` spinning this long is reported as a livelock and stops the machine (10 ms). */
  readonly spinLimitNs: number;
}

/** Default {@linkcode MachineTiming}: assumptions for a modern server core, stated as such. */
export const DEFAULT_TIMING: MachineTiming = Object.freeze({
  contextSwitchNs: 2_000,
  tickNs: 1_000,
  cpuRelaxNs: 20,
  spinLimitNs: 10_000_000,
});
