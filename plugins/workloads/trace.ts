/**
 * printk and tracing users: the klogd wake-up and the ring buffer's
 * waiter wake-up.
 *
 * @module
 */

import {
  type Context,
  irqWorkInit,
  irqWorkInitLazy,
  type Kernel,
  RawSpinlock,
  Spinlock,
} from "../../core/mod.ts";
import {
  COST,
  homeOf,
  localIrqRestore,
  localIrqSave,
  wakeUp,
  type Workload,
  type WorkloadOptions,
} from "./common.ts";

/** Options of {@linkcode wakeUpKlogd}. */
export interface WakeUpKlogdOptions extends WorkloadOptions {
  /** `PRINTK_PENDING_OUTPUT` is set too (`printk_deferred()`): flush one record to the console; default false. */
  readonly output?: boolean;
}

/**
 * Per-CPU `wake_up_klogd_work` (kernel/printk/printk.c
 * `wake_up_klogd_work_func`, `IRQ_WORK_INIT_LAZY`): for pending output,
 * `console_trylock()`/`console_unlock()` — `console_sem`'s raw `sem->lock`
 * around the flush; for a pending wake-up, `wake_up_interruptible(&log_wait)`
 * — `log_wait.lock`, a `spinlock_t`. `queue()` is `wake_up_klogd()`'s
 * `irq_work_queue(this_cpu_ptr(&wake_up_klogd_work))`. Time: one wake-up,
 * plus {@linkcode COST}.consoleRecordNs with `output`.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { wakeUpKlogd } from "./mod.ts";
 * const k = wakeUpKlogd();
 * const m = createMachine({ arch: x86(), cpus: 1, nohz: false });
 * m.spawn({ cpu: 0, name: "t", at: 1_000 }, (ctx) => k.queue(ctx));
 * m.runUntil(5_000_000);
 * const run = m.runs[0];
 * if (run === undefined || run.startedAt < 4_000_000) throw new Error("LAZY runs at the next tick");
 * ```
 */
export function wakeUpKlogd(options?: WakeUpKlogdOptions): Workload {
  const { cpu } = homeOf(options);
  const output = options?.output ?? false;
  const logWait = new Spinlock("log_wait.lock");
  const semLock = new RawSpinlock("console_sem.lock");
  const work = irqWorkInitLazy(function* wake_up_klogd_work_func(_w, ctx): Kernel {
    if (output) {
      // console_trylock() then console_unlock(): down_trylock()/up() take the semaphore's raw lock.
      let flags = yield* localIrqSave(ctx);
      yield* ctx.rawSpinLock(semLock);
      yield* ctx.rawSpinUnlock(semLock);
      yield* localIrqRestore(ctx, flags);
      yield* ctx.spend(COST.consoleRecordNs);
      flags = yield* localIrqSave(ctx);
      yield* ctx.rawSpinLock(semLock);
      yield* ctx.rawSpinUnlock(semLock);
      yield* localIrqRestore(ctx, flags);
    }
    yield* wakeUp(ctx, logWait);
  }, "wake_up_klogd_work");
  return {
    name: "wake_up_klogd_work",
    source: "kernel/printk/printk.c: wake_up_klogd_work_func, IRQ_WORK_INIT_LAZY",
    work,
    locks: output ? [logWait, semLock] : [logWait],
    objects: [],
    cpu,
    expectedCpus: [cpu],
    queue: (ctx: Context) => ctx.queue(work),
  };
}

/** Options of {@linkcode ringBufferWakeUp}. */
export interface RingBufferWakeUpOptions extends WorkloadOptions {
  /** A reader waits for the buffer to fill (`full_waiters_pending`); default true. */
  readonly fullWaiters?: boolean;
}

/**
 * Per-CPU buffer `irq_work.work` (kernel/trace/ring_buffer.c
 * `rb_wake_up_waiters`, `init_irq_work()` in `rb_allocate_cpu_buffer()`):
 * `wake_up_all(&rbwork->waiters)` (`spinlock_t`); with full waiters pending,
 * the raw `cpu_buffer->reader_lock` to reset the wake-up state, released
 * before `wake_up_all(&rbwork->full_waiters)` (`spinlock_t`). `queue()` is
 * `rb_wakeups()`' `irq_work_queue()` after a commit. Time: one wake-up per
 * wait queue.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { arm64 } from "../../arch/arm64/mod.ts";
 * import { ringBufferWakeUp } from "./mod.ts";
 * const rb = ringBufferWakeUp();
 * const m = createMachine({ arch: arm64(), cpus: 2 });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => rb.queue(ctx));
 * m.runUntil(1_000_000);
 * if (m.runs.length !== 1) throw new Error("rb_wake_up_waiters runs once");
 * ```
 */
export function ringBufferWakeUp(options?: RingBufferWakeUpOptions): Workload {
  const { cpu } = homeOf(options);
  const full = options?.fullWaiters ?? true;
  const waiters = new Spinlock("rbwork->waiters.lock");
  const fullWaiters = new Spinlock("rbwork->full_waiters.lock");
  const readerLock = new RawSpinlock("cpu_buffer->reader_lock");
  const work = irqWorkInit(function* rb_wake_up_waiters(_w, ctx): Kernel {
    yield* wakeUp(ctx, waiters);
    if (!full) return;
    yield* ctx.rawSpinLock(readerLock);
    yield* ctx.rawSpinUnlock(readerLock);
    yield* wakeUp(ctx, fullWaiters);
  }, "rb_wake_up_waiters");
  return {
    name: "cpu_buffer->irq_work.work",
    source: "kernel/trace/ring_buffer.c: rb_wake_up_waiters, init_irq_work()",
    work,
    locks: [waiters, fullWaiters, readerLock],
    objects: [],
    cpu,
    expectedCpus: [cpu],
    queue: (ctx: Context) => ctx.queue(work),
  };
}
