/**
 * The `Arch` slot: what an architecture supplies to the core.
 *
 * An arch says whether it has an irq_work interrupt
 * (`arch_irq_work_has_interrupt()`, which may depend on the machine), how it
 * raises one (`arch_irq_work_raise()`), which interrupt lines it has, how it
 * sends an IPI and how its entry code hands each line to the core, and what
 * each costs in time. Everything else (lists, claiming, draining, the tick)
 * is the core's. Like a device model's contract, it is a few facts and two
 * to four methods; the optional ones have the core's defaults.
 *
 * Arch code gets what it may touch as an explicit argument ({@linkcode ArchHw}
 * and its extensions), never the machine.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Kernel } from "./kernel.ts";
import type { PathTiming } from "./timing.ts";
import type { TraceBody } from "./trace.ts";

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

/**
 * Time costs in nanoseconds. Each arch documents where its numbers come from.
 * Beside its interrupt and IPI costs, an arch may state what the kernel's
 * paths cost on it ({@linkcode PathTiming}); those it leaves out are the
 * machine's defaults, and a machine's `timing` option overrides both.
 */
export interface ArchTiming extends Partial<PathTiming> {
  /** From an interrupt's arrival to the first instruction of its handler. */
  readonly irqEntryNs: number;
  /** From the handler's return to the interrupted code. */
  readonly irqExitNs: number;
  /** From sending an IPI to its arrival at another CPU. */
  readonly ipiLatencyNs: number;
}

/** The machine facts an arch's answers may depend on. */
export interface ArchMachine {
  /** Number of CPUs. */
  readonly cpus: number;
  /** An SMP build (`CONFIG_SMP`). */
  readonly smp: boolean;
}

/** What arch code may do to the hardware of the machine it runs on. */
export interface ArchHw extends ArchMachine {
  /** Emit a trace event on `cpu` (an arch's own tracepoints, e.g. arm64's `ipi_raise`). */
  emit(cpu: Cpu, body: TraceBody): void;
  /** Latch IPI `kind` (id `ipi`) on `target`: after the arch's IPI latency, at once for a self-IPI. */
  deliverIpi(from: Cpu, target: Cpu, kind: InterruptKind, ipi: number): void;
}

/** What an arch's irq_work raise may also do. */
export interface ArchRaiseHw extends ArchHw {
  /** Make `cpu`'s clock-event device fire after `delayNs` whatever is programmed later (powerpc's `set_dec(1)`). */
  fireTimerSoon(cpu: Cpu, delayNs: number): void;
}

/** What an arch's interrupt entry code may also do. */
export interface ArchIrqHw extends ArchRaiseHw {
  /**
   * The core's handler of a line of `kind`: `timer` → `hrtimer_interrupt()`,
   * `reschedule` → `scheduler_ipi()` (the preemption itself happens at
   * interrupt exit), `call_function_single` →
   * `generic_smp_call_function_single_interrupt()`, `irq_work` → `irq_work_run()`.
   */
  core(cpu: Cpu, kind: InterruptKind): Kernel;
  /** `irq_work_run()`, for arches that run it from another interrupt (powerpc's decrementer). */
  irqWorkRun(cpu: Cpu): Kernel;
}

/**
 * An architecture: fills the machine's `Arch` slot.
 *
 * @example
 * ```ts
 * import type { Arch } from "./arch.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * // A tick-only variant of an arch: no irq_work interrupt, works wait for the tick.
 * const base = fixtureArch();
 * const tickOnly: Arch = { ...base, name: "my-arch", hasIrqWorkInterrupt: () => false, irqWorkRaise: base.irqWorkRaise };
 * if (tickOnly.hasIrqWorkInterrupt({ cpus: 2, smp: true })) throw new Error("no self-interrupt");
 * ```
 */
export interface Arch {
  /** Short name used in options and reports, e.g. `x86`. */
  readonly name: string;
  /** The largest CPU count this arch model supports. */
  readonly maxCpus: number;
  /** Time costs. */
  readonly timing: ArchTiming;
  /**
   * Interrupt lines, highest delivery priority first. Every arch has `timer`,
   * `reschedule` and `call_function_single`; `irq_work` only if it has one.
   */
  readonly lines: readonly InterruptLine[];
  /** `arch_irq_work_has_interrupt()` on `machine`: may the core rely on a self-interrupt? */
  hasIrqWorkInterrupt(machine: ArchMachine): boolean;
  /** `arch_irq_work_raise()`, run on the current CPU by the core; `ipi` is the id its trace gave the raise. */
  irqWorkRaise(hw: ArchRaiseHw, cpu: Cpu, ipi: number): Kernel;
  /**
   * Send IPI `kind` from `from` to `target` (`arch_send_call_function_single_ipi()`,
   * `smp_send_reschedule()`): trace it as the arch does and latch the line.
   * It runs on `from` and may take CPU time. Default: `hw.deliverIpi`.
   */
  sendIpi?(hw: ArchHw, from: Cpu, target: Cpu, kind: InterruptKind, ipi: number): Kernel;
  /** The arch's entry code for `line`: acknowledge it and call into the core. Default: `hw.core(cpu, line.kind)`. */
  handle?(hw: ArchIrqHw, cpu: Cpu, line: InterruptLine): Kernel;
}
