/**
 * irq_work: the kernel's "run this callback in hard-IRQ context soon"
 * mechanism (kernel/irq_work.c, include/linux/irq_work.h), following the
 * kernel's control flow step by step. Where the kernel asks
 * `IS_ENABLED(CONFIG_PREEMPT_RT)`, this code asks the machine's
 * {@linkcode IrqWorkPolicy} instead; where versions differ, it asks the
 * {@linkcode KernelProfile}. Every access to a work's flag word or to a list
 * goes through the machine's {@linkcode Memory}.
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

import type { Arch, ArchRaiseHw } from "./arch.ts";
import { Cell, type Memory } from "./atomic.ts";
import type { Context } from "./context.ts";
import { checkCpu, type Cpu, preemptEnable } from "./cpu.ts";
import { checkName, checkWhole, describe } from "./describe.ts";
import type { Findings } from "./findings.ts";
import { type Kernel, type MaybeKernel, runCallback, SCHEDULE, STEP } from "./kernel.ts";
import type { KObject } from "./kmem.ts";
import { llistAdd, llistDelAll, llistEmpty, llistEntries, LlistHead, type LlistNode } from "./llist.ts";
import { PerCpu } from "./percpu.ts";
import type { KernelProfile } from "./profile.ts";
import type { Rcu } from "./rcu.ts";
import type { Task } from "./sched.ts";
import type { Smp } from "./smp.ts";
import type { Timers } from "./timer.ts";
import type { PathTiming } from "./timing.ts";
import type { ContextKind, TraceHub } from "./trace.ts";
import type { Wakeups } from "./wake.ts";

/**
 * The work is queued and its callback has not started (rule 1.2).
 *
 * @example
 * ```ts
 * import { IRQ_WORK_PENDING, irqWorkInit } from "./irq_work.ts";
 * if (irqWorkInit(() => {}).flags & IRQ_WORK_PENDING) throw new Error("a fresh work is not pending");
 * ```
 */
export const IRQ_WORK_PENDING = 0x01;
/**
 * The work is claimed: queued or running.
 *
 * @example
 * ```ts
 * import { IRQ_WORK_BUSY, IRQ_WORK_PENDING } from "./irq_work.ts";
 * const running = IRQ_WORK_BUSY; // callback running, not queued again: may be claimed
 * if (running & IRQ_WORK_PENDING) throw new Error("busy is not pending");
 * ```
 */
export const IRQ_WORK_BUSY = 0x02;
/**
 * Run from the tick, unless the tick is stopped.
 *
 * @example
 * ```ts
 * import { IRQ_WORK_LAZY, irqWorkInitLazy } from "./irq_work.ts";
 * if (irqWorkInitLazy(() => {}).flags !== IRQ_WORK_LAZY) throw new Error("LAZY");
 * ```
 */
export const IRQ_WORK_LAZY = 0x04;
/**
 * Run in hard-IRQ context even on PREEMPT_RT.
 *
 * @example
 * ```ts
 * import { IRQ_WORK_HARD_IRQ, irqWorkInitHard } from "./irq_work.ts";
 * if (irqWorkInitHard(() => {}).flags !== IRQ_WORK_HARD_IRQ) throw new Error("HARD");
 * ```
 */
export const IRQ_WORK_HARD_IRQ = 0x08;
/** What a claim sets. */
export const IRQ_WORK_CLAIMED = IRQ_WORK_PENDING | IRQ_WORK_BUSY;
/** The call-single-queue type of an irq_work entry (bits 4-7). */
export const CSD_TYPE_IRQ_WORK = 0x20;

/**
 * An irq_work callback; it may be a generator that spends CPU time.
 *
 * @example
 * ```ts
 * import { type IrqWorkFunc, irqWorkInit } from "./irq_work.ts";
 * const callback: IrqWorkFunc = function* (work, ctx) {
 *   yield* ctx.spend(1_000); // 1 µs of CPU time, in whatever context the work runs
 * };
 * irqWorkInit(callback, "one_microsecond");
 * ```
 */
export type IrqWorkFunc = (work: IrqWork, ctx: Context) => MaybeKernel;

/** `struct rcuwait`: a one-slot register for the task waiting on a work (rule 11.5). */
export type RcuWait = Cell<Task | null>;

/**
 * `struct irq_work`: a callback, a flag word, a list link and a waiter slot.
 * Make one with {@linkcode irqWorkInit}, {@linkcode irqWorkInitLazy} or
 * {@linkcode irqWorkInitHard}.
 *
 * @example
 * ```ts
 * import { IRQ_WORK_LAZY, IrqWork } from "./irq_work.ts";
 * const work = new IrqWork(() => {}, IRQ_WORK_LAZY, "lazy_one");
 * if (work.name !== "lazy_one" || work.flags !== IRQ_WORK_LAZY) throw new Error("raw constructor");
 * ```
 */
export class IrqWork implements LlistNode {
  /** The flag word (`node.a_flags`), a shared word. */
  readonly aFlags: Cell<number>;
  /** The list link (`node.llist`). */
  next: LlistNode | null = null;
  /** The callback. */
  func: IrqWorkFunc;
  /** The name traces print. */
  name: string;
  /** Who waits in `irq_work_sync()` (C+). */
  readonly irqwait: RcuWait = new Cell<Task | null>(null);
  /**
   * The object this work is embedded in (`container_of`), if any: once it is
   * freed, every access the irq_work code makes to the work is reported as
   * a use after free (KASAN), as in bugs H3 and H10.
   */
  object: KObject | null = null;
  /** Emulator bookkeeping: when the latest successful claim happened, in ns. */
  queuedAt: number = -1;
  /**
   * Emulator bookkeeping: the machine the work belongs to (its identity),
   * set by the first machine that queues or syncs it. A work's flags, link
   * and waiter are one machine's memory: another machine that queues or
   * syncs it gets an error, until {@linkcode initIrqWork} frees it.
   */
  machine: object | null = null;
  /** The kernel's own work, not a scenario's (the RT wake-up work `irq_work_wakeup`). */
  internal = false;

  /** Prefer the initialisers; this is the raw constructor. */
  constructor(func: IrqWorkFunc, flags = 0, name = func?.name || "irq_work") {
    if (typeof func !== "function") {
      throw new TypeError(`An irq_work's callback must be a function of (work, ctx), got ${describe(func)}`);
    }
    checkWhole("An irq_work's flags", flags, 0, 0xffffffff);
    checkName("An irq_work's name", name);
    this.func = func;
    this.aFlags = new Cell(flags);
    this.name = name;
  }

  /** The flag word as memory holds it, for inspection and set-up outside the model (no step, not recorded). */
  get flags(): number {
    return this.aFlags.value;
  }

  set flags(value: number) {
    this.aFlags.value = value;
  }
}

/**
 * `IRQ_WORK_INIT(func)`: a plain work (flags 0, rule 1.3).
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

/**
 * `IRQ_WORK_INIT_LAZY(func)`: a work that waits for the tick (flags LAZY).
 *
 * @example
 * ```ts
 * import { IRQ_WORK_LAZY, irqWorkInitLazy } from "./irq_work.ts";
 * const w = irqWorkInitLazy(function wakeUpKlogd() {});
 * if (w.flags !== IRQ_WORK_LAZY || w.name !== "wakeUpKlogd") throw new Error("LAZY, named after its callback");
 * ```
 */
export function irqWorkInitLazy(func: IrqWorkFunc, name?: string): IrqWork {
  return new IrqWork(func, IRQ_WORK_LAZY, name);
}

/**
 * `IRQ_WORK_INIT_HARD(func)`: a work that runs in hard-IRQ context even on PREEMPT_RT.
 *
 * @example
 * ```ts
 * import { irqWorkInitHard, irqWorkIsHard } from "./irq_work.ts";
 * if (!irqWorkIsHard(irqWorkInitHard(() => {}))) throw new Error("HARD");
 * ```
 */
export function irqWorkInitHard(func: IrqWorkFunc, name?: string): IrqWork {
  return new IrqWork(func, IRQ_WORK_HARD_IRQ, name);
}

/**
 * `init_irq_work(work, func)`: overwrite the whole work, whatever its state.
 * Re-initialising a queued work silently clears PENDING/BUSY and its link
 * (rule 1.4; the root of bug H5). The work then belongs to no machine: the
 * next one to queue it owns it.
 *
 * @example
 * ```ts
 * import { initIrqWork, irqWorkInit } from "./irq_work.ts";
 * const work = irqWorkInit(() => {}, "w");
 * work.flags = 0x23; // claimed and queued
 * initIrqWork(work, () => {}); // clears the flags and the link, as the kernel does (bug H5)
 * if (work.flags !== 0) throw new Error("overwritten");
 * ```
 */
export function initIrqWork(work: IrqWork, func: IrqWorkFunc): void {
  if (!(work instanceof IrqWork)) {
    throw new TypeError(`initIrqWork needs an IrqWork, got ${describe(work)}`);
  }
  if (typeof func !== "function") {
    throw new TypeError(`An irq_work's callback must be a function of (work, ctx), got ${describe(func)}`);
  }
  work.func = func;
  work.aFlags.value = 0;
  work.next = null;
  work.irqwait.value = null;
  work.machine = null;
}

/**
 * `irq_work_is_pending()`.
 *
 * @example
 * ```ts
 * import { irqWorkInit, irqWorkIsPending } from "./irq_work.ts";
 * if (irqWorkIsPending(irqWorkInit(() => {}))) throw new Error("fresh works are free");
 * ```
 */
export function irqWorkIsPending(work: IrqWork): boolean {
  return (work.flags & IRQ_WORK_PENDING) !== 0;
}

/**
 * `irq_work_is_busy()`.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import { irqWorkInit, irqWorkIsBusy } from "./irq_work.ts";
 * const m = createMachine({ arch: fixtureArch() });
 * const work = irqWorkInit(() => {});
 * m.spawn({ cpu: 0, name: "q" }, function* (ctx) {
 *   yield* ctx.irqDisable(); // the self-interrupt waits
 *   yield* ctx.queue(work);
 *   if (!irqWorkIsBusy(work)) throw new Error("queued works are busy");
 *   yield* ctx.irqEnable();
 * });
 * m.runUntil(1_000_000);
 * if (irqWorkIsBusy(work)) throw new Error("free again after its run");
 * ```
 */
export function irqWorkIsBusy(work: IrqWork): boolean {
  return (work.flags & IRQ_WORK_BUSY) !== 0;
}

/**
 * `irq_work_is_hard()`.
 *
 * @example
 * ```ts
 * import { irqWorkInit, irqWorkIsHard } from "./irq_work.ts";
 * if (irqWorkIsHard(irqWorkInit(() => {}))) throw new Error("plain works are threaded on PREEMPT_RT");
 * ```
 */
export function irqWorkIsHard(work: IrqWork): boolean {
  return (work.flags & IRQ_WORK_HARD_IRQ) !== 0;
}

/**
 * The irq_work policy slot: the questions the kernel answers with
 * `IS_ENABLED(CONFIG_PREEMPT_RT)` in kernel/irq_work.c. The core holds the
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
  handleLazyList(irqWork: IrqWorkCore, cpu: Cpu): Kernel;
  /**
   * Do waiters sleep for works not flagged HARD (whatever the arch)? Then
   * the runner reads the work's flags again after releasing it, to know
   * whether to wake a waiter (rules 6.5, 11.3).
   */
  readonly nonHardWaitersSleep: boolean;
  /** Must interrupts be off when a list is drained (the drain's BUG_ON, rule 7.1)? */
  readonly drainNeedsIrqsOff: boolean;
}

/** The non-RT answers of kernel version C (rules 4.3, 7.1, 8, 11.3). */
export const NON_RT_POLICY: IrqWorkPolicy = Object.freeze({
  name: "non-RT",
  joinsLazyList: (flags: number) => (flags & IRQ_WORK_LAZY) !== 0,
  remoteThroughLazyList: () => false,
  handleLazyList: (irqWork: IrqWorkCore, cpu: Cpu) =>
    irqWork.irqWorkRunList(cpu, irqWork.lazyList.get(cpu.id)),
  nonHardWaitersSleep: false,
  drainNeedsIrqsOff: true,
});

/**
 * One execution of an irq_work callback.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import { irqWorkInit } from "./irq_work.ts";
 * const m = createMachine({ arch: fixtureArch() });
 * m.spawn({ cpu: 0, name: "q", at: 1_000_000 }, (ctx) => ctx.queue(irqWorkInit(() => {})));
 * m.runUntil(2_000_000);
 * const run = m.runs[0]!;
 * if (run.context !== "hardirq" || run.startedAt <= run.queuedAt) throw new Error("ran in the self-interrupt");
 * ```
 */
export interface WorkRun {
  /** The work that ran. */
  readonly work: IrqWork;
  /** The CPU it ran on. */
  readonly cpu: number;
  /** The kernel's own work (the RT wake-up work), not one the scenario queued. */
  readonly internal: boolean;
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

/** What the irq_work core is built from: the parts of the machine it uses, and its answers. */
export interface IrqWorkParts {
  /** The CPUs. */
  readonly cpus: readonly Cpu[];
  /** Shared memory (flag words, lists, the waiter slot). */
  readonly memory: Memory;
  /** Where events go. */
  readonly trace: TraceHub;
  /** Where WARN/BUG go. */
  readonly findings: Findings;
  /** The arch (for `arch_irq_work_raise()`). */
  readonly arch: Arch;
  /** `arch_irq_work_has_interrupt()` on this machine. */
  readonly hasIrqWorkInterrupt: boolean;
  /** What the arch's raise may touch. */
  readonly raiseHw: ArchRaiseHw;
  /** Timers (for `tick_nohz_tick_stopped()`). */
  readonly timers: Timers;
  /** The call-single queues (remote works). */
  readonly smp: Smp;
  /** Task wake-ups (the sync's waiter). */
  readonly wakeups: Wakeups;
  /** RCU (the sync's grace period, D). */
  readonly rcu: Rcu;
  /** The policy slot's answers. */
  readonly policy: IrqWorkPolicy;
  /** The kernel version's answers. */
  readonly profile: KernelProfile;
  /** An SMP build. */
  readonly smpBuild: boolean;
  /** `cpu_relax()` in spin loops, ns. */
  readonly cpuRelaxNs: number;
  /** A sync spinning this long is a livelock. */
  readonly spinLimitNs: number;
  /** What the claim, the release and the list operations cost (rule 23). */
  readonly costs: Pick<PathTiming, "irqWorkClaimNs" | "irqWorkReleaseNs" | "llistAddNs" | "llistDelAllNs">;
  /** The machine's identity, which the works it queues belong to. */
  readonly machine: object;
  /** The current time. */
  now(): number;
  /** The callback context of `cpu` (what scenario code gets). */
  contextOf(cpu: Cpu): Context;
  /** Record a callback run. */
  recordRun(run: WorkRun): void;
}

/** The irq_work subsystem of one machine: the per-CPU lists and the kernel's functions. */
export class IrqWorkCore {
  /** Works that want the self-interrupt (`raised_list`). */
  readonly raisedList: PerCpu<LlistHead<IrqWork>>;
  /** Works that wait for the tick or, on RT, the thread (`lazy_list`). */
  readonly lazyList: PerCpu<LlistHead<IrqWork>>;
  /** Per-CPU HARD work that wakes a CPU's lazy-list runner (`irq_work_wakeup`). */
  readonly wakeup: PerCpu<IrqWork>;
  /** The parts it works with (for the policy and the plugins that answer it). */
  readonly parts: IrqWorkParts;

  /** The subsystem over `parts`. */
  constructor(parts: IrqWorkParts) {
    this.parts = parts;
    const n = parts.cpus.length;
    this.raisedList = new PerCpu(n, () => new LlistHead<IrqWork>());
    this.lazyList = new PerCpu(n, () => new LlistHead<IrqWork>());
    this.wakeup = new PerCpu(n, (cpu) => {
      const work = irqWorkInitHard(
        () => parts.policy.handleLazyList(this, parts.cpus[cpu]!),
        "irq_work_wake",
      );
      work.internal = true;
      return work;
    });
  }

  /**
   * `irq_work_claim()`: one atomic fetch-or, at the end of the claim's cost;
   * succeeds iff PENDING was clear (rules 3, 23.2).
   */
  *irqWorkClaim(cpu: Cpu, work: IrqWork): Kernel<boolean> {
    this.#own(work, "queue");
    const cost = this.parts.costs.irqWorkClaimNs;
    if (cost > 0) yield cost;
    const old = yield* this.parts.memory.fetchOr(cpu.id, work.aFlags, IRQ_WORK_CLAIMED | CSD_TYPE_IRQ_WORK);
    this.#checkAccess(cpu, work, "irq_work_claim");
    if (old & IRQ_WORK_PENDING) return false;
    work.queuedAt = this.parts.now();
    return true;
  }

  /** Make `work` this machine's, or throw if it is another machine's (an emulator rule, not a kernel one). */
  #own(work: IrqWork, action: string): void {
    if (!(work instanceof IrqWork)) {
      throw new TypeError(`Cannot ${action} ${describe(work)}: it is not an IrqWork (use irqWorkInit())`);
    }
    if (work.machine === this.parts.machine) return;
    if (work.machine !== null) {
      throw new Error(
        `Cannot ${action} work "${work.name}" on this machine: it belongs to another machine, the first ` +
          "that queued it (its flags, link and waiter are that machine's memory); make one work per " +
          "machine, or initIrqWork() it first",
      );
    }
    work.machine = this.parts.machine;
  }

  /** A read or write of `work` by the irq_work code: report it if the work's object was freed. */
  #checkAccess(cpu: Cpu, work: IrqWork, where: string): void {
    if (work.object?.freed) {
      this.parts.findings.reportOnce(
        cpu,
        `BUG: KASAN: slab-use-after-free in ${where}\n${work.name} in freed ${work.object.name}`,
      );
    }
  }

  /** `irq_work_raise()`: trace the self-IPI (6.4+, only if the arch has one) and ask the arch. */
  *#irqWorkRaise(cpu: Cpu, work: IrqWork, callsite: string): Kernel {
    const p = this.parts;
    const ipi = p.trace.nextIpiId();
    if (p.hasIrqWorkInterrupt && p.profile.traceIrqWorkRaise) {
      p.trace.emit(cpu, { type: "ipi_send_cpu", ipi, target: cpu.id, callsite, callback: work.name });
    }
    yield* p.arch.irqWorkRaise(p.raiseHw, cpu, ipi);
  }

  /** `__irq_work_queue_local()`: pick the list, push, raise on the empty edge (rules 4.2, 4.3). */
  *#irqWorkQueueLocal(cpu: Cpu, work: IrqWork, callsite: string): Kernel {
    const p = this.parts;
    const flags = p.memory.peek(cpu.id, work.aFlags);
    const lazyWork = (flags & IRQ_WORK_LAZY) !== 0;
    const toLazy = p.policy.joinsLazyList(flags);
    const list = (toLazy ? this.lazyList : this.raisedList).get(cpu.id);
    p.trace.emit(cpu, {
      type: "irq_work_queue",
      work: work.name,
      workId: p.trace.workId(work),
      workFlags: flags,
      target: cpu.id,
      list: toLazy ? "lazy" : "raised",
    });
    if (!(yield* llistAdd(p.memory, cpu.id, work, list, p.costs.llistAddNs))) return;
    if (!lazyWork || p.timers.tickStopped[cpu.id]) yield* this.#irqWorkRaise(cpu, work, callsite);
  }

  /** `irq_work_queue()`: claim, then enqueue on this CPU with preemption disabled (rule 4.1). */
  *irqWorkQueue(cpu: Cpu, work: IrqWork): Kernel<boolean> {
    if (!(yield* this.irqWorkClaim(cpu, work))) return false;
    cpu.current.preemptCount++;
    yield* this.#irqWorkQueueLocal(cpu, work, "irq_work_queue");
    yield* preemptEnable(cpu);
    return true;
  }

  /** `irq_work_queue_on()`: queue on CPU `target`, through the call-single queue if remote (rule 5). */
  *irqWorkQueueOn(cpu: Cpu, work: IrqWork, target: number): Kernel<boolean> {
    const p = this.parts;
    if (!p.smpBuild) return yield* this.irqWorkQueue(cpu, work);
    checkCpu(p.cpus.length, target, "queue work on");
    if (!p.cpus[target]!.online) {
      p.findings.warnOnOnce(cpu, "kernel/irq_work.c", "irq_work_queue_on", "cpu_is_offline(cpu)");
    }
    if (!(yield* this.irqWorkClaim(cpu, work))) return false;
    cpu.current.preemptCount++;
    if (target !== cpu.id) {
      if (cpu.inNmi) p.findings.warnOnOnce(cpu, "kernel/irq_work.c", "irq_work_queue_on", "in_nmi()");
      let entry: IrqWork | null = work;
      const flags = p.memory.peek(cpu.id, work.aFlags);
      if (p.policy.remoteThroughLazyList(flags)) {
        this.#traceQueue(cpu, work, flags, target, "lazy");
        entry = null;
        if (yield* llistAdd(p.memory, cpu.id, work, this.lazyList.get(target), p.costs.llistAddNs)) {
          const wakeup = this.wakeup.get(target);
          if (yield* this.irqWorkClaim(cpu, wakeup)) entry = wakeup;
        }
      }
      if (entry !== null) {
        this.#traceQueue(cpu, entry, p.memory.peek(cpu.id, entry.aFlags), target, "call_single");
        yield* p.smp.callSingleQueue(cpu, target, entry, entry.name, "irq_work_queue_on");
      }
    } else {
      yield* this.#irqWorkQueueLocal(cpu, work, "irq_work_queue_on");
    }
    yield* preemptEnable(cpu);
    return true;
  }

  #traceQueue(cpu: Cpu, work: IrqWork, flags: number, target: number, list: "lazy" | "call_single"): void {
    const trace = this.parts.trace;
    trace.emit(cpu, {
      type: "irq_work_queue",
      work: work.name,
      workId: trace.workId(work),
      workFlags: flags,
      target,
      list,
    });
  }

  /**
   * `irq_work_needs_cpu()`: may this CPU not stop its tick? Raised works count
   * only without a self-interrupt; lazy works always (rule 10.1).
   */
  irqWorkNeedsCpu(cpu: Cpu): boolean {
    const p = this.parts;
    if (llistEmpty(p.memory, cpu.id, this.raisedList.get(cpu.id)) || p.hasIrqWorkInterrupt) {
      if (llistEmpty(p.memory, cpu.id, this.lazyList.get(cpu.id))) return false;
    }
    if (!cpu.online) {
      p.findings.warnOnOnce(
        cpu,
        "kernel/irq_work.c",
        "irq_work_needs_cpu",
        "cpu_is_offline(smp_processor_id())",
      );
    }
    return true;
  }

  /** `irq_work_single()`: run one claimed work and release it (rule 6). */
  *irqWorkSingle(cpu: Cpu, work: IrqWork): Kernel {
    const p = this.parts;
    const mem = p.memory;
    const read = yield* mem.read(cpu.id, work.aFlags);
    this.#checkAccess(cpu, work, "irq_work_single");
    const flags = read & ~IRQ_WORK_PENDING;
    yield* mem.write(cpu.id, work.aFlags, flags);
    mem.fence(cpu.id);
    const started = p.now();
    const queuedAt = work.queuedAt;
    const task = cpu.current;
    const context = cpu.context, irqsDisabled = cpu.irqsOff, preemptCount = task.preemptCount;
    const hard = (flags & IRQ_WORK_HARD_IRQ) !== 0;
    const workId = p.trace.workId(work);
    p.trace.emit(cpu, { type: "irq_work_execute_start", work: work.name, workId, hard });
    yield* runCallback(work.func(work, p.contextOf(cpu)));
    p.trace.emit(cpu, { type: "irq_work_execute_end", work: work.name, workId, hard });
    p.recordRun({
      work,
      cpu: cpu.id,
      context,
      task: { comm: task.comm, pid: task.pid, prio: task.prio },
      irqsDisabled,
      preemptCount,
      queuedAt,
      startedAt: started,
      endedAt: p.now(),
      internal: work.internal,
    });
    // smp_mb() and the cmpxchg: BUSY clears at the end of the release's cost (rule 23.2).
    if (p.costs.irqWorkReleaseNs > 0) yield p.costs.irqWorkReleaseNs;
    yield* mem.cmpxchg(cpu.id, work.aFlags, flags, flags & ~IRQ_WORK_BUSY);
    this.#checkAccess(cpu, work, "irq_work_single");
    // After the release another CPU may sync, see BUSY clear and free the work:
    // whatever the runner still reads of it is the window of bug H3, closed by
    // profile D's grace period in the syncer.
    if (yield* this.#wakesWaiter(cpu, work)) yield* this.#rcuwaitWakeUp(cpu, work);
  }

  /**
   * Does the runner wake the work's waiter after the release? The kernel
   * reads the flags again only where the answer depends on them (non-HARD
   * waiters sleep: PREEMPT_RT); elsewhere the arch alone decides (rules 6.5, 11.3).
   */
  *#wakesWaiter(cpu: Cpu, work: IrqWork): Kernel<boolean> {
    const p = this.parts;
    if (!p.profile.rtSyncSleepsForNonHard || !p.policy.nonHardWaitersSleep) {
      return this.#waitersSleep(IRQ_WORK_HARD_IRQ);
    }
    const flags = yield* p.memory.read(cpu.id, work.aFlags);
    this.#checkAccess(cpu, work, "irq_work_single");
    return this.#waitersSleep(flags);
  }

  /** `irq_work_run_list()`: take the whole list and run it newest first (rule 7.1). */
  *irqWorkRunList(cpu: Cpu, list: LlistHead<IrqWork>): Kernel {
    const p = this.parts;
    if (!cpu.irqsOff && p.policy.drainNeedsIrqsOff) {
      yield* this.#bug(
        cpu,
        "kernel BUG at kernel/irq_work.c!\nBUG_ON(!irqs_disabled()) in irq_work_run_list",
      );
    }
    if (llistEmpty(p.memory, cpu.id, list)) return;
    const first = yield* llistDelAll(p.memory, cpu.id, list, p.costs.llistDelAllNs);
    for (const work of llistEntries(first)) yield* this.irqWorkSingle(cpu, work);
  }

  /** `irq_work_run()`: the self-interrupt handler's body (rule 8.1). */
  *irqWorkRun(cpu: Cpu): Kernel {
    yield* this.irqWorkRunList(cpu, this.raisedList.get(cpu.id));
    yield* this.parts.policy.handleLazyList(this, cpu);
  }

  /** `irq_work_tick()`: from the tick in hard-IRQ context (rule 8.2). */
  *irqWorkTick(cpu: Cpu): Kernel {
    const p = this.parts;
    const raised = this.raisedList.get(cpu.id);
    if (!llistEmpty(p.memory, cpu.id, raised) && !p.hasIrqWorkInterrupt) {
      yield* this.irqWorkRunList(cpu, raised);
    }
    yield* p.policy.handleLazyList(this, cpu);
  }

  /**
   * `irq_work_sync()`: wait until the work is not BUSY. Sleeps where the policy
   * says waiters sleep, otherwise spins (rule 11).
   */
  *irqWorkSync(cpu: Cpu, work: IrqWork): Kernel {
    this.#own(work, "sync");
    const p = this.parts;
    if (cpu.irqsOff) {
      p.findings.warnOnOnce(cpu, "kernel/irq_work.c", "irq_work_sync", "!this_cpu_read(hardirqs_enabled)");
    }
    if (p.profile.syncSleepsWithoutIrq) {
      p.findings.mightSleep(cpu, "kernel/irq_work.c");
    }
    if (this.#waitersSleep(p.memory.peek(cpu.id, work.aFlags))) {
      yield* this.#rcuwaitWaitEvent(cpu, work);
      if (p.profile.rcuProtectedSync) yield* p.rcu.synchronize(cpu);
      return;
    }
    const start = p.now();
    for (;;) {
      if (!((yield* p.memory.read(cpu.id, work.aFlags)) & IRQ_WORK_BUSY)) return;
      const now = p.now();
      if (now - start > p.spinLimitNs) {
        p.findings.livelock(
          cpu,
          `irq_work_sync() has spun ${(now - start) / 1e6} ms on ${work.name} with BUSY set`,
        );
        yield STEP;
      }
      // The first poll past the spin limit must happen: it reports the livelock.
      const overLimit = now + (Math.floor((start + p.spinLimitNs - now) / p.cpuRelaxNs) + 1) * p.cpuRelaxNs;
      yield cpu.relax(p.cpuRelaxNs, overLimit);
    }
  }

  /**
   * Does a syncer of `work` sleep rather than spin? Two fixes answer: RT
   * non-HARD works (09089db79859) and arches without a self-interrupt
   * (810979682ccc) (rule 11.3).
   */
  #waitersSleep(flags: number): boolean {
    const p = this.parts;
    return (p.profile.rtSyncSleepsForNonHard && p.policy.nonHardWaitersSleep &&
      !(flags & IRQ_WORK_HARD_IRQ)) ||
      (p.profile.syncSleepsWithoutIrq && !p.hasIrqWorkInterrupt);
  }

  /**
   * `rcuwait_wait_event(&work->irqwait, !irq_work_is_busy(work), TASK_UNINTERRUPTIBLE)`:
   * register once (`prepare_to_rcuwait`), then re-check and sleep until woken
   * and true; `finish_rcuwait` clears the slot.
   */
  *#rcuwaitWaitEvent(cpu: Cpu, work: IrqWork): Kernel {
    const mem = this.parts.memory;
    const task = cpu.current;
    yield* mem.write(cpu.id, work.irqwait, task);
    for (;;) {
      task.state = "uninterruptible";
      if (!((yield* mem.read(cpu.id, work.aFlags)) & IRQ_WORK_BUSY)) break;
      yield SCHEDULE;
    }
    mem.poke(cpu.id, work.irqwait, null);
    task.state = "running";
  }

  /** `rcuwait_wake_up(&work->irqwait)`: wake whoever is registered, if anyone. */
  *#rcuwaitWakeUp(cpu: Cpu, work: IrqWork): Kernel {
    const task = yield* this.parts.memory.read(cpu.id, work.irqwait);
    this.#checkAccess(cpu, work, "rcuwait_wake_up");
    if (task !== null) yield* this.parts.wakeups.wakeUpProcess(cpu, task);
  }

  /** `BUG()`: record the finding and stop; the CPU never resumes this code. */
  *#bug(cpu: Cpu, message: string): Kernel<never> {
    this.parts.findings.bug(cpu, message);
    yield STEP;
    throw new Error(`CPU ${cpu.id} resumed after BUG: ${message}`);
  }
}
