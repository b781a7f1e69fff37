/**
 * Conformance tests for docs/rules.md §4 (queueing locally), §5 (queueing on a
 * chosen CPU), §7 (draining and ordering) and §8 (entry points that drain),
 * kernel version C, without and with PREEMPT_RT.
 *
 * Each rule runs over the arch x config matrix; the expectation for a cell
 * comes from its facts (`hasIrqWorkInterrupt`, `maxCpus`, `config.rt`), never
 * from its name. On RT every non-HARD work joins the lazy list (locally and,
 * through the target's HARD `irq_work_wake`, remotely) and runs in
 * `irq_work/N`, task context with IRQs on; only HARD works use the raised
 * list and the call-single queue (rules 4.3, 5.4, 5.5, 8, 9).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  IrqWork,
  irqWorkInit,
  irqWorkInitHard,
  irqWorkInitLazy,
  type Machine,
  type TraceEvent,
  type WorkRun,
} from "../mod.ts";
import { CSD_TYPE_IRQ_WORK, IRQ_WORK_CLAIMED, llistAdd } from "../core/mod.ts";
import { LEGACY, matrixTest, rtSmpOnly, smpOnly } from "./matrix.ts";
import {
  assertRanWhereConfigSays,
  drive,
  names,
  nextTick,
  record,
  runOf,
  selfIrqDelay,
  selfRaises,
  spending,
  threadStart,
  tickRunStart,
} from "./helpers.ts";

// ---------------------------------------------------------------- helpers

/** `tick` events on `cpu`. */
function ticks(events: TraceEvent[], cpu: number): TraceEvent[] {
  return events.filter((e) => e.type === "tick" && e.cpu === cpu);
}

/** The arch has a dedicated irq_work interrupt line (else its self-interrupt, if any, is the timer's). */
function hasIrqWorkLine(m: Machine): boolean {
  return m.kernel.arch.lines.some((l) => l.kind === "irq_work");
}

/** A work with the given kind bits (0, LAZY, HARD or both). */
function workOf(kind: number, name: string, ns = 100): IrqWork {
  return new IrqWork(spending(ns), kind, name);
}

/** `irq_work_queue` events as `work:target:list` (file-local: rt's `queued` formats `work:list@target`). */
function queued(events: TraceEvent[]): string[] {
  return events.filter((e) => e.type === "irq_work_queue").map((e) =>
    e.type === "irq_work_queue" ? `${e.work}:${e.target}:${e.list}` : ""
  );
}

/** No findings (file-local: rt's `noFindings` also asserts the machine did not panic). */
function noFindings(m: Machine): void {
  assert.deepEqual(m.findings, []);
}

/** Findings whose message contains every one of `parts`. */
function findingsWith(m: Machine, ...parts: string[]) {
  return m.findings.filter((f) => parts.every((p) => f.message.includes(p)));
}

// ---------------------------------------------------------------- §4 queueing on the current CPU

matrixTest(
  "rule 4.1: queue returns true on claim, false if pending; works with IRQs off and in NMI",
  LEGACY,
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const a = irqWorkInit(spending(), "a");
    const n = irqWorkInit(spending(), "n");
    const results: boolean[] = [];
    const nmiResults: boolean[] = [];
    let enableAt = -1, nmiContext = "";
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      yield* ctx.irqDisable();
      results.push(yield* ctx.queue(a));
      results.push(yield* ctx.queue(a));
      assert.equal(ctx.irqsDisabled, true, "queue leaves IRQs as they were");
      assert.equal(ctx.preemptCount, 0, "preemption re-enabled on return");
      yield* ctx.spend(1_000);
      enableAt = ctx.now;
      yield* ctx.irqEnable();
    });
    // NMI on the idle CPU later.
    m.nmi(0, 10_000_000, function* (ctx) {
      nmiContext = ctx.context;
      nmiResults.push(yield* ctx.queue(n));
      nmiResults.push(yield* ctx.queue(n));
    });
    m.runUntil(30_000_000);
    assert.deepEqual(results, [true, false]);
    assert.deepEqual(nmiResults, [true, false]);
    assert.equal(nmiContext, "nmi");
    const ra = runOf(m, a), rn = runOf(m, n);
    const nmiExit = events.find((e) => e.type === "nmi_exit")!;
    const { irqEntryNs, irqExitNs } = m.kernel.arch.timing;
    // RT: the plain works are on the lazy list; the interrupt that runs them on !RT wakes irq_work/0
    // instead, which runs them once that interrupt returns (rules 4.3, 8).
    const start = (hardIrq: number) => cell.config.rt ? threadStart(m, hardIrq) : hardIrq;
    if (cell.arch.hasIrqWorkInterrupt) {
      // Latched while IRQs were off; taken as soon as they come back on.
      assert.equal(ra.startedAt, start(enableAt + irqEntryNs));
      assert.equal(rn.startedAt, start(nmiExit.time + irqExitNs + irqEntryNs));
    } else {
      assert.equal(ra.startedAt, start(tickRunStart(m, nextTick(m, enableAt))));
      assert.equal(rn.startedAt, start(tickRunStart(m, nextTick(m, nmiExit.time))));
    }
    for (const r of [ra, rn]) assertRanWhereConfigSays(cell, r, 0);
    noFindings(m);
  },
);

matrixTest(
  "rule 4.3: LAZY goes to the lazy list and raises only when the tick is stopped",
  LEGACY,
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const l1 = irqWorkInitLazy(spending(), "l1");
    const l2 = irqWorkInitLazy(spending(), "l2");
    const s1 = irqWorkInitLazy(spending(), "s1");
    const s2 = irqWorkInitLazy(spending(), "s2");
    let queuedAt = -1, lazyHead: unknown, raisedHead: unknown, tickStoppedInTask: boolean | undefined;
    // Tick running (a task is on the CPU): no raise, the works wait for the tick.
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      tickStoppedInTask = m.kernel.ticks.stopped(0);
      yield* ctx.queue(l1);
      yield* ctx.queue(l2);
      queuedAt = ctx.now;
      lazyHead = m.kernel.irqWork.lazyList.get(0).first;
      raisedHead = m.kernel.irqWork.raisedList.get(0).first;
    });
    // Tick stopped (NMI on the idle CPU): the first push raises, the second finds the list non-empty.
    let tickStoppedInNmi: boolean | undefined;
    let raisesBeforeNmi = -1;
    m.nmi(0, 10_000_000, function* (ctx) {
      tickStoppedInNmi = m.kernel.ticks.stopped(0);
      raisesBeforeNmi = selfRaises(events, 0).length;
      yield* ctx.queue(s1);
      yield* ctx.queue(s2);
    });
    m.runUntil(30_000_000);
    assert.equal(tickStoppedInTask, false);
    assert.equal(lazyHead, l2);
    assert.equal(l2.next, l1);
    assert.equal(raisedHead, null);
    assert.equal(raisesBeforeNmi, 0, "LAZY with the tick running never raises");
    // RT: the same list and raises, but whatever drains the lazy list on !RT only wakes irq_work/0,
    // which runs the works once that interrupt returns (rules 4.3, 8.1, 8.2).
    const start = (hardIrq: number) => cell.config.rt ? threadStart(m, hardIrq) : hardIrq;
    const tick = nextTick(m, queuedAt);
    assert.equal(runOf(m, l2).startedAt, start(tickRunStart(m, tick)));
    assert.equal(runOf(m, l1).startedAt, runOf(m, l2).endedAt);

    assert.equal(tickStoppedInNmi, true);
    const queued = events.filter((e) => e.type === "irq_work_queue");
    assert.deepEqual(queued.map((e) => e.type === "irq_work_queue" && e.list), [
      "lazy",
      "lazy",
      "lazy",
      "lazy",
    ]);
    const nmiExit = events.find((e) => e.type === "nmi_exit")!;
    if (cell.arch.hasIrqWorkInterrupt) {
      assert.equal(selfRaises(events, 0).length, 1, "one raise, on the empty edge");
      assert.equal(
        runOf(m, s2).startedAt,
        start(nmiExit.time + m.kernel.arch.timing.irqExitNs + m.kernel.arch.timing.irqEntryNs),
      );
    } else {
      // The raise is a no-op; the pending lazy work restarts the tick (rule 10.2).
      assert.equal(selfRaises(events, 0).length, 0);
      assert.equal(runOf(m, s2).startedAt, start(tickRunStart(m, nextTick(m, nmiExit.time))));
    }
    assert.equal(runOf(m, s1).startedAt, runOf(m, s2).endedAt);
    for (const w of [l1, l2, s1, s2]) {
      assert.equal(w.flags, IRQ_WORK_LAZY | CSD_TYPE_IRQ_WORK);
      assertRanWhereConfigSays(cell, runOf(m, w), w.flags);
    }
    noFindings(m);
  },
);

matrixTest(
  "rule 4.3: plain work goes to the raised list (RT: the lazy list) and raises on the empty edge only",
  LEGACY,
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const a = irqWorkInit(spending(), "a");
    const b = irqWorkInit(spending(), "b");
    const c = irqWorkInitHard(spending(), "c");
    const raisesAfter: number[] = [];
    let enableAt = -1, raisedHead: unknown, lazyHead: unknown;
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      yield* ctx.irqDisable();
      for (const w of [a, b, c]) {
        yield* ctx.queue(w);
        raisesAfter.push(selfRaises(events, 0).length);
      }
      raisedHead = m.kernel.irqWork.raisedList.get(0).first;
      lazyHead = m.kernel.irqWork.lazyList.get(0).first;
      yield* ctx.spend(1_000);
      enableAt = ctx.now;
      yield* ctx.irqEnable();
    });
    m.runUntil(20_000_000);
    assert.equal(raisedHead, c);
    if (cell.config.rt) {
      // RT: a and b join the lazy list; a's push found it empty and raises anyway (only to wake
      // irq_work/0); the HARD c goes to the raised list and raises on its own empty edge (rule 4.3).
      assert.equal(lazyHead, b);
      assert.equal(b.next, a);
      assert.deepEqual(queued(events), ["a:0:lazy", "b:0:lazy", "c:0:raised"]);
      const rc = runOf(m, c), rb = runOf(m, b), ra = runOf(m, a);
      if (cell.arch.hasIrqWorkInterrupt) {
        assert.deepEqual(raisesAfter, [1, 1, 2]);
        assert.deepEqual(selfRaises(events, 0).map((e) => e.type === "ipi_send_cpu" && e.callback), [
          "a",
          "c",
        ]);
        // Both raises latch the one pending self-interrupt, taken when IRQs come back on.
        assert.equal(m.interrupts.irq_work[0], hasIrqWorkLine(m) ? 1 : 0);
        assert.equal(rc.startedAt, enableAt + m.kernel.arch.timing.irqEntryNs);
      } else {
        assert.deepEqual(raisesAfter, [0, 0, 0]);
        assert.equal(rc.startedAt, tickRunStart(m, nextTick(m, enableAt)));
      }
      // run()/tick() drained the raised list (c), then woke the thread, which takes b, a (§8).
      assert.equal(rb.startedAt, threadStart(m, rc.endedAt));
      assert.equal(ra.startedAt, rb.endedAt);
      for (const r of [ra, rb, rc]) assertRanWhereConfigSays(cell, r, r.work.flags);
      assert.deepEqual(names(m.runs), ["c", "b", "a"]);
      noFindings(m);
      return;
    }
    assert.equal(lazyHead, null);
    assert.deepEqual(
      events.filter((e) => e.type === "irq_work_queue").map((e) => e.type === "irq_work_queue" && e.list),
      ["raised", "raised", "raised"],
    );
    if (cell.arch.hasIrqWorkInterrupt) {
      assert.deepEqual(raisesAfter, [1, 1, 1]);
      const raise = selfRaises(events, 0)[0]!;
      assert.equal(raise.type === "ipi_send_cpu" && raise.callback, "a");
      assert.equal(m.interrupts.irq_work[0], hasIrqWorkLine(m) ? 1 : 0);
      assert.equal(runOf(m, c).startedAt, enableAt + m.kernel.arch.timing.irqEntryNs);
    } else {
      // No self-interrupt: the raise is a no-op and leaves no trace.
      assert.deepEqual(raisesAfter, [0, 0, 0]);
      assert.equal(runOf(m, c).startedAt, tickRunStart(m, nextTick(m, enableAt)));
    }
    assert.deepEqual(names(m.runs), ["c", "b", "a"]);
    noFindings(m);
  },
);

matrixTest(
  "rule 4.4: without a self-interrupt the work waits for the tick and runs in the timer interrupt",
  LEGACY,
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const w = irqWorkInit(spending(), "w");
    let queuedAt = -1;
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      yield* ctx.queue(w);
      queuedAt = ctx.now;
      yield* ctx.spend(10_000);
    });
    m.runUntil(20_000_000);
    const run = runOf(m, w);
    assertRanWhereConfigSays(cell, run, 0);
    // RT: the plain work is on the lazy list; the interrupt that runs it on !RT (the tick, or the
    // self-interrupt) wakes irq_work/0 instead, which runs it once that interrupt returns (§4.3, §8).
    const rt = cell.config.rt;
    const start = (hardIrq: number) => rt ? threadStart(m, hardIrq) : hardIrq;
    /** When the interrupt drained the work (!RT) or woke the thread (RT). */
    const woke = (hardIrq: number) => {
      if (!rt) return;
      const wake = events.filter((e) => e.type === "sched_wakeup" && e.wakeComm === "irq_work/0");
      assert.deepEqual(wake.map((e) => e.time), [hardIrq]);
    };
    // The interrupt the work ran in, or (RT) that woke the thread: the last vector entry before.
    const entryBefore = (t: number) =>
      events.filter((e) => e.type === "irq_vector_entry" && e.time <= t).at(-1)!;
    const timerVector = m.kernel.arch.lines.find((l) => l.kind === "timer")!.vector;
    const tickEvents = ticks(events, 0);
    if (!cell.arch.hasIrqWorkInterrupt) {
      const tick = nextTick(m, queuedAt);
      assert.equal(run.startedAt, start(tickRunStart(m, tick)));
      woke(tickRunStart(m, tick));
      const entry = entryBefore(tickRunStart(m, tick));
      assert.equal(entry.type === "irq_vector_entry" && entry.vector, timerVector);
      assert.ok(tickEvents.some((e) => e.time === tick + m.kernel.arch.timing.irqEntryNs), "inside the tick");
      assert.equal(m.interrupts.irq_work[0], 0);
      assert.equal(
        run.task.comm,
        rt ? "irq_work/0" : "swapper/0",
        "the task had finished: the tick interrupted idle",
      );
    } else {
      // The raise is real: the work runs (RT: the thread is woken) at once, not at a tick.
      const raise = selfRaises(events, 0);
      assert.equal(raise.length, 1);
      const arrival = raise[0]!.time + selfIrqDelay(m) + m.kernel.arch.timing.irqEntryNs;
      woke(arrival);
      if (rt) {
        // The interrupt came while t was still inside queue() with preemption disabled (x86 then
        // finishes waiting for its ICR): irq_work/0 preempts t at the first preemption point after
        // the interrupt has returned.
        const sw = events.filter((e) => e.type === "sched_switch" && e.nextComm === "irq_work/0");
        assert.equal(sw.length, 1);
        assert.ok(sw[0]!.type === "sched_switch" && sw[0]!.prevComm === "t" && sw[0]!.prevState === "R+");
        assert.ok(sw[0]!.time >= arrival + m.kernel.arch.timing.irqExitNs);
        assert.equal(run.startedAt, sw[0]!.time + m.kernel.timing.contextSwitchNs);
      } else {
        assert.equal(run.startedAt, arrival);
      }
      assert.ok(run.startedAt < nextTick(m, queuedAt));
      assert.equal(tickEvents.filter((e) => e.time <= run.startedAt).length, 0);
      assert.equal(run.task.comm, rt ? "irq_work/0" : "t");
    }
    noFindings(m);
  },
);

// ---------------------------------------------------------------- §5 queueing on a chosen CPU

matrixTest("rule 5.1: on a UP build queueOn ignores the CPU and acts as queue", (cell) => {
  const m = cell.machine({ cpus: 1 });
  const events = record(m);
  const a = irqWorkInit(spending(), "a");
  const b = irqWorkInit(spending(), "b");
  const n = irqWorkInit(spending(), "n");
  const results: boolean[] = [];
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    results.push(yield* ctx.queueOn(a, 0));
    results.push(yield* ctx.queueOn(b, 5)); // no such CPU: ignored
    results.push(yield* ctx.queueOn(b, 5)); // pending: false, as queue
    yield* ctx.spend(1_000);
    yield* ctx.irqEnable();
  });
  m.nmi(0, 10_000_000, function* (ctx) {
    results.push(yield* ctx.queueOn(n, 3)); // "remote" from NMI: no warning on UP
  });
  m.runUntil(30_000_000);
  assert.deepEqual(results, [true, true, false, true]);
  const queued = events.filter((e) => e.type === "irq_work_queue");
  // RT: the local list of a plain work is the lazy list (rule 4.3).
  const list = cell.config.rt ? "lazy" : "raised";
  assert.deepEqual(queued.map((e) => e.type === "irq_work_queue" && [e.target, e.list]), [
    [0, list],
    [0, list],
    [0, list],
  ]);
  assert.equal(events.filter((e) => e.type === "csd_queue_cpu").length, 0);
  assert.deepEqual(names(m.runs), ["b", "a", "n"]);
  for (const r of m.runs) {
    assert.equal(r.cpu, 0);
    assertRanWhereConfigSays(cell, r, 0);
  }
  assert.equal(selfRaises(events, 0).length, cell.arch.hasIrqWorkInterrupt ? 2 : 0);
  noFindings(m);
});

matrixTest(
  "rule 5.2: queueOn warns once for an offline target, then claims, then goes local or remote",
  (cell) => {
    if (cell.arch.maxCpus < 2) {
      // UP build: no offline check at all (rule 5.1).
      const m = cell.machine({ cpus: 1 });
      const w = irqWorkInit(spending(), "w");
      m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
        assert.equal(yield* ctx.queueOn(w, 1), true);
      });
      m.runUntil(10_000_000);
      assert.equal(runOf(m, w).cpu, 0);
      noFindings(m);
      return;
    }
    const m = cell.machine({ cpus: 3 });
    const events = record(m);
    const p = irqWorkInit(spending(), "p"); // already pending when the offline queueOn comes
    const a = irqWorkInit(spending(), "a");
    const b = irqWorkInit(spending(), "b");
    const l = irqWorkInitLazy(spending(), "l");
    const own = irqWorkInit(spending(), "own");
    const results: Record<string, boolean> = {};
    let warnedAfterP2 = -1;
    m.setCpuOnline(1, false);
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      yield* ctx.irqDisable();
      results.p1 = yield* ctx.queue(p);
      // (a) before (b): the warning comes even though the claim then fails.
      results.p2 = yield* ctx.queueOn(p, 1);
      warnedAfterP2 = findingsWith(m, "irq_work_queue_on", "offline").length;
      results.a = yield* ctx.queueOn(a, 1); // offline again: no second warning, queued anyway
      results.b = yield* ctx.queueOn(b, 2);
      results.b2 = yield* ctx.queueOn(b, 2); // (b) claim fails
      results.own = yield* ctx.queueOn(own, 0); // (d) local target: local enqueue
      results.l = yield* ctx.queueOn(l, 0); // (d) LAZY local target: the lazy list
      yield* ctx.spend(1_000);
      yield* ctx.irqEnable();
    });
    m.runUntil(30_000_000);
    assert.deepEqual(results, { p1: true, p2: false, a: true, b: true, b2: false, own: true, l: true });
    assert.equal(warnedAfterP2, 1, "the offline check comes before the (failing) claim");
    const offline = findingsWith(m, "irq_work_queue_on", "cpu_is_offline(cpu)");
    assert.equal(offline.length, 1, "warned once");
    assert.equal(offline[0]!.level, "WARN");
    assert.equal(offline[0]!.cpu, 0);
    assert.equal(offline[0]!.comm, "t");
    // CPU 1 flushes its call-single queue while offline (rule 12.4): the entry there is a itself,
    // or on RT CPU 1's irq_work_wake (§5.5).
    const flushed = findingsWith(m, "offline CPU 1");
    assert.equal(flushed.length, 1);
    assert.ok(flushed[0]!.message.includes(`callback ${cell.config.rt ? "irq_work_wake" : "a"} `));
    assert.equal(m.panicked, false);
    // Where each went.
    if (cell.config.rt) {
      // RT: plain works join the lazy list locally; remote ones join the target's lazy list, and
      // the target's HARD irq_work_wake travels through its call-single queue (rules 4.3, 5.5).
      assert.deepEqual(queued(events), [
        "p:0:lazy",
        "a:1:lazy",
        "irq_work_wake:1:call_single",
        "b:2:lazy",
        "irq_work_wake:2:call_single",
        "own:0:lazy",
        "l:0:lazy",
      ]);
    } else {
      assert.deepEqual(queued(events), [
        "p:0:raised",
        "a:1:call_single",
        "b:2:call_single",
        "own:0:raised",
        "l:0:lazy",
      ]);
    }
    assert.equal(runOf(m, a).cpu, 1, "the offline CPU still got it");
    assert.equal(runOf(m, b).cpu, 2);
    assert.equal(runOf(m, own).cpu, 0);
    assert.equal(runOf(m, l).cpu, 0);
    assert.equal(runOf(m, p).cpu, 0);
    for (const w of [a, b, own, l, p]) assertRanWhereConfigSays(cell, runOf(m, w), w.flags);
    // Local entries never touch the call-single queue.
    const csd = events.filter((e) => e.type === "csd_queue_cpu").map((e) =>
      e.type === "csd_queue_cpu" && e.target
    );
    assert.deepEqual(csd, [1, 2]);
  },
);

matrixTest("rule 5.3: a remote queueOn from NMI warns once and goes on", (cell) => {
  const cpus = Math.min(2, cell.arch.maxCpus);
  const m = cell.machine({ cpus });
  const a = irqWorkInit(spending(), "a");
  const b = irqWorkInit(spending(), "b");
  const local = irqWorkInit(spending(), "local");
  const results: boolean[] = [];
  m.nmi(0, 1_000_000, function* (ctx) {
    // On UP the CPU is ignored (rule 5.1): everything is local and nothing warns.
    results.push(yield* ctx.queueOn(a, cpus - 1));
    results.push(yield* ctx.queueOn(b, cpus - 1));
    results.push(yield* ctx.queueOn(local, 0));
  });
  m.runUntil(20_000_000);
  assert.deepEqual(results, [true, true, true]);
  const nmiWarnings = findingsWith(m, "in_nmi()");
  if (cpus > 1) {
    assert.equal(nmiWarnings.length, 1, "warned once for two remote queues");
    assert.equal(nmiWarnings[0]!.level, "WARN");
    assert.equal(nmiWarnings[0]!.context, "nmi");
    assert.equal(nmiWarnings[0]!.cpu, 0);
    // !RT: the call-single queue, oldest first. RT: CPU 1's lazy list, behind its irq_work_wake,
    // drained newest first by irq_work/1 (rules 5.5, 7.3).
    assert.deepEqual(
      names(m.runs.filter((r) => r.cpu === 1)),
      cell.config.rt ? ["irq_work_wake", "b", "a"] : ["a", "b"],
    );
  } else {
    assert.equal(nmiWarnings.length, 0);
    assert.deepEqual(names(m.runs), ["local", "b", "a"], "one local list, newest first");
    for (const r of m.runs) assert.equal(r.cpu, 0);
  }
  assert.equal(runOf(m, local).cpu, 0);
  for (const w of [a, b, local]) assertRanWhereConfigSays(cell, runOf(m, w), 0);
  assert.equal(m.findings.length, nmiWarnings.length, "no other finding");
});

// SMP only: on UP there is no remote CPU (rule 5.1 is tested above).
matrixTest(
  "rule 5.4: remote works go through the call-single queue; LAZY is ignored",
  { skip: smpOnly, ...LEGACY },
  (cell) => {
    // On RT the rule covers HARD works only (a non-HARD one takes §5.5, checked below): there the
    // work is LAZY|HARD, and everything else is as on !RT.
    const kind = IRQ_WORK_LAZY | (cell.config.rt ? IRQ_WORK_HARD_IRQ : 0);
    // The target idle with its tick stopped, or busy with its tick running: either way the
    // LAZY work runs in the call-function interrupt, neither waiting for nor inside a tick.
    for (const targetBusy of [false, true]) {
      const m = cell.machine({ cpus: 2 });
      const events = record(m);
      const l = workOf(kind, "l");
      let tick1Stopped: boolean | undefined;
      let lazyHead1: unknown = "unset";
      if (targetBusy) {
        m.spawn({ cpu: 1, name: "busy", at: 500_000 }, function* (ctx) {
          yield* ctx.spend(10_000_000);
        });
      }
      m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
        tick1Stopped = m.kernel.ticks.stopped(1);
        assert.equal(yield* ctx.queueOn(l, 1), true);
        lazyHead1 = m.kernel.irqWork.lazyList.get(1).first;
      });
      m.runUntil(20_000_000);
      const what = targetBusy ? "busy target" : "idle target";
      assert.equal(tick1Stopped, !targetBusy, what);
      assert.equal(lazyHead1, null, `${what}: not on the target's lazy list`);
      const q = events.filter((e) => e.type === "irq_work_queue");
      assert.deepEqual(q.map((e) => e.type === "irq_work_queue" && [e.target, e.list]), [[1, "call_single"]]);
      const csd = events.filter((e) => e.type === "csd_queue_cpu");
      assert.deepEqual(csd.map((e) => e.type === "csd_queue_cpu" && [e.cpu, e.target]), [[0, 1]]);
      const ipi = events.filter((e) => e.type === "ipi_send_cpu");
      assert.deepEqual(ipi.map((e) => e.type === "ipi_send_cpu" && [e.cpu, e.target]), [[0, 1]]);
      const run = runOf(m, l);
      assert.equal(run.cpu, 1);
      assert.equal(run.context, "hardirq");
      assert.equal(run.task.comm, targetBusy ? "busy" : "swapper/1");
      // Runs when CPU 1 takes the call-function interrupt.
      const arrival = ipi[0]!.time + m.kernel.arch.timing.ipiLatencyNs;
      assert.equal(run.startedAt, arrival + m.kernel.arch.timing.irqEntryNs, what);
      assert.equal(m.interrupts.call_function_single[1], 1);
      assert.ok(run.endedAt < nextTick(m, arrival), `${what}: done before CPU 1's next tick`);
      assert.equal(ticks(events, 1).filter((e) => e.time <= run.endedAt).length, 0);
      if (!targetBusy) assert.equal(ticks(events, 1).length, 0, "the idle target had no tick at all");
      assert.equal(m.interrupts.irq_work[1], 0);
      assert.equal(l.flags, kind | CSD_TYPE_IRQ_WORK);
      noFindings(m);
    }
  },
);

matrixTest(
  "rule 5.5: on RT a remote LAZY work joins the target's lazy list and does not wait for its tick either",
  { skip: rtSmpOnly, ...LEGACY },
  (cell) => {
    // RT, plain LAZY work (rule 5.5): it joins CPU 1's lazy list and CPU 1's HARD irq_work_wake
    // goes through the call-single queue; the wake-up's interrupt wakes irq_work/1, which runs the
    // work at once: LAZY still does not wait for CPU 1's tick.
    for (const targetBusy of [false, true]) {
      const m = cell.machine({ cpus: 2 });
      const events = record(m);
      const l = irqWorkInitLazy(spending(), "l");
      let lazyHead1: unknown = "unset";
      if (targetBusy) {
        m.spawn({ cpu: 1, name: "busy", at: 500_000 }, function* (ctx) {
          yield* ctx.spend(10_000_000);
        });
      }
      m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
        assert.equal(yield* ctx.queueOn(l, 1), true);
        lazyHead1 = m.kernel.irqWork.lazyList.get(1).first;
      });
      m.runUntil(20_000_000);
      const what = targetBusy ? "RT, busy target" : "RT, idle target";
      assert.equal(lazyHead1, l, what);
      assert.deepEqual(queued(events), ["l:1:lazy", "irq_work_wake:1:call_single"], what);
      const csd = events.filter((e) => e.type === "csd_queue_cpu");
      assert.deepEqual(csd.map((e) => e.type === "csd_queue_cpu" && [e.cpu, e.target, e.func]), [
        [0, 1, "irq_work_wake"],
      ]);
      const ipi = events.filter((e) => e.type === "ipi_send_cpu");
      assert.deepEqual(ipi.map((e) => e.type === "ipi_send_cpu" && [e.cpu, e.target]), [[0, 1]]);
      const arrival = ipi[0]!.time + m.kernel.arch.timing.ipiLatencyNs;
      const wakeup = runOf(m, m.kernel.irqWork.wakeup.get(1));
      assert.equal(wakeup.cpu, 1);
      assert.equal(wakeup.context, "hardirq");
      assert.equal(wakeup.startedAt, arrival + m.kernel.arch.timing.irqEntryNs, what);
      const run = runOf(m, l);
      assert.equal(run.cpu, 1);
      assertRanWhereConfigSays(cell, run, l.flags, what);
      assert.equal(run.startedAt, threadStart(m, wakeup.endedAt), what);
      assert.ok(run.endedAt < nextTick(m, arrival), `${what}: done before CPU 1's next tick`);
      assert.equal(ticks(events, 1).filter((e) => e.time <= run.endedAt).length, 0, what);
      assert.equal(m.interrupts.call_function_single[1], 1);
      assert.equal(m.interrupts.irq_work[1], 0);
      assert.equal(l.flags, IRQ_WORK_LAZY | CSD_TYPE_IRQ_WORK);
      assert.equal(
        m.kernel.irqWork.wakeup.get(1).flags,
        IRQ_WORK_HARD_IRQ | CSD_TYPE_IRQ_WORK,
        "wake-up released",
      );
      noFindings(m);
    }
  },
);

matrixTest("rule 5.6: queueOn returns true whenever its claim succeeded", (cell) => {
  const cpus = Math.min(2, cell.arch.maxCpus);
  const m = cell.machine({ cpus });
  const remote = cpus - 1;
  const works = ["local", "remote", "offline", "nmi"].map((n) => irqWorkInit(spending(), n));
  const [local, rem, off, nmi] = works as [IrqWork, IrqWork, IrqWork, IrqWork];
  const results: [string, boolean][] = [];
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable(); // nothing runs meanwhile: local works wait, remote IPIs take 1 µs+
    results.push(["local", yield* ctx.queueOn(local, 0)]);
    results.push(["remote", yield* ctx.queueOn(rem, remote)]);
    if (cpus > 1) m.setCpuOnline(1, false);
    results.push(["offline", yield* ctx.queueOn(off, remote)]);
    results.push(["pending", yield* ctx.queueOn(off, remote)]);
    yield* ctx.irqEnable();
  });
  m.nmi(0, 10_000_000, function* (ctx) {
    results.push(["nmi", yield* ctx.queueOn(nmi, remote)]);
  });
  m.runUntil(30_000_000);
  assert.deepEqual(results, [
    ["local", true],
    ["remote", true],
    ["offline", true],
    ["pending", false],
    ["nmi", true],
  ]);
  // Every successful claim led to exactly one run (RT: in irq_work/N, rule 5.5).
  for (const w of works) {
    assert.equal(runOf(m, w).cpu, w === local ? 0 : remote, w.name);
    assertRanWhereConfigSays(cell, runOf(m, w), 0);
  }
  assert.equal(m.panicked, false);
});

// ---------------------------------------------------------------- §7 draining and ordering

matrixTest("rule 7.1: local lists run newest first", LEGACY, (cell) => {
  const m = cell.machine({ cpus: 1 });
  const raised = ["a", "b", "c"].map((n) => irqWorkInit(spending(), n));
  const lazy = ["x", "y", "z"].map((n) => irqWorkInitLazy(spending(), n));
  let enableAt = -1, lazyAt = -1;
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    for (const w of raised) yield* ctx.queue(w);
    yield* ctx.spend(1_000);
    enableAt = ctx.now;
    yield* ctx.irqEnable();
    yield* ctx.sleep(5_000_000);
    for (const w of lazy) yield* ctx.queue(w);
    lazyAt = ctx.now;
  });
  m.runUntil(30_000_000);
  assert.deepEqual(names(m.runs), ["c", "b", "a", "z", "y", "x"]);
  const [c, b, a, z, y, x] = m.runs as [WorkRun, WorkRun, WorkRun, WorkRun, WorkRun, WorkRun];
  // RT: both groups are on the lazy list, drained newest first by irq_work/0, which the interrupt
  // that drains them on !RT wakes instead (rules 4.3, 8, 9.4).
  const start = (hardIrq: number) => cell.config.rt ? threadStart(m, hardIrq) : hardIrq;
  const first = cell.arch.hasIrqWorkInterrupt
    ? enableAt + m.kernel.arch.timing.irqEntryNs
    : tickRunStart(m, nextTick(m, enableAt));
  assert.equal(c.startedAt, start(first));
  // One drain: each starts when the previous ends.
  assert.equal(b.startedAt, c.endedAt);
  assert.equal(a.startedAt, b.endedAt);
  assert.equal(z.startedAt, start(tickRunStart(m, nextTick(m, lazyAt))));
  assert.equal(y.startedAt, z.endedAt);
  assert.equal(x.startedAt, y.endedAt);
  for (const r of m.runs) assertRanWhereConfigSays(cell, r, r.work.flags);
  noFindings(m);
});

matrixTest(
  "rule 7.1: draining with IRQs enabled is a BUG on !RT (even an empty list), allowed on RT",
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const l = irqWorkInitLazy(spending(), "l");
    let reachedAfter = false;
    m.spawn({ cpu: 0, name: "drainer", at: 1_000_000 }, function* (ctx) {
      yield* ctx.queue(l); // LAZY, tick running: stays on the lazy list
      assert.equal(ctx.irqsDisabled, false);
      yield* m.kernel.irqWork.irqWorkRunList(m.kernel.cpus[0]!, m.kernel.irqWork.lazyList.get(0));
      reachedAfter = true;
    });
    m.runUntil(20_000_000);
    if (cell.config.rt) {
      // RT (C+): no check; the drain takes the list and runs it right here, IRQs on (as irq_work/N does).
      assert.equal(m.panicked, false);
      noFindings(m);
      assert.equal(reachedAfter, true);
      assert.equal(m.kernel.irqWork.lazyList.get(0).first, null, "the list was taken");
      const run = runOf(m, l);
      assert.equal(run.context, "task");
      assert.equal(run.task.comm, "drainer");
      assert.equal(run.irqsDisabled, false);
      // An empty list: nothing to do, no finding either.
      const m2 = cell.machine({ cpus: 1 });
      let returned = false;
      m2.spawn({ cpu: 0, name: "drainer", at: 1_000_000 }, function* () {
        yield* m2.kernel.irqWork.irqWorkRunList(m2.kernel.cpus[0]!, m2.kernel.irqWork.raisedList.get(0));
        returned = true;
      });
      m2.runUntil(20_000_000);
      assert.equal(returned, true);
      assert.equal(m2.panicked, false);
      noFindings(m2);
      assert.equal(m2.runs.length, 0);
      return;
    }
    assert.equal(m.panicked, true);
    assert.equal(m.findings.length, 1);
    const bug = m.findings[0]!;
    assert.equal(bug.level, "BUG");
    assert.equal(bug.context, "task");
    assert.equal(bug.comm, "drainer");
    assert.equal(bug.cpu, 0);
    assert.equal(m.runs.length, 0, "nothing ran");
    assert.equal(m.kernel.irqWork.lazyList.get(0).first, l, "the list was not taken");
    assert.equal(reachedAfter, false, "the machine stopped");

    const m2 = cell.machine({ cpus: 1 });
    m2.spawn({ cpu: 0, name: "drainer", at: 1_000_000 }, function* () {
      yield* m2.kernel.irqWork.irqWorkRunList(m2.kernel.cpus[0]!, m2.kernel.irqWork.raisedList.get(0));
    });
    m2.runUntil(20_000_000);
    assert.equal(m2.panicked, true, "the check comes before the emptiness test");
    assert.deepEqual(m2.findings.map((f) => f.level), ["BUG"]);
  },
);

matrixTest("rule 7.1: a drain with IRQs disabled from a task runs the list newest first in place", (cell) => {
  const m = cell.machine({ cpus: 1 });
  const lazy = ["x", "y", "z"].map((n) => irqWorkInitLazy(spending(), n));
  m.spawn({ cpu: 0, name: "drainer", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    for (const w of lazy) yield* ctx.queue(w);
    yield* m.kernel.irqWork.irqWorkRunList(m.kernel.cpus[0]!, m.kernel.irqWork.lazyList.get(0));
    yield* ctx.irqEnable();
  });
  m.runUntil(20_000_000);
  assert.deepEqual(names(m.runs), ["z", "y", "x"]);
  for (const r of m.runs) {
    assert.equal(r.context, "task");
    assert.equal(r.irqsDisabled, true);
    assert.equal(r.task.comm, "drainer");
  }
  noFindings(m);
});

matrixTest(
  "rule 7.2: works queued during a drain run in a later drain, after a new raise",
  LEGACY,
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const b = irqWorkInit(spending(), "b");
    const a = irqWorkInit(spending(), "a");
    let pushedOnto: unknown = "unset";
    // RT: plain works go to the lazy list (rule 4.3).
    const list = (cell.config.rt ? m.kernel.irqWork.lazyList : m.kernel.irqWork.raisedList).get(0);
    const c = irqWorkInit(function* (_w, ctx) {
      yield* ctx.queue(b);
      pushedOnto = list.first === b && b.next === null;
      yield* ctx.spend(100);
    }, "c");
    let enableAt = -1;
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      yield* ctx.irqDisable();
      yield* ctx.queue(a);
      yield* ctx.queue(c);
      yield* ctx.spend(1_000);
      enableAt = ctx.now;
      yield* ctx.irqEnable();
    });
    m.runUntil(30_000_000);
    // c drains first and queues b; a still runs in this drain, b only in the next.
    assert.deepEqual(names(m.runs), ["c", "a", "b"]);
    assert.equal(pushedOnto, true, "b went onto the fresh, empty list");
    const [rc, ra, rb] = m.runs as [WorkRun, WorkRun, WorkRun];
    assert.equal(ra.startedAt, rc.endedAt);
    const { irqEntryNs, irqExitNs } = m.kernel.arch.timing;
    if (cell.config.rt) {
      // RT: irq_work/0 runs the drain. b's push found the lazy list empty and raised where there is a
      // self-interrupt (its run() finds the thread awake); either way the thread's loop sees the list
      // non-empty after this drain and drains it again at once (rules 4.3, 9.4).
      const woken = cell.arch.hasIrqWorkInterrupt
        ? enableAt + irqEntryNs
        : tickRunStart(m, nextTick(m, enableAt));
      assert.equal(rc.startedAt, threadStart(m, woken));
      assert.equal(selfRaises(events, 0).length, cell.arch.hasIrqWorkInterrupt ? 2 : 0);
      assert.equal(rb.startedAt, ra.endedAt);
      for (const r of m.runs) assertRanWhereConfigSays(cell, r, 0);
    } else if (cell.arch.hasIrqWorkInterrupt) {
      assert.equal(rc.startedAt, enableAt + irqEntryNs);
      assert.equal(selfRaises(events, 0).length, 2, "b's push saw the empty list and raised");
      assert.equal(rb.startedAt, ra.endedAt + irqExitNs + irqEntryNs);
      if (hasIrqWorkLine(m)) assert.equal(m.interrupts.irq_work[0], 2);
    } else {
      const tick = nextTick(m, enableAt);
      assert.equal(rc.startedAt, tickRunStart(m, tick));
      assert.equal(rb.startedAt, tickRunStart(m, tick + m.kernel.ticks.periodNs));
    }
    noFindings(m);
  },
);

// SMP only: a UP build has no call-single delivery of irq_work.
matrixTest(
  "rule 7.3: works delivered through the call-single queue run oldest first",
  { skip: smpOnly, ...LEGACY },
  (cell) => {
    // On RT only HARD works take the call-single queue (rule 5.4): use those; plain ones below.
    const kind = cell.config.rt ? IRQ_WORK_HARD_IRQ : 0;
    const m = cell.machine({ cpus: 2 });
    const events = record(m);
    const works = ["a", "b", "c"].map((n) => workOf(kind, n));
    let lastQueueAt = -1;
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      for (const w of works) assert.equal(yield* ctx.queueOn(w, 1), true);
      lastQueueAt = ctx.now;
    });
    m.runUntil(20_000_000);
    assert.deepEqual(names(m.runs), ["a", "b", "c"]);
    const ipi = events.filter((e) => e.type === "ipi_send_cpu");
    assert.equal(ipi.length, 1, "one IPI: only the first push found the queue empty");
    const arrival = ipi[0]!.time + m.kernel.arch.timing.ipiLatencyNs;
    assert.ok(lastQueueAt < arrival, "all three queued before the IPI arrived");
    const [ra, rb, rc] = m.runs as [WorkRun, WorkRun, WorkRun];
    assert.equal(ra.startedAt, arrival + m.kernel.arch.timing.irqEntryNs);
    assert.equal(rb.startedAt, ra.endedAt);
    assert.equal(rc.startedAt, rb.endedAt);
    for (const r of m.runs) {
      assert.equal(r.cpu, 1);
      assert.equal(r.context, "hardirq");
    }
    assert.equal(m.interrupts.call_function_single[1], 1);
    noFindings(m);
  },
);

matrixTest(
  "rule 7.3: on RT remote plain works wait on the target's lazy list and run newest first in irq_work/N",
  { skip: rtSmpOnly, ...LEGACY },
  (cell) => {
    // RT, plain works (rules 5.5, 7.3): they join CPU 1's lazy list; only the first push found it
    // empty and sent CPU 1's irq_work_wake; irq_work/1 then runs them newest first.
    const m2 = cell.machine({ cpus: 2 });
    const events2 = record(m2);
    const plain = ["a", "b", "c"].map((n) => irqWorkInit(spending(), n));
    m2.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      for (const w of plain) assert.equal(yield* ctx.queueOn(w, 1), true);
    });
    m2.runUntil(20_000_000);
    assert.deepEqual(queued(events2), ["a:1:lazy", "irq_work_wake:1:call_single", "b:1:lazy", "c:1:lazy"]);
    assert.deepEqual(names(m2.runs), ["irq_work_wake", "c", "b", "a"]);
    const ipi2 = events2.filter((e) => e.type === "ipi_send_cpu");
    assert.equal(ipi2.length, 1);
    const [rw, rc2, rb2, ra2] = m2.runs as [WorkRun, WorkRun, WorkRun, WorkRun];
    assert.equal(
      rw.startedAt,
      ipi2[0]!.time + m2.kernel.arch.timing.ipiLatencyNs + m2.kernel.arch.timing.irqEntryNs,
    );
    assert.equal(rw.context, "hardirq");
    assert.equal(rc2.startedAt, threadStart(m2, rw.endedAt));
    assert.equal(rb2.startedAt, rc2.endedAt);
    assert.equal(ra2.startedAt, rb2.endedAt);
    for (const r of [rc2, rb2, ra2]) {
      assert.equal(r.cpu, 1);
      assertRanWhereConfigSays(cell, r, 0);
    }
    assert.equal(m2.interrupts.call_function_single[1], 1);
    noFindings(m2);
  },
);

// ---------------------------------------------------------------- §8 entry points that drain

matrixTest(
  "rule 8.1: run() drains the raised list, then the lazy list (RT: wakes irq_work/N)",
  LEGACY,
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    // On RT only HARD works use the raised list (rule 4.3): p1, p2 are HARD there.
    const kind = cell.config.rt ? IRQ_WORK_HARD_IRQ : 0;
    const l1 = irqWorkInitLazy(spending(), "l1");
    const l2 = irqWorkInitLazy(spending(), "l2");
    const p1 = workOf(kind, "p1");
    const p2 = workOf(kind, "p2");
    let enableAt = -1;
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      yield* ctx.irqDisable();
      for (const w of [l1, p1, l2, p2]) yield* ctx.queue(w);
      yield* ctx.spend(1_000);
      enableAt = ctx.now;
      yield* ctx.irqEnable();
    });
    m.runUntil(20_000_000);
    assert.deepEqual(names(m.runs), ["p2", "p1", "l2", "l1"]);
    for (let i = 1; i < 4; i++) {
      // RT: run()/tick() only wakes irq_work/0 for the lazy list; it runs l2, l1 once the interrupt returns.
      const after = cell.config.rt && i === 2 ? threadStart(m, m.runs[1]!.endedAt) : m.runs[i - 1]!.endedAt;
      assert.equal(m.runs[i]!.startedAt, after, "one interrupt (RT: then one thread wake-up)");
    }
    for (const r of m.runs) assertRanWhereConfigSays(cell, r, r.work.flags);
    if (cell.arch.hasIrqWorkInterrupt) {
      // The self-interrupt's run() takes the lazy works too, long before the tick.
      assert.equal(m.runs[0]!.startedAt, enableAt + m.kernel.arch.timing.irqEntryNs);
      assert.equal(ticks(events, 0).filter((e) => e.time <= m.runs[3]!.endedAt).length, 0);
      if (hasIrqWorkLine(m)) assert.equal(m.interrupts.irq_work[0], 1);
    } else {
      // No run(): the tick does the same two drains in the same order (rule 8.2).
      assert.equal(m.runs[0]!.startedAt, tickRunStart(m, nextTick(m, enableAt)));
    }
    noFindings(m);
  },
);

matrixTest(
  "rule 8.2: the tick drains the raised list only without a self-interrupt; the lazy list always",
  LEGACY,
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const l = irqWorkInitLazy(spending(), "l");
    // On RT only HARD works use the raised list (rule 4.3): p is HARD there.
    const p = workOf(cell.config.rt ? IRQ_WORK_HARD_IRQ : 0, "p");
    let queuedAt = -1;
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      // p first: where it raises, its run() (which also takes the lazy list, §8.1) is over before l.
      yield* ctx.queue(p);
      yield* ctx.spend(10_000);
      yield* ctx.queue(l);
      queuedAt = ctx.now;
      yield* ctx.spend(10_000_000); // keep the CPU busy over two ticks
    });
    m.runUntil(20_000_000);
    const tick = nextTick(m, queuedAt);
    const rl = runOf(m, l), rp = runOf(m, p);
    const tickEvent = ticks(events, 0).find((e) => e.time === tick + m.kernel.arch.timing.irqEntryNs);
    assert.ok(tickEvent, "the tick fired");
    // RT: the tick wakes irq_work/0 instead of draining the lazy list; the thread preempts t and
    // runs l once the timer interrupt returns (rule 8.2).
    const rt = cell.config.rt;
    if (cell.arch.hasIrqWorkInterrupt) {
      assert.ok(rp.endedAt < tick, "the raised work ran from the self-interrupt");
      assert.equal(rl.startedAt, rt ? threadStart(m, tickRunStart(m, tick)) : tickRunStart(m, tick));
    } else {
      assert.equal(rp.startedAt, tickRunStart(m, tick), "the raised list first");
      assert.equal(rl.startedAt, rt ? threadStart(m, rp.endedAt) : rp.endedAt, "then the lazy list");
    }
    for (const r of [rl, rp]) {
      assertRanWhereConfigSays(cell, r, r.work.flags);
      if (!rt || r === rp) assert.equal(r.task.comm, "t");
    }
    noFindings(m);
  },
);

matrixTest("rule 8.3: a CPU with its tick stopped gets no tick, so its lazy list waits", LEGACY, (cell) => {
  const m = cell.machine({ cpus: 1 });
  const events = record(m);
  const l = irqWorkInitLazy(spending(), "l");
  let stoppedAtPush: boolean | undefined;
  // White-box: put a claimed LAZY work on the idle CPU's lazy list without any raise.
  m.at(1_000_000, "push a lazy work", () => {
    stoppedAtPush = m.kernel.ticks.stopped(0);
    l.flags |= IRQ_WORK_CLAIMED | CSD_TYPE_IRQ_WORK;
    drive(llistAdd(m.kernel.memory, 0, l, m.kernel.irqWork.lazyList.get(0)));
  });
  m.runUntil(30_000_000);
  assert.equal(stoppedAtPush, true);
  assert.equal(ticks(events, 0).length, 0, "no tick while stopped");
  assert.equal(m.interrupts.timer[0], 0);
  assert.equal(m.runs.length, 0);
  // A task wake-up restarts the tick; the next one drains the lazy list.
  m.spawn({ cpu: 0, name: "t", at: 30_000_000 }, function* () {});
  m.runUntil(40_000_000);
  const run = runOf(m, l);
  // RT: that tick wakes irq_work/0, which runs it after the interrupt returns (rule 8.2).
  const drainAt = tickRunStart(m, 32_000_000);
  assert.equal(run.startedAt, cell.config.rt ? threadStart(m, drainAt) : drainAt);
  assertRanWhereConfigSays(cell, run, l.flags);
  assert.equal(ticks(events, 0)[0]!.time, 32_000_000 + m.kernel.arch.timing.irqEntryNs);
  noFindings(m);
});

matrixTest("rule 8.5: with a self-interrupt the tick never drains the raised list", LEGACY, (cell) => {
  // On RT only HARD works use the raised list (rule 4.3): the works are HARD there.
  const kind = cell.config.rt ? IRQ_WORK_HARD_IRQ : 0;
  // Part 1: IRQs off across a tick. The work runs from the self-interrupt (before the tick's
  // handler) where there is one, inside the tick where there is none.
  {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const w = workOf(kind, "w");
    let enableAt = -1;
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      yield* ctx.irqDisable();
      yield* ctx.queue(w);
      yield* ctx.spend(5_000_000); // the 4 ms tick is latched meanwhile
      enableAt = ctx.now;
      yield* ctx.irqEnable();
    });
    m.runUntil(20_000_000);
    const run = runOf(m, w);
    assertRanWhereConfigSays(cell, run, kind);
    const tick = ticks(events, 0)[0]!;
    const start = events.find((e) => e.type === "irq_work_execute_start")!;
    if (cell.arch.hasIrqWorkInterrupt) {
      assert.equal(run.startedAt, enableAt + m.kernel.arch.timing.irqEntryNs);
      assert.ok(tick.time >= run.endedAt, "the tick came after the run");
      assert.ok(events.indexOf(start) < events.indexOf(tick));
    } else {
      assert.equal(run.startedAt, enableAt + m.kernel.arch.timing.irqEntryNs + m.kernel.timing.tickNs);
      assert.ok(events.indexOf(tick) < events.indexOf(start), "run inside the tick");
    }
    noFindings(m);
  }
  // Part 2: white-box, a work on the raised list with no raise pending, ticks running.
  {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const w = workOf(kind, "w");
    m.spawn({ cpu: 0, name: "busy", at: 0 }, function* (ctx) {
      yield* ctx.spend(25_000_000);
    });
    m.at(1_000_000, "push a raised work", () => {
      w.flags |= IRQ_WORK_CLAIMED | CSD_TYPE_IRQ_WORK;
      drive(llistAdd(m.kernel.memory, 0, w, m.kernel.irqWork.raisedList.get(0)));
    });
    m.runUntil(22_000_000);
    assert.equal(ticks(events, 0).length, 5, "ticks at 4, 8, 12, 16, 20 ms");
    if (cell.arch.hasIrqWorkInterrupt) {
      assert.equal(m.runs.length, 0, "five ticks, never drained");
      assert.equal(m.kernel.irqWork.raisedList.get(0).first, w);
      assert.equal(w.flags, kind | IRQ_WORK_CLAIMED | CSD_TYPE_IRQ_WORK);
    } else {
      assert.equal(runOf(m, w).startedAt, tickRunStart(m, 4_000_000));
      assertRanWhereConfigSays(cell, runOf(m, w), kind);
      assert.equal(m.kernel.irqWork.raisedList.get(0).first, null);
    }
    noFindings(m);
  }
});
