/**
 * The API fuzzer's long profile: `deno task fuzz [cases] [seed]` (default
 * 20,000 cases, CPU hot-unplug on). Prints the number of cases, the wall time
 * and the slowest execution; a failure prints fast-check's shrunk
 * counterexample and exits non-zero.
 *
 * @module
 */

import fc from "npm:fast-check@4.10.2";
import { checkSequence, sequenceArb } from "../tests/fuzz.ts";

const cases = Number(Deno.args[0] ?? 20_000);
const seed = Number(Deno.args[1] ?? 1);
if (!Number.isSafeInteger(cases) || cases < 1) {
  throw new RangeError(`cases must be a whole number >= 1, got ${Deno.args[0]}`);
}
if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a whole number, got ${Deno.args[1]}`);

const start = performance.now();
let slowest = 0;
let done = 0;
fc.assert(
  fc.property(sequenceArb(true), (sq) => {
    slowest = Math.max(slowest, checkSequence(sq, 10_000));
    if (++done % 1000 === 0) {
      console.log(`${done} cases, ${((performance.now() - start) / 1000).toFixed(1)} s`);
    }
  }),
  { seed, numRuns: cases },
);
console.log(
  `fuzz: ${cases} cases (seed ${seed}, cpuDown on) passed in ${
    ((performance.now() - start) / 1000).toFixed(1)
  } s; ` +
    `slowest execution ${slowest.toFixed(0)} ms`,
);
