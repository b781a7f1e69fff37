/**
 * arm64: irq_work raises the `IPI_IRQ_WORK` software-generated interrupt to
 * the current CPU; `do_handle_IPI()` calls `irq_work_run()`
 * (arch/arm64/kernel/smp.c). `arch_irq_work_has_interrupt()` is true, as in
 * current kernels. Sending an IPI traces `ipi_raise: target_mask=... (IRQ work
 * interrupts)`; taking it, `ipi_entry: (IRQ work interrupts)`.
 *
 * Timing (assumptions for a GICv3 server part, not measurements): interrupt
 * entry 250 ns and exit 250 ns; IPI delivery 1.5 µs through the redistributor.
 * Kernel paths (docs/rules.md, section 23): an LSE atomic (`ldset`, `cas`,
 * `swp`) measures about 5 ns on Neoverse N1 when executed near, and 45 to
 * 70 ns on cores that execute it far; taken as 20 ns with the code around it
 * (claim, `llist_add`, `llist_del_all`); the release (`smp_mb()`, a
 * `dmb ish`, and a fully ordered `cas`) 40 ns; a remote call-single queue
 * head fetched from another core 60 ns; `try_to_wake_up()` 1 µs, a context
 * switch 2 µs and the tick's own work 1 µs (assumed).
 *
 * @example
 * ```ts
 * import { arm64 } from "./mod.ts";
 * if (!arm64().hasIrqWorkInterrupt({ cpus: 4, smp: true })) throw new Error("arm64 has an irq_work IPI");
 * ```
 *
 * @module
 */

import {
  type Arch,
  type ArchHw,
  type ArchRaiseHw,
  type Cpu,
  type InterruptKind,
  type InterruptLine,
  type Kernel,
  STEP,
} from "../../core/mod.ts";

/** arm64 IPI numbers (`enum ipi_msg_type`). */
export const IPI_RESCHEDULE = 0;
/** `IPI_CALL_FUNC`: also carries single-CPU calls. */
export const IPI_CALL_FUNC = 1;
/** `IPI_IRQ_WORK`. */
export const IPI_IRQ_WORK = 5;
/** The arch timer's interrupt (PPI 27 → Linux irq 11 on a typical GICv3 board). */
const ARCH_TIMER_IRQ = 11;

/** `ipi_types[]`: what the IPI tracepoints print for each IPI. */
const IPI_REASON = {
  reschedule: "Rescheduling interrupts",
  call_function_single: "Function call interrupts",
  irq_work: "IRQ work interrupts",
} as const;

function ipiLine(kind: keyof typeof IPI_REASON, vector: number): InterruptLine {
  const detail = `(${IPI_REASON[kind]})`;
  return { kind, vector, name: "ipi", entryDetail: detail, exitDetail: detail };
}

/** `smp_cross_call()`: trace `ipi_raise`, then send the SGI. */
// deno-lint-ignore require-yield
function* smpCrossCall(hw: ArchHw, from: Cpu, target: Cpu, kind: InterruptKind, ipi: number): Kernel {
  const reason = kind === "timer" ? "Timer broadcast interrupts" : IPI_REASON[kind];
  hw.emit(from, { type: "ipi_raise", ipi, targets: [target.id], reason });
  hw.deliverIpi(from, target, kind, ipi);
}

/** The arm64 arch. IPIs (SGIs) are delivered in IPI-number order, the timer last. */
export function arm64(): Arch {
  return {
    name: "arm64",
    hasIrqWorkInterrupt: () => true,
    maxCpus: 1024,
    timing: {
      irqEntryNs: 250,
      irqExitNs: 250,
      ipiLatencyNs: 1_500,
      irqWorkClaimNs: 20,
      irqWorkReleaseNs: 40,
      llistAddNs: 20,
      llistDelAllNs: 20,
      callSingleQueueNs: 60,
      wakeUpNs: 1_000,
      contextSwitchNs: 2_000,
      tickNs: 1_000,
    },
    lines: [
      ipiLine("reschedule", IPI_RESCHEDULE),
      ipiLine("call_function_single", IPI_CALL_FUNC),
      ipiLine("irq_work", IPI_IRQ_WORK),
      {
        kind: "timer",
        vector: ARCH_TIMER_IRQ,
        name: "irq_handler",
        entryDetail: `irq=${ARCH_TIMER_IRQ} name=arch_timer`,
        exitDetail: `irq=${ARCH_TIMER_IRQ} ret=handled`,
      },
    ],
    sendIpi: smpCrossCall,
    /** `arch_irq_work_raise()`: `smp_cross_call(cpumask_of(cpu), IPI_IRQ_WORK)`. */
    *irqWorkRaise(hw: ArchRaiseHw, cpu: Cpu, ipi: number): Kernel {
      yield* smpCrossCall(hw, cpu, cpu, "irq_work", ipi);
      yield STEP;
    },
  };
}
