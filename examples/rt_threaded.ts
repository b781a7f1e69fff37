/**
 * Why PREEMPT_RT threads irq_work: the same scenario with and without
 * PREEMPT_RT, on x86 and on a tick-only arch.
 *
 * One CPU runs a SCHED_FIFO 90 task that wakes every 997 µs, as
 * cyclictest does, and a SCHED_OTHER producer that queues three works, then
 * sleeps 210 µs, over and over: a plain one (60 µs of work, like perf's pending
 * wake-up), a LAZY one (like printk's klogd wake-up) and a HARD one (like the
 * nohz_full kick).
 * Without PREEMPT_RT every callback runs in hard-IRQ context with interrupts
 * off, so the FIFO 90 task's timer interrupt waits behind it. With
 * PREEMPT_RT the plain and LAZY works run in `irq_work/0` at FIFO 1, which the
 * FIFO 90 task preempts at once; only the HARD work stays in hard-IRQ context.
 *
 * Run: deno run examples/rt_threaded.ts
 *
 * @module
 */

import {
  type Arch,
  createMachine,
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  type IrqWork,
  type Plugin,
} from "../mod.ts";
import { irqWorkInit, irqWorkInitHard, irqWorkInitLazy } from "../mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

const PERIOD_NS = 997_000; // drifts against the 4 ms tick and the producer, so every phase is met
const WAKE_UPS = 200;
const us = (ns: number) => `${(ns / 1000).toFixed(1)} µs`;

interface Outcome {
  label: string;
  works: string[];
  latency: { min: number; avg: number; max: number };
}

function scenario(arch: Arch, rt: boolean): Outcome {
  const plugins: Plugin[] = rt ? [preemptRt()] : [];
  const m = createMachine({ arch, cpus: 1, seed: 1, plugins });
  const works: IrqWork[] = [
    irqWorkInit(function* perf_pending(_w, ctx) {
      yield* ctx.spend(60_000);
    }),
    irqWorkInitLazy(function* klogd(_w, ctx) {
      yield* ctx.spend(20_000);
    }),
    irqWorkInitHard(function* nohz_kick(_w, ctx) {
      yield* ctx.spend(1_000);
    }),
  ];
  const latencies: number[] = [];
  m.spawn({ cpu: 0, name: "cyclic", policy: "fifo", priority: 90, at: 500_000 }, function* (ctx) {
    let next = ctx.now;
    for (let i = 0; i < WAKE_UPS; i++) {
      next += PERIOD_NS;
      yield* ctx.sleep(next - ctx.now);
      latencies.push(ctx.now - next);
      yield* ctx.spend(5_000);
    }
  });
  m.spawn({ cpu: 0, name: "producer", at: 600_000 }, function* (ctx) {
    for (;;) {
      for (const work of works) yield* ctx.queue(work);
      yield* ctx.sleep(210_000);
    }
  });
  m.runUntil(PERIOD_NS * (WAKE_UPS + 1));

  const lines = works.map((work) => {
    const runs = m.runs.filter((r) => r.work === work);
    const first = runs[0]!;
    const wait = runs.reduce((sum, r) => sum + r.startedAt - r.queuedAt, 0) / runs.length;
    const flags = work.flags & IRQ_WORK_HARD_IRQ ? "HARD" : work.flags & IRQ_WORK_LAZY ? "LAZY" : "plain";
    const tasks = [...new Set(runs.map((r) => `${r.task.comm}:${r.task.prio}`))].sort().join(" ");
    return `  ${work.name.padEnd(13)}${flags.padEnd(7)}${first.context.padEnd(9)}${
      us(wait).padStart(10)
    }   ${tasks}`;
  });
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    label: `${arch.name}, PREEMPT_RT ${rt ? "on" : "off"}`,
    works: lines,
    latency: { min: Math.min(...latencies), avg: sum / latencies.length, max: Math.max(...latencies) },
  };
}

const outcomes: Outcome[] = [];
for (const arch of [x86(), tickOnly()]) {
  for (const rt of [false, true]) outcomes.push(scenario(arch, rt));
}
for (const o of outcomes) {
  console.log(`== ${o.label}`);
  console.log("  work         flags  context   avg wait   ran over (task:kernel prio)");
  for (const line of o.works) console.log(line);
  console.log();
}
console.log(`Wake-up latency of the FIFO 90 task (${WAKE_UPS} wake-ups, ${PERIOD_NS / 1000} µs period):`);
console.log(`  ${"".padEnd(28)}${"min".padStart(9)}${"avg".padStart(10)}${"max".padStart(10)}`);
for (const o of outcomes) {
  const { min, avg, max } = o.latency;
  console.log(`  ${o.label.padEnd(28)}${us(min).padStart(9)}${us(avg).padStart(10)}${us(max).padStart(10)}`);
}
