/**
 * Per-CPU timers (kernel/time/hrtimer.c, clockevents): each CPU has one
 * clock-event device; its earliest pending timer is programmed into the
 * engine, and expiry latches the arch's timer interrupt line, whose handler
 * (`hrtimer_interrupt`) runs every expired timer in expiry order.
 *
 * It also keeps each CPU's `tick_stopped` bit (kernel/time/tick-sched.h),
 * which the tick code sets and irq_work reads.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { type Engine, EventKind, Priority } from "./engine.ts";
import { type Kernel, type MaybeKernel, runCallback } from "./kernel.ts";
import { type TraceHub, type TraceSource, withState } from "./trace.ts";

/** A one-shot timer on one CPU. */
export interface Timer {
  /** Absolute expiry time in ns. */
  expires: number;
  /** What to do in the timer interrupt. */
  fn: (cpu: Cpu) => MaybeKernel;
  /**
   * The kernel's callback name (`hrtimer_wakeup`, `tick_nohz_handler`): a
   * named timer is an hrtimer the kernel traces (`hrtimer_start`,
   * `hrtimer_expire_entry/exit`, rule 18.5); unnamed ones stand for
   * things that are not timers in the kernel (a spawned task's first wake-up).
   */
  readonly name?: string;
  /** `hrtimer_start`'s mode, as the kernel prints it (`ABS|PINNED|HARD`, `REL`). */
  readonly mode?: string;
}

interface Base {
  timers: Timer[];
  /** The id of the expiry programmed into the clock-event device, or -1. */
  programmed: number;
}

/** The timers of all CPUs. */
export class Timers {
  /** `tick_nohz_tick_stopped()` of each CPU. */
  readonly tickStopped: boolean[];
  #engine: Engine;
  #cpus: readonly Cpu[];
  #line: number;
  #bases: Base[];
  #expiry: number;
  #kick: number;
  #trace: TraceHub | null;
  #ids = new WeakMap<Timer, number>();
  #nextId = 1;

  /** Timers of `cpus`; expiry latches interrupt line `timerLine`; named timers are traced on `trace`. */
  constructor(engine: Engine, cpus: readonly Cpu[], timerLine: number, trace: TraceHub | null = null) {
    this.#engine = engine;
    this.#cpus = cpus;
    this.#trace = trace;
    this.#line = timerLine;
    this.tickStopped = cpus.map(() => false);
    this.#bases = cpus.map(() => ({ timers: [], programmed: -1 }));
    this.#expiry = engine.register({ fire: (cpu) => this.#expire(cpu) });
    this.#kick = engine.register({ fire: (cpu) => this.#raise(cpu) });
  }

  /**
   * Arm `timer` on `cpu`; code on CPU `from` starts it (`hrtimer_start`,
   * traced for a named timer). A timer its own callback re-arms
   * (`HRTIMER_RESTART`) is not a start: pass no `from`.
   */
  add(cpu: number, timer: Timer, from?: TraceSource): void {
    if (from !== undefined && timer.name !== undefined && this.#trace?.active) {
      // Traced under the timer base's raw lock: interrupts off, one more preempt level.
      this.#trace.emit(withState(from, { irqsOff: true, preemptDepth: from.current.preemptCount + 1 }), {
        type: "hrtimer_start",
        timer: this.#idOf(timer),
        function: timer.name,
        expires: timer.expires,
        mode: timer.mode ?? "ABS",
      });
    }
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

  /** `timer` is armed on `cpu`. */
  armed(cpu: number, timer: Timer): boolean {
    return this.#base(cpu).timers.includes(timer);
  }

  /**
   * Make `cpu`'s clock-event device fire after `delay` ns whatever is
   * programmed later (powerpc's `set_dec(1)`, kept by `set_dec_or_work`).
   */
  fireSoon(cpu: number, delay: number): void {
    this.#engine.after(delay, this.#kick, cpu, Priority.NORMAL, cpu, EventKind.TIMER);
  }

  /** `hrtimer_interrupt()`: run expired timers in expiry order, then reprogram. */
  *interrupt(cpu: Cpu): Kernel {
    const base = this.#base(cpu.id);
    const now = this.#engine.now;
    while (base.timers.length > 0 && base.timers[0]!.expires <= now) {
      const timer = base.timers.shift()!;
      const traced = timer.name !== undefined && this.#trace !== null;
      if (traced) {
        this.#trace!.emit(cpu, {
          type: "hrtimer_expire_entry",
          timer: this.#idOf(timer),
          function: timer.name!,
          now,
        });
      }
      yield* runCallback(timer.fn(cpu));
      if (traced) this.#trace!.emit(cpu, { type: "hrtimer_expire_exit", timer: this.#idOf(timer) });
    }
    this.#program(cpu.id);
  }

  /** A timer's id in traces: it stands for the kernel's hashed `struct hrtimer` pointer. */
  #idOf(timer: Timer): number {
    let id = this.#ids.get(timer);
    if (id === undefined) this.#ids.set(timer, id = this.#nextId++);
    return id;
  }

  #base(cpu: number): Base {
    const base = this.#bases[cpu];
    if (base === undefined) throw new RangeError(`No timers for CPU ${cpu}`);
    return base;
  }

  /** Program `cpu`'s clock-event device for its earliest timer (replacing what was programmed). */
  #program(cpu: number): void {
    const base = this.#base(cpu);
    const engine = this.#engine;
    if (base.programmed >= 0) engine.cancel(base.programmed);
    base.programmed = -1;
    const first = base.timers[0];
    if (first === undefined) return;
    const at = Math.max(first.expires, engine.now);
    base.programmed = engine.at(at, this.#expiry, cpu, Priority.NORMAL, cpu, EventKind.TIMER);
  }

  #expire(cpu: number): void {
    this.#base(cpu).programmed = -1;
    this.#raise(cpu);
  }

  #raise(cpu: number): void {
    this.#cpus[cpu]!.raiseLine(this.#line);
  }
}
