/**
 * The hook a latency measuring plugin (cyclictest, rtla timerlat) fills to
 * serve a scenario's `latency` section. The scenario only describes the
 * measurement; the plugin spawns the measuring threads, keeps the
 * statistics and writes the report. Without a hook, a scenario with a
 * latency section is refused rather than run without its measurement.
 *
 * @module
 */

import type { Machine, Plugin } from "../mod.ts";
import type { Cyclictest, Timerlat } from "../plugins/latency/mod.ts";
import type { StopSwitch } from "./run.ts";
import type { LatencySpec } from "./types.ts";

/** One measurement on one machine, made by a {@linkcode MeasureHook}. */
export interface LatencyMeasurement {
  /** Plugins the machine needs for it (observers), added after the scenario's. */
  readonly plugins?: readonly Plugin[];
  /**
   * Called once the machine is built, before it runs: spawn the measuring
   * threads. `stop` ends the run early (a sample past `breakNs`).
   */
  attach(machine: Machine, stop: StopSwitch): void;
  /** The report, in the tool's own layout (cyclictest's `-h` histogram, `rtla timerlat` top/hist). */
  report(): string;
  /** A sample exceeded `breakNs`: the run counts as failed (exit status 1 in the CLI). */
  readonly exceeded: boolean;
  /** The tools that measured, for the HTML report's histograms and analysis (none before the run starts them). */
  readonly tools?: { readonly cyclictest?: Cyclictest; readonly timerlat?: Timerlat };
}

/**
 * Make the measurement `spec` asks for, on a machine of `cpus` CPUs; throw
 * a `RangeError` for a tool or option the plugin does not support.
 */
export type MeasureHook = (spec: LatencySpec, machine: { readonly cpus: number }) => LatencyMeasurement;
