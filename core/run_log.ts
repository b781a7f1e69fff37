/**
 * The record of irq_work runs, bounded: the last `keep` runs in order, and a
 * count of all runs, so that a long simulation's memory does not grow with
 * simulated time.
 *
 * @module
 */

import type { WorkRun } from "./irq_work.ts";

/**
 * The last runs of a machine.
 *
 * @example
 * ```ts
 * import { RunLog } from "./run_log.ts";
 * const log = new RunLog(2);
 * for (let i = 0; i < 5; i++) log.push({ cpu: i } as never);
 * if (log.total !== 5 || log.runs.map((r) => r.cpu).join() !== "3,4") throw new Error("keeps the last two");
 * ```
 */
export class RunLog {
  /** Runs recorded in all, kept or dropped. */
  total = 0;
  #keep: number;
  #runs: WorkRun[] = [];
  #first = 0;

  /** Keep the last `keep` runs (`Infinity`: all). */
  constructor(keep: number) {
    this.#keep = keep;
  }

  /** Record a run, dropping the oldest beyond `keep`. */
  push(run: WorkRun): void {
    this.total++;
    this.#runs.push(run);
    if (this.#runs.length - this.#first > this.#keep) this.#first++;
    if (this.#first >= this.#keep) {
      this.#runs.splice(0, this.#first);
      this.#first = 0;
    }
  }

  /** The runs kept, oldest first. */
  get runs(): readonly WorkRun[] {
    return this.#first === 0 ? this.#runs : this.#runs.slice(this.#first);
  }
}
