/**
 * Conformance tests for docs/rules.md §0 (model), §10 (tick-stop interaction),
 * §12 (cross-CPU delivery) and §13 (warnings and fatal checks), each named
 * by its rule number and run over the arch x config matrix where the
 * behaviour may depend on the arch. Every matrix test runs on !RT and on
 * PREEMPT_RT cells: where RT changes the expectation (plain works join the
 * lazy list and run in irq_work/N, remote ones arrive as the HARD wake-up
 * work `irq_work_wake`, the drain's IRQs-off BUG is !RT only), the RT
 * branch says so; where a rule is about a path plain works no longer take
 * on RT, the RT cell uses HARD works for it.
 *
 * Times used below: HZ=250, so ticks fall on multiples of 4 ms. Scenarios
 * start a little after a tick boundary (10 ms + 100 ns) so that nothing
 * coincides with a tick unless the test wants it to.
 */

import assert from "node:assert/strict";
import {
  createMachine,
  irqWorkInit,
  irqWorkInitHard,
  irqWorkInitLazy,
  type Machine,
  type TraceEvent,
} from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { type Cell, LEGACY, matrixTest, rtOnly, rtSmpOnly, smpOnly } from "./matrix.ts";
import { record } from "./helpers.ts";

const PERIOD = 4_000_000;
/** A point in time a little after the tick at 8 ms, before the one at 12 ms. */
const T0 = 10_000_100;

/**
 * Self-interrupt raises: `ipi_send_cpu` events from `irq_work_queue`, on any CPU
 * (file-local: helpers.ts `selfRaises` selects by CPU, not by callsite).
 */
function selfRaises(events: readonly TraceEvent[]): TraceEvent[] {
  return events.filter((e) => e.type === "ipi_send_cpu" && e.callsite === "irq_work_queue");
}

/**
 * The initialiser of a work that takes the non-threaded path in this cell:
 * a plain work on !RT, a HARD one on RT (where plain works are threaded, §4.3, §5.5).
 */
function hardOnRt(cell: Cell): typeof irqWorkInit {
  return cell.config.rt ? irqWorkInitHard : irqWorkInit;
}

/** Runs other than the RT wake-up work `irq_work_wake`, as [name, cpu, context, comm]. */
function realRuns(m: Machine): [string, number, string, string][] {
  return m.runs.filter((r) => r.work.name !== "irq_work_wake").map((r) => [
    r.work.name,
    r.cpu,
    r.context,
    r.task.comm,
  ]);
}

function messages(m: Machine, prefix: string): string[] {
  return m.findings.map((f) => f.message).filter((s) => s.startsWith(prefix));
}

// ---------------------------------------------------------------------------
// §0 Model

matrixTest(
  "rule 0.1: a machine has N CPUs numbered 0..N-1, online at boot, each can be marked offline",
  (cell) => {
    const n = Math.min(4, cell.arch.maxCpus);
    const m = cell.machine({ cpus: n });
    assert.equal(m.kernel.cpus.length, n);
    assert.deepEqual(m.kernel.cpus.map((c) => c.id), Array.from({ length: n }, (_, i) => i));
    assert.ok(m.kernel.cpus.every((c) => c.online));
    m.setCpuOnline(n - 1, false);
    assert.equal(m.kernel.cpus[n - 1]!.online, false);
    assert.ok(m.kernel.cpus.slice(0, n - 1).every((c) => c.online));
    m.setCpuOnline(n - 1, true);
    assert.equal(m.kernel.cpus[n - 1]!.online, true);
  },
);

matrixTest(
  "rule 0.4: callbacks run in hard-IRQ context with IRQs off (RT: plain ones in irq_work/N with IRQs on)",
  (cell) => {
    // Hard-IRQ part, every arch: a local work runs in an interrupt (self-interrupt or tick).
    // On RT only HARD works stay in hard-IRQ (§4.3); a plain one is threaded (checked below).
    const init = hardOnRt(cell);
    const m = cell.machine({ cpus: 1 });
    const w = init(() => {}, "local");
    m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.queue(w);
    });
    m.runUntil(T0 + 2 * PERIOD);
    assert.equal(m.runs.length, 1);
    assert.equal(m.runs[0]!.context, "hardirq");
    assert.equal(m.runs[0]!.irqsDisabled, true);
    if (cell.config.rt) {
      // The third context of 0.4: the RT worker thread, preemptible with IRQs on.
      const t = cell.machine({ cpus: 1 });
      t.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
        yield* ctx.queue(irqWorkInit(() => {}, "plain"));
      });
      t.runUntil(T0 + 2 * PERIOD);
      assert.equal(t.runs.length, 1);
      const run = t.runs[0]!;
      assert.deepEqual([run.context, run.irqsDisabled, run.preemptCount], ["task", false, 0]);
      assert.deepEqual([run.task.comm, run.task.prio], ["irq_work/0", 98]);
    }
  },
);

matrixTest(
  "rule 0.4: callbacks run in task context with IRQs off from the polling idle flush",
  // Task-context part needs a remote CPU.
  { skip: smpOnly }, // x86-nolapic has one CPU: no cross-CPU delivery.
  (cell) => {
    // On RT a plain work would be threaded (rule 4.3 in docs/rules.md): use a HARD one there.
    const init = hardOnRt(cell);
    const p = cell.machine({ cpus: 2, idle: "poll" });
    const r = init(() => {}, "remote");
    p.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.queueOn(r, 1);
    });
    p.runUntil(T0 + PERIOD);
    assert.equal(p.runs.length, 1);
    assert.equal(p.runs[0]!.context, "task");
    assert.equal(p.runs[0]!.irqsDisabled, true);
    assert.equal(p.runs[0]!.task.pid, 0, "flushed by the idle task");
  },
);

// ---------------------------------------------------------------------------
// §10 Tick-stop interaction

matrixTest(
  "rule 10.1: needsCpu is false with empty lists; a raised work counts only without a self-interrupt; a lazy work always counts",
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const cpu0 = m.kernel.cpus[0]!;
    assert.equal(m.kernel.irqWork.irqWorkNeedsCpu(cpu0), false, "fresh machine");
    const seen: Record<string, boolean> = {};
    // On RT a plain work joins the lazy list (§4.3): the raised-list work must be HARD there.
    const raised = hardOnRt(cell)(() => {}, "raised");
    const lazy = irqWorkInitLazy(() => {}, "lazy");
    m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.irqDisable();
      seen.before = m.kernel.irqWork.irqWorkNeedsCpu(cpu0);
      yield* ctx.queue(raised);
      // Interrupts are off: the work stays on the raised list whatever the arch.
      assert.equal(m.kernel.irqWork.raisedList.get(0).first === null, false);
      seen.raisedOnly = m.kernel.irqWork.irqWorkNeedsCpu(cpu0);
      yield* ctx.queue(lazy);
      seen.raisedAndLazy = m.kernel.irqWork.irqWorkNeedsCpu(cpu0);
      yield* ctx.irqEnable();
    });
    m.runUntil(T0 + 3 * PERIOD);
    assert.equal(seen.before, false);
    assert.equal(seen.raisedOnly, !cell.arch.hasIrqWorkInterrupt);
    assert.equal(seen.raisedAndLazy, true);
    assert.equal(m.runs.length, 2, "both works ran");
    assert.equal(m.kernel.irqWork.irqWorkNeedsCpu(cpu0), false, "lists drained");

    // A lazy work alone counts on every arch.
    const m2 = cell.machine({ cpus: 1 });
    const lazy2 = irqWorkInitLazy(() => {}, "lazy");
    let lazyOnly: boolean | undefined;
    m2.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.irqDisable();
      yield* ctx.queue(lazy2);
      lazyOnly = m2.kernel.irqWork.irqWorkNeedsCpu(m2.kernel.cpus[0]!);
      yield* ctx.irqEnable();
    });
    m2.runUntil(T0 + 3 * PERIOD);
    assert.equal(lazyOnly, true);
    assert.equal(m2.findings.length, 0, "online CPU: no warning");

    // A plain work: on !RT a raised work (counts only without a self-interrupt); on RT it
    // sits on the lazy list until the thread drains it, so it counts on every arch.
    const m3 = cell.machine({ cpus: 1 });
    const plain = irqWorkInit(() => {}, "plain");
    const plainSeen: Record<string, boolean> = {};
    m3.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.irqDisable();
      yield* ctx.queue(plain);
      plainSeen.onLazy = !(m3.kernel.irqWork.lazyList.get(0).first === null);
      plainSeen.onRaised = !(m3.kernel.irqWork.raisedList.get(0).first === null);
      plainSeen.needs = m3.kernel.irqWork.irqWorkNeedsCpu(m3.kernel.cpus[0]!);
      yield* ctx.irqEnable();
    });
    m3.runUntil(T0 + 3 * PERIOD);
    assert.deepEqual(plainSeen, {
      onLazy: cell.config.rt,
      onRaised: !cell.config.rt,
      needs: cell.config.rt || !cell.arch.hasIrqWorkInterrupt,
    });
    assert.equal(m3.runs.length, 1);
    if (cell.config.rt) assert.equal(m3.runs[0]!.task.comm, "irq_work/0");
    else assert.equal(m3.runs[0]!.context, "hardirq");
    assert.equal(m3.kernel.irqWork.irqWorkNeedsCpu(m3.kernel.cpus[0]!), false, "lists drained");
  },
);

matrixTest(
  "rule 10.1: needsCpu warns once when it returns true on an offline CPU, never when it returns false",
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const cpu0 = m.kernel.cpus[0]!;
    m.setCpuOnline(0, false);
    assert.equal(m.kernel.irqWork.irqWorkNeedsCpu(cpu0), false);
    assert.equal(m.findings.length, 0, "false on an offline CPU: no warning");
    const lazy = irqWorkInitLazy(() => {}, "lazy");
    const results: boolean[] = [];
    m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.irqDisable();
      yield* ctx.queue(lazy);
      results.push(m.kernel.irqWork.irqWorkNeedsCpu(cpu0), m.kernel.irqWork.irqWorkNeedsCpu(cpu0));
      yield* ctx.irqEnable();
    });
    m.runUntil(T0 + 3 * PERIOD);
    assert.deepEqual(results, [true, true]);
    const warnings = m.findings.filter((f) => f.message.includes("irq_work_needs_cpu"));
    assert.equal(warnings.length, 1, "warned once");
    assert.equal(warnings[0]!.level, "WARN");
    assert.match(warnings[0]!.message, /^WARNING: /);
    assert.equal(warnings[0]!.cpu, 0);
  },
);

matrixTest(
  "rule 10.2: an idle CPU keeps its tick while a lazy work is pending, and stops it once nothing is pending",
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const lazy = irqWorkInitLazy(() => {}, "lazy");
    m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.queue(lazy); // tick running (the CPU is busy): no raise, waits for the tick
    });
    const at11: Record<string, boolean> = {};
    m.at(11_000_000, "look", () => {
      at11.idle = m.kernel.cpus[0]!.idle;
      at11.stopped = m.kernel.ticks.stopped(0);
      at11.lazyPending = !(m.kernel.irqWork.lazyList.get(0).first === null);
    });
    m.runUntil(13_000_000);
    assert.deepEqual(at11, { idle: true, stopped: false, lazyPending: true });
    assert.equal(selfRaises(events).length, 0, "a lazy work with a running tick does not raise");
    assert.equal(m.runs.length, 1);
    const run = m.runs[0]!;
    if (cell.config.rt) {
      // The tick wakes irq_work/0 (§8.2), which drains the lazy list in task context.
      assert.deepEqual([run.context, run.task.comm, run.irqsDisabled], ["task", "irq_work/0", false]);
    } else {
      assert.equal(run.context, "hardirq");
    }
    assert.ok(run.startedAt >= 3 * PERIOD && run.startedAt < 3 * PERIOD + 10_000, `ran at ${run.startedAt}`);
    const ticks = events.filter((e) => e.type === "tick" && e.cpu === 0);
    assert.equal(ticks.length, 1, "one tick, the one at 12 ms");
    assert.ok(ticks[0]!.time >= 3 * PERIOD && ticks[0]!.time <= run.startedAt);
    // After the run, nothing is pending: the tick stops.
    const stops = events.filter((e) => e.type === "tick_stop" && e.time > run.endedAt);
    assert.equal(stops.length, 1);
    assert.equal(m.kernel.ticks.stopped(0), true);
    const timers = m.interrupts.timer[0]!;
    m.runUntil(40_000_000);
    assert.equal(m.interrupts.timer[0], timers, "no timer interrupt on a stopped tick");
    assert.equal(events.filter((e) => e.type === "tick" && e.time > 13_000_000).length, 0);

    // Control: the same task without a work lets the tick stop at once.
    const c = cell.machine({ cpus: 1 });
    const cEvents = record(c);
    c.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.spend(100);
    });
    let stopped11: boolean | undefined;
    c.at(11_000_000, "look", () => {
      stopped11 = c.kernel.ticks.stopped(0);
    });
    c.runUntil(40_000_000);
    assert.equal(stopped11, true);
    assert.ok(cEvents.some((e) => e.type === "tick_stop" && e.time > T0 && e.time < 11_000_000));
    assert.equal(cEvents.filter((e) => e.type === "tick").length, 0, "no tick ran");
    assert.equal(c.interrupts.timer[0], 1, "only the task's start timer");
  },
);

matrixTest(
  "rule 10.2: on RT a pending plain work keeps an idle CPU's tick too, and it stops once nothing is pending",
  { skip: rtOnly },
  (cell) => {
    // RT: every pending non-HARD work keeps the tick alive, a plain one too. It raises the
    // self-interrupt to wake the thread (§4.3), so it can only be seen pending on an idle CPU
    // when the arch has no self-interrupt; with one it runs at once and needs no tick.
    const r = cell.machine({ cpus: 1 });
    const rEvents = record(r);
    r.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.queue(irqWorkInit(() => {}, "plain"));
    });
    const rAt11: Record<string, boolean> = {};
    r.at(11_000_000, "look", () => {
      rAt11.idle = r.kernel.cpus[0]!.idle;
      rAt11.stopped = r.kernel.ticks.stopped(0);
      rAt11.lazyPending = !(r.kernel.irqWork.lazyList.get(0).first === null);
    });
    r.runUntil(40_000_000);
    assert.equal(r.runs.length, 1);
    const rRun = r.runs[0]!;
    assert.equal(rRun.task.comm, "irq_work/0");
    const rTicks = rEvents.filter((e) => e.type === "tick");
    if (cell.arch.hasIrqWorkInterrupt) {
      assert.ok(rRun.startedAt < T0 + 10_000, `ran at ${rRun.startedAt}`);
      assert.deepEqual(rAt11, { idle: true, stopped: true, lazyPending: false });
      assert.equal(rTicks.length, 0);
    } else {
      assert.deepEqual(rAt11, { idle: true, stopped: false, lazyPending: true });
      assert.ok(
        rRun.startedAt >= 3 * PERIOD && rRun.startedAt < 3 * PERIOD + 10_000,
        `ran at ${rRun.startedAt}`,
      );
      assert.equal(rTicks.length, 1, "one tick, the one at 12 ms");
    }
    assert.equal(r.kernel.ticks.stopped(0), true, "stopped once nothing is pending");
  },
);

matrixTest(
  "rule 10.4: a lazy work queued while the tick is stopped raises at once (runs at once with a self-interrupt)",
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const events = record(m);
    const lazy = irqWorkInitLazy(() => {}, "lazy");
    let stoppedBefore: boolean | undefined;
    m.at(T0 - 100, "look", () => {
      stoppedBefore = m.kernel.ticks.stopped(0);
    });
    m.nmi(0, T0, function* (ctx) {
      yield* ctx.queue(lazy); // the idle CPU's tick is stopped
    });
    m.runUntil(T0 + 4 * PERIOD);
    assert.equal(stoppedBefore, true);
    assert.equal(m.runs.length, 1);
    const run = m.runs[0]!;
    if (cell.config.rt) {
      // On RT the LAZY work still waits on the lazy list, but the raise (or the re-armed
      // tick) wakes irq_work/0, which runs it in task context (§4.3, §8).
      assert.deepEqual([run.context, run.task.comm, run.irqsDisabled], ["task", "irq_work/0", false]);
    } else {
      assert.equal(run.context, "hardirq");
    }
    if (cell.arch.hasIrqWorkInterrupt) {
      assert.equal(selfRaises(events).length, 1, "raised");
      assert.ok(run.startedAt < T0 + 5_000, `ran right after the NMI, at ${run.startedAt}`);
      assert.equal(events.filter((e) => e.type === "tick").length, 0, "no tick needed");
    } else {
      // The raise is a no-op; the idle loop re-arms the tick for the next period (§10.2).
      assert.equal(selfRaises(events).length, 0);
      assert.ok(
        run.startedAt >= 3 * PERIOD && run.startedAt < 3 * PERIOD + 10_000,
        `ran at ${run.startedAt}`,
      );
      assert.equal(events.filter((e) => e.type === "tick").length, 1, "one re-armed tick");
    }
    assert.equal(m.kernel.ticks.stopped(0), true, "stopped again after the run");
  },
);

// ---------------------------------------------------------------------------
// §12 Cross-CPU delivery

matrixTest(
  "rule 12.1: only the push onto an empty call-single queue sends the IPI",
  { skip: smpOnly, ...LEGACY }, // x86-nolapic has one CPU: no cross-CPU delivery.
  (cell) => {
    // On RT only HARD works travel through the call-single queue themselves (§5.4); plain
    // ones send the target's wake-up work instead (checked at the end).
    const init = hardOnRt(cell);
    const m = cell.machine({ cpus: 2 });
    const events = record(m);
    const a = init(() => {}, "a"), b = init(() => {}, "b"), c = init(() => {}, "c");
    m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      assert.equal(yield* ctx.queueOn(a, 1), true);
      assert.equal(yield* ctx.queueOn(b, 1), true); // before the IPI arrives
      yield* ctx.spend(20_000); // the queue is flushed meanwhile
      assert.equal(yield* ctx.queueOn(c, 1), true);
    });
    m.runUntil(T0 + 100_000);
    const ipis = events.filter((e) =>
      e.type === "ipi_send_cpu" && e.callsite === "irq_work_queue_on" && e.target === 1
    );
    const csds = events.filter((e) => e.type === "csd_queue_cpu" && e.target === 1);
    assert.equal(csds.length, 3);
    assert.equal(ipis.length, 2, "a and b share one IPI; c finds the queue empty again");
    assert.equal(m.interrupts.call_function_single[1], 2);
    assert.deepEqual(m.runs.map((r) => [r.work.name, r.cpu, r.context]), [
      ["a", 1, "hardirq"],
      ["b", 1, "hardirq"],
      ["c", 1, "hardirq"],
    ]);
    assert.equal(m.runs[0]!.startedAt, m.runs[1]!.startedAt, "a and b in the same flush");
  },
);

matrixTest(
  "rule 12.1: on RT only the wake-up work's push onto an empty call-single queue sends the IPI",
  { skip: rtSmpOnly },
  (cell) => {
    // RT, plain works (§5.5): each joins CPU 1's lazy list; only a push onto an empty lazy list
    // sends the HARD wake-up work `irq_work_wake` through the call-single queue, and it is that
    // entry's push onto an empty queue that sends the IPI. The works run in irq_work/1, LIFO.
    const r = cell.machine({ cpus: 2 });
    const rEvents = record(r);
    const pa = irqWorkInit(() => {}, "a"), pb = irqWorkInit(() => {}, "b"), pc = irqWorkInit(() => {}, "c");
    r.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      assert.equal(yield* ctx.queueOn(pa, 1), true);
      assert.equal(yield* ctx.queueOn(pb, 1), true); // lazy list not empty: nothing else
      yield* ctx.spend(20_000); // irq_work/1 drains the lazy list meanwhile
      assert.equal(yield* ctx.queueOn(pc, 1), true);
    });
    r.runUntil(T0 + 100_000);
    const rCsds = rEvents.filter((e) => e.type === "csd_queue_cpu" && e.target === 1).map((e) =>
      e.type === "csd_queue_cpu" ? e.func : ""
    );
    assert.deepEqual(rCsds, ["irq_work_wake", "irq_work_wake"]);
    const rIpis = rEvents.filter((e) =>
      e.type === "ipi_send_cpu" && e.callsite === "irq_work_queue_on" && e.target === 1
    );
    assert.equal(rIpis.length, 2);
    assert.equal(r.interrupts.call_function_single[1], 2);
    assert.deepEqual(r.runs.map((x) => [x.work.name, x.cpu, x.context, x.task.comm]), [
      ["irq_work_wake", 1, "hardirq", "swapper/1"],
      ["b", 1, "task", "irq_work/1"],
      ["a", 1, "task", "irq_work/1"],
      ["irq_work_wake", 1, "hardirq", "swapper/1"],
      ["c", 1, "task", "irq_work/1"],
    ]);
  },
);

matrixTest(
  "rule 12.2: a polling idle target gets no IPI; the idle task flushes with IRQs off in task context",
  { skip: smpOnly }, // x86-nolapic has one CPU: no cross-CPU delivery.
  (cell) => {
    // On RT a plain work would arrive as the wake-up work (checked at the end): use HARD.
    const init = hardOnRt(cell);
    const m = cell.machine({ cpus: 2, idle: "poll" });
    const events = record(m);
    const w = init(() => {}, "w");
    m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.queueOn(w, 1);
    });
    m.runUntil(T0 + PERIOD);
    const wakes = events.filter((e) => e.type === "sched_wake_idle_without_ipi");
    assert.equal(wakes.length, 1);
    assert.equal(wakes[0]!.type === "sched_wake_idle_without_ipi" && wakes[0]!.target, 1);
    assert.equal(events.filter((e) => e.type === "ipi_send_cpu").length, 0, "no IPI sent");
    assert.equal(m.interrupts.call_function_single[1], 0);
    assert.equal(m.runs.length, 1);
    const run = m.runs[0]!;
    assert.equal(run.cpu, 1);
    assert.equal(run.context, "task");
    assert.equal(run.irqsDisabled, true);
    assert.deepEqual([run.task.comm, run.task.pid], ["swapper/1", 0]);

    // A busy polling target, and a halting idle target, both get the IPI.
    for (const idle of ["poll", "halt"] as const) {
      const h = cell.machine({ cpus: 2, idle });
      const hEvents = record(h);
      const hw = init(() => {}, "w");
      if (idle === "poll") {
        h.spawn({ cpu: 1, name: "busy", at: T0 - 10_000 }, function* (ctx) {
          yield* ctx.spend(50_000);
        });
      }
      h.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
        yield* ctx.queueOn(hw, 1);
      });
      h.runUntil(T0 + PERIOD);
      assert.equal(hEvents.filter((e) => e.type === "sched_wake_idle_without_ipi").length, 0, idle);
      assert.equal(h.interrupts.call_function_single[1], 1, idle);
      assert.equal(h.runs[0]!.context, "hardirq", idle);
    }
  },
);

matrixTest(
  "rule 12.2: on RT a polling idle target flushes the wake-up work; the plain work runs in irq_work/N",
  { skip: rtSmpOnly },
  (cell) => {
    // RT, plain work: the idle task's flush runs the wake-up work (IRQs off, task context),
    // which wakes irq_work/1; the work itself runs there with IRQs on.
    const r = cell.machine({ cpus: 2, idle: "poll" });
    const rEvents = record(r);
    r.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.queueOn(irqWorkInit(() => {}, "w"), 1);
    });
    r.runUntil(T0 + PERIOD);
    assert.equal(rEvents.filter((e) => e.type === "sched_wake_idle_without_ipi").length, 1);
    assert.equal(r.interrupts.call_function_single[1], 0);
    assert.deepEqual(r.runs.map((x) => [x.work.name, x.cpu, x.context, x.irqsDisabled, x.task.comm]), [
      ["irq_work_wake", 1, "task", true, "swapper/1"],
      ["w", 1, "task", false, "irq_work/1"],
    ]);
  },
);

matrixTest(
  "rule 12.3: flush runs sync calls first, then async and irq_work in arrival order, then wake-ups",
  { skip: smpOnly, ...LEGACY }, // x86-nolapic has one CPU: no cross-CPU delivery.
  (cell) => {
    // CPU 1: task T queues W on CPU 2 and syncs on it. Without a self-interrupt
    // the sync sleeps, so W's end on CPU 2 queues T's wake-up on idle CPU 1's
    // call-single queue; with one, T spins and needs no wake-up.
    // CPU 0: as soon as W starts, posts async1, w1, (W ends: wake-up), async2, w2, then sync1.
    // On RT the works are HARD, so that they, not the wake-up work, are the flush's entries
    // and the sync branch is the same as on !RT (§5.4, §11.3). RT also queues a plain work `p`
    // after w2: its entry is CPU 1's wake-up work, run in arrival order; p runs in irq_work/1.
    const init = hardOnRt(cell);
    // RT kernels wake directly, without the wake list (rule 17.2): switch that fix off so that
    // the flush has a task wake-up to order on RT too.
    const m = cell.machine({ cpus: 3, fixes: { "539fbb5be0da": false } });
    const events = record(m);
    const log: string[] = [];
    let wStarted = false;
    const big = init(function* (_w, ctx) {
      wStarted = true;
      yield* ctx.spend(200);
    }, "W");
    const w1 = init(() => void log.push("w1"), "w1");
    const w2 = init(() => void log.push("w2"), "w2");
    const p = irqWorkInit((_w, ctx) => void log.push(`p:${ctx.task.comm}`), "p");
    m.spawn({ cpu: 1, name: "T", policy: "fifo", priority: 10, at: T0 }, function* (ctx) {
      yield* ctx.queueOn(big, 2);
      yield* ctx.sync(big);
      log.push("T");
    });
    m.spawn({ cpu: 0, name: "poster", policy: "fifo", priority: 10, at: T0 }, function* (ctx) {
      while (!wStarted) yield* ctx.spend(20);
      yield* ctx.callFunctionSingle(1, () => void log.push("async1"), false);
      yield* ctx.queueOn(w1, 1);
      yield* ctx.spend(400); // W ends on CPU 2 meanwhile
      yield* ctx.callFunctionSingle(1, () => void log.push("async2"), false);
      yield* ctx.queueOn(w2, 1);
      if (cell.config.rt) yield* ctx.queueOn(p, 1);
      yield* ctx.callFunctionSingle(1, (c) => void log.push(`sync1:${c.context}:${c.irqsDisabled}`), true);
      log.push("poster done");
    });
    m.runUntil(T0 + 10 * PERIOD); // D: T's sync then waits a grace period of a few jiffies (rule 11.4)
    const wakeupQueued = events.filter((e) =>
      e.type === "csd_queue_cpu" && e.target === 1 && e.func === "sched_ttwu_pending"
    );
    // The plain work on RT is not part of the flush's log; it is checked after.
    const pLog = log.filter((s) => s.startsWith("p:"));
    log.splice(0, log.length, ...log.filter((s) => !s.startsWith("p:")));
    if (cell.arch.hasIrqWorkInterrupt) {
      // T spun and returned when W ended, before the flush.
      assert.equal(wakeupQueued.length, 0);
      assert.deepEqual(log, ["T", "sync1:hardirq:true", "async1", "w1", "async2", "w2", "poster done"]);
    } else {
      assert.equal(wakeupQueued.length, 1, "T's wake-up travelled through CPU 1's queue");
      const queued = events.filter((e) => e.type === "csd_queue_cpu" && e.target === 1).map((e) =>
        e.type === "csd_queue_cpu" ? e.func : ""
      );
      assert.equal(queued[2], "sched_ttwu_pending", "the wake-up arrived third");
      assert.equal(log.indexOf("T") > log.indexOf("w2"), true, "T ran after the whole flush");
      assert.deepEqual(log.filter((s) => s !== "poster done"), [
        "sync1:hardirq:true",
        "async1",
        "w1",
        "async2",
        "w2",
        "T",
      ]);
      // The wake-up is applied after the last irq_work of the flush.
      const w2End = events.findIndex((e) => e.type === "irq_work_execute_end" && e.work === "w2");
      const tWake = events.findLastIndex((e) => e.type === "sched_wakeup" && e.wakeComm === "T");
      assert.ok(w2End >= 0 && tWake > w2End);
    }
    assert.equal(m.interrupts.call_function_single[1], 1, "everything in one flush");

    if (!cell.config.rt) {
      assert.deepEqual(pLog, []);
      return;
    }
    // RT: p's entry in CPU 1's queue is the wake-up work, queued right after w2; the flush
    // runs it in arrival order (right after w2, before the task wake-ups); p runs in irq_work/1.
    const queued = events.filter((e) => e.type === "csd_queue_cpu" && e.target === 1).map((e) =>
      e.type === "csd_queue_cpu" ? e.func : ""
    );
    assert.equal(queued.includes("p"), false, "p itself never joins the call-single queue");
    assert.equal(queued.indexOf("irq_work_wake"), queued.indexOf("w2") + 1);
    const starts = events.filter((e) => e.type === "irq_work_execute_start" && e.cpu === 1).map((e) =>
      e.type === "irq_work_execute_start" ? e.work : ""
    );
    assert.deepEqual(starts, ["w1", "w2", "irq_work_wake", "p"]);
    const wakeupEnd = events.findIndex((e) =>
      e.type === "irq_work_execute_end" && e.work === "irq_work_wake"
    );
    const w2End = events.findIndex((e) => e.type === "irq_work_execute_end" && e.work === "w2");
    assert.ok(w2End >= 0 && wakeupEnd > w2End);
    const tWake = events.findLastIndex((e) => e.type === "sched_wakeup" && e.wakeComm === "T");
    if (!cell.arch.hasIrqWorkInterrupt) assert.ok(tWake > wakeupEnd, "task wake-ups come last");
    assert.deepEqual(pLog, ["p:irq_work/1"]);
    const pRun = m.runs.find((r) => r.work === p)!;
    assert.deepEqual([pRun.cpu, pRun.context, pRun.irqsDisabled], [1, "task", false]);
    assert.ok(pRun.startedAt >= m.runs.find((r) => r.work === w2)!.endedAt);
  },
);

matrixTest(
  "rule 12.4: a flush on an offline CPU warns once per machine, with one line per entry",
  { skip: smpOnly }, // x86-nolapic has one CPU: no cross-CPU delivery.
  (cell) => {
    // On RT plain works would be represented by the wake-up work: use HARD ones (checked after).
    const init = hardOnRt(cell);
    const m = cell.machine({ cpus: 3 });
    const a = init(() => {}, "work_a"), b = init(() => {}, "work_b");
    const c = init(() => {}, "work_c");
    let ranF = 0;
    m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.queueOn(a, 1);
      yield* ctx.callFunctionSingle(1, function csd_fn() {
        ranF++;
      }, false);
      yield* ctx.queueOn(b, 1);
      // CPU 1 leaves cpu_online_mask after the queueing, before the IPI arrives.
      m.setCpuOnline(1, false);
    });
    m.runUntil(T0 + PERIOD);
    assert.equal(m.interrupts.call_function_single[1], 1);
    assert.equal(m.findings.length, 1);
    const f = m.findings[0]!;
    assert.equal(f.level, "WARN");
    assert.equal(f.cpu, 1);
    assert.deepEqual(f.message.split("\n"), [
      "WARNING: CPU: 1 PID: 0 at kernel/smp.c __flush_smp_call_function_queue",
      "IPI on offline CPU 1",
      "smp: IPI callback work_a sent to offline CPU",
      "smp: IPI callback csd_fn sent to offline CPU",
      "smp: IPI callback work_b sent to offline CPU",
    ]);
    // The entries still run.
    assert.deepEqual(m.runs.map((r) => r.work.name), ["work_a", "work_b"]);
    assert.equal(ranF, 1);

    // Once per machine: another offline flush, even on another CPU, is silent.
    m.spawn({ cpu: 0, name: "q2", at: 20_000_100 }, function* (ctx) {
      m.setCpuOnline(1, true);
      yield* ctx.queueOn(c, 2);
      yield* ctx.queueOn(a, 1);
      m.setCpuOnline(2, false);
      m.setCpuOnline(1, false);
    });
    m.runUntil(20_000_100 + PERIOD);
    assert.equal(m.interrupts.call_function_single[2], 1);
    assert.equal(m.interrupts.call_function_single[1], 2);
    assert.equal(
      messages(m, "WARNING: CPU: 1 PID: 0 at kernel/smp.c __flush_smp_call_function_queue").length,
      1,
    );
    assert.equal(m.runs.length, 4);
  },
);

matrixTest(
  "rule 12.4: on RT the offline flush names the one wake-up work that stands for two plain works",
  { skip: rtSmpOnly },
  (cell) => {
    // RT, plain works: the queue holds one wake-up work for both (the second found the lazy list
    // non-empty), so the warning names it once; the works still run, in irq_work/1.
    const r = cell.machine({ cpus: 3 });
    const pa = irqWorkInit(() => {}, "work_a"), pb = irqWorkInit(() => {}, "work_b");
    r.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      yield* ctx.queueOn(pa, 1);
      yield* ctx.queueOn(pb, 1);
      r.setCpuOnline(1, false);
    });
    r.runUntil(T0 + PERIOD);
    assert.deepEqual(r.findings.map((f) => [f.level, f.cpu, f.message.split("\n")]), [
      [
        "WARN",
        1,
        [
          "WARNING: CPU: 1 PID: 0 at kernel/smp.c __flush_smp_call_function_queue",
          "IPI on offline CPU 1",
          "smp: IPI callback irq_work_wake sent to offline CPU",
        ],
      ],
    ]);
    assert.deepEqual(realRuns(r), [["work_b", 1, "task", "irq_work/1"], ["work_a", 1, "task", "irq_work/1"]]);
  },
);

// ---------------------------------------------------------------------------
// §13 Warnings and fatal checks

matrixTest("rule 13: queueOn to an offline target warns once and continues", (cell) => {
  if (cell.arch.maxCpus < 2) {
    // UP build (§5.1): queueOn is queue; the target is ignored and nothing warns.
    const u = cell.machine({ cpus: 1 });
    u.setCpuOnline(0, false);
    const w = irqWorkInit(() => {}, "w");
    u.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
      assert.equal(yield* ctx.queueOn(w, 0), true);
    });
    u.runUntil(T0 + 2 * PERIOD);
    assert.equal(messages(u, "WARNING: CPU: 0 PID: 15 at kernel/irq_work.c irq_work_queue_on").length, 0);
    assert.equal(u.runs.length, 1);
    return;
  }
  const m = cell.machine({ cpus: 2 });
  m.setCpuOnline(1, false);
  const a = irqWorkInit(() => {}, "a"), b = irqWorkInit(() => {}, "b");
  const returned: boolean[] = [];
  m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
    returned.push(yield* ctx.queueOn(a, 1));
    returned.push(yield* ctx.queueOn(b, 1));
  });
  m.runUntil(T0 + PERIOD);
  assert.deepEqual(returned, [true, true]);
  const warnings = m.findings.filter((f) =>
    f.message.includes("irq_work_queue_on") && f.message.includes("offline")
  );
  assert.equal(warnings.length, 1, "warned once");
  assert.equal(warnings[0]!.level, "WARN");
  assert.equal(warnings[0]!.cpu, 0, "warned on the queueing CPU");
  if (cell.config.rt) {
    // §5.5: both join CPU 1's lazy list; one wake-up work; irq_work/1 runs them newest first.
    assert.deepEqual(m.runs.map((r) => [r.work.name, r.cpu, r.task.comm]), [
      ["irq_work_wake", 1, "swapper/1"],
      ["b", 1, "irq_work/1"],
      ["a", 1, "irq_work/1"],
    ], "continued anyway");
  } else {
    assert.deepEqual(m.runs.map((r) => [r.work.name, r.cpu]), [["a", 1], ["b", 1]], "continued anyway");
  }
});

matrixTest(
  "rule 13: a remote queueOn from NMI warns once and continues; a local one does not warn",
  { skip: smpOnly }, // x86-nolapic has one CPU: nothing is remote.
  (cell) => {
    const m = cell.machine({ cpus: 2 });
    const local = irqWorkInit(() => {}, "local");
    const a = irqWorkInit(() => {}, "a"), b = irqWorkInit(() => {}, "b");
    m.nmi(0, T0, function* (ctx) {
      yield* ctx.queueOn(local, 0);
    });
    let afterLocal = -1;
    m.at(T0 + 100_000, "look", () => {
      afterLocal = m.findings.length;
    });
    m.nmi(0, T0 + 200_000, function* (ctx) {
      yield* ctx.queueOn(a, 1);
    });
    m.nmi(0, T0 + 400_000, function* (ctx) {
      yield* ctx.queueOn(b, 1);
    });
    m.runUntil(T0 + 2 * PERIOD);
    assert.equal(afterLocal, 0, "local queueOn from NMI is fine");
    assert.equal(m.findings.length, 1);
    const f = m.findings[0]!;
    assert.equal(f.level, "WARN");
    assert.equal(f.context, "nmi");
    assert.match(
      f.message,
      /^WARNING: CPU: 0 PID: \d+ at kernel\/irq_work\.c irq_work_queue_on\nWARN_ON_ONCE\(in_nmi\(\)\)$/,
    );
    if (cell.config.rt) {
      // Each remote plain work arrives as CPU 1's wake-up work and runs in irq_work/1 (§5.5).
      assert.deepEqual(m.runs.map((r) => [r.work.name, r.cpu, r.task.comm]).sort(), [
        ["a", 1, "irq_work/1"],
        ["b", 1, "irq_work/1"],
        ["irq_work_wake", 1, "swapper/1"],
        ["irq_work_wake", 1, "swapper/1"],
        ["local", 0, "irq_work/0"],
      ]);
    } else {
      assert.deepEqual(m.runs.map((r) => [r.work.name, r.cpu]).sort(), [["a", 1], ["b", 1], ["local", 0]]);
    }
  },
);

matrixTest("rule 13: needsCpu true on an offline idle CPU warns once", (cell) => {
  const m = cell.machine({ cpus: 1 });
  m.setCpuOnline(0, false);
  const l1 = irqWorkInitLazy(() => {}, "l1"), l2 = irqWorkInitLazy(() => {}, "l2");
  m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
    yield* ctx.queue(l1); // then the idle loop asks needsCpu before stopping the tick
  });
  m.spawn({ cpu: 0, name: "q2", at: 20_000_100 }, function* (ctx) {
    yield* ctx.queue(l2);
  });
  m.runUntil(30_000_000);
  assert.equal(m.runs.length, 2, "the lazy works still ran at the tick");
  const warnings = m.findings.filter((f) => f.message.includes("irq_work_needs_cpu"));
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.level, "WARN");
  assert.ok(warnings[0]!.time > T0 && warnings[0]!.time < 3 * PERIOD);
});

matrixTest(
  "rule 13: draining with IRQs enabled is a BUG that stops the machine (C+: only on !RT)",
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    let reached = false;
    m.spawn({ cpu: 0, name: "bad", at: T0 }, function* (ctx) {
      assert.equal(ctx.irqsDisabled, false);
      yield* m.kernel.irqWork.irqWorkRun(m.kernel.cpus[ctx.cpu]!);
      yield* ctx.spend(1_000);
      reached = true;
    });
    m.runUntil(T0 + 4 * PERIOD);
    if (cell.config.rt) {
      // §7.1 C+: the drain's check is relaxed on RT (the thread drains with IRQs on).
      assert.equal(m.panicked, false);
      assert.deepEqual(m.findings, []);
      assert.equal(reached, true);
      // A non-empty list drained with IRQs on, as irq_work/N does: the work runs, no BUG.
      // Preemption is off so irq_work/0, woken by the raise, cannot drain the work first.
      const r = cell.machine({ cpus: 1 });
      const w = irqWorkInit(() => {}, "w");
      let drained: boolean | undefined;
      r.spawn({ cpu: 0, name: "drainer", at: T0 }, function* (ctx) {
        yield* ctx.preemptDisable();
        yield* ctx.queue(w);
        yield* ctx.spend(10_000); // the raise (if any) is handled meanwhile
        const cpu = r.kernel.cpus[ctx.cpu]!;
        assert.equal(ctx.irqsDisabled, false);
        yield* r.kernel.irqWork.irqWorkRunList(cpu, r.kernel.irqWork.lazyList.get(ctx.cpu));
        drained = r.kernel.irqWork.lazyList.get(ctx.cpu).first === null;
        yield* ctx.preemptEnable();
      });
      r.runUntil(T0 + PERIOD);
      assert.equal(drained, true);
      assert.equal(r.panicked, false);
      assert.deepEqual(r.findings, []);
      assert.deepEqual(r.runs.map((x) => [x.work.name, x.context, x.irqsDisabled, x.task.comm]), [
        ["w", "task", false, "drainer"],
      ]);
    } else {
      assert.equal(m.panicked, true);
      assert.equal(m.findings.length, 1);
      assert.equal(m.findings[0]!.level, "BUG");
      assert.match(m.findings[0]!.message, /BUG/);
      assert.equal(reached, false, "the CPU stopped at the BUG");
      assert.ok(m.kernel.engine.now < T0 + 4 * PERIOD, "runUntil returned early");
    }

    // With IRQs disabled the same drain is fine.
    const ok = cell.machine({ cpus: 1 });
    ok.spawn({ cpu: 0, name: "good", at: T0 }, function* (ctx) {
      yield* ctx.irqDisable();
      yield* ok.kernel.irqWork.irqWorkRun(ok.kernel.cpus[ctx.cpu]!);
      yield* ctx.irqEnable();
    });
    ok.runUntil(T0 + PERIOD);
    assert.equal(ok.panicked, false);
    assert.equal(ok.findings.length, 0);
  },
);

matrixTest("rule 13: sync with IRQs disabled warns (lockdep), whatever the work's state", (cell) => {
  const m = cell.machine({ cpus: 1 });
  const w = irqWorkInit(() => {}, "w");
  let returned = false;
  m.spawn({ cpu: 0, name: "s", at: T0 }, function* (ctx) {
    yield* ctx.irqDisable();
    yield* ctx.sync(w); // free work: returns at once, but the check is made first
    returned = true;
    yield* ctx.irqEnable();
  });
  m.runUntil(T0 + 5 * PERIOD); // D: a sleeping sync then waits a grace period of a few jiffies (rule 11.4)
  assert.equal(returned, true);
  const lockdep = m.findings.filter((f) => f.message.includes("irqs_enabled"));
  assert.equal(lockdep.length, 1);
  assert.equal(lockdep[0]!.level, "WARN");
  assert.equal(lockdep[0]!.comm, "s");
  assert.equal(m.panicked, false);
});

matrixTest(
  "rule 13: sync in atomic context gives the might-sleep warning; with IRQs enabled no lockdep warning",
  (cell) => {
    // Made whatever branch sync takes (§11.1): a plain work (sleeps on RT) and a HARD one
    // (spins where the arch has a self-interrupt), on !RT and RT alike.
    for (const init of [irqWorkInit, irqWorkInitHard]) {
      const m = cell.machine({ cpus: 1, kernel: "C" });
      const w = init(() => {}, "w");
      m.spawn({ cpu: 0, name: "s", at: T0 }, function* (ctx) {
        yield* ctx.preemptDisable();
        yield* ctx.sync(w);
        yield* ctx.preemptEnable();
      });
      m.runUntil(T0 + PERIOD);
      assert.equal(m.findings.length, 1, init.name);
      assert.equal(m.findings[0]!.level, "BUG");
      assert.match(m.findings[0]!.message, /^BUG: sleeping function called from invalid context/);
    }
    // Preemptible with IRQs on: silent.
    const q = cell.machine({ cpus: 1 });
    q.spawn({ cpu: 0, name: "s", at: T0 }, function* (ctx) {
      yield* ctx.sync(irqWorkInit(() => {}, "w"));
    });
    q.runUntil(T0 + PERIOD);
    assert.equal(q.findings.length, 0);
  },
);

matrixTest(
  "rule 13: a flush with entries on an offline CPU warns once per machine; an empty one is silent",
  { skip: smpOnly }, // x86-nolapic has one CPU: no cross-CPU delivery.
  (cell) => {
    const m = cell.machine({ cpus: 2 });
    // A task waking on offline CPU 1 makes its idle loop flush an empty queue: silent.
    m.setCpuOnline(1, false);
    m.spawn({ cpu: 1, name: "t", at: T0 }, function* (ctx) {
      yield* ctx.spend(100);
    });
    m.runUntil(T0 + PERIOD);
    assert.equal(m.findings.length, 0);
    m.setCpuOnline(1, true);
    // On RT plain works would share one wake-up entry (§5.5): use HARD ones there.
    const init = hardOnRt(cell);
    const works = [init(() => {}, "x"), init(() => {}, "y")];
    for (const [i, at] of [20_000_100, 30_000_100].entries()) {
      m.spawn({ cpu: 0, name: `q${i}`, at }, function* (ctx) {
        m.setCpuOnline(1, true);
        for (const w of works) yield* ctx.queueOn(w, 1);
        m.setCpuOnline(1, false);
      });
    }
    m.runUntil(40_000_000);
    const w = m.findings.filter((f) => f.message.split("\n")[1] === "IPI on offline CPU 1").map((f) =>
      f.message
    );
    assert.equal(w.length, 1, "once per machine");
    assert.equal(w[0]!.split("\n").length, 4, "title and cause, plus one line per entry");
    assert.equal(m.findings.length, 1);
    assert.equal(m.interrupts.call_function_single[1], 2);
    assert.equal(m.runs.length, 4);
  },
);

Deno.test("rule 13: x86 offline flush warning names the CPU it happened on", () => {
  const m = createMachine({ arch: x86(), cpus: 4 });
  const w = irqWorkInit(() => {}, "w3");
  m.spawn({ cpu: 0, name: "q", at: T0 }, function* (ctx) {
    yield* ctx.queueOn(w, 3);
    m.setCpuOnline(3, false);
  });
  m.runUntil(T0 + PERIOD);
  assert.deepEqual(m.findings.map((f) => [f.level, f.cpu, f.message.split("\n")[0]]), [
    ["WARN", 3, "WARNING: CPU: 3 PID: 0 at kernel/smp.c __flush_smp_call_function_queue"],
  ]);
});

matrixTest(
  "rule 14: a raised self-interrupt is not lost when the raiser then arms an earlier timer (powerpc set_dec_or_work)",
  LEGACY,
  (cell) => {
    const m = cell.machine({ cpus: 1 });
    const w = irqWorkInit(() => {}, "w");
    m.spawn({ cpu: 0, name: "t", at: T0 }, function* (ctx) {
      yield* ctx.queue(w);
      yield* ctx.sleep(1_000_000); // arms an hrtimer that becomes the CPU's earliest event
    });
    m.runUntil(T0 + 4 * PERIOD);
    assert.equal(m.runs.length, 1);
    const run = m.runs[0]!;
    // On RT the raise is what wakes irq_work/0 for the plain work (§4.3): it must not be lost either.
    if (cell.config.rt) assert.equal(run.task.comm, "irq_work/0");
    assert.equal(run.context, cell.config.rt ? "task" : "hardirq");
    if (cell.arch.hasIrqWorkInterrupt) {
      assert.ok(run.startedAt - run.queuedAt < 5_000, `queued ${run.queuedAt}, ran ${run.startedAt}`);
    } else {
      assert.ok(run.startedAt >= 3 * PERIOD && run.startedAt < 3 * PERIOD + 10_000, `ran ${run.startedAt}`);
    }
  },
);
