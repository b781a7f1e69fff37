/**
 * Seeded pseudo-random numbers: xoshiro128** (Blackman and Vigna), seeded
 * through SplitMix32 so that any 32-bit seed gives a well-mixed state.
 * Simulations never read `Math.random`; every random choice comes from here.
 *
 * @module
 */

import { checkWhole } from "./describe.ts";

/**
 * A xoshiro128** generator.
 *
 * @example
 * ```ts
 * import { Random } from "./random.ts";
 * const a = new Random(42), b = new Random(42);
 * if (a.u32() !== b.u32()) throw new Error("not deterministic");
 * const roll = a.int(1, 6); // 1..6 inclusive
 * ```
 */
export class Random {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** Seed the generator with a 32-bit seed (0..2^32-1); equal seeds give equal sequences. */
  constructor(seed: number) {
    // A wider seed would be cut to 32 bits silently (2^32 + 1 would give the stream of 1).
    checkWhole("Random seed", seed, 0, 2 ** 32 - 1);
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
  }

  /** The next unsigned 32-bit value. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.#s1, 5), 7), 9) >>> 0;
    const t = this.#s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.u32() / 4294967296;
  }

  /** An integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    if (!(hi >= lo)) throw new RangeError(`Random.int needs lo <= hi, got ${lo} > ${hi}`);
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
