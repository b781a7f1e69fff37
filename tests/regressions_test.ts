/**
 * Tests for behaviour fixed or added after a review of the model against the
 * kernel: the polling-idle window, idle=poll ticks, corrupted call-single
 * queues, use after free of embedded works, version-gated tracepoints and
 * UP vs SMP builds. Each names the rule of docs/rules.md it checks.
 */

import assert from "node:assert/strict";
import {
  createMachine,
  initIrqWork,
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  IrqWork,
  irqWorkInit,
  irqWorkInitHard,
  type Kernel,
  type KernelVersion,
} from "../mod.ts";
import { formatEvent } from "../plugins/ftrace/mod.ts";
import { arm64 } from "../arch/arm64/mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";
import { record } from "./helpers.ts";
import { matrixTest, smpOnly } from "./matrix.ts";

const T0 = 1_000_000;

matrixTest(
  "rule 12.2: a queue after the polling idle CPU began its flush sends a real IPI",
  { skip: smpOnly }, // x86-nolapic has one CPU: no cross-CPU delivery.
  (cell) => {
    const m = cell.machine({ cpus: 2, idle: "poll" });
    const events = record(m);
    const slow = irqWorkInitHard(function* (_w, ctx) {
      yield* ctx.spend(50_000);
    }, "slow");
    const late = irqWorkInitHard(() => {}, "late");
    m.spawn({ cpu: 0, name: "sender", policy: "fifo", priority: 50, at: T0 }, function* (ctx) {
      yield* ctx.queueOn(slow, 1); // the polling idle CPU 1 is woken without an IPI and flushes
      yield* ctx.spend(20_000); // CPU 1 is now inside its flush, no longer polling
      yield* ctx.queueOn(late, 1);
    });
    m.runUntil(T0 + 1_000_000);
    const idleWakes = events.filter((e) => e.type === "sched_wake_idle_without_ipi");
    assert.equal(idleWakes.length, 1, "only the first queue finds CPU 1 polling");
    assert.equal(m.interrupts.call_function_single[1], 1, "the second queue sends a real IPI");
    const run = m.runs.find((r) => r.work === late);
    assert.ok(run !== undefined, "the late work is not stranded");
    assert.equal(run.context, "hardirq");
  },
);

matrixTest("rule 10.2: an idle=poll CPU never stops its tick (cpu_idle_poll restarts it)", (cell) => {
  const m = cell.machine({ cpus: 1, idle: "poll" });
  const events = record(m);
  m.runUntil(5 * 4_000_000 + 10_000); // the 20 ms tick is traced after interrupt entry
  assert.equal(events.filter((e) => e.type === "tick_stop").length, 0);
  assert.equal(events.filter((e) => e.type === "tick").length, 5, "a tick every 4 ms while idle");
  assert.equal(m.kernel.ticks.stopped(0), false);
});

Deno.test("rule 2.5 (bug H5): a work pushed twice onto a remote call-single queue spins the flush; a LIVELOCK finding", () => {
  const m = createMachine({ arch: tickOnly(), cpus: 2 });
  const cb = function* (_w: unknown, ctx: { spend(ns: number): Kernel }) {
    yield* ctx.spend(100);
  };
  const w = irqWorkInitHard(cb, "w");
  m.spawn({ cpu: 0, name: "user", at: T0 }, function* (ctx) {
    yield* ctx.queueOn(w, 1);
    initIrqWork(w, cb); // re-initialised while queued (rule 1.4)
    yield* ctx.queueOn(w, 1); // w->next == w: the queue is a cycle
  });
  m.runUntil(T0 + 1_000_000);
  assert.equal(m.findings.length, 1);
  assert.equal(m.findings[0]!.level, "LIVELOCK");
  assert.match(m.findings[0]!.message, /^livelock: simulated time stopped advancing/);
  assert.equal(m.findings[0]!.cpu, 1, "CPU 1 spins in its flush");
  assert.equal(m.runs.length, 0, "pass 1 never ends, as the kernel's hard lockup");
  assert.ok(m.panicked);
});

Deno.test("rule 15 H10: freeing the object that embeds a queued work is a use after free when it runs", () => {
  for (const freeFirst of [true, false]) {
    const m = createMachine({ arch: tickOnly(), cpus: 1 });
    let buffer: ReturnType<typeof irqWorkInit> | undefined;
    m.spawn({ cpu: 0, name: "reader", at: T0 }, function* (ctx) {
      const object = yield* ctx.kmalloc("ring_buffer");
      buffer = irqWorkInit(() => {}, "rb_wake_up_waiters");
      buffer.object = object;
      yield* ctx.queue(buffer); // waits for the tick on this arch
      if (!freeFirst) yield* ctx.sync(buffer); // the fix: irq_work_sync() before destruction
      yield* ctx.kfree(object);
    });
    m.runUntil(3 * 4_000_000);
    const uaf = m.findings.filter((f) =>
      f.message.startsWith("BUG: KASAN: slab-use-after-free in irq_work_single")
    );
    assert.equal(uaf.length, freeFirst ? 1 : 0, freeFirst ? "freed before it ran" : "synced first");
    assert.equal(m.runs.length, 1);
    assert.ok(buffer !== undefined);
  }
});

Deno.test("rule 4.5: the ipi_send_cpu and csd_queue_cpu tracepoints exist from 6.4/6.6, not in the seed (5.15)", () => {
  const count = (kernel: KernelVersion) => {
    const m = createMachine({ arch: x86(), cpus: 2, kernel });
    const events = record(m);
    m.spawn({ cpu: 0, name: "t", at: T0 }, function* (ctx) {
      yield* ctx.queue(irqWorkInit(() => {}, "local"));
      yield* ctx.queueOn(irqWorkInit(() => {}, "remote"), 1);
    });
    m.runUntil(T0 + 100_000);
    assert.equal(m.runs.length, 2);
    return ["ipi_send_cpu", "csd_queue_cpu"].map((type) => events.filter((e) => e.type === type).length);
  };
  assert.deepEqual(count("seed"), [0, 0]);
  assert.deepEqual(count("C"), [2, 1]);
  assert.deepEqual(count("D"), [2, 1]);
});

Deno.test("rule 0.1/5.1: one CPU is a UP build unless smp: true, which takes the SMP path of queueOn", () => {
  for (const smp of [false, true]) {
    const m = createMachine({ arch: x86(), cpus: 1, smp });
    m.setCpuOnline(0, false);
    m.spawn({ cpu: 0, name: "t", at: T0 }, function* (ctx) {
      yield* ctx.queueOn(irqWorkInit(() => {}, "w"), 0);
    });
    m.runUntil(T0 + 100_000);
    const warned = m.findings.some((f) =>
      f.message ===
        "WARNING: CPU: 0 PID: 7 at kernel/irq_work.c irq_work_queue_on\nWARN_ON_ONCE(cpu_is_offline(cpu))"
    );
    assert.equal(warned, smp, smp ? "SMP checks the target's online bit" : "UP ignores the CPU (5.1)");
    assert.equal(m.runs.length, 1);
  }
  assert.throws(
    () => createMachine({ arch: x86(), cpus: 2, smp: false }),
    /uniprocessor build .* one CPU, asked for 2/,
  );
});

Deno.test("rule 14: arm64 traces ipi_raise when it sends an IPI, as smp_cross_call() does", () => {
  const m = createMachine({ arch: arm64(), cpus: 2 });
  const events = record(m);
  m.spawn({ cpu: 0, name: "t", at: T0 }, function* (ctx) {
    yield* ctx.queue(irqWorkInit(() => {}, "local"));
    yield* ctx.queueOn(irqWorkInit(() => {}, "remote"), 1);
  });
  m.runUntil(T0 + 100_000);
  const raises = events.filter((e) => e.type === "ipi_raise").map((e) =>
    formatEvent(e, m.kernel.cpus.length)!.split(": ").slice(1).join(": ")
  );
  assert.deepEqual(raises, [
    "ipi_raise: target_mask=1 (IRQ work interrupts)",
    "ipi_raise: target_mask=2 (Function call interrupts)",
  ]);
  assert.equal(m.runs.length, 2);
});

// The two tests below come from counterexamples the property tests found (tests/properties_test.ts).

Deno.test("rule 11.5: a second syncer displaces the first from the one-slot waiter, which is never woken", () => {
  const m = createMachine({ arch: tickOnly(), cpus: 1, kernel: "C" }); // no self-interrupt: syncers sleep
  const w = irqWorkInit(() => {}, "w");
  const done: string[] = [];
  m.spawn({ cpu: 0, name: "first", at: T0 }, function* (ctx) {
    yield* ctx.queue(w); // waits for the 4 ms tick
    yield* ctx.sync(w);
    done.push("first");
  });
  m.spawn({ cpu: 0, name: "second", at: T0 + 100_000 }, function* (ctx) {
    yield* ctx.sync(w); // overwrites the waiter slot
    done.push("second");
  });
  m.runUntil(50_000_000);
  assert.equal(m.runs.length, 1);
  assert.deepEqual(done, ["second"], "only the registered waiter is woken");
  const first = m.kernel.tasks.find((t) => t.comm === "first")!;
  assert.equal(first.state, "uninterruptible", "the displaced waiter sleeps for ever (D)");
  assert.deepEqual(m.findings, [], "the kernel reports nothing");
});

Deno.test("rule 4.3/11.3 (derived): on RT a LAZY|HARD work runs in irq_work/N, yet its syncer spins", () => {
  for (const kernel of ["C", "D"] as const) {
    const m = createMachine({ arch: x86(), cpus: 1, kernel, plugins: [preemptRt()] });
    const w = new IrqWork(() => {}, IRQ_WORK_LAZY | IRQ_WORK_HARD_IRQ, "lazy_hard");
    m.spawn({ cpu: 0, name: "syncer", policy: "fifo", priority: 1, at: T0 }, function* (ctx) {
      yield* ctx.queue(w); // LAZY decides the list: the lazy list, drained by irq_work/0 only
      yield* ctx.sync(w); // HARD decides the sync: spin; irq_work/0 (FIFO 1) cannot preempt a FIFO 1 spinner
    });
    m.runUntil(100_000_000);
    assert.equal(m.runs.length, 0, kernel);
    assert.equal(m.findings.length, 1, kernel);
    assert.equal(m.findings[0]!.level, "LIVELOCK");
    assert.match(m.findings[0]!.message, /^livelock: irq_work_sync\(\) has spun 10\.\d+ ms on lazy_hard/);
    const thread = m.kernel.tasks.find((t) => t.comm === "irq_work/0")!;
    assert.equal(thread.state, "running", "irq_work/0 was woken by the tick but never got the CPU");
  }
});
