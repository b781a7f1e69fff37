/**
 * The irq_work "queue-to-run cycle" benchmark: how fast does the model turn
 * over one queue → interrupt → callback → sync round trip?
 *
 * Machine: 4-CPU x86 (local APIC), seed 1, default timing. One SCHED_FIFO
 * task (priority 50) on CPU 0 loops `N` times over one work whose callback
 * does nothing:
 *
 * - local: `queue(work)` then `sync(work)`: the self-IPI runs the work on
 *   CPU 0 in hard-IRQ context before `sync` returns.
 * - remote: `queueOn(work, 1)` then `sync(work)`: the work goes through
 *   CPU 1's call-single queue and an IPI; CPU 0 spins in `sync` until it ran.
 *
 * A "cycle" is one completed callback run. Each function checks that exactly
 * `N` runs happened, every queue call claimed the work, each run was on the
 * expected CPU, and nothing was WARNed; it returns the run count and the
 * simulated time the loop took, so `irq_work_bench_test.ts` and
 * `tools/bench_report.ts` run exactly the code measured here (`Deno.bench`
 * is a no-op outside `deno bench`).
 *
 * @module
 */

import { x86 } from "../arch/x86/mod.ts";
import {
  type Context,
  createMachine,
  type IrqWork,
  irqWorkInit,
  type Kernel,
  type MachineTiming,
} from "../mod.ts";

/** What one cycle loop produced. */
export interface CycleResult {
  /** Completed callback runs (always `N`: anything else throws). */
  runs: number;
  /** Simulated ns from the first queue call to the return of the last sync. */
  simulatedNs: number;
}

/** Simulated time given to the machine per `runFor` slice while the loop is unfinished. */
const SLICE_NS = 100_000_000;

type Step = (ctx: Context, work: IrqWork) => Kernel<boolean>;

function cycles(
  n: number,
  step: Step,
  expectCpu: number,
  fastForward: boolean,
  timing: Partial<MachineTiming>,
): CycleResult {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new RangeError(`cycle count must be a whole number >= 0, got ${n}`);
  }
  const m = createMachine({ arch: x86(), cpus: 4, seed: 1, fastForward, timing });
  let callbacks = 0;
  const work = irqWorkInit(() => {
    callbacks++;
  }, "bench_nop");
  let done = false;
  let claimed = 0;
  let start = 0;
  let end = 0;
  m.spawn({ cpu: 0, name: "bench", policy: "fifo", priority: 50 }, function* (ctx) {
    start = ctx.now;
    for (let i = 0; i < n; i++) {
      if (yield* step(ctx, work)) claimed++;
      yield* ctx.sync(work);
    }
    end = ctx.now;
    done = true;
  });
  // Bound the run: even a slow cycle costs far less than one slice.
  for (let slices = 0; !done && !m.panicked; slices++) {
    if (slices > n + 10) throw new Error(`cycle loop not done after ${slices} slices of ${SLICE_NS} ns`);
    m.runFor(SLICE_NS);
  }
  if (m.panicked || m.findings.length > 0) {
    throw new Error(`machine reported findings: ${JSON.stringify(m.findings)}`);
  }
  if (claimed !== n) throw new Error(`expected ${n} successful queue calls, got ${claimed}`);
  if (callbacks !== n || m.runs.length !== n) {
    throw new Error(`expected ${n} runs, got ${callbacks} callbacks and ${m.runs.length} records`);
  }
  for (const run of m.runs) {
    if (run.cpu !== expectCpu || run.context !== "hardirq") {
      throw new Error(`a run was on CPU ${run.cpu} in ${run.context}, expected CPU ${expectCpu} in hardirq`);
    }
  }
  return { runs: m.runs.length, simulatedNs: end - start };
}

/**
 * `n` local cycles (`queue` + `sync` on CPU 0); returns the completed runs and the simulated time.
 * `fastForward: false` polls spin loops step by step; `timing` overrides x86's costs.
 */
export function localCycleRun(
  n: number,
  fastForward = true,
  timing: Partial<MachineTiming> = {},
): CycleResult {
  return cycles(n, (ctx, work) => ctx.queue(work), 0, fastForward, timing);
}

/** `n` remote cycles (`queueOn(work, 1)` + `sync` from CPU 0); returns the completed runs and the simulated time. */
export function remoteCycleRun(
  n: number,
  fastForward = true,
  timing: Partial<MachineTiming> = {},
): CycleResult {
  return cycles(n, (ctx, work) => ctx.queueOn(work, 1), 1, fastForward, timing);
}

/**
 * The explorer's unit of work: a fresh 2-CPU x86 machine, one task doing
 * `queueOn` + `sync`, one doing a local `queue`, run for 100 µs. Returns the
 * number of runs (always 2).
 */
export function freshMachineRun(): number {
  const m = createMachine({ arch: x86(), cpus: 2, seed: 1 });
  const remote = irqWorkInit(() => {}, "remote"), local = irqWorkInit(() => {}, "local");
  m.spawn({ cpu: 0, name: "r" }, function* (ctx) {
    yield* ctx.queueOn(remote, 1);
    yield* ctx.sync(remote);
  });
  m.spawn({ cpu: 1, name: "l" }, (ctx) => ctx.queue(local));
  m.runUntil(100_000);
  if (m.runs.length !== 2 || m.findings.length > 0) throw new Error(`fresh machine: ${m.runs.length} runs`);
  return m.runs.length;
}

/** `n` local cycles; returns the number of completed runs (always `n`). */
export function localCycles(n: number): number {
  return localCycleRun(n).runs;
}

/** `n` remote cycles; returns the number of completed runs (always `n`). */
export function remoteCycles(n: number): number {
  return remoteCycleRun(n).runs;
}

/** Cycles per benchmark iteration. */
export const IRQ_WORK_CYCLES = 20_000;

Deno.bench({
  name: `local: queue + sync on CPU 0, N=${IRQ_WORK_CYCLES}`,
  group: "irq_work cycles",
  baseline: true,
  n: 20,
  warmup: 3,
  fn: () => void localCycles(IRQ_WORK_CYCLES),
});
Deno.bench({
  name: `remote: queueOn(1) + sync from CPU 0, N=${IRQ_WORK_CYCLES}`,
  group: "irq_work cycles",
  n: 20,
  warmup: 3,
  fn: () => void remoteCycles(IRQ_WORK_CYCLES),
});
Deno.bench({
  name: `remote, polling step by step: queueOn(1) + sync from CPU 0, N=${IRQ_WORK_CYCLES}`,
  group: "irq_work cycles",
  n: 10,
  warmup: 2,
  fn: () => void remoteCycleRun(IRQ_WORK_CYCLES, false),
});
Deno.bench({
  name: "fresh 2-CPU x86 machine + queueOn/sync + local queue, 100 µs",
  group: "fresh machine",
  fn: () => void freshMachineRun(),
});
