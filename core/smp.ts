/**
 * Cross-CPU calls (kernel/smp.c), the queueing side: the per-CPU
 * call-single queue that carries remote irq_works, `smp_call_function_single()`
 * callbacks and queued task wake-ups, and the IPI that announces it
 * (rules 12.1, 12.2). The flush is in smp_flush.ts, above the irq_work and
 * scheduler code it calls.
 *
 * @module
 */

import { Cell, type Memory } from "./atomic.ts";
import type { Cpu } from "./cpu.ts";
import type { Findings } from "./findings.ts";
import type { Ipis } from "./ipi.ts";
import { type Kernel, type MaybeKernel, runCallback, STEP } from "./kernel.ts";
import { llistAdd, LlistHead, type LlistNode } from "./llist.ts";
import { PerCpu } from "./percpu.ts";
import type { KernelProfile } from "./profile.ts";
import type { PathTiming } from "./timing.ts";
import type { TraceHub } from "./trace.ts";

/** `CSD_FLAG_LOCK`: the entry is in use; cleared when its callback is done (sync) or starts (async). */
export const CSD_FLAG_LOCK = 0x01;
/** Asynchronous cross-CPU call: the caller does not wait. */
export const CSD_TYPE_ASYNC = 0x00;
/** Synchronous cross-CPU call: the caller waits for the callback to finish. */
export const CSD_TYPE_SYNC = 0x10;
/** Mask of the type field. */
export const CSD_TYPE_MASK = 0xf0;

/**
 * `ENXIO`: `smp_call_function_single()` returns its negation when the target
 * CPU is offline (rule 21.5).
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import { ENXIO } from "./smp.ts";
 * const m = createMachine({ arch: fixtureArch(), cpus: 2 });
 * m.cpuDown(1, 0);
 * let err = 0;
 * m.spawn({ cpu: 0, name: "caller", at: 1_000 }, function* (ctx) {
 *   err = yield* ctx.callFunctionSingle(1, () => {}, true);
 * });
 * m.runFor(1_000_000);
 * if (err !== -ENXIO) throw new Error("a call to a CPU that is down fails with -ENXIO");
 * ```
 */
export const ENXIO = 6;

/**
 * `csd_lock_timeout`: how long a `csd_lock_wait()` waits before
 * `CONFIG_CSD_LOCK_WAIT_DEBUG` reports a non-responsive CSD lock (the
 * kernel's default, 5 s).
 */
export const CSD_LOCK_TIMEOUT_NS = 5_000_000_000;

/** Anything that can sit on a call-single queue: irq_works, csds, task wake-ups. */
export interface CallSingleNode extends LlistNode {
  /** Lock bit and `CSD_TYPE_*` in bits 4-7 (`__call_single_node.u_flags`). */
  readonly aFlags: Cell<number>;
}

/** A cross-CPU function: kernel code run on the target CPU with interrupts off. */
export type CsdFunc = (cpu: Cpu) => MaybeKernel;

/** `call_single_data_t`: a cross-CPU function call. */
export class CallSingleData implements CallSingleNode {
  /** The list link. */
  next: LlistNode | null = null;
  /** `CSD_FLAG_LOCK` and the type. */
  readonly aFlags: Cell<number>;
  /** A call of `func` on another CPU; `name` is what traces print. */
  constructor(readonly func: CsdFunc, readonly name: string = func.name || "csd_func") {
    this.aFlags = new Cell(0);
  }
}

/** The call-single queues of all CPUs and the calls that use them. */
export class Smp {
  /** Per-CPU `call_single_queue`. */
  readonly queues: PerCpu<LlistHead<CallSingleNode>>;
  #cpus: readonly Cpu[];
  #memory: Memory;
  #trace: TraceHub;
  #ipis: Ipis;
  #profile: KernelProfile;
  #findings: Findings;
  #cpuRelaxNs: number;
  #spinLimitNs: number;
  #csdBugCount = 0;
  #costs: Pick<PathTiming, "llistAddNs" | "callSingleQueueNs">;
  #now: () => number;

  /**
   * Empty queues for `cpus`; a `cpu_relax()` of a spin costs `cpuRelaxNs`,
   * and a `csd_lock_wait()` that has reported a stuck lock is a livelock
   * `spinLimitNs` later. An enqueue costs `costs.callSingleQueueNs` plus its
   * `llist_add()`'s `costs.llistAddNs`.
   */
  constructor(
    cpus: readonly Cpu[],
    parts: {
      memory: Memory;
      trace: TraceHub;
      ipis: Ipis;
      profile: KernelProfile;
      findings: Findings;
      now: () => number;
      cpuRelaxNs: number;
      spinLimitNs: number;
      costs: Pick<PathTiming, "llistAddNs" | "callSingleQueueNs">;
    },
  ) {
    this.#now = parts.now;
    this.#costs = parts.costs;
    const { memory, trace, ipis, profile } = parts;
    this.#cpuRelaxNs = parts.cpuRelaxNs;
    this.#spinLimitNs = parts.spinLimitNs;
    this.#findings = parts.findings;
    this.#cpus = cpus;
    this.#memory = memory;
    this.#trace = trace;
    this.#ipis = ipis;
    this.#profile = profile;
    this.queues = new PerCpu(cpus.length, () => new LlistHead<CallSingleNode>());
  }

  /**
   * `__smp_call_single_queue()`: push onto `target`'s queue; only the push
   * that finds it empty sends the IPI (rule 12.1).
   */
  *callSingleQueue(cpu: Cpu, target: number, node: CallSingleNode, func: string, callsite: string): Kernel {
    if (this.#profile.traceCsdQueue) {
      this.#trace.emit(cpu, { type: "csd_queue_cpu", target, callsite, func });
    } else if (this.#profile.traceCallSingleCallback) {
      this.#trace.emit(cpu, { type: "ipi_send_cpu", ipi: 0, target, callsite, callback: func });
    }
    const costs = this.#costs;
    // The remote queue head's cache line is fetched from the target, then pushed on (rule 23.2).
    if (costs.callSingleQueueNs > 0) yield costs.callSingleQueueNs;
    if (yield* llistAdd(this.#memory, cpu.id, node, this.queues.get(target), costs.llistAddNs)) {
      yield* this.#sendCallFunctionSingleIpi(cpu, target, callsite);
    }
  }

  /**
   * `set_nr_if_polling()`: if `target` is idle and polling, set its
   * need-resched and wake it without an IPI (rule 12.2), one atomic step on
   * its thread flags. True if it did.
   */
  *wakeIdleWithoutIpi(cpu: Cpu, target: Cpu): Kernel<boolean> {
    if (target === cpu) return false;
    if (!(yield* this.#memory.cmpxchg(cpu.id, target.polling, true, true))) return false;
    target.needResched = true;
    target.kick();
    this.#trace.emit(cpu, { type: "sched_wake_idle_without_ipi", target: target.id });
    return true;
  }

  /**
   * `send_call_function_single_ipi()`: no IPI to a polling idle CPU (rule
   * 12.2). Inlined into `__smp_call_single_queue()`, so its trace names
   * that function's caller as the call site.
   */
  *#sendCallFunctionSingleIpi(cpu: Cpu, target: number, callsite: string): Kernel {
    const t = this.#cpus[target]!;
    if (yield* this.wakeIdleWithoutIpi(cpu, t)) return;
    const ipi = this.#ipis.nextId();
    if (this.#profile.traceCallSingleIpi) {
      this.#trace.emit(cpu, {
        type: "ipi_send_cpu",
        ipi,
        target,
        callsite,
        callback: "generic_smp_call_function_single_interrupt",
      });
    }
    yield* this.#ipis.send(cpu, t, "call_function_single", ipi);
    yield STEP;
  }

  /**
   * `smp_call_function_single()`: run `csd.func` on `target`; with `wait`,
   * spin until it has finished. Local calls run at once with interrupts off.
   * Returns 0, or `-ENXIO` if `target` is offline: nothing is queued then
   * (`generic_exec_single()`, rule 21.5). Called with interrupts disabled or
   * outside task context, it warns once, as the kernel does: either can
   * deadlock (rule 21.6).
   */
  *callFunctionSingle(cpu: Cpu, target: number, csd: CallSingleData, wait: boolean): Kernel<number> {
    if (cpu.online && cpu.irqsOff) {
      this.#warnOnce(cpu, "WARN_ON_ONCE(cpu_online(this_cpu) && irqs_disabled() && !oops_in_progress)");
    }
    if (cpu.context !== "task") this.#warnOnce(cpu, "WARN_ON_ONCE(!in_task())");
    if (target === cpu.id) {
      const saved = cpu.irqsOff;
      cpu.irqsOff = true;
      yield* runCallback(csd.func(cpu));
      cpu.irqsOff = saved;
      if (!saved && cpu.hasPendingInterrupt) yield STEP;
      return 0;
    }
    yield* this.#csdLockWait(cpu, csd, target);
    if (!this.#cpus[target]!.online) return -ENXIO;
    this.#memory.poke(cpu.id, csd.aFlags, CSD_FLAG_LOCK | (wait ? CSD_TYPE_SYNC : CSD_TYPE_ASYNC));
    yield* this.callSingleQueue(cpu, target, csd, csd.name, "generic_exec_single");
    if (wait) yield* this.#csdLockWait(cpu, csd, target);
    return 0;
  }

  #warnOnce(cpu: Cpu, condition: string): void {
    this.#findings.warnOnce(
      cpu,
      `WARNING: CPU: ${cpu.id} PID: ${cpu.current.pid} at kernel/smp.c smp_call_function_single\n${condition}`,
      condition,
    );
  }

  /**
   * `csd_lock_wait()`: spin until the entry is unlocked. As with
   * `CONFIG_CSD_LOCK_WAIT_DEBUG`, a wait of `csd_lock_timeout` reports the
   * lock as non-responsive and sends the IPI again; the emulator calls it a
   * livelock `spinLimitNs` after that report (rule 21.6).
   */
  *#csdLockWait(cpu: Cpu, csd: CallSingleData, target: number): Kernel {
    const start = this.#now();
    let reportAt = start + Math.min(CSD_LOCK_TIMEOUT_NS, this.#spinLimitNs);
    let bugId = 0;
    for (;;) {
      if (!((yield* this.#memory.read(cpu.id, csd.aFlags)) & CSD_FLAG_LOCK)) {
        if (bugId !== 0) {
          this.#findings.warn(
            cpu,
            `csd: CSD lock (#${bugId}) got unstuck on CPU#${pad(cpu.id)}, CPU#${
              pad(target)
            } released the lock.`,
          );
        }
        return;
      }
      const now = this.#now();
      if (bugId !== 0 && now >= reportAt) {
        this.#findings.livelock(
          cpu,
          `smp_call_function_single() has waited ${
            (now - start) / 1e6
          } ms for CPU ${target} to run ${csd.name}`,
        );
        yield STEP;
      }
      if (bugId === 0 && now >= reportAt) {
        bugId = ++this.#csdBugCount;
        this.#findings.warn(
          cpu,
          [
            `csd: Detected non-responsive CSD lock (#${bugId}) on CPU#${cpu.id}, waiting ${
              now - start
            } ns for CPU#${pad(target)} ${csd.name}(0x0).`,
            `\tcsd: CSD lock (#${bugId}) unresponsive.`,
            `csd: Re-sending CSD lock (#${bugId}) IPI from CPU#${pad(cpu.id)} to CPU#${pad(target)}`,
          ].join("\n"),
        );
        yield* this.#ipis.send(cpu, this.#cpus[target]!, "call_function_single", this.#ipis.nextId());
        reportAt = now + this.#spinLimitNs;
      }
      // The poll that reports (or declares the livelock) must happen.
      const due = now + (Math.floor((reportAt - now) / this.#cpuRelaxNs) + 1) * this.#cpuRelaxNs;
      yield cpu.relax(this.#cpuRelaxNs, due);
    }
  }
}

/** A CPU number as `%02d`. */
function pad(cpu: number): string {
  return String(cpu).padStart(2, "0");
}
