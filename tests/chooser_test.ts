/**
 * Interleavings chosen by someone other than the engine's sequence order:
 * events due at the same instant may fire in any order a chooser picks, and
 * the machine stays a faithful kernel under every order.
 *
 * @module
 */

import assert from "node:assert/strict";
import fc from "npm:fast-check@4.10.2";
import { Ready } from "../core/mod.ts";
import { createMachine, ftrace, irqWorkInit, type Machine } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { CELLS } from "./matrix.ts";
import { runScenario, scenarioArb } from "./scenarios.ts";

/** Two CPUs claim one work at the same instant, ties broken by `chooser`; the runs and the trace. */
function race(
  chooser: ((ready: Float64Array, count: number) => number) | null,
): { m: Machine; lines: string[] } {
  const tracer = ftrace();
  const m = createMachine({ arch: x86(), cpus: 2, plugins: [tracer] });
  m.kernel.engine.chooser = chooser;
  const work = irqWorkInit(() => {}, "contended");
  for (const cpu of [0, 1]) m.spawn({ cpu, name: `t${cpu}`, at: 1_000_000 }, (ctx) => ctx.queue(work));
  m.runUntil(2_000_000);
  assert.deepEqual(m.findings, []);
  return { m, lines: [...tracer.lines] };
}

/** Of the tied events, the first of CPU 1's, if any. */
function cpu1First(ready: Float64Array, count: number): number {
  for (let i = 0; i < count; i++) if (ready[i * Ready.STRIDE + Ready.OWNER] === 1) return i;
  return 0;
}

Deno.test("chooser: a chooser decides which CPU wins a simultaneous claim", () => {
  assert.deepEqual(race(null).m.runs.map((r) => r.cpu), [0], "in sequence order CPU 0 claims first");
  assert.deepEqual(race(cpu1First).m.runs.map((r) => r.cpu), [1], "CPU 1 first: CPU 1 claims");
});

Deno.test("chooser: reversing every tie changes the interleaving, and the same choices replay it exactly", () => {
  const reverse = (_ready: Float64Array, count: number) => count - 1;
  const plain = race(null), reversed = race(reverse);
  assert.notDeepEqual(reversed.lines, plain.lines, "simultaneous events came in another order");
  assert.deepEqual(race(reverse).lines, reversed.lines, "deterministic");
  assert.equal(reversed.m.runs.length, 1, "one claim won, one run");
});

Deno.test("chooser: under random tie-breaking, random workloads still conserve works", () => {
  fc.assert(
    fc.property(
      fc.nat(CELLS.length - 1).chain((cellIndex) =>
        scenarioArb(CELLS[cellIndex]!.arch.maxCpus).map((sc) => ({ cellIndex, sc }))
      ),
      fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      ({ cellIndex, sc }, seed) => {
        let state = seed;
        const { m, works, claims } = runScenario(cellIndex, "D", sc, true, (ready, count) => {
          void ready;
          state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
          return state % count;
        });
        const where = `${CELLS[cellIndex]!.arch.name} ${CELLS[cellIndex]!.config.name}`;
        assert.deepEqual(m.findings.map((f) => f.message), [], where);
        assert.equal(m.runs.filter((r) => works.includes(r.work)).length, claims, where);
      },
    ),
    { seed: 20261201, numRuns: 150 },
  );
});
