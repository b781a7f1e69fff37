import assert from "node:assert/strict";
import { Random } from "./random.ts";

/**
 * An independent, deliberately plain xoshiro128** over a Uint32Array, seeded
 * the way random.ts documents (SplitMix32-style mixing of seed + k * golden
 * ratio). Used only to cross-check the generator's output.
 */
function referenceSequence(seed: number, n: number): number[] {
  const s = new Uint32Array(4);
  let x = seed >>> 0;
  for (let k = 0; k < 4; k++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    s[k] = (z ^ (z >>> 16)) >>> 0;
  }
  return xoshiro128ss(s, n);
}

/** xoshiro128** from an explicit state (mutated in place). */
function xoshiro128ss(s: Uint32Array, n: number): number[] {
  const rot = (v: number, k: number) => ((v << k) | (v >>> (32 - k))) >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    out.push(Math.imul(rot(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0);
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rot(s[3]!, 11);
  }
  return out;
}

Deno.test("Random determinism", async (t) => {
  await t.step("equal seeds give equal sequences", () => {
    const a = new Random(42), b = new Random(42);
    for (let i = 0; i < 1000; i++) assert.equal(a.u32(), b.u32());
  });

  await t.step("different seeds give different sequences", () => {
    const a = new Random(1), b = new Random(2);
    const sa = Array.from({ length: 8 }, () => a.u32());
    const sb = Array.from({ length: 8 }, () => b.u32());
    assert.notDeepEqual(sa, sb);
  });

  await t.step("seed 0 and the largest 32-bit seed work", () => {
    const zero = new Random(0);
    const values = Array.from({ length: 16 }, () => zero.u32());
    assert.ok(values.some((v) => v !== 0));
    const top = new Random(0xffffffff), other = new Random(0xfffffffe);
    assert.notDeepEqual([top.u32(), top.u32()], [other.u32(), other.u32()]);
  });

  await t.step("the reference implementation reproduces the published xoshiro128** vector", () => {
    // State {1, 2, 3, 4} is the usual known-answer start for xoshiro128**.
    assert.deepEqual(xoshiro128ss(Uint32Array.of(1, 2, 3, 4), 6), [
      11520,
      0,
      5927040,
      70819200,
      2031721883,
      1637235492,
    ]);
  });

  await t.step("matches an independent xoshiro128** implementation", () => {
    for (const seed of [0, 1, 42, 0x7fffffff, 0xdeadbeef]) {
      const rng = new Random(seed);
      const got = Array.from({ length: 64 }, () => rng.u32());
      assert.deepEqual(got, referenceSequence(seed, 64), `seed ${seed}`);
    }
  });
});

Deno.test("Random ranges", async (t) => {
  await t.step("u32 is an unsigned 32-bit integer", () => {
    const rng = new Random(3);
    for (let i = 0; i < 10_000; i++) {
      const v = rng.u32();
      assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff, `${v}`);
    }
  });

  await t.step("float is in [0, 1)", () => {
    const rng = new Random(4);
    let sum = 0;
    for (let i = 0; i < 10_000; i++) {
      const f = rng.float();
      assert.ok(f >= 0 && f < 1, `${f}`);
      sum += f;
    }
    const mean = sum / 10_000;
    assert.ok(mean > 0.45 && mean < 0.55, `mean ${mean}`);
  });

  await t.step("int stays within [lo, hi] inclusive and reaches both ends", () => {
    const rng = new Random(5);
    for (const [lo, hi] of [[1, 6], [-3, 3], [0, 1], [10, 10], [0, 2 ** 32 - 1]] as const) {
      let sawLo = false, sawHi = false;
      for (let i = 0; i < 5000; i++) {
        const v = rng.int(lo, hi);
        assert.ok(Number.isInteger(v) && v >= lo && v <= hi, `${v} not in [${lo}, ${hi}]`);
        sawLo ||= v === lo;
        sawHi ||= v === hi;
      }
      if (hi - lo < 100) assert.ok(sawLo && sawHi, `[${lo}, ${hi}] ends not reached`);
    }
  });

  await t.step("int covers a small range roughly uniformly", () => {
    const rng = new Random(6);
    const counts = [0, 0, 0, 0, 0, 0];
    for (let i = 0; i < 60_000; i++) counts[rng.int(1, 6) - 1]!++;
    for (const c of counts) assert.ok(c > 9_000 && c < 11_000, `counts ${counts}`);
  });

  await t.step("int rejects lo > hi", () => {
    const rng = new Random(7);
    assert.throws(() => rng.int(5, 4), {
      name: "RangeError",
      message: "Random.int needs lo <= hi, got 5 > 4",
    });
    assert.throws(() => rng.int(0, NaN), { name: "RangeError" });
  });
});

Deno.test("Random rejects a seed that is not a whole 32-bit number, rather than cut it", () => {
  for (const bad of [1.5, NaN, Infinity, -0.1, -1, 2 ** 32, 2 ** 32 + 1]) {
    assert.throws(() => new Random(bad), {
      name: "RangeError",
      message: `Random seed must be 0..4294967295, got ${bad} (number)`,
    });
  }
  assert.throws(() => new Random("7" as unknown as number), {
    name: "TypeError",
    message: 'Random seed must be 0..4294967295, got "7" (string)',
  });
});
