/**
 * What every workload shares: the {@linkcode Workload} shape, the options a
 * factory takes, {@linkcode markHard}, and small kernel helpers the
 * callbacks are built from (`local_irq_save()`, `wake_up()`, `kref_put()`).
 *
 * Time assumptions (simulated ns, a ~3 GHz core, caches warm, no
 * contention): an uncontended lock round trip costs nothing extra beyond
 * the core's own steps; the numbers below are the work done *inside* the
 * critical sections.
 *
 * @module
 */

import {
  type Context,
  IRQ_WORK_HARD_IRQ,
  type IrqWork,
  type Kernel,
  type KObject,
  type RawSpinlock,
  type Spinlock,
} from "../../core/mod.ts";

/** Costs in ns of the steps callbacks model (assumptions, see the module doc). */
export const COST: {
  /** `try_to_wake_up()` of one waiter, as `wake_up*()` on a wait queue does. */
  readonly wakeUpNs: number;
  /** `push_rt_task()` moving one RT task to a lower-priority CPU. */
  readonly pushRtTaskNs: number;
  /** `send_signal_locked()` + `signal_wake_up()`. */
  readonly sendSignalNs: number;
  /** `__perf_event_disable()` with the PMU stop/start of `event_function_local()`. */
  readonly perfDisableNs: number;
  /** `kthread_insert_work()`: list insert and the worker's wake-up. */
  readonly kthreadQueueNs: number;
  /** `console_unlock()` flushing one record to a fast (framebuffer/netconsole) console. */
  readonly consoleRecordNs: number;
  /** `dma_fence_signal()`'s walk of one fence callback. */
  readonly fenceSignalNs: number;
} = Object.freeze({
  wakeUpNs: 1_000,
  pushRtTaskNs: 3_000,
  sendSignalNs: 2_000,
  perfDisableNs: 1_500,
  kthreadQueueNs: 500,
  consoleRecordNs: 20_000,
  fenceSignalNs: 500,
});

/** A ready-made work modelled on one in-kernel irq_work user. */
export interface Workload {
  /** The kernel's name of the work, e.g. `nohz_full_kick_work`. */
  readonly name: string;
  /** One line naming the kernel source the workload models. */
  readonly source: string;
  /** The work, made with the kernel's own initialiser. */
  readonly work: IrqWork;
  /** Every lock the callback (or the queueing side) takes. */
  readonly locks: readonly (RawSpinlock | Spinlock)[];
  /** Objects allocated by `queue()`; the callback frees them where the kernel's does. */
  readonly objects: KObject[];
  /** The CPU the work belongs to; call `queue()` from a task on it. */
  readonly cpu: number;
  /** The CPUs where one `queue()` makes the callback run, in order. */
  readonly expectedCpus: readonly number[];
  /** Queue the work as the kernel's queueing site does, from the calling context. */
  queue(ctx: Context): Kernel<boolean>;
}

/** What every factory accepts. */
export interface WorkloadOptions {
  /** The CPU the (per-CPU) work belongs to and is queued from; default 0. */
  readonly cpu?: number;
  /** Number of CPUs of the machine, for remote targets; default 2. */
  readonly cpus?: number;
}

/** A workload factory, as {@linkcode ALL_WORKLOADS} lists them. */
export type WorkloadFactory = (options?: WorkloadOptions) => Workload;

/**
 * Flag `work` `IRQ_WORK_HARD_IRQ` (in place) to model a user that wrongly
 * initialised it with `IRQ_WORK_INIT_HARD`; returns the same work.
 *
 * @example
 * ```ts
 * import { IRQ_WORK_HARD_IRQ, irqWorkInit } from "../../mod.ts";
 * import { markHard } from "./mod.ts";
 * const w = irqWorkInit(() => {});
 * if (markHard(w) !== w || w.flags !== IRQ_WORK_HARD_IRQ) throw new Error("same work, HARD");
 * ```
 */
export function markHard(work: IrqWork): IrqWork {
  work.flags |= IRQ_WORK_HARD_IRQ;
  return work;
}

/** Resolve the common options. */
export function homeOf(options: WorkloadOptions | undefined): { cpu: number; cpus: number } {
  const cpus = options?.cpus ?? 2;
  const cpu = options?.cpu ?? 0;
  if (!Number.isSafeInteger(cpus) || cpus < 1) throw new RangeError(`cpus must be >= 1, got ${cpus}`);
  if (!Number.isSafeInteger(cpu) || cpu < 0 || cpu >= cpus) {
    throw new RangeError(`cpu must be in 0..${cpus - 1}, got ${cpu}`);
  }
  return { cpu, cpus };
}

/** `local_irq_save()`: returns whether interrupts were already off. */
export function* localIrqSave(ctx: Context): Kernel<boolean> {
  const was = ctx.irqsDisabled;
  if (!was) yield* ctx.irqDisable();
  return was;
}

/** `local_irq_restore()`. */
export function* localIrqRestore(ctx: Context, wasDisabled: boolean): Kernel {
  if (!wasDisabled) yield* ctx.irqEnable();
}

/**
 * `wake_up*(wq)` waking `waiters` tasks: the wait-queue head's `spinlock_t`
 * around the walk. (`spin_lock_irqsave()` disables interrupts on a non-RT
 * kernel only; the model takes the plain `spin_lock()`, which changes no
 * finding: the callbacks already run with interrupts off there.)
 */
export function* wakeUp(ctx: Context, wq: Spinlock, waiters = 1): Kernel {
  yield* ctx.spinLock(wq);
  yield* ctx.spend(COST.wakeUpNs * waiters);
  yield* ctx.spinUnlock(wq);
}

/** `struct kref`. */
export class Kref {
  /** The count; `kref_init()` sets 1. */
  count = 1;
}

/** `kref_put()`: drop one reference; the last one calls `release`. */
export function* krefPut(ref: Kref, release: () => Kernel): Kernel<boolean> {
  if (ref.count <= 0) throw new Error("kref_put() on a dead kref (refcount underflow)");
  ref.count--;
  if (ref.count > 0) return false;
  yield* release();
  return true;
}
