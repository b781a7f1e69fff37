/**
 * Per-CPU timers, the periodic tick and NO_HZ idle tick stopping.
 *
 * Each CPU has one clock-event device: its earliest pending timer is
 * programmed into the engine, and expiry latches the arch's `timer`
 * interrupt line. The handler (`hrtimer_interrupt`) runs every expired
 * timer; the tick is one of them. Ticks fall on multiples of the period, on
 * every CPU at once, as with the kernel's default `skew_tick=0`.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { irqWorkNeedsCpu, irqWorkTick } from "./irq_work.ts";
import type { Kernel, MaybeKernel } from "./kernel.ts";
import { runCallback } from "./kernel.ts";
import type { Machine } from "./machine.ts";

/** A one-shot timer on one CPU. */
export interface Timer {
  /** Absolute expiry time in ns. */
  expires: number;
  /** What to do in the timer interrupt. */
  fn: (cpu: Cpu) => MaybeKernel;
}

/** Round-robin timeslice of SCHED_RR tasks (`sched_rr_timeslice_ms`, 100 ms). */
const RR_TIMESLICE_NS = 100_000_000;

interface Base {
  timers: Timer[];
  generation: number;
  tick: Timer;
  tickStopped: boolean;
  /** When the running task's current slice started (for round-robin). */
  sliceStart: number;
}

/** Timers and ticks of all CPUs. */
export class Ticks {
  /** Tick period in ns (`TICK_NSEC`). */
  readonly periodNs: number;
  #machine: Machine;
  #bases: Base[];
  #expiry: number;
  #kick: number;
  #nohz: boolean;

  /** Made by the machine; arms every CPU's tick. */
  constructor(machine: Machine, hz: number, nohz: boolean) {
    this.#machine = machine;
    this.#nohz = nohz;
    this.periodNs = Math.round(1e9 / hz);
    this.#expiry = machine.engine.register({ fire: (arg) => this.#expire(arg) });
    this.#kick = machine.engine.register({ fire: (cpu) => this.#raise(cpu) });
    this.#bases = machine.cpus.map(() => ({
      timers: [],
      generation: 0,
      tick: { expires: this.periodNs, fn: (c: Cpu) => this.#tickSchedTimer(c) },
      tickStopped: false,
      sliceStart: 0,
    }));
    for (const cpu of machine.cpus) this.add(cpu.id, this.#base(cpu.id).tick);
  }

  /** `tick_nohz_tick_stopped()` for `cpu`. */
  stopped(cpu: number): boolean {
    return this.#base(cpu).tickStopped;
  }

  /** jiffies at the current time. */
  get jiffies(): number {
    return Math.floor(this.#machine.engine.now / this.periodNs);
  }

  /** Arm `timer` on `cpu`. */
  add(cpu: number, timer: Timer): void {
    const base = this.#base(cpu);
    let i = base.timers.length;
    while (i > 0 && base.timers[i - 1]!.expires > timer.expires) i--;
    base.timers.splice(i, 0, timer);
    if (i === 0) this.#program(cpu);
  }

  /** Disarm `timer` on `cpu` if armed. */
  remove(cpu: number, timer: Timer): void {
    const base = this.#base(cpu);
    const i = base.timers.indexOf(timer);
    if (i < 0) return;
    base.timers.splice(i, 1);
    if (i === 0) this.#program(cpu);
  }

  /**
   * Make `cpu`'s clock-event device fire after `delay` ns whatever is
   * programmed later (powerpc's `set_dec(1)`, kept by `set_dec_or_work`).
   */
  fireSoon(cpu: number, delay: number): void {
    this.#machine.engine.after(delay, this.#kick, cpu);
  }

  /** `hrtimer_interrupt()`: run expired timers in expiry order, then reprogram. */
  *interrupt(cpu: Cpu): Kernel {
    const base = this.#base(cpu.id);
    const now = this.#machine.engine.now;
    while (base.timers.length > 0 && base.timers[0]!.expires <= now) {
      const timer = base.timers.shift()!;
      yield* runCallback(timer.fn(cpu));
    }
    this.#program(cpu.id);
  }

  /**
   * The idle loop's tick decision (`tick_nohz_idle_stop_tick`): stop the tick
   * unless `irqWorkNeedsCpu()` (SPEC §10.2); if it is stopped but work is
   * pending, keep it stopped and program the next period so the tick still runs.
   */
  idleStopTick(cpu: Cpu): void {
    if (!this.#nohz) return;
    const base = this.#base(cpu.id);
    const needs = irqWorkNeedsCpu(cpu);
    if (needs) {
      if (base.tickStopped && !base.timers.includes(base.tick)) this.#armTick(cpu.id);
      return;
    }
    if (!base.tickStopped) {
      base.tickStopped = true;
      this.#machine.emit(cpu, { type: "tick_stop", success: true });
    }
    this.remove(cpu.id, base.tick);
  }

  /** `tick_nohz_idle_exit()`: the CPU leaves idle; restart a stopped tick. */
  idleExit(cpu: Cpu): void {
    const base = this.#base(cpu.id);
    if (!base.tickStopped) return;
    base.tickStopped = false;
    if (!base.timers.includes(base.tick)) this.#armTick(cpu.id);
  }

  /** A new task started running on `cpu`: its round-robin slice starts now. */
  sliceStarted(cpu: number): void {
    this.#base(cpu).sliceStart = this.#machine.engine.now;
  }

  #armTick(cpu: number): void {
    const tick = this.#base(cpu).tick;
    tick.expires = (Math.floor(this.#machine.engine.now / this.periodNs) + 1) * this.periodNs;
    this.add(cpu, tick);
  }

  /** `tick_sched_timer()` → `update_process_times()`: timers, RCU, irq_work, scheduler (SPEC §8.2). */
  *#tickSchedTimer(cpu: Cpu): Kernel {
    const m = this.#machine;
    m.emit(cpu, { type: "tick", jiffies: this.jiffies });
    yield m.timing.tickNs;
    m.rcu.schedClockIrq(cpu);
    if (cpu.inHardirq) yield* irqWorkTick(cpu);
    this.#schedulerTick(cpu);
    const base = this.#base(cpu.id);
    if (!base.tickStopped || irqWorkNeedsCpu(cpu)) this.#armTick(cpu.id);
  }

  /** `sched_tick()`: round-robin among equal-priority SCHED_RR and SCHED_OTHER tasks. */
  #schedulerTick(cpu: Cpu): void {
    const task = cpu.current;
    if (task === cpu.idleTask || task.policy === "fifo") return;
    const base = this.#base(cpu.id);
    const slice = task.policy === "rr" ? RR_TIMESLICE_NS : this.periodNs;
    if (this.#machine.engine.now - base.sliceStart < slice || !cpu.runQueue.hasPeerOf(task)) return;
    cpu.runQueue.requeueTail(task);
    cpu.needResched = true;
  }

  #base(cpu: number): Base {
    const base = this.#bases[cpu];
    if (base === undefined) throw new RangeError(`No timers for CPU ${cpu}`);
    return base;
  }

  #program(cpu: number): void {
    const base = this.#base(cpu);
    const generation = ++base.generation % 2 ** 20;
    const first = base.timers[0];
    if (first === undefined) return;
    const at = Math.max(first.expires, this.#machine.engine.now);
    this.#machine.engine.at(at, this.#expiry, cpu * 2 ** 20 + generation);
  }

  #expire(arg: number): void {
    const cpu = Math.floor(arg / 2 ** 20);
    if (arg % 2 ** 20 !== this.#base(cpu).generation % 2 ** 20) return;
    this.#raise(cpu);
  }

  #raise(cpu: number): void {
    const m = this.#machine;
    m.cpus[cpu]!.raiseLine(m.lineOf("timer"));
  }
}
