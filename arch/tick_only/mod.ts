/**
 * A tick-only arch: the kernel's weak defaults. `arch_irq_work_has_interrupt()`
 * is false and `arch_irq_work_raise()` does nothing, so raised works wait for
 * `irq_work_tick()`, `irq_work_sync()` sleeps, and idle CPUs keep their tick
 * while raised works are pending (rules 8.2, 10.1 of docs/rules.md). Cross-CPU calls still
 * use the generic SMP IPIs.
 *
 * Timing (assumptions, not measurements): interrupt entry 300 ns and exit
 * 300 ns; IPI delivery 1 µs. Kernel paths cost the machine's defaults
 * (`DEFAULT_TIMING`, docs/rules.md section 23): a generic modern core.
 *
 * @example
 * ```ts
 * import { tickOnly } from "./mod.ts";
 * if (tickOnly().hasIrqWorkInterrupt({ cpus: 2, smp: true })) throw new Error("tick-only has no irq_work interrupt");
 * ```
 *
 * @module
 */

import { type Arch, nop } from "../../core/mod.ts";

/** The tick-only arch. */
export function tickOnly(): Arch {
  return {
    name: "tick-only",
    hasIrqWorkInterrupt: () => false,
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
  };
}
