/** The progress bar: silent off a terminal and in the first second, then at most ten draws a second. */

import assert from "node:assert/strict";
import { ProgressBar, progressLine, wallPacedSlices } from "./progress.ts";

function fakeBar(enabled: boolean) {
  let now = 0;
  const written: string[] = [];
  const bar = new ProgressBar({ write: (t) => void written.push(t), enabled, clock: () => now });
  return { bar, written, at: (ms: number) => (now = ms) };
}

const p = (nowNs: number, events: number) => ({ nowNs, untilNs: 10_000_000, events });

Deno.test("progress: silent when standard error is not a terminal", () => {
  const { bar, written, at } = fakeBar(false);
  for (let ms = 0; ms < 5_000; ms += 50) {
    at(ms);
    bar.update(p(ms * 1_000, ms * 10));
  }
  bar.done();
  assert.deepEqual(written, []);
});

Deno.test("progress: nothing for the first second, then a line redrawn at most every 100 ms, cleared at the end", () => {
  const { bar, written, at } = fakeBar(true);
  bar.update(p(0, 100));
  for (let ms = 0; ms <= 1_250; ms += 50) {
    at(ms);
    bar.update(p(ms * 1_000, 100 + ms * 1_000));
  }
  // Drawn at 1000, 1100 and 1200 ms; 1050, 1150 and 1250 are too soon after the last draw.
  assert.equal(written.length, 3);
  assert.equal(written[0], `\r${progressLine(p(1_000_000, 1_000_100), 1_000, 1_000_000)}\x1b[K`);
  assert.ok(bar.drawn);
  bar.done();
  assert.equal(written.at(-1), "\r\x1b[K");
});

Deno.test("progress: a short run never draws, and done() leaves the terminal alone", () => {
  const { bar, written, at } = fakeBar(true);
  at(900);
  bar.update(p(10_000_000, 5));
  bar.done();
  assert.deepEqual(written, []);
});

Deno.test("progress: the line shows simulated time done, wall time and events per second", () => {
  assert.equal(
    progressLine({ nowNs: 4_500_000, untilNs: 10_000_000, events: 0 }, 1_500, 3_000_000),
    "[###########-------------]  45.0%  4.500 of 10.000 ms simulated  1.5 s wall  2.00 M events/s",
  );
  assert.equal(
    progressLine({ nowNs: 10_000_000, untilNs: 10_000_000, events: 0 }, 2_000, 5_000),
    "[########################] 100.0%  10.000 of 10.000 ms simulated  2.0 s wall  2.5 k events/s",
  );
});

Deno.test("progress: slices sized to take about 100 ms of wall time each, growing at most fourfold", () => {
  let now = 0;
  const next = wallPacedSlices(() => now);
  assert.equal(next({ nowNs: 0, untilNs: 1e12, events: 0 }), 100_000);
  now = 10; // 100 µs took 10 ms: 10 µs per ms, so 1 ms would take 100 ms
  assert.equal(next({ nowNs: 100_000, untilNs: 1e12, events: 0 }), 400_000); // capped at four times
  now = 410; // 400 µs took 400 ms: 1 µs per ms
  assert.equal(next({ nowNs: 500_000, untilNs: 1e12, events: 0 }), 100_000);
});
