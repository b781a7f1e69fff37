/**
 * Kernel versions and fixes (docs/rules.md, "Kernel versions", section 15
 * and rules 17, 18): how a version resolves through the table, and one test
 * per fix with the fix on and off. H1 and H3 are in conformance_rt_test.ts,
 * expressed the same way (a version with one fix off).
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, ftrace, irqWorkInit, type Machine, Spinlock, type TraceEvent } from "../mod.ts";
import { KERNEL_FIXES, resolveKernel } from "../core/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";
import { record } from "./helpers.ts";

const T0 = 1_000_000;

/** The commits a version has, in table order. */
function has(kernel: string, fixes: Record<string, boolean> = {}): string[] {
  const p = resolveKernel(kernel, fixes);
  return KERNEL_FIXES.filter((f) => p.fixes[f.commit]).map((f) => f.commit);
}

const RT_QUEUE_515 = ["539fbb5be0da", "50e081b96e35", "810979682ccc", "b4c6f86ec2f6", "09089db79859"];
const V64 = ["4468161a5ca2", "4c8c3c7f70a6", "cc9cb0a71725", "68f4ff04dbad"];

Deno.test("versions: a release has the fixes of its mainline, its stable backports and (with -rt) its RT queue", () => {
  assert.deepEqual(has("5.15"), [], "5.15.0: none of the table");
  assert.deepEqual(has("5.15.190"), [], "no 5.15 stable backports");
  assert.deepEqual(has("5.15-rt"), RT_QUEUE_515, "the 5.15-rt queue carried the October 2021 series");
  assert.deepEqual(has("5.15.19-rt29"), RT_QUEUE_515);
  assert.deepEqual(has("5.16"), RT_QUEUE_515);
  assert.deepEqual(has("6.1"), RT_QUEUE_515, "6.1.0: no tracepoints, no 2026 fix");
  assert.deepEqual(has("6.1.174"), RT_QUEUE_515);
  assert.deepEqual(has("6.1.175"), [...RT_QUEUE_515, "91840be8f710"], "the 2026 fix reached 6.1.175");
  assert.deepEqual(has("6.1.192"), [...RT_QUEUE_515, "91840be8f710"]);
  assert.deepEqual(has("6.4"), [...RT_QUEUE_515, ...V64]);
  assert.deepEqual(has("6.5"), [...RT_QUEUE_515, ...V64, "bf5a8c26ad7c"]);
  assert.deepEqual(has("6.6.141"), [...RT_QUEUE_515, ...V64, "bf5a8c26ad7c"]);
  assert.deepEqual(has("6.6.142"), KERNEL_FIXES.map((f) => f.commit));
  assert.deepEqual(has("6.12.92"), KERNEL_FIXES.map((f) => f.commit));
  assert.deepEqual(has("6.12.91").includes("91840be8f710"), false);
  assert.deepEqual(has("7.0"), has("6.6"));
  assert.deepEqual(has("7.0.11"), has("mainline"));
  assert.deepEqual(has("7.1"), KERNEL_FIXES.map((f) => f.commit));
  assert.equal(resolveKernel("mainline").version, "7.1");
  // The first build's labels.
  assert.deepEqual(has("D"), has("mainline"));
  assert.deepEqual(has("C"), has("6.6"));
  assert.deepEqual(has("seed"), has("5.15-rt", { "810979682ccc": false, "09089db79859": false }));
  // One fix, either way, on any version.
  assert.deepEqual(has("6.1.192", { "91840be8f710": false }), RT_QUEUE_515);
  assert.deepEqual(has("6.1", { "91840be8f710": true }), [...RT_QUEUE_515, "91840be8f710"]);
});

/** A FIFO 50 task on CPU 0 wakes a sleeping task of idle CPU 1 (rule 17.2). */
function remoteWake(kernel: string, fixes: Record<string, boolean>, rt: boolean): TraceEvent[] {
  const m = createMachine({ arch: x86(), cpus: 2, kernel, fixes, plugins: rt ? [preemptRt()] : [] });
  const events = record(m);
  const sleeper = m.spawn({ cpu: 1, name: "sleeper", at: T0 }, function* (ctx) {
    yield* ctx.sleep(10_000_000);
  });
  m.spawn({ cpu: 0, name: "waker", policy: "fifo", priority: 50, at: T0 + 100_000 }, function* () {
    yield* m.kernel.wakeups.wakeUpProcess(m.kernel.cpus[0]!, sleeper);
  });
  m.runUntil(T0 + 200_000);
  return events.filter((e) => e.time >= T0 + 100_000);
}

Deno.test("rule 17.2 (539fbb5be0da): on RT a remote wake-up activates the task and sends a reschedule IPI", () => {
  for (const on of [true, false]) {
    const events = remoteWake("6.6", { "539fbb5be0da": on }, true);
    const wakeup = events.find((e) => e.type === "sched_wakeup" && e.wakeComm === "sleeper")!;
    const queued = events.filter((e) => e.type === "csd_queue_cpu" && e.func === "sched_ttwu_pending");
    const resched = events.flatMap((e) => e.type === "ipi_send_cpu" && e.callback === null ? [e] : []);
    if (on) {
      assert.equal(wakeup.cpu, 0, "fix on: the waker's CPU puts the task on CPU 1's run queue");
      assert.equal(queued.length, 0, "no wake list");
      assert.deepEqual(resched.map((e) => [e.cpu, e.target, e.callsite]), [[0, 1, "resched_curr"]]);
    } else {
      assert.equal(wakeup.cpu, 1, "fix off: CPU 1 activates the task from its call-single queue");
      assert.equal(queued.length, 1);
      assert.equal(resched.length, 0);
    }
  }
  // !RT keeps the wake list whatever the version.
  const nonRt = remoteWake("6.6", {}, false);
  assert.equal(nonRt.filter((e) => e.type === "csd_queue_cpu" && e.func === "sched_ttwu_pending").length, 1);
});

/** A task that calls `irq_work_sync()` while holding a `spinlock_t` (rule 17.3). */
function syncUnderSpinlock(fixes: Record<string, boolean>, rt: boolean): Machine {
  const m = createMachine({ arch: x86(), kernel: "6.1.192", fixes, plugins: rt ? [preemptRt()] : [] });
  const lock = new Spinlock("dev->lock");
  const w = irqWorkInit(() => {}, "w");
  m.spawn({ cpu: 0, name: "t", at: T0 }, function* (ctx) {
    yield* ctx.spinLock(lock);
    yield* ctx.sync(w);
    yield* ctx.spinUnlock(lock);
  });
  m.runUntil(T0 + 1_000_000);
  return m;
}

Deno.test("rule 17.3 (50e081b96e35): on RT might_sleep() counts the RCU section a spinlock_t holds", () => {
  const on = syncUnderSpinlock({}, true);
  assert.equal(on.findings.length, 1);
  const f = on.findings[0]!;
  assert.equal(f.level, "BUG", "a BUG: report, not a warning");
  assert.equal(f.fatal, false);
  assert.equal(f.title, "BUG: sleeping function called from invalid context at kernel/irq_work.c");
  assert.deepEqual(f.message.split("\n").slice(1), [
    "in_atomic(): 0, irqs_disabled(): 0, non_block: 0, pid: 7, name: t",
    "preempt_count: 0, expected: 0",
    "RCU nest depth: 1, expected: 0",
  ]);
  assert.deepEqual(syncUnderSpinlock({ "50e081b96e35": false }, true).findings, [], "fix off: unreported");
  // !RT: the spinning spinlock_t disables preemption, reported either way.
  for (const fix of [true, false]) {
    const m = syncUnderSpinlock({ "50e081b96e35": fix }, false);
    assert.match(m.findings[0]!.message, /\npreempt_count: 1, expected: 0\nRCU nest depth: 0, expected: 0$/);
  }
});

Deno.test("rule 15 H2 (810979682ccc): without a self-interrupt, sync sleeps (fix on) or burns the CPU (off)", () => {
  for (const on of [true, false]) {
    const m = createMachine({ arch: tickOnly(), cpus: 2, kernel: "6.1.192", fixes: { "810979682ccc": on } });
    const events = record(m);
    const w = irqWorkInit(() => {}, "w");
    let syncStart = -1, syncEnd = -1;
    m.spawn({ cpu: 1, name: "queuer", at: T0 }, (ctx) => ctx.queue(w));
    m.spawn({ cpu: 0, name: "syncer", at: T0 + 10_000 }, function* (ctx) {
      syncStart = ctx.now;
      yield* ctx.sync(w);
      syncEnd = ctx.now;
    });
    m.runUntil(40_000_000); // 6.1.192 then waits a grace period of a few jiffies (rule 19.1)
    const run = m.runs.find((r) => r.work === w)!;
    assert.equal(run.cpu, 1);
    assert.ok(syncEnd >= run.endedAt, "sync returns after CPU 1's tick ran the work");
    const slept = events.some((e) =>
      e.type === "sched_switch" && e.prevComm === "syncer" && e.prevState === "D"
    );
    assert.equal(slept, on, on ? "fix on: the syncer sleeps" : "fix off: the syncer spins");
    assert.ok(run.startedAt - syncStart > 2_000_000, "the work waited for CPU 1's tick (up to one jiffy)");
    assert.deepEqual(m.findings, []);
  }
});

/** The ftrace lines of one remote queue and one local raise on x86 (rule 18.4). */
function ipiLines(kernel: string): string[] {
  const tracer = ftrace({ filter: (e) => e.type === "ipi_send_cpu" || e.type === "csd_queue_cpu" });
  const m = createMachine({ arch: x86(), cpus: 2, kernel, plugins: [tracer] });
  m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
    yield* ctx.queueOn(irqWorkInit(() => {}, "remote_w"), 1);
    yield* ctx.queue(irqWorkInit(() => {}, "local_w"));
  });
  m.runUntil(T0 + 100_000);
  return tracer.lines.map((l) => l.slice(l.indexOf(": ") + 2));
}

Deno.test("rule 18.4 (4468161a5ca2, cc9cb0a71725, 68f4ff04dbad, bf5a8c26ad7c): the IPI tracepoints follow the version", () => {
  assert.deepEqual(ipiLines("6.3"), [], "before 6.4: no IPI tracepoints");
  assert.deepEqual(ipiLines("6.4"), [
    "ipi_send_cpu: cpu=1 callsite=irq_work_queue_on callback=remote_w",
    "ipi_send_cpu: cpu=1 callsite=irq_work_queue_on callback=generic_smp_call_function_single_interrupt",
    "ipi_send_cpu: cpu=0 callsite=irq_work_queue callback=local_w",
  ]);
  const v65 = [
    "csd_queue_cpu: cpu=1 callsite=irq_work_queue_on func=remote_w",
    "ipi_send_cpu: cpu=1 callsite=irq_work_queue_on callback=generic_smp_call_function_single_interrupt",
    "ipi_send_cpu: cpu=0 callsite=irq_work_queue callback=local_w",
  ];
  assert.deepEqual(ipiLines("6.5"), v65);
  assert.deepEqual(ipiLines("mainline"), v65);
  // Each fix by itself.
  const off = (commit: string) => {
    const tracer = ftrace({ filter: (e) => e.type === "ipi_send_cpu" || e.type === "csd_queue_cpu" });
    const m = createMachine({ arch: x86(), cpus: 2, fixes: { [commit]: false }, plugins: [tracer] });
    m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.queueOn(irqWorkInit(() => {}, "remote_w"), 1);
      yield* ctx.queue(irqWorkInit(() => {}, "local_w"));
    });
    m.runUntil(T0 + 100_000);
    return tracer.lines.map((l) => l.slice(l.indexOf(": ") + 2));
  };
  assert.deepEqual(off("4468161a5ca2"), v65.slice(0, 2), "no trace of the irq_work self-IPI");
  assert.deepEqual(off("cc9cb0a71725"), [v65[0], v65[2]], "no trace of the call-function IPI");
  assert.deepEqual(off("bf5a8c26ad7c"), [
    "ipi_send_cpu: cpu=1 callsite=irq_work_queue_on callback=remote_w",
    ...v65.slice(1),
  ], "6.4's per-entry ipi_send_cpu in place of csd_queue_cpu");
});

Deno.test("rule 18.4 (4c8c3c7f70a6): 6.4+ traces a reschedule IPI as ipi_send_cpu with a NULL callback", () => {
  const line = (fixes: Record<string, boolean>) => {
    const tracer = ftrace({ filter: (e) => e.type === "ipi_send_cpu" });
    const m = createMachine({ arch: x86(), cpus: 2, fixes, plugins: [tracer] });
    const sleeper = m.spawn({ cpu: 1, name: "sleeper", at: T0 }, (ctx) => ctx.sleep(10_000_000));
    m.spawn({ cpu: 1, name: "busy", at: T0 + 10_000 }, (ctx) => ctx.spend(1_000_000));
    m.spawn({ cpu: 0, name: "waker", at: T0 + 100_000 }, function* () {
      sleeper.state = "interruptible";
      yield* m.kernel.wakeups.reschedCurr(m.kernel.cpus[0]!, m.kernel.cpus[1]!);
    });
    m.runUntil(T0 + 200_000);
    return tracer.lines;
  };
  const on = line({});
  assert.equal(on.length, 1);
  assert.match(
    on[0]!,
    /^ +waker-\d+ +\[000\] \.\.\.\.\. +0\.0011\d\d: ipi_send_cpu: cpu=1 callsite=resched_curr callback=0x0$/,
  );
  assert.deepEqual(line({ "4c8c3c7f70a6": false }), []);
});

Deno.test("b4c6f86ec2f6: the per-CPU thread is what PREEMPT_RT runs on; !RT does not care", () => {
  assert.throws(() => createMachine({ arch: x86(), kernel: "5.15", plugins: [preemptRt()] }), {
    message: /^preemptRt\(\) needs b4c6f86ec2f6/,
  });
  const m = createMachine({ arch: x86(), kernel: "5.15-rt", plugins: [preemptRt()] });
  m.spawn({ cpu: 0, name: "t", at: T0 }, (ctx) => ctx.queue(irqWorkInit(() => {}, "w")));
  m.runUntil(T0 + 1_000_000);
  assert.equal(m.runs[0]!.task.comm, "irq_work/0", "5.15-rt threads plain works");
  const plain = createMachine({ arch: x86(), kernel: "5.15" });
  plain.spawn({ cpu: 0, name: "t", at: T0 }, (ctx) => ctx.queue(irqWorkInit(() => {}, "w")));
  plain.runUntil(T0 + 1_000_000);
  assert.equal(plain.runs[0]!.context, "hardirq");
});

Deno.test("versions: the README's table and docs/rules.md's list every fix of the table as the code has it", async () => {
  for (const doc of ["../README.md", "../docs/rules.md"]) {
    const text = await Deno.readTextFile(new URL(doc, import.meta.url));
    for (const f of KERNEL_FIXES) {
      const row = text.split("\n").find((l) => l.startsWith(`| ${f.commit} |`));
      assert.ok(row !== undefined, `${doc} lists ${f.commit}`);
      const cells = row.split("|").map((c) => c.trim().replaceAll("\\_", "_"));
      assert.equal(cells[2], f.title, `${doc}: ${f.commit}'s title`);
      assert.equal(cells[3], f.mainline, `${doc}: ${f.commit}'s mainline release`);
      for (const s of f.stable) assert.ok(cells[4]!.includes(s), `${doc}: ${f.commit} backported to ${s}`);
      for (const s of f.rtQueue) assert.ok(cells[5]!.includes(`${s}-rt`), `${doc}: ${f.commit} in ${s}-rt`);
    }
  }
});
