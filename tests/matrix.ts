/**
 * The arch x config matrix every conformance test runs over. Each cell names
 * an arch and a config; a test asks the cell for facts that decide its
 * expectation (does the arch have an irq_work interrupt, how many CPUs can
 * it have) rather than switching on names.
 *
 * @module
 */

import {
  type Arch,
  createMachine,
  LEGACY_TIMING,
  type Machine,
  type MachineOptions,
  type MachineTiming,
  type Plugin,
} from "../mod.ts";
import { arm64 } from "../arch/arm64/mod.ts";
import { powerpc } from "../arch/powerpc/mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

/** One arch of the matrix. */
export interface ArchCase {
  readonly name: string;
  readonly make: () => Arch;
  /** `arch_irq_work_has_interrupt()`. */
  readonly hasIrqWorkInterrupt: boolean;
  /** Largest CPU count the arch model allows (x86 without APIC: 1). */
  readonly maxCpus: number;
}

/** One kernel configuration of the matrix. */
export interface ConfigCase {
  readonly name: string;
  /** PREEMPT_RT is configured: non-HARD works are threaded (rules 4.3, 5.5, 9). */
  readonly rt: boolean;
  readonly plugins: () => Plugin[];
}

/** The five arches. */
export const ARCHES: readonly ArchCase[] = [
  { name: "x86", make: () => x86(), hasIrqWorkInterrupt: true, maxCpus: 1024 },
  { name: "x86-nolapic", make: () => x86({ apic: false }), hasIrqWorkInterrupt: false, maxCpus: 1 },
  { name: "arm64", make: () => arm64(), hasIrqWorkInterrupt: true, maxCpus: 1024 },
  { name: "powerpc", make: () => powerpc(), hasIrqWorkInterrupt: true, maxCpus: 1024 },
  { name: "tick-only", make: () => tickOnly(), hasIrqWorkInterrupt: false, maxCpus: 1024 },
];

/** Kernel configurations: without and with PREEMPT_RT. */
export const CONFIGS: readonly ConfigCase[] = [
  { name: "!RT", rt: false, plugins: () => [] },
  { name: "RT", rt: true, plugins: () => [preemptRt()] },
];

/** A cell of the matrix. */
export interface Cell {
  readonly arch: ArchCase;
  readonly config: ConfigCase;
  /** Build a machine for this cell; `cpus` is capped by nothing: ask `arch.maxCpus` first. */
  machine(options?: Omit<MachineOptions, "arch">): Machine;
}

/** Every cell. */
export const CELLS: readonly Cell[] = ARCHES.flatMap((arch) =>
  CONFIGS.map((config) => ({
    arch,
    config,
    machine: (options: Omit<MachineOptions, "arch"> = {}) =>
      createMachine({
        ...options,
        arch: arch.make(),
        plugins: [...config.plugins(), ...(options.plugins ?? [])],
      }),
  }))
);

/**
 * Why a rule does not apply to a cell, or `undefined` if it does. The reason is
 * short and becomes part of the ignored step's name, e.g.
 * `x86-nolapic !RT (skipped: one CPU)`.
 */
export type SkipRule = (cell: Cell) => string | undefined;

/** Options of {@link matrixTest}. */
export interface MatrixOptions {
  /**
   * Cells the rule does not apply to: their steps are registered with
   * `ignore: true`, so Deno reports them as ignored, never as passed, and the
   * body is not called for them.
   */
  readonly skip?: SkipRule;
  /**
   * Costs the cells' machines take unless the body passes its own `timing`.
   * A rule test whose exact times count only interrupts, IPIs, switches and
   * the tick pins `LEGACY_TIMING` here (docs/rules.md, rule 23.4); the path
   * costs have their own tests (tests/costs_test.ts).
   */
  readonly timing?: Partial<MachineTiming>;
}

/**
 * The options of a rule test whose exact times were reasoned with free
 * kernel paths: its machines take `LEGACY_TIMING` (rule 23.4).
 */
export const LEGACY: MatrixOptions = Object.freeze({ timing: LEGACY_TIMING });

/** `cell` whose machines take `timing` unless told otherwise. */
function withTiming(cell: Cell, timing: Partial<MachineTiming> | undefined): Cell {
  if (timing === undefined) return cell;
  return { ...cell, machine: (options = {}) => cell.machine({ timing, ...options }) };
}

/** Skip cells whose arch allows a single CPU (x86-nolapic): nothing there is remote. */
export const smpOnly: SkipRule = (cell) => cell.arch.maxCpus < 2 ? "one CPU" : undefined;

/** Skip cells without PREEMPT_RT: no `irq_work/N` thread, no threaded works. */
export const rtOnly: SkipRule = (cell) => cell.config.rt ? undefined : "RT only";

/** Skip cells without PREEMPT_RT or with a single CPU (the first reason that holds). */
export const rtSmpOnly: SkipRule = (cell) => rtOnly(cell) ?? smpOnly(cell);

/**
 * Register one Deno test named `name` (start it with the rule it checks, as
 * numbered in docs/rules.md, e.g. `rule 7.1: local lists run newest first`)
 * with one step per cell of the matrix, named `<arch> <config>`.
 *
 * A rule that does not apply to some cells says so with `options.skip`
 * (see {@link smpOnly}, {@link rtOnly}, {@link rtSmpOnly}, or any
 * {@link SkipRule}); the steps of those cells are reported as ignored, with the
 * reason in the step name, and count in Deno's summary as ignored steps
 * (`... | 0 ignored (N steps)`), not as passed ones. The body then covers the
 * cells the rule applies to and never returns early to skip a cell. Where a
 * cell only changes the expectation (a `!RT` contrast, a UP build that takes
 * another path), the body asserts that and the step counts as passed.
 *
 * @example
 * ```ts ignore
 * matrixTest("rule 12.1: only the first push sends the IPI", { skip: smpOnly }, (cell) => {
 *   // runs on every cell with two CPUs or more; x86-nolapic's two steps are ignored
 * });
 * ```
 */
export function matrixTest(name: string, body: (cell: Cell) => void): void;
export function matrixTest(name: string, options: MatrixOptions, body: (cell: Cell) => void): void;
export function matrixTest(
  name: string,
  optionsOrBody: MatrixOptions | ((cell: Cell) => void),
  maybeBody?: (cell: Cell) => void,
): void {
  const options: MatrixOptions = typeof optionsOrBody === "function" ? {} : optionsOrBody;
  const body = typeof optionsOrBody === "function" ? optionsOrBody : maybeBody!;
  Deno.test(name, async (t) => {
    for (const cell of CELLS) {
      const step = `${cell.arch.name} ${cell.config.name}`;
      const reason = options.skip?.(cell);
      if (reason === undefined) {
        await t.step(step, () => body(withTiming(cell, options.timing)));
      } else {
        await t.step({ name: `${step} (skipped: ${reason})`, ignore: true, fn: () => {} });
      }
    }
  });
}
