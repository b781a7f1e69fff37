/**
 * One emulated CPU: the code it runs, its interrupt state and its run queue.
 *
 * A CPU runs one *strand* of kernel code at a time: the current task's, or
 * the innermost interrupt frame's. Strands are generators that yield
 * {@linkcode Op}s; the CPU is the engine process that resumes them. An
 * interrupt that arrives while interrupts are enabled cuts into the current
 * spend, pushes a frame and resumes the spend after the frame returns; one
 * that arrives while they are disabled is latched and delivered at the next
 * step after they are enabled.
 *
 * The CPU knows interrupt lines only by number: whoever owns a line
 * registers its handler with {@linkcode Cpu.requestIrq}, as `request_irq`
 * does, and the CPU's idle task gets its code at {@linkcode Cpu.boot}.
 *
 * @module
 */

import { Cell, type Memory } from "./atomic.ts";
import { describe } from "./describe.ts";
import { type Engine, type EventHandler, EventKind, Priority } from "./engine.ts";
import { doExit, type ExitHook } from "./exit.ts";
import type { Findings } from "./findings.ts";
import { HALT, type Kernel, SCHEDULE, STEP } from "./kernel.ts";
import { PRIO_IDLE, RunQueue, Task } from "./sched.ts";
import { type ContextKind, type TraceHub, withState } from "./trace.ts";

/** Something that runs on a CPU and can be cut short: a task or an interrupt frame. */
interface Strand {
  gen: Kernel;
  remaining: number;
}

/** An interrupt (or NMI) frame stacked on top of the current task. */
interface Frame extends Strand {
  kind: "hardirq" | "nmi";
  savedIrqsOff: boolean;
}

const enum RunState {
  /** Inside `#run`. */
  RUNNING,
  /** A continuation is due now (a step or a delivery). */
  STEPPING,
  /** A continuation is due at the end of the current spend. */
  SPENDING,
  /** Idle, waiting for an interrupt: nothing scheduled. */
  HALTED,
}

/** An interrupt handler: kernel code run in a hard-IRQ frame on `cpu`. */
export type IrqHandler = (cpu: Cpu) => Kernel;

/** An IPI in flight: who sent it, and its id in the trace. */
export interface Ipi {
  /** Id carried by the send's trace event and by the arrival's. */
  readonly id: number;
  /** Sending CPU. */
  readonly from: number;
  /** What it asks for (the line's kind). */
  readonly kind: string;
}

/** What a CPU is built with: the machine's engine, trace, findings, memory and costs. */
export interface CpuEnv {
  /** The event engine. */
  readonly engine: Engine;
  /** The trace hub. */
  readonly trace: TraceHub;
  /** Where WARN/BUG go. */
  readonly findings: Findings;
  /** Shared memory. */
  readonly memory: Memory;
  /** A context switch, charged to the incoming task. */
  readonly contextSwitchNs: number;
  /** From an interrupt's arrival to its handler. */
  readonly irqEntryNs: number;
  /** From a handler's return to the interrupted code. */
  readonly irqExitNs: number;
  /** The CPU that ran last (for findings not tied to a CPU's own check). */
  lastCpu: Cpu | null;
  /** Jump over spin-loop polls that nothing can change (see {@linkcode Cpu.relax}). */
  readonly fastForward: boolean;
  /** The time the current run stops at (`runUntil`'s target). */
  horizon: number;
}

const NO_IPI = 0;
/** `HARDIRQ_OFFSET` of include/linux/preempt.h. */
export const HARDIRQ_OFFSET = 0x10000;
/** `NMI_OFFSET` of include/linux/preempt.h. */
export const NMI_OFFSET = 0x100000;
/** Lines per CPU (the arrival's engine argument packs an IPI id above the line). */
const MAX_LINES = 32;

/** An emulated CPU. Built by the machine, then booted with its idle loop. */
export class Cpu implements EventHandler {
  /** CPU number. */
  readonly id: number;
  /** In `cpu_online_mask`. */
  online = true;
  /** Taken down: runs nothing more, interrupts stay latched. */
  dead = false;
  /** Local interrupts disabled. */
  irqsOff = false;
  /** `TIF_NEED_RESCHED` of the current task. */
  needResched = false;
  /** `TIF_POLLING_NRFLAG` of the idle task: polling idle, woken by need-resched without an IPI. */
  readonly polling: Cell<boolean> = new Cell(false);
  /** This CPU's idle task (`swapper/N`, pid 0). */
  readonly idleTask: Task;
  /** The task whose context is at the bottom of the CPU (idle when nothing else runs). */
  current: Task;
  /** Runnable tasks other than idle, best first. */
  readonly runQueue: RunQueue = new RunQueue();

  #env: CpuEnv;
  #handlers: (IrqHandler | undefined)[] = [];
  #scheduleHooks: ((cpu: Cpu) => void)[] = [];
  #exitHooks: ExitHook[] = [];
  #frames: Frame[] = [];
  #pendingLines = 0;
  #pendingNmis: Kernel[] = [];
  #nextNmi = 0;
  /** IPIs on their way to this CPU, by id (made on the first). */
  #ipis: Map<number, Ipi> | null = null;
  #state = RunState.HALTED;
  #spendUntil = 0;
  #spendingStrand: Strand | null = null;
  /** The id of the pending continuation event (a step or the end of a spend), if any. */
  #next = -1;
  #continuation: number;
  #arrival: number;

  /** CPU `id`, with an idle task that gets its code at {@linkcode Cpu.boot}. */
  constructor(env: CpuEnv, id: number) {
    this.#env = env;
    this.id = id;
    this.idleTask = new Task({
      pid: 0,
      comm: `swapper/${id}`,
      cpu: id,
      policy: "other",
      prio: PRIO_IDLE,
      machine: env.engine,
    });
    this.idleTask.state = "running";
    this.idleTask.preemptCount = 1;
    this.current = this.idleTask;
    this.#continuation = env.engine.register(this);
    this.#arrival = env.engine.register({ fire: (arg) => this.#arrive(arg) });
  }

  /** `request_irq`: run `handler` in a hard-IRQ frame whenever `line` is taken. */
  requestIrq(line: number, handler: IrqHandler): void {
    if (!(line >= 0 && line < MAX_LINES) || !Number.isInteger(line)) {
      throw new RangeError(`Cannot request interrupt line ${line}: lines are 0..${MAX_LINES - 1}`);
    }
    if (this.#handlers[line] !== undefined) {
      throw new Error(`CPU ${this.id}: line ${line} already has a handler`);
    }
    this.#handlers[line] = handler;
  }

  /** Call `hook` at every entry of `__schedule()` on this CPU (`rcu_note_context_switch`). */
  onSchedule(hook: (cpu: Cpu) => void): void {
    this.#scheduleHooks.push(hook);
  }

  /** Call `hook` when a task exits on this CPU, before its final schedule (`exit_rcu()`). */
  onExit(hook: ExitHook): void {
    this.#exitHooks.push(hook);
  }

  /** `cpu_startup_entry()`: the idle task runs `idleLoop` and the CPU starts at the current time. */
  boot(idleLoop: Kernel): void {
    this.idleTask.gen = idleLoop;
    this.#state = RunState.STEPPING;
    const engine = this.#env.engine;
    this.#next = engine.at(engine.now, this.#continuation, 0, Priority.NORMAL, this.id, EventKind.STEP);
  }

  /** Innermost context: `task`, `hardirq` or `nmi`. */
  get context(): ContextKind {
    const top = this.#frames[this.#frames.length - 1];
    return top === undefined ? "task" : top.kind;
  }

  /** `in_hardirq()`: in a hard interrupt or an NMI (NMIs count as hard IRQs, as in the kernel). */
  get inHardirq(): boolean {
    return this.#frames.length > 0;
  }

  /**
   * `preempt_count()` as the kernel encodes it: the task's preemption-disable
   * depth in bits 0-7, plus `HARDIRQ_OFFSET` (0x10000) per hard-IRQ frame
   * and `NMI_OFFSET + HARDIRQ_OFFSET` (0x110000) per NMI. No softirqs are
   * modelled, so the softirq byte (0x100) stays 0.
   */
  get preemptCountWord(): number {
    let word = this.current.preemptCount;
    for (const f of this.#frames) word += f.kind === "nmi" ? NMI_OFFSET + HARDIRQ_OFFSET : HARDIRQ_OFFSET;
    return word;
  }

  /** `in_nmi()`. */
  get inNmi(): boolean {
    return this.#frames.some((f) => f.kind === "nmi");
  }

  /** In hard-IRQ context: were interrupts disabled in the code the outermost interrupt cut into? */
  get interruptedIrqsOff(): boolean {
    return this.#frames[0]?.savedIrqsOff ?? this.irqsOff;
  }

  /** Preemption is disabled in any way: preempt count, interrupts off, or interrupt context. */
  get atomic(): boolean {
    return this.current.preemptCount > 0 || this.irqsOff || this.#frames.length > 0;
  }

  /** The idle task is current and halted (or polling) for an interrupt. */
  get idle(): boolean {
    return this.current === this.idleTask && this.#state === RunState.HALTED;
  }

  /** An interrupt line is latched and waiting for interrupts to be enabled. */
  get hasPendingInterrupt(): boolean {
    return this.#pendingLines !== 0;
  }

  /**
   * Latch interrupt `line` on this CPU after `delay` ns, as hardware does when
   * a timer interrupt or an IPI (`ipi`, traced on arrival) arrives. Delivery
   * waits for interrupts to be on.
   */
  raiseLine(line: number, delay = 0, ipi: Ipi | null = null): void {
    let arg = line;
    if (ipi !== null) {
      (this.#ipis ??= new Map()).set(ipi.id, ipi);
      arg += ipi.id * MAX_LINES;
    }
    this.#env.engine.after(delay, this.#arrival, arg, Priority.HARDWARE, this.id, EventKind.INTERRUPT);
  }

  /** Deliver an NMI whose handler body is `body` (delivered even with interrupts off). */
  raiseNmi(body: Kernel): void {
    this.#pendingNmis.push(body);
    this.#interruptible(true);
  }

  /** Wake a halted (polling) idle CPU without an interrupt, as `set_nr_if_polling` does. */
  kick(): void {
    if (this.#state === RunState.HALTED) this.#continueNow();
  }

  /** Engine callback: a continuation is due. */
  fire(): void {
    this.#next = -1;
    this.#env.lastCpu = this;
    this.#run();
  }

  #arrive(arg: number): void {
    const line = arg % MAX_LINES;
    const id = (arg - line) / MAX_LINES;
    if (id !== NO_IPI) {
      const ipi = this.#ipis!.get(id)!;
      this.#ipis!.delete(id);
      this.#env.trace.emit(this, { type: "ipi_arrive", ipi: id, from: ipi.from, kind: ipi.kind });
    }
    this.#pendingLines |= 1 << line;
    this.#interruptible(false);
  }

  /**
   * An interrupt is latched: cut into a spend or a halt if it can be
   * delivered now. An NMI cannot while another runs (it waits in the queue),
   * so NMIs arriving during one cost O(1): no spend is cut and resumed.
   */
  #interruptible(nmi: boolean): void {
    if (nmi ? this.inNmi : this.irqsOff) return;
    if (this.#state === RunState.SPENDING) {
      this.#spendingStrand!.remaining = this.#spendUntil - this.#env.engine.now;
      this.#spendingStrand = null;
      this.#continueNow();
    } else if (this.#state === RunState.HALTED) {
      this.#continueNow();
    }
  }

  /** Continue at once, before other steps due now; a spend this cuts short no longer ends by itself. */
  #continueNow(): void {
    const engine = this.#env.engine;
    if (this.#next >= 0) engine.cancel(this.#next);
    this.#state = RunState.STEPPING;
    this.#next = engine.at(engine.now, this.#continuation, 0, Priority.HARDWARE, this.id, EventKind.STEP);
  }

  #run(): void {
    const env = this.#env;
    const engine = env.engine;
    this.#state = RunState.RUNNING;
    for (;;) {
      if (env.findings.halted || this.dead) return;
      if (this.#nextNmi < this.#pendingNmis.length && !this.inNmi) {
        this.#pushFrame("nmi", this.#nmiFrame(this.#takeNmi()));
        continue;
      }
      if (this.#pendingLines !== 0 && !this.irqsOff) {
        const line = 31 - Math.clz32(this.#pendingLines & -this.#pendingLines);
        this.#pendingLines &= ~(1 << line);
        this.#pushFrame("hardirq", this.#irqFrame(line));
        continue;
      }
      let strand: Strand | undefined = this.#frames[this.#frames.length - 1];
      if (strand === undefined) {
        if (this.needResched && this.current.preemptCount === 0 && !this.irqsOff) {
          this.#schedule(true);
          continue;
        }
        strand = this.current;
      }
      if (strand.remaining > 0) {
        const r = strand.remaining;
        strand.remaining = 0;
        this.#spend(strand, r);
        return;
      }
      const result = this.#resume(strand);
      if (result.done) {
        this.#finish(strand);
        continue;
      }
      const op = result.value;
      if (op > 0) {
        this.#spend(strand, op);
        return;
      }
      if (op === STEP) {
        if (engine.fireInPlace(this.#continuation, 0, this.id, EventKind.STEP)) {
          env.lastCpu = this;
          continue;
        }
        this.#state = RunState.STEPPING;
        this.#next = engine.at(engine.now, this.#continuation, 0, Priority.NORMAL, this.id, EventKind.STEP);
        return;
      }
      if (op === SCHEDULE) {
        this.#scheduleCall();
        continue;
      }
      if (op === HALT) {
        this.irqsOff = false;
        if (this.#pendingLines !== 0 || this.#nextNmi < this.#pendingNmis.length || this.needResched) {
          continue;
        }
        this.#state = RunState.HALTED;
        return;
      }
      throw new Error(`CPU ${this.id}: kernel code yielded ${op}, which is not an Op`);
    }
  }

  /** The oldest pending NMI (a queue read from its front, emptied when drained). */
  #takeNmi(): Kernel {
    const body = this.#pendingNmis[this.#nextNmi++]!;
    if (this.#nextNmi === this.#pendingNmis.length) {
      this.#pendingNmis.length = 0;
      this.#nextNmi = 0;
    }
    return body;
  }

  /**
   * Kernel calls scenario code made on this CPU (`ctx.queue(w)`) whose
   * generator has not been started yet: one left after a resume was made
   * without `yield*` and would silently do nothing.
   */
  readonly unstartedCalls: Set<{ readonly call: string }> = new Set();

  /** Resume `strand`; an exception from scenario code becomes an error that says where it happened. */
  #resume(strand: Strand): IteratorResult<number, void> {
    try {
      const result = strand.gen.next();
      if (this.unstartedCalls.size > 0) this.#forgottenYield();
      return result;
    } catch (error) {
      if (error instanceof ScenarioError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ScenarioError(
        `Code running on CPU ${this.id} (${this.context} context, current task ${this.current.comm}) ` +
          `threw at ${this.#env.engine.now} ns: ${message}`,
        { cause: error },
      );
    }
  }

  #forgottenYield(): never {
    const call = [...this.unstartedCalls][0]!.call;
    this.unstartedCalls.clear();
    throw new ScenarioError(
      `Code running on CPU ${this.id} (${this.context} context, current task ${this.current.comm}) called ` +
        `ctx.${call}() without yield* at ${this.#env.engine.now} ns: the call never ran; write yield* ctx.${call}(...)`,
    );
  }

  #spend(strand: Strand, ns: number): void {
    const engine = this.#env.engine;
    this.#state = RunState.SPENDING;
    this.#spendingStrand = strand;
    this.#spendUntil = engine.now + ns;
    this.#next = engine.at(
      this.#spendUntil,
      this.#continuation,
      0,
      Priority.NORMAL,
      this.id,
      EventKind.SPEND_END,
    );
  }

  #pushFrame(kind: Frame["kind"], gen: Kernel): void {
    this.#frames.push({ kind, gen, remaining: 0, savedIrqsOff: this.irqsOff });
    this.irqsOff = true;
    this.#env.memory.fence(this.id); // interrupt entry serialises the CPU
  }

  #finish(strand: Strand): void {
    const frame = this.#frames[this.#frames.length - 1];
    if (frame === strand) {
      this.#frames.pop();
      this.irqsOff = frame.savedIrqsOff;
      return;
    }
    const task = this.current;
    doExit(this, task, this.#env.findings, this.#exitHooks);
    task.state = "dead";
    this.#schedule(false);
  }

  *#irqFrame(line: number): Kernel {
    const handler = this.#handlers[line];
    yield this.#env.irqEntryNs;
    if (handler === undefined) {
      this.#env.findings.warnOnOnce(
        this,
        "kernel/irq/handle.c",
        "handle_bad_irq",
        `no handler for line ${line}`,
      );
    } else yield* handler(this);
    yield this.#env.irqExitNs;
  }

  *#nmiFrame(body: Kernel): Kernel {
    const env = this.#env;
    yield env.irqEntryNs;
    env.trace.emit(this, { type: "nmi_entry" });
    yield* body;
    env.trace.emit(this, { type: "nmi_exit" });
    yield env.irqExitNs;
  }

  /** Kernel code called `schedule()`. */
  #scheduleCall(): void {
    const findings = this.#env.findings;
    if (this.#frames.length > 0) {
      findings.bug(this, `BUG: scheduling while atomic: ${this.#schedBugText()}`);
      return;
    }
    if (this.current !== this.idleTask && (this.current.preemptCount > 0 || this.irqsOff)) {
      findings.report(
        this,
        `BUG: scheduling while atomic: ${this.#schedBugText()}${
          this.irqsOff ? "\n(interrupts disabled)" : ""
        }`,
      );
    }
    this.#schedule(false);
  }

  /** `__schedule_bug()`'s `comm/pid/preempt_count`, with the count `schedule()` itself adds. */
  #schedBugText(): string {
    const t = this.current;
    return `${t.comm}/${t.pid}/0x${(this.preemptCountWord + 1).toString(16).padStart(8, "0")}`;
  }

  /**
   * `__schedule()`: take a sleeping or dead task off the queue, pick the best
   * runnable task, switch if it differs. `preempt` marks an involuntary switch.
   */
  #schedule(preempt: boolean): void {
    const env = this.#env;
    const prev = this.current;
    this.needResched = false;
    for (const hook of this.#scheduleHooks) hook(this);
    if (prev !== this.idleTask && prev.state !== "running" && !preempt) this.runQueue.dequeue(prev);
    const next = this.runQueue.first() ?? this.idleTask;
    if (next === prev) return;
    // __schedule(): a task that was still runnable was switched out involuntarily.
    if (preempt || prev.state === "running") prev.nivcsw++;
    else prev.nvcsw++;
    // __schedule() traces with interrupts off and the run-queue lock held: preempt depth 2.
    env.trace.emit(withState(this, { irqsOff: true, preemptDepth: 2 }), {
      type: "sched_switch",
      prevComm: prev.comm,
      prevPid: prev.pid,
      prevPrio: prev.prio,
      prevState: preempt ? "R+" : prev.state === "running" ? "R" : STATE_LETTER[prev.state],
      nextComm: next.comm,
      nextPid: next.pid,
      nextPrio: next.prio,
    });
    this.current = next;
    next.remaining += env.contextSwitchNs;
    next.sliceStart = env.engine.now;
  }

  /**
   * `cpu_relax()` in a spin loop whose last poll saw no change: the CPU time
   * to spend before the next poll. Step by step, that is one relax of `ns`.
   * With fast-forward it is as many relaxes as end before anything else can
   * happen: the next poll comes at the last poll instant before the next
   * pending event of any CPU (or timer, or interrupt arrival), the run's
   * horizon and `lastPollAt` (a poll the loop must make, e.g. the one that
   * reports a livelock). The polls skipped would have read the same words
   * and changed nothing, so traces, runs, findings and the clock are the
   * same as step by step; only their memory reads go unreported.
   */
  relax(ns: number, lastPollAt = Infinity): number {
    const env = this.#env;
    if (!env.fastForward) return ns;
    const now = env.engine.now;
    const until = Math.min(env.engine.peekTime() - 1, env.horizon, lastPollAt);
    if (!Number.isFinite(until) || until < now + 2 * ns) return ns;
    return Math.floor((until - now) / ns) * ns;
  }

  /** Preemption point for code that changed `needResched` or enabled preemption. */
  wantsPreempt(): boolean {
    return this.needResched && this.#frames.length === 0 && this.current.preemptCount === 0 && !this.irqsOff;
  }
}

/** Throw a clear error unless `cpu` names one of a machine's `n` CPUs. */
export function checkCpu(n: number, cpu: unknown, action: string): asserts cpu is number {
  if (typeof cpu !== "number") {
    throw new TypeError(`Cannot ${action} CPU ${describe(cpu)}: a CPU is a number 0..${n - 1}`);
  }
  if (!Number.isInteger(cpu) || cpu < 0 || cpu >= n) {
    throw new RangeError(`Cannot ${action} CPU ${cpu}: the machine has ${n} CPUs`);
  }
}

/** `preempt_enable()`: drop the count and reschedule here if something asked for it. */
export function* preemptEnable(cpu: Cpu): Kernel {
  cpu.current.preemptCount--;
  if (cpu.wantsPreempt()) yield STEP;
}

/**
 * An exception thrown by scenario code (a task body, an NMI handler, an irq_work callback).
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import { ScenarioError } from "./cpu.ts";
 * const m = createMachine({ arch: fixtureArch() });
 * m.spawn({ cpu: 0, name: "oops" }, () => {
 *   throw new Error("bad scenario");
 * });
 * try {
 *   m.runUntil(1_000_000);
 * } catch (e) {
 *   if (!(e instanceof ScenarioError) || !e.message.includes("current task oops")) throw e;
 * }
 * ```
 */
export class ScenarioError extends Error {
  /** Error name. */
  override name = "ScenarioError";
}

/**
 * `prev_state` letters of `sched_switch`. A task whose body returns has
 * exited as a process whose parent has not reaped it yet: `EXIT_ZOMBIE`, Z.
 */
const STATE_LETTER: Record<"interruptible" | "uninterruptible" | "dead", string> = {
  interruptible: "S",
  uninterruptible: "D",
  dead: "Z",
};
