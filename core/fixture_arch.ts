/**
 * A minimal arch for the core's own tests and examples, so that the core
 * never imports `arch/`: one CPU-local irq_work line raised by a self-IPI,
 * a reschedule and a call-function line, a timer, the core's default IPI
 * send and interrupt handler, and round time costs (1 µs entry and exit,
 * 2 µs IPI latency).
 *
 * @example
 * ```ts
 * import { fixtureArch } from "./fixture_arch.ts";
 * const arch = fixtureArch();
 * if (!arch.hasIrqWorkInterrupt({ cpus: 1, smp: false })) throw new Error("it has a self-interrupt");
 * ```
 *
 * @module
 */

import type { Arch, ArchRaiseHw, InterruptKind, InterruptLine } from "./arch.ts";
import type { Cpu } from "./cpu.ts";
import type { Kernel } from "./kernel.ts";

function line(kind: InterruptKind, vector: number): InterruptLine {
  return {
    kind,
    vector,
    name: `fixture_${kind}`,
    entryDetail: `line=${vector}`,
    exitDetail: `line=${vector}`,
  };
}

/** The fixture arch; `selfInterrupt: false` makes it tick-only. */
export function fixtureArch(options: { readonly selfInterrupt?: boolean } = {}): Arch {
  const selfInterrupt = options.selfInterrupt ?? true;
  const lines = [line("reschedule", 0), line("call_function_single", 1), line("timer", 3)];
  return {
    name: "fixture",
    maxCpus: 64,
    // Free kernel paths: core tests reason about interrupts, switches and the tick alone.
    timing: {
      irqEntryNs: 1_000,
      irqExitNs: 1_000,
      ipiLatencyNs: 2_000,
      irqWorkClaimNs: 0,
      irqWorkReleaseNs: 0,
      llistAddNs: 0,
      llistDelAllNs: 0,
      callSingleQueueNs: 0,
      wakeUpNs: 0,
    },
    lines: selfInterrupt ? [...lines.slice(0, 2), line("irq_work", 2), lines[2]!] : lines,
    hasIrqWorkInterrupt: () => selfInterrupt,
    // deno-lint-ignore require-yield
    *irqWorkRaise(hw: ArchRaiseHw, cpu: Cpu, ipi: number): Kernel {
      if (selfInterrupt) hw.deliverIpi(cpu, cpu, "irq_work", ipi);
    },
  };
}
