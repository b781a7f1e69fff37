/**
 * The progress bar a long run draws on standard error: simulated time done
 * of the run's length, wall time, events per second. Drawn only on a
 * terminal, only once the run has taken a second, and at most ten times a
 * second; the wall clock it reads is the CLI's, never the simulation's.
 *
 * @module
 */

import type { RunProgress } from "../scenario/mod.ts";

/** Where and how the bar draws. */
export interface ProgressOptions {
  /** Write text to the terminal. */
  readonly write: (text: string) => void;
  /** Draw at all (standard error is a terminal). */
  readonly enabled: boolean;
  /** Wall-clock milliseconds (`performance.now`); a test passes its own. */
  readonly clock: () => number;
  /** Wall time before the first draw, ms (default 1000). */
  readonly delayMs?: number;
}

const WIDTH = 24;
const REDRAW_MS = 100;

/** A progress bar on one terminal line. */
export class ProgressBar {
  readonly #o: ProgressOptions;
  readonly #start: number;
  #startEvents: number | undefined;
  #lastDraw = -Infinity;
  #drawn = false;

  /** A bar whose wall clock starts now. */
  constructor(options: ProgressOptions) {
    this.#o = options;
    this.#start = options.clock();
  }

  /** The bar has been drawn (and {@linkcode ProgressBar.done} will clear it). */
  get drawn(): boolean {
    return this.#drawn;
  }

  /** Show `p`, if enabled, past the delay, and not drawn in the last 100 ms. */
  update(p: RunProgress): void {
    this.#startEvents ??= p.events;
    if (!this.#o.enabled) return;
    const now = this.#o.clock();
    const wallMs = now - this.#start;
    if (wallMs < (this.#o.delayMs ?? 1000) || now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    this.#drawn = true;
    this.#o.write(`\r${progressLine(p, wallMs, p.events - this.#startEvents)}\x1b[K`);
  }

  /** Clear the bar's line, if drawn. */
  done(): void {
    if (this.#drawn) this.#o.write("\r\x1b[K");
  }
}

/**
 * One line of the bar: `[#####-----]  45.0%  4.500 of 10.000 ms simulated  1.2 s wall  3.41 M events/s`.
 */
export function progressLine(p: RunProgress, wallMs: number, events: number): string {
  const fraction = p.untilNs === 0 ? 1 : Math.min(1, p.nowNs / p.untilNs);
  const filled = Math.round(fraction * WIDTH);
  const rate = wallMs <= 0 ? 0 : events / (wallMs / 1000);
  const scaled = rate >= 1e6
    ? `${(rate / 1e6).toFixed(2)} M`
    : rate >= 1e3
    ? `${(rate / 1e3).toFixed(1)} k`
    : `${Math.round(rate)}`;
  return `[${"#".repeat(filled)}${"-".repeat(WIDTH - filled)}] ${
    (fraction * 100).toFixed(1).padStart(5)
  }%  ` +
    `${(p.nowNs / 1e6).toFixed(3)} of ${(p.untilNs / 1e6).toFixed(3)} ms simulated  ` +
    `${(wallMs / 1000).toFixed(1)} s wall  ${scaled} events/s`;
}

/**
 * Slices of simulated time that take about `targetMs` of wall time each,
 * so that the bar moves smoothly whatever the scenario's pace: each slice
 * is sized from the last one's pace, growing at most fourfold.
 */
export function wallPacedSlices(clock: () => number, targetMs = 100): (p: RunProgress) => number {
  let slice = 100_000;
  let lastWall: number | undefined;
  let lastNow = 0;
  return (p) => {
    const now = clock();
    if (lastWall !== undefined && p.nowNs > lastNow) {
      const tookMs = Math.max(now - lastWall, 1);
      const pace = (p.nowNs - lastNow) / tookMs; // simulated ns per wall ms
      slice = Math.round(Math.min(slice * 4, Math.max(1_000, pace * targetMs)));
    }
    lastWall = now;
    lastNow = p.nowNs;
    return slice;
  };
}
