/**
 * Inter-processor interrupts: the core's side of the arch's IPI contract.
 * Every IPI gets an id, carried by the trace event of its send and by the
 * `ipi_arrive` event on its target, so that a trace links the two.
 *
 * @module
 */

import type { Arch, ArchHw, ArchMachine, InterruptKind } from "./arch.ts";
import type { Cpu } from "./cpu.ts";
import type { Kernel } from "./kernel.ts";
import type { TraceBody, TraceHub } from "./trace.ts";

/** The IPI hardware of one machine, as arches see it ({@linkcode ArchHw}). */
export class Ipis implements ArchHw {
  /** Number of CPUs. */
  readonly cpus: number;
  /** An SMP build. */
  readonly smp: boolean;
  #arch: Arch;
  #trace: TraceHub;
  #lines: Map<InterruptKind, number>;

  /** IPIs between the CPUs of `machine`, an `arch` machine, traced on `trace`. */
  constructor(arch: Arch, machine: ArchMachine, trace: TraceHub) {
    this.cpus = machine.cpus;
    this.smp = machine.smp;
    this.#arch = arch;
    this.#trace = trace;
    this.#lines = new Map(arch.lines.map((line, i) => [line.kind, i]));
  }

  /** The index of the arch's line of `kind`; a clear error if the arch has none. */
  lineOf(kind: InterruptKind): number {
    const i = this.#lines.get(kind);
    if (i === undefined) throw new Error(`Arch ${this.#arch.name} has no ${kind} interrupt line`);
    return i;
  }

  /** A fresh IPI id for a send about to be traced. */
  nextId(): number {
    return this.#trace.nextIpiId();
  }

  /** Emit an arch trace event on `cpu`. */
  emit(cpu: Cpu, body: TraceBody): void {
    this.#trace.emit(cpu, body);
  }

  /** Latch IPI `kind` on `target`: after the arch's IPI latency, at once for a self-IPI. */
  deliverIpi(from: Cpu, target: Cpu, kind: InterruptKind, ipi: number): void {
    const delay = target === from ? 0 : this.#arch.timing.ipiLatencyNs;
    target.raiseLine(this.lineOf(kind), delay, { id: ipi, from: from.id, kind });
  }

  /** Send IPI `kind` from `from` to `target` through the arch (kernel code running on `from`). */
  *send(from: Cpu, target: Cpu, kind: InterruptKind, ipi: number = this.nextId()): Kernel {
    if (this.#arch.sendIpi === undefined) this.deliverIpi(from, target, kind, ipi);
    else yield* this.#arch.sendIpi(this, from, target, kind, ipi);
  }

  /**
   * Send an IPI from code that takes no steps (the end of an RCU grace
   * period): the arch's send runs to completion at once; it must not spend
   * CPU time there.
   */
  sendNow(from: Cpu, target: Cpu, kind: InterruptKind, ipi: number = this.nextId()): void {
    const send = this.send(from, target, kind, ipi);
    for (let r = send.next(); !r.done; r = send.next()) {
      if (r.value !== 0) {
        throw new Error(
          `Arch ${this.#arch.name}: sending an IPI from a context that cannot spend time spent ${r.value}`,
        );
      }
    }
  }
}
