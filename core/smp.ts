/**
 * Cross-CPU calls (kernel/smp.c): the per-CPU call-single queue that carries
 * remote irq_works, `smp_call_function_single()` callbacks and queued task
 * wake-ups, and its flush (SPEC §12).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Context } from "./context.ts";
import { type IrqWork, irqWorkSingle } from "./irq_work.ts";
import { type Kernel, type MaybeKernel, runCallback, STEP } from "./kernel.ts";
import {
  llistAdd,
  llistDelAll,
  llistEntries,
  LlistHead,
  type LlistNode,
  llistReverseOrder,
} from "./llist.ts";
import { PerCpu } from "./percpu.ts";
import { CSD_TYPE_TTWU, type Task } from "./sched.ts";

/** `CSD_FLAG_LOCK`: the entry is in use; cleared when its callback is done (sync) or starts (async). */
export const CSD_FLAG_LOCK = 0x01;
/** Asynchronous cross-CPU call: the caller does not wait. */
export const CSD_TYPE_ASYNC = 0x00;
/** Synchronous cross-CPU call: the caller waits for the callback to finish. */
export const CSD_TYPE_SYNC = 0x10;
/** Mask of the type field. */
export const CSD_TYPE_MASK = 0xf0;

/** Anything that can sit on a call-single queue: irq_works, csds, task wake-ups. */
export interface CallSingleNode extends LlistNode {
  /** Lock bit and `CSD_TYPE_*` in bits 4-7. */
  flags: number;
}

/** `call_single_data_t`: a cross-CPU function call. */
export class CallSingleData implements CallSingleNode {
  /** The list link. */
  next: LlistNode | null = null;
  /** `CSD_FLAG_LOCK` and the type. */
  flags: number = 0;
  /** A call of `func` on another CPU; `name` is what traces print. */
  constructor(
    readonly func: (ctx: Context) => MaybeKernel,
    readonly name: string = func.name || "csd_func",
  ) {}
}

/** The call-single queues of all CPUs and the calls that use them. */
export class Smp {
  /** Per-CPU `call_single_queue`. */
  readonly queues: PerCpu<LlistHead<CallSingleNode>>;
  #warnedOffline = false;

  /** Empty queues for `cpus` CPUs. */
  constructor(cpus: number) {
    this.queues = new PerCpu(cpus, () => new LlistHead<CallSingleNode>());
  }

  /**
   * `__smp_call_single_queue()`: push onto `target`'s queue; only the push
   * that finds it empty sends the IPI (SPEC §12.1).
   */
  *callSingleQueue(cpu: Cpu, target: number, node: CallSingleNode, func: string, callsite: string): Kernel {
    const m = cpu.machine;
    if (m.profile.ipiTracepoints) m.emit(cpu, { type: "csd_queue_cpu", target, callsite, func });
    if (yield* llistAdd(node, this.queues.get(target))) {
      yield* this.#sendCallFunctionSingleIpi(cpu, target, callsite);
    }
  }

  /**
   * `send_call_function_single_ipi()`: no IPI to a polling idle CPU (SPEC
   * §12.2). Inlined into `__smp_call_single_queue()`, so its trace names
   * that function's caller as the call site.
   */
  *#sendCallFunctionSingleIpi(cpu: Cpu, target: number, callsite: string): Kernel {
    const m = cpu.machine;
    if (m.wakeIdleWithoutIpi(cpu, target)) return;
    if (m.profile.ipiTracepoints) {
      m.emit(cpu, {
        type: "ipi_send_cpu",
        target,
        callsite,
        callback: "generic_smp_call_function_single_interrupt",
      });
    }
    yield* m.sendIpi(cpu, target, "call_function_single");
  }

  /**
   * `__flush_smp_call_function_queue()`: take the queue, restore arrival
   * order, then run synchronous calls, then asynchronous calls and irq_works,
   * then wake-ups (SPEC §12.3). Runs with interrupts disabled.
   */
  *flush(cpu: Cpu, warnOffline: boolean): Kernel {
    const m = cpu.machine;
    const first = llistReverseOrder(yield* llistDelAll(this.queues.get(cpu.id)));
    if (first === null) return;
    if (warnOffline && !cpu.online && !this.#warnedOffline) {
      this.#warnedOffline = true;
      const lines = [`WARNING: IPI on offline CPU ${cpu.id}`];
      for (const e of llistEntries(first)) {
        yield STEP;
        lines.push(
          (e.flags & CSD_TYPE_MASK) === CSD_TYPE_TTWU
            ? "smp: IPI task-wakeup sent to offline CPU"
            : `smp: IPI callback ${nameOf(e)} sent to offline CPU`,
        );
      }
      m.warn(cpu, lines.join("\n"));
    }
    const ctx = m.contexts[cpu.id]!;
    const rest: CallSingleNode[] = [];
    // Walked entry by entry, each read a step: a corrupted (cyclic) queue spins here, as in the kernel.
    for (const e of llistEntries(first)) {
      yield STEP;
      if ((e.flags & CSD_TYPE_MASK) !== CSD_TYPE_SYNC) rest.push(e);
      else {
        yield* runCallback((e as CallSingleData).func(ctx));
        yield STEP;
        e.flags &= ~CSD_FLAG_LOCK;
      }
    }
    const wakeups: Task[] = [];
    for (const e of rest) {
      const type = e.flags & CSD_TYPE_MASK;
      if (type === CSD_TYPE_TTWU) wakeups.push(e as Task);
      else if (type === CSD_TYPE_ASYNC) {
        yield STEP;
        e.flags &= ~CSD_FLAG_LOCK;
        yield* runCallback((e as CallSingleData).func(ctx));
      } else yield* irqWorkSingle(cpu, e as IrqWork);
    }
    for (const task of wakeups) m.activateTask(cpu, task);
  }

  /**
   * `smp_call_function_single()`: run `csd.func` on `target`; with `wait`,
   * spin until it has finished. Local calls run at once with interrupts off.
   */
  *callFunctionSingle(cpu: Cpu, target: number, csd: CallSingleData, wait: boolean): Kernel {
    const m = cpu.machine;
    m.checkCpu(target, "call a function on");
    if (target === cpu.id) {
      const saved = cpu.irqsOff;
      cpu.irqsOff = true;
      yield* runCallback(csd.func(m.contexts[cpu.id]!));
      cpu.irqsOff = saved;
      if (!saved && cpu.hasPendingInterrupt) yield STEP;
      return;
    }
    yield* csdLockWait(cpu, csd);
    csd.flags = CSD_FLAG_LOCK | (wait ? CSD_TYPE_SYNC : CSD_TYPE_ASYNC);
    yield* this.callSingleQueue(cpu, target, csd, csd.name, "generic_exec_single");
    if (wait) yield* csdLockWait(cpu, csd);
  }
}

/** `csd_lock_wait()`: spin until the entry is unlocked. */
function* csdLockWait(cpu: Cpu, csd: CallSingleData): Kernel {
  for (;;) {
    yield STEP;
    if (!(csd.flags & CSD_FLAG_LOCK)) return;
    yield cpu.machine.timing.cpuRelaxNs;
  }
}

function nameOf(node: CallSingleNode): string {
  return "name" in node && typeof node.name === "string" ? node.name : "?";
}
