/**
 * Running a machine in slices of simulated time, so that a long run can
 * report progress and be stopped early: by the progress callback, by a
 * stop request from inside (a latency break), or by a BUG or livelock that
 * stops the machine. Slicing changes nothing in the simulation: the same
 * events fire in the same order whatever the slices (a test checks it).
 *
 * @module
 */

import type { Machine } from "../mod.ts";

/** Where a run is, as the progress callback sees it. */
export interface RunProgress {
  /** Simulated time reached, ns. */
  readonly nowNs: number;
  /** Where the run ends unless stopped, ns. */
  readonly untilNs: number;
  /** Engine events fired since the machine was built. */
  readonly events: number;
}

/** How to run in slices. */
export interface RunOptions {
  /**
   * Simulated ns per slice (default: a hundredth of the run, at least 1 µs),
   * or a function choosing each next slice from the progress so far (to aim
   * at a wall-clock rate, say).
   */
  readonly sliceNs?: number | ((progress: RunProgress) => number);
  /** Called after each slice; returning false stops the run there. */
  readonly onProgress?: (progress: RunProgress) => boolean | void;
}

/** Why a run ended. */
export type RunEnd =
  /** It reached its end. */
  | "done"
  /** A BUG or a livelock stopped the machine. */
  | "halted"
  /** The progress callback returned false. */
  | "stopped"
  /** A stop was requested from inside the run (a latency sample past its break threshold). */
  | "break";

/** How a run ended. */
export interface RunResult {
  /** Why it ended. */
  readonly end: RunEnd;
  /** Simulated time reached, ns. */
  readonly nowNs: number;
  /** Engine events fired since the machine was built. */
  readonly events: number;
}

/** A way to stop a run from inside it (an observer, a callback): the engine stops after the current event. */
export interface StopSwitch {
  /** The stop was requested. */
  readonly requested: boolean;
  /** Stop the run after the current event. */
  stop(): void;
}

/**
 * A {@linkcode StopSwitch} for `machine`.
 *
 * @example
 * ```ts
 * import { createMachine } from "../mod.ts";
 * import { x86 } from "../arch/x86/mod.ts";
 * import { runSliced, stopSwitch } from "./run.ts";
 * const m = createMachine({ arch: x86() });
 * const stop = stopSwitch(m);
 * m.at(300_000, "stop", () => stop.stop());
 * const result = runSliced(m, 1_000_000, { stop });
 * if (result.end !== "break" || m.now !== 300_000) throw new Error("stopped at 300 µs");
 * ```
 */
export function stopSwitch(machine: Machine): StopSwitch {
  let requested = false;
  return {
    get requested() {
      return requested;
    },
    stop() {
      requested = true;
      machine.kernel.engine.stop();
    },
  };
}

/**
 * Run `machine` until `untilNs` in slices, calling `onProgress` after
 * each; stops early when the callback returns false, when `stop` is
 * requested, or when the machine halts.
 *
 * @example
 * ```ts
 * import { createMachine } from "../mod.ts";
 * import { x86 } from "../arch/x86/mod.ts";
 * import { runSliced } from "./run.ts";
 * const m = createMachine({ arch: x86(), cpus: 2 });
 * const seen: number[] = [];
 * const result = runSliced(m, 10_000_000, {
 *   sliceNs: 1_000_000,
 *   onProgress: (p) => void seen.push(p.nowNs),
 * });
 * if (result.end !== "done" || seen.length !== 10 || seen[9] !== 10_000_000) throw new Error("ten slices");
 * ```
 */
export function runSliced(
  machine: Machine,
  untilNs: number,
  options: RunOptions & { readonly stop?: StopSwitch } = {},
): RunResult {
  const engine = machine.kernel.engine;
  const slice = options.sliceNs ?? Math.max(1_000, Math.ceil((untilNs - machine.now) / 100));
  const progress = (): RunProgress => ({ nowNs: machine.now, untilNs, events: engine.fired });
  const result = (end: RunEnd): RunResult => ({ end, nowNs: machine.now, events: engine.fired });
  while (machine.now < untilNs) {
    if (machine.panicked) return result("halted");
    const step = typeof slice === "number" ? slice : slice(progress());
    if (!Number.isSafeInteger(step) || step < 1) {
      throw new RangeError(`A run's slice must be a whole number of ns >= 1, got ${step}`);
    }
    machine.runUntil(Math.min(untilNs, machine.now + step));
    if (options.stop?.requested) return result("break");
    if (machine.panicked) return result("halted");
    if (options.onProgress?.(progress()) === false) return result("stopped");
  }
  return result(machine.panicked ? "halted" : "done");
}
