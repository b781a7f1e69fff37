/**
 * The language kernel code speaks to its CPU.
 *
 * Code that runs on an emulated CPU (kernel paths, irq_work callbacks, task
 * bodies) is a generator. What it yields is an {@linkcode Op}: a non-negative
 * number spends that many nanoseconds of CPU time, which interrupts may cut
 * into; zero is a *step*, a point where other CPUs may run first (every
 * atomic access of the kernel takes one, see atomic.ts);
 * {@linkcode SCHEDULE} calls the scheduler; {@linkcode HALT} waits for an
 * interrupt. Plain numbers keep the hot path free of allocation.
 *
 * @module
 */

import { describe } from "./describe.ts";

/** What kernel code yields to the CPU it runs on. */
export type Op = number;

/**
 * A piece of kernel code returning `T`; compose with `yield*`.
 *
 * @example
 * ```ts
 * import type { Kernel } from "./kernel.ts";
 * import type { Context } from "./context.ts";
 * // Scenario code composes kernel calls with yield*; its own helpers are Kernel too.
 * function* busyFor(ctx: Context, ns: number): Kernel<number> {
 *   yield* ctx.spend(ns);
 *   return ctx.now;
 * }
 * void busyFor;
 * ```
 */
export type Kernel<T = void> = Generator<Op, T, void>;

/** A step: zero time, but other CPUs' steps due now may run before the next one. */
export const STEP: Op = 0;

/** Call `schedule()`: switch away if the task sleeps or a better task is runnable. */
export const SCHEDULE: Op = -1;

/** Idle only: wait with interrupts enabled until an interrupt arrives (`safe_halt`). */
export const HALT: Op = -2;

/**
 * Spend `ns` nanoseconds of CPU time.
 *
 * @example
 * ```ts
 * import { spend } from "./kernel.ts";
 * const op = spend(500);
 * if (op.next().value !== 500) throw new Error("yields the ns to spend");
 * ```
 */
export function* spend(ns: number): Kernel {
  if (!(ns >= 0) || !Number.isSafeInteger(ns)) {
    throw new (typeof ns === "number" ? RangeError : TypeError)(
      `Cannot spend ${typeof ns === "number" ? `${ns} ns` : describe(ns)}: ` +
        "CPU time must be a whole, non-negative number of nanoseconds",
    );
  }
  yield ns;
}

/**
 * A callback that may be plain (no time spent) or a generator spending time.
 *
 * @example
 * ```ts
 * import type { MaybeKernel } from "./kernel.ts";
 * import type { Context } from "./context.ts";
 * const plain = (_ctx: Context): MaybeKernel => {}; // takes no time
 * const timed = function* (ctx: Context): MaybeKernel {
 *   yield* ctx.spend(100);
 * };
 * void plain, timed;
 * ```
 */
export type MaybeKernel = Generator<Op, unknown, void> | void;

/** Nothing to run: what a plain function's result delegates to. */
const NOTHING: readonly Op[] = Object.freeze([]);

/**
 * Run a callback that is either a plain function's result or a generator:
 * `yield* runCallback(f())`. It returns the generator itself (or an empty
 * list), so delegating to it adds no generator level to every later resume.
 */
export function runCallback(result: MaybeKernel): Iterable<Op> {
  return result ?? NOTHING;
}

/** Kernel code that does nothing: the kernel's empty weak defaults. */
export function* nop(): Kernel {}
