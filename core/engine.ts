/**
 * The discrete-event engine: one virtual clock in integer nanoseconds and one
 * event queue ordered by (time, priority, sequence).
 *
 * The queue is a binary heap kept in typed arrays, because the engine is the
 * hot path of every simulation: no object is allocated per event. An event
 * names a registered {@linkcode EventHandler} by number (or is a one-off
 * closure, {@linkcode Engine.call}) and carries one numeric argument, an
 * owner (the CPU it belongs to) and a kind ({@linkcode EventKind}), which is
 * enough for every user in this project.
 *
 * Two additions serve an interleaving explorer: a chooser
 * ({@linkcode Engine.chooser}) may pick which of several events due at the
 * same instant fires first, and every event has an id by which it can be
 * cancelled ({@linkcode Engine.cancel}).
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
Object.freeze(Priority);

/**
 * What an event is, so that a chooser (and anyone reading the
 * queue) can tell events apart without knowing the handlers. The engine
 * itself only stores the value; any whole number from 0 to 255 is accepted.
 */
export const EventKind = {
  /** Scheduled without a kind. */
  NONE: 0,
  /** A CPU continues at a step boundary: after a step, or to take an interrupt or leave idle. */
  STEP: 1,
  /** A CPU's spend of CPU time ends. */
  SPEND_END: 2,
  /** An interrupt (a device line or an IPI) arrives at a CPU. */
  INTERRUPT: 3,
  /** A clock-event device (a CPU's timer) expires. */
  TIMER: 4,
  /** A one-off scripted callback ({@linkcode Engine.call}). */
  CALL: 5,
  /** A plain process ({@linkcode spawnProcess}) starts or wakes from a sleep. */
  PROCESS: 6,
} as const;
Object.freeze(EventKind);

/**
 * Where each number of a ready event sits in the array a chooser gets (see
 * {@linkcode Engine.chooser}): ready event `i` is the `STRIDE` numbers from
 * `i * Ready.STRIDE`, so its owner is `ready[i * Ready.STRIDE + Ready.OWNER]`.
 */
export const Ready = {
  /** The event's id, as {@linkcode Engine.at} returned it: its scheduling sequence number. */
  ID: 0,
  /** Owner: a CPU number, or -1 for none. */
  OWNER: 1,
  /** Kind: an {@linkcode EventKind} value. */
  KIND: 2,
  /** Handler number, or -1 for an {@linkcode Engine.call} callback. */
  HANDLER: 3,
  /** The handler's argument (for a callback, a number the engine uses internally). */
  ARG: 4,
  /** The time (ns) the event is due at: the same for every ready event. */
  TIME: 5,
  /** Its priority ({@linkcode Priority}): the same for every ready event. */
  PRIORITY: 6,
  /** Numbers per ready event. */
  STRIDE: 7,
} as const;
Object.freeze(Ready);

/** Keys are `priority * SEQ_BITS + sequence`: one number orders priority, then scheduling order. */
const SEQ_BITS = 2 ** 44;
/** Largest priority: `(MAX_PRIORITY + 1) * SEQ_BITS` stays a safe integer. */
const MAX_PRIORITY = 255;
const MAX_KIND = 255;
const MAX_OWNER = 2 ** 23 - 1;
/** A tag packs an event's owner and kind in an Int32: `owner << KIND_BITS | kind`. */
const KIND_BITS = 8;
/** The handler number of a one-off callback, whose closure is in the closure table. */
const CALL_TARGET = -1;
const INITIAL_CAPACITY = 64;
/** Bytes per heap position: time, key and argument (Float64), handler and tag (Int32). */
const HEAP_BYTES_PER_EVENT = 32;
const EMPTY_F64 = new Float64Array(0);
const EMPTY_I32 = new Int32Array(0);
/** States of the top of the heap (`Engine.#top`). */
const SETTLED = 0, FIRED = 1, REKEYED = 2;

/**
 * A deterministic discrete-event engine.
 *
 * Pending events live in a binary min-heap ordered by (time, priority,
 * sequence), kept in typed arrays by heap position: time, key (priority and
 * sequence), handler, tag (owner and kind), argument. What keeps the common
 * path close to a bare heap loop:
 *
 * - a handler that schedules while it runs (a process or timer sleeping
 *   again) puts the new event in the fired one's place at the top: one
 *   sift instead of a removal and an insertion; with {@linkcode Engine.again}
 *   the event keeps its place and its data, and the run loop sifts it after
 *   the handler returns;
 * - the sift picks the earlier child with arithmetic, not a branch, and the
 *   position past the last event holds `Infinity`, so no child needs a
 *   bounds check;
 * - an event's id is its sequence number, a small integer: returning it
 *   allocates nothing, and nothing else crosses a call as a boxed double.
 *
 * {@linkcode Engine.cancel} finds the event by scanning the key array rather
 * than keeping a position index up to date on every heap move: the scan
 * costs a few nanoseconds for the tens of events a machine model has
 * pending, while an index (a slot per event, a position written at every
 * move) costs every event, cancelled or not: 15 to 20% of the engine's
 * speed in the timer-ping benchmark (`core/engine_bench.ts`).
 *
 * | operation                          | cost                                  |
 * | ---------------------------------- | ------------------------------------- |
 * | `at` / `after` / `call` / `again`  | O(log n)                              |
 * | `cancel`                           | O(n) scan, then O(log n)              |
 * | `step`, no chooser                 | O(log n)                              |
 * | `step`, with a chooser             | O(log n + k log k) for k events ready |
 * | `register`                         | O(1) amortised                        |
 * | `now`, `pending`, `fired`          | O(1)                                  |
 * | `peekTime`                         | O(1); O(log n) first in a handler     |
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
 *
 * @example Cancel an event, run a one-off callback
 * ```ts
 * import { Engine } from "./engine.ts";
 * const engine = new Engine();
 * const log: string[] = [];
 * const early = engine.call(10, () => log.push("early"));
 * engine.call(20, () => log.push(`late, cancelled again: ${engine.cancel(early)}`));
 * engine.cancel(early);
 * engine.runUntilIdle();
 * if (log.join() !== "late, cancelled again: false") throw new Error(log.join());
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
  /** `#fired` at which the current run or step must return: no event fires in place past it. */
  #limit = 0;
  /**
   * What the top of the heap holds besides a pending event: `FIRED`, the
   * event that just fired, awaiting removal unless the next `at` takes its
   * place; `REKEYED`, that event given a new time by `again`, awaiting its
   * sift down (done after its handler returns, in the run loop's own code).
   */
  #top: number = SETTLED;
  /**
   * Key, handler, tag and argument of the last event fired, for `again`
   * once that event has left the top of the heap; key -1 before any.
   */
  #lastKey = -1;
  #lastTarget = 0;
  #lastTag = 0;
  #lastArg = 0;
  #choosing = false;
  #chooser: ((ready: Float64Array, count: number) => number) | null = null;
  // The chooser's arrays start empty and grow on first use: an engine that
  // never chooses (most of them) allocates none. Typed arrays are costly to
  // allocate, and a fresh machine per explored run makes that count.
  /** What the chooser reads: `Ready.STRIDE` numbers per ready event. */
  #ready: Float64Array = EMPTY_F64;
  /** Heap position of each ready event. */
  #readyAt: Int32Array = EMPTY_I32;
  /** Scratch heap of heap positions, for listing ready events in sequence order. */
  #frontier: Int32Array = EMPTY_I32;

  // The heap, by position, as views of one buffer (one allocation). Times
  // past the last event are Infinity; the position after that stages an
  // event on its way in.
  #times!: Float64Array;
  #keys!: Float64Array;
  #targets!: Int32Array;
  #tags!: Int32Array;
  #args!: Float64Array;

  #handlers: EventHandler[] = [];
  /** Closures of pending `call` events, by the index in their argument; freed on fire or cancel. */
  #closures: ((() => void) | undefined)[] = [];
  #freeClosures: number[] = [];

  /**
   * `maxEventsPerInstant` bounds how many events may fire without the clock
   * moving; past it the engine stops and reports {@linkcode Engine.stalled}
   * (a livelock of the modelled code, not of the engine).
   */
  constructor(maxEventsPerInstant = 1_000_000) {
    this.#maxPerInstant = maxEventsPerInstant;
    this.#allocate(INITIAL_CAPACITY);
  }

  /** True once more than `maxEventsPerInstant` events fired at one instant. */
  get stalled(): boolean {
    return this.#stalled;
  }

  /** The current simulated time in nanoseconds. */
  get now(): number {
    return this.#now;
  }

  /** How many events are waiting (exact: cancelled events are gone). */
  get pending(): number {
    return this.#top === FIRED ? this.#size - 1 : this.#size;
  }

  /** How many events have fired since the engine was made. */
  get fired(): number {
    return this.#fired;
  }

  /**
   * Who picks which event fires first among those tied on time and priority;
   * `null` (the default) fires them in scheduling order at no extra cost.
   *
   * The chooser gets `ready`, a reused array describing the `count` tied
   * events ({@linkcode Ready} says where each number sits), and returns the
   * index (0 to `count - 1`) of the one to fire; anything else is a
   * `RangeError`. The events are listed in the order the engine fires them
   * without a chooser (ascending id), so 0 is the default choice and a
   * recorded list of choices replays the same run. It is asked only when two
   * or more events tie: a lone event, or one with a lower priority number (a
   * {@linkcode Priority.HARDWARE} event), fires without asking. The chosen
   * event fires; the others stay pending and are offered again at the next
   * step, with any event scheduled meanwhile for the same instant.
   *
   * A chooser must be deterministic for the run to be, read `ready` only
   * during the call (entries past `count` are stale), and not schedule,
   * cancel or step (the engine throws if it tries). Set it between events.
   *
   * @example Fire tied events last-scheduled first
   * ```ts
   * import { Engine, Priority, Ready } from "./engine.ts";
   * const engine = new Engine();
   * const seen: number[] = [];
   * const id = engine.register({ fire: (arg) => seen.push(arg) });
   * for (let cpu = 0; cpu < 3; cpu++) engine.at(5, id, cpu, Priority.NORMAL, cpu);
   * const owners: number[] = [];
   * engine.chooser = (ready, count) => {
   *   owners.push(ready[(count - 1) * Ready.STRIDE + Ready.OWNER]!);
   *   return count - 1;
   * };
   * engine.runUntilIdle();
   * if (seen.join() !== "2,1,0" || owners.join() !== "2,1") throw new Error(seen.join());
   * ```
   */
  get chooser(): ((ready: Float64Array, count: number) => number) | null {
    return this.#chooser;
  }

  set chooser(chooser: ((ready: Float64Array, count: number) => number) | null) {
    if (this.#choosing) throw new Error("Cannot change the chooser from inside a chooser");
    this.#chooser = chooser;
  }

  /** Register a handler once; the returned number names it in {@linkcode Engine.at}. */
  register(handler: EventHandler): number {
    this.#handlers.push(handler);
    return this.#handlers.length - 1;
  }

  /**
   * Schedule `handler(arg)` at absolute time `time` (ns) and return the
   * event's id, for {@linkcode Engine.cancel}: its sequence number, which
   * grows by one per scheduled event and is never reused.
   *
   * `owner` (a CPU number, or -1 for none) and `kind` ({@linkcode EventKind})
   * only label the event for a chooser ({@linkcode Engine.chooser}). The
   * optional parameters are positional, not an options object, because this
   * is the hot path and must not allocate.
   *
   * Throws a `RangeError` when `time` is in the past or not an integer, or
   * another argument is out of range.
   */
  at(
    time: number,
    handler: number,
    arg = 0,
    priority: number = Priority.NORMAL,
    owner = -1,
    kind: number = EventKind.NONE,
  ): number {
    if (!(time >= this.#now) || !Number.isSafeInteger(time)) throw timeError(time, this.#now);
    if ((handler >>> 0) !== handler || handler >= this.#handlers.length) {
      throw handlerError(handler, this.#handlers.length);
    }
    return this.#insert(time, handler, arg, priority, owner, kind);
  }

  /** Schedule `handler(arg)` after `delay` nanoseconds; otherwise as {@linkcode Engine.at}. */
  after(
    delay: number,
    handler: number,
    arg = 0,
    priority: number = Priority.NORMAL,
    owner = -1,
    kind: number = EventKind.NONE,
  ): number {
    // Not through `at`: one call less on a hot path.
    const time = this.#now + delay;
    if (!(delay >= 0)) throw delayError(delay);
    if (!Number.isSafeInteger(time)) throw timeError(time, this.#now);
    if ((handler >>> 0) !== handler || handler >= this.#handlers.length) {
      throw handlerError(handler, this.#handlers.length);
    }
    return this.#insert(time, handler, arg, priority, owner, kind);
  }

  /**
   * Run `fn` once at absolute time `time` (ns) and return the event's id,
   * without registering a handler: the engine keeps the closure in a table
   * until it fires or is cancelled. The parameters after `fn` label and order
   * the event as in {@linkcode Engine.at}; the kind defaults to
   * {@linkcode EventKind.CALL}.
   */
  call(
    time: number,
    fn: () => void,
    owner = -1,
    kind: number = EventKind.CALL,
    priority: number = Priority.NORMAL,
  ): number {
    if (!(time >= this.#now) || !Number.isSafeInteger(time)) throw timeError(time, this.#now);
    if (typeof fn !== "function") {
      throw new TypeError(`Cannot schedule a call of ${typeof fn}: fn must be a function`);
    }
    const free = this.#freeClosures, closures = this.#closures;
    const index = free.length > 0 ? free[free.length - 1]! : closures.length;
    const id = this.#insert(time, CALL_TARGET, index, priority, owner, kind);
    if (index === closures.length) closures.push(fn);
    else {
      free.pop();
      closures[index] = fn;
    }
    return id;
  }

  /**
   * Schedule the event that fired last once more, `delay` ns from now, with
   * the same handler, argument, priority, owner and kind, and return the new
   * event's id. Called from a handler, this reschedules the handler's own
   * event: the cheapest way for a process or a periodic timer to sleep
   * again, since nothing needs checking but the delay.
   * Throws a `RangeError` if no event has fired yet, or if the last one was
   * a {@linkcode Engine.call} (its closure runs once).
   *
   * @example A timer that fires every 10 ns
   * ```ts
   * import { Engine } from "./engine.ts";
   * const engine = new Engine();
   * const ticks: number[] = [];
   * const tick = engine.register({ fire: () => ticks.push(engine.now) && engine.again(10) });
   * engine.at(10, tick);
   * engine.runUntil(35);
   * if (ticks.join() !== "10,20,30") throw new Error(ticks.join());
   * ```
   */
  again(delay: number): number {
    const time = this.#now + delay;
    if (!(delay >= 0)) throw delayError(delay);
    if (!Number.isSafeInteger(time)) throw timeError(time, this.#now);
    if (this.#top !== FIRED || this.#targets[0] === CALL_TARGET) return this.#againLater(time);
    // The common case: a handler sleeps again. Its event is still at the
    // top of the heap with everything it does: give it a new time and id.
    const seq = this.#nextSeq(time), oldKey = this.#keys[0]!;
    this.#top = REKEYED;
    this.#times[0] = time;
    this.#keys[0] = Math.floor(oldKey / SEQ_BITS) * SEQ_BITS + seq;
    return seq;
  }

  /** `again` once the last event fired has left the top of the heap. */
  #againLater(time: number): number {
    if (this.#top !== SETTLED) this.#settle();
    const lastKey = this.#lastKey, target = this.#lastTarget;
    if (lastKey < 0 || target === CALL_TARGET) {
      throw new RangeError(
        `Cannot schedule the last event again: ${lastKey < 0 ? "no event has fired yet" : "it was a call()"}`,
      );
    }
    return this.#place(time, Math.floor(lastKey / SEQ_BITS), target, this.#lastTag, this.#lastArg);
  }

  /**
   * Remove a pending event. Returns true if it was pending, false if it has
   * already fired (or is firing), was already cancelled, or was never
   * scheduled. Ids are never reused, so a stale id cannot cancel another
   * event. Throws a `RangeError` for a value that cannot be an id, or from
   * inside a chooser.
   */
  cancel(id: number): boolean {
    if (!Number.isSafeInteger(id) || id < 0) {
      throw new RangeError(`Cannot cancel event ${id}: ids are whole numbers from 0, as at() returns them`);
    }
    if (this.#choosing) throw new RangeError(`Cannot cancel event ${id} from inside a chooser`);
    if (id >= this.#seq) return false;
    if (this.#top !== SETTLED) this.#settle();
    const keys = this.#keys, n = this.#size;
    for (let i = 0; i < n; i++) {
      const key = keys[i]!;
      if (key - Math.floor(key / SEQ_BITS) * SEQ_BITS !== id) continue;
      if (this.#targets[i] === CALL_TARGET) this.#takeClosure(this.#args[i]!);
      this.#removeAt(i);
      return true;
    }
    return false;
  }

  /** Time of the next event, or `Infinity` when the queue is empty. */
  peekTime(): number {
    if (this.#top !== SETTLED) this.#settle();
    return this.#times[0]!;
  }

  /** Fire the next event. Returns false when there was none. */
  step(): boolean {
    if (this.#top !== SETTLED) this.#settle();
    if (this.#size === 0) return false;
    this.#limit = this.#fired + 1;
    const fired = this.#fireNext();
    if (this.#top !== SETTLED) this.#settle();
    return fired;
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
    this.#run(time, Infinity);
    if (!this.#stopped) this.#now = time;
  }

  /** Run until no event is left, `maxEvents` have fired, or {@linkcode Engine.stop} is called. */
  runUntilIdle(maxEvents = Infinity): void {
    this.#stopped = false;
    this.#run(Infinity, maxEvents);
  }

  /** Ask a running `runUntil`/`runUntilIdle` to return after the current event. */
  stop(): void {
    this.#stopped = true;
  }

  /** Fire events due at or before `until`, at most `max` of them, until stopped. */
  #run(until: number, max: number): void {
    this.#limit = this.#fired + max;
    while (this.#fired < this.#limit && !this.#stopped) {
      if (this.#top !== SETTLED) this.#settle();
      if (this.#size === 0 || this.#times[0]! > until || !this.#fireNext()) break;
    }
    if (this.#top !== SETTLED) this.#settle();
  }

  /**
   * Called by a handler that would schedule `handler(arg)` now at
   * {@linkcode Priority.NORMAL} and return: if that event would be the next
   * to fire anyway, count it as fired and return true, and the caller goes on
   * as its handler, skipping the trip through the heap. That is the case
   * when no chooser is set, the run is neither stopped nor at its event
   * limit, and nothing else is due at this instant. Otherwise returns false
   * and the caller schedules the event. The event takes its id and counts
   * towards the events per instant as if scheduled, so runs are identical
   * either way.
   */
  fireInPlace(handler: number, arg: number, owner: number, kind: number): boolean {
    if (this.#chooser !== null || this.#stopped || this.#fired >= this.#limit) return false;
    if (this.#top !== SETTLED) this.#settle();
    if (this.#times[0]! <= this.#now || this.#sameInstant >= this.#maxPerInstant) return false;
    const seq = this.#nextSeq(this.#now);
    this.#sameInstant++;
    this.#fired++;
    this.#lastKey = Priority.NORMAL * SEQ_BITS + seq;
    this.#lastTarget = handler;
    this.#lastTag = (owner << KIND_BITS) | kind;
    this.#lastArg = arg;
    return true;
  }

  /**
   * Fire the first event (there is one), or the chooser's pick. Returns
   * false, firing nothing, when the clock has stalled.
   */
  #fireNext(): boolean {
    if (this.#chooser !== null) return this.#fireChosen();
    const time = this.#times[0]!;
    if (time !== this.#now) this.#sameInstant = 0;
    else if (++this.#sameInstant > this.#maxPerInstant) {
      this.#stalled = this.#stopped = true;
      return false;
    }
    // Leave the event in the heap while it fires: if its handler schedules
    // an event, `#insert` puts that one in its place.
    this.#top = FIRED;
    this.#now = time;
    this.#fired++;
    this.#fire(0);
    return true;
  }

  /** Fire the event at heap position `i`. */
  #fire(i: number): void {
    const target = this.#targets[i]!, arg = this.#args[i]!;
    if (target !== CALL_TARGET) this.#handlers[target]!.fire(arg);
    else this.#takeClosure(arg)();
  }

  /** Note the event at heap position `i`, which fired, for `again` after it leaves. */
  #remember(i: number): void {
    this.#lastKey = this.#keys[i]!;
    this.#lastTarget = this.#targets[i]!;
    this.#lastTag = this.#tags[i]!;
    this.#lastArg = this.#args[i]!;
  }

  /** The closure of a `call` event, dropped from the table. */
  #takeClosure(index: number): () => void {
    const fn = this.#closures[index]!;
    this.#closures[index] = undefined;
    this.#freeClosures.push(index);
    return fn;
  }

  /** Validate the labels and put the event in the heap. */
  #insert(time: number, target: number, arg: number, priority: number, owner: number, kind: number): number {
    if (
      (priority >>> 0) !== priority || priority > MAX_PRIORITY || ((owner + 1) >>> 0) !== owner + 1 ||
      owner > MAX_OWNER || (kind >>> 0) !== kind || kind > MAX_KIND
    ) {
      throw labelError(time, priority, owner, kind);
    }
    return this.#place(time, priority, target, (owner << KIND_BITS) | kind, arg);
  }

  /** Give an event the next id and put it in the heap. */
  #place(time: number, priority: number, target: number, tag: number, arg: number): number {
    const seq = this.#nextSeq(time);
    if (this.#size + 2 >= this.#times.length) this.#grow();
    if (this.#top === REKEYED) this.#settle();
    const replace = this.#top === FIRED;
    if (replace) this.#remember(0);
    // Stage the event past the sentinel (a handler scheduling while it runs:
    // it takes the fired event's place at the top), or append it.
    const at = replace ? this.#size + 1 : this.#size;
    this.#times[at] = time;
    this.#keys[at] = priority * SEQ_BITS + seq;
    this.#targets[at] = target;
    this.#tags[at] = tag;
    this.#args[at] = arg;
    if (replace) {
      this.#top = SETTLED;
      this.#siftDown(0, at);
    } else {
      this.#size = at + 1;
      this.#siftUp(at);
    }
    return seq;
  }

  /** The id for a new event at `time`. */
  #nextSeq(time: number): number {
    const seq = this.#seq;
    if (this.#choosing || seq === SEQ_BITS) throw seqError(time, this.#choosing);
    this.#seq = seq + 1;
    return seq;
  }

  #grow(): void {
    const times = this.#times,
      keys = this.#keys,
      targets = this.#targets,
      tags = this.#tags,
      args = this.#args;
    this.#allocate(times.length * 2);
    this.#times.set(times);
    this.#keys.set(keys);
    this.#targets.set(targets);
    this.#tags.set(tags);
    this.#args.set(args);
  }

  /** Fresh heap arrays of `cap` positions, all views of one buffer; every time Infinity. */
  #allocate(cap: number): void {
    const buffer = new ArrayBuffer(cap * HEAP_BYTES_PER_EVENT);
    this.#times = new Float64Array(buffer, 0, cap).fill(Infinity);
    this.#keys = new Float64Array(buffer, cap * 8, cap);
    this.#args = new Float64Array(buffer, cap * 16, cap);
    this.#targets = new Int32Array(buffer, cap * 24, cap);
    this.#tags = new Int32Array(buffer, cap * 28, cap);
  }

  /**
   * Bring the top of the heap back to a pending event: sift down an event
   * that `again` re-keyed, or remove one that fired. Either way, note it for
   * `again` first.
   */
  #settle(): void {
    this.#remember(0);
    const rekeyed = this.#top === REKEYED;
    this.#top = SETTLED;
    if (rekeyed) this.#siftDown(0, 0);
    else this.#removeAt(0);
  }

  /** Remove the event at heap position `i`, moving the last one into its place. */
  #removeAt(i: number): void {
    const last = --this.#size;
    if (i === last) {
      this.#times[last] = Infinity;
      return;
    }
    if (i > 0) {
      const times = this.#times, p = (i - 1) >> 1, time = times[last]!, pt = times[p]!;
      if (time < pt || (time === pt && this.#keys[last]! < this.#keys[p]!)) {
        this.#move(last, i);
        times[last] = Infinity;
        return this.#siftUp(i);
      }
    }
    this.#siftDown(i, last);
  }

  /** Copy the event at position `from` to position `to`. */
  #move(from: number, to: number): void {
    this.#times[to] = this.#times[from]!;
    this.#keys[to] = this.#keys[from]!;
    this.#targets[to] = this.#targets[from]!;
    this.#tags[to] = this.#tags[from]!;
    this.#args[to] = this.#args[from]!;
  }

  /** Move the event at position `i` up past later parents. */
  #siftUp(i: number): void {
    const times = this.#times,
      keys = this.#keys,
      targets = this.#targets,
      tags = this.#tags,
      args = this.#args;
    const time = times[i]!, key = keys[i]!, target = targets[i]!, tag = tags[i]!, arg = args[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!, pk = keys[p]!;
      if (pt < time || (pt === time && pk < key)) break;
      times[i] = pt;
      keys[i] = pk;
      targets[i] = targets[p]!;
      tags[i] = tags[p]!;
      args[i] = args[p]!;
      i = p;
    }
    times[i] = time;
    keys[i] = key;
    targets[i] = target;
    tags[i] = tag;
    args[i] = arg;
  }

  /**
   * Move the event at position `from` (past the last event, which its
   * leaving turns into the Infinity sentinel) into the hole at position `i`
   * or below, moving earlier children up. The earlier child is picked with
   * arithmetic, not a branch: which child wins is a coin toss the processor
   * cannot predict. The right child of the last event is the sentinel.
   */
  #siftDown(i: number, from: number): void {
    const times = this.#times,
      keys = this.#keys,
      targets = this.#targets,
      tags = this.#tags,
      args = this.#args;
    const time = times[from]!,
      key = keys[from]!,
      target = targets[from]!,
      tag = tags[from]!,
      arg = args[from]!;
    if (from !== i) times[from] = Infinity;
    const n = this.#size;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const lt = times[c]!, rt = times[c + 1]!;
      c += +(rt < lt) | (+(rt === lt) & +(keys[c + 1]! < keys[c]!));
      const ct = times[c]!, ck = keys[c]!;
      if (time < ct || (time === ct && key < ck)) break;
      times[i] = ct;
      keys[i] = ck;
      targets[i] = targets[c]!;
      tags[i] = tags[c]!;
      args[i] = args[c]!;
      i = c;
    }
    times[i] = time;
    keys[i] = key;
    targets[i] = target;
    tags[i] = tag;
    args[i] = arg;
  }

  /** `#fireNext` with a chooser: list the ready events, ask, remove the chosen one, fire it. */
  #fireChosen(): boolean {
    if (this.#choosing) throw new Error("Cannot step the engine from inside a chooser");
    const time = this.#times[0]!;
    const sameInstant = time !== this.#now ? 0 : this.#sameInstant + 1;
    if (sameInstant > this.#maxPerInstant) {
      this.#sameInstant = sameInstant;
      this.#stalled = this.#stopped = true;
      return false;
    }
    const count = this.#gather();
    let pick = 0;
    if (count > 1) {
      this.#choosing = true;
      try {
        pick = this.#chooser!(this.#ready, count);
      } finally {
        this.#choosing = false;
      }
      if (!Number.isInteger(pick) || pick < 0 || pick >= count) {
        throw new RangeError(
          `The chooser picked ${pick} among ${count} ready events: ` +
            `it must return a whole number from 0 to ${count - 1}`,
        );
      }
    }
    // Fire it from the staging position, out of the heap, where nothing moves it while it runs.
    const position = this.#readyAt[pick]!;
    this.#sameInstant = sameInstant;
    this.#now = time;
    this.#fired++;
    const staged = this.#size + 1;
    this.#move(position, staged);
    this.#remember(staged);
    this.#removeAt(position);
    this.#fire(staged);
    return true;
  }

  /**
   * Describe the events tied with the top on time and priority in `#ready`,
   * in key order, and return how many there are. Ties form a subtree at the
   * top of the heap; a small binary heap of its frontier yields them
   * smallest key first.
   */
  #gather(): number {
    const times = this.#times, keys = this.#keys, n = this.#size;
    const time = times[0]!, topKey = keys[0]!;
    const priority = Math.floor(topKey / SEQ_BITS);
    const limit = (priority + 1) * SEQ_BITS;
    let frontier = this.#frontier;
    if (frontier.length === 0) frontier = this.#frontier = new Int32Array(16);
    let pending = 1;
    let count = 0;
    frontier[0] = 0;
    while (pending > 0) {
      const position = frontier[0]!;
      // Pop the frontier's smallest key: sift its last entry down from the root.
      const moved = frontier[--pending]!, movedKey = keys[moved]!;
      let i = 0;
      for (;;) {
        let c = 2 * i + 1;
        if (c >= pending) break;
        if (c + 1 < pending && keys[frontier[c + 1]!]! < keys[frontier[c]!]!) c++;
        if (movedKey < keys[frontier[c]!]!) break;
        frontier[i] = frontier[c]!;
        i = c;
      }
      frontier[i] = moved;

      if (count === this.#readyAt.length) {
        const cap = Math.max(16, count * 2);
        this.#readyAt = grown(this.#readyAt, new Int32Array(cap));
        this.#ready = grown(this.#ready, new Float64Array(cap * Ready.STRIDE));
      }
      const tag = this.#tags[position]!;
      const ready = this.#ready, at = count * Ready.STRIDE;
      this.#readyAt[count++] = position;
      ready[at + Ready.ID] = keys[position]! - priority * SEQ_BITS;
      ready[at + Ready.OWNER] = tag >> KIND_BITS;
      ready[at + Ready.KIND] = tag & MAX_KIND;
      ready[at + Ready.HANDLER] = this.#targets[position]!;
      ready[at + Ready.ARG] = this.#args[position]!;
      ready[at + Ready.TIME] = time;
      ready[at + Ready.PRIORITY] = priority;

      const end = Math.min(2 * position + 3, n);
      for (let c = 2 * position + 1; c < end; c++) {
        if (times[c] !== time || keys[c]! >= limit) continue;
        if (pending === frontier.length) {
          frontier = this.#frontier = grown(frontier, new Int32Array(Math.max(16, pending * 2)));
        }
        // Push c: sift up by key.
        const key = keys[c]!;
        let j = pending++;
        while (j > 0) {
          const p = (j - 1) >> 1;
          if (keys[frontier[p]!]! < key) break;
          frontier[j] = frontier[p]!;
          j = p;
        }
        frontier[j] = c;
      }
    }
    return count;
  }
}

/** `to` with `from` copied into its start. */
function grown<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

function timeError(time: number, now: number): RangeError {
  return new RangeError(
    `Cannot schedule an event at ${time} ns: time must be a whole number of nanoseconds ` +
      `no earlier than now (${now} ns)`,
  );
}

function delayError(delay: number): RangeError {
  return new RangeError(`Cannot schedule an event ${delay} ns from now: the delay must not be negative`);
}

function seqError(time: number, choosing: boolean): RangeError {
  return new RangeError(
    `Cannot schedule an event at ${time} ns ` +
      (choosing ? "from inside a chooser: a chooser must only pick" : `: all ${SEQ_BITS} ids are used`),
  );
}

function labelError(time: number, priority: number, owner: number, kind: number): RangeError {
  const what = `Cannot schedule an event at ${time} ns`;
  if ((priority >>> 0) !== priority || priority > MAX_PRIORITY) {
    return new RangeError(
      `${what} with priority ${priority}: it must be a whole number from 0 to ${MAX_PRIORITY}`,
    );
  }
  if (!Number.isInteger(owner) || owner < -1 || owner > MAX_OWNER) {
    return new RangeError(
      `${what} for owner ${owner}: the owner must be -1 (none) or a whole number from 0 to ${MAX_OWNER}`,
    );
  }
  return new RangeError(`${what} of kind ${kind}: the kind must be a whole number from 0 to ${MAX_KIND}`);
}

function handlerError(handler: number, count: number): RangeError {
  return new RangeError(
    `Cannot schedule an event for handler ${handler}: handlers are numbered 0 to ${count - 1}, ` +
      `as register() returned them`,
  );
}

/** A process body: a generator that yields how many nanoseconds to sleep. */
export type ProcessBody = Generator<number, void, void>;

/**
 * Start a process that sleeps for each number it yields, until it returns.
 * This is the engine's plain process (SimPy's `Process` with only `Timeout`);
 * the machine's CPUs are richer processes built on the same handlers. Its
 * events have kind {@linkcode EventKind.PROCESS} and the given `owner`.
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
export function spawnProcess(
  engine: Engine,
  body: ProcessBody,
  start: number = engine.now,
  owner = -1,
): void {
  let table = processTables.get(engine);
  if (table === undefined) processTables.set(engine, table = new ProcessTable(engine));
  table.spawn(body, start, owner);
}

/** Each engine's processes, made on its first `spawnProcess`. */
const processTables = new WeakMap<Engine, ProcessTable>();

/**
 * All plain processes of one engine behind one handler, whose argument is
 * the process's index: one registration per engine, not per process, and a
 * handler call that is the same at every event.
 */
class ProcessTable implements EventHandler {
  #engine: Engine;
  #id: number;
  #bodies: (ProcessBody | undefined)[] = [];
  /** Indices of processes that have returned, for reuse. */
  #free: number[] = [];

  constructor(engine: Engine) {
    this.#engine = engine;
    this.#id = engine.register(this);
  }

  spawn(body: ProcessBody, start: number, owner: number): void {
    const index = this.#free.length > 0 ? this.#free[this.#free.length - 1]! : this.#bodies.length;
    this.#engine.at(start, this.#id, index, Priority.NORMAL, owner, EventKind.PROCESS);
    if (index === this.#bodies.length) this.#bodies.push(body);
    else {
      this.#free.pop();
      this.#bodies[index] = body;
    }
  }

  fire(index: number): void {
    const r = this.#bodies[index]!.next();
    if (!r.done) this.#engine.again(r.value);
    else {
      this.#bodies[index] = undefined;
      this.#free.push(index);
    }
  }
}
