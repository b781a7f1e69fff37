/**
 * The API fuzzer's quick profile (tests/fuzz.ts): a few hundred random API
 * sequences, CPU hot-unplug included, with a fixed seed so that every run of
 * the suite tries the same cases. `deno task fuzz` runs the long profile.
 */

import fc from "npm:fast-check@4.10.2";
import { checkSequence, sequenceArb } from "./fuzz.ts";

Deno.test("fuzz (quick): random API sequences raise only documented errors, lose no work, end in bounded time, twice the same", () => {
  fc.assert(fc.property(sequenceArb(true), (sq) => void checkSequence(sq, 10_000)), {
    seed: 20260801,
    numRuns: 150,
  });
});
