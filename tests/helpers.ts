/**
 * Helpers shared by two or more of the conformance test files. Each was
 * written separately in several files; only copies that behave identically
 * live here. Helpers used by a single file, and same-named helpers whose
 * copies differ (`queued`, `noFindings`, tick_smp's `selfRaises`), stay in
 * their file.
 *
 * @module
 */

import assert from "node:assert/strict";
import { IRQ_WORK_HARD_IRQ, type IrqWork, type Machine, type TraceEvent, type WorkRun } from "../mod.ts";
import type { Cell } from "./matrix.ts";

/** Drive a kernel generator that only yields steps to completion (no CPU involved). */
export function drive<T>(gen: Generator<number, T, void>): T {
  let r = gen.next();
  while (!r.done) r = gen.next();
  return r.value;
}

/** Record every trace event of `m`, so a test can assert on what the machine emitted. */
export function record(m: Machine): TraceEvent[] {
  const events: TraceEvent[] = [];
  m.observe((e) => events.push(e));
  return events;
}

/** Self-interrupt requests (`ipi_send_cpu` to the sending CPU) made on `cpu`. */
export function selfRaises(events: readonly TraceEvent[], cpu: number): TraceEvent[] {
  return events.filter((e) => e.type === "ipi_send_cpu" && e.cpu === cpu && e.target === cpu);
}

/** The first tick boundary strictly after `t`, for timing works drained by the tick. */
export function nextTick(m: Machine, t: number): number {
  return (Math.floor(t / m.kernel.ticks.periodNs) + 1) * m.kernel.ticks.periodNs;
}

/** When a work drained by the tick at `tick` starts: interrupt entry, then the tick's own work. */
export function tickRunStart(m: Machine, tick: number): number {
  return tick + m.kernel.arch.timing.irqEntryNs + m.kernel.timing.tickNs;
}

/**
 * Delay between a self-interrupt request and its arrival: an arch with an
 * irq_work line (self-IPI) delivers it at once; one without (powerpc) fires
 * its decrementer 2 ns later.
 */
export function selfIrqDelay(m: Machine): number {
  return m.kernel.arch.lines.some((l) => l.kind === "irq_work") ? 0 : 2;
}

/** The names of the works of `runs`, in order, to compare run orders compactly. */
export function names(runs: readonly WorkRun[]): string[] {
  return runs.map((r) => r.work.name);
}

/** The single run of `work` on `m`; fails if it ran other than exactly once. */
export function runOf(m: Machine, work: IrqWork): WorkRun {
  const runs = m.runs.filter((r) => r.work === work);
  assert.equal(runs.length, 1, `${work.name} ran ${runs.length} times`);
  return runs[0]!;
}

/** A callback that spends `ns` (100 ns unless told), so a work takes measurable time. */
export function spending(ns = 100) {
  return function* (_w: IrqWork, ctx: { spend(ns: number): Generator<number, void, void> }) {
    yield* ctx.spend(ns);
  };
}

/**
 * RT: when `irq_work/N` starts a work whose wake-up came from an interrupt at
 * `wokenAt` (the instant a hard-IRQ drain would have started it): the
 * interrupt returns, then the CPU switches to the thread (rules 8.1, 8.2, 9).
 */
export function threadStart(m: Machine, wokenAt: number): number {
  return wokenAt + m.kernel.arch.timing.irqExitNs + m.kernel.timing.contextSwitchNs;
}

/** Assert `run` happened where the cell puts a work with `flags`: hard-IRQ, or RT's `irq_work/N` (rules 4.3, 9.4). */
export function assertRanWhereConfigSays(
  cell: Cell,
  run: WorkRun,
  flags: number,
  what = run.work.name,
): void {
  if (cell.config.rt && (flags & IRQ_WORK_HARD_IRQ) === 0) {
    assert.equal(run.context, "task", what);
    assert.equal(run.task.comm, `irq_work/${run.cpu}`, what);
    assert.equal(run.irqsDisabled, false, what);
  } else {
    assert.equal(run.context, "hardirq", what);
    assert.equal(run.irqsDisabled, true, what);
  }
}
