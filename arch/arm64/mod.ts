/**
 * arm64: irq_work raises the `IPI_IRQ_WORK` software-generated interrupt to
 * the current CPU; `do_handle_IPI()` calls `irq_work_run()`
 * (arch/arm64/kernel/smp.c). `arch_irq_work_has_interrupt()` is true, as in
 * current kernels. IPIs trace as `ipi_entry: (IRQ work interrupts)`.
 *
 * Timing (assumptions for a GICv3 server part, not measurements): interrupt
 * entry 250 ns and exit 250 ns; IPI delivery 1.5 µs through the redistributor.
 *
 * @example
 * ```ts
 * import { arm64 } from "./mod.ts";
 * if (!arm64().hasIrqWorkInterrupt) throw new Error("arm64 has an irq_work IPI");
 * ```
 *
 * @module
 */

import type { Arch, InterruptLine } from "../../core/arch.ts";
import type { Cpu } from "../../core/cpu.ts";
import { coreInterrupt } from "../../core/handlers.ts";
import { type Kernel, STEP } from "../../core/kernel.ts";

/** arm64 IPI numbers (`enum ipi_msg_type`). */
export const IPI_RESCHEDULE = 0;
/** `IPI_CALL_FUNC`: also carries single-CPU calls. */
export const IPI_CALL_FUNC = 1;
/** `IPI_IRQ_WORK`. */
export const IPI_IRQ_WORK = 5;
/** The arch timer's interrupt (PPI 27 → Linux irq 11 on a typical GICv3 board). */
const ARCH_TIMER_IRQ = 11;

/** The arm64 arch. IPIs (SGIs) are delivered in IPI-number order, the timer last. */
export function arm64(): Arch {
  return {
    name: "arm64",
    hasIrqWorkInterrupt: true,
    maxCpus: 1024,
    timing: { irqEntryNs: 250, irqExitNs: 250, ipiLatencyNs: 1_500 },
    lines: [
      {
        kind: "reschedule",
        vector: IPI_RESCHEDULE,
        name: "ipi",
        entryDetail: "(Rescheduling interrupts)",
        exitDetail: "(Rescheduling interrupts)",
      },
      {
        kind: "call_function_single",
        vector: IPI_CALL_FUNC,
        name: "ipi",
        entryDetail: "(Function call interrupts)",
        exitDetail: "(Function call interrupts)",
      },
      {
        kind: "irq_work",
        vector: IPI_IRQ_WORK,
        name: "ipi",
        entryDetail: "(IRQ work interrupts)",
        exitDetail: "(IRQ work interrupts)",
      },
      {
        kind: "timer",
        vector: ARCH_TIMER_IRQ,
        name: "irq_handler",
        entryDetail: `irq=${ARCH_TIMER_IRQ} name=arch_timer`,
        exitDetail: `irq=${ARCH_TIMER_IRQ} ret=handled`,
      },
    ],
    *irqWorkRaise(cpu: Cpu): Kernel {
      cpu.raiseLine(cpu.machine.lineOf("irq_work"));
      yield STEP;
    },
    handle: (cpu: Cpu, line: InterruptLine): Kernel => coreInterrupt(cpu, line.kind),
  };
}
