/**
 * The irqemu demonstration: the same irq_work scenario on five arches, told
 * in a screenful. A task on CPU 0 queues a work on its own CPU: where and
 * when does it run, and which interrupt runs it? Then the task sends a work
 * to CPU 1 and waits for it with irq_work_sync(): does it spin or sleep?
 *
 * Run: deno task demo   (or: deno run examples/demo.ts)
 *
 * @module
 */

import { type Arch, createMachine, irqWorkInit, irqWorkInitHard, type TraceEvent } from "../mod.ts";
import { arm64 } from "../arch/arm64/mod.ts";
import { powerpc } from "../arch/powerpc/mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

const ARCHES: Arch[] = [x86(), x86({ apic: false }), arm64(), powerpc(), tickOnly()];
const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;

/** Local queue: latency and the interrupt whose handler ran the work. */
function local(arch: Arch): { latency: number; via: string; on: string } {
  const m = createMachine({ arch, cpus: 1, seed: 1 });
  let via = "";
  let inside = "";
  m.observe((e: TraceEvent) => {
    if (e.type === "irq_vector_entry") inside = `${e.name}_entry: ${e.detail}`;
    if (e.type === "irq_work_execute_start") via = inside;
  });
  const work = irqWorkInit(function* hello(_w, ctx) {
    yield* ctx.spend(2_000);
  });
  m.spawn({ cpu: 0, name: "producer", at: 1_000_000 }, function* (ctx) {
    yield* ctx.spend(10_000);
    yield* ctx.queue(work);
    yield* ctx.spend(30_000);
  });
  m.runUntil(10_000_000);
  const run = m.runs[0]!;
  return { latency: run.startedAt - run.queuedAt, via, on: `${run.context} over ${run.task.comm}` };
}

/** Remote queue and sync: how long the waiter waited and whether it slept. */
function remoteSync(arch: Arch): string {
  if (arch.maxCpus < 2) return "one CPU only (x86 without an APIC is UP)";
  const m = createMachine({ arch, cpus: 2, seed: 1 });
  let slept = false;
  m.observe((e) => {
    if (e.type === "sched_switch" && e.prevComm === "waiter" && e.prevState === "D") slept = true;
  });
  const work = irqWorkInit(function* remote(_w, ctx) {
    yield* ctx.spend(5_000);
  });
  let waited = 0;
  m.spawn({ cpu: 0, name: "waiter", policy: "fifo", priority: 50, at: 1_000_000 }, function* (ctx) {
    yield* ctx.queueOn(work, 1);
    const start = ctx.now;
    yield* ctx.sync(work);
    waited = ctx.now - start;
  });
  m.runUntil(100_000_000);
  return `${slept ? "sleeps (D)" : "spins     "} ${us(waited).padStart(8)}`;
}

console.log("irqemu: one irq_work, five arches (HZ=250, seed 1)\n");
console.log("Local irq_work_queue() from a task on CPU 0:");
console.log(
  `  ${"arch".padEnd(12)} ${"self-IRQ".padEnd(9)} ${"latency".padStart(10)}  ran in               run by`,
);
for (const arch of ARCHES) {
  const r = local(arch);
  console.log(
    `  ${arch.name.padEnd(12)} ${
      (arch.hasIrqWorkInterrupt({ cpus: 1, smp: false }) ? "yes" : "no").padEnd(9)
    } ${us(r.latency).padStart(10)}  ` +
      `${r.on.padEnd(20)} ${r.via}`,
  );
}
console.log("\nirq_work_queue_on(CPU 1) then irq_work_sync() on CPU 0:");
for (const arch of ARCHES) console.log(`  ${arch.name.padEnd(12)} ${remoteSync(arch)}`);
console.log("\nThe same local queue on x86 with PREEMPT_RT (plugins/preempt_rt):");
for (const [name, init] of [["plain", irqWorkInit], ["HARD", irqWorkInitHard]] as const) {
  const m = createMachine({ arch: x86(), cpus: 1, seed: 1, plugins: [preemptRt()] });
  const work = init(function* callback(_w, ctx) {
    yield* ctx.spend(2_000);
  });
  m.spawn({ cpu: 0, name: "producer", at: 1_000_000 }, function* (ctx) {
    yield* ctx.queue(work);
  });
  m.runUntil(10_000_000);
  const run = m.runs[0]!;
  console.log(
    `  ${name.padEnd(6)} work ran after ${
      us(run.startedAt - run.queuedAt).padStart(7)
    } in ${run.context} context ` +
      `${run.context === "task" ? "as" : "over"} ${run.task.comm} (kernel prio ${run.task.prio})`,
  );
}
console.log(`
Why: with a self-interrupt the work runs from its own interrupt (x86 vector 246,
the arm64 IRQ-work IPI, powerpc's decrementer forced to fire); without one it
waits for irq_work_tick(), and irq_work_sync() sleeps instead of spinning; a
D kernel then also waits for an RCU grace period, which takes a few jiffies.
Remote works travel by the call-function IPI, whatever the arch. On PREEMPT_RT
every work not flagged HARD runs in the irq_work/N thread at FIFO 1.
More: examples/hello.ts, examples/remote.ts, examples/rt_threaded.ts; the flagship, a driver's
irq_work storm against cyclictest on x86 and tick-only, with and without PREEMPT_RT (and an HTML
report with --html): deno run examples/rt_latency.ts`);
