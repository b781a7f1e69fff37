/**
 * When a load generator's works are queued: periodic, random (exponential
 * or uniform intervals from a seeded generator of its own), or in bursts.
 * Each generator draws from its own stream, so adding one leaves the
 * others' arrivals as they were.
 *
 * @module
 */

import { Random } from "../mod.ts";
import type { LoadSpec } from "./types.ts";

/**
 * The arrival times of `spec`, in order, as a function giving the next one
 * (undefined after `count`); generator `index` of a machine seeded `seed`.
 */
export function arrivals(spec: LoadSpec, seed: number, index: number): () => number | undefined {
  const a = spec.arrival;
  const count = spec.count ?? Infinity;
  let i = 0;
  switch (a.kind) {
    case "periodic":
      return () => (i < count ? spec.startNs + a.periodNs * i++ : undefined);
    case "burst": {
      let j = 0;
      return () => {
        if (i >= count) return undefined;
        const t = spec.startNs + a.periodNs * i + a.gapNs * j;
        if (++j === a.size) {
          j = 0;
          i++;
        }
        return t;
      };
    }
    case "random": {
      // A stream per generator: the machine's seed mixed with the generator's place.
      const random = new Random((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
      const interval = a.distribution === "uniform"
        ? () => random.int(a.minNs, a.maxNs)
        : () => Math.max(1, Math.round(-a.meanNs * Math.log(1 - random.float())));
      let t = spec.startNs;
      return () => {
        if (i >= count) return undefined;
        if (i++ > 0) t += interval();
        return t;
      };
    }
  }
}
