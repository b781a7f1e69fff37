/** Runs in slices: the same results whatever the slices; progress, early stop, halts. */

import assert from "node:assert/strict";
import { buildScenario, loadScenario, runSliced, stopSwitch } from "./mod.ts";
import { createMachine } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";

const storm = JSON.parse(
  await Deno.readTextFile(new URL("../examples/scenarios/irq_storm_rt.json", import.meta.url)),
);

/** The storm example, shortened, with every trace sink; its outputs after a run in `sliceNs` slices. */
function runStorm(
  sliceNs: number | undefined,
): { ftrace: string; perfetto: string; dat: string; summary: string } {
  const built = buildScenario(loadScenario({ ...storm, run: { durationNs: 8_000_000 } }));
  built.run(sliceNs === undefined ? {} : { sliceNs });
  const o = built.outputs();
  return {
    ftrace: o.ftrace!,
    perfetto: o.perfetto!,
    dat: Array.from(o.traceDat!).join(","),
    summary: built.summary(),
  };
}

Deno.test("runSliced: slices change nothing (traces, summary) whatever their size", () => {
  const whole = runStorm(8_000_000);
  assert.ok(whole.ftrace.split("\n").length > 1_000, "a busy trace");
  for (const slice of [977, 250_000, undefined]) {
    const sliced = runStorm(slice);
    assert.equal(sliced.ftrace, whole.ftrace, `ftrace, slices of ${slice}`);
    assert.equal(sliced.perfetto, whole.perfetto, `perfetto, slices of ${slice}`);
    assert.equal(sliced.dat, whole.dat, `trace.dat, slices of ${slice}`);
    assert.equal(sliced.summary, whole.summary, `summary, slices of ${slice}`);
  }
});

Deno.test("runSliced: reports progress after each slice, and stops when the callback says so", () => {
  const m = createMachine({ arch: x86(), cpus: 2 });
  const seen: number[] = [];
  const result = runSliced(m, 10_000_000, {
    sliceNs: 1_000_000,
    onProgress: (p) => {
      assert.equal(p.untilNs, 10_000_000);
      assert.ok(p.events > 0);
      seen.push(p.nowNs);
      return p.nowNs < 3_000_000;
    },
  });
  assert.deepEqual(seen, [1_000_000, 2_000_000, 3_000_000]);
  assert.deepEqual(result.end, "stopped");
  assert.equal(m.now, 3_000_000);
  // The machine is fine: it runs on.
  assert.equal(runSliced(m, 5_000_000).end, "done");
  assert.equal(m.now, 5_000_000);
});

Deno.test("runSliced: a slice function chooses each next slice from the progress", () => {
  const m = createMachine({ arch: x86() });
  const asked: number[] = [];
  runSliced(m, 7_000, {
    sliceNs: (p) => {
      asked.push(p.nowNs);
      return 2_000;
    },
  });
  assert.deepEqual(asked, [0, 2_000, 4_000, 6_000]);
  assert.equal(m.now, 7_000);
  assert.throws(() => runSliced(m, 8_000, { sliceNs: 0 }), /slice must be a whole number of ns >= 1, got 0/);
});

Deno.test("runSliced: a stop requested from inside ends the run at that event", () => {
  const m = createMachine({ arch: x86() });
  const stop = stopSwitch(m);
  m.at(1_234_567, "stop", () => stop.stop());
  const result = runSliced(m, 10_000_000, { sliceNs: 1_000_000, stop });
  assert.equal(result.end, "break");
  assert.equal(result.nowNs, 1_234_567);
});

Deno.test("runSliced: a machine a livelock halts ends the run as halted", () => {
  const built = buildScenario(loadScenario({
    irqemu: 1,
    machine: { arch: "tick-only", timing: { spinLimitNs: 100_000 } },
    works: [{ name: "w", ops: [{ op: "sync", work: "w" }] }],
    tasks: [{ name: "t", cpu: 0, ops: [{ op: "queue", work: "w" }] }],
    run: { durationNs: 50_000_000 },
  }));
  const result = built.run({ sliceNs: 1_000_000 });
  assert.equal(result.end, "halted");
  assert.ok(result.nowNs < 50_000_000);
  assert.ok(built.machine.panicked);
});
