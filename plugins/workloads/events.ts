/**
 * perf and BPF users: perf's wake-up and disable works, and the BPF
 * `bpf_send_signal()` helper's per-CPU work.
 *
 * @module
 */

import {
  type Context,
  irqWorkInit,
  irqWorkInitHard,
  irqWorkIsBusy,
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

/**
 * `event->pending_irq` (kernel/events/core.c `perf_pending_irq`,
 * `init_irq_work()` in `perf_event_alloc()`): with `pending_wakeup` set,
 * `perf_event_wakeup()` → `ring_buffer_wakeup()`: under `rcu_read_lock()`,
 * `wake_up_all(&event->waitq)` — the wait queue's `spinlock_t`. `queue()`
 * is `__perf_event_overflow()`'s `irq_work_queue()` (usually from the PMU
 * NMI; any context works). Time: one wake-up ({@linkcode COST}.wakeUpNs).
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { powerpc } from "../../arch/powerpc/mod.ts";
 * import { perfPendingIrq } from "./mod.ts";
 * const p = perfPendingIrq();
 * const m = createMachine({ arch: powerpc(), cpus: 2 });
 * m.nmi(0, 10_000, (ctx) => p.queue(ctx));
 * m.runUntil(1_000_000);
 * if (m.runs.length !== 1 || m.runs[0]!.context !== "hardirq") throw new Error("runs after the NMI");
 * ```
 */
export function perfPendingIrq(options?: WorkloadOptions): Workload {
  const { cpu } = homeOf(options);
  const waitq = new Spinlock("event->waitq.lock");
  const work = irqWorkInit(function* perf_pending_irq(_w, ctx): Kernel {
    yield* ctx.rcuReadLock();
    yield* wakeUp(ctx, waitq);
    yield* ctx.rcuReadUnlock();
  }, "perf_pending_irq");
  return {
    name: "event->pending_irq",
    source: "kernel/events/core.c: perf_pending_irq -> perf_event_wakeup(), init_irq_work()",
    work,
    locks: [waitq],
    objects: [],
    cpu,
    expectedCpus: [cpu],
    queue: (ctx: Context) => ctx.queue(work),
  };
}

/** Options of {@linkcode perfPendingDisable}. */
export interface PerfPendingDisableOptions extends WorkloadOptions {
  /** `event->oncpu`: where the event is active; default `cpu`. Another CPU makes the work follow it. */
  readonly oncpu?: number;
}

/**
 * `event->pending_disable_irq` (kernel/events/core.c `perf_pending_disable`,
 * `IRQ_WORK_INIT_HARD` in `perf_event_alloc()`, 6.9+): on the event's CPU,
 * `perf_event_disable_local()` → `event_function_local()` with interrupts
 * saved and the raw `ctx->lock` (`perf_ctx_lock()`); on any other CPU it
 * `irq_work_queue_on()`s itself to `event->oncpu`. `queue()` is
 * `perf_event_disable_inatomic()`'s `irq_work_queue()`. Time:
 * {@linkcode COST}.perfDisableNs.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { perfPendingDisable } from "./mod.ts";
 * const p = perfPendingDisable({ cpu: 0, cpus: 2, oncpu: 1 });
 * const m = createMachine({ arch: x86(), cpus: 2 });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => p.queue(ctx));
 * m.runUntil(1_000_000);
 * if (m.runs.map((r) => r.cpu).join() !== "0,1") throw new Error("follows the event to CPU 1");
 * ```
 */
export function perfPendingDisable(options?: PerfPendingDisableOptions): Workload {
  const { cpu, cpus } = homeOf(options);
  const oncpu = options?.oncpu ?? cpu;
  homeOf({ cpu: oncpu, cpus });
  const ctxLock = new RawSpinlock("perf ctx->lock");
  const work = irqWorkInitHard(function* perf_pending_disable(w, ctx): Kernel {
    if (ctx.cpu !== oncpu) {
      yield* ctx.queueOn(w, oncpu);
      return;
    }
    const flags = yield* localIrqSave(ctx);
    yield* ctx.rawSpinLock(ctxLock);
    yield* ctx.spend(COST.perfDisableNs);
    yield* ctx.rawSpinUnlock(ctxLock);
    yield* localIrqRestore(ctx, flags);
  }, "perf_pending_disable");
  return {
    name: "event->pending_disable_irq",
    source: "kernel/events/core.c: perf_pending_disable, IRQ_WORK_INIT_HARD (6.9+)",
    work,
    locks: [ctxLock],
    objects: [],
    cpu,
    expectedCpus: oncpu === cpu ? [cpu] : [cpu, oncpu],
    queue: (ctx: Context) => ctx.queue(work),
  };
}

/**
 * Per-CPU `send_signal_work` (kernel/trace/bpf_trace.c `do_bpf_send_signal`,
 * `init_irq_work()` per CPU): `group_send_sig_info()` → under
 * `rcu_read_lock()`, `lock_task_sighand()`'s `spinlock_t` `sighand->siglock`
 * and, inside it, `signal_wake_up()`'s raw `p->pi_lock`; then
 * `put_task_struct()` (not the last reference). `queue()` is
 * `bpf_send_signal_common()`: -EBUSY (false) while the work is busy, else
 * `irq_work_queue()`. Time: {@linkcode COST}.sendSignalNs.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { bpfSendSignal } from "./mod.ts";
 * const b = bpfSendSignal();
 * const m = createMachine({ arch: x86(), cpus: 2 });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => b.queue(ctx));
 * m.runUntil(1_000_000);
 * if (m.runs[0]?.work !== b.work) throw new Error("the signal work ran");
 * ```
 */
export function bpfSendSignal(options?: WorkloadOptions): Workload {
  const { cpu } = homeOf(options);
  const siglock = new Spinlock("sighand->siglock");
  const piLock = new RawSpinlock("p->pi_lock");
  const work = irqWorkInit(function* do_bpf_send_signal(_w, ctx): Kernel {
    yield* ctx.rcuReadLock();
    yield* ctx.spinLock(siglock);
    yield* ctx.spend(COST.sendSignalNs);
    yield* ctx.rawSpinLock(piLock);
    yield* ctx.spend(COST.wakeUpNs);
    yield* ctx.rawSpinUnlock(piLock);
    yield* ctx.spinUnlock(siglock);
    yield* ctx.rcuReadUnlock();
  }, "do_bpf_send_signal");
  return {
    name: "send_signal_work",
    source: "kernel/trace/bpf_trace.c: do_bpf_send_signal -> group_send_sig_info(), init_irq_work()",
    work,
    locks: [siglock, piLock],
    objects: [],
    cpu,
    expectedCpus: [cpu],
    *queue(ctx: Context): Kernel<boolean> {
      if (irqWorkIsBusy(work)) return false; // -EBUSY
      return yield* ctx.queue(work);
    },
  };
}
