/**
 * Determinism: the same seed and scenario give a byte-identical ftrace text,
 * in every cell of the matrix (every arch, !RT and PREEMPT_RT; on RT the
 * trace includes the per-CPU irq_work/N threads). The scenario mixes tasks of several
 * priorities and policies, local, remote and lazy works, generator callbacks
 * that spend time, NMIs queueing works, sleeps and syncs.
 */

import assert from "node:assert/strict";
import {
  ftrace,
  irqWorkInit,
  irqWorkInitHard,
  irqWorkInitLazy,
  irqWorkIsHard,
  type Machine,
} from "../mod.ts";
import { type Cell, matrixTest } from "./matrix.ts";

interface Outcome {
  text: string;
  runs: string;
  findings: string;
  interrupts: string;
  m: Machine;
}

/** Build and run the scenario on `cell` with `seed`; returns what it produced. */
function scenario(cell: Cell, seed: number): Outcome {
  const tr = ftrace();
  const cpus = Math.min(4, cell.arch.maxCpus);
  const m = cell.machine({ cpus, seed, plugins: [tr] });
  const on = (cpu: number) => cpu % cpus;

  const local = irqWorkInit(function* local(_w, ctx) {
    yield* ctx.spend(700);
  });
  const lazy = irqWorkInitLazy(function* lazy(_w, ctx) {
    yield* ctx.spend(300);
  });
  const hard = irqWorkInitHard(() => {}, "hard");
  const remotes = [0, 1, 2, 3].map((i) =>
    irqWorkInit(function* (_w, ctx) {
      yield* ctx.spend(200 + 100 * i);
    }, `remote${i}`)
  );
  const fromNmi = irqWorkInit(() => {}, "from_nmi");

  m.spawn({ cpu: 0, name: "rt-high", policy: "fifo", priority: 80, at: 1_000_100 }, function* (ctx) {
    for (let i = 0; i < 5; i++) {
      yield* ctx.queue(local);
      yield* ctx.queueOn(remotes[i % 4]!, on(i + 1));
      yield* ctx.spend(3_000);
      yield* ctx.sleep(700_000);
    }
    yield* ctx.sync(local);
  });
  m.spawn({ cpu: 0, name: "rr-mid", policy: "rr", priority: 20, at: 1_000_000 }, function* (ctx) {
    for (let i = 0; i < 4; i++) {
      yield* ctx.queue(lazy);
      yield* ctx.spend(1_500_000); // long enough to be preempted and to see ticks
    }
  });
  m.spawn({ cpu: on(1), name: "other-a", at: 2_000_000 }, function* (ctx) {
    for (let i = 0; i < 3; i++) {
      yield* ctx.irqDisable();
      yield* ctx.queue(hard);
      yield* ctx.spend(2_000);
      yield* ctx.irqEnable();
      yield* ctx.queueOn(lazy, on(2));
      yield* ctx.spend(900_000);
    }
  });
  m.spawn({ cpu: on(2), name: "other-b", at: 2_500_000 }, function* (ctx) {
    yield* ctx.queueOn(remotes[3]!, on(3));
    yield* ctx.sync(remotes[3]!);
    yield* ctx.callFunctionSingle(on(3), () => {}, true);
    yield* ctx.spend(4_000_000);
  });
  m.spawn({ cpu: on(3), name: "fifo-low", policy: "fifo", priority: 1, at: 3_000_000 }, function* (ctx) {
    yield* ctx.queue(lazy);
    yield* ctx.sleep(5_000_000);
    yield* ctx.queueOn(remotes[0]!, on(0));
  });
  m.nmi(on(1), 2_100_000, function* (ctx) {
    yield* ctx.queue(fromNmi);
  });
  m.nmi(0, 4_000_050, function* (ctx) {
    yield* ctx.queue(lazy);
  });
  m.runUntil(20_000_000);
  return {
    text: tr.text(),
    runs: JSON.stringify(m.runs.map((r) => ({ ...r, work: r.work.name }))),
    findings: JSON.stringify(m.findings),
    interrupts: JSON.stringify(m.interrupts),
    m,
  };
}

matrixTest("determinism: the same seed and scenario give a byte-identical trace", (cell) => {
  const a = scenario(cell, 42);
  const b = scenario(cell, 42);
  assert.equal(a.text, b.text);
  assert.equal(a.runs, b.runs);
  assert.equal(a.findings, b.findings);
  assert.equal(a.interrupts, b.interrupts);

  // The trace is a real one: it shows what the scenario did.
  const lines = a.text.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  assert.ok(lines.length > 100, `only ${lines.length} trace lines`);
  for (
    const expected of [
      "irqemu_irq_work_execute_start: work=local",
      "irqemu_irq_work_execute_start: work=lazy",
      "irqemu_irq_work_execute_start: work=hard",
      "irqemu_irq_work_execute_start: work=from_nmi",
      "irqemu_irq_work_execute_start: work=remote0",
      "irqemu_nmi_entry",
      "irqemu_nmi_exit",
      "hrtimer_expire_entry: hrtimer=0000000000000001 function=tick_nohz_handler now=",
      "tick_stop: success=1",
      "next_comm=rt-high",
      "next_comm=rr-mid",
      "next_comm=fifo-low",
      "prev_state=R+", // rt-high preempts rr-mid
    ]
  ) {
    assert.ok(a.text.includes(expected), `trace lacks "${expected}"`);
  }
  if (cell.arch.maxCpus >= 4) {
    assert.ok(a.text.includes("csd_queue_cpu: cpu=1"), "remote queueing");
    assert.ok(a.text.includes("callback=generic_smp_call_function_single_interrupt"), "cross-CPU IPI");
  }
  // A self-interrupt raise names the queueing API as callsite and the work as callback; a
  // remote queueOn's IPI (callsite irq_work_queue_on too) names the call-single handler.
  assert.equal(
    /ipi_send_cpu: cpu=\d+ callsite=irq_work_queue(_on)? callback=(?!generic_smp_call_function_single_interrupt\b)/
      .test(a.text),
    cell.arch.hasIrqWorkInterrupt,
    "self-interrupt raises are traced iff the arch has one",
  );
  assert.equal(a.m.panicked, false);
  assert.ok(a.m.runs.length >= 10, `only ${a.m.runs.length} runs`);

  const cpus = a.m.kernel.cpus.length;
  if (cell.config.rt) {
    // RT: the per-CPU threads are in the (identical) trace, and every non-HARD work ran in
    // its CPU's irq_work/N with IRQs on; HARD ones (incl. the wake-up work) in hard-IRQ (§9).
    for (let cpu = 0; cpu < cpus; cpu++) {
      assert.ok(a.text.includes(`next_comm=irq_work/${cpu} `), `trace lacks irq_work/${cpu} running`);
    }
    if (cpus >= 2) {
      assert.ok(
        a.text.includes("callsite=irq_work_queue_on func=irq_work_wake"),
        "remote plain works send the wake-up work",
      );
      assert.ok(a.text.includes("irqemu_irq_work_execute_start: work=irq_work_wake hard"));
    }
    for (const run of a.m.runs) {
      if (irqWorkIsHard(run.work)) {
        assert.deepEqual([run.context, run.irqsDisabled], ["hardirq", true], run.work.name);
      } else {
        assert.deepEqual([run.context, run.task.comm, run.irqsDisabled], [
          "task",
          `irq_work/${run.cpu}`,
          false,
        ], run.work.name);
      }
    }
  } else {
    assert.equal(a.text.includes("irq_work/"), false, "no irq_work/N thread on !RT");
    assert.equal(a.text.includes("irq_work_wake"), false, "no wake-up work on !RT");
  }
});
