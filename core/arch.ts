/**
 * The `Arch` slot: what an architecture supplies to the core.
 *
 * An arch says whether it has an irq_work interrupt
 * (`arch_irq_work_has_interrupt()`), how it raises one
 * (`arch_irq_work_raise()`), which interrupt lines it has and how its entry
 * code hands each to the core, and what each costs in time. Everything else
 * (lists, claiming, draining, the tick) is the core's. The contract is kept
 * as small as a device model's: two methods and three facts.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Kernel } from "./kernel.ts";

/** What an interrupt line does in the core. */
export type InterruptKind = "timer" | "reschedule" | "call_function_single" | "irq_work";

/** One interrupt line of the arch, as the trace prints it. */
export interface InterruptLine {
  /** What the core does with it. */
  readonly kind: InterruptKind;
  /** The arch's vector or IPI number. */
  readonly vector: number;
  /** Tracepoint stem: `irq_work` prints `irq_work_entry: ...`. */
  readonly name: string;
  /** What follows the colon in the entry event, e.g. `vector=246` or `irq=11 name=arch_timer`. */
  readonly entryDetail: string;
  /** What follows the colon in the exit event, e.g. `vector=246` or `irq=11 ret=handled`. */
  readonly exitDetail: string;
}

/** Time costs in nanoseconds. Each arch documents where its numbers come from. */
export interface ArchTiming {
  /** From an interrupt's arrival to the first instruction of its handler. */
  readonly irqEntryNs: number;
  /** From the handler's return to the interrupted code. */
  readonly irqExitNs: number;
  /** From sending an IPI to its arrival at another CPU. */
  readonly ipiLatencyNs: number;
}

/** An architecture: fills the machine's `Arch` slot. */
export interface Arch {
  /** Short name used in options and reports, e.g. `x86`. */
  readonly name: string;
  /** `arch_irq_work_has_interrupt()`: may the core rely on a self-interrupt? */
  readonly hasIrqWorkInterrupt: boolean;
  /** The largest CPU count this arch model supports. */
  readonly maxCpus: number;
  /** Time costs. */
  readonly timing: ArchTiming;
  /**
   * Interrupt lines, highest delivery priority first. Every arch has `timer`,
   * `reschedule` and `call_function_single`; `irq_work` only if it has one.
   */
  readonly lines: readonly InterruptLine[];
  /**
   * Send IPI `kind` from `from` to `target` (`arch_send_call_function_single_ipi()`,
   * `smp_send_reschedule()`, and the self-IPI of arches that raise irq_work
   * that way): trace it as the arch does and latch the line on `target`,
   * usually through the core's `deliverIpi()`.
   */
  sendIpi(from: Cpu, target: Cpu, kind: InterruptKind): void;
  /** `arch_irq_work_raise()`, run on the current CPU by the core. */
  irqWorkRaise(cpu: Cpu): Kernel;
  /** The arch's entry code for `line`: acknowledges it and calls into the core. */
  handle(cpu: Cpu, line: InterruptLine): Kernel;
}
