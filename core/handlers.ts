/**
 * The core's side of each interrupt: what arch entry code calls once it has
 * acknowledged a line. Arches wrap these with their own steps (x86's EOI,
 * powerpc's irq_work check before the decrementer's timers).
 *
 * @module
 */

import type { InterruptKind } from "./arch.ts";
import type { Cpu } from "./cpu.ts";
import { irqWorkRun } from "./irq_work.ts";
import type { Kernel } from "./kernel.ts";

/**
 * Latch IPI `kind` on `target`: after the arch's IPI latency, or at once for
 * a self-IPI. Arches call this from their `sendIpi`.
 */
export function deliverIpi(from: Cpu, target: Cpu, kind: InterruptKind): void {
  const m = from.machine;
  target.raiseLine(m.lineOf(kind), target === from ? 0 : m.arch.timing.ipiLatencyNs);
}

/**
 * Run the core handler of an interrupt of `kind` on `cpu`:
 * `timer` → `hrtimer_interrupt()`, `reschedule` → `scheduler_ipi()` (the
 * preemption itself happens at interrupt exit), `call_function_single` →
 * `generic_smp_call_function_single_interrupt()`, `irq_work` → `irq_work_run()`.
 */
export function* coreInterrupt(cpu: Cpu, kind: InterruptKind): Kernel {
  switch (kind) {
    case "timer":
      return yield* cpu.machine.tick.interrupt(cpu);
    case "reschedule":
      return;
    case "call_function_single":
      return yield* cpu.machine.smp.flush(cpu, true);
    case "irq_work":
      return yield* irqWorkRun(cpu);
  }
}
