/**
 * The auto-analysis `rtla timerlat -a` prints when a sample stops the
 * trace (tools/tracing/rtla/src/timerlat_aa.c), computed from one
 * {@linkcode Window}: how late the timer interrupt started and what ran
 * before it, the interrupt's own time, the thread that was running, and
 * the interrupts and threads that came between the interrupt and the
 * measuring thread; plus what rtla cannot see and the model can: which
 * irq_work callbacks ran in the window, and the model's fixed costs
 * (interrupt entry and exit, context switch) that make the parts add up.
 *
 * @module
 */

import type { IrqSpan, Window } from "./window.ts";

/** One contributor: a name and its time, ns. */
export interface Part {
  /** `desc:vector` of an interrupt, `comm:pid` of a thread, or a work's name and where it ran. */
  readonly name: string;
  /** ns. */
  readonly ns: number;
}

/**
 * What delayed one sample, in ns.
 *
 * @example
 * ```ts
 * import type { Analysis } from "./analysis.ts";
 * const share = (a: Analysis) => a.irqDelay / a.total;
 * void share;
 * ```
 */
export interface Analysis {
  /** The CPU. */
  readonly cpu: number;
  /** The sample's number on its CPU. */
  readonly seq: number;
  /** `thread` (the thread latency is analysed) or `irq` (the IRQ latency stopped the trace). */
  readonly kind: "irq" | "thread";
  /** The latency analysed: thread latency, or IRQ latency for `irq`. */
  readonly total: number;
  /** The timer's expiry, ns. */
  readonly expires: number;
  /** Interrupts running when the timer expired or before its handler: they delayed it. */
  readonly previousIrqs: readonly Part[];
  /** From the expiry to the timer interrupt's handler entry. */
  readonly irqDelay: number;
  /** IRQ latency: from the expiry to the timer's callback. */
  readonly irqLatency: number;
  /** The timer interrupt's handler, net. */
  readonly timerIrqDuration: number;
  /** The thread the timer interrupt cut into, and how long it kept the CPU after the interrupt (net). */
  readonly blocking: Part;
  /** Interrupts after the timer's (net each). */
  readonly irqInterference: readonly Part[];
  /** Other threads that ran before the measuring thread (net each). */
  readonly threadInterference: readonly Part[];
  /** irq_work callbacks that ran in the window, with their time inside it (gross). */
  readonly works: readonly Part[];
  /** What is left: interrupt entry/exit and context-switch costs of the model. */
  readonly overhead: number;
}

const sum = (parts: readonly Part[]) => parts.reduce((a, p) => a + p.ns, 0);
const irqName = (s: IrqSpan) => `${s.desc}:${s.vector}`;

/** Analyse a closed window; `measuring` is the measuring thread's PID. */
export function analyse(w: Window, measuring: number): Analysis {
  const timer = w.timerIrq;
  const irqStart = timer?.start ?? w.irqAt;
  const thread = w.threadAt !== null;
  const end = w.threadAt ?? w.irqAt;
  const previousIrqs = w.irqs.filter((s) => s !== timer && s.start < irqStart)
    .map((s) => ({ name: irqName(s), ns: s.net }));
  const irqDelay = irqStart - w.expires;
  const timerIrqDuration = thread && timer !== null ? timer.net : 0;
  const after = timer?.end ?? w.irqAt;
  let blockingNs = 0;
  const threadInterference: Part[] = [];
  if (thread) {
    for (const t of w.threads) {
      if (t.end <= after || t.start >= end || t.pid === measuring) continue;
      const from = Math.max(t.start, after);
      const irqFrom = t.start >= after ? t.irqAtStart : w.irqTotalAtTimerExit;
      const net = (Math.min(t.end, end) - from) - (t.irqAtEnd - irqFrom);
      if (t.pid === w.interrupted.pid && blockingNs === 0 && t.start <= after) blockingNs = net;
      else if (t.pid !== 0) threadInterference.push({ name: `${t.comm}:${t.pid}`, ns: net });
    }
  }
  const irqInterference = thread
    ? w.irqs.filter((s) => s !== timer && s.start >= after && s.start < end).map((s) => ({
      name: irqName(s),
      ns: s.net,
    }))
    : [];
  const works = w.works.filter((x) => x.start < end).map((x) => ({
    name: `${x.work} (${x.context === "task" ? "thread" : x.context} ${x.where})`,
    ns: Math.min(x.end, end) - Math.max(x.start, w.expires),
  }));
  const total = end - w.expires;
  const overhead = thread
    ? total - irqDelay - timerIrqDuration - blockingNs - sum(irqInterference) - sum(threadInterference)
    : total - irqDelay;
  return {
    cpu: w.cpu,
    seq: w.seq,
    kind: thread ? "thread" : "irq",
    total,
    expires: w.expires,
    previousIrqs,
    irqDelay,
    irqLatency: w.irqAt - w.expires,
    timerIrqDuration,
    blocking: { name: `${w.interrupted.comm}:${w.interrupted.pid}`, ns: blockingNs },
    irqInterference,
    threadInterference,
    works,
    overhead,
  };
}

/** `%9.2f us`. */
const us = (ns: number) => `${(ns / 1000).toFixed(2).padStart(9)} us`;
/** `(%.2f %%)` of the total. */
const pct = (ns: number, total: number) => ` (${total === 0 ? "0.00" : ((ns * 100) / total).toFixed(2)} %)`;
/** A headline: label, then the value in the value column. */
const line = (label: string, ns: number, total?: number) =>
  `  ${label.padEnd(48)}${us(ns)}${total === undefined ? "" : pct(ns, total)}`;
/** A contributor under a headline. */
const item = (p: Part) => `${p.name.padStart(40).padEnd(50)}${us(p.ns)}`;

/**
 * The analysis as rtla prints it: `## CPU n hit stop tracing, analyzing it ##`
 * (or, for the worst sample of a run that did not stop, the model's
 * `## CPU n worst sample, analyzing it ##`), then the parts, each with its
 * share, down to the latency itself.
 */
export function formatAnalysis(a: Analysis, stopped: boolean): string {
  const out = [
    stopped
      ? `## CPU ${a.cpu} hit stop tracing, analyzing it ##`
      : `## CPU ${a.cpu} worst sample (#${a.seq}), analyzing it ##`,
  ];
  if (a.previousIrqs.length > 0) {
    out.push(`  ${"Previous IRQ interference:".padEnd(40)}up to  ${us(sum(a.previousIrqs))}`);
    for (const p of a.previousIrqs) out.push(item(p));
  }
  out.push(line("IRQ handler delay:", a.irqDelay, a.total), line("IRQ latency:", a.irqLatency));
  if (a.kind === "irq") {
    out.push("  Blocking thread:", a.blocking.name.padStart(40));
  } else {
    out.push(
      line("Timerlat IRQ duration:", a.timerIrqDuration, a.total),
      line("Blocking thread:", a.blocking.ns, a.total),
      item(a.blocking),
    );
    if (a.irqInterference.length > 0) {
      out.push(line("IRQ interference", sum(a.irqInterference), a.total), ...a.irqInterference.map(item));
    }
    if (a.threadInterference.length > 0) {
      out.push(
        line("Thread interference", sum(a.threadInterference), a.total),
        ...a.threadInterference.map(item),
      );
    }
  }
  if (a.works.length > 0) out.push("  irq_work callbacks in the window:", ...a.works.map(item));
  out.push(
    line("Model costs (IRQ entry/exit, context switch):", a.overhead, a.total),
    "------------------------------------------------------------------------",
    `  ${`${a.kind === "irq" ? "IRQ" : "Thread"} latency:`.padEnd(48)}${us(a.total)} (100%)`,
  );
  return `${out.join("\n")}\n`;
}
