/**
 * The arch x config matrix every conformance test runs over. Each cell names
 * an arch and a config; a test asks the cell for facts that decide its
 * expectation (does the arch have an irq_work interrupt, how many CPUs can
 * it have) rather than switching on names.
 *
 * @module
 */

import { type Arch, createMachine, type Machine, type MachineOptions, type Plugin } from "../mod.ts";
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
  /** PREEMPT_RT is configured: non-HARD works are threaded (SPEC §4.3, §5.5, §9). */
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
 * Register one Deno test named `name` (start it with the SPEC rule, e.g.
 * `rule 7.1: local lists run newest first`) with one step per cell.
 * `body` returns early (after asserting nothing) only for cells the rule
 * does not apply to; say why in a comment there.
 */
export function matrixTest(name: string, body: (cell: Cell) => void): void {
  Deno.test(name, async (t) => {
    for (const cell of CELLS) {
      await t.step(`${cell.arch.name} ${cell.config.name}`, () => body(cell));
    }
  });
}
