/**
 * The "timer ping" benchmark: how much does the {@linkcode Engine} (with
 * {@linkcode spawnProcess} generators) cost over a bare binary-heap loop
 * doing the same simulation?
 *
 * Workload: `P` processes; process `i` (1-based) starts at time 0 with
 * `s = i` and loops forever:
 *
 * ```text
 * s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
 * sleep(1 + s % 1000);
 * ```
 *
 * The run stops after `N` timer events in total.
 *
 * A "timer event" is one fired event. Each process's first wake-up at time 0
 * is a fired event too, so it counts: after `N` events, exactly `N` LCG steps
 * have been taken in total and one more timer per process is still pending.
 * Both implementations count the same way, and both report the simulated
 * time of the `N`-th event as the final time.
 *
 * Both also return an order-dependent checksum of which process woke at each
 * event, so a test can check that they fire events in the same order (both
 * break ties on time by insertion sequence).
 *
 * The implementations are exported so that `engine_timer_ping_test.ts` and
 * `tools/bench_report.ts` run exactly the code measured here; `Deno.bench` is
 * a no-op outside `deno bench`.
 *
 * @module
 */

import { Engine, spawnProcess } from "./engine.ts";

/** What one timer-ping run produced. */
export interface TimerPingResult {
  /** Events fired (equals `N` unless the queue ran dry, which it cannot here). */
  events: number;
  /** Simulated time (ns) of the last fired event. */
  finalTime: number;
  /** Order-dependent hash of the process id of every fired event. */
  checksum: number;
}

/** Fold a process id into the running checksum (order-dependent). */
function mix(h: number, pid: number): number {
  return Math.imul(h ^ pid, 0x9e3779b1) >>> 0;
}

/** Timer ping on the {@linkcode Engine}: one {@linkcode spawnProcess} generator per process. */
export function timerPingEngine(processes: number, events: number): TimerPingResult {
  const engine = new Engine();
  const state = { checksum: 0 };
  function* pinger(pid: number) {
    let s = pid;
    for (;;) {
      state.checksum = mix(state.checksum, pid);
      s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
      yield 1 + s % 1000;
    }
  }
  for (let pid = 1; pid <= processes; pid++) spawnProcess(engine, pinger(pid), 0);
  engine.runUntilIdle(events);
  return { events: engine.fired, finalTime: engine.now, checksum: state.checksum };
}

/**
 * Timer ping on a hand-written binary heap in typed arrays, ordered by
 * (time, seq). Same work as the engine version: pop the minimum, advance
 * that process's LCG, push its next wake-up.
 */
export function timerPingBare(processes: number, events: number): TimerPingResult {
  // Every process has exactly one pending timer, so the heap never exceeds P.
  const times = new Float64Array(processes);
  const seqs = new Float64Array(processes);
  const pids = new Int32Array(processes);
  const lcg = new Int32Array(processes + 1); // lcg[pid] = that process's s
  let size = 0;
  let seq = 0;
  let now = 0;
  let fired = 0;
  let checksum = 0;

  const push = (time: number, pid: number): void => {
    const key = seq++;
    let i = size++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < time || (pt === time && seqs[p]! < key)) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      pids[i] = pids[p]!;
      i = p;
    }
    times[i] = time;
    seqs[i] = key;
    pids[i] = pid;
  };

  for (let pid = 1; pid <= processes; pid++) {
    lcg[pid] = pid;
    push(0, pid);
  }

  while (fired < events && size > 0) {
    // Pop the minimum.
    const time = times[0]!;
    const pid = pids[0]!;
    const last = --size;
    if (last > 0) {
      const lt = times[last]!, lk = seqs[last]!, lp = pids[last]!;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= last) break;
        const r = c + 1;
        if (r < last && (times[r]! < times[c]! || (times[r] === times[c] && seqs[r]! < seqs[c]!))) c = r;
        const ct = times[c]!;
        if (lt < ct || (lt === ct && lk < seqs[c]!)) break;
        times[i] = ct;
        seqs[i] = seqs[c]!;
        pids[i] = pids[c]!;
        i = c;
      }
      times[i] = lt;
      seqs[i] = lk;
      pids[i] = lp;
    }
    now = time;
    fired++;
    // The process body.
    checksum = mix(checksum, pid);
    const s = (Math.imul(lcg[pid]!, 1103515245) + 12345) & 0x7fffffff;
    lcg[pid] = s;
    push(now + 1 + s % 1000, pid);
  }
  return { events: fired, finalTime: now, checksum };
}

/** Events per benchmark iteration. */
export const TIMER_PING_EVENTS = 1_000_000;
/** Process counts measured. */
export const TIMER_PING_PROCESSES = [100, 10_000] as const;

for (const p of TIMER_PING_PROCESSES) {
  const group = `timer ping P=${p}`;
  Deno.bench({
    name: `engine + spawnProcess, P=${p}, N=${TIMER_PING_EVENTS}`,
    group,
    n: 10,
    warmup: 2,
    fn: () => void timerPingEngine(p, TIMER_PING_EVENTS),
  });
  Deno.bench({
    name: `bare typed-array heap, P=${p}, N=${TIMER_PING_EVENTS}`,
    group,
    baseline: true,
    n: 10,
    warmup: 2,
    fn: () => void timerPingBare(p, TIMER_PING_EVENTS),
  });
}
