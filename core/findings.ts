/**
 * Findings: what the kernel would print when the modelled code breaks one of
 * its rules (WARN, BUG, `__might_resched()`), and the livelocks the emulator
 * itself detects. A finding is recorded with where it happened and the trace
 * that led to it; a BUG or a livelock stops the machine, as BUG() stops a CPU.
 *
 * The list is bounded, so that a WARN in a loop cannot fill the memory: it
 * keeps the first findings (the first report is the one that explains the
 * rest, as lockdep's "first splat only" knows) up to a cap, and always the
 * BUG or livelock that stops the machine; the others are counted. Each
 * finding holds its own list of the last 32 trace events (`RECENT_EVENTS`).
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
  /** `preempt_count()`: the task's depth plus the hard-IRQ and NMI offsets. */
  readonly preemptCountWord: number;
}

/** The findings of one machine. */
export class Findings {
  /** The findings kept, oldest first. */
  readonly list: Finding[] = [];
  /** Findings not kept in {@linkcode Findings.list}: past the cap. */
  dropped = 0;
  #keep: number;
  #trace: TraceHub;
  #now: () => number;
  #halt: () => void;
  #warnedOnce = new Set<string>();
  #lastMightSleep = -Infinity;
  #halted = false;
  #countsRcu: boolean;

  /**
   * Findings stamped with `now()`, traced through `trace`; `halt()` stops
   * the machine after a fatal BUG or livelock; `keep` caps the list
   * (`Infinity`: no cap). `mightSleepCountsRcu`: does `__might_resched()`
   * count RCU read-side nesting on this kernel (rule 17.3)?
   */
  constructor(
    trace: TraceHub,
    now: () => number,
    halt: () => void,
    keep = Infinity,
    mightSleepCountsRcu = true,
  ) {
    this.#keep = keep;
    this.#trace = trace;
    this.#now = now;
    this.#halt = halt;
    this.#countsRcu = mightSleepCountsRcu;
  }

  /** A BUG or a livelock stopped the machine. */
  get halted(): boolean {
    return this.#halted;
  }

  /**
   * A kernel `WARN()`: `message` as the kernel prints it, its first line
   * `WARNING: CPU: n PID: p at file function` (see {@linkcode warnOnOnce}).
   */
  warn(cpu: FindingSource, message: string): void {
    this.#record(cpu, "WARN", message, false);
  }

  /**
   * `WARN_ON_ONCE`: warn the first time `site` (by default the message
   * itself; a call site where the message names a task) is hit on this machine.
   */
  warnOnce(cpu: FindingSource, message: string, site: string = message): void {
    if (this.#warnedOnce.has(site)) return;
    this.#warnedOnce.add(site);
    this.#record(cpu, "WARN", message, false);
  }

  /**
   * `WARN_ON_ONCE(condition)` in `func` of `file`: the first time this
   * site fires on this machine, the kernel's title line (without the line
   * number and offset, which differ between versions), then the condition.
   */
  warnOnOnce(cpu: FindingSource, file: string, func: string, condition: string): void {
    const key = `${file} ${func} ${condition}`;
    if (this.#warnedOnce.has(key)) return;
    this.#warnedOnce.add(key);
    this.warn(cpu, `${warningTitle(cpu, file, func)}\nWARN_ON_ONCE(${condition})`);
  }

  /**
   * A kernel bug report that does not stop the kernel: the kernel prints a
   * `BUG:` title (KASAN, "scheduling while atomic", lockdep's invalid wait
   * context) and goes on. Level `BUG`, not fatal.
   */
  report(cpu: FindingSource, message: string): void {
    this.#record(cpu, "BUG", message, false);
  }

  /** {@linkcode report} once per machine for each distinct message. */
  reportOnce(cpu: FindingSource, message: string): void {
    if (this.#warnedOnce.has(message)) return;
    this.#warnedOnce.add(message);
    this.report(cpu, message);
  }

  /**
   * `__might_resched()` at `where`: code that may sleep called in atomic
   * context, or inside more RCU read-side sections than `rcuExpected` (the
   * ones a sleeping spinlock may hold on RT; 0 for `might_sleep()`), where
   * this kernel counts them (rule 17.3). Reported as the kernel's "BUG:
   * sleeping function called from invalid context" (level `BUG`, not
   * fatal), at most once a second of simulated time on the whole machine,
   * as the kernel rate-limits it; the idle task is always reported.
   */
  mightSleep(cpu: FindingSource, where: string, rcuExpected = 0): void {
    const task = cpu.current;
    const depth = this.#countsRcu ? task.rcuNesting ?? 0 : 0;
    const expected = this.#countsRcu ? rcuExpected : 0;
    if (cpu.preemptCountWord === 0 && !cpu.irqsOff && depth === expected && task.pid !== 0) return;
    const now = this.#now();
    if (now - this.#lastMightSleep < MIGHT_SLEEP_INTERVAL_NS) return;
    this.#lastMightSleep = now;
    const count = cpu.preemptCountWord;
    this.report(
      cpu,
      `BUG: sleeping function called from invalid context at ${where}\n` +
        `in_atomic(): ${count !== 0 ? 1 : 0}, irqs_disabled(): ${cpu.irqsOff ? 1 : 0}, non_block: 0, ` +
        `pid: ${task.pid}, name: ${task.comm}\n` +
        `preempt_count: ${count.toString(16)}, expected: 0\n` +
        `RCU nest depth: ${depth}, expected: ${expected}`,
    );
  }

  /** A fatal kernel BUG (`BUG()`, a panic): record it and stop the machine. */
  bug(cpu: FindingSource, message: string): void {
    this.#record(cpu, "BUG", message, true);
    this.#stop();
  }

  /** Record a livelock the emulator detected (the kernel would just hang) and stop the machine. */
  livelock(cpu: FindingSource, message: string): void {
    this.#record(cpu, "LIVELOCK", `livelock: ${message}`, true);
    this.#stop();
  }

  #stop(): void {
    this.#halted = true;
    this.#halt();
  }

  /** Keep the finding unless the list is full and it is not `fatal` (it stops the machine); trace it either way. */
  #record(cpu: FindingSource, level: Finding["level"], message: string, fatal: boolean): void {
    if (this.list.length >= this.#keep && !fatal) this.dropped++;
    else this.#keepFinding(cpu, level, message, fatal);
    this.#trace.emit(cpu, { type: "finding", level, fatal, message });
  }

  #keepFinding(cpu: FindingSource, level: Finding["level"], message: string, fatal: boolean): void {
    const task = cpu.current;
    const title = message.split("\n", 1)[0]!;
    this.list.push({
      level,
      fatal,
      title,
      message,
      time: this.#now(),
      cpu: cpu.id,
      context: cpu.context,
      comm: task.comm,
      pid: task.pid,
      trace: this.#trace.active ? this.#trace.recent() : [],
    });
  }
}

/** The first line of a kernel WARN: `WARNING: CPU: 1 PID: 0 at kernel/irq_work.c irq_work_queue_on`. */
export function warningTitle(cpu: FindingSource, file: string, func: string): string {
  return `WARNING: CPU: ${cpu.id} PID: ${cpu.current.pid} at ${file} ${func}`;
}
