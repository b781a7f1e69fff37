// Correctness of the timer-ping benchmark workload (not timed): the Engine and
// the bare heap must simulate the same thing.
import assert from "node:assert/strict";
import { timerPingBare, timerPingEngine } from "./engine_bench.ts";

/**
 * Oracle without any heap: each process's wake-up times depend only on its
 * own seed, so the time of the N-th event overall is the N-th smallest of
 * all processes' wake-up times.
 */
function nthWakeTime(processes: number, events: number): number {
  // Every delay is at most 1000, so by time `bound` every process has woken
  // at least ceil(N / P) times: the N-th event is no later than `bound`.
  const bound = 1000 * (Math.ceil(events / processes) - 1);
  const all: number[] = [];
  for (let pid = 1; pid <= processes; pid++) {
    let s = pid, t = 0;
    while (t <= bound) {
      all.push(t);
      s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
      t += 1 + s % 1000;
    }
  }
  all.sort((a, b) => a - b);
  return all[events - 1]!;
}

Deno.test("timer ping: engine and bare heap agree", async (t) => {
  await t.step("P=100, N=200,000", () => {
    const engine = timerPingEngine(100, 200_000);
    const bare = timerPingBare(100, 200_000);
    assert.equal(engine.events, 200_000);
    assert.equal(bare.events, 200_000);
    assert.equal(engine.finalTime, bare.finalTime);
    assert.equal(engine.checksum, bare.checksum, "events fired in a different order");
    assert.ok(engine.finalTime > 0);
  });

  await t.step("P=10,000, N=50,000 (heap much larger than the engine's initial capacity)", () => {
    const engine = timerPingEngine(10_000, 50_000);
    const bare = timerPingBare(10_000, 50_000);
    assert.deepEqual(engine, bare);
    assert.equal(engine.events, 50_000);
  });

  await t.step("both match a heap-free oracle", () => {
    for (const [p, n] of [[1, 1], [1, 3], [3, 10], [100, 5_000], [1000, 999], [1000, 1001]] as const) {
      const expected = nthWakeTime(p, n);
      assert.equal(timerPingEngine(p, n).finalTime, expected, `engine P=${p} N=${n}`);
      assert.equal(timerPingBare(p, n).finalTime, expected, `bare P=${p} N=${n}`);
    }
  });

  await t.step("the first wake-up of each process counts as an event", () => {
    // P processes all wake at time 0, so the first P events end at time 0.
    assert.deepEqual(
      [timerPingEngine(50, 50).finalTime, timerPingBare(50, 50).finalTime],
      [0, 0],
    );
    // s1 for seed 1 is 1103527590, so process 1's second wake-up is at 591.
    assert.equal(timerPingEngine(1, 2).finalTime, 591);
    assert.equal(timerPingBare(1, 2).finalTime, 591);
  });
});
