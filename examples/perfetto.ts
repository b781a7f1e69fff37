/**
 * A timeline for Perfetto: a small PREEMPT_RT scenario on a 2-CPU x86
 * machine, written as Chrome trace-event JSON to standard output.
 *
 * A SCHED_FIFO 90 task on CPU 1 wakes every 250 µs, as cyclictest does; a
 * producer on CPU 0 queues a plain work on its own CPU (on PREEMPT_RT it
 * runs in the `irq_work/0` thread) and a HARD work on CPU 1 (through CPU 1's
 * call-single queue and an IPI; it runs in hard-IRQ context and delays the
 * FIFO task). Open the file in https://ui.perfetto.dev to see each CPU's
 * task, interrupt and callback slices, the arrows from each queue to its
 * run and from each IPI to its arrival, and the counters.
 *
 * Run: deno run examples/perfetto.ts > trace.json
 *
 * @module
 */

import { createMachine, irqWorkInit, irqWorkInitHard } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { perfetto } from "../plugins/perfetto/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

const timeline = perfetto();
const m = createMachine({ arch: x86(), cpus: 2, seed: 1, plugins: [preemptRt(), timeline] });

const perf = irqWorkInit(function* perf_pending(_work, ctx) {
  yield* ctx.spend(20_000);
});
const kick = irqWorkInitHard(function* nohz_kick(_work, ctx) {
  yield* ctx.spend(8_000);
});

m.spawn({ cpu: 1, name: "cyclic", policy: "fifo", priority: 90, at: 100_000 }, function* (ctx) {
  let next = ctx.now;
  for (let i = 0; i < 4; i++) {
    next += 250_000;
    yield* ctx.sleep(next - ctx.now);
    yield* ctx.spend(5_000);
  }
});
m.spawn({ cpu: 0, name: "producer", at: 200_000 }, function* (ctx) {
  for (let i = 0; i < 3; i++) {
    yield* ctx.queue(perf);
    yield* ctx.queueOn(kick, 1);
    yield* ctx.sleep(270_000);
  }
});
m.runUntil(1_200_000);

console.log(timeline.json().trimEnd());
