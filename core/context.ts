/**
 * What scenario code sees: the context a task body, an NMI handler or an
 * irq_work callback runs in, and the kernel calls it can make from there.
 * One `Context` per CPU; its getters read the CPU's state at the moment of
 * the call, as `smp_processor_id()`, `in_hardirq()` and `current` do.
 *
 * @module
 */

import { checkCpu, type Cpu, preemptEnable } from "./cpu.ts";
import { describe } from "./describe.ts";
import type { IrqWork } from "./irq_work.ts";
import { type Kernel, type MaybeKernel, SCHEDULE, spend, STEP } from "./kernel.ts";
import type { KObject } from "./kmem.ts";
import type { RawSpinlock, Spinlock } from "./locking.ts";
import type { KernelParts } from "./parts.ts";
import { CallSingleData } from "./smp.ts";
import type { SchedPolicy, Task } from "./sched.ts";
import type { ContextKind } from "./trace.ts";

/**
 * The current task as a callback sees it.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const m = createMachine({ arch: fixtureArch() });
 * m.spawn({ cpu: 0, name: "me", policy: "fifo", priority: 50 }, (ctx) => {
 *   if (ctx.task.comm !== "me" || ctx.task.prio !== 49) throw new Error("FIFO 50 is prio 49");
 * });
 * m.runUntil(1_000_000);
 * ```
 */
export interface TaskInfo {
  /** Task name. */
  readonly comm: string;
  /** Process id (0 for idle). */
  readonly pid: number;
  /** Kernel-internal priority (lower is better). */
  readonly prio: number;
  /** Scheduling policy (`SCHED_FIFO`, `SCHED_RR`, `SCHED_OTHER`). */
  readonly policy: SchedPolicy;
  /** `rt_priority`: 1..99 for `fifo` and `rr`, 0 otherwise. */
  readonly rtPriority: number;
  /** Voluntary context switches so far (`nvcsw`: slept or exited). */
  readonly nvcsw: number;
  /** Involuntary context switches so far (`nivcsw`: preempted while runnable). */
  readonly nivcsw: number;
}

/** What `kthreadRun()` makes: a thread's name, CPU (the caller's by default), policy and priority. */
export interface KthreadOptions {
  /** The thread's name (`comm`), 1 to 15 bytes. */
  readonly name: string;
  /** The CPU it is bound to (default: the caller's). */
  readonly cpu?: number;
  /** Scheduling policy (default `other`). */
  readonly policy?: SchedPolicy;
  /** RT priority 1..99 for `fifo`/`rr`. */
  readonly priority?: number;
}

/** How a context makes a task for `kthreadRun()`: the machine's task creation, checks included. */
export type NewTask = (
  options: {
    readonly cpu: number;
    readonly name: string;
    readonly policy?: SchedPolicy;
    readonly priority?: number;
  },
  body: (ctx: Context) => MaybeKernel,
) => Task;

/**
 * The running context on one CPU, with the kernel calls scenario code makes.
 * Every call that can take time or touch shared state is a generator: use
 * it with `yield*`.
 *
 * @example A task that queues a work and waits for it
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { irqWorkInit } from "./irq_work.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const m = createMachine({ arch: fixtureArch(), cpus: 1 });
 * const work = irqWorkInit(function* (_w, ctx) { yield* ctx.spend(500); });
 * m.spawn({ cpu: 0, name: "producer" }, function* (ctx) {
 *   yield* ctx.queue(work);
 *   yield* ctx.sync(work);
 * });
 * m.runUntil(1_000_000);
 * if (m.runs.length !== 1) throw new Error("the work should have run once");
 * ```
 */
export class Context {
  #cpu: Cpu;
  #k: KernelParts;
  #contextOf: (cpu: number) => Context;
  #newTask: NewTask;

  /** @internal One per CPU, made by the machine; `contextOf` finds another CPU's. */
  constructor(cpu: Cpu, kernel: KernelParts, contextOf: (cpu: number) => Context, newTask: NewTask) {
    this.#cpu = cpu;
    this.#k = kernel;
    this.#contextOf = contextOf;
    this.#newTask = newTask;
  }

  /**
   * Hand out the generator of kernel call `call`, registered as not yet
   * started: if the scenario code does not run it (`yield*`) before it
   * yields, the CPU throws an error naming the call.
   */
  #track<T>(call: string, gen: Kernel<T>): Kernel<T> {
    const entry = { call };
    this.#cpu.unstartedCalls.add(entry);
    return started(this.#cpu, entry, gen);
  }

  /** `smp_processor_id()`. */
  get cpu(): number {
    return this.#cpu.id;
  }

  /** Current simulated time in ns. */
  get now(): number {
    return this.#k.engine.now;
  }

  /** Innermost context: `task`, `hardirq` or `nmi`. */
  get context(): ContextKind {
    return this.#cpu.context;
  }

  /** `irqs_disabled()`. */
  get irqsDisabled(): boolean {
    return this.#cpu.irqsOff;
  }

  /** Preemption-disable depth of the current task (the low byte of `preempt_count()`). */
  get preemptCount(): number {
    return this.#cpu.current.preemptCount;
  }

  /**
   * `preempt_count()` as the kernel encodes it: the preemption-disable depth
   * in bits 0-7, `HARDIRQ_OFFSET` (0x10000) per hard interrupt, and
   * `NMI_OFFSET` (0x100000) plus `HARDIRQ_OFFSET` in an NMI (no softirqs
   * are modelled, so bits 8-15 stay 0).
   */
  get preemptCountWord(): number {
    return this.#cpu.preemptCountWord;
  }

  /** `current`: in interrupt context, the interrupted task. */
  get task(): TaskInfo {
    const t = this.#cpu.current;
    return {
      comm: t.comm,
      pid: t.pid,
      prio: t.prio,
      policy: t.policy,
      rtPriority: t.rtPriority,
      nvcsw: t.nvcsw,
      nivcsw: t.nivcsw,
    };
  }

  /**
   * `kthread_run()`: create a kernel thread bound to `options.cpu` (this
   * CPU by default) that runs `body`, and wake it from here as
   * `wake_up_process()` does; returns its PID. The thread exists at once
   * (kthreadd, which makes it in the kernel, is not modelled), so no other
   * CPU is involved unless the thread is bound to one (a remote wake-up).
   */
  kthreadRun(
    options: KthreadOptions,
    body: (ctx: Context) => MaybeKernel,
  ): Kernel<number> {
    return this.#track("kthreadRun", this.#kthreadRun(options, body));
  }

  *#kthreadRun(
    options: KthreadOptions,
    body: (ctx: Context) => MaybeKernel,
  ): Kernel<number> {
    const task = this.#newTask({ cpu: this.#cpu.id, ...options }, body);
    yield* this.#k.wakeups.wakeUpProcess(this.#cpu, task);
    return task.pid;
  }

  /** Spend `ns` of CPU time (interrupts may cut in if enabled). */
  spend(ns: number): Kernel {
    return this.#track("spend", spend(ns));
  }

  /** `irq_work_queue(work)`. */
  queue(work: IrqWork): Kernel<boolean> {
    return this.#track("queue", this.#k.irqWork.irqWorkQueue(this.#cpu, work));
  }

  /** `irq_work_queue_on(work, cpu)`. */
  queueOn(work: IrqWork, cpu: number): Kernel<boolean> {
    return this.#track("queueOn", this.#k.irqWork.irqWorkQueueOn(this.#cpu, work, cpu));
  }

  /** `irq_work_sync(work)`. */
  sync(work: IrqWork): Kernel {
    return this.#track("sync", this.#k.irqWork.irqWorkSync(this.#cpu, work));
  }

  /** `local_irq_disable()`. */
  irqDisable(): Kernel {
    return this.#track("irqDisable", this.#irqDisable());
  }

  *#irqDisable(): Kernel {
    this.#cpu.irqsOff = true;
    yield STEP;
  }

  /**
   * `local_irq_enable()`: latched interrupts are taken right here. In an NMI
   * it is reported (lockdep's check against enabling interrupts in interrupt
   * context) and interrupts stay disabled until the NMI returns, so no hard
   * IRQ nests in the NMI (rule 21.8).
   */
  irqEnable(): Kernel {
    return this.#track("irqEnable", this.#irqEnable());
  }

  *#irqEnable(): Kernel {
    const cpu = this.#cpu;
    if (cpu.inNmi) {
      this.#k.findings.warnOnce(
        cpu,
        `DEBUG_LOCKS_WARN_ON(lockdep_hardirq_context())\n` +
          `WARNING: CPU: ${cpu.id} PID: ${cpu.current.pid} at kernel/locking/lockdep.c lockdep_hardirqs_on_prepare`,
        "lockdep_hardirqs_on_prepare",
      );
    } else cpu.irqsOff = false;
    yield STEP;
  }

  /** `preempt_disable()`. */
  preemptDisable(): Kernel {
    return this.#track("preemptDisable", this.#preemptDisable());
  }

  *#preemptDisable(): Kernel {
    this.#cpu.current.preemptCount++;
    yield STEP;
  }

  /** `preempt_enable()`: reschedules here if a better task woke meanwhile. */
  preemptEnable(): Kernel {
    const cpu = this.#cpu;
    if (cpu.current.preemptCount === 0) {
      throw new Error(`CPU ${cpu.id}: preemptEnable() without a matching preemptDisable()`);
    }
    return this.#track("preemptEnable", preemptEnable(cpu));
  }

  /** Sleep for `ns` (an hrtimer wakes the task); task context only. */
  sleep(ns: number): Kernel {
    return this.#track("sleep", this.#sleep("sleep", ns, "REL"));
  }

  /**
   * Sleep until the absolute time `ns`, as
   * `clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ...)` does: the same
   * hrtimer path as {@linkcode Context.sleep}, started in mode `ABS`. A time
   * already past still goes through the timer interrupt, at once
   * (docs/rules.md, rule 22.1).
   */
  sleepUntil(ns: number): Kernel {
    return this.#track("sleepUntil", this.#sleep("sleepUntil", ns, "ABS"));
  }

  /** `hrtimer_nanosleep()`: arm an `hrtimer_wakeup` timer, relative (`REL`) or absolute (`ABS`), and schedule. */
  *#sleep(call: string, ns: number, mode: "REL" | "ABS"): Kernel {
    const cpu = this.#cpu;
    const expires = mode === "REL" ? this.#k.engine.now + ns : ns;
    if (!(ns >= 0) || !Number.isSafeInteger(ns) || !Number.isSafeInteger(expires)) {
      throw new (typeof ns === "number" ? RangeError : TypeError)(
        `Cannot ${call} ${typeof ns === "number" ? `${ns} ns` : describe(ns)}: need whole ns >= 0`,
      );
    }
    if (cpu.context !== "task") {
      throw new Error(`CPU ${cpu.id}: ${call}() called from ${cpu.context} context`);
    }
    const k = this.#k;
    const task = cpu.current;
    task.state = "interruptible";
    k.timers.add(cpu.id, {
      expires,
      fn: (c) => k.wakeups.wakeUpProcess(c, task),
      name: "hrtimer_wakeup",
      mode,
    }, cpu);
    yield SCHEDULE;
  }

  /**
   * `msleep(ms)`: sleep uninterruptibly for `msecs_to_jiffies(ms) + 1`
   * jiffies on the timer wheel, so the task wakes at a tick, never before
   * `ms` have passed (at HZ 250, `msleep(1)` sleeps 4 to 8 ms).
   */
  msleep(ms: number): Kernel {
    return this.#track("msleep", this.#msleep(ms));
  }

  *#msleep(ms: number): Kernel {
    const cpu = this.#cpu;
    if (!Number.isSafeInteger(ms) || ms < 0) {
      throw new RangeError(`Cannot msleep ${ms} ms: need whole ms >= 0`);
    }
    if (cpu.context !== "task") throw new Error(`CPU ${cpu.id}: msleep() called from ${cpu.context} context`);
    const k = this.#k;
    const period = k.ticks.periodNs;
    const hz = Math.round(1e9 / period);
    const timeout = Math.ceil((ms * hz) / 1000) + 1; // msecs_to_jiffies() rounds up, msleep() adds one
    const task = cpu.current;
    const expires = (k.ticks.jiffies + timeout) * period;
    task.state = "uninterruptible";
    k.timers.add(cpu.id, { expires, fn: (c) => k.wakeups.wakeUpProcess(c, task) });
    yield SCHEDULE;
  }

  /** `raw_spin_lock()`. */
  rawSpinLock(lock: RawSpinlock): Kernel {
    return this.#track("rawSpinLock", this.#k.locking.rawSpinLock(this.#cpu, lock));
  }

  /** `raw_spin_unlock()`. */
  rawSpinUnlock(lock: RawSpinlock): Kernel {
    return this.#track("rawSpinUnlock", this.#k.locking.rawSpinUnlock(this.#cpu, lock));
  }

  /** `spin_lock()`: a sleeping lock on PREEMPT_RT. */
  spinLock(lock: Spinlock): Kernel {
    return this.#track("spinLock", this.#k.locking.spinLock(this.#cpu, lock));
  }

  /** `spin_unlock()`. */
  spinUnlock(lock: Spinlock): Kernel {
    return this.#track("spinUnlock", this.#k.locking.spinUnlock(this.#cpu, lock));
  }

  /** `kmalloc()`: a new object named `name`. */
  kmalloc(name: string): Kernel<KObject> {
    return this.#track("kmalloc", this.#k.kmem.kmalloc(this.#cpu, name));
  }

  /** `kfree()`. */
  kfree(object: KObject): Kernel {
    return this.#track("kfree", this.#k.kmem.kfree(this.#cpu, object));
  }

  /** `rcu_read_lock()`. */
  rcuReadLock(): Kernel {
    return this.#track("rcuReadLock", this.#rcuReadLock());
  }

  *#rcuReadLock(): Kernel {
    this.#k.rcu.readLock(this.#cpu);
    yield STEP;
  }

  /** `rcu_read_unlock()`. */
  rcuReadUnlock(): Kernel {
    return this.#track("rcuReadUnlock", this.#rcuReadUnlock());
  }

  *#rcuReadUnlock(): Kernel {
    this.#k.rcu.readUnlock(this.#cpu);
    yield STEP;
  }

  /** `synchronize_rcu()`: wait for a full grace period (task context). */
  synchronizeRcu(): Kernel {
    return this.#track("synchronizeRcu", this.#k.rcu.synchronize(this.#cpu));
  }

  /** `smp_call_function_single(cpu, func, wait)`: 0, or `-ENXIO` if `cpu` is offline (nothing runs then). */
  callFunctionSingle(cpu: number, func: (ctx: Context) => Kernel | void, wait: boolean): Kernel<number> {
    checkCpu(this.#k.cpus.length, cpu, "call a function on");
    if (typeof func !== "function" || typeof wait !== "boolean") {
      throw new TypeError(
        `callFunctionSingle(${cpu}, func, wait) needs a function and true or false, got ` +
          `${describe(func)} and ${describe(wait)}`,
      );
    }
    const csd = new CallSingleData((c) => func(this.#contextOf(c.id)), func.name || "csd_func");
    return this.#track("callFunctionSingle", this.#k.smp.callFunctionSingle(this.#cpu, cpu, csd, wait));
  }
}

/** Run `gen`, first marking its call as started. */
function* started<T>(cpu: Cpu, entry: { readonly call: string }, gen: Kernel<T>): Kernel<T> {
  cpu.unstartedCalls.delete(entry);
  return yield* gen;
}
