/**
 * A minimal preemptible-RCU model: read-side sections per task, and grace
 * periods that end once every CPU has passed a quiescent state and every
 * task that was inside a read-side section when the grace period began has
 * left it.
 *
 * Quiescent states are reported where the kernel reports them: a context
 * switch, an idle CPU (dyntick-idle counts at once), and a tick that
 * interrupted task code outside any read-side section with interrupts and
 * preemption enabled. Code running with interrupts disabled or in hard-IRQ
 * context is an implicit reader: it reports nothing until it is done.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { ExitingCpu } from "./exit.ts";
import type { Findings } from "./findings.ts";
import { type Kernel, SCHEDULE, STEP } from "./kernel.ts";
import type { Task } from "./sched.ts";
import type { Wakeups } from "./wake.ts";

interface GracePeriod {
  readonly waiter: Task;
  readonly cpus: Set<number>;
  readonly readers: Set<Task>;
  done: boolean;
}

/** RCU state of a machine. */
export class Rcu {
  #cpus: readonly Cpu[];
  #tasks: readonly Task[];
  #wakeups: Wakeups;
  #findings: Findings;
  #gps: GracePeriod[] = [];

  /**
   * RCU over `cpus` and the machine's `tasks` (a live list); a context switch
   * is a quiescent state, and an exiting task's section ends (`exit_rcu()`).
   */
  constructor(cpus: readonly Cpu[], tasks: readonly Task[], wakeups: Wakeups, findings: Findings) {
    this.#cpus = cpus;
    this.#tasks = tasks;
    this.#wakeups = wakeups;
    this.#findings = findings;
    for (const cpu of cpus) {
      cpu.onSchedule((c) => this.quiescent(c));
      cpu.onExit((c, task) => this.#exitRcu(cpu, c, task));
    }
  }

  /** `rcu_read_lock()` by the current task of `cpu`. */
  readLock(cpu: Cpu): void {
    cpu.current.rcuNesting++;
  }

  /** `rcu_read_unlock()`: leaving the outermost section may end a grace period. */
  readUnlock(cpu: Cpu): void {
    const task = cpu.current;
    if (task.rcuNesting === 0) throw new Error(`CPU ${cpu.id}: rcu_read_unlock() without rcu_read_lock()`);
    if (--task.rcuNesting > 0 || this.#gps.length === 0) return;
    for (const gp of this.#gps) gp.readers.delete(task);
    this.#advance(cpu);
  }

  /**
   * `rcutree_report_cpu_dead()`: the outgoing CPU, last thing before it
   * stops, reports a quiescent state for every grace period still waiting on
   * it; later grace periods do not wait for it (rule 17.4).
   */
  reportCpuDead(cpu: Cpu): void {
    this.quiescent(cpu);
  }

  /**
   * A task exits inside a read-side section: lockdep lists the section as a
   * held lock (`debug_check_no_locks_held()`), then `exit_rcu()` ends it, so
   * that grace periods waiting for the task can end (rule 17.2).
   */
  #exitRcu(cpu: Cpu, where: ExitingCpu, task: Task): void {
    const n = task.rcuNesting;
    if (n === 0) return;
    const who = `${task.comm}/${task.pid}`;
    const held = Array.from({ length: n }, (_, i) => ` #${i}: (rcu_read_lock)`);
    this.#findings.warn(
      where,
      [
        `WARNING: ${who} still has locks held!`,
        "------------------------------------",
        `${n} lock${n === 1 ? "" : "s"} held by ${who}:`,
        ...held,
      ].join("\n"),
    );
    task.rcuNesting = 0;
    for (const gp of this.#gps) gp.readers.delete(task);
    this.#advance(cpu);
  }

  /** A quiescent state of `cpu` (context switch, idle, or a clean tick). */
  quiescent(cpu: Cpu): void {
    if (this.#gps.length === 0) return;
    for (const gp of this.#gps) gp.cpus.delete(cpu.id);
    this.#advance(cpu);
  }

  /** `rcu_sched_clock_irq()`: the tick reports a quiescent state if it interrupted a clean context. */
  schedClockIrq(cpu: Cpu): void {
    const task = cpu.current;
    if (
      task === cpu.idleTask || (task.rcuNesting === 0 && task.preemptCount === 0 && !cpu.interruptedIrqsOff)
    ) {
      this.quiescent(cpu);
    }
  }

  /** `synchronize_rcu()`: sleep until a full grace period has elapsed. */
  *synchronize(cpu: Cpu): Kernel {
    const task = cpu.current;
    const gp: GracePeriod = {
      waiter: task,
      cpus: new Set(this.#cpus.filter((c) => !c.dead && !c.idle).map((c) => c.id)),
      readers: new Set(this.#tasks.filter((t) => t.rcuNesting > 0)),
      done: false,
    };
    this.#gps.push(gp);
    yield STEP;
    this.#advance(cpu);
    while (!gp.done) {
      task.state = "uninterruptible";
      yield STEP;
      if (gp.done) break;
      yield SCHEDULE;
    }
    task.state = "running";
  }

  /** End every grace period that has nothing left to wait for, waking its waiter from `cpu`. */
  #advance(cpu: Cpu): void {
    for (const gp of this.#gps) {
      if (gp.done || gp.cpus.size > 0 || gp.readers.size > 0) continue;
      gp.done = true;
      this.#wakeups.wakeUpNow(cpu, gp.waiter);
    }
    this.#gps = this.#gps.filter((gp) => !gp.done);
  }
}
