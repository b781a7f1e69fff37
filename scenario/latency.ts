/**
 * The latency section of a scenario served by the latency plugin: a
 * cyclictest or rtla timerlat measurement on the CPUs the section names,
 * its report in the tool's own layout, and a stop at the break threshold.
 *
 * @module
 */

import { type Cyclictest, cyclictest, type Timerlat, timerlat } from "../plugins/latency/mod.ts";
import type { LatencyMeasurement, MeasureHook } from "./measure.ts";
import type { LatencySpec } from "./types.ts";

/** A whole number of µs from `ns` (the tools take µs); refuses what the µs options cannot say. */
function micros(what: string, ns: number): number {
  if (ns % 1000 !== 0) {
    throw new RangeError(`latency.${what}: the measuring tools take whole microseconds, got ${ns} ns`);
  }
  return ns / 1000;
}

/**
 * The {@linkcode MeasureHook} of the latency plugin: `cyclictest` (one
 * thread per listed CPU, `-a`/`-t`, `-p`, `-i`, `-r`, `-h`, `-b`) or
 * `timerlat` (`-c`, `-P`, `-p`, `-T`, a histogram of 1 µs buckets).
 */
export const latencyHook: MeasureHook = (spec: LatencySpec): LatencyMeasurement => {
  const interval = micros("intervalNs", spec.intervalNs);
  const breakUs = spec.breakNs === undefined ? undefined : micros("breakNs", spec.breakNs);
  let tool: Cyclictest | Timerlat | null = null;
  return {
    attach(machine, stop) {
      const onStop = () => stop.stop();
      const start = () => {
        tool = spec.tool === "cyclictest"
          ? cyclictest(machine, {
            affinity: spec.cpus,
            threads: spec.cpus.length,
            priority: spec.priority,
            policy: spec.policy,
            interval,
            relative: spec.relative,
            ...(spec.histogramUs === undefined ? {} : { histogram: spec.histogramUs }),
            ...(breakUs === undefined ? {} : { breaktrace: breakUs }),
            onStop,
          })
          : timerlat(machine, {
            cpus: spec.cpus,
            priority: spec.priority,
            policy: spec.policy,
            period: interval,
            ...(spec.histogramUs === undefined ? {} : { entries: spec.histogramUs }),
            ...(breakUs === undefined ? {} : { thread: breakUs, auto: breakUs }),
            onStop,
          });
      };
      if (spec.startNs <= machine.now) start();
      else machine.at(spec.startNs, "start the latency measurement", start);
    },
    report() {
      if (tool === null) return `${spec.tool}: the run ended before the measurement started\n`;
      if ("report" in tool) return tool.report();
      const analysis = tool.worst === null ? "" : `\n${tool.analysis()}`;
      return `${tool.top()}\n${tool.hist()}${analysis}`;
    },
    get exceeded() {
      if (tool === null) return false;
      return "broke" in tool ? tool.broke !== null : tool.stopped !== null;
    },
    get tools() {
      if (tool === null) return {};
      return "broke" in tool ? { cyclictest: tool } : { timerlat: tool };
    },
  };
};
