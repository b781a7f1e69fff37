/**
 * Timer-ping report: runs the implementations from `core/engine_bench.ts`
 * with N = 1,000,000 timer events each, after a warm-up, for `--repeats`
 * rounds that take them in turn, and prints each one's events/s and its
 * ratio to the bare loop it is measured against, from the same round:
 *
 * - the engine (one handler rescheduling with `again()`, its fastest API;
 *   with `after()`; with `after()` and owner and kind labels) against the
 *   bare typed-array binary heap, and
 * - `spawnProcess` generators against the bare heap loop that resumes one
 *   generator per process.
 *
 * A "timer event" is one wake-up; the processes' start-ups happen before the
 * clock and are not counted (see core/engine_bench.ts). The final simulated
 * time must be the same for all; the report throws if it is not.
 *
 * Then the irq_work cycle report: runs the local (`queue` + `sync` on CPU 0)
 * and remote (`queueOn(work, 1)` + `sync`) loops from `tests/irq_work_bench.ts`
 * on a 4-CPU x86 machine with N = 20,000 cycles, after a warm-up, and prints
 * cycles per second of wall time (median of `--cycle-repeats` timed runs) and
 * simulated ns per cycle. A cycle is one completed callback run; the loops
 * throw unless exactly N ran.
 *
 * Usage: `deno run tools/bench_report.ts [--events N] [--warmup N] [--repeats N]
 * [--only timer-ping] [--cycles N] [--cycle-warmup N] [--cycle-repeats N]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  TIMER_PING_EVENTS,
  TIMER_PING_PROCESSES,
  timerPingBare,
  timerPingBareGenerators,
  timerPingEngine,
  timerPingProcesses,
  type TimerPingResult,
} from "../core/engine_bench.ts";
import { type CycleResult, IRQ_WORK_CYCLES, localCycleRun, remoteCycleRun } from "../tests/irq_work_bench.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: String(TIMER_PING_EVENTS) },
    warmup: { type: "string", default: "200000" },
    repeats: { type: "string", default: "9" },
    only: { type: "string" },
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
const repeats = Number(values.repeats);
if (!Number.isSafeInteger(repeats) || repeats <= 0) {
  throw new RangeError(`--repeats must be a positive integer`);
}
if (values.only !== undefined && values.only !== "timer-ping") {
  throw new RangeError(`--only ${values.only}: the only section that runs alone is timer-ping`);
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

const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString("en-US");

/** One implementation measured against a baseline in the same rounds. */
interface Contender {
  name: string;
  baseline: string;
  run: (processes: number, events: number) => TimerPingResult;
}

const BASELINES: Record<string, (processes: number, events: number) => TimerPingResult> = {
  "bare heap": timerPingBare,
  "bare generators": timerPingBareGenerators,
};
const CONTENDERS: Contender[] = [
  { name: "engine, again()", baseline: "bare heap", run: (p, n) => timerPingEngine(p, n, "again") },
  { name: "engine, after()", baseline: "bare heap", run: (p, n) => timerPingEngine(p, n, "after") },
  { name: "engine, after() + labels", baseline: "bare heap", run: (p, n) => timerPingEngine(p, n, "labels") },
  { name: "engine + spawnProcess", baseline: "bare generators", run: timerPingProcesses },
];

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
}

const rows: string[][] = [];
for (const p of TIMER_PING_PROCESSES) {
  const all: [string, (processes: number, events: number) => TimerPingResult][] = [
    ...Object.entries(BASELINES),
    ...CONTENDERS.map((c) =>
      [c.name, c.run] as [string, (processes: number, events: number) => TimerPingResult]
    ),
  ];
  // Warm-up: let the JIT compile every loop at this P.
  for (const [, run] of all) run(p, warmupEvents);
  const ms = new Map<string, number[]>(all.map(([name]) => [name, []]));
  let finalTime: number | undefined;
  for (let round = 0; round < repeats; round++) {
    // Every other round runs them in reverse, so that a drift in the machine's speed does not
    // always favour the same ones.
    for (const [name, run] of round % 2 === 0 ? all : [...all].reverse()) {
      const start = performance.now();
      const result = run(p, events);
      ms.get(name)!.push(performance.now() - start);
      finalTime ??= result.finalTime;
      if (result.events !== events || result.finalTime !== finalTime) {
        throw new Error(
          `P=${p}: ${name} disagrees: ${JSON.stringify(result)}, expected final time ${finalTime}`,
        );
      }
    }
  }
  for (const [name] of Object.entries(BASELINES)) {
    const own = ms.get(name)!;
    rows.push([
      String(p),
      name,
      "",
      rate(events, Math.min(...own)),
      rate(events, median(own)),
      "",
      "",
      "",
      "",
    ]);
  }
  for (const c of CONTENDERS) {
    const own = ms.get(c.name)!, base = ms.get(c.baseline)!;
    const ratios = own.map((t, i) => (base[i] ?? NaN) / t);
    rows.push([
      String(p),
      c.name,
      c.baseline,
      rate(events, Math.min(...own)),
      rate(events, median(own)),
      (Math.min(...base) / Math.min(...own)).toFixed(2),
      median(ratios).toFixed(2),
      Math.min(...ratios).toFixed(2),
      Math.max(...ratios).toFixed(2),
    ]);
  }
  rows.push([String(p), "final simulated time, all", "", "", "", "", "", "", `${finalTime} ns`]);
}

const header = [
  "P",
  "implementation",
  "vs",
  "events/s best",
  "events/s median",
  "ratio of bests",
  "ratio median",
  "min",
  "max",
];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(" | ")} |`;
console.log(
  `timer ping, N=${events} timer events per run, ${repeats} rounds after a warm-up of ${warmupEvents}`,
);
console.log(line(header));
console.log(`|${widths.map((w) => "-".repeat(w + 1) + ":").join("|")}|`);
for (const r of rows) console.log(line(r));
console.log(
  "ratio of bests = the baseline's fastest run over this one's fastest (1.00 = as fast as the bare loop); " +
    "ratio median, min, max = over rounds, each the baseline's wall time over this one's in that round",
);
if (values.only === "timer-ping") Deno.exit(0);

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
