/**
 * Machine-level performance report, all figures from one process:
 *
 * 1. irq_work queue-to-run cycles on 4-CPU x86 (tests/irq_work_bench.ts),
 *    local and remote, with the spin fast-forward and polling step by step,
 *    timed in turn: cycles per second of wall time (median of `--repeats`)
 *    and the speed-up.
 * 2. Fresh machines per second: a new 2-CPU x86 machine, one `queueOn` +
 *    `sync` and one local `queue`, run for 100 µs (the explorer's unit).
 * 3. The flagship scenario (examples/scenarios/rt_latency.json) with every
 *    sink on (ftrace text, Perfetto JSON, trace.dat, findings, reports,
 *    HTML): simulated seconds per wall second, outputs included.
 * 4. Memory after one simulated minute on 64 CPUs under a queue storm: each
 *    CPU's FIFO task queues a local and a remote work every `--storm-sleep`
 *    µs; the heap (after a full GC) is printed every 10 simulated seconds, so
 *    that it can be seen not to grow with simulated time.
 *
 * Usage: `deno run --v8-flags=--expose-gc tools/machine_report.ts
 * [--cycles N] [--repeats N] [--machines N] [--storm-seconds S] [--storm-sleep US]`
 *
 * @module
 */

import { parseArgs } from "node:util";
import { createMachine, irqWorkInit } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { freshMachineRun, IRQ_WORK_CYCLES, localCycleRun, remoteCycleRun } from "../tests/irq_work_bench.ts";
import { buildScenario, latencyHook, loadScenario } from "../scenario/mod.ts";
import flagshipFile from "../examples/scenarios/rt_latency.json" with { type: "json" };

const { values } = parseArgs({
  args: Deno.args,
  options: {
    cycles: { type: "string", default: String(IRQ_WORK_CYCLES) },
    repeats: { type: "string", default: "5" },
    machines: { type: "string", default: "20000" },
    "storm-seconds": { type: "string", default: "60" },
    "storm-sleep": { type: "string", default: "5000" },
  },
});

/** A positive whole number from option `name`, or a clear error. */
function count(name: keyof typeof values): number {
  const n = Number(values[name]);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new RangeError(`--${name} must be a positive integer, got ${values[name]}`);
  }
  return n;
}

const cycles = count("cycles"), repeats = count("repeats"), machines = count("machines");
const stormSeconds = count("storm-seconds"), stormSleepUs = count("storm-sleep");

/** Median wall ms of `repeats` runs of each of `fns`, after a warm-up of each, taken in turn so that drift hits all alike. */
function medianMs(...fns: (() => void)[]): number[] {
  for (const fn of fns) fn();
  const times = fns.map((): number[] => []);
  for (let i = 0; i < repeats; i++) {
    fns.forEach((fn, k) => {
      const start = performance.now();
      fn();
      times[k]!.push(performance.now() - start);
    });
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]!);
}

const perSecond = (n: number, ms: number) => Math.round((n / ms) * 1000).toLocaleString("en");

console.log(`irq_work cycles on 4-CPU x86, N=${cycles}, median of ${repeats} runs`);
console.log("| cycle  | fast-forward cycles/s | step-by-step cycles/s | speed-up | sim ns/cycle |");
console.log("|--------|----------------------:|----------------------:|---------:|-------------:|");
for (const [name, run] of [["local", localCycleRun], ["remote", remoteCycleRun]] as const) {
  const [fast, slow] = medianMs(() => run(cycles, true), () => run(cycles, false)) as [number, number];
  const sim = run(cycles, true).simulatedNs / cycles;
  if (sim !== run(cycles, false).simulatedNs / cycles) {
    throw new Error(`${name}: fast-forward changed the clock`);
  }
  const cells = [
    perSecond(cycles, fast),
    perSecond(cycles, slow),
    `${(slow / fast).toFixed(2)}x`,
    sim.toFixed(1),
  ];
  console.log(`| ${name.padEnd(6)} | ${cells.map((c, i) => c.padStart([21, 21, 8, 12][i]!)).join(" | ")} |`);
}

const [fresh] = medianMs(() => {
  for (let i = 0; i < machines; i++) freshMachineRun();
}) as [number];
console.log(
  `\nfresh 2-CPU x86 machine + queueOn/sync + local queue, 100 µs: ${
    perSecond(machines, fresh)
  } per second ` +
    `(${((fresh / machines) * 1000).toFixed(1)} µs each, median of ${repeats} x ${machines})`,
);

/** The flagship as the CLI runs it, minus writing the files: build, run, make every output. */
function flagshipRun(): void {
  const flagship = loadScenario(flagshipFile);
  const start = performance.now();
  const built = buildScenario(flagship, { measure: latencyHook });
  built.run();
  const bytes = Object.values(built.outputs()).reduce((n, o) => n + (o?.length ?? 0), 0);
  const wall = (performance.now() - start) / 1000;
  const simulated = flagship.run.durationNs / 1e9;
  console.log(
    `\nflagship scenario (rt_latency.json, ${simulated} s simulated, all six outputs, ` +
      `${(bytes / 2 ** 20).toFixed(1)} MiB made): ${(simulated / wall).toFixed(3)} simulated s per wall s ` +
      `(${wall.toFixed(2)} s wall)`,
  );
}
flagshipRun();

const gc = (globalThis as { gc?: () => void }).gc;
const heapMiB = () => {
  gc?.();
  return (Deno.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
};
console.log(
  `\nqueue storm on 64-CPU x86: every CPU queues a local and a remote work every ${stormSleepUs} µs`,
);
if (gc === undefined) console.log("(run with --v8-flags=--expose-gc for heap figures after a full GC)");
const before = heapMiB();
const m = createMachine({ arch: x86(), cpus: 64 });
for (let cpu = 0; cpu < 64; cpu++) {
  const local = irqWorkInit(() => {}, `local${cpu}`), remote = irqWorkInit(() => {}, `remote${cpu}`);
  m.spawn({ cpu, name: `storm/${cpu}`, policy: "fifo", priority: 10 }, function* (ctx) {
    for (;;) {
      yield* ctx.queue(local);
      yield* ctx.queueOn(remote, (cpu + 1) % 64);
      yield* ctx.sleep(stormSleepUs * 1000);
    }
  });
}
const stormStart = performance.now();
console.log(`| simulated s | runs (all) | runs kept | heap MiB | wall s |`);
console.log(`|------------:|-----------:|----------:|---------:|-------:|`);
console.log(`|           0 |          0 |         0 | ${before.padStart(8)} |    0.0 |`);
for (let s = 10; s <= stormSeconds; s += 10) {
  m.runUntil(s * 1e9);
  const wall = ((performance.now() - stormStart) / 1000).toFixed(1);
  console.log(
    `| ${String(s).padStart(11)} | ${String(m.runCount).padStart(10)} | ${
      String(m.runs.length).padStart(9)
    } | ` +
      `${heapMiB().padStart(8)} | ${wall.padStart(6)} |`,
  );
}
if (m.findings.length > 0) throw new Error(`the storm reported findings: ${m.findings[0]!.message}`);
