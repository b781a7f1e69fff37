/**
 * The "timer ping" benchmark: how much does the {@linkcode Engine} cost over
 * a bare binary-heap loop doing the same simulation, and how much do
 * {@linkcode spawnProcess} generators cost over a bare loop that resumes one
 * generator per process?
 *
 * Workload: `P` processes. At start-up, before the clock starts, process `i`
 * (1-based) sets `s = i`, takes its first step and arms its timer; at every
 * timer event it wakes and takes the next step:
 *
 * ```text
 * s = (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
 * sleep(1 + s % 1000);
 * ```
 *
 * The run stops after `N` timer events: `N` wake-ups in total, not counting
 * the start-ups. With `N` = 1,000,000 the last one is at 5,001,508 ns for
 * `P` = 100 and at 50,213 ns for `P` = 10,000, in any engine that orders
 * events by (time, scheduling order).
 *
 * Four implementations:
 *
 * - {@linkcode timerPingEngine}: one registered handler whose argument is
 *   the process, sleeping again with {@linkcode Engine.again} (the engine's
 *   fastest API), with `after`, or with `after` and owner and kind labels;
 *   start-ups are plain code before the run.
 * - {@linkcode timerPingBare}: the same on a hand-written typed-array
 *   binary heap ordered by (time, sequence).
 * - {@linkcode timerPingProcesses}: one {@linkcode spawnProcess} generator
 *   per process. A process's start-up is an event at time 0 (that is how
 *   processes start), fired before any timer since timers are due at 1 ns
 *   or later; it is not counted.
 * - {@linkcode timerPingBareGenerators}: the same generators resumed by a
 *   bare binary-heap loop, start-ups included as events at time 0.
 *
 * All return the final time and an order-dependent checksum of which
 * process woke at each timer event, so a test can check that they fire
 * events in the same order.
 *
 * The implementations are exported so that `engine_timer_ping_test.ts` and
 * `tools/bench_report.ts` run exactly the code measured here; `Deno.bench` is
 * a no-op outside `deno bench`.
 *
 * @module
 */

import { Engine, type EventHandler, EventKind, Priority, type ProcessBody, spawnProcess } from "./engine.ts";

/** What one timer-ping run produced. */
export interface TimerPingResult {
  /** Timer events fired (equals `N`: the queue never runs dry). */
  events: number;
  /** Simulated time (ns) of the last timer event. */
  finalTime: number;
  /** Order-dependent hash of the process id of every fired event. */
  checksum: number;
}

/** Fold a process id into the running checksum (order-dependent). */
function mix(h: number, pid: number): number {
  return Math.imul(h ^ pid, 0x9e3779b1) >>> 0;
}

/** One step of a process's generator. */
function lcg(s: number): number {
  return (Math.imul(s, 1103515245) + 12345) & 0x7fffffff;
}

/**
 * How the engine version's handler schedules its next timer: `again`
 * ({@linkcode Engine.again}, the fastest), `after`, or `after` with an owner
 * and a kind (to measure what the labels cost).
 */
export type TimerPingApi = "again" | "after" | "labels";

/**
 * Timer ping on the {@linkcode Engine}: one registered handler, the process
 * number as its argument.
 */
export function timerPingEngine(
  processes: number,
  events: number,
  api: TimerPingApi = "again",
): TimerPingResult {
  const engine = new Engine();
  const pinger = new Pinger(engine, processes, api);
  for (let pid = 1; pid <= processes; pid++) pinger.start(pid);
  engine.runUntilIdle(events);
  return { events: engine.fired, finalTime: engine.now, checksum: pinger.checksum };
}

/** The engine version's processes. */
class Pinger implements EventHandler {
  checksum = 0;
  #engine: Engine;
  #id: number;
  #api: TimerPingApi;
  #state: Int32Array; // #state[pid] = that process's s

  constructor(engine: Engine, processes: number, api: TimerPingApi) {
    this.#engine = engine;
    this.#id = engine.register(this);
    this.#api = api;
    this.#state = new Int32Array(processes + 1);
  }

  /** Start-up: the first step, and the first timer. */
  start(pid: number): void {
    const s = lcg(pid);
    this.#state[pid] = s;
    if (this.#api === "labels") {
      this.#engine.at(1 + s % 1000, this.#id, pid, Priority.NORMAL, pid, EventKind.TIMER);
    } else this.#engine.at(1 + s % 1000, this.#id, pid);
  }

  fire(pid: number): void {
    this.checksum = mix(this.checksum, pid);
    const s = lcg(this.#state[pid]!);
    this.#state[pid] = s;
    const engine = this.#engine, api = this.#api;
    if (api === "again") engine.again(1 + s % 1000);
    else if (api === "after") engine.after(1 + s % 1000, this.#id, pid);
    else engine.after(1 + s % 1000, this.#id, pid, Priority.NORMAL, pid, EventKind.TIMER);
  }
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
  const state = new Int32Array(processes + 1); // state[pid] = that process's s
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
    const s = lcg(pid);
    state[pid] = s;
    push(1 + s % 1000, pid);
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
    const s = lcg(state[pid]!);
    state[pid] = s;
    push(now + 1 + s % 1000, pid);
  }
  return { events: fired, finalTime: now, checksum };
}

/** The process as a generator: one step at start-up, then one per wake-up. */
function* pinger(pid: number, sum: { checksum: number }): ProcessBody {
  let s = pid;
  for (;;) {
    s = lcg(s);
    yield 1 + s % 1000;
    sum.checksum = mix(sum.checksum, pid);
  }
}

/** Timer ping with one {@linkcode spawnProcess} generator per process. */
export function timerPingProcesses(processes: number, events: number): TimerPingResult {
  const engine = new Engine();
  const sum = { checksum: 0 };
  for (let pid = 1; pid <= processes; pid++) spawnProcess(engine, pinger(pid, sum), 0);
  // The first `processes` events are the start-ups, all at time 0.
  engine.runUntilIdle(processes + events);
  return { events: engine.fired - processes, finalTime: engine.now, checksum: sum.checksum };
}

/**
 * The same generators resumed by a bare binary-heap loop, like
 * {@linkcode timerPingBare} but calling `next()` where it steps the LCG.
 * Start-ups are events at time 0, as with {@linkcode spawnProcess}.
 */
export function timerPingBareGenerators(processes: number, events: number): TimerPingResult {
  const times = new Float64Array(processes);
  const seqs = new Float64Array(processes);
  const pids = new Int32Array(processes);
  const bodies: ProcessBody[] = [];
  const sum = { checksum: 0 };
  let size = 0;
  let seq = 0;
  let now = 0;
  let fired = 0;

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
    bodies.push(pinger(pid, sum));
    push(0, pid);
  }

  const total = processes + events;
  while (fired < total && size > 0) {
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
    // Resume the process.
    const r = bodies[pid - 1]!.next();
    if (!r.done) push(now + r.value, pid);
  }
  return { events: fired - processes, finalTime: now, checksum: sum.checksum };
}

/** Timer events per benchmark iteration. */
export const TIMER_PING_EVENTS = 1_000_000;
/** Process counts measured. */
export const TIMER_PING_PROCESSES = [100, 10_000] as const;

/** One timer-ping bench: ten timed runs of `N` events after two warm-ups. */
function bench(group: string, name: string, run: () => TimerPingResult, baseline = false): void {
  Deno.bench({
    name: `${name}, N=${TIMER_PING_EVENTS}`,
    group,
    baseline,
    n: 10,
    warmup: 2,
    fn: () => void run(),
  });
}

for (const p of TIMER_PING_PROCESSES) {
  const n = TIMER_PING_EVENTS;
  const heap = `timer ping P=${p}`;
  bench(heap, "engine, handler calls again()", () => timerPingEngine(p, n, "again"));
  bench(heap, "engine, handler calls after()", () => timerPingEngine(p, n, "after"));
  bench(heap, "engine, after() with owner and kind", () => timerPingEngine(p, n, "labels"));
  bench(heap, "bare typed-array heap", () => timerPingBare(p, n), true);
  const generators = `timer ping generators P=${p}`;
  bench(generators, "engine + spawnProcess", () => timerPingProcesses(p, n));
  bench(generators, "bare heap resuming generators", () => timerPingBareGenerators(p, n), true);
}
