/**
 * Findings: what the kernel would print when the modelled code breaks one of
 * its rules (WARN, BUG, `__might_resched()`), and the livelocks the emulator
 * itself detects. A finding is recorded with where it happened and the trace
 * that led to it; a BUG or a livelock stops the machine, as BUG() stops a CPU.
 *
 * @module
 */

import type { ContextKind, Finding, TraceHub, TraceSource } from "./trace.ts";

/** `__might_resched()` prints at most once per second (HZ jiffies). */
const MIGHT_SLEEP_INTERVAL_NS = 1_000_000_000;

/** Where a finding happened: a CPU as the trace hub sees it. */
export interface FindingSource extends TraceSource {
  /** Innermost context. */
  readonly context: ContextKind;
  /** In hard-IRQ or NMI context. */
  readonly inHardirq: boolean;
}

/** The findings of one machine. */
export class Findings {
  /** Every finding so far, oldest first. */
  readonly list: Finding[] = [];
  #trace: TraceHub;
  #now: () => number;
  #halt: () => void;
  #warnedOnce = new Set<string>();
  #lastMightSleep = -Infinity;
  #halted = false;

  /** Findings stamped with `now()`, traced through `trace`; `halt()` stops the machine after a BUG or livelock. */
  constructor(trace: TraceHub, now: () => number, halt: () => void) {
    this.#trace = trace;
    this.#now = now;
    this.#halt = halt;
  }

  /** A BUG or a livelock stopped the machine. */
  get halted(): boolean {
    return this.#halted;
  }

  /** Record a kernel WARN (the machine goes on). */
  warn(cpu: FindingSource, message: string): void {
    this.#record(cpu, "WARN", message);
  }

  /**
   * `WARN_ON_ONCE`: warn the first time `site` (by default the message
   * itself; a call site where the message names a task) is hit on this machine.
   */
  warnOnce(cpu: FindingSource, message: string, site: string = message): void {
    if (this.#warnedOnce.has(site)) return;
    this.#warnedOnce.add(site);
    this.#record(cpu, "WARN", message);
  }

  /**
   * `__might_resched()`'s report for code that may sleep but runs in atomic
   * context, at most once a second of simulated time on the whole machine,
   * as the kernel rate-limits it.
   */
  mightSleep(cpu: FindingSource, where: string): void {
    const now = this.#now();
    if (now - this.#lastMightSleep < MIGHT_SLEEP_INTERVAL_NS) return;
    this.#lastMightSleep = now;
    const task = cpu.current;
    const inAtomic = cpu.inHardirq || task.preemptCount > 0 ? 1 : 0;
    this.warn(
      cpu,
      `BUG: sleeping function called from invalid context at ${where}\n` +
        `in_atomic(): ${inAtomic}, irqs_disabled(): ${cpu.irqsOff ? 1 : 0}, non_block: 0, ` +
        `pid: ${task.pid}, name: ${task.comm}`,
    );
  }

  /** Record a kernel BUG and stop the machine. */
  bug(cpu: FindingSource, message: string): void {
    this.#record(cpu, "BUG", message);
    this.#stop();
  }

  /** Record a livelock the emulator detected (the kernel would just hang) and stop the machine. */
  livelock(cpu: FindingSource, message: string): void {
    this.#record(cpu, "LIVELOCK", `livelock: ${message}`);
    this.#stop();
  }

  #stop(): void {
    this.#halted = true;
    this.#halt();
  }

  #record(cpu: FindingSource, level: Finding["level"], message: string): void {
    const task = cpu.current;
    this.list.push({
      level,
      message,
      time: this.#now(),
      cpu: cpu.id,
      context: cpu.context,
      comm: task.comm,
      pid: task.pid,
      trace: this.#trace.active ? this.#trace.recent() : [],
    });
    this.#trace.emit(cpu, { type: "finding", level, message });
  }
}
