// Correctness of the timer-ping benchmark workload (not timed): the engine, spawnProcess and the two
// bare loops must simulate the same thing, and that thing must be what engine_bench.ts defines.
import assert from "node:assert/strict";
import {
  timerPingBare,
  timerPingBareGenerators,
  timerPingEngine,
  timerPingProcesses,
  type TimerPingResult,
} from "./engine_bench.ts";

const IMPLEMENTATIONS: [string, (processes: number, events: number) => TimerPingResult][] = [
  ["engine, again()", (p, n) => timerPingEngine(p, n, "again")],
  ["engine, after()", (p, n) => timerPingEngine(p, n, "after")],
  ["engine, after() with labels", (p, n) => timerPingEngine(p, n, "labels")],
  ["spawnProcess", timerPingProcesses],
  ["bare heap", timerPingBare],
  ["bare generators", timerPingBareGenerators],
];

/**
 * Oracle without any heap: each process's timer times depend only on its own
 * seed, so the time of the N-th timer event overall is the N-th smallest of
 * all processes' timer times. Start-ups are not timer events.
 */
function nthTimerTime(processes: number, events: number): number {
  // Every delay is at most 1000, so a process's k-th timer is due by 1000 k: by `bound` every
  // process has had ceil(N / P) timers, P * ceil(N / P) >= N in all, so the N-th is no later.
  const bound = 1000 * Math.ceil(events / processes);
  const all: number[] = [];
  for (let pid = 1; pid <= processes; pid++) {
    let s = pid, t = 0;
    for (;;) {
      s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
      t += 1 + s % 1000;
      if (t > bound) break;
      all.push(t);
    }
  }
  all.sort((a, b) => a - b);
  return all[events - 1]!;
}

Deno.test("timer ping: every implementation fires the same events in the same order", async (t) => {
  for (const [p, n] of [[100, 200_000], [10_000, 50_000]] as const) {
    await t.step(`P=${p}, N=${n}`, () => {
      const results = IMPLEMENTATIONS.map(([name, run]) => ({ name, ...run(p, n) }));
      for (const r of results) {
        assert.equal(r.events, n, `${r.name} counted ${r.events} timer events`);
        assert.equal(r.finalTime, results[0]!.finalTime, `${r.name} ended at another time`);
        assert.equal(r.checksum, results[0]!.checksum, `${r.name} fired events in another order`);
      }
      assert.equal(results[0]!.finalTime, nthTimerTime(p, n));
    });
  }
});

Deno.test("timer ping: N = 1,000,000 ends at 5,001,508 ns with 100 processes and 50,213 ns with 10,000", () => {
  for (const [p, expected] of [[100, 5_001_508], [10_000, 50_213]] as const) {
    assert.equal(nthTimerTime(p, 1_000_000), expected, `oracle, P=${p}`);
    for (const [name, run] of IMPLEMENTATIONS) {
      const r = run(p, 1_000_000);
      assert.deepEqual([r.events, r.finalTime], [1_000_000, expected], `${name}, P=${p}`);
    }
  }
});

Deno.test("timer ping: all match a heap-free oracle", () => {
  for (const [p, n] of [[1, 1], [1, 3], [3, 10], [100, 5_000], [1000, 999], [1000, 1001]] as const) {
    const expected = nthTimerTime(p, n);
    for (const [name, run] of IMPLEMENTATIONS) {
      assert.equal(run(p, n).finalTime, expected, `${name} P=${p} N=${n}`);
    }
  }
});

Deno.test("timer ping: start-ups happen before the clock and are not counted", () => {
  // Process 1 takes its first step at start-up: s1 = 1103527590, so its first timer is at
  // 1 + 590 = 591 ns and is timer event number 1.
  const first = 1 + ((Math.imul(1, 1103515245) + 12345) & 0x7fffffff) % 1000;
  assert.equal(first, 591);
  for (const [name, run] of IMPLEMENTATIONS) {
    assert.deepEqual([run(1, 1).events, run(1, 1).finalTime], [1, 591], name);
    // With 50 processes, the first timer event is the earliest first timer, never time 0.
    const earliest = Math.min(
      ...Array.from(
        { length: 50 },
        (_, i) => 1 + ((Math.imul(i + 1, 1103515245) + 12345) & 0x7fffffff) % 1000,
      ),
    );
    assert.equal(run(50, 1).finalTime, earliest, name);
    assert.ok(run(50, 1).finalTime > 0, name);
  }
});
