/**
 * Misuse the kernel reports (docs/rules.md, section 17): each case gives the
 * kernel's own report as a finding, and the kernel's own recovery where it
 * has one; where the kernel would hang, a LIVELOCK finding after a bound of
 * simulated time.
 */

import assert from "node:assert/strict";
import { createMachine, ENXIO, irqWorkInit, RawSpinlock } from "../mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { x86 } from "../arch/x86/mod.ts";

Deno.test("rule 21.1: a task that exits with interrupts disabled is reported, and the exit path enables them", () => {
  const m = createMachine({ arch: x86(), cpus: 1 });
  const work = irqWorkInit(() => {}, "after");
  let nextSawIrqsOff: boolean | null = null;
  m.spawn({ cpu: 0, name: "leaky", at: 1_000 }, function* (ctx) {
    yield* ctx.irqDisable();
  });
  m.spawn({ cpu: 0, name: "next", at: 100_000 }, function* (ctx) {
    nextSawIrqsOff = ctx.irqsDisabled;
    yield* ctx.queue(work);
  });
  m.runUntil(10_000_000);
  assert.equal(m.findings.length, 1);
  assert.equal(m.findings[0]!.level, "WARN");
  assert.equal(
    m.findings[0]!.message,
    "WARNING: CPU: 0 PID: 7 at kernel/exit.c do_exit\nWARN_ON(irqs_disabled())",
  );
  assert.equal(m.findings[0]!.comm, "leaky");
  assert.equal(nextSawIrqsOff, false, "the next task runs with interrupts enabled");
  assert.equal(m.runs.length, 1, "and its irq_work interrupt is taken");
  assert.ok(m.interrupts.timer[0]! > 1, "the tick goes on");
});

Deno.test("rule 21.2: a task that exits inside rcu_read_lock() is reported, and its section ends", () => {
  const m = createMachine({ arch: x86(), cpus: 2 });
  const done: number[] = [];
  m.spawn({ cpu: 1, name: "reader", at: 1_000 }, function* (ctx) {
    yield* ctx.rcuReadLock();
    yield* ctx.rcuReadLock();
    yield* ctx.spend(200_000);
  });
  for (const at of [50_000, 2_000_000]) {
    m.spawn({ cpu: 0, name: `sync@${at}`, at }, function* (ctx) {
      yield* ctx.synchronizeRcu();
      done.push(ctx.now);
    });
  }
  m.runUntil(20_000_000);
  assert.equal(m.findings.length, 1);
  assert.equal(
    m.findings[0]!.message,
    [
      "WARNING: reader/11 still has locks held!",
      "------------------------------------",
      "2 locks held by reader/11:",
      " #0: (rcu_read_lock)",
      " #1: (rcu_read_lock)",
    ].join("\n"),
  );
  assert.equal(done.length, 2, "both grace periods end");
  assert.ok(done[0]! >= 201_000, "the first waited for the reader's exit");
});

Deno.test("rule 21.4: a grace period that began while a CPU was going down ends: the dead CPU reports to RCU", () => {
  // A tick-only arch: the local work waits on CPU 1's raised list, and the dying hook runs it for 300 µs.
  const m = createMachine({ arch: tickOnly(), cpus: 2 });
  const slow = irqWorkInit(function* (_w, ctx) {
    yield* ctx.spend(300_000);
  }, "slow");
  let gpEnded = -1;
  m.spawn({ cpu: 1, name: "queuer", at: 10_000 }, function* (ctx) {
    yield* ctx.queue(slow);
  });
  m.cpuDown(1, 100_000);
  m.spawn({ cpu: 0, name: "syncer", at: 200_000 }, function* (ctx) {
    yield* ctx.synchronizeRcu();
    gpEnded = ctx.now;
  });
  m.runUntil(50_000_000);
  assert.deepEqual(m.findings, []);
  const run = m.runs[0]!;
  assert.equal(run.task.comm, "migration/1", "the work ran in the dying hook");
  assert.ok(run.startedAt < 200_000 && run.endedAt > 200_000, "the grace period began during the dying hook");
  assert.ok(gpEnded >= run.endedAt, `the grace period ends once CPU 1 is dead (at ${gpEnded} ns)`);
});

Deno.test("rule 21.5: a waiting cross-CPU call to a CPU that is down returns -ENXIO and runs nothing", () => {
  const m = createMachine({ arch: x86(), cpus: 2 });
  m.cpuDown(1, 1_000);
  let err: number | null = null;
  let ran = false;
  m.spawn({ cpu: 0, name: "caller", at: 100_000 }, function* (ctx) {
    err = yield* ctx.callFunctionSingle(1, () => void (ran = true), true);
  });
  m.runUntil(10_000_000);
  assert.equal(err, -ENXIO);
  assert.equal(ENXIO, 6);
  assert.equal(ran, false);
  assert.deepEqual(m.findings, []);
  assert.ok(
    m.kernel.tasks.find((t) => t.comm === "caller")!.state === "dead",
    "the caller went on and finished",
  );
});

Deno.test("rule 21.7: a raw spinlock taken twice by one task: spinlock recursion, then a LIVELOCK after the spin limit", () => {
  const m = createMachine({ arch: x86(), cpus: 1 });
  const lock = new RawSpinlock("my_lock");
  m.spawn({ cpu: 0, name: "twice", at: 1_000 }, function* (ctx) {
    yield* ctx.rawSpinLock(lock);
    yield* ctx.rawSpinLock(lock);
  });
  const wall = performance.now();
  m.runUntil(10_000_000_000);
  assert.ok(performance.now() - wall < 2_000, "no wall-clock spin");
  assert.deepEqual(m.findings.map((f) => f.level), ["WARN", "LIVELOCK"]);
  assert.equal(
    m.findings[0]!.message,
    "BUG: spinlock recursion on CPU#0, twice/7\n lock: my_lock, .magic: dead4ead, .owner: twice/7, .owner_cpu: 0",
  );
  assert.match(
    m.findings[1]!.message,
    /^livelock: spin_lock\(\) has spun 10\.\d+ ms on my_lock, held by twice\/7$/,
  );
  const limit = m.kernel.timing.spinLimitNs;
  assert.ok(
    m.now > 1_000 + limit && m.now < 1_000 + limit + 100_000,
    `stopped after the spin limit (${m.now})`,
  );
  assert.ok(m.panicked);
});

Deno.test("rule 21.6: waiting cross-CPU calls with interrupts off that never complete: WARN, CSD lock report, LIVELOCK", () => {
  // The report comes at the spin limit (here 1 ms; the kernel's csd_lock_timeout is 5 s), the livelock one limit later.
  const m = createMachine({ arch: x86(), cpus: 2, timing: { spinLimitNs: 1_000_000 } });
  for (const [cpu, target] of [[0, 1], [1, 0]] as const) {
    m.spawn({ cpu, name: `caller${cpu}`, at: 1_000 }, function* (ctx) {
      yield* ctx.irqDisable();
      yield* ctx.callFunctionSingle(target, function never_runs() {}, true);
    });
  }
  const wall = performance.now();
  m.runUntil(60_000_000_000);
  assert.ok(performance.now() - wall < 5_000, "no wall-clock spin");
  const f = m.findings;
  assert.deepEqual(f.map((x) => x.level), ["WARN", "WARN", "WARN", "LIVELOCK"]);
  assert.equal(
    f[0]!.message,
    "WARNING: CPU: 0 PID: 11 at kernel/smp.c smp_call_function_single\n" +
      "WARN_ON_ONCE(cpu_online(this_cpu) && irqs_disabled() && !oops_in_progress)",
  );
  assert.match(
    f[1]!.message,
    /^csd: Detected non-responsive CSD lock \(#1\) on CPU#\d, waiting 10000\d\d ns for CPU#0\d never_runs\(0x0\)\.\n\tcsd: CSD lock \(#1\) unresponsive\.\ncsd: Re-sending CSD lock \(#1\) IPI from CPU#0\d to CPU#0\d$/,
  );
  assert.match(f[2]!.message, /^csd: Detected non-responsive CSD lock \(#2\)/);
  assert.match(
    f[3]!.message,
    /^livelock: smp_call_function_single\(\) has waited 2(\.\d+)? ms for CPU \d to run never_runs$/,
  );
  assert.ok(m.now >= 2_001_000 && m.now < 2_100_000, `${m.now}`);
});

Deno.test("rule 21.8: local_irq_enable() in an NMI is reported, and the latched hard IRQ waits for the NMI's end", () => {
  const m = createMachine({ arch: x86(), cpus: 1 });
  const work = irqWorkInit(() => {}, "latched");
  let nmiEnd = -1;
  let inNmiIrqsOff: boolean | null = null;
  m.spawn({ cpu: 0, name: "t", at: 1_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    yield* ctx.queue(work); // the self-IPI is latched
    yield* ctx.spend(50_000);
    yield* ctx.irqEnable();
  });
  m.nmi(0, 10_000, function* (ctx) {
    yield* ctx.irqEnable();
    inNmiIrqsOff = ctx.irqsDisabled;
    yield* ctx.spend(5_000);
    nmiEnd = ctx.now;
  });
  m.runUntil(1_000_000);
  assert.equal(m.findings.length, 1);
  assert.equal(
    m.findings[0]!.message,
    "DEBUG_LOCKS_WARN_ON(lockdep_hardirq_context())\n" +
      "WARNING: CPU: 0 PID: 7 at kernel/locking/lockdep.c lockdep_hardirqs_on_prepare",
  );
  assert.equal(m.findings[0]!.context, "nmi");
  assert.equal(inNmiIrqsOff, true);
  assert.equal(m.runs.length, 1);
  assert.ok(m.runs[0]!.startedAt > nmiEnd, "no hard IRQ nested in the NMI");
  assert.ok(m.runs[0]!.startedAt >= 51_000, "it ran when the task enabled interrupts");
});
