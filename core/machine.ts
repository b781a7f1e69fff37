/**
 * The machine: builds the CPUs, fills the slots (arch, irq_work policy) and
 * holds the shared state every kernel path reaches through `cpu.machine`.
 *
 * @module
 */

import type { Arch, InterruptKind } from "./arch.ts";
import { Context } from "./context.ts";
import { Cpu } from "./cpu.ts";
import { Engine } from "./engine.ts";
import {
  type IrqWork,
  irqWorkInitHard,
  IrqWorkLists,
  type IrqWorkPolicy,
  irqWorkRun,
  NON_RT_POLICY,
} from "./irq_work.ts";
import { HALT, type Kernel, type MaybeKernel, runCallback, SCHEDULE, STEP } from "./kernel.ts";
import { PerCpu } from "./percpu.ts";
import { Random } from "./random.ts";
import { internalPrio, PRIO_IDLE, type SchedPolicy, Task } from "./sched.ts";
import { Smp } from "./smp.ts";
import { Ticks } from "./tick.ts";
import { DEFAULT_TIMING, fillSlot, type MachineOptions, type MachineTiming, validate } from "./options.ts";
import { KERNEL_PROFILES, type KernelProfile } from "./profile.ts";
import { Rcu } from "./rcu.ts";
import { smpbootThreadFn, type SmpHotplugThread } from "./smpboot.ts";
import { type LockingPolicy, NON_RT_LOCKING } from "./locking.ts";
import {
  type ContextKind,
  type Finding,
  formatEvent,
  type Observer,
  type TraceBody,
  type TraceEvent,
} from "./trace.ts";

/** One execution of an irq_work callback. */
export interface WorkRun {
  /** The work that ran. */
  readonly work: IrqWork;
  /** The CPU it ran on. */
  readonly cpu: number;
  /** The context its callback ran in. */
  readonly context: ContextKind;
  /** The current task (in hard-IRQ context: the interrupted one). */
  readonly task: { readonly comm: string; readonly pid: number; readonly prio: number };
  /** Interrupts were disabled when the callback started. */
  readonly irqsDisabled: boolean;
  /** The current task's preemption-disable depth when the callback started. */
  readonly preemptCount: number;
  /** When the claim that queued this run succeeded, in ns. */
  readonly queuedAt: number;
  /** When the callback started, in ns. */
  readonly startedAt: number;
  /** When the callback returned, in ns. */
  readonly endedAt: number;
}

/** Options of a task. */
export interface TaskOptions {
  /** The CPU the task is bound to. */
  readonly cpu: number;
  /** Task name (`comm`). */
  readonly name: string;
  /** Scheduling policy (default `other`). */
  readonly policy?: SchedPolicy;
  /** RT priority 1..99 for `fifo`/`rr` (0 for `other`). */
  readonly priority?: number;
  /** When the task is first woken, in ns (default 0). */
  readonly at?: number;
}

/** A task or NMI body: kernel code, a generator or a plain function, started when it first runs. */
export type TaskBody = (ctx: Context) => MaybeKernel;

/** `__might_resched()` prints at most once per second (HZ jiffies). */
const MIGHT_SLEEP_INTERVAL_NS = 1_000_000_000;
/** How many trace events a finding carries (the trace that led to it). */
const RECENT_EVENTS = 32;

/**
 * An emulated machine. Build one with {@linkcode createMachine}.
 */
export class Machine {
  /** The event engine. */
  readonly engine: Engine = new Engine();
  /** Seeded random numbers for scenarios and the explorer; the machine itself makes no random choice. */
  readonly random: Random;
  /** The `Arch` slot. */
  readonly arch: Arch;
  /** The irq_work policy slot. */
  readonly policy: IrqWorkPolicy;
  /** Kernel version profile: the answers that differ between versions. */
  readonly profile: KernelProfile;
  /** The locking policy slot (does `spinlock_t` sleep?). */
  readonly locking: LockingPolicy;
  /** RCU. */
  readonly rcu: Rcu;
  /** Every task ever spawned, idle tasks and kernel threads included. */
  readonly tasks: Task[] = [];
  /** Time costs. */
  readonly timing: MachineTiming;
  /** Idle mode. */
  readonly idleMode: "halt" | "poll";
  /** An SMP build (`CONFIG_SMP`). */
  readonly smpBuild: boolean;
  /** The CPUs. */
  readonly cpus: readonly Cpu[];
  /** One callback context per CPU. */
  readonly contexts: readonly Context[];
  /** irq_work's per-CPU lists. */
  readonly irqWork: IrqWorkLists;
  /** Per-CPU HARD work that wakes a CPU's lazy-list runner (`irq_work_wakeup`). */
  readonly irqWorkWakeup: PerCpu<IrqWork>;
  /** Cross-CPU calls. */
  readonly smp: Smp;
  /** Timers and ticks. */
  readonly tick: Ticks;
  /** Every irq_work callback run so far. */
  readonly runs: WorkRun[] = [];
  /** Every WARN/BUG so far. */
  readonly findings: Finding[] = [];
  /** Interrupts taken, by kind, per CPU. */
  readonly interrupts: Record<InterruptKind | "nmi", number[]>;
  /** A BUG stopped the machine. */
  panicked = false;

  #observers: Observer[] = [];
  #lineIndex: Map<InterruptKind, number>;
  #warnedOnce = new Set<string>();
  #nextPid = 1;
  #lastMightSleep = -Infinity;
  /** A ring of the last events, kept while anyone observes, for the trace a finding carries. */
  #recent: TraceEvent[] = [];
  #recentNext = 0;
  #lastCpu!: Cpu;

  /** @internal Use {@linkcode createMachine}. */
  constructor(options: MachineOptions) {
    const arch = validate(options);
    const n = options.cpus ?? 1;
    this.arch = arch;
    this.random = new Random(options.seed ?? 1);
    this.profile = KERNEL_PROFILES[options.kernel ?? "D"];
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.idleMode = options.idle ?? "halt";
    this.smpBuild = options.smp ?? n > 1;
    const plugins = options.plugins ?? [];
    this.policy = fillSlot(plugins, "irqWorkPolicy", "irq_work policy") ?? NON_RT_POLICY;
    this.locking = fillSlot(plugins, "locking", "locking") ?? NON_RT_LOCKING;
    this.rcu = new Rcu(this);
    this.#lineIndex = new Map(arch.lines.map((line, i) => [line.kind, i]));
    this.interrupts = { timer: [], reschedule: [], call_function_single: [], irq_work: [], nmi: [] };
    for (const counts of Object.values(this.interrupts)) counts.push(...new Array<number>(n).fill(0));
    this.irqWork = new IrqWorkLists(n);
    this.smp = new Smp(n);
    this.irqWorkWakeup = new PerCpu(
      n,
      (cpu) => irqWorkInitHard(() => this.policy.handleLazyList(this.cpus[cpu]!), "irq_work_wake"),
    );
    this.cpus = Array.from({ length: n }, (_, id) => {
      const idle = new Task({
        pid: 0,
        comm: `swapper/${id}`,
        cpu: id,
        policy: "other",
        prio: PRIO_IDLE,
        gen: STUB,
      });
      idle.state = "running";
      idle.preemptCount = 1;
      return new Cpu(this, id, idle);
    });
    for (const cpu of this.cpus) {
      cpu.idleTask.gen = this.#idleLoop(cpu);
      this.tasks.push(cpu.idleTask);
    }
    this.#lastCpu = this.cpus[0]!;
    this.contexts = this.cpus.map((cpu) => new Context(cpu));
    this.tick = new Ticks(this, options.hz ?? 250, options.nohz ?? true);
    for (const plugin of plugins) {
      for (const thread of plugin.threads ?? []) for (const cpu of this.cpus) this.#createThread(cpu, thread);
      for (const o of plugin.observers ?? []) this.observe(o);
      plugin.setup?.(this);
    }
    for (const cpu of this.cpus) cpu.start();
  }

  /** Attach an observer of every trace event; returns a function that detaches it. */
  observe(observer: Observer): () => void {
    this.#observers.push(observer);
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
    };
  }

  /** Emit a trace event on `cpu` (cheap when nobody observes). */
  emit(cpu: Cpu, body: TraceBody): void {
    if (this.#observers.length === 0) return;
    const task = cpu.current;
    const event = {
      time: this.engine.now,
      cpu: cpu.id,
      pid: task.pid,
      comm: task.comm,
      flags: cpu.traceFlags(),
      ...body,
    } as TraceEvent;
    this.#recent[this.#recentNext] = event;
    this.#recentNext = (this.#recentNext + 1) % RECENT_EVENTS;
    for (const observer of this.#observers) observer(event);
  }

  /** The index of the arch's line of `kind`; a clear error if the arch has none. */
  lineOf(kind: InterruptKind): number {
    const i = this.#lineIndex.get(kind);
    if (i === undefined) throw new Error(`Arch ${this.arch.name} has no ${kind} interrupt line`);
    return i;
  }

  /** Record a kernel WARN (the machine goes on). */
  warn(cpu: Cpu, message: string): void {
    this.#find(cpu, "WARN", message);
  }

  /** `WARN_ON_ONCE`: warn the first time `message` is hit on this machine. */
  warnOnce(cpu: Cpu, message: string): void {
    if (this.#warnedOnce.has(message)) return;
    this.#warnedOnce.add(message);
    this.#find(cpu, "WARN", message);
  }

  /**
   * `__might_resched()`'s report for code that may sleep but runs in atomic
   * context: "BUG: sleeping function called from invalid context at WHERE",
   * at most once a second of simulated time on the whole machine, as the
   * kernel rate-limits it.
   */
  mightSleep(cpu: Cpu, where: string): void {
    const now = this.engine.now;
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

  /**
   * Record a livelock the emulator detected (not a kernel message: the
   * kernel would just hang) and stop the machine.
   */
  livelock(cpu: Cpu, message: string): void {
    this.#find(cpu, "LIVELOCK", `livelock: ${message}`);
    this.#halt();
  }

  /**
   * Record a kernel BUG and stop the machine, as the kernel's BUG() stops the
   * CPU. Kernel code calls it through {@linkcode bugOn}, which never returns.
   */
  bug(cpu: Cpu, message: string): void {
    this.#find(cpu, "BUG", message);
    this.#halt();
  }

  /** Stop the machine for good: a BUG or a livelock. */
  #halt(): void {
    this.panicked = true;
    this.engine.stop();
  }

  #find(cpu: Cpu, level: Finding["level"], message: string): void {
    const task = cpu.current;
    this.findings.push({
      level,
      message,
      time: this.engine.now,
      cpu: cpu.id,
      context: cpu.context,
      comm: task.comm,
      pid: task.pid,
      trace: this.#recentTrace(),
    });
    this.emit(cpu, { type: "finding", level, message });
  }

  /** The last events before now, oldest first, as ftrace lines. */
  #recentTrace(): string[] {
    const lines: string[] = [];
    for (let i = 0; i < RECENT_EVENTS; i++) {
      const event = this.#recent[(this.#recentNext + i) % RECENT_EVENTS];
      if (event !== undefined) lines.push(formatEvent(event));
    }
    return lines;
  }

  /** @internal Record a callback run (called by the single step). */
  recordRun(run: WorkRun): void {
    this.runs.push(run);
  }

  /** Throw a clear error unless `cpu` names a CPU of this machine. */
  checkCpu(cpu: number, action: string): void {
    if (!Number.isInteger(cpu) || cpu < 0 || cpu >= this.cpus.length) {
      throw new RangeError(`Cannot ${action} CPU ${cpu}: the machine has ${this.cpus.length} CPUs`);
    }
  }

  /** Set `cpu`'s bit in `cpu_online_mask` (`set_cpu_online`); tasks and timers are untouched. */
  setCpuOnline(cpu: number, online: boolean): void {
    this.checkCpu(cpu, "set online state of");
    this.cpus[cpu]!.online = online;
  }

  /**
   * Take `cpu` down at time `at`, as CPU hotplug does: its stopper thread
   * (`migration/N`, FIFO 99) disables interrupts, clears the CPU's online
   * bit, runs the dying hooks (flush the call-single queue without warning,
   * then `irq_work_run()`, SPEC §8.4), and the CPU stops for good. Tasks bound
   * to it stay where they are (the kernel would migrate them; not modelled).
   */
  cpuDown(cpu: number, at: number): void {
    this.checkCpu(cpu, "take down");
    if (this.cpus.length === 1) throw new RangeError("Cannot take down CPU 0: it is the machine's only CPU");
    const target = this.cpus[cpu]!;
    this.spawn({ cpu, name: `migration/${cpu}`, policy: "fifo", priority: 99, at }, function* () {
      target.irqsOff = true;
      target.online = false;
      yield* smpcfdDyingCpu(target);
      target.dead = true;
      yield STEP;
    });
  }

  /** Send IPI `kind` from `cpu` to `target` through the arch; it arrives after the IPI latency. */
  *sendIpi(cpu: Cpu, target: number, kind: InterruptKind): Kernel {
    this.arch.sendIpi(cpu, this.cpus[target]!, kind);
    yield STEP;
  }

  /**
   * `set_nr_if_polling()`: if `target` is idle and polling, set its
   * need-resched and wake it without an IPI (SPEC §12.2). True if it did.
   */
  wakeIdleWithoutIpi(cpu: Cpu, target: number): boolean {
    const t = this.cpus[target]!;
    if (!t.polling || t === cpu) return false;
    t.needResched = true;
    t.kick();
    this.emit(cpu, { type: "sched_wake_idle_without_ipi", target });
    return true;
  }

  /**
   * `wake_up_process()` from code on `cpu`: make `task` runnable. A sleeping
   * task on an idle remote CPU is queued on that CPU's call-single queue
   * (`ttwu_queue_wakelist`); otherwise it is activated directly. Returns
   * false if it was already running.
   */
  *wakeUpProcess(cpu: Cpu, task: Task): Kernel<boolean> {
    yield STEP;
    if (task.state === "running" || task.state === "dead") return false;
    task.state = "running";
    if (task.onRq) return true;
    const target = this.cpus[task.cpu]!;
    if (target !== cpu && target.current === target.idleTask) {
      yield* this.smp.callSingleQueue(cpu, task.cpu, task, "sched_ttwu_pending", "ttwu_queue_wakelist");
      return true;
    }
    this.activateTask(cpu, task);
    if (target !== cpu && target.needResched) {
      if (!this.wakeIdleWithoutIpi(cpu, task.cpu)) yield* this.sendIpi(cpu, task.cpu, "reschedule");
    }
    if (cpu.wantsPreempt()) yield STEP; // try_to_wake_up()'s preempt_enable(): a better local task runs now
    return true;
  }

  /**
   * Wake `task` at once from code that takes no steps (the end of an RCU
   * grace period): activate it and, if it should preempt another CPU, send
   * that CPU a reschedule IPI.
   */
  wakeUpNow(cpu: Cpu, task: Task): void {
    if (task.state === "running" || task.state === "dead") return;
    task.state = "running";
    if (task.onRq) return;
    this.activateTask(cpu, task);
    const target = this.cpus[task.cpu]!;
    if (target === cpu || !target.needResched || this.wakeIdleWithoutIpi(cpu, task.cpu)) return;
    this.arch.sendIpi(cpu, target, "reschedule");
  }

  /** `ttwu_do_activate()`: put `task` on its CPU's run queue and ask for preemption if it is better. */
  activateTask(cpu: Cpu, task: Task): void {
    const target = this.cpus[task.cpu]!;
    target.runQueue.enqueue(task);
    this.emit(cpu, {
      type: "sched_wakeup",
      wakeComm: task.comm,
      wakePid: task.pid,
      prio: task.prio,
      targetCpu: task.cpu,
    });
    if (task.prio < target.current.prio) target.needResched = true;
  }

  /** Create a task; it is first woken at `options.at`. */
  spawn(options: TaskOptions, body: TaskBody): Task {
    const where = `Task "${options.name}"`;
    this.checkCpu(options.cpu, `spawn ${where} on`);
    const policy = options.policy ?? "other";
    if (policy !== "fifo" && policy !== "rr" && policy !== "other") {
      throw new RangeError(`${where}: unknown policy "${policy}" (use fifo, rr or other)`);
    }
    const prio = internalPrio(policy, options.priority ?? (policy === "other" ? 0 : 1), where);
    const cpu = this.cpus[options.cpu]!;
    const at = options.at ?? this.engine.now;
    if (!Number.isSafeInteger(at) || at < this.engine.now) {
      throw new RangeError(
        `${where}: start time ${at} ns must be a whole number of ns, not before now (${this.engine.now} ns)`,
      );
    }
    const task = new Task({
      pid: this.#nextPid++,
      comm: options.name,
      cpu: options.cpu,
      policy,
      prio,
      gen: STUB,
    });
    task.gen = deferred(body, this.contexts[options.cpu]!);
    this.tasks.push(task);
    this.tick.add(cpu.id, { expires: at, fn: (c) => this.wakeUpProcess(c, task) });
    return task;
  }

  /** Create `thread`'s task on `cpu`, asleep until its first wake-up (`__smpboot_create_thread`). */
  #createThread(cpu: Cpu, thread: SmpHotplugThread): void {
    const name = thread.comm.replace("%u", String(cpu.id));
    const prio = internalPrio(thread.policy, thread.priority, `Thread "${name}"`);
    const task = new Task({
      pid: this.#nextPid++,
      comm: name,
      cpu: cpu.id,
      policy: thread.policy,
      prio,
      gen: STUB,
    });
    task.gen = smpbootThreadFn(cpu, thread);
    this.tasks.push(task);
    thread.store(cpu, task);
  }

  /** Deliver an NMI to `cpu` at `at`, whose handler runs `body`. */
  nmi(cpu: number, at: number, body: TaskBody): void {
    this.checkCpu(cpu, "send an NMI to");
    const target = this.cpus[cpu]!;
    this.at(at, `NMI on CPU ${cpu}`, () => {
      target.raiseNmi(deferred(body, this.contexts[cpu]!));
    });
  }

  /** Run `fn` (outside any CPU) at time `at`; used for scenario scripting. */
  at(at: number, what: string, fn: () => void): void {
    if (!Number.isSafeInteger(at) || at < this.engine.now) {
      throw new RangeError(
        `Cannot ${what} at ${at} ns: time must be a whole number of ns, not before now (${this.engine.now} ns)`,
      );
    }
    this.engine.at(at, this.engine.register({ fire: fn }));
  }

  /**
   * Run until simulated time `ns`, or until a BUG stops the machine, or until
   * the modelled code livelocks (time stops advancing: recorded as a BUG
   * finding `livelock: ...`).
   */
  runUntil(ns: number): void {
    if (this.panicked) return;
    this.engine.runUntil(ns);
    if (this.engine.stalled) {
      this.livelock(
        this.#lastCpu,
        `simulated time stopped advancing at ${this.engine.now} ns (too many steps at one instant)`,
      );
    }
  }

  /** Run for `ns` more nanoseconds. */
  runFor(ns: number): void {
    if (!(ns >= 0)) throw new RangeError(`Cannot run for ${ns} ns: the duration must not be negative`);
    this.runUntil(this.engine.now + ns);
  }

  /** @internal The CPU whose code ran last (for findings not tied to a CPU's own check). */
  set lastCpu(cpu: Cpu) {
    this.#lastCpu = cpu;
  }

  /**
   * The idle task (`do_idle`): stop the tick if allowed, halt (or poll) until
   * something needs the CPU, then restart the tick, flush the call-single
   * queue and schedule.
   */
  *#idleLoop(cpu: Cpu): Kernel {
    const poll = this.idleMode === "poll";
    for (;;) {
      cpu.polling = poll;
      while (!cpu.needResched) {
        if (!poll) this.tick.idleStopTick(cpu); // idle=poll never stops the tick
        this.rcu.quiescent(cpu);
        yield HALT;
      }
      this.tick.idleExit(cpu);
      cpu.polling = false; // cleared before the flush: later senders send a real IPI
      cpu.irqsOff = true;
      yield* this.smp.flush(cpu, true);
      cpu.irqsOff = false;
      yield SCHEDULE;
    }
  }
}

/** The irq_work runner for the dying-CPU hook: flush without warning, then run (SPEC §8.4). */
export function* smpcfdDyingCpu(cpu: Cpu): Kernel {
  yield* cpu.machine.smp.flush(cpu, false);
  yield* irqWorkRun(cpu);
}

/**
 * Build a machine.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { tickOnly } from "../arch/tick_only/mod.ts";
 * const m = createMachine({ arch: tickOnly(), cpus: 2 });
 * m.runUntil(10_000_000);
 * ```
 */
export function createMachine(options: MachineOptions): Machine {
  return new Machine(options);
}

/** Run `body(ctx)` when the resulting generator is first resumed, not before. */
function* deferred(body: TaskBody, ctx: Context): Kernel {
  yield* runCallback(body(ctx));
}

/** Placeholder body replaced right after construction. */
const STUB: Kernel = (function* () {})();
