/**
 * A sample run for the trace sinks' tests: every kind of event the model
 * emits on two CPUs (local, remote and lazy works, a HARD work, an NMI that
 * queues, a contended lock that sleeps on PREEMPT_RT, a WARN, idle gaps
 * long enough to need extended time deltas, and enough events to fill
 * several ring-buffer pages).
 *
 * @module
 */

import {
  type Arch,
  createMachine,
  irqWorkInit,
  irqWorkInitHard,
  irqWorkInitLazy,
  type Machine,
  type Plugin,
  Spinlock,
} from "../mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

/** How long the sample runs: long enough for a tick-less idle gap of more than 2^27 ns. */
export const SAMPLE_RUN_NS = 600_000_000;

/** Build and run the sample on `arch`, with PREEMPT_RT when `rt`, observed by `plugins`. */
export function runSample(arch: Arch, rt: boolean, plugins: Plugin[], seed = 1): Machine {
  const m = createMachine({
    arch,
    cpus: 2,
    seed,
    nohz: true,
    plugins: [...plugins, ...(rt ? [preemptRt()] : [])],
  });
  const lock = new Spinlock("sample_lock");
  const plain = irqWorkInit(function* sample_plain(_w, ctx) {
    yield* ctx.spend(3_000);
    yield* ctx.spinLock(lock);
    yield* ctx.spend(1_000);
    yield* ctx.spinUnlock(lock);
  });
  const lazy = irqWorkInitLazy(function* sample_lazy(_w, ctx) {
    yield* ctx.spend(2_000);
  });
  const hard = irqWorkInitHard(function* sample_hard(_w, ctx) {
    yield* ctx.spend(500);
  });
  m.spawn({ cpu: 0, name: "producer", policy: "fifo", priority: 50, at: 100_000 }, function* (ctx) {
    for (let i = 0; i < 12; i++) {
      yield* ctx.queue(plain);
      yield* ctx.queue(lazy);
      yield* ctx.queueOn(hard, 1);
      yield* ctx.sync(plain);
      yield* ctx.sleep(37_000);
    }
    yield* ctx.irqDisable();
    yield* ctx.sync(plain); // WARN: irq_work_sync() with interrupts disabled
    yield* ctx.irqEnable();
    const object = yield* ctx.kmalloc("sample_object");
    yield* ctx.kfree(object);
    yield* ctx.sleep(300_000_000); // a long quiet stretch
    yield* ctx.queueOn(plain, 1);
  });
  m.spawn({ cpu: 1, name: "other", at: 90_000 }, function* (ctx) {
    for (let i = 0; i < 20; i++) {
      yield* ctx.spinLock(lock);
      yield* ctx.spend(20_000);
      yield* ctx.spinUnlock(lock);
      yield* ctx.sleep(61_000);
    }
  });
  m.nmi(1, 120_000, function* (ctx) {
    yield* ctx.spend(500);
    yield* ctx.queue(lazy);
  });
  m.runUntil(SAMPLE_RUN_NS);
  return m;
}
