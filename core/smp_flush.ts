/**
 * Cross-CPU calls (kernel/smp.c), the receiving side:
 * `__flush_smp_call_function_queue()` runs what other CPUs queued on this
 * CPU's call-single queue, in the kernel's three passes (rule 12.3). It sits
 * above the irq_work and scheduler code it calls.
 *
 * @module
 */

import type { Memory } from "./atomic.ts";
import type { Cpu } from "./cpu.ts";
import { type Findings, warningTitle } from "./findings.ts";
import type { IrqWork, IrqWorkCore } from "./irq_work.ts";
import { type Kernel, runCallback } from "./kernel.ts";
import { llistDelAll, llistEmpty, llistEntries, llistReverseOrder } from "./llist.ts";
import { CSD_TYPE_TTWU, type Task } from "./sched.ts";
import {
  type CallSingleData,
  type CallSingleNode,
  CSD_FLAG_LOCK,
  CSD_TYPE_ASYNC,
  CSD_TYPE_MASK,
  CSD_TYPE_SYNC,
  type Smp,
} from "./smp.ts";
import type { Wakeups } from "./wake.ts";

/** The flush of every CPU's call-single queue. */
export class SmpFlush {
  #memory: Memory;
  #smp: Smp;
  #irqWork: IrqWorkCore;
  #wakeups: Wakeups;
  #findings: Findings;
  #llistDelAllNs: number;
  #warnedOffline = false;

  /**
   * The flush of `smp`'s queues, running irq_works in `irqWork` and wake-ups
   * through `wakeups`; taking a queue costs `llistDelAllNs`.
   */
  constructor(
    parts: {
      memory: Memory;
      smp: Smp;
      irqWork: IrqWorkCore;
      wakeups: Wakeups;
      findings: Findings;
      llistDelAllNs: number;
    },
  ) {
    this.#llistDelAllNs = parts.llistDelAllNs;
    this.#memory = parts.memory;
    this.#smp = parts.smp;
    this.#irqWork = parts.irqWork;
    this.#wakeups = parts.wakeups;
    this.#findings = parts.findings;
  }

  /**
   * `flush_smp_call_function_queue()`, as the idle loop calls it: a glance
   * at the queue (`llist_empty()`), and the flush only if something is
   * queued, so that an idle exit with nothing queued takes no `xchg`.
   */
  *flushIfQueued(cpu: Cpu): Kernel {
    if (!llistEmpty(this.#memory, cpu.id, this.#smp.queues.get(cpu.id))) yield* this.flush(cpu, true);
  }

  /**
   * `__flush_smp_call_function_queue()`: take the queue, restore arrival
   * order, then run synchronous calls, then asynchronous calls and irq_works,
   * then wake-ups (rule 12.3). Runs with interrupts disabled.
   */
  *flush(cpu: Cpu, warnOffline: boolean): Kernel {
    const mem = this.#memory;
    const queue = this.#smp.queues.get(cpu.id);
    const first = llistReverseOrder(yield* llistDelAll(mem, cpu.id, queue, this.#llistDelAllNs));
    if (first === null) return;
    if (warnOffline && !cpu.online && !this.#warnedOffline) {
      this.#warnedOffline = true;
      const lines = [
        warningTitle(cpu, "kernel/smp.c", "__flush_smp_call_function_queue"),
        `IPI on offline CPU ${cpu.id}`,
      ];
      for (const e of llistEntries(first)) {
        const type = (yield* mem.read(cpu.id, e.aFlags)) & CSD_TYPE_MASK;
        lines.push(
          type === CSD_TYPE_TTWU
            ? "smp: IPI task-wakeup sent to offline CPU"
            : `smp: IPI callback ${nameOf(e)} sent to offline CPU`,
        );
      }
      this.#findings.warn(cpu, lines.join("\n"));
    }
    const rest: CallSingleNode[] = [];
    // Walked entry by entry, each read a step: a corrupted (cyclic) queue spins here, as in the kernel.
    for (const e of llistEntries(first)) {
      if (((yield* mem.read(cpu.id, e.aFlags)) & CSD_TYPE_MASK) !== CSD_TYPE_SYNC) rest.push(e);
      else {
        yield* runCallback((e as CallSingleData).func(cpu));
        yield* this.#csdUnlock(cpu, e);
      }
    }
    const wakeups: Task[] = [];
    for (const e of rest) {
      const type = mem.peek(cpu.id, e.aFlags) & CSD_TYPE_MASK;
      if (type === CSD_TYPE_TTWU) wakeups.push(e as Task);
      else if (type === CSD_TYPE_ASYNC) {
        yield* this.#csdUnlock(cpu, e);
        yield* runCallback((e as CallSingleData).func(cpu));
      } else yield* this.#irqWork.irqWorkSingle(cpu, e as IrqWork);
    }
    for (const task of wakeups) this.#wakeups.activateTask(cpu, task);
  }

  /** `csd_unlock()`: release the entry to its owner. */
  *#csdUnlock(cpu: Cpu, e: CallSingleNode): Kernel {
    const flags = this.#memory.peek(cpu.id, e.aFlags);
    yield* this.#memory.write(cpu.id, e.aFlags, flags & ~CSD_FLAG_LOCK);
  }
}

function nameOf(node: CallSingleNode): string {
  return "name" in node && typeof node.name === "string" ? node.name : "?";
}
