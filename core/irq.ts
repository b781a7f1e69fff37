/**
 * Interrupt entry (the generic side of each arch's kernel/irq.c and
 * kernel/irq/): each arch line gets a handler on every CPU that traces the
 * entry and exit, counts the interrupt, and runs the arch's entry code,
 * which hands the line to the core's handler of its kind.
 *
 * @module
 */

import type { Arch, ArchIrqHw, ArchRaiseHw, InterruptKind, InterruptLine } from "./arch.ts";
import type { Cpu } from "./cpu.ts";
import type { Ipis } from "./ipi.ts";
import type { IrqWorkCore } from "./irq_work.ts";
import type { Kernel } from "./kernel.ts";
import type { SmpFlush } from "./smp_flush.ts";
import type { Timers } from "./timer.ts";
import type { TraceHub } from "./trace.ts";

/** Interrupts taken, by kind, per CPU. */
export type InterruptCounts = Record<InterruptKind | "nmi", number[]>;

/** What an arch's raise may touch on a machine with these IPIs and timers. */
export function raiseHw(ipis: Ipis, timers: Timers): ArchRaiseHw {
  return {
    cpus: ipis.cpus,
    smp: ipis.smp,
    emit: (cpu, body) => ipis.emit(cpu, body),
    deliverIpi: (from, target, kind, ipi) => ipis.deliverIpi(from, target, kind, ipi),
    fireTimerSoon: (cpu, delayNs) => timers.fireSoon(cpu.id, delayNs),
  };
}

/** Register the arch's lines on every CPU; returns the interrupt counts they keep. */
export function requestArchIrqs(
  cpus: readonly Cpu[],
  parts: {
    arch: Arch;
    trace: TraceHub;
    raiseHw: ArchRaiseHw;
    timers: Timers;
    flush: SmpFlush;
    irqWork: IrqWorkCore;
  },
): InterruptCounts {
  const { arch, trace, timers, flush, irqWork } = parts;
  const zeros = () => cpus.map(() => 0);
  const counts: InterruptCounts = {
    timer: zeros(),
    reschedule: zeros(),
    call_function_single: zeros(),
    irq_work: zeros(),
    nmi: zeros(),
  };
  const hw: ArchIrqHw = {
    ...parts.raiseHw,
    *core(cpu: Cpu, kind: InterruptKind): Kernel {
      switch (kind) {
        case "timer":
          return yield* timers.interrupt(cpu);
        case "reschedule":
          return;
        case "call_function_single":
          return yield* flush.flush(cpu, true);
        case "irq_work":
          return yield* irqWork.irqWorkRun(cpu);
      }
    },
    irqWorkRun: (cpu: Cpu) => irqWork.irqWorkRun(cpu),
  };
  const entry = (line: InterruptLine) =>
    function* (cpu: Cpu): Kernel {
      trace.emit(cpu, {
        type: "irq_vector_entry",
        vector: line.vector,
        name: line.name,
        detail: line.entryDetail,
      });
      counts[line.kind][cpu.id]!++;
      yield* arch.handle === undefined ? hw.core(cpu, line.kind) : arch.handle(hw, cpu, line);
      trace.emit(cpu, {
        type: "irq_vector_exit",
        vector: line.vector,
        name: line.name,
        detail: line.exitDetail,
      });
    };
  for (const cpu of cpus) arch.lines.forEach((line, i) => cpu.requestIrq(i, entry(line)));
  return counts;
}
