/**
 * Typed trace events and the observer hub.
 *
 * Every event carries the header ftrace prints (time, CPU, current task,
 * the latency flags) and a typed body named after the kernel tracepoint it
 * models. Observers see events; they cannot change the simulation, since the
 * hub hands them plain data and ignores what they return.
 *
 * @module
 */

/** Where on the CPU code runs, innermost first. */
export type ContextKind = "task" | "softirq" | "hardirq" | "nmi";

/** The part of every event that ftrace prints before the event name. */
export interface TraceHeader {
  /** Simulated time in nanoseconds. */
  readonly time: number;
  /** The CPU the event happened on. */
  readonly cpu: number;
  /** The current task's pid (in interrupt context: the interrupted task). */
  readonly pid: number;
  /** The current task's name. */
  readonly comm: string;
  /** The five latency flags: irqs-off, need-resched, hardirq/softirq, preempt-depth, migrate-disable. */
  readonly flags: string;
}

/** An irq_work was queued (emulator event; the kernel has no tracepoint here). */
export interface IrqWorkQueueEvent {
  /** Event name (the tracepoint). */
  readonly type: "irq_work_queue";
  /** The work's name. */
  readonly work: string;
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
  /** The target CPU. */
  readonly target: number;
  /** The kernel function that asked. */
  readonly callsite: string;
  /** The function the IPI will run. */
  readonly callback: string;
}

/** `ipi:ipi_raise` (arm, arm64): an IPI is sent to the CPUs of a mask. */
export interface IpiRaiseEvent {
  /** Event name (the tracepoint). */
  readonly type: "ipi_raise";
  /** The target mask as `%*pb` prints it, e.g. `2` or `00000000,00000002`. */
  readonly targetMask: string;
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
  /** The work is HARD: lockdep sees its callback as hard-IRQ, not threaded (SPEC §6.2). */
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

/** `sched:sched_wakeup` (also used for a task's first wake-up, `sched_wakeup_new`). */
export interface SchedWakeupEvent {
  /** Event name (the tracepoint). */
  readonly type: "sched_wakeup";
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
  /** What the kernel would print. */
  readonly message: string;
}

/** The body of any trace event. */
export type TraceBody =
  | IrqWorkQueueEvent
  | IpiSendCpuEvent
  | IpiRaiseEvent
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
  | TickStopEvent
  | FindingEvent;

/** A whole trace event. */
export type TraceEvent = TraceHeader & TraceBody;

/** A function that receives every trace event. */
export type Observer = (event: TraceEvent) => void;

/**
 * A kernel rule the modelled code violated (WARN/BUG), recorded, not thrown:
 * the emulator keeps the evidence and (for BUG) stops the machine.
 */
export interface Finding {
  /**
   * `WARN`: the kernel warned and went on. `BUG`: the kernel stopped (the
   * machine stops too). `LIVELOCK`: the emulator saw the modelled code make
   * no progress (the kernel would just hang); the machine stops.
   */
  readonly level: "WARN" | "BUG" | "LIVELOCK";
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
   * The trace that led here: the last events of the machine (all CPUs) as
   * ftrace lines, oldest first. Empty unless a tracer, checker or other
   * observer was attached, since events are only made for observers.
   */
  readonly trace: readonly string[];
}

/** Format a trace event's body as ftrace prints it: `name: fields`. */
export function formatBody(e: TraceBody): string {
  switch (e.type) {
    case "irq_work_queue":
      return `irqemu_irq_work_queue: work=${e.work} flags=0x${
        e.workFlags.toString(16)
      } cpu=${e.target} list=${e.list}`;
    case "ipi_send_cpu":
      return `ipi_send_cpu: cpu=${e.target} callsite=${e.callsite} callback=${e.callback}`;
    case "ipi_raise":
      return `ipi_raise: target_mask=${e.targetMask} (${e.reason})`;
    case "csd_queue_cpu":
      return `csd_queue_cpu: cpu=${e.target} callsite=${e.callsite} func=${e.func}`;
    case "irq_vector_entry":
      return `${e.name}_entry: ${e.detail}`;
    case "irq_vector_exit":
      return `${e.name}_exit: ${e.detail}`;
    case "nmi_entry":
      return "irqemu_nmi_entry";
    case "nmi_exit":
      return "irqemu_nmi_exit";
    case "irq_work_execute_start":
      return `irqemu_irq_work_execute_start: work=${e.work}${e.hard ? " hard" : ""}`;
    case "irq_work_execute_end":
      return `irqemu_irq_work_execute_end: work=${e.work}`;
    case "lock_acquire":
      return `lock_acquire: ${e.lock}`;
    case "lock_release":
      return `lock_release: ${e.lock}`;
    case "kmalloc":
      return `irqemu_kmalloc: object=${e.object}`;
    case "kfree":
      return `irqemu_kfree: object=${e.object}`;
    case "sched_switch":
      return `sched_switch: prev_comm=${e.prevComm} prev_pid=${e.prevPid} prev_prio=${e.prevPrio} ` +
        `prev_state=${e.prevState} ==> next_comm=${e.nextComm} next_pid=${e.nextPid} next_prio=${e.nextPrio}`;
    case "sched_wakeup":
      return `sched_wakeup: comm=${e.wakeComm} pid=${e.wakePid} prio=${e.prio} target_cpu=${
        pad3(e.targetCpu)
      }`;
    case "sched_wake_idle_without_ipi":
      return `sched_wake_idle_without_ipi: cpu=${e.target}`;
    case "tick":
      return `irqemu_tick: jiffies=${e.jiffies}`;
    case "tick_stop":
      return `tick_stop: success=${e.success ? 1 : 0} dependency=NONE`;
    case "finding":
      return `irqemu_finding: ${e.level}: ${e.message.split("\n")[0]}`;
  }
}

/** Format a whole event as one ftrace text line (`comm-pid [cpu] flags seconds.micros: body`). */
export function formatEvent(e: TraceEvent): string {
  const comm = e.pid === 0 ? "<idle>" : e.comm;
  const task = `${comm.padStart(16)}-${String(e.pid).padEnd(7)}`;
  const us = Math.floor(e.time / 1000);
  const stamp = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}`.padStart(12);
  return `${task} [${pad3(e.cpu)}] ${e.flags} ${stamp}: ${formatBody(e)}`;
}

/**
 * The header ftrace prints at the top of a trace file, so the columns read
 * without a manual: `entries` lines were kept (none lost), from `cpus` CPUs.
 */
export function ftraceHeader(entries: number, cpus: number): string {
  return [
    "# tracer: nop",
    "#",
    `# entries-in-buffer/entries-written: ${entries}/${entries}   #P:${cpus}`,
    "#",
    "#                                _-----=> irqs-off/BH-disabled",
    "#                               / _----=> need-resched",
    "#                              | / _---=> hardirq/softirq",
    "#                              || / _--=> preempt-depth",
    "#                              ||| / _-=> migrate-disable",
    "#                              |||| /     delay",
    "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
    "#              | |         |   |||||     |         |",
  ].join("\n");
}

/**
 * A one-CPU mask as the kernel's `%*pb` prints it for `cpus` possible CPUs:
 * hex, in 32-bit groups separated by commas, the first group as wide as its bits need.
 */
export function formatCpumask(cpu: number, cpus: number): string {
  const groups: string[] = [];
  for (let base = Math.floor((cpus - 1) / 32) * 32; base >= 0; base -= 32) {
    const bits = Math.min(32, cpus - base);
    const word = cpu >= base && cpu < base + 32 ? 2 ** (cpu - base) : 0;
    groups.push(word.toString(16).padStart(groups.length === 0 ? Math.ceil(bits / 4) : 8, "0"));
  }
  return groups.join(",");
}

function pad3(n: number): string {
  return String(n).padStart(3, "0");
}
