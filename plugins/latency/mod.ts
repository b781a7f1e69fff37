/**
 * Latency measurement in the model, as a kernel developer measures it on a
 * real machine: cyclictest (rt-tests) and rtla timerlat.
 *
 * - {@linkcode cyclictest}: measuring threads that sleep until the next
 *   period on an hrtimer and record how late they wake, per thread min,
 *   act, avg, max and a `-h` histogram in cyclictest's layout, with its `-b`
 *   break.
 *
 * @example `cyclictest -S -p98 -h50` against an interrupt storm, without PREEMPT_RT
 * ```ts
 * import { createMachine, irqWorkInit } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { cyclictest } from "./mod.ts";
 * const m = createMachine({ arch: x86(), cpus: 2 });
 * const rx = irqWorkInit(function* rx_done(_w, ctx) { yield* ctx.spend(30_000); });
 * m.requestIrq({ irq: 42, name: "eth0", cpu: 0, handler: (ctx) => ctx.queue(rx), source: { periodNs: 97_000 } });
 * const ct = cyclictest(m, { smp: true, priority: 98, interval: 1000, loops: 200, histogram: 50 });
 * m.runFor(250_000_000);
 * const [cpu0, cpu1] = ct.threads;
 * if (cpu0!.us.max <= cpu1!.us.max) throw new Error(ct.report()); // the storm's CPU is worse
 * ```
 *
 * @module
 */

export {
  calcdiffUs,
  type Cyclictest,
  cyclictest,
  type CyclictestBreak,
  type CyclictestOptions,
  type CyclictestThread,
} from "./cyclictest.ts";
export type { LatencyHost } from "./host.ts";
export { ExactStats } from "./stats.ts";
export {
  type Timerlat,
  timerlat,
  type TimerlatCpu,
  type TimerlatOptions,
  type TimerlatStop,
} from "./timerlat.ts";
export type { TimerlatHistOptions } from "./timerlat_format.ts";
export type { Analysis, Part } from "./analysis.ts";
