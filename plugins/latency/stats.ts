/**
 * Exact running statistics of latency samples: count, min, max, sum, and
 * the last value, in whole units (ns or µs), as cyclictest and rtla keep
 * them. Four integers per series, so memory does not grow with the run.
 *
 * Why not `node:perf_hooks`' `createHistogram()`: it is an HDR histogram,
 * exact only below 2^18 with its finest precision (5 significant figures),
 * so a 5,000,001 ns sample reads back as max 5,000,031 and the mean drifts;
 * and it refuses 0, which cyclictest records for sub-µs latencies. The
 * tools themselves keep these four integers, and so does this class.
 *
 * @module
 */

/** Count, min, max, sum and last value of a series of whole numbers. */
export class ExactStats {
  /** Samples recorded. */
  count: number = 0;
  /** The smallest sample (`Infinity` before the first). */
  min: number = Infinity;
  /** The largest sample (`-Infinity` before the first). */
  max: number = -Infinity;
  /** The sum of all samples (exact while below 2^53). */
  sum: number = 0;
  /** The last sample (`act` in cyclictest, `cur` in rtla), 0 before the first. */
  last: number = 0;

  /** Record one sample. */
  record(value: number): void {
    this.count++;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.sum += value;
    this.last = value;
  }

  /** The mean truncated to a whole unit, as the tools print it (`sum / count` in C); 0 without samples. */
  get avg(): number {
    return this.count === 0 ? 0 : Math.trunc(this.sum / this.count);
  }

  /** The exact mean; NaN without samples. */
  get mean(): number {
    return this.sum / this.count;
  }
}
