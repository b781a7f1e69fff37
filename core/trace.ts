/**
 * Typed trace events and the observer hub.
 *
 * Every event carries a typed header (time, CPU, current task, and the state
 * ftrace prints as its latency flags) and a typed body named after the kernel
 * tracepoint it models. Works, tasks and IPIs carry ids, so that a consumer
 * can link a queue to its run and an IPI's send to its arrival. Turning
 * events into text is a sink's job (plugins/ftrace), not the core's.
 *
 * Observers see events; they cannot change the simulation: the hub hands
 * them plain data and ignores what they return, and an event raised while
 * observers run (a checker's finding) is delivered after the current one,
 * whatever the order of the observers.
 *
 * @module
 */

/**
 * Where on the CPU code runs, innermost first.
 *
 * @example
 * ```ts
 * import type { ContextKind } from "./trace.ts";
 * const threaded: ContextKind = "task"; // where PREEMPT_RT runs plain works
 * void threaded;
 * ```
 */
export type ContextKind = "task" | "softirq" | "hardirq" | "nmi";

/** Where and when an event happened: what ftrace prints before the event name, as typed fields. */
export interface TraceHeader {
  /** Simulated time in nanoseconds. */
  readonly time: number;
  /** The CPU the event happened on. */
  readonly cpu: number;
  /** The current task's pid, its id (in interrupt context: the interrupted task). */
  readonly pid: number;
  /** The current task's name. */
  readonly comm: string;
  /** Local interrupts are disabled. */
  readonly irqsOff: boolean;
  /** `TIF_NEED_RESCHED` is set. */
  readonly needResched: boolean;
  /** Innermost context the CPU runs in. */
  readonly context: ContextKind;
  /** The current task's preemption-disable depth. */
  readonly preemptDepth: number;
  /** The current task's `migrate_disable()` depth. */
  readonly migrateDisable: number;
}

/** An irq_work was queued (emulator event; the kernel has no tracepoint here). */
export interface IrqWorkQueueEvent {
  /** Event name (the tracepoint). */
  readonly type: "irq_work_queue";
  /** The work's name. */
  readonly work: string;
  /** The work's id on this machine (see {@linkcode TraceHub.workId}). */
  readonly workId: number;
  /** The work's flag word after the claim. */
  readonly workFlags: number;
  /** The target CPU. */
  readonly target: number;
  /** Which list the work joined. */
  readonly list: "raised" | "lazy" | "call_single";
}

/** `ipi:ipi_send_cpu`: an IPI was requested (6.4+; irq_work's self-IPI uses it too). */
export interface IpiSendCpuEvent {
  /** Event name (the tracepoint). */
  readonly type: "ipi_send_cpu";
  /**
   * The IPI's id, carried by its {@linkcode IpiArriveEvent}; 0 when no IPI
   * follows this trace (6.4 traced each call-single entry this way).
   */
  readonly ipi: number;
  /** The target CPU. */
  readonly target: number;
  /** The kernel function that asked. */
  readonly callsite: string;
  /** The function the IPI will run; null for a reschedule IPI (ftrace prints `0x0`). */
  readonly callback: string | null;
}

/** `ipi:ipi_raise` (arm, arm64): an IPI is sent to the CPUs of a mask. */
export interface IpiRaiseEvent {
  /** Event name (the tracepoint). */
  readonly type: "ipi_raise";
  /** The IPI's id, carried by its {@linkcode IpiArriveEvent}. */
  readonly ipi: number;
  /** The target CPUs (ftrace prints them as a `%*pb` mask). */
  readonly targets: readonly number[];
  /** What the IPI is for, e.g. `IRQ work interrupts`. */
  readonly reason: string;
}

/** `csd:csd_queue_cpu`: an entry joined a CPU's call-single queue. */
export interface CsdQueueCpuEvent {
  /** Event name (the tracepoint). */
  readonly type: "csd_queue_cpu";
  /** The target CPU. */
  readonly target: number;
  /** The kernel function that asked. */
  readonly callsite: string;
  /** The function the entry will run. */
  readonly func: string;
}

/**
 * An IPI reached its target CPU and latched its interrupt line (emulator
 * event; the kernel has no tracepoint for the arrival, only for the handler's
 * entry, which may come later if interrupts are disabled).
 */
export interface IpiArriveEvent {
  /** Event name. */
  readonly type: "ipi_arrive";
  /** The id its send carried (`ipi_send_cpu`, `ipi_raise`). */
  readonly ipi: number;
  /** The CPU that sent it. */
  readonly from: number;
  /** What it asks the target to do. */
  readonly kind: string;
}

/** Hard-IRQ entry or exit of an arch interrupt vector (x86 `irq_work_entry: vector=246` style). */
export interface IrqVectorEvent {
  /** Event name (the tracepoint). */
  readonly type: "irq_vector_entry" | "irq_vector_exit";
  /** The arch's vector or IPI number. */
  readonly vector: number;
  /** The arch's tracepoint stem, e.g. `irq_work`, `local_timer`, `ipi`. */
  readonly name: string;
  /** What the arch prints after the colon, e.g. `vector=246` or `(IRQ work interrupts)`. */
  readonly detail: string;
}

/** NMI entry or exit (`nmi:nmi_handler` style). */
export interface NmiEvent {
  /** Event name (the tracepoint). */
  readonly type: "nmi_entry" | "nmi_exit";
}

/** An irq_work callback starts or ends (emulator event, in the style of `workqueue_execute_*`). */
export interface IrqWorkExecuteEvent {
  /** Event name (the tracepoint). */
  readonly type: "irq_work_execute_start" | "irq_work_execute_end";
  /** The work's name. */
  readonly work: string;
  /** The work's id on this machine: the same as in the {@linkcode IrqWorkQueueEvent} that queued it. */
  readonly workId: number;
  /** The work is HARD: lockdep sees its callback as hard-IRQ, not threaded (rule 6.2). */
  readonly hard: boolean;
}

/** `lock:lock_acquire` (lockdep): a lock is being taken. */
export interface LockAcquireEvent {
  /** Event name (the tracepoint). */
  readonly type: "lock_acquire";
  /** The lock's name. */
  readonly lock: string;
  /** `raw_spinlock_t` or `spinlock_t`. */
  readonly lockType: "raw_spinlock_t" | "spinlock_t";
  /** The lock may sleep (spinlock_t on PREEMPT_RT). */
  readonly sleeping: boolean;
}

/** `lock:lock_release`. */
export interface LockReleaseEvent {
  /** Event name (the tracepoint). */
  readonly type: "lock_release";
  /** The lock's name. */
  readonly lock: string;
}

/** `kmem:kmalloc` / `kmem:kfree`. */
export interface KmemEvent {
  /** Event name (the tracepoint). */
  readonly type: "kmalloc" | "kfree";
  /** The object's name. */
  readonly object: string;
}

/** `sched:sched_switch`. */
export interface SchedSwitchEvent {
  /** Event name (the tracepoint). */
  readonly type: "sched_switch";
  /** Name of the task switched out. */
  readonly prevComm: string;
  /** Pid of the task switched out. */
  readonly prevPid: number;
  /** Kernel-internal priority of the task switched out. */
  readonly prevPrio: number;
  /** `R`, `R+` (preempted), `S`, `D`, `X` as the kernel prints. */
  readonly prevState: string;
  /** Name of the task switched in. */
  readonly nextComm: string;
  /** Pid of the task switched in. */
  readonly nextPid: number;
  /** Kernel-internal priority of the task switched in. */
  readonly nextPrio: number;
}

/**
 * `sched:sched_waking` (on the waker's CPU, as `try_to_wake_up()` starts)
 * and `sched:sched_wakeup` (where the task is put on its run queue; also
 * used for a task's first wake-up, `sched_wakeup_new`).
 */
export interface SchedWakeupEvent {
  /** Event name (the tracepoint). */
  readonly type: "sched_wakeup" | "sched_waking";
  /** Name of the woken task. */
  readonly wakeComm: string;
  /** Pid of the woken task. */
  readonly wakePid: number;
  /** Kernel-internal priority of the woken task. */
  readonly prio: number;
  /** The CPU the task will run on. */
  readonly targetCpu: number;
}

/** `sched:sched_wake_idle_without_ipi`: a polling idle CPU was woken without an IPI. */
export interface SchedWakeIdleEvent {
  /** Event name (the tracepoint). */
  readonly type: "sched_wake_idle_without_ipi";
  /** The target CPU. */
  readonly target: number;
}

/** The periodic tick fired (`timer:hrtimer_expire_entry` of the tick timer). */
export interface TickEvent {
  /** Event name (the tracepoint). */
  readonly type: "tick";
  /** jiffies after this tick. */
  readonly jiffies: number;
}

/** `timer:hrtimer_start`: a named timer was started (not a callback's own re-arm). */
export interface HrtimerStartEvent {
  /** Event name (the tracepoint). */
  readonly type: "hrtimer_start";
  /** The timer's id on this machine (for the kernel's hashed pointer). */
  readonly timer: number;
  /** Its callback. */
  readonly function: string;
  /** Absolute expiry, ns. */
  readonly expires: number;
  /** The mode, as the kernel prints it (`ABS|PINNED|HARD`, `REL`). */
  readonly mode: string;
}

/** `timer:hrtimer_expire_entry` / `timer:hrtimer_expire_exit`: a named timer's callback runs. */
export interface HrtimerExpireEvent {
  /** Event name (the tracepoint). */
  readonly type: "hrtimer_expire_entry" | "hrtimer_expire_exit";
  /** The timer's id on this machine. */
  readonly timer: number;
  /** Its callback (entry only). */
  readonly function?: string;
  /** The time the interrupt handler read, ns (entry only). */
  readonly now?: number;
}

/** `timer:tick_stop`: the idle CPU stopped its tick. */
export interface TickStopEvent {
  /** Event name (the tracepoint). */
  readonly type: "tick_stop";
  /** Whether the tick was stopped. */
  readonly success: boolean;
}

/** A kernel WARN or BUG the modelled code hit; see {@linkcode Finding}. */
export interface FindingEvent {
  /** Event name (the tracepoint). */
  readonly type: "finding";
  /** See {@linkcode Finding.level}. */
  readonly level: Finding["level"];
  /** See {@linkcode Finding.fatal}. */
  readonly fatal: boolean;
  /** What the kernel would print. */
  readonly message: string;
}

/** The body of any trace event. */
export type TraceBody =
  | IrqWorkQueueEvent
  | IpiSendCpuEvent
  | IpiRaiseEvent
  | IpiArriveEvent
  | CsdQueueCpuEvent
  | IrqVectorEvent
  | NmiEvent
  | IrqWorkExecuteEvent
  | SchedSwitchEvent
  | LockAcquireEvent
  | LockReleaseEvent
  | KmemEvent
  | SchedWakeupEvent
  | SchedWakeIdleEvent
  | TickEvent
  | HrtimerStartEvent
  | HrtimerExpireEvent
  | TickStopEvent
  | FindingEvent;

/**
 * A whole trace event.
 *
 * @example
 * ```ts
 * import type { TraceEvent } from "./trace.ts";
 * function describe(e: TraceEvent): string {
 *   return e.type === "irq_work_execute_start" ? `work ${e.workId} (${e.work}) starts on CPU ${e.cpu}` : e.type;
 * }
 * void describe;
 * ```
 */
export type TraceEvent = TraceHeader & TraceBody;

/**
 * A function that receives every trace event.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import type { Observer } from "./trace.ts";
 * const switches: string[] = [];
 * const watch: Observer = (e) => void (e.type === "sched_switch" && switches.push(e.nextComm));
 * const m = createMachine({ arch: fixtureArch() });
 * m.observe(watch);
 * m.spawn({ cpu: 0, name: "t" }, () => {});
 * m.runUntil(1_000_000);
 * if (switches.join() !== "t,swapper/0") throw new Error(switches.join());
 * ```
 */
export type Observer = (event: TraceEvent) => void;

/**
 * A kernel rule the modelled code violated (WARN/BUG), recorded, not thrown:
 * the emulator keeps the evidence and (for BUG) stops the machine.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import { irqWorkInit } from "./irq_work.ts";
 * const m = createMachine({ arch: fixtureArch() });
 * m.spawn({ cpu: 0, name: "t" }, function* (ctx) {
 *   yield* ctx.irqDisable();
 *   yield* ctx.sync(irqWorkInit(() => {})); // lockdep: interrupts must be on
 *   yield* ctx.irqEnable();
 * });
 * m.runUntil(1_000_000);
 * const f = m.findings[0]!;
 * if (f.level !== "WARN" || f.fatal || !f.title.startsWith("WARNING: CPU: 0 PID: 7 at kernel/irq_work.c")) {
 *   throw new Error(f.message);
 * }
 * ```
 */
export interface Finding {
  /**
   * The severity, as the kernel's title says it:
   *
   * - `WARN`: a `WARNING:` splat (`WARN_ON()`): a condition the kernel
   *   tolerates but should not meet; it goes on.
   * - `BUG`: a `BUG:` or `kernel BUG` report: the code is wrong (sleeping
   *   in atomic context, a use after free, an invalid lock nesting, a
   *   failed `BUG_ON()`). Most such reports let the kernel go on; see
   *   {@linkcode Finding.fatal}.
   * - `LIVELOCK`: the emulator saw the modelled code make no progress (the
   *   kernel would just hang); always fatal.
   */
  readonly level: "WARN" | "BUG" | "LIVELOCK";
  /** The machine stopped here (`BUG()`, a panic, a livelock), as the kernel would. */
  readonly fatal: boolean;
  /** The kernel's own title: the first line it prints, e.g. `BUG: sleeping function called from invalid context at kernel/irq_work.c`. */
  readonly title: string;
  /** What the kernel would print (for `LIVELOCK`, the emulator's diagnosis). */
  readonly message: string;
  /** When, in ns. */
  readonly time: number;
  /** On which CPU. */
  readonly cpu: number;
  /** In which context. */
  readonly context: ContextKind;
  /** The current task's name. */
  readonly comm: string;
  /** The current task's pid. */
  readonly pid: number;
  /**
   * The trace that led here: the last events of the machine (all CPUs),
   * oldest first. Empty unless a tracer, checker or other observer was
   * attached, since events are only made for observers.
   */
  readonly trace: readonly TraceEvent[];
}

/** What the hub reads from a CPU to stamp an event's header (see {@linkcode withState}). */
export interface TraceSource {
  /** CPU number. */
  readonly id: number;
  /** Local interrupts disabled. */
  readonly irqsOff: boolean;
  /** `TIF_NEED_RESCHED`. */
  readonly needResched: boolean;
  /** Innermost context. */
  readonly context: ContextKind;
  /** The current task. */
  readonly current: {
    readonly pid: number;
    readonly comm: string;
    readonly preemptCount: number;
    readonly migrateDisable: number;
    /** `rcu_read_lock()` nesting (preemptible RCU). */
    readonly rcuNesting?: number;
  };
}

/**
 * `cpu` as a tracepoint sees it where the kernel's state differs from the
 * model's at that instant: `sched_switch` runs with interrupts off and the
 * run-queue lock held (preempt depth 2), `tick_stop` with interrupts off.
 */
export function withState(
  cpu: TraceSource,
  state: { readonly irqsOff: boolean; readonly preemptDepth: number },
): TraceSource {
  const task = cpu.current;
  return {
    id: cpu.id,
    irqsOff: state.irqsOff,
    needResched: cpu.needResched,
    context: cpu.context,
    current: {
      pid: task.pid,
      comm: task.comm,
      preemptCount: state.preemptDepth,
      migrateDisable: task.migrateDisable,
    },
  };
}

/** How many trace events a finding carries (the trace that led to it). */
export const RECENT_EVENTS = 32;

/**
 * The observer hub of one machine: stamps events, keeps the last
 * {@linkcode RECENT_EVENTS} for findings, and hands each event to every
 * observer in order. Making an event costs nothing while nobody observes.
 */
export class TraceHub {
  #now: () => number;
  #observers: Observer[] = [];
  #pending: TraceEvent[] = [];
  #dispatching = false;
  #recent: TraceEvent[] = [];
  #recentNext = 0;
  /** Made on first use: a weak map is costly to make, and a machine without observers never asks. */
  #workIds: WeakMap<object, number> | null = null;
  #nextWorkId = 1;
  #nextIpiId = 1;

  /** A hub whose events are stamped with the time `now()` returns. */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** Someone observes: events are worth making. */
  get active(): boolean {
    return this.#observers.length > 0;
  }

  /** Attach an observer of every event; returns a function that detaches it. */
  observe(observer: Observer): () => void {
    this.#observers.push(observer);
    return () => {
      this.#observers = this.#observers.filter((o) => o !== observer);
    };
  }

  /** Emit an event on `cpu`. Raised while observers run, it is delivered after the current event. */
  emit(cpu: TraceSource, body: TraceBody): void {
    if (this.#observers.length === 0) return;
    const task = cpu.current;
    const event = {
      time: this.#now(),
      cpu: cpu.id,
      pid: task.pid,
      comm: task.comm,
      irqsOff: cpu.irqsOff,
      needResched: cpu.needResched,
      context: cpu.context,
      preemptDepth: task.preemptCount,
      migrateDisable: task.migrateDisable,
      ...body,
    } as TraceEvent;
    this.#recent[this.#recentNext] = event;
    this.#recentNext = (this.#recentNext + 1) % RECENT_EVENTS;
    if (this.#dispatching) {
      this.#pending.push(event);
      return;
    }
    this.#dispatching = true;
    try {
      this.#deliver(event);
      for (let i = 0; i < this.#pending.length; i++) this.#deliver(this.#pending[i]!);
    } finally {
      this.#pending.length = 0;
      this.#dispatching = false;
    }
  }

  #deliver(event: TraceEvent): void {
    for (const observer of this.#observers) observer(event);
  }

  /** The last events (all CPUs), oldest first. */
  recent(): TraceEvent[] {
    const events: TraceEvent[] = [];
    for (let i = 0; i < RECENT_EVENTS; i++) {
      const event = this.#recent[(this.#recentNext + i) % RECENT_EVENTS];
      if (event !== undefined) events.push(event);
    }
    return events;
  }

  /** A work's id on this machine: numbered in the order the machine first meets them, from 1. */
  workId(work: object): number {
    const ids = this.#workIds ??= new WeakMap();
    let id = ids.get(work);
    if (id === undefined) ids.set(work, id = this.#nextWorkId++);
    return id;
  }

  /** A fresh IPI id, from 1. */
  nextIpiId(): number {
    return this.#nextIpiId++;
  }
}

/**
 * A CPU mask as the kernel's `%*pb` prints it for `cpus` possible CPUs
 * (`ipi_raise`'s `target_mask`): hex, in 32-bit groups separated by commas,
 * the first group as wide as its bits need. Shared by the trace sinks.
 *
 * @example
 * ```ts
 * import { formatCpumask } from "./trace.ts";
 * if (formatCpumask([0, 33], 40) !== "02,00000001") throw new Error(formatCpumask([0, 33], 40));
 * ```
 */
export function formatCpumask(targets: readonly number[], cpus: number): string {
  const groups: string[] = [];
  for (let base = Math.floor((cpus - 1) / 32) * 32; base >= 0; base -= 32) {
    const bits = Math.min(32, cpus - base);
    let word = 0;
    for (const cpu of targets) if (cpu >= base && cpu < base + 32) word += 2 ** (cpu - base);
    groups.push(word.toString(16).padStart(groups.length === 0 ? Math.ceil(bits / 4) : 8, "0"));
  }
  return groups.join(",");
}
