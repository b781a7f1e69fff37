/**
 * Hello, irq_work: a task queues one work on its own CPU, first on x86, where
 * the kernel raises a self-IPI on vector 246 and the work runs a moment later
 * in hard-IRQ context, then on a tick-only arch, which has no irq_work
 * interrupt, so the same work waits for the next timer tick.
 *
 * Run: deno run examples/hello.ts
 *
 * @module
 */

import { type Arch, createMachine, ftrace, irqWorkInit } from "../mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { x86 } from "../arch/x86/mod.ts";

const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;

function hello(arch: Arch, why: string): void {
  const tracer = ftrace({ filter: (e) => e.type !== "tick_stop" });
  const m = createMachine({ arch, cpus: 1, seed: 1, plugins: [tracer] });
  const work = irqWorkInit(function* hello(_work, ctx) {
    yield* ctx.spend(2_000);
  });
  m.spawn({ cpu: 0, name: "producer", at: 1_000_000 }, function* (ctx) {
    yield* ctx.spend(10_000);
    yield* ctx.queue(work);
    yield* ctx.spend(30_000);
  });
  m.runUntil(5_000_000);

  console.log(`== ${arch.name}: ${why}`);
  console.log(tracer.text());
  const run = m.runs[0]!;
  console.log(
    `queued at ${us(run.queuedAt)}, ran at ${us(run.startedAt)} (after ${
      us(run.startedAt - run.queuedAt)
    }) ` +
      `on CPU ${run.cpu} in ${run.context} context, interrupting ${run.task.comm}`,
  );
  console.log();
}

hello(x86(), "the queue raises a self-IPI (irq_work_entry: vector=246) and the work runs at once");
hello(tickOnly(), "no irq_work interrupt: the work waits for the next tick (irq_work_tick)");
