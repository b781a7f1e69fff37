/**
 * A driver's interrupt: a device on CPU 1 interrupts every 100 µs, and its
 * handler queues a plain irq_work whose callback takes 30 µs (say, refilling
 * a receive ring). Without PREEMPT_RT the handler runs in hard-IRQ context
 * and the work in the irq_work self-interrupt right after it; with
 * PREEMPT_RT the handler is force-threaded into `irq/42-mydev` (FIFO 50) and
 * the work runs in `irq_work/1` (FIFO 1), so a FIFO task between the two
 * priorities delays the work but not the interrupt.
 *
 * Run: deno run examples/device_irq.ts
 *
 * @module
 */

import { createMachine, ftrace, irqWorkInit, type Machine, type Plugin } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;

/** The machine: the device, and a FIFO 10 task on CPU 1 that computes for 150 µs from 1 ms on. */
function run(plugins: Plugin[]): { m: Machine; text: string } {
  const tracer = ftrace({ filter: (e) => e.type !== "tick_stop" && e.cpu === 1 });
  const m = createMachine({ arch: x86(), cpus: 2, seed: 1, plugins: [...plugins, tracer] });
  const refill = irqWorkInit(function* refill(_w, ctx) {
    yield* ctx.spend(30_000);
  }, "rx_refill");
  m.requestIrq({
    irq: 42,
    name: "mydev",
    cpu: 1,
    handler: function* (ctx) {
      yield* ctx.spend(2_000); // read the device's status
      yield* ctx.queue(refill);
    },
    source: { periodNs: 100_000, startNs: 1_000_000, count: 5 },
  });
  m.spawn(
    { cpu: 1, name: "worker", policy: "fifo", priority: 10, at: 1_000_000 },
    (ctx) => ctx.spend(150_000),
  );
  m.runUntil(2_000_000);
  return { m, text: tracer.text() };
}

for (const [title, plugins] of [["without PREEMPT_RT", []], ["with PREEMPT_RT", [preemptRt()]]] as const) {
  const { m, text } = run([...plugins]);
  console.log(`== ${title}: interrupt every 100 µs on CPU 1, a 30 µs irq_work per interrupt`);
  console.log("  queued     ran        delay      in");
  for (const r of m.runs) {
    console.log(
      `  ${us(r.queuedAt).padEnd(10)} ${us(r.startedAt).padEnd(10)} ${
        us(r.startedAt - r.queuedAt).padEnd(10)
      } ` +
        `${r.context} (${r.task.comm})`,
    );
  }
  const lines = text.split("\n").filter((l) => !l.startsWith("#") && l !== "");
  console.log("\n  CPU 1's trace around the first interrupt:");
  for (const line of lines.slice(0, 24)) console.log(`  ${line}`);
  console.log();
}
console.log(`Why: on !RT the handler and the work both run in hard-IRQ context, before anything else on
CPU 1: the FIFO 10 worker loses 32 µs per interrupt, and each work starts within a microsecond of its queue.
On RT the handler runs in irq/42-mydev (FIFO 50), above the worker, and the work in irq_work/1 (FIFO 1),
below it: the first work waits until the worker is done. The second interrupt's queue finds that work still
pending and claims nothing (irq_work_queue() returns false), so five interrupts give four runs.`);
