/**
 * x86 with a local APIC: irq_work raises a self-IPI on vector 0xf6
 * (`IRQ_WORK_VECTOR`) and waits for the ICR to go idle; the handler sends
 * EOI, counts, and runs `irq_work_run()` (arch/x86/kernel/irq_work.c).
 * With `apic: false` (the `nolapic` boot parameter) there is no irq_work
 * interrupt, the raise does nothing, and works wait for the tick; such a
 * machine has one CPU, as real x86 without an APIC has.
 *
 * Timing (assumptions for a recent server core, not measurements):
 * interrupt entry 300 ns and exit 300 ns (IDT entry/exit with mitigations);
 * IPI delivery to another CPU 1 µs; a self-IPI arrives as soon as it is sent.
 * The raise then waits 100 ns for the ICR to go idle, as with an xAPIC (with
 * x2APIC the self-IPI is one MSR write and the wait is nearly free).
 * Kernel paths (docs/rules.md, section 23): a locked read-modify-write
 * (`lock or`, `lock cmpxchg`, `xchg`) on a line in the local cache costs
 * about 20 cycles, taken as 20 ns with the code around it (claim,
 * `llist_add`, `llist_del_all`); the release is `smp_mb()` (a locked add)
 * plus a `lock cmpxchg`, 40 ns; a remote call-single queue head is a
 * modified line fetched from another core, 60 ns; `try_to_wake_up()` 1 µs
 * (assumed); a context switch 2 µs and the tick's own work 1 µs (assumed).
 *
 * @example
 * ```ts
 * import { x86 } from "./mod.ts";
 * const machine = { cpus: 1, smp: false };
 * if (!x86().hasIrqWorkInterrupt(machine)) throw new Error("APIC x86 has a self-IPI");
 * if (x86({ apic: false }).hasIrqWorkInterrupt(machine)) throw new Error("nolapic has none");
 * ```
 *
 * @module
 */

import {
  type Arch,
  type ArchRaiseHw,
  checkOptions,
  type Cpu,
  type InterruptLine,
  type Kernel,
  nop,
} from "../../core/mod.ts";

/** `IRQ_WORK_VECTOR`. */
export const IRQ_WORK_VECTOR = 0xf6;
/** `CALL_FUNCTION_SINGLE_VECTOR`. */
export const CALL_FUNCTION_SINGLE_VECTOR = 0xfb;
/** `RESCHEDULE_VECTOR`. */
export const RESCHEDULE_VECTOR = 0xfd;
/** `LOCAL_TIMER_VECTOR`. */
export const LOCAL_TIMER_VECTOR = 0xec;

/** Options of the x86 model. */
export interface X86Options {
  /** The CPU has a usable local APIC (default true); false models `nolapic`. */
  readonly apic?: boolean;
}

const ICR_WAIT_NS = 100;

/** What x86 states its costs as, in ns (the same with and without an APIC). */
const TIMING = Object.freeze({
  irqEntryNs: 300,
  irqExitNs: 300,
  ipiLatencyNs: 1_000,
  irqWorkClaimNs: 20,
  irqWorkReleaseNs: 40,
  llistAddNs: 20,
  llistDelAllNs: 20,
  callSingleQueueNs: 60,
  wakeUpNs: 1_000,
  contextSwitchNs: 2_000,
  tickNs: 1_000,
});

function vectorLine(kind: InterruptLine["kind"], vector: number, name: string): InterruptLine {
  return { kind, vector, name, entryDetail: `vector=${vector}`, exitDetail: `vector=${vector}` };
}

/**
 * The x86 arch. Lines are ordered by vector, highest first, as the APIC
 * delivers them.
 */
export function x86(options: X86Options = {}): Arch {
  checkOptions("x86 option", options, { apic: "boolean" });
  const apic = options.apic ?? true;
  if (!apic) {
    return {
      name: "x86-nolapic",
      hasIrqWorkInterrupt: () => false,
      maxCpus: 1,
      timing: TIMING,
      lines: [{
        kind: "timer",
        vector: 0,
        name: "irq_handler",
        entryDetail: "irq=0 name=timer",
        exitDetail: "irq=0 ret=handled",
      }],
      irqWorkRaise: nop,
    };
  }
  return {
    name: "x86",
    hasIrqWorkInterrupt: () => true,
    maxCpus: 1024,
    timing: TIMING,
    lines: [
      vectorLine("reschedule", RESCHEDULE_VECTOR, "reschedule"),
      vectorLine("call_function_single", CALL_FUNCTION_SINGLE_VECTOR, "call_function_single"),
      vectorLine("irq_work", IRQ_WORK_VECTOR, "irq_work"),
      vectorLine("timer", LOCAL_TIMER_VECTOR, "local_timer"),
    ],
    /** `arch_irq_work_raise()`: `__apic_send_IPI_self(IRQ_WORK_VECTOR)`, then wait for the ICR. */
    *irqWorkRaise(hw: ArchRaiseHw, cpu: Cpu, ipi: number): Kernel {
      hw.deliverIpi(cpu, cpu, "irq_work", ipi);
      yield ICR_WAIT_NS;
    },
  };
}
