import assert from "node:assert/strict";
import { fixtureArch } from "./fixture_arch.ts";
import { irqWorkInit } from "./irq_work.ts";
import { createMachine } from "./machine.ts";

Deno.test("runs: a machine keeps the last keepRuns runs and counts them all", () => {
  for (const keepRuns of [0, 3, Infinity]) {
    const m = createMachine({ arch: fixtureArch(), keepRuns });
    const works = [0, 1, 2, 3, 4].map((i) => irqWorkInit(() => {}, `w${i}`));
    m.spawn({ cpu: 0, name: "q", at: 1_000_000 }, function* (ctx) {
      for (const w of works) {
        yield* ctx.queue(w);
        yield* ctx.sync(w);
      }
    });
    m.runUntil(2_000_000);
    assert.equal(m.runCount, 5);
    const kept = works.slice(works.length - Math.min(keepRuns, 5)).map((w) => w.name);
    assert.deepEqual(m.runs.map((r) => r.work.name), kept, `keepRuns ${keepRuns}`);
  }
});

Deno.test("runs: keepRuns must be a whole number or Infinity", () => {
  for (const keepRuns of [-1, 1.5, NaN]) {
    assert.throws(() => createMachine({ arch: fixtureArch(), keepRuns }), {
      message: `Machine option keepRuns must be a whole number >= 0 or Infinity, got ${keepRuns} (number)`,
    });
  }
});
