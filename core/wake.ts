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
import type { TraceHub } from "./trace.ts";

/** Task wake-ups of one machine. */
export class Wakeups {
  #cpus: readonly Cpu[];
  #memory: Memory;
  #trace: TraceHub;
  #smp: Smp;
  #ipis: Ipis;
  #machine: object;

  /**
   * Wake-ups among `cpus`, through `smp`'s wake lists and `ipis`' reschedule
   * IPIs, of the tasks of `machine` (an identity: see `Task.machine`).
   */
  constructor(
    cpus: readonly Cpu[],
    parts: { memory: Memory; trace: TraceHub; smp: Smp; ipis: Ipis; machine: object },
  ) {
    this.#machine = parts.machine;
    this.#cpus = cpus;
    this.#memory = parts.memory;
    this.#trace = parts.trace;
    this.#smp = parts.smp;
    this.#ipis = parts.ipis;
  }

  /**
   * `wake_up_process()` from code on `cpu`: make `task` runnable. A sleeping
   * task on an idle remote CPU is queued on that CPU's call-single queue
   * (`ttwu_queue_wakelist`); otherwise it is activated directly. Returns
   * false if it was already running.
   */
  *wakeUpProcess(cpu: Cpu, task: Task): Kernel<boolean> {
    this.#checkMachine(task);
    yield STEP;
    if (task.state === "running" || task.state === "dead") return false;
    task.state = "running";
    if (task.onRq) return true;
    const target = this.#cpus[task.cpu]!;
    if (target !== cpu && target.current === target.idleTask) {
      yield* this.#smp.callSingleQueue(cpu, task.cpu, task, "sched_ttwu_pending", "ttwu_queue_wakelist");
      return true;
    }
    this.activateTask(cpu, task);
    if (target !== cpu && target.needResched) {
      if (!(yield* this.#smp.wakeIdleWithoutIpi(cpu, target))) {
        yield* this.#ipis.send(cpu, target, "reschedule");
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
   */
  wakeUpNow(cpu: Cpu, task: Task): void {
    this.#checkMachine(task);
    if (task.state === "running" || task.state === "dead") return;
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
    this.#ipis.sendNow(cpu, target, "reschedule");
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
    if (task.prio < target.current.prio) target.needResched = true;
  }

  /** Ask `target` to reschedule from kernel code on `cpu` (`resched_curr()`). */
  *reschedCurr(cpu: Cpu, target: Cpu): Kernel {
    target.needResched = true;
    if (target !== cpu) yield* this.#ipis.send(cpu, target, "reschedule");
  }
}
