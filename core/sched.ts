/**
 * Tasks and per-CPU run queues: SCHED_FIFO and SCHED_RR at priorities 1..99
 * above SCHED_OTHER, an idle task below everything.
 *
 * Priorities use the kernel's internal scale, where lower is better:
 * `prio = 99 - rt_priority` for real-time tasks, 120 for SCHED_OTHER and for
 * the idle task (which is below everything by its class, not its prio), so
 * `sched_switch` lines read as the kernel's (`prio=49` for FIFO 50).
 *
 * @module
 */

import { Cell } from "./atomic.ts";
import { describe, hasControl } from "./describe.ts";
import type { Kernel } from "./kernel.ts";
import type { LlistNode } from "./llist.ts";

/**
 * Scheduling policy of a task.
 *
 * @example
 * ```ts
 * import type { SchedPolicy } from "./sched.ts";
 * const policies: SchedPolicy[] = ["fifo", "rr", "other"];
 * void policies;
 * ```
 */
export type SchedPolicy = "fifo" | "rr" | "other";

/** `TASK_RUNNING`, sleeping states and `TASK_DEAD`. */
export type TaskState = "running" | "interruptible" | "uninterruptible" | "dead";

/** Internal priority of SCHED_OTHER tasks (nice 0). */
export const PRIO_OTHER = 120;
/**
 * Internal priority of the idle task, as `swapper/N` shows it (nice 0): the
 * idle task sits in its own class below every other, whatever its prio.
 */
export const PRIO_IDLE = 120;
/** Call-single queue type of a queued remote wake-up (`CSD_TYPE_TTWU`). */
export const CSD_TYPE_TTWU = 0x30;

/** A schedulable task, bound to one CPU. */
export class Task implements LlistNode {
  /** Process id; 0 for the idle tasks. */
  readonly pid: number;
  /** Task name (`comm`). */
  readonly comm: string;
  /** The CPU this task is bound to. */
  readonly cpu: number;
  /** Scheduling policy. */
  readonly policy: SchedPolicy;
  /** Effective kernel-internal priority (lower is better); raised by priority inheritance. */
  prio: number;
  /** The priority the task's policy gives it (`normal_prio`). */
  readonly normalPrio: number;
  /** `rcu_read_lock()` nesting of this task (preemptible RCU). */
  rcuNesting = 0;
  /** `migrate_disable()` depth (taken by sleeping spinlocks on PREEMPT_RT). */
  migrateDisable = 0;
  /** Run state. */
  state: TaskState = "interruptible";
  /** On its CPU's run queue. */
  onRq = false;
  /** Preemption-disable depth (`preempt_count()` low byte, saved per task). */
  preemptCount = 0;
  /** The code the task runs. */
  gen: Kernel;
  /** CPU time left of a spend cut short by an interrupt or preemption. */
  remaining = 0;
  /** Link for the call-single queue when its wake-up is queued remotely (`wake_entry`). */
  next: LlistNode | null = null;
  /** Flag word for the call-single queue: always `CSD_TYPE_TTWU`. */
  readonly aFlags: Cell<number> = new Cell(CSD_TYPE_TTWU);

  /** When the task's current run on its CPU started (for round-robin slices). */
  sliceStart = 0;
  /**
   * The identity of the machine the task belongs to (its engine): a
   * wake-up from another machine is refused, since the task's run queue,
   * clock and CPU are this machine's.
   */
  readonly machine: object;
  /** Voluntary context switches (`nvcsw`): the task slept or exited. */
  nvcsw = 0;
  /** Involuntary context switches (`nivcsw`): the task was preempted while runnable. */
  nivcsw = 0;

  /** Made by the scheduler for spawned tasks and threads; an idle task gets its code when its CPU boots. */
  constructor(
    options: {
      pid: number;
      comm: string;
      cpu: number;
      policy: SchedPolicy;
      prio: number;
      machine: object;
      gen?: Kernel;
    },
  ) {
    this.pid = options.pid;
    this.comm = options.comm;
    this.cpu = options.cpu;
    this.policy = options.policy;
    this.prio = options.prio;
    this.normalPrio = options.prio;
    this.machine = options.machine;
    this.gen = options.gen ?? notBooted(options.comm);
  }

  /** The user-visible RT priority (1..99) of the task's policy, or 0 for non-RT tasks. */
  get rtPriority(): number {
    return this.normalPrio < 100 ? 99 - this.normalPrio : 0;
  }
}

/** The code of a task whose CPU has not booted: running it is an error of the machine builder. */
// deno-lint-ignore require-yield
function* notBooted(comm: string): Kernel {
  throw new Error(`Task ${comm} ran before its CPU booted`);
}

/** Kernel-internal priority for a policy and user priority; throws on a bad pair. */
export function internalPrio(policy: SchedPolicy, priority: unknown, where: string): number {
  const Kind = typeof priority === "number" ? RangeError : TypeError;
  if (policy === "other") {
    if (priority !== 0) throw new Kind(`${where}: SCHED_OTHER takes priority 0, got ${describe(priority)}`);
    return PRIO_OTHER;
  }
  if (typeof priority !== "number" || !Number.isInteger(priority) || priority < 1 || priority > 99) {
    throw new Kind(
      `${where}: SCHED_${policy.toUpperCase()} priority must be 1..99, got ${describe(priority)}`,
    );
  }
  return 99 - priority;
}

/** Bytes of `s` in UTF-8, without encoding it (names are checked on every spawn). */
function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4; // a surrogate pair: one code point of four bytes
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** `TASK_COMM_LEN`: a task name's buffer, NUL included. */
export const TASK_COMM_LEN = 16;

/**
 * Throw a clear error unless `comm` is a task name the kernel can hold: a
 * string of 1 to `TASK_COMM_LEN - 1` (15) bytes with no control
 * characters (a newline would forge a line of the trace). The kernel
 * truncates a longer name silently; the model refuses it, so that traces
 * and reports never show a name the kernel could not have.
 */
export function checkComm(comm: unknown, what: string): asserts comm is string {
  const max = TASK_COMM_LEN - 1;
  if (typeof comm !== "string" || comm === "" || utf8Length(comm) > max || hasControl(comm)) {
    throw new (typeof comm === "string" ? RangeError : TypeError)(
      `${what} must be a string of 1 to ${max} bytes (UTF-8) without control characters ` +
        `(the kernel's TASK_COMM_LEN is ${TASK_COMM_LEN}, NUL included), got ${describe(comm)}`,
    );
  }
}

/**
 * A CPU's run queue: runnable tasks, best first; equal priorities in FIFO
 * order. The running task stays in the queue, at the head of its level, so a
 * preempted SCHED_FIFO task resumes before its peers, as POSIX requires.
 */
export class RunQueue {
  #tasks: Task[] = [];

  /** Add a waking task at the tail of its priority level. */
  enqueue(task: Task): void {
    let i = this.#tasks.length;
    while (i > 0 && this.#tasks[i - 1]!.prio > task.prio) i--;
    this.#tasks.splice(i, 0, task);
    task.onRq = true;
  }

  /** Remove a task that sleeps or exits. */
  dequeue(task: Task): void {
    const i = this.#tasks.indexOf(task);
    if (i >= 0) this.#tasks.splice(i, 1);
    task.onRq = false;
  }

  /** Move a task to the tail of its level (round-robin expiry, `sched_yield`). */
  requeueTail(task: Task): void {
    this.dequeue(task);
    this.enqueue(task);
  }

  /** Change a queued task's priority, keeping its place behind equal priorities (`rt_mutex_setprio`). */
  setPrio(task: Task, prio: number): void {
    const queued = task.onRq;
    if (queued) this.dequeue(task);
    task.prio = prio;
    if (queued) this.enqueue(task);
  }

  /** The best runnable task, if any. */
  first(): Task | undefined {
    return this.#tasks[0];
  }

  /** Whether another task of the same priority as `task` is runnable. */
  hasPeerOf(task: Task): boolean {
    return this.#tasks.some((t) => t !== task && t.prio === task.prio);
  }

  /** Number of runnable tasks. */
  get length(): number {
    return this.#tasks.length;
  }
}
