/**
 * A tick-only arch: the kernel's weak defaults. `arch_irq_work_has_interrupt()`
 * is false and `arch_irq_work_raise()` does nothing, so raised works wait for
 * `irq_work_tick()`, `irq_work_sync()` sleeps, and idle CPUs keep their tick
 * while raised works are pending (SPEC §8.2, §10.1). Cross-CPU calls still
 * use the generic SMP IPIs.
 *
 * Timing (assumptions, not measurements): interrupt entry 300 ns and exit
 * 300 ns; IPI delivery 1 µs.
 *
 * @example
 * ```ts
 * import { tickOnly } from "./mod.ts";
 * if (tickOnly().hasIrqWorkInterrupt) throw new Error("tick-only has no irq_work interrupt");
 * ```
 *
 * @module
 */

import type { Arch, InterruptLine } from "../../core/arch.ts";
import type { Cpu } from "../../core/cpu.ts";
import { coreInterrupt, deliverIpi } from "../../core/handlers.ts";
import { type Kernel, nop } from "../../core/kernel.ts";

/** The tick-only arch. */
export function tickOnly(): Arch {
  return {
    name: "tick-only",
    hasIrqWorkInterrupt: false,
    maxCpus: 1024,
    timing: { irqEntryNs: 300, irqExitNs: 300, ipiLatencyNs: 1_000 },
    lines: [
      {
        kind: "reschedule",
        vector: 0,
        name: "ipi",
        entryDetail: "(Rescheduling interrupts)",
        exitDetail: "(Rescheduling interrupts)",
      },
      {
        kind: "call_function_single",
        vector: 1,
        name: "ipi",
        entryDetail: "(Function call interrupts)",
        exitDetail: "(Function call interrupts)",
      },
      {
        kind: "timer",
        vector: 2,
        name: "irq_handler",
        entryDetail: "irq=2 name=timer",
        exitDetail: "irq=2 ret=handled",
      },
    ],
    irqWorkRaise: nop,
    sendIpi: deliverIpi,
    handle: (cpu: Cpu, line: InterruptLine): Kernel => coreInterrupt(cpu, line.kind),
  };
}
