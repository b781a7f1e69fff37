// Correctness of the irq_work cycle benchmark bodies (tests/irq_work_bench.ts); nothing here is timed.
import assert from "node:assert/strict";
import { localCycleRun, localCycles, remoteCycleRun, remoteCycles } from "./irq_work_bench.ts";

const N = 200;

Deno.test("irq_work cycle benchmark bodies", async (t) => {
  for (
    const [name, run, count] of [
      ["local", localCycleRun, localCycles],
      ["remote", remoteCycleRun, remoteCycles],
    ] as const
  ) {
    await t.step(`${name}: ${N} cycles complete ${N} runs`, () => {
      assert.equal(count(N), N);
      assert.equal(run(N).runs, N);
    });

    await t.step(`${name}: simulated time per cycle is positive and deterministic`, () => {
      const first = run(N);
      const second = run(N);
      const perCycle = first.simulatedNs / N;
      assert.ok(perCycle > 0, `simulated ns per cycle ${perCycle}`);
      assert.ok(Number.isSafeInteger(first.simulatedNs));
      assert.deepEqual(second, first);
    });

    await t.step(`${name}: zero cycles complete zero runs`, () => {
      assert.deepEqual(run(0), { runs: 0, simulatedNs: 0 });
    });
  }

  await t.step("a remote cycle costs more simulated time than a local one (it adds an IPI)", () => {
    assert.ok(remoteCycleRun(N).simulatedNs > localCycleRun(N).simulatedNs);
  });

  await t.step("a bad cycle count is refused", () => {
    assert.throws(() => localCycles(-1), RangeError);
    assert.throws(() => remoteCycles(1.5), RangeError);
  });
});
