/**
 * The discrete-event engine: one virtual clock in integer nanoseconds and one
 * event queue ordered by (time, priority, sequence).
 *
 * The queue is a binary heap kept in typed arrays, because the engine is the
 * hot path of every simulation: no object is allocated per event. An event
 * names a registered {@linkcode EventHandler} by number and carries one
 * integer argument, which is enough for every user in this project (a CPU's
 * continuation epoch, an interrupt vector, a process).
 *
 * | operation          | cost     |
 * | ------------------ | -------- |
 * | `at` / `after`     | O(log n) |
 * | `step`             | O(log n) |
 * | `now`, `pending`   | O(1)     |
 *
 * @module
 */

/** Something the engine can call back at a scheduled time. */
export interface EventHandler {
  /** Called when an event scheduled for this handler is due. */
  fire(arg: number): void;
}

/** Event priorities: among events due at the same time, lower runs first. */
export const Priority = {
  /** Hardware (interrupt lines, IPI arrival): before software at the same instant. */
  HARDWARE: 0,
  /** Everything else. */
  NORMAL: 1,
} as const;

const SEQ_BITS = 2 ** 44;
const INITIAL_CAPACITY = 256;

/**
 * A deterministic discrete-event engine.
 *
 * @example Schedule two handlers and run until idle
 * ```ts
 * import { Engine } from "./engine.ts";
 * const engine = new Engine();
 * const seen: number[] = [];
 * const id = engine.register({ fire: (arg) => seen.push(arg) });
 * engine.at(20, id, 2);
 * engine.at(10, id, 1);
 * engine.runUntilIdle();
 * if (seen.join() !== "1,2" || engine.now !== 20) throw new Error("order");
 * ```
 */
export class Engine {
  #now = 0;
  #seq = 0;
  #size = 0;
  #fired = 0;
  #stopped = false;
  #stalled = false;
  #sameInstant = 0;
  #maxPerInstant: number;
  #times = new Float64Array(INITIAL_CAPACITY);
  #keys = new Float64Array(INITIAL_CAPACITY);
  #targets = new Int32Array(INITIAL_CAPACITY);
  #args = new Float64Array(INITIAL_CAPACITY);
  #handlers: EventHandler[] = [];

  /**
   * `maxEventsPerInstant` bounds how many events may fire without the clock
   * moving; past it the engine stops and reports {@linkcode Engine.stalled}
   * (a livelock of the modelled code, not of the engine).
   */
  constructor(maxEventsPerInstant = 1_000_000) {
    this.#maxPerInstant = maxEventsPerInstant;
  }

  /** True once more than `maxEventsPerInstant` events fired at one instant. */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** The current simulated time in nanoseconds. */
  get now(): number {
    return this.#now;
  }

  /** How many events are waiting. */
  get pending(): number {
    return this.#size;
  }

  /** How many events have fired since the engine was made. */
  get fired(): number {
    return this.#fired;
  }

  /** Register a handler once; the returned number names it in {@linkcode Engine.at}. */
  register(handler: EventHandler): number {
    this.#handlers.push(handler);
    return this.#handlers.length - 1;
  }

  /**
   * Schedule `handler(arg)` at absolute time `time` (ns).
   * Throws when `time` is in the past or not an integer.
   */
  at(time: number, handler: number, arg = 0, priority: number = Priority.NORMAL): void {
    if (!(time >= this.#now) || !Number.isSafeInteger(time)) {
      throw new RangeError(
        `Cannot schedule an event at ${time} ns: time must be a whole number of nanoseconds ` +
          `no earlier than now (${this.#now} ns)`,
      );
    }
    if (this.#size === this.#times.length) this.#grow();
    this.#siftUp(this.#size++, time, priority * SEQ_BITS + this.#seq++, handler, arg);
  }

  /** Schedule `handler(arg)` after `delay` nanoseconds. */
  after(delay: number, handler: number, arg = 0, priority: number = Priority.NORMAL): void {
    if (!(delay >= 0)) {
      throw new RangeError(`Cannot schedule an event ${delay} ns from now: the delay must not be negative`);
    }
    this.at(this.#now + delay, handler, arg, priority);
  }

  /** Time of the next event, or `Infinity` when the queue is empty. */
  peekTime(): number {
    return this.#size === 0 ? Infinity : this.#times[0]!;
  }

  /** Fire the next event. Returns false when there was none. */
  step(): boolean {
    if (this.#size === 0) return false;
    const time = this.#times[0]!;
    if (time !== this.#now) this.#sameInstant = 0;
    else if (++this.#sameInstant > this.#maxPerInstant) {
      this.#stalled = this.#stopped = true;
      return false;
    }
    const target = this.#targets[0]!;
    const arg = this.#args[0]!;
    const last = --this.#size;
    if (last > 0) {
      this.#siftDown(this.#times[last]!, this.#keys[last]!, this.#targets[last]!, this.#args[last]!);
    }
    this.#now = time;
    this.#fired++;
    this.#handlers[target]!.fire(arg);
    return true;
  }

  /**
   * Run events due at or before `time`, then set the clock to `time`.
   * Stops early (clock left at the last event) if {@linkcode Engine.stop} is called.
   */
  runUntil(time: number): void {
    if (!Number.isSafeInteger(time)) {
      throw new RangeError(`Cannot run until ${time} ns: time must be a whole number of nanoseconds`);
    }
    if (!(time >= this.#now)) {
      throw new RangeError(`Cannot run until ${time} ns: the clock is already at ${this.#now} ns`);
    }
    this.#stopped = false;
    while (this.#size > 0 && this.#times[0]! <= time && !this.#stopped) this.step();
    if (!this.#stopped) this.#now = time;
  }

  /** Run until no event is left, `maxEvents` have fired, or {@linkcode Engine.stop} is called. */
  runUntilIdle(maxEvents = Infinity): void {
    this.#stopped = false;
    for (let n = 0; n < maxEvents && !this.#stopped && this.step(); n++);
  }

  /** Ask a running `runUntil`/`runUntilIdle` to return after the current event. */
  stop(): void {
    this.#stopped = true;
  }

  #grow(): void {
    const cap = this.#times.length * 2;
    const grow = <T extends Float64Array | Int32Array>(a: T, b: T): T => (b.set(a), b);
    this.#times = grow(this.#times, new Float64Array(cap));
    this.#keys = grow(this.#keys, new Float64Array(cap));
    this.#targets = grow(this.#targets, new Int32Array(cap));
    this.#args = grow(this.#args, new Float64Array(cap));
  }

  #siftUp(i: number, time: number, key: number, target: number, arg: number): void {
    const times = this.#times, keys = this.#keys, targets = this.#targets, args = this.#args;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < time || (pt === time && keys[p]! < key)) break;
      times[i] = pt;
      keys[i] = keys[p]!;
      targets[i] = targets[p]!;
      args[i] = args[p]!;
      i = p;
    }
    times[i] = time;
    keys[i] = key;
    targets[i] = target;
    args[i] = arg;
  }

  #siftDown(time: number, key: number, target: number, arg: number): void {
    const times = this.#times, keys = this.#keys, targets = this.#targets, args = this.#args, n = this.#size;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ct = times[c]!;
      const r = c + 1;
      if (r < n) {
        const rt = times[r]!;
        if (rt < ct || (rt === ct && keys[r]! < keys[c]!)) {
          c = r;
          ct = rt;
        }
      }
      if (time < ct || (time === ct && key < keys[c]!)) break;
      times[i] = ct;
      keys[i] = keys[c]!;
      targets[i] = targets[c]!;
      args[i] = args[c]!;
      i = c;
    }
    times[i] = time;
    keys[i] = key;
    targets[i] = target;
    args[i] = arg;
  }
}

/** A process body: a generator that yields how many nanoseconds to sleep. */
export type ProcessBody = Generator<number, void, void>;

/**
 * Start a process that sleeps for each number it yields, until it returns.
 * This is the engine's plain process (SimPy's `Process` with only `Timeout`);
 * the machine's CPUs are richer processes built on the same handlers.
 *
 * @example
 * ```ts
 * import { Engine, spawnProcess } from "./engine.ts";
 * const engine = new Engine();
 * spawnProcess(engine, (function* () { yield 5; yield 7; })());
 * engine.runUntilIdle();
 * if (engine.now !== 12) throw new Error("time");
 * ```
 */
export function spawnProcess(engine: Engine, body: ProcessBody, start: number = engine.now): void {
  const process = new Process(engine, body);
  engine.at(start, process.id);
}

/** One plain process; a class so that every process shares one `fire` (a monomorphic call). */
class Process implements EventHandler {
  readonly id: number;
  #engine: Engine;
  #body: ProcessBody;

  constructor(engine: Engine, body: ProcessBody) {
    this.#engine = engine;
    this.#body = body;
    this.id = engine.register(this);
  }

  fire(): void {
    const r = this.#body.next();
    if (!r.done) this.#engine.after(r.value, this.id);
  }
}
