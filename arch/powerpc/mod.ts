/**
 * powerpc: no dedicated irq_work interrupt, yet `arch_irq_work_has_interrupt()`
 * is true. The raise sets a per-CPU "irq_work pending" flag and programs the
 * decrementer to fire almost at once (`set_dec(1)`). The decrementer's
 * `timer_interrupt()` first clears the flag and runs `irq_work_run()`, then
 * handles timers; reprogramming re-arms "immediately" while the flag is set
 * (`set_dec_or_work`) (arch/powerpc/kernel/time.c).
 *
 * Timing (assumptions, not measurements): one decrementer tick at a 512 MHz
 * timebase is 2 ns; interrupt entry 300 ns and exit 300 ns; a doorbell IPI
 * arrives after 1 µs. Kernel paths (docs/rules.md, section 23): a fully
 * ordered atomic is a `lwarx`/`stwcx.` loop between two `sync` barriers
 * (`PPC_ATOMIC_ENTRY_BARRIER`, `PPC_ATOMIC_EXIT_BARRIER`), so it costs about
 * twice the other arches' figure: 40 ns for the claim, `llist_add` and
 * `llist_del_all`, 80 ns for the release; a remote call-single queue head
 * 60 ns; `try_to_wake_up()` 1 µs, a context switch 2 µs and the tick's own
 * work 1 µs (all assumed).
 *
 * @example
 * ```ts
 * import { powerpc } from "./mod.ts";
 * const arch = powerpc();
 * if (arch.lines.some((l) => l.kind === "irq_work")) throw new Error("no irq_work line on powerpc");
 * ```
 *
 * @module
 */

import {
  type Arch,
  type ArchIrqHw,
  type ArchRaiseHw,
  type Cpu,
  type InterruptLine,
  type Kernel,
  STEP,
} from "../../core/mod.ts";

/** Decrementer interrupt vector (0x900). */
export const DECREMENTER_VECTOR = 0x900;
/** Processor doorbell interrupt vector (0xa00): IPIs, multiplexed by message (`smp_ipi_demux`). */
export const DOORBELL_VECTOR = 0xa00;
/** powerpc's interrupt tracepoints print only the (hashed) register pointer. */
const PT_REGS = { entryDetail: "pt_regs=(ptrval)", exitDetail: "pt_regs=(ptrval)" } as const;
/** One decrementer tick in ns at a 512 MHz timebase. */
const DEC_TICK_NS = 2;

/** The powerpc arch. */
export function powerpc(): Arch {
  /** CPUs whose "irq_work pending" flag (`paca->irq_work_pending`) is set. */
  const irqWorkPending = new WeakSet<Cpu>();
  return {
    name: "powerpc",
    hasIrqWorkInterrupt: () => true,
    maxCpus: 1024,
    timing: {
      irqEntryNs: 300,
      irqExitNs: 300,
      ipiLatencyNs: 1_000,
      irqWorkClaimNs: 40,
      irqWorkReleaseNs: 80,
      llistAddNs: 40,
      llistDelAllNs: 40,
      callSingleQueueNs: 60,
      wakeUpNs: 1_000,
      contextSwitchNs: 2_000,
      tickNs: 1_000,
    },
    lines: [
      { kind: "reschedule", vector: DOORBELL_VECTOR, name: "doorbell", ...PT_REGS },
      { kind: "call_function_single", vector: DOORBELL_VECTOR, name: "doorbell", ...PT_REGS },
      { kind: "timer", vector: DECREMENTER_VECTOR, name: "timer_interrupt", ...PT_REGS },
    ],
    /** `arch_irq_work_raise()`: set the pending byte and `set_dec(1)`. */
    *irqWorkRaise(hw: ArchRaiseHw, cpu: Cpu): Kernel {
      irqWorkPending.add(cpu);
      hw.fireTimerSoon(cpu, DEC_TICK_NS);
      yield STEP;
    },
    /** `timer_interrupt()`: irq_work first if pending, then the timers; re-arm while still pending. */
    *handle(hw: ArchIrqHw, cpu: Cpu, line: InterruptLine): Kernel {
      if (line.kind === "timer" && irqWorkPending.has(cpu)) {
        irqWorkPending.delete(cpu);
        yield* hw.irqWorkRun(cpu);
      }
      yield* hw.core(cpu, line.kind);
      if (line.kind === "timer" && irqWorkPending.has(cpu)) hw.fireTimerSoon(cpu, DEC_TICK_NS);
    },
  };
}
