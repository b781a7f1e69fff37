/**
 * irq_work: the kernel's "run this callback in hard-IRQ context soon"
 * mechanism (kernel/irq_work.c, include/linux/irq_work.h), following the
 * kernel's control flow step by step. Where the kernel asks
 * `IS_ENABLED(CONFIG_PREEMPT_RT)`, this code asks the machine's
 * {@linkcode IrqWorkPolicy} instead (DESIGN.md principle 3).
 *
 * A work's flag word moves through these states (irq_work.h):
 *
 * | state   | flags          | meaning                                  |
 * | ------- | -------------- | ---------------------------------------- |
 * | free    | 0              | may be claimed                           |
 * | claimed | PENDING\|BUSY  | queued, callback not started             |
 * | busy    | BUSY           | callback running; may be claimed again   |
 * | pending | PENDING\|BUSY  | running *and* queued again               |
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { Context } from "./context.ts";
import { type Kernel, type MaybeKernel, runCallback, SCHEDULE, STEP } from "./kernel.ts";
import { llistAdd, llistDelAll, llistEmpty, llistEntries, LlistHead, type LlistNode } from "./llist.ts";
import { PerCpu } from "./percpu.ts";
import type { Task } from "./sched.ts";
import type { KObject } from "./kmem.ts";

/** The work is queued and its callback has not started (SPEC §1.2). */
export const IRQ_WORK_PENDING = 0x01;
/** The work is claimed: queued or running. */
export const IRQ_WORK_BUSY = 0x02;
/** Run from the tick, unless the tick is stopped. */
export const IRQ_WORK_LAZY = 0x04;
/** Run in hard-IRQ context even on PREEMPT_RT. */
export const IRQ_WORK_HARD_IRQ = 0x08;
/** What a claim sets. */
export const IRQ_WORK_CLAIMED = IRQ_WORK_PENDING | IRQ_WORK_BUSY;
/** The call-single-queue type of an irq_work entry (bits 4-7). */
export const CSD_TYPE_IRQ_WORK = 0x20;

/** An irq_work callback; it may be a generator that spends CPU time. */
export type IrqWorkFunc = (work: IrqWork, ctx: Context) => MaybeKernel;

/** `struct rcuwait`: a one-slot register for the task waiting on a work (SPEC §11.5). */
export interface RcuWait {
  /** The waiting task, or null. */
  task: Task | null;
}

/**
 * `struct irq_work`: a callback, a flag word, a list link and a waiter slot.
 * Make one with {@linkcode irqWorkInit}, {@linkcode irqWorkInitLazy} or
 * {@linkcode irqWorkInitHard}.
 */
export class IrqWork implements LlistNode {
  /** The flag word (`node.a_flags`). */
  flags: number;
  /** The list link (`node.llist`). */
  next: LlistNode | null = null;
  /** The callback. */
  func: IrqWorkFunc;
  /** The name traces print. */
  name: string;
  /** Who waits in `irqWorkSync` (C+). */
  irqwait: RcuWait = { task: null };
  /**
   * The object this work is embedded in (`container_of`), if any: once it is
   * freed, every access the irq_work code makes to the work is reported as
   * a use after free (KASAN), as in bugs H3 and H10.
   */
  object: KObject | null = null;
  /** Emulator bookkeeping: when the latest successful claim happened, in ns. */
  queuedAt: number = -1;

  /** Prefer the initialisers; this is the raw constructor. */
  constructor(func: IrqWorkFunc, flags = 0, name = func.name || "irq_work") {
    this.func = func;
    this.flags = flags;
    this.name = name;
  }
}

/**
 * `IRQ_WORK_INIT(func)`: a plain work (flags 0, SPEC §1.3).
 *
 * @example
 * ```ts
 * import { irqWorkInit, IRQ_WORK_PENDING } from "./irq_work.ts";
 * const w = irqWorkInit(function wake() {});
 * if (w.flags !== 0 || (w.flags & IRQ_WORK_PENDING)) throw new Error("fresh work is free");
 * ```
 */
export function irqWorkInit(func: IrqWorkFunc, name?: string): IrqWork {
  return new IrqWork(func, 0, name);
}

/** `IRQ_WORK_INIT_LAZY(func)`: a work that waits for the tick (flags LAZY). */
export function irqWorkInitLazy(func: IrqWorkFunc, name?: string): IrqWork {
  return new IrqWork(func, IRQ_WORK_LAZY, name);
}

/** `IRQ_WORK_INIT_HARD(func)`: a work that runs in hard-IRQ context even on PREEMPT_RT. */
export function irqWorkInitHard(func: IrqWorkFunc, name?: string): IrqWork {
  return new IrqWork(func, IRQ_WORK_HARD_IRQ, name);
}

/**
 * `init_irq_work(work, func)`: overwrite the whole work, whatever its state.
 * Re-initialising a queued work silently clears PENDING/BUSY and its link
 * (SPEC §1.4; the root of bug H5).
 */
export function initIrqWork(work: IrqWork, func: IrqWorkFunc): void {
  work.func = func;
  work.flags = 0;
  work.next = null;
  work.irqwait = { task: null };
}

/** `irq_work_is_pending()`. */
export function irqWorkIsPending(work: IrqWork): boolean {
  return (work.flags & IRQ_WORK_PENDING) !== 0;
}

/** `irq_work_is_busy()`. */
export function irqWorkIsBusy(work: IrqWork): boolean {
  return (work.flags & IRQ_WORK_BUSY) !== 0;
}

/** `irq_work_is_hard()`. */
export function irqWorkIsHard(work: IrqWork): boolean {
  return (work.flags & IRQ_WORK_HARD_IRQ) !== 0;
}

/**
 * The irq_work policy slot: the three questions the kernel answers with
 * `IS_ENABLED(CONFIG_PREEMPT_RT)` (DESIGN.md principle 3). The core holds the
 * non-RT answers ({@linkcode NON_RT_POLICY}); the PREEMPT_RT plugin fills the
 * slot with its own.
 */
export interface IrqWorkPolicy {
  /** Name for reports. */
  readonly name: string;
  /** Which list: does a work with `flags` queued on this CPU join the lazy list? */
  joinsLazyList(flags: number): boolean;
  /** Which list, remotely: does it travel through the target's lazy list and wake-up work? */
  remoteThroughLazyList(flags: number): boolean;
  /** Who drains the lazy list: what `irq_work_run()`/`irq_work_tick()` do after the raised list. */
  handleLazyList(cpu: Cpu): Kernel;
  /** Do waiters sleep: does `irqWorkSync` sleep (and the runner wake it) for this work? */
  waitersSleep(flags: number, hasIrqWorkInterrupt: boolean): boolean;
  /** Must interrupts be off when a list is drained (the drain's BUG_ON, SPEC §7.1)? */
  readonly drainNeedsIrqsOff: boolean;
}

/** The non-RT answers of kernel version C (SPEC §4.3, §7.1, §8, §11.3). */
export const NON_RT_POLICY: IrqWorkPolicy = {
  name: "non-RT",
  joinsLazyList: (flags) => (flags & IRQ_WORK_LAZY) !== 0,
  remoteThroughLazyList: () => false,
  handleLazyList: (cpu) => irqWorkRunList(cpu, cpu.machine.irqWork.lazyList.get(cpu.id)),
  waitersSleep: (_flags, hasIrqWorkInterrupt) => !hasIrqWorkInterrupt,
  drainNeedsIrqsOff: true,
};

/** Per-CPU irq_work state: the raised and lazy lists. */
export class IrqWorkLists {
  /** Works that want the self-interrupt (`raised_list`). */
  readonly raisedList: PerCpu<LlistHead<IrqWork>>;
  /** Works that wait for the tick or, on RT, the thread (`lazy_list`). */
  readonly lazyList: PerCpu<LlistHead<IrqWork>>;

  /** Empty lists for `cpus` CPUs. */
  constructor(cpus: number) {
    this.raisedList = new PerCpu(cpus, () => new LlistHead<IrqWork>());
    this.lazyList = new PerCpu(cpus, () => new LlistHead<IrqWork>());
  }
}

/** `irq_work_claim()`: one atomic fetch-or; succeeds iff PENDING was clear (SPEC §3). */
export function* irqWorkClaim(cpu: Cpu, work: IrqWork): Kernel<boolean> {
  yield STEP;
  checkAccess(cpu, work, "irq_work_claim");
  const old = work.flags;
  work.flags = old | IRQ_WORK_CLAIMED | CSD_TYPE_IRQ_WORK;
  if (old & IRQ_WORK_PENDING) return false;
  work.queuedAt = cpu.machine.engine.now;
  return true;
}

/** A read or write of `work` by the irq_work code: report it if the work's object was freed. */
function checkAccess(cpu: Cpu, work: IrqWork, where: string): void {
  if (work.object?.freed) {
    cpu.machine.warnOnce(
      cpu,
      `BUG: KASAN: slab-use-after-free in ${where} (${work.name} in freed ${work.object.name})`,
    );
  }
}

/** `irq_work_raise()`: trace the self-IPI (6.4+, only if the arch has one) and ask the arch. */
function* irqWorkRaise(cpu: Cpu, work: IrqWork, callsite: string): Kernel {
  const m = cpu.machine;
  if (m.arch.hasIrqWorkInterrupt && m.profile.ipiTracepoints) {
    m.emit(cpu, { type: "ipi_send_cpu", target: cpu.id, callsite, callback: work.name });
  }
  yield* m.arch.irqWorkRaise(cpu);
}

/** `__irq_work_queue_local()`: pick the list, push, raise on the empty edge (SPEC §4.2, §4.3). */
function* irqWorkQueueLocal(cpu: Cpu, work: IrqWork, callsite: string): Kernel {
  const m = cpu.machine;
  const flags = work.flags;
  const lazyWork = (flags & IRQ_WORK_LAZY) !== 0;
  const toLazy = m.policy.joinsLazyList(flags);
  const list = (toLazy ? m.irqWork.lazyList : m.irqWork.raisedList).get(cpu.id);
  m.emit(cpu, {
    type: "irq_work_queue",
    work: work.name,
    workFlags: flags,
    target: cpu.id,
    list: toLazy ? "lazy" : "raised",
  });
  if (!(yield* llistAdd(work, list))) return;
  if (!lazyWork || m.tick.stopped(cpu.id)) yield* irqWorkRaise(cpu, work, callsite);
}

/** `irq_work_queue()`: claim, then enqueue on this CPU with preemption disabled (SPEC §4.1). */
export function* irqWorkQueue(cpu: Cpu, work: IrqWork): Kernel<boolean> {
  if (!(yield* irqWorkClaim(cpu, work))) return false;
  cpu.current.preemptCount++;
  yield* irqWorkQueueLocal(cpu, work, "irq_work_queue");
  yield* preemptEnable(cpu);
  return true;
}

/** `irq_work_queue_on()`: queue on CPU `target`, through the call-single queue if remote (SPEC §5). */
export function* irqWorkQueueOn(cpu: Cpu, work: IrqWork, target: number): Kernel<boolean> {
  const m = cpu.machine;
  if (!m.smpBuild) return yield* irqWorkQueue(cpu, work);
  m.checkCpu(target, "queue work on");
  if (!m.cpus[target]!.online) m.warnOnce(cpu, "WARNING: irq_work_queue_on: target CPU offline");
  if (!(yield* irqWorkClaim(cpu, work))) return false;
  cpu.current.preemptCount++;
  if (target !== cpu.id) {
    if (cpu.inNmi) m.warnOnce(cpu, "WARNING: irq_work_queue_on: remote queue from NMI");
    let entry: IrqWork | null = work;
    if (m.policy.remoteThroughLazyList(work.flags)) {
      m.emit(cpu, { type: "irq_work_queue", work: work.name, workFlags: work.flags, target, list: "lazy" });
      entry = null;
      if (yield* llistAdd(work, m.irqWork.lazyList.get(target))) {
        const wakeup = m.irqWorkWakeup.get(target);
        if (yield* irqWorkClaim(cpu, wakeup)) entry = wakeup;
      }
    }
    if (entry !== null) {
      m.emit(cpu, {
        type: "irq_work_queue",
        work: entry.name,
        workFlags: entry.flags,
        target,
        list: "call_single",
      });
      yield* m.smp.callSingleQueue(cpu, target, entry, entry.name, "irq_work_queue_on");
    }
  } else {
    yield* irqWorkQueueLocal(cpu, work, "irq_work_queue_on");
  }
  yield* preemptEnable(cpu);
  return true;
}

/**
 * `irq_work_needs_cpu()`: may this CPU not stop its tick? Raised works count
 * only without a self-interrupt; lazy works always (SPEC §10.1).
 */
export function irqWorkNeedsCpu(cpu: Cpu): boolean {
  const m = cpu.machine;
  if (llistEmpty(m.irqWork.raisedList.get(cpu.id)) || m.arch.hasIrqWorkInterrupt) {
    if (llistEmpty(m.irqWork.lazyList.get(cpu.id))) return false;
  }
  if (!cpu.online) m.warnOnce(cpu, "WARNING: irq_work_needs_cpu: CPU offline with pending irq_work");
  return true;
}

/** `irq_work_single()`: run one claimed work and release it (SPEC §6). */
export function* irqWorkSingle(cpu: Cpu, work: IrqWork): Kernel {
  const m = cpu.machine;
  yield STEP;
  checkAccess(cpu, work, "irq_work_single");
  const flags = work.flags & ~IRQ_WORK_PENDING;
  yield STEP;
  work.flags = flags;
  const started = m.engine.now;
  const queuedAt = work.queuedAt;
  const task = cpu.current;
  const context = cpu.context, irqsDisabled = cpu.irqsOff, preemptCount = task.preemptCount;
  const hard = (flags & IRQ_WORK_HARD_IRQ) !== 0;
  m.emit(cpu, { type: "irq_work_execute_start", work: work.name, hard });
  yield* runCallback(work.func(work, m.contexts[cpu.id]!));
  m.emit(cpu, { type: "irq_work_execute_end", work: work.name, hard });
  m.recordRun({
    work,
    cpu: cpu.id,
    context,
    task: { comm: task.comm, pid: task.pid, prio: task.prio },
    irqsDisabled,
    preemptCount,
    queuedAt,
    startedAt: started,
    endedAt: m.engine.now,
  });
  yield STEP;
  checkAccess(cpu, work, "irq_work_single");
  if (work.flags === flags) work.flags = flags & ~IRQ_WORK_BUSY;
  // The kernel reads the work again after BUSY is clear (irq_work_is_hard()):
  // the window of bug H3, closed by profile D's grace period in the syncer.
  yield STEP;
  checkAccess(cpu, work, "irq_work_single");
  if (waitersSleep(cpu, work.flags)) yield* rcuwaitWakeUp(cpu, work);
}

/** `irq_work_run_list()`: take the whole list and run it newest first (SPEC §7.1). */
export function* irqWorkRunList(cpu: Cpu, list: LlistHead<IrqWork>): Kernel {
  const m = cpu.machine;
  if (!cpu.irqsOff && m.policy.drainNeedsIrqsOff) {
    yield* bugOn(cpu, "kernel BUG at kernel/irq_work.c: irq_work_run_list() with interrupts enabled");
  }
  if (llistEmpty(list)) return;
  const first = yield* llistDelAll(list);
  for (const work of llistEntries(first)) yield* irqWorkSingle(cpu, work);
}

/** `irq_work_run()`: the self-interrupt handler's body (SPEC §8.1). */
export function* irqWorkRun(cpu: Cpu): Kernel {
  const m = cpu.machine;
  yield* irqWorkRunList(cpu, m.irqWork.raisedList.get(cpu.id));
  yield* m.policy.handleLazyList(cpu);
}

/** `irq_work_tick()`: from the tick in hard-IRQ context (SPEC §8.2). */
export function* irqWorkTick(cpu: Cpu): Kernel {
  const m = cpu.machine;
  const raised = m.irqWork.raisedList.get(cpu.id);
  if (!llistEmpty(raised) && !m.arch.hasIrqWorkInterrupt) yield* irqWorkRunList(cpu, raised);
  yield* m.policy.handleLazyList(cpu);
}

/**
 * `irq_work_sync()`: wait until the work is not BUSY. Sleeps where the policy
 * says waiters sleep, otherwise spins (SPEC §11).
 */
export function* irqWorkSync(cpu: Cpu, work: IrqWork): Kernel {
  const m = cpu.machine;
  if (cpu.irqsOff) m.warnOnce(cpu, "WARNING: irq_work_sync: lockdep_assert_irqs_enabled() failed");
  if (m.profile.sleepingSync && cpu.atomic) {
    m.mightSleep(cpu, "kernel/irq_work.c (irq_work_sync)");
  }
  if (waitersSleep(cpu, work.flags)) {
    yield* rcuwaitWaitEvent(cpu, work.irqwait, () => !irqWorkIsBusy(work));
    if (m.profile.rcuProtectedSync) yield* m.rcu.synchronize(cpu);
    return;
  }
  const start = m.engine.now;
  for (;;) {
    yield STEP;
    if (!irqWorkIsBusy(work)) return;
    if (m.engine.now - start > m.timing.spinLimitNs) {
      m.livelock(
        cpu,
        `irq_work_sync() has spun ${(m.engine.now - start) / 1e6} ms on ${work.name} with BUSY set`,
      );
      yield STEP;
    }
    yield m.timing.cpuRelaxNs;
  }
}

/** Does a syncer of a work with `flags` sleep (C+), rather than spin (A-B, seed)? (SPEC §6.5, §11.3) */
function waitersSleep(cpu: Cpu, flags: number): boolean {
  const m = cpu.machine;
  return m.profile.sleepingSync && m.policy.waitersSleep(flags, m.arch.hasIrqWorkInterrupt);
}

/**
 * `rcuwait_wait_event(w, cond, TASK_UNINTERRUPTIBLE)`: register once
 * (`prepare_to_rcuwait`), then re-check and sleep until woken and true;
 * `finish_rcuwait` clears the slot.
 */
function* rcuwaitWaitEvent(cpu: Cpu, w: RcuWait, cond: () => boolean): Kernel {
  const task = cpu.current;
  yield STEP;
  w.task = task;
  for (;;) {
    task.state = "uninterruptible";
    yield STEP;
    if (cond()) break;
    yield SCHEDULE;
  }
  w.task = null;
  task.state = "running";
}

/** `rcuwait_wake_up(&work->irqwait)`: wake whoever is registered, if anyone. */
function* rcuwaitWakeUp(cpu: Cpu, work: IrqWork): Kernel {
  yield STEP;
  checkAccess(cpu, work, "rcuwait_wake_up");
  const task = work.irqwait.task;
  if (task !== null) yield* cpu.machine.wakeUpProcess(cpu, task);
}

/** `BUG()`: record the finding and stop; the CPU never resumes this code. */
export function* bugOn(cpu: Cpu, message: string): Kernel<never> {
  cpu.machine.bug(cpu, message);
  yield STEP;
  throw new Error(`CPU ${cpu.id} resumed after BUG: ${message}`);
}

/** `preempt_enable()`: drop the count and reschedule here if something asked for it. */
export function* preemptEnable(cpu: Cpu): Kernel {
  cpu.current.preemptCount--;
  if (cpu.wantsPreempt()) yield STEP;
}
