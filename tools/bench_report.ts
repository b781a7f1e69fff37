/**
 * Timer-ping report: runs the engine and the bare-heap implementations from
 * `core/engine_bench.ts` once each (after a warm-up) with N = 1,000,000 timer
 * events and prints events/s for both.
 *
 * A "timer event" is one fired event; each process's first wake-up at time 0
 * counts as one (see core/engine_bench.ts). Both implementations count alike.
 *
 * Then the irq_work cycle report: runs the local (`queue` + `sync` on CPU 0)
 * and remote (`queueOn(work, 1)` + `sync`) loops from `tests/irq_work_bench.ts`
 * on a 4-CPU x86 machine with N = 20,000 cycles, after a warm-up, and prints
 * cycles per second of wall time (median of `--cycle-repeats` timed runs) and
 * simulated ns per cycle. A cycle is one completed callback run; the loops
 * throw unless exactly N ran.
 *
 * Usage: `deno run tools/bench_report.ts [--events N] [--warmup N] [--cycles N]
 * [--cycle-warmup N] [--cycle-repeats N]`
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
import { type CycleResult, IRQ_WORK_CYCLES, localCycleRun, remoteCycleRun } from "../tests/irq_work_bench.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: String(TIMER_PING_EVENTS) },
    warmup: { type: "string", default: "200000" },
    cycles: { type: "string", default: String(IRQ_WORK_CYCLES) },
    "cycle-warmup": { type: "string", default: "5000" },
    "cycle-repeats": { type: "string", default: "5" },
  },
});
const events = Number(values.events);
const warmupEvents = Number(values.warmup);
if (!Number.isSafeInteger(events) || events <= 0) throw new RangeError(`--events must be a positive integer`);
if (!Number.isSafeInteger(warmupEvents) || warmupEvents < 0) {
  throw new RangeError(`--warmup must be a non-negative integer`);
}

const cycles = Number(values.cycles);
const cycleWarmup = Number(values["cycle-warmup"]);
const cycleRepeats = Number(values["cycle-repeats"]);
if (!Number.isSafeInteger(cycles) || cycles <= 0) throw new RangeError(`--cycles must be a positive integer`);
if (!Number.isSafeInteger(cycleWarmup) || cycleWarmup < 0) {
  throw new RangeError(`--cycle-warmup must be a non-negative integer`);
}
if (!Number.isSafeInteger(cycleRepeats) || cycleRepeats <= 0) {
  throw new RangeError(`--cycle-repeats must be a positive integer`);
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

// irq_work queue-to-run cycles.

const cycleRows: string[][] = [];
for (const [kind, run] of [["local", localCycleRun], ["remote", remoteCycleRun]] as const) {
  if (cycleWarmup > 0) run(cycleWarmup);
  const times: number[] = [];
  let first: CycleResult | undefined;
  for (let i = 0; i < cycleRepeats; i++) {
    const start = performance.now();
    const result = run(cycles);
    times.push(performance.now() - start);
    // The loops assert the run count themselves; the simulation is deterministic, so every repeat agrees.
    if (first !== undefined && (result.runs !== first.runs || result.simulatedNs !== first.simulatedNs)) {
      throw new Error(`${kind}: repeats disagree: ${JSON.stringify(first)} vs ${JSON.stringify(result)}`);
    }
    first ??= result;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  cycleRows.push([
    kind,
    String(first!.runs),
    median.toFixed(1),
    rate(first!.runs, median),
    (first!.simulatedNs / first!.runs).toFixed(2),
    String(first!.simulatedNs),
  ]);
}

const cycleHeader = ["cycle", "runs", "wall ms (median)", "cycles/s (wall)", "sim ns/cycle", "sim total ns"];
const cycleWidths = cycleHeader.map((h, i) => Math.max(h.length, ...cycleRows.map((r) => r[i]!.length)));
const cycleLine = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(cycleWidths[i]!)).join(" | ")} |`;
console.log("");
console.log(
  `irq_work cycles on 4-CPU x86, N=${cycles} per run (warm-up ${cycleWarmup}, median of ${cycleRepeats} runs)`,
);
console.log(cycleLine(cycleHeader));
console.log(`|${cycleWidths.map((w) => "-".repeat(w + 1) + ":").join("|")}|`);
for (const r of cycleRows) console.log(cycleLine(r));
console.log("local = queue + sync on CPU 0; remote = queueOn(work, 1) + sync from CPU 0; empty callback");
