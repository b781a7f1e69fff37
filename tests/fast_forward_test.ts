/**
 * The spin fast-forward changes nothing but speed: on random scenarios where
 * CPUs spin (`irq_work_sync()`'s busy wait, raw spinlocks, `csd_lock_wait()`),
 * on every arch with and without PREEMPT_RT, a machine that jumps over
 * unchangeable polls gives the same trace, runs, findings, interrupt counts
 * and clock as one that takes every poll.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { ftrace, irqWorkInit, type Machine, type MachineTiming, RawSpinlock } from "../mod.ts";
import { CELLS, matrixTest, rtOnly, smpOnly } from "./matrix.ts";
import { runScenario, scenarioArb } from "./scenarios.ts";

/** What a run produced, as plain data to compare. */
function outcome(m: Machine, text: string) {
  return {
    text,
    now: m.now,
    panicked: m.panicked,
    interrupts: m.interrupts,
    runs: m.runs.map((r) => ({ ...r, work: r.work.name })),
    findings: m.findings.map((f) => ({ ...f, trace: f.trace.length })),
  };
}

for (const kernel of ["C", "D"] as const) {
  Deno.test(`fast-forward (${kernel}): random spinning scenarios give the same results as polling step by step`, () => {
    let fewerEvents = 0;
    fc.assert(
      fc.property(
        fc.nat(CELLS.length - 1).chain((cellIndex) =>
          scenarioArb(CELLS[cellIndex]!.arch.maxCpus, true).map((sc) => ({ cellIndex, sc }))
        ),
        ({ cellIndex, sc }) => {
          const fast = runScenario(cellIndex, kernel, sc, true);
          const slow = runScenario(cellIndex, kernel, sc, false);
          const where = `${CELLS[cellIndex]!.arch.name} ${CELLS[cellIndex]!.config.name}`;
          assert.deepEqual(outcome(fast.m, fast.text), outcome(slow.m, slow.text), where);
          if (fast.m.kernel.engine.fired < slow.m.kernel.engine.fired) fewerEvents++;
        },
      ),
      { seed: 20261130, numRuns: 150 },
    );
    assert.ok(fewerEvents > 20, `the scenarios spin: ${fewerEvents} of 150 were shortened`);
  });
}

// Path costs that are no multiple of the poll interval, and larger than several polls: a spinner must
// still stop at the poll just before another CPU's access, wherever that falls (rule 23.2).
const ODD_COSTS: Partial<MachineTiming> = {
  irqWorkClaimNs: 37,
  irqWorkReleaseNs: 113,
  llistAddNs: 29,
  llistDelAllNs: 41,
  callSingleQueueNs: 271,
  wakeUpNs: 1_009,
};

Deno.test("fast-forward: with odd path costs, random spinning scenarios give the same results as polling", () => {
  fc.assert(
    fc.property(
      fc.nat(CELLS.length - 1).chain((cellIndex) =>
        scenarioArb(CELLS[cellIndex]!.arch.maxCpus, true).map((sc) => ({ cellIndex, sc }))
      ),
      ({ cellIndex, sc }) => {
        const fast = runScenario(cellIndex, "D", sc, true, null, ODD_COSTS);
        const slow = runScenario(cellIndex, "D", sc, false, null, ODD_COSTS);
        const where = `${CELLS[cellIndex]!.arch.name} ${CELLS[cellIndex]!.config.name}`;
        assert.deepEqual(outcome(fast.m, fast.text), outcome(slow.m, slow.text), where);
      },
    ),
    { seed: 20260712, numRuns: 100 },
  );
});

matrixTest("fast-forward: a CPU spinning on a raw spinlock polls far less, with the same trace", {
  skip: smpOnly,
}, (cell) => {
  const make = (fastForward: boolean) => {
    const lock = new RawSpinlock("l");
    const tracer = ftrace();
    const m = cell.machine({ cpus: 2, fastForward, plugins: [tracer] });
    m.spawn({ cpu: 1, name: "holder", at: 1_000_000 }, function* (ctx) {
      yield* ctx.rawSpinLock(lock);
      yield* ctx.spend(5_000_000);
      yield* ctx.rawSpinUnlock(lock);
    });
    m.spawn({ cpu: 0, name: "waiter", policy: "fifo", priority: 50, at: 1_001_000 }, function* (ctx) {
      yield* ctx.rawSpinLock(lock);
      yield* ctx.rawSpinUnlock(lock);
    });
    m.runUntil(10_000_000);
    return { m, text: tracer.text() };
  };
  const fast = make(true), slow = make(false);
  assert.deepEqual(outcome(fast.m, fast.text), outcome(slow.m, slow.text));
  const [f, s] = [fast.m.kernel.engine.fired, slow.m.kernel.engine.fired];
  assert.ok(f * 20 < s, `5 ms of 20 ns polls: ${f} events against ${s}`);
});

matrixTest(
  "fast-forward: bug H1's spinning sync reports its livelock at the same instant",
  { skip: rtOnly },
  (cell) => {
    const make = (fastForward: boolean) => {
      const m = cell.machine({ cpus: 1, fastForward, kernel: "seed" });
      const work = irqWorkInit(() => {}, "w");
      m.spawn({ cpu: 0, name: "t", policy: "fifo", priority: 50, at: 1_000_000 }, function* (ctx) {
        yield* ctx.queue(work);
        yield* ctx.sync(work);
      });
      m.runUntil(30_000_000);
      return m;
    };
    const fast = make(true), slow = make(false);
    assert.deepEqual(outcome(fast, ""), outcome(slow, ""));
    assert.equal(fast.findings[0]?.level, "LIVELOCK");
    assert.ok(fast.kernel.engine.fired * 100 < slow.kernel.engine.fired);
  },
);
