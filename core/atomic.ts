/**
 * Shared memory: every word that kernel code touches atomically or under a
 * race (irq_work flag words, llist heads, call-single flags, the rcuwait
 * slot, the idle polling flag, lock words) is a {@linkcode Cell}, and every
 * access to one goes through a {@linkcode Memory}.
 *
 * The operations that are atomic in the kernel (`atomic_fetch_or`,
 * `cmpxchg`, `xchg`, `READ_ONCE`/`WRITE_ONCE` where another CPU races) are
 * generators that take their step first, so another CPU may run just before
 * the access (the interleaving points an explorer chooses among). Each
 * access is reported as (CPU, cell, kind) to an optional listener: what an
 * explorer needs to tell dependent steps from independent ones.
 *
 * What a load returns and when a store becomes visible is the answer of the
 * {@linkcode MemoryModel} slot. The default is sequential consistency; a
 * TSO store-buffer model fits the same three calls (stores buffered per
 * CPU, `fence` drains them, locked operations are fenced on both sides, and
 * the CPU fences at interrupt entry), without touching kernel code.
 *
 * @module
 */

import { type Kernel, STEP } from "./kernel.ts";

/** One shared word. `value` is the word as memory holds it; kernel code reads it through a {@linkcode Memory}. */
export class Cell<T> {
  /** The word in memory (outside a store buffer). */
  value: T;
  /** A word with initial value `value`. */
  constructor(value: T) {
    this.value = value;
  }
}

/** Kinds of access a {@linkcode Memory} reports. */
export const Access = {
  /** A load (`READ_ONCE`, `atomic_read`). */
  READ: 0,
  /** A store (`WRITE_ONCE`, `atomic_set`). */
  WRITE: 1,
  /** A locked read-modify-write (`atomic_fetch_or`, `cmpxchg`, `xchg`). */
  RMW: 2,
  /** A full barrier (`smp_mb`). */
  FENCE: 3,
} as const;
Object.freeze(Access);

/** One of {@linkcode Access}. */
export type AccessKind = typeof Access[keyof typeof Access];

/** Told of every access: which CPU, which cell (null for a fence), what kind. */
export type AccessListener = (cpu: number, cell: Cell<unknown> | null, kind: AccessKind) => void;

/** The memory-model slot: what loads see and when stores land. */
export interface MemoryModel {
  /** Name for reports, e.g. `SC`. */
  readonly name: string;
  /** What CPU `cpu` reads from `cell`. */
  load<T>(cpu: number, cell: Cell<T>): T;
  /** CPU `cpu` stores `value` to `cell`. */
  store<T>(cpu: number, cell: Cell<T>, value: T): void;
  /** Make every store of `cpu` visible to all CPUs before it goes on. */
  fence(cpu: number): void;
}

/** Sequential consistency: every store is visible at once; fences do nothing. */
export const SEQUENTIAL_CONSISTENCY: MemoryModel = Object.freeze({
  name: "SC",
  load: <T>(_cpu: number, cell: Cell<T>): T => cell.value,
  store: <T>(_cpu: number, cell: Cell<T>, value: T): void => {
    cell.value = value;
  },
  fence: () => {},
});

/**
 * The shared memory of one machine, under one {@linkcode MemoryModel}.
 *
 * @example
 * ```ts
 * import { Cell, Memory } from "./atomic.ts";
 * const mem = new Memory();
 * const flags = new Cell(0);
 * const accesses: string[] = [];
 * mem.listen((cpu, _cell, kind) => accesses.push(`${cpu}:${kind}`));
 * const op = mem.fetchOr(1, flags, 0x3);
 * op.next(); // the step before the access
 * const old = op.next().value; // the access itself
 * if (old !== 0 || flags.value !== 3 || accesses.join() !== "1:2") throw new Error("fetch_or");
 * ```
 */
export class Memory {
  /** The memory model in force. */
  readonly model: MemoryModel;
  #listener: AccessListener | null = null;

  /** Memory under `model` (sequential consistency unless told). */
  constructor(model: MemoryModel = SEQUENTIAL_CONSISTENCY) {
    this.model = model;
  }

  /** Report every access to `listener` (one listener; null detaches). */
  listen(listener: AccessListener | null): void {
    this.#listener = listener;
  }

  /** A racy load inside the current step, without a step of its own (`llist_empty()`, a flag test). */
  peek<T>(cpu: number, cell: Cell<T>): T {
    this.#listener?.(cpu, cell, Access.READ);
    return this.model.load(cpu, cell);
  }

  /** A store inside the current step, without a step of its own. */
  poke<T>(cpu: number, cell: Cell<T>, value: T): void {
    this.#listener?.(cpu, cell, Access.WRITE);
    this.model.store(cpu, cell, value);
  }

  /** `READ_ONCE`/`atomic_read`: a step, then the load. */
  *read<T>(cpu: number, cell: Cell<T>): Kernel<T> {
    yield STEP;
    return this.peek(cpu, cell);
  }

  /** `WRITE_ONCE`/`atomic_set`: a step, then the store. */
  *write<T>(cpu: number, cell: Cell<T>, value: T): Kernel {
    yield STEP;
    this.poke(cpu, cell, value);
  }

  /** `atomic_fetch_or`: a step, then OR `bits` in; returns the old value. */
  *fetchOr(cpu: number, cell: Cell<number>, bits: number): Kernel<number> {
    yield STEP;
    const old = this.#rmwLoad(cpu, cell);
    this.#rmwStore(cpu, cell, old | bits);
    return old;
  }

  /** `cmpxchg`: a step, then store `value` if the word is `expected`; returns the old value. */
  *cmpxchg<T>(cpu: number, cell: Cell<T>, expected: T, value: T): Kernel<T> {
    yield STEP;
    const old = this.#rmwLoad(cpu, cell);
    if (old === expected) this.#rmwStore(cpu, cell, value);
    else this.model.fence(cpu);
    return old;
  }

  /** `xchg`: a step, then store `value`; returns the old value. */
  *xchg<T>(cpu: number, cell: Cell<T>, value: T): Kernel<T> {
    yield STEP;
    const old = this.#rmwLoad(cpu, cell);
    this.#rmwStore(cpu, cell, value);
    return old;
  }

  /** `smp_mb()`: a full barrier inside the current step. */
  fence(cpu: number): void {
    this.#listener?.(cpu, null, Access.FENCE);
    this.model.fence(cpu);
  }

  /** A locked operation drains the store buffer first and reads memory. */
  #rmwLoad<T>(cpu: number, cell: Cell<T>): T {
    this.#listener?.(cpu, cell, Access.RMW);
    this.model.fence(cpu);
    return this.model.load(cpu, cell);
  }

  /** ... and its store is visible before the CPU goes on. */
  #rmwStore<T>(cpu: number, cell: Cell<T>, value: T): void {
    this.model.store(cpu, cell, value);
    this.model.fence(cpu);
  }
}
