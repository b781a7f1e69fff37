/**
 * Preemptible tree RCU with one node (kernel/rcu/tree.c, tree_plugin.h),
 * enough that a grace period takes the time it takes on a real kernel
 * (docs/rules.md, section 19):
 *
 * - `synchronize_rcu()` queues a callback on the caller's CPU and sleeps
 *   until the callback runs (`wait_rcu_gp`).
 * - Each CPU's RCU core work runs from its scheduling-clock tick when
 *   `rcu_pending()` says there is some (the kernel runs it in RCU_SOFTIRQ or
 *   `rcuc/N` right after the tick; here at the end of the tick handler). It
 *   notices grace periods starting and ending, reports this CPU's quiescent
 *   state, asks for a grace period that its callbacks need, and invokes
 *   callbacks whose grace period has ended. A CPU with callbacks keeps its
 *   tick when idle (`rcu_needs_cpu()`).
 * - The grace-period kthread (`rcu_preempt`) starts a grace period, waits
 *   `jiffiesTillFirstFqs`, then scans for idle and offline CPUs
 *   (force-quiescent-state) every `jiffiesTillNextFqs` until every CPU has
 *   reported and no task preempted inside a read-side section blocks the
 *   grace period; the last report wakes it at once. It is modelled as
 *   bookkeeping at those instants, not as a task: it takes no CPU time and
 *   appears in no trace.
 * - Quiescent states are noted at a context switch and at a tick that
 *   interrupted idle or task code outside any read-side section with
 *   preemption enabled (`rcu_qs()`), and reported by the core work.
 * - A task preempted or sleeping inside `rcu_read_lock()` is queued as a
 *   blocked reader; those queued when a grace period starts, or while their
 *   CPU still owes that grace period a quiescent state, block it until they
 *   leave the section.
 *
 * Not modelled: expedited grace periods, callback offloading (`rcu_nocbs`),
 * the urgent-quiescent-state requests (`jiffies_till_sched_qs`) and boosting.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Engine } from "./engine.ts";
import type { ExitingCpu } from "./exit.ts";
import type { Findings } from "./findings.ts";
import { type Kernel, SCHEDULE, STEP } from "./kernel.ts";
import type { Task } from "./sched.ts";
import type { Timer, Timers } from "./timer.ts";
import type { Wakeups } from "./wake.ts";

/**
 * The grace-period kthread's timing, in jiffies (`rcutree.jiffies_till_first_fqs`, `..._next_fqs`).
 *
 * @example Slow the first scan down, as `rcutree.jiffies_till_first_fqs=10` would
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * createMachine({ arch: fixtureArch(), cpus: 2, rcu: { jiffiesTillFirstFqs: 10 } });
 * ```
 */
export interface RcuTiming {
  /** Jiffies from the start of a grace period to the first force-quiescent-state scan. */
  readonly jiffiesTillFirstFqs: number;
  /** Jiffies between later scans. */
  readonly jiffiesTillNextFqs: number;
}

/**
 * The kernel's default scan interval on `cpus` CPUs at `hz` (`rcu_init_geometry`):
 * `RCU_JIFFIES_TILL_FORCE_QS` (1, plus 1 above HZ=250 and 1 more above
 * HZ=500) plus one jiffy per 256 CPUs.
 */
export function defaultRcuTiming(hz: number, cpus: number): RcuTiming {
  const d = 1 + (hz > 250 ? 1 : 0) + (hz > 500 ? 1 : 0) + Math.floor(cpus / 256);
  return { jiffiesTillFirstFqs: d, jiffiesTillNextFqs: d };
}

/** A `synchronize_rcu()` caller's callback: ready once grace period `gp` has ended. */
interface Callback {
  readonly gp: number;
  readonly waiter: Task;
}

/** Per-CPU RCU state (`struct rcu_data`). */
interface RcuData {
  /** The grace-period number and phase this CPU last noticed (`rdp->gp_seq`). */
  seenGp: number;
  seenInProgress: boolean;
  /** No quiescent state since this CPU noticed the grace period (`cpu_no_qs.b.norm`). */
  noQs: boolean;
  /** The current grace period still waits on this CPU's report (`core_needs_qs`). */
  needsQs: boolean;
  callbacks: Callback[];
  /** Idle entries so far (the parity-free part of `rcu_data.dynticks`), and its value at the first scan. */
  idleEntries: number;
  idleSnapshot: number;
}

/** What RCU works with. */
export interface RcuParts {
  readonly cpus: readonly Cpu[];
  readonly engine: Engine;
  readonly findings: Findings;
  readonly timers: Timers;
  readonly wakeups: Wakeups;
  /** Length of a jiffy (the tick period), ns. */
  readonly jiffyNs: number;
  readonly timing: RcuTiming;
}

/** The RCU state of a machine. */
export class Rcu {
  readonly #p: RcuParts;
  readonly #rdp: RcuData[];
  /** Grace periods started; the current one if `#inProgress`, else the last completed. */
  #gp = 0;
  #inProgress = false;
  /** `RCU_GP_FLAG_INIT`: a CPU asked for a new grace period. */
  #initRequested = false;
  /** CPUs the current grace period still waits for (`rnp->qsmask`). */
  #qsmask: boolean[];
  /** Tasks preempted inside a read-side section (`rnp->blkd_tasks`). */
  #blocked = new Set<Task>();
  /** Those of them that block the current grace period (from `rnp->gp_tasks` on). */
  #blocking = new Set<Task>();
  /** The kthread's pending wake-up event, or -1. */
  #kthreadEvent = -1;
  /** The kthread's force-quiescent-state timeout, and the CPU it is armed on (-1: not armed). */
  #timeout: Timer = { expires: 0, fn: () => this.#kthread() };
  #timeoutCpu = -1;
  /** The jiffy at which the next force-quiescent-state scan is due (`jiffies_force_qs`), and whether it is the first. */
  #fqsAt = 0;
  #firstScan = true;

  /** RCU over `parts.cpus`; a context switch on any of them is a quiescent state. */
  constructor(parts: RcuParts) {
    this.#p = parts;
    this.#rdp = parts.cpus.map(() => ({
      seenGp: 0,
      seenInProgress: false,
      noQs: false,
      needsQs: false,
      callbacks: [],
      idleEntries: 0,
      idleSnapshot: 0,
    }));
    this.#qsmask = parts.cpus.map(() => false);
    for (const cpu of parts.cpus) {
      cpu.onSchedule((c) => this.#noteContextSwitch(c));
      cpu.onExit((where, task) => this.#exitRcu(where, task));
    }
  }

  /** A grace period is in progress (`rcu_gp_in_progress()`). */
  get gpInProgress(): boolean {
    return this.#inProgress;
  }

  /** Grace periods completed so far. */
  get completed(): number {
    return this.#inProgress ? this.#gp - 1 : this.#gp;
  }

  /** `rcu_read_lock()` by the current task of `cpu`. */
  readLock(cpu: Cpu): void {
    cpu.current.rcuNesting++;
  }

  /** `rcu_read_unlock()`: a blocked reader leaving its outermost section may end a grace period. */
  readUnlock(cpu: Cpu): void {
    const task = cpu.current;
    if (task.rcuNesting === 0) throw new Error(`CPU ${cpu.id}: rcu_read_unlock() without rcu_read_lock()`);
    if (--task.rcuNesting > 0 || !this.#blocked.delete(task)) return;
    if (this.#blocking.delete(task)) this.#maybeEnd();
  }

  /** `rcu_qs()`: `cpu` passed a quiescent state (context switch, idle, or a clean tick); reported later. */
  quiescent(cpu: Cpu): void {
    this.#rdp[cpu.id]!.noQs = false;
  }

  /** The idle loop enters an extended quiescent state (`ct_idle_enter()`): a quiescent state a scan can see. */
  idleEnter(cpu: Cpu): void {
    const rdp = this.#rdp[cpu.id]!;
    rdp.noQs = false;
    rdp.idleEntries++;
  }

  /** `rcu_needs_cpu()`: `cpu` has callbacks, so it keeps its tick when idle. */
  needsCpu(cpu: Cpu): boolean {
    return this.#rdp[cpu.id]!.callbacks.length > 0;
  }

  /**
   * `rcu_sched_clock_irq()`: note a quiescent state if the tick interrupted
   * idle, or task code outside any read-side section with preemption on;
   * then run the core work if `rcu_pending()`.
   */
  schedClockIrq(cpu: Cpu): void {
    const task = cpu.current;
    if (
      task === cpu.idleTask || (task.rcuNesting === 0 && task.preemptCount === 0 && !cpu.interruptedIrqsOff)
    ) {
      this.quiescent(cpu);
    }
    if (this.#pending(cpu)) this.#core(cpu);
  }

  /** `synchronize_rcu()`: queue a callback (`wait_rcu_gp`) and sleep until it has run. */
  *synchronize(cpu: Cpu): Kernel {
    const task = cpu.current;
    const rdp = this.#rdp[cpu.id]!;
    // A callback needs the first grace period that starts after it is queued.
    rdp.callbacks.push({ gp: this.#gp + 1, waiter: task });
    yield STEP;
    while (rdp.callbacks.some((cb) => cb.waiter === task)) {
      task.state = "uninterruptible";
      yield SCHEDULE;
    }
    task.state = "running";
  }

  /** `rcutree_report_cpu_dead()`: `cpu` went offline; the grace period stops waiting for it. */
  reportDead(cpu: Cpu): void {
    if (!this.#qsmask[cpu.id]) return;
    this.#qsmask[cpu.id] = false;
    this.#maybeEnd();
  }

  /**
   * A task exits inside a read-side section: lockdep lists the section as a
   * held lock (`debug_check_no_locks_held()`), then `exit_rcu()` ends it, so
   * that grace periods waiting for the task can end (rule 21.2).
   */
  #exitRcu(where: ExitingCpu, task: Task): void {
    const n = task.rcuNesting;
    if (n === 0) return;
    const who = `${task.comm}/${task.pid}`;
    const held = Array.from({ length: n }, (_, i) => ` #${i}: (rcu_read_lock)`);
    this.#p.findings.warn(
      where,
      [
        `WARNING: ${who} still has locks held!`,
        "------------------------------------",
        `${n} lock${n === 1 ? "" : "s"} held by ${who}:`,
        ...held,
      ].join("\n"),
    );
    task.rcuNesting = 0;
    this.#blocked.delete(task);
    if (this.#blocking.delete(task)) this.#maybeEnd();
  }

  /** `rcu_note_context_switch()`: queue a reader preempted in its section, then note the quiescent state. */
  #noteContextSwitch(cpu: Cpu): void {
    const task = cpu.current;
    if (task.rcuNesting > 0 && !this.#blocked.has(task)) {
      this.#blocked.add(task);
      if (this.#inProgress && this.#qsmask[cpu.id]) this.#blocking.add(task);
    }
    this.quiescent(cpu);
  }

  /** `rcu_pending()`: has `cpu`'s core work anything to do? */
  #pending(cpu: Cpu): boolean {
    const rdp = this.#rdp[cpu.id]!;
    if (rdp.needsQs && !rdp.noQs && this.#inProgress) return true;
    if (rdp.seenGp !== this.#gp || rdp.seenInProgress !== this.#inProgress) return true;
    if (rdp.callbacks.length === 0) return false;
    return this.#ready(rdp) || !this.#inProgress;
  }

  /** Some callback's grace period has ended, as far as this CPU has noticed. */
  #ready(rdp: RcuData): boolean {
    const noticed = rdp.seenInProgress ? rdp.seenGp - 1 : rdp.seenGp;
    return rdp.callbacks.some((cb) => cb.gp <= noticed);
  }

  /** `rcu_core()` on `cpu`. */
  #core(cpu: Cpu): void {
    const rdp = this.#rdp[cpu.id]!;
    // note_gp_changes(): a newly started grace period needs a fresh quiescent state.
    if (this.#inProgress && (rdp.seenGp !== this.#gp || !rdp.seenInProgress)) {
      rdp.needsQs = rdp.noQs = this.#qsmask[cpu.id]!;
    }
    rdp.seenGp = this.#gp;
    rdp.seenInProgress = this.#inProgress;
    // rcu_check_quiescent_state() → rcu_report_qs_rdp().
    if (rdp.needsQs && !rdp.noQs) {
      rdp.needsQs = false;
      if (this.#qsmask[cpu.id]) {
        this.#qsmask[cpu.id] = false;
        this.#maybeEnd();
      }
    }
    // Callbacks waiting for a grace period that has not been asked for.
    if (!this.#inProgress && rdp.callbacks.some((cb) => cb.gp > this.#gp)) this.#requestGp();
    // rcu_do_batch(): invoke the ready callbacks (wakeme_after_rcu).
    if (this.#ready(rdp)) {
      const noticed = this.completed;
      const ready = rdp.callbacks.filter((cb) => cb.gp <= noticed);
      rdp.callbacks = rdp.callbacks.filter((cb) => cb.gp > noticed);
      for (const cb of ready) this.#p.wakeups.wakeUpNow(cpu, cb.waiter);
    }
  }

  /** `rcu_start_this_gp()`: set `RCU_GP_FLAG_INIT` and wake the kthread. */
  #requestGp(): void {
    this.#initRequested = true;
    this.#wakeKthread();
  }

  /** Every CPU reported and no reader blocks: `rcu_report_qs_rsp()` wakes the kthread. */
  #maybeEnd(): void {
    if (!this.#inProgress || this.#qsmask.some((q) => q) || this.#blocking.size > 0) return;
    this.#wakeKthread();
  }

  /** Wake the grace-period kthread now, cancelling its timeout. */
  #wakeKthread(): void {
    if (this.#kthreadEvent >= 0) return;
    this.#disarmTimeout();
    const engine = this.#p.engine;
    this.#kthreadEvent = engine.call(engine.now, () => this.#kthread());
  }

  #disarmTimeout(): void {
    if (this.#timeoutCpu >= 0) this.#p.timers.remove(this.#timeoutCpu, this.#timeout);
    this.#timeoutCpu = -1;
  }

  /** One wake-up of `rcu_gp_kthread()`: start, scan or end a grace period, then sleep again. */
  #kthread(): void {
    this.#kthreadEvent = -1;
    this.#disarmTimeout();
    if (this.#inProgress) {
      const done = () => !this.#qsmask.some((q) => q) && this.#blocking.size === 0;
      if (!done() && this.#jiffies() >= this.#fqsAt) this.#forceQuiescentStates();
      if (!done()) return this.#sleepUntilFqs();
      this.#inProgress = false; // rcu_gp_cleanup()
      if (this.#p.cpus.some((_, id) => this.#rdp[id]!.callbacks.some((cb) => cb.gp > this.#gp))) {
        this.#initRequested = true;
      }
    }
    if (!this.#initRequested) return;
    // rcu_gp_init(): every online CPU owes a quiescent state; queued readers block.
    this.#initRequested = false;
    this.#gp++;
    this.#inProgress = true;
    this.#p.cpus.forEach((cpu, id) => this.#qsmask[id] = cpu.online && !cpu.dead);
    this.#blocking = new Set(this.#blocked);
    this.#firstScan = true;
    this.#fqsAt = this.#jiffies() + this.#p.timing.jiffiesTillFirstFqs;
    this.#sleepUntilFqs();
  }

  /**
   * `rcu_gp_fqs()`: report CPUs that are idle (in an extended quiescent
   * state) or offline; the first scan notes each CPU's idle entries
   * (`dyntick_save_progress_counter`), and later scans also report a CPU
   * that has been idle since (`rcu_implicit_dynticks_qs`), such as the one
   * the kthread itself runs on.
   */
  #forceQuiescentStates(): void {
    this.#p.cpus.forEach((cpu, id) => {
      const rdp = this.#rdp[id]!;
      if (this.#firstScan) rdp.idleSnapshot = rdp.idleEntries;
      const wasIdle = !this.#firstScan && rdp.idleEntries !== rdp.idleSnapshot;
      if (this.#qsmask[id] && (cpu.idle || wasIdle || cpu.dead || !cpu.online)) this.#qsmask[id] = false;
    });
    this.#firstScan = false;
    this.#fqsAt = this.#jiffies() + this.#p.timing.jiffiesTillNextFqs;
  }

  /**
   * `swait_event_idle_timeout_exclusive(..., j)`: the timeout is a timer on
   * the kthread's CPU (the first online one) due at the jiffy `#fqsAt`. Timer
   * wheel timers expire in the timer softirq, after the tick's own work: due
   * 1 ns after the jiffy starts, it runs in the same interrupt after the tick.
   */
  #sleepUntilFqs(): void {
    const cpu = this.#p.cpus.find((c) => c.online && !c.dead) ?? this.#p.cpus[0]!;
    this.#timeout.expires = Math.max(this.#fqsAt * this.#p.jiffyNs + 1, this.#p.engine.now);
    this.#timeoutCpu = cpu.id;
    this.#p.timers.add(cpu.id, this.#timeout);
  }

  #jiffies(): number {
    return Math.floor(this.#p.engine.now / this.#p.jiffyNs);
  }
}
