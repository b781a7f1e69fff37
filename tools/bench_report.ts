/**
 * Timer-ping report: runs the engine and the bare-heap implementations from
 * `core/engine_bench.ts` once each (after a warm-up) with N = 1,000,000 timer
 * events and prints events/s for both.
 *
 * A "timer event" is one fired event; each process's first wake-up at time 0
 * counts as one (see core/engine_bench.ts). Both implementations count alike.
 *
 * Usage: `deno run tools/bench_report.ts [--events N] [--warmup N]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  TIMER_PING_EVENTS,
  TIMER_PING_PROCESSES,
  timerPingBare,
  timerPingEngine,
  type TimerPingResult,
} from "../core/engine_bench.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: String(TIMER_PING_EVENTS) },
    warmup: { type: "string", default: "200000" },
  },
});
const events = Number(values.events);
const warmupEvents = Number(values.warmup);
if (!Number.isSafeInteger(events) || events <= 0) throw new RangeError(`--events must be a positive integer`);
if (!Number.isSafeInteger(warmupEvents) || warmupEvents < 0) {
  throw new RangeError(`--warmup must be a non-negative integer`);
}

function timed(run: () => TimerPingResult): { result: TimerPingResult; ms: number } {
  const start = performance.now();
  const result = run();
  return { result, ms: performance.now() - start };
}

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString("en-US");

const rows: string[][] = [];
for (const p of TIMER_PING_PROCESSES) {
  // Warm-up: let the JIT compile both loops at this P.
  timerPingEngine(p, warmupEvents);
  timerPingBare(p, warmupEvents);

  const engine = timed(() => timerPingEngine(p, events));
  const bare = timed(() => timerPingBare(p, events));
  if (engine.result.finalTime !== bare.result.finalTime || engine.result.events !== bare.result.events) {
    throw new Error(
      `P=${p}: implementations disagree: engine ${JSON.stringify(engine.result)}, bare ${
        JSON.stringify(bare.result)
      }`,
    );
  }
  rows.push([
    String(p),
    String(engine.result.events),
    rate(engine.result.events, engine.ms),
    rate(bare.result.events, bare.ms),
    (bare.ms / engine.ms).toFixed(2),
    String(engine.result.finalTime),
    String(bare.result.finalTime),
  ]);
}

const header = [
  "P",
  "events",
  "engine events/s",
  "bare events/s",
  "engine/bare",
  "engine final t (ns)",
  "bare final t (ns)",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(" | ")} |`;
console.log(`timer ping, N=${events} events per run (warm-up ${warmupEvents})`);
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 1) + ":").join("|")}|`);
for (const r of rows) console.log(line(r));
console.log("engine/bare = engine events/s divided by bare events/s (1.00 = no engine overhead)");
