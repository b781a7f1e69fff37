/**
 * What happened on one CPU between a measuring thread's timer expiry and
 * the thread running, read from the typed trace events: the interrupts
 * (with vectors and times net of what nested in them), the irq_work
 * callbacks, the threads, and the timer interrupt itself. This is what
 * rtla timerlat's auto-analysis reads from the osnoise events
 * (tools/tracing/rtla/src/timerlat_aa.c); the model reads the same facts
 * from its own events.
 *
 * A window opens when the measuring thread starts its sleep's hrtimer and
 * is dropped at the next one, so memory stays bounded by one period's
 * events.
 *
 * @module
 */

import type { TraceEvent } from "../../core/mod.ts";

/** An interrupt handled on the CPU: entry to exit as traced, and its time net of nested ones. */
export interface IrqSpan {
  /** `local_timer`, `irq_work`, a device's name, or `nmi`. */
  readonly desc: string;
  /** The vector, or the Linux IRQ number of a device; -1 for an NMI. */
  readonly vector: number;
  /** Handler entry, ns. */
  readonly start: number;
  /** Handler exit, ns. */
  readonly end: number;
  /** Time in the handler less nested handlers, ns. */
  readonly net: number;
}

/** A stretch of one thread on the CPU, from switch-in to switch-out. */
export interface ThreadSpan {
  /** Task name. */
  readonly comm: string;
  /** PID. */
  readonly pid: number;
  /** Switched in, ns. */
  readonly start: number;
  /** Switched out, ns. */
  readonly end: number;
  /** Interrupt time (outermost handlers, cumulative on the CPU) when it was switched in and out. */
  readonly irqAtStart: number;
  /** See {@linkcode ThreadSpan.irqAtStart}. */
  readonly irqAtEnd: number;
}

/** An irq_work callback's run. */
export interface WorkSpan {
  /** The work's name. */
  readonly work: string;
  /** Where it ran: `irq_work:246` (the interrupt) or `irq_work/0:19` (a thread). */
  readonly where: string;
  /** `hardirq` or `task`. */
  readonly context: string;
  /** Start, ns. */
  readonly start: number;
  /** End, ns (`Infinity` while still running). */
  readonly end: number;
}

interface OpenIrq {
  desc: string;
  vector: number;
  start: number;
  nested: number;
}

/** One sample's window, closed: everything the analysis needs. */
export interface Window {
  /** The CPU. */
  readonly cpu: number;
  /** The sample's number on its CPU, from 1. */
  readonly seq: number;
  /** The timer's expiry (the period's start), ns. */
  readonly expires: number;
  /** `hrtimer_expire_entry` of the timer, ns. */
  readonly irqAt: number;
  /** The timer interrupt's handler (`local_timer` on x86). */
  readonly timerIrq: IrqSpan | null;
  /** The thread the timer interrupt cut into. */
  readonly interrupted: { readonly comm: string; readonly pid: number };
  /** When the measuring thread ran, ns (its thread latency's end); null for an IRQ-only window. */
  readonly threadAt: number | null;
  /** Interrupts that ended after `expires`. */
  readonly irqs: readonly IrqSpan[];
  /** Thread stretches that ended after `expires`. */
  readonly threads: readonly ThreadSpan[];
  /** Callbacks that ended after `expires` or still run. */
  readonly works: readonly WorkSpan[];
  /** Cumulative interrupt time on the CPU when the timer interrupt ended. */
  readonly irqTotalAtTimerExit: number;
}

/** The description osnoise gives an interrupt: the arch's vector name, or a device's action name. */
function descOf(e: { readonly name: string; readonly detail: string; readonly vector: number }): string {
  if (e.name !== "irq_handler") return e.name;
  return /name=(\S+)/.exec(e.detail)?.[1] ?? `irq${e.vector}`;
}

/** The trace of one CPU as a measuring thread's windows see it. */
export class CpuWindow {
  readonly cpu: number;
  #frames: OpenIrq[] = [];
  #irqTotal = 0;
  #thread: { comm: string; pid: number; start: number; irqAt: number } | null = null;
  #openWorks = new Map<number, { work: string; where: string; context: string; start: number }>();
  #irqs: IrqSpan[] = [];
  #threads: ThreadSpan[] = [];
  #works: WorkSpan[] = [];
  #timerId = -1;
  #expires = 0;
  #seq = 0;
  #irqAt = -1;
  #timerFrame: OpenIrq | null = null;
  #timerIrq: IrqSpan | null = null;
  #irqTotalAtTimerExit = 0;
  #interrupted = { comm: "", pid: -1 };

  constructor(cpu: number) {
    this.cpu = cpu;
  }

  /**
   * Take an event of this CPU; returns the IRQ latency sample, ns, when it is
   * the measuring thread's (pid `measuring`) timer expiring, else null.
   */
  take(e: TraceEvent, measuring: number): number | null {
    switch (e.type) {
      case "irq_vector_entry":
        this.#frames.push({ desc: descOf(e), vector: e.vector, start: e.time, nested: 0 });
        return null;
      case "nmi_entry":
        this.#frames.push({ desc: "nmi", vector: -1, start: e.time, nested: 0 });
        return null;
      case "irq_vector_exit":
      case "nmi_exit":
        this.#exitIrq(e.time);
        return null;
      case "irq_work_execute_start": {
        const top = this.#frames[this.#frames.length - 1];
        const where = e.context === "task" || top === undefined
          ? `${e.comm}:${e.pid}`
          : `${top.desc}:${top.vector}`;
        this.#openWorks.set(e.workId, { work: e.work, where, context: e.context, start: e.time });
        return null;
      }
      case "irq_work_execute_end": {
        const w = this.#openWorks.get(e.workId);
        if (w !== undefined) {
          this.#openWorks.delete(e.workId);
          this.#works.push({ ...w, end: e.time });
        }
        return null;
      }
      case "sched_switch":
        if (this.#thread !== null) {
          const t = this.#thread;
          this.#threads.push({
            comm: t.comm,
            pid: t.pid,
            start: t.start,
            end: e.time,
            irqAtStart: t.irqAt,
            irqAtEnd: this.#irqTotal,
          });
        }
        this.#thread = { comm: e.nextComm, pid: e.nextPid, start: e.time, irqAt: this.#irqTotal };
        return null;
      case "hrtimer_start":
        if (e.pid === measuring && e.function === "hrtimer_wakeup") {
          this.#timerId = e.timer;
          this.#expires = e.expires;
          this.#seq++;
          this.#irqAt = -1;
          this.#timerFrame = null;
          this.#timerIrq = null;
          this.#irqs = [];
          this.#threads = [];
          this.#works = [];
        }
        return null;
      case "hrtimer_expire_entry":
        if (e.timer !== this.#timerId || this.#irqAt >= 0) return null;
        this.#irqAt = e.time;
        this.#timerFrame = this.#frames[this.#frames.length - 1] ?? null;
        this.#interrupted = { comm: e.comm, pid: e.pid };
        return e.time - this.#expires;
      default:
        return null;
    }
  }

  #exitIrq(time: number): void {
    const f = this.#frames.pop();
    if (f === undefined) return;
    const gross = time - f.start;
    const parent = this.#frames[this.#frames.length - 1];
    if (parent !== undefined) parent.nested += gross;
    else this.#irqTotal += gross;
    const span: IrqSpan = {
      desc: f.desc,
      vector: f.vector,
      start: f.start,
      end: time,
      net: gross - f.nested,
    };
    this.#irqs.push(span);
    if (f === this.#timerFrame) {
      this.#timerIrq = span;
      this.#irqTotalAtTimerExit = this.#irqTotal;
    }
  }

  /** The current window, closed at `threadAt` (null: at the IRQ sample, for an IRQ-latency stop). */
  close(threadAt: number | null): Window {
    const expires = this.#expires;
    const open = [...this.#openWorks.values()].map((w) => ({ ...w, end: Infinity }));
    const running = this.#thread;
    const threads = [...this.#threads];
    if (threadAt === null && running !== null) {
      threads.push({
        comm: running.comm,
        pid: running.pid,
        start: running.start,
        end: Infinity,
        irqAtStart: running.irqAt,
        irqAtEnd: this.#irqTotal,
      });
    }
    return {
      cpu: this.cpu,
      seq: this.#seq,
      expires,
      irqAt: this.#irqAt,
      timerIrq: this.#timerIrq,
      interrupted: this.#interrupted,
      threadAt,
      irqs: this.#irqs.filter((s) => s.end > expires),
      threads: threads.filter((s) => s.end > expires),
      works: [...this.#works, ...open].filter((w) => w.end > expires),
      irqTotalAtTimerExit: this.#irqTotalAtTimerExit,
    };
  }
}
