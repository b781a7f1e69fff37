/**
 * The periodic tick and NO_HZ idle tick stopping (kernel/time/tick-sched.c).
 *
 * Ticks fall on multiples of the period, on every CPU at once, as with the
 * kernel's default `skew_tick=0`. The tick runs timers' bookkeeping, RCU,
 * `irq_work_tick()` and the scheduler tick; an idle CPU stops it unless
 * `irq_work_needs_cpu()` says otherwise (rule 10.2).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { IrqWorkCore } from "./irq_work.ts";
import type { Kernel } from "./kernel.ts";
import type { Rcu } from "./rcu.ts";
import type { Timer, Timers } from "./timer.ts";
import { type TraceHub, type TraceSource, withState } from "./trace.ts";

/** The idle loop decides about the tick with interrupts off (`d..1.` in the kernel's trace). */
function idleIrqsOff(cpu: Cpu): TraceSource {
  return withState(cpu, { irqsOff: true, preemptDepth: cpu.current.preemptCount });
}

/** Round-robin timeslice of SCHED_RR tasks (`sched_rr_timeslice_ms`, 100 ms). */
const RR_TIMESLICE_NS = 100_000_000;

/** What the tick is built from. */
export interface TickParts {
  readonly cpus: readonly Cpu[];
  readonly timers: Timers;
  readonly trace: TraceHub;
  readonly rcu: Rcu;
  readonly irqWork: IrqWorkCore;
  /** The tick handler's own work before irq_work, ns. */
  readonly tickNs: number;
  /** The current time. */
  now(): number;
}

/** The ticks of all CPUs. */
export class Ticks {
  /** Tick period in ns (`TICK_NSEC`). */
  readonly periodNs: number;
  #parts: TickParts;
  #ticks: Timer[];
  #nohz: boolean;

  /** Arms every CPU's tick every `periodNs`; with `nohz`, idle CPUs stop theirs when allowed. */
  constructor(parts: TickParts, periodNs: number, nohz: boolean) {
    this.#parts = parts;
    this.#nohz = nohz;
    this.periodNs = periodNs;
    this.#ticks = parts.cpus.map(() => ({
      expires: this.periodNs,
      fn: (c: Cpu) => this.#tickSchedTimer(c),
      name: "tick_nohz_handler",
      mode: "ABS|PINNED|HARD",
    }));
    for (const cpu of parts.cpus) parts.timers.add(cpu.id, this.#ticks[cpu.id]!);
  }

  /** `tick_nohz_tick_stopped()` for `cpu`. */
  stopped(cpu: number): boolean {
    return this.#parts.timers.tickStopped[cpu]!;
  }

  /** jiffies at the current time. */
  get jiffies(): number {
    return Math.floor(this.#parts.now() / this.periodNs);
  }

  /**
   * The idle loop's tick decision (`tick_nohz_idle_stop_tick`): stop the tick
   * unless `irq_work_needs_cpu()` (rule 10.2) or `rcu_needs_cpu()` (rule
   * 19.3); if it is stopped but work is pending, keep it stopped and program
   * the next period so the tick still runs.
   */
  idleStopTick(cpu: Cpu): void {
    if (!this.#nohz) return;
    const { timers, irqWork, rcu, trace } = this.#parts;
    const tick = this.#ticks[cpu.id]!;
    if (irqWork.irqWorkNeedsCpu(cpu) || rcu.needsCpu(cpu)) {
      if (timers.tickStopped[cpu.id] && !timers.armed(cpu.id, tick)) this.#armTick(cpu.id, idleIrqsOff(cpu));
      return;
    }
    if (!timers.tickStopped[cpu.id]) {
      timers.tickStopped[cpu.id] = true;
      trace.emit(idleIrqsOff(cpu), { type: "tick_stop", success: true });
    }
    timers.remove(cpu.id, tick);
  }

  /** `tick_nohz_idle_exit()`: the CPU leaves idle; restart a stopped tick. */
  idleExit(cpu: Cpu): void {
    const timers = this.#parts.timers;
    if (!timers.tickStopped[cpu.id]) return;
    timers.tickStopped[cpu.id] = false;
    if (!timers.armed(cpu.id, this.#ticks[cpu.id]!)) this.#armTick(cpu.id, idleIrqsOff(cpu));
  }

  /** Program the next period; `from` starts it (traced), else the handler re-arms it (`HRTIMER_RESTART`). */
  #armTick(cpu: number, from?: TraceSource): void {
    const tick = this.#ticks[cpu]!;
    tick.expires = (Math.floor(this.#parts.now() / this.periodNs) + 1) * this.periodNs;
    this.#parts.timers.add(cpu, tick, from);
  }

  /** `tick_sched_timer()` → `update_process_times()`: timers, RCU, irq_work, scheduler (rule 8.2). */
  *#tickSchedTimer(cpu: Cpu): Kernel {
    const { trace, rcu, irqWork, timers, tickNs } = this.#parts;
    trace.emit(cpu, { type: "tick", jiffies: this.jiffies });
    yield tickNs;
    rcu.schedClockIrq(cpu);
    if (cpu.inHardirq) yield* irqWork.irqWorkTick(cpu);
    this.#schedulerTick(cpu);
    if (!timers.tickStopped[cpu.id] || irqWork.irqWorkNeedsCpu(cpu) || rcu.needsCpu(cpu)) {
      this.#armTick(cpu.id);
    }
  }

  /** `sched_tick()`: round-robin among equal-priority SCHED_RR and SCHED_OTHER tasks. */
  #schedulerTick(cpu: Cpu): void {
    const task = cpu.current;
    if (task === cpu.idleTask || task.policy === "fifo") return;
    const slice = task.policy === "rr" ? RR_TIMESLICE_NS : this.periodNs;
    if (this.#parts.now() - task.sliceStart < slice || !cpu.runQueue.hasPeerOf(task)) return;
    cpu.runQueue.requeueTail(task);
    cpu.needResched = true;
  }
}
