/**
 * Waking tasks (kernel/sched/core.c): `try_to_wake_up()` with its remote
 * wake list, `ttwu_do_activate()`, and the reschedule IPI that makes a
 * better task preempt another CPU.
 *
 * @module
 */

import type { Memory } from "./atomic.ts";
import type { Cpu } from "./cpu.ts";
import type { Ipis } from "./ipi.ts";
import { type Kernel, STEP } from "./kernel.ts";
import type { Task } from "./sched.ts";
import type { Smp } from "./smp.ts";
import type { KernelProfile } from "./profile.ts";
import type { TraceHub } from "./trace.ts";

/**
 * The scheduler's answers that differ with `CONFIG_PREEMPT_RT`
 * (kernel/sched/features.h, kernel/sched/core.c), as functions of the
 * kernel version: the core holds the non-RT answers
 * ({@linkcode NON_RT_SCHED_FEATURES}), the PREEMPT_RT plugin its own.
 *
 * @example
 * ```ts
 * import { NON_RT_SCHED_FEATURES } from "./wake.ts";
 * import { resolveKernel } from "./profile.ts";
 * if (!NON_RT_SCHED_FEATURES.ttwuQueue(resolveKernel("mainline"))) throw new Error("!RT queues remote wake-ups");
 * ```
 */
export interface SchedFeatures {
  /** Name for reports. */
  readonly name: string;
  /** `sched_feat(TTWU_QUEUE)`: do remote wake-ups of idle CPUs go through the wake list (rule 17.2)? */
  ttwuQueue(profile: KernelProfile): boolean;
  /** Does `__might_resched()` count RCU read-side nesting (rule 17.3)? */
  mightSleepCountsRcu(profile: KernelProfile): boolean;
}

/** The non-RT answers: TTWU_QUEUE on; `might_sleep()` has counted RCU nesting in every modelled version. */
export const NON_RT_SCHED_FEATURES: SchedFeatures = Object.freeze({
  name: "non-RT",
  ttwuQueue: () => true,
  mightSleepCountsRcu: () => true,
});

/** Task wake-ups of one machine. */
export class Wakeups {
  #cpus: readonly Cpu[];
  #memory: Memory;
  #trace: TraceHub;
  #smp: Smp;
  #ipis: Ipis;
  #machine: object;
  #ttwuQueue: boolean;
  #traceResched: boolean;
  #wakeUpNs: number;

  /**
   * Wake-ups among `cpus`, through `smp`'s wake lists (when `ttwuQueue`,
   * `sched_feat(TTWU_QUEUE)`) and `ipis`' reschedule IPIs (traced as
   * `ipi_send_cpu` when `traceResched`), of the tasks of `machine` (an
   * identity: see `Task.machine`); each `try_to_wake_up()` costs `wakeUpNs`.
   */
  constructor(
    cpus: readonly Cpu[],
    parts: {
      memory: Memory;
      trace: TraceHub;
      smp: Smp;
      ipis: Ipis;
      machine: object;
      ttwuQueue: boolean;
      traceResched: boolean;
      wakeUpNs: number;
    },
  ) {
    this.#wakeUpNs = parts.wakeUpNs;
    this.#machine = parts.machine;
    this.#cpus = cpus;
    this.#memory = parts.memory;
    this.#trace = parts.trace;
    this.#smp = parts.smp;
    this.#ipis = parts.ipis;
    this.#ttwuQueue = parts.ttwuQueue;
    this.#traceResched = parts.traceResched;
  }

  /**
   * `wake_up_process()` from code on `cpu`: make `task` runnable. With
   * TTWU_QUEUE (not on PREEMPT_RT, rule 17.2), a sleeping task on an idle
   * remote CPU is queued on that CPU's call-single queue
   * (`ttwu_queue_wakelist`); otherwise it is activated directly, and a
   * remote CPU it should preempt gets a reschedule IPI. Returns false if it
   * was already running. The path's cost is spent before its step, at which
   * the task's state is tested and set at once (rule 23.2).
   */
  *wakeUpProcess(cpu: Cpu, task: Task): Kernel<boolean> {
    this.#checkMachine(task);
    if (this.#wakeUpNs > 0) yield this.#wakeUpNs;
    yield STEP;
    if (task.state === "running" || task.state === "dead") return false;
    this.#traceWaking(cpu, task);
    task.state = "running";
    if (task.onRq) return true;
    const target = this.#cpus[task.cpu]!;
    if (this.#ttwuQueue && target !== cpu && target.current === target.idleTask) {
      yield* this.#smp.callSingleQueue(cpu, task.cpu, task, "sched_ttwu_pending", "ttwu_queue_wakelist");
      return true;
    }
    this.activateTask(cpu, task);
    if (target !== cpu && target.needResched) {
      if (!(yield* this.#smp.wakeIdleWithoutIpi(cpu, target))) {
        yield* this.#sendReschedule(cpu, target);
        yield STEP;
      }
    }
    if (cpu.wantsPreempt()) yield STEP; // try_to_wake_up()'s preempt_enable(): a better local task runs now
    return true;
  }

  /**
   * Wake `task` at once from code that takes no steps (the end of an RCU
   * grace period): activate it and, if it should preempt another CPU, send
   * that CPU a reschedule IPI (a polling idle CPU is woken without one).
   * Such code spends no CPU time, so this wake-up costs none (rule 23.3).
   */
  wakeUpNow(cpu: Cpu, task: Task): void {
    this.#checkMachine(task);
    if (task.state === "running" || task.state === "dead") return;
    this.#traceWaking(cpu, task);
    task.state = "running";
    if (task.onRq) return;
    this.activateTask(cpu, task);
    const target = this.#cpus[task.cpu]!;
    if (target === cpu || !target.needResched) return;
    if (this.#memory.peek(cpu.id, target.polling)) {
      target.kick();
      this.#trace.emit(cpu, { type: "sched_wake_idle_without_ipi", target: target.id });
      return;
    }
    this.#ipis.sendNow(cpu, target, "reschedule", this.#traceReschedIpi(cpu, target));
  }

  /** A wake-up never crosses machines: the task's run queue, clock and CPU are its own machine's. */
  #checkMachine(task: Task): void {
    if (task.machine !== this.#machine) {
      throw new Error(
        `Cannot wake task "${task.comm}" (pid ${task.pid}): it belongs to another machine; ` +
          "a wake-up never crosses machines",
      );
    }
  }

  /** `trace_sched_waking()`: the waker starts waking `task`. */
  #traceWaking(cpu: Cpu, task: Task): void {
    this.#trace.emit(cpu, {
      type: "sched_waking",
      wakeComm: task.comm,
      wakePid: task.pid,
      prio: task.prio,
      targetCpu: task.cpu,
    });
  }

  /** `ttwu_do_activate()`: put `task` on its CPU's run queue and ask for preemption if it is better. */
  activateTask(cpu: Cpu, task: Task): void {
    const target = this.#cpus[task.cpu]!;
    target.runQueue.enqueue(task);
    this.#trace.emit(cpu, {
      type: "sched_wakeup",
      wakeComm: task.comm,
      wakePid: task.pid,
      prio: task.prio,
      targetCpu: task.cpu,
    });
    // The idle task is its own class, below every other: any task preempts it.
    if (target.current === target.idleTask || task.prio < target.current.prio) target.needResched = true;
  }

  /** Ask `target` to reschedule from kernel code on `cpu` (`resched_curr()`). */
  *reschedCurr(cpu: Cpu, target: Cpu): Kernel {
    target.needResched = true;
    if (target !== cpu) yield* this.#sendReschedule(cpu, target);
  }

  /** `smp_send_reschedule()`: traced (6.4+, rule 18.4) as an IPI whose callback is NULL. */
  *#sendReschedule(cpu: Cpu, target: Cpu): Kernel {
    const ipi = this.#traceReschedIpi(cpu, target);
    yield* this.#ipis.send(cpu, target, "reschedule", ipi);
  }

  #traceReschedIpi(cpu: Cpu, target: Cpu): number {
    const ipi = this.#ipis.nextId();
    if (this.#traceResched) {
      this.#trace.emit(cpu, {
        type: "ipi_send_cpu",
        ipi,
        target: target.id,
        callsite: "resched_curr",
        callback: null,
      });
    }
    return ipi;
  }
}
