/**
 * One emulated CPU: the code it runs, its interrupt state and its scheduler.
 *
 * A CPU runs one *strand* of kernel code at a time: the current task's, or
 * the innermost interrupt frame's. Strands are generators that yield
 * {@linkcode Op}s; the CPU is the engine process that resumes them. An
 * interrupt that arrives while interrupts are enabled cuts into the current
 * spend, pushes a frame and resumes the spend after the frame returns; one
 * that arrives while they are disabled is latched and delivered at the next
 * step after they are enabled (SPEC §14 emulator hint).
 *
 * @module
 */

import { type EventHandler, Priority } from "./engine.ts";
import { HALT, type Kernel, SCHEDULE, STEP } from "./kernel.ts";
import { RunQueue, type Task } from "./sched.ts";
import type { ContextKind } from "./trace.ts";
import type { InterruptLine } from "./arch.ts";
import type { Machine } from "./machine.ts";

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

/** An emulated CPU. Created by the machine builder. */
export class Cpu implements EventHandler {
  /** CPU number. */
  readonly id: number;
  /** In `cpu_online_mask` (see {@linkcode Machine.setCpuOnline}). */
  online = true;
  /** Taken down (see {@linkcode Machine.cpuDown}): runs nothing more, interrupts stay latched. */
  dead = false;
  /** Local interrupts disabled. */
  irqsOff = false;
  /** `TIF_NEED_RESCHED` of the current task. */
  needResched = false;
  /** `TIF_POLLING_NRFLAG` of the idle task: polling idle, woken by need-resched without an IPI. */
  polling = false;
  /** The task whose context is at the bottom of the CPU (idle when nothing else runs). */
  current: Task;
  /** This CPU's idle task (`swapper/N`, pid 0). */
  readonly idleTask: Task;
  /** Runnable tasks other than idle, best first. */
  readonly runQueue: RunQueue = new RunQueue();

  /** The machine this CPU belongs to: kernel code reaches shared state through it. */
  readonly machine: Machine;
  #machine: Machine;
  #frames: Frame[] = [];
  #pendingLines = 0;
  #pendingNmis: Kernel[] = [];
  #state = RunState.STEPPING;
  #spendUntil = 0;
  #spendingStrand: Strand | null = null;
  #epoch = 0;
  #continuation: number;
  #arrival: number;

  /** @internal Built by the machine, which then calls {@linkcode Cpu.start}. */
  constructor(machine: Machine, id: number, idleTask: Task) {
    this.machine = machine;
    this.#machine = machine;
    this.id = id;
    this.idleTask = idleTask;
    this.current = idleTask;
    this.#continuation = machine.engine.register(this);
    this.#arrival = machine.engine.register({ fire: (line) => this.#arrive(line) });
  }

  /** Start running at time 0. */
  start(): void {
    this.#machine.engine.at(0, this.#continuation, this.#epoch);
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

  /** The five ftrace latency flag characters for the current state. */
  traceFlags(): string {
    const nmi = this.inNmi;
    const hard = this.#frames.length > 0;
    const ctx = nmi ? "Z" : hard ? "h" : ".";
    const depth = this.current.preemptCount;
    return (this.irqsOff ? "d" : ".") + (this.needResched ? "N" : ".") + ctx +
      (depth === 0 ? "." : (depth & 0xf).toString(16)) + (this.current.migrateDisable === 0 ? "." : "1");
  }

  /**
   * Latch interrupt `line` on this CPU after `delay` ns, as hardware does when
   * an IPI or timer interrupt arrives. Delivery waits for interrupts to be on.
   */
  raiseLine(line: number, delay = 0): void {
    this.#machine.engine.after(delay, this.#arrival, line, Priority.HARDWARE);
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
  fire(epoch: number): void {
    if (epoch !== this.#epoch) return;
    this.#machine.lastCpu = this;
    this.#run();
  }

  #arrive(line: number): void {
    this.#pendingLines |= 1 << line;
    this.#interruptible(false);
  }

  /** An interrupt is latched: cut into a spend or a halt if it can be delivered now. */
  #interruptible(nmi: boolean): void {
    if (this.irqsOff && !nmi) return;
    if (this.#state === RunState.SPENDING) {
      this.#spendingStrand!.remaining = this.#spendUntil - this.#machine.engine.now;
      this.#spendingStrand = null;
      this.#continueNow();
    } else if (this.#state === RunState.HALTED) {
      this.#continueNow();
    }
  }

  #continueNow(): void {
    this.#state = RunState.STEPPING;
    this.#machine.engine.at(this.#machine.engine.now, this.#continuation, ++this.#epoch, Priority.HARDWARE);
  }

  #run(): void {
    const m = this.#machine;
    const engine = m.engine;
    this.#state = RunState.RUNNING;
    for (;;) {
      if (m.panicked || this.dead) return;
      if (this.#pendingNmis.length > 0 && !this.inNmi) {
        this.#pushFrame("nmi", this.#nmiFrame(this.#pendingNmis.shift()!));
        continue;
      }
      if (this.#pendingLines !== 0 && !this.irqsOff) {
        const line = 31 - Math.clz32(this.#pendingLines & -this.#pendingLines);
        this.#pendingLines &= ~(1 << line);
        this.#pushFrame("hardirq", this.#irqFrame(m.arch.lines[line]!));
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
        this.#state = RunState.STEPPING;
        engine.at(engine.now, this.#continuation, this.#epoch);
        return;
      }
      if (op === SCHEDULE) {
        this.#scheduleCall();
        continue;
      }
      if (op === HALT) {
        this.irqsOff = false;
        if (this.#pendingLines !== 0 || this.#pendingNmis.length > 0 || this.needResched) continue;
        this.#state = RunState.HALTED;
        return;
      }
      throw new Error(`CPU ${this.id}: kernel code yielded ${op}, which is not an Op`);
    }
  }

  /** Resume `strand`; an exception from scenario code becomes an error that says where it happened. */
  #resume(strand: Strand): IteratorResult<number, void> {
    try {
      return strand.gen.next();
    } catch (error) {
      if (error instanceof ScenarioError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new ScenarioError(
        `Code running on CPU ${this.id} (${this.context} context, current task ${this.current.comm}) ` +
          `threw at ${this.#machine.engine.now} ns: ${message}`,
        { cause: error },
      );
    }
  }

  #spend(strand: Strand, ns: number): void {
    const engine = this.#machine.engine;
    this.#state = RunState.SPENDING;
    this.#spendingStrand = strand;
    this.#spendUntil = engine.now + ns;
    engine.at(this.#spendUntil, this.#continuation, this.#epoch);
  }

  #pushFrame(kind: Frame["kind"], gen: Kernel): void {
    this.#frames.push({ kind, gen, remaining: 0, savedIrqsOff: this.irqsOff });
    this.irqsOff = true;
  }

  #finish(strand: Strand): void {
    const frame = this.#frames[this.#frames.length - 1];
    if (frame === strand) {
      this.#frames.pop();
      this.irqsOff = frame.savedIrqsOff;
      return;
    }
    const task = this.current;
    task.state = "dead";
    this.#schedule(false);
  }

  *#irqFrame(line: InterruptLine): Kernel {
    const m = this.#machine;
    yield m.arch.timing.irqEntryNs;
    m.emit(this, {
      type: "irq_vector_entry",
      vector: line.vector,
      name: line.name,
      detail: line.entryDetail,
    });
    m.interrupts[line.kind][this.id]!++;
    yield* m.arch.handle(this, line);
    m.emit(this, { type: "irq_vector_exit", vector: line.vector, name: line.name, detail: line.exitDetail });
    yield m.arch.timing.irqExitNs;
  }

  *#nmiFrame(body: Kernel): Kernel {
    const m = this.#machine;
    yield m.arch.timing.irqEntryNs;
    m.interrupts.nmi[this.id]!++;
    m.emit(this, { type: "nmi_entry" });
    yield* body;
    m.emit(this, { type: "nmi_exit" });
    yield m.arch.timing.irqExitNs;
  }

  /** Kernel code called `schedule()`. */
  #scheduleCall(): void {
    const m = this.#machine;
    if (this.#frames.length > 0) {
      m.bug(this, "BUG: scheduling while atomic: called from interrupt context");
      return;
    }
    if (this.current !== this.idleTask && (this.current.preemptCount > 0 || this.irqsOff)) {
      m.warn(
        this,
        `BUG: scheduling while atomic: ${this.current.comm}/${this.current.pid}/0x${
          this.current.preemptCount.toString(16).padStart(8, "0")
        }${this.irqsOff ? " (interrupts disabled)" : ""}`,
      );
    }
    this.#schedule(false);
  }

  /**
   * `__schedule()`: take a sleeping or dead task off the queue, pick the best
   * runnable task, switch if it differs. `preempt` marks an involuntary switch.
   */
  #schedule(preempt: boolean): void {
    const m = this.#machine;
    const prev = this.current;
    this.needResched = false;
    m.rcu.quiescent(this);
    if (prev !== this.idleTask && prev.state !== "running" && !preempt) this.runQueue.dequeue(prev);
    const next = this.runQueue.first() ?? this.idleTask;
    if (next === prev) return;
    m.emit(this, {
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
    next.remaining += m.timing.contextSwitchNs;
    m.tick.sliceStarted(this.id);
  }

  /** Preemption point for code that changed `needResched` or enabled preemption. */
  wantsPreempt(): boolean {
    return this.needResched && this.#frames.length === 0 && this.current.preemptCount === 0 && !this.irqsOff;
  }
}

/** An exception thrown by scenario code (a task body, an NMI handler, an irq_work callback). */
export class ScenarioError extends Error {
  /** Error name. */
  override name = "ScenarioError";
}

const STATE_LETTER: Record<"interruptible" | "uninterruptible" | "dead", string> = {
  interruptible: "S",
  uninterruptible: "D",
  dead: "X",
};
