/**
 * Scheduler and timer users: the nohz_full kick, the RT push IPI chain and
 * schedutil's frequency-update kick.
 *
 * @module
 */

import { type Context, irqWorkInit, irqWorkInitHard, type Kernel, RawSpinlock } from "../../core/mod.ts";
import {
  COST,
  homeOf,
  localIrqRestore,
  localIrqSave,
  type Workload,
  type WorkloadOptions,
} from "./common.ts";

/** Options of {@linkcode nohzFullKick}. */
export interface NohzFullKickOptions extends WorkloadOptions {
  /** The CPU to kick (`tick_nohz_full_kick_cpu(target)`); default the next CPU after `cpu`. */
  readonly target?: number;
}

/**
 * `nohz_full_kick_work` (kernel/time/tick-sched.c): per-CPU,
 * `IRQ_WORK_INIT_HARD(nohz_full_kick_func)` with an empty callback — the
 * interrupt itself makes `tick_nohz_irq_exit()` re-evaluate the tick.
 * `queue()` is `tick_nohz_full_kick_cpu(target)`: `irq_work_queue_on()` of
 * the target's work. Time: none (empty callback).
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { nohzFullKick } from "./mod.ts";
 * const kick = nohzFullKick({ cpu: 0, cpus: 2, target: 1 });
 * const m = createMachine({ arch: x86(), cpus: 2 });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => kick.queue(ctx));
 * m.runUntil(1_000_000);
 * if (m.runs[0]?.cpu !== 1 || m.runs[0].context !== "hardirq") throw new Error("kick runs on the target");
 * ```
 */
export function nohzFullKick(options?: NohzFullKickOptions): Workload {
  const { cpu, cpus } = homeOf(options);
  const target = options?.target ?? (cpu + 1) % cpus;
  homeOf({ cpu: target, cpus });
  const work = irqWorkInitHard(function nohz_full_kick_func() {}, "nohz_full_kick_work");
  return {
    name: "nohz_full_kick_work",
    source: "kernel/time/tick-sched.c: nohz_full_kick_work, IRQ_WORK_INIT_HARD(nohz_full_kick_func)",
    work,
    locks: [],
    objects: [],
    cpu,
    expectedCpus: [target],
    queue: (ctx: Context) => ctx.queueOn(work, target),
  };
}

/** Options of {@linkcode rtoPush}. */
export interface RtoPushOptions extends WorkloadOptions {
  /** `rd->rto_mask`: the RT-overloaded CPUs, ascending; default every CPU but `cpu`. */
  readonly rtoMask?: readonly number[];
  /** `rto_next_cpu()` skips the CPU it runs on (mainline 2026 "Do not send IPI to self"); default true. */
  readonly skipSelf?: boolean;
}

/** The root-domain state of {@linkcode rtoPush}. */
export interface RootDomain {
  /** `rd->rto_lock`. */
  readonly rtoLock: RawSpinlock;
  /** Each CPU's `rq->lock`. */
  readonly rqLock: readonly RawSpinlock[];
  /** `has_pushable_tasks()` per CPU; a visit pushes the task away and clears it. */
  readonly pushable: boolean[];
  /** `rd->rto_cpu`: the iterator (-1: not running). */
  rtoCpu: number;
  /** `rd->rto_loop`. */
  rtoLoop: number;
  /** `rd->rto_loop_next`. */
  rtoLoopNext: number;
}

/**
 * `rd->rto_push_work` (kernel/sched/rt.c `rto_push_irq_work_func`,
 * initialised `IRQ_WORK_INIT_HARD` in kernel/sched/topology.c since 5.16):
 * on each RT-overloaded CPU, under the raw `rq->lock` (plus the destination
 * rq's, as `push_rt_task()` double-locks), push the RT tasks away, then
 * under the raw `rd->rto_lock` pick the next CPU (`rto_next_cpu()`, whose
 * `rto_loop`/`rto_loop_next` check makes a second pass) and
 * `irq_work_queue_on()` itself there; the chain ends when no CPU remains.
 * `queue()` is `tell_cpu_to_push()` from `cpu` with its `rq->lock` held and
 * interrupts off. Time: {@linkcode COST}.pushRtTaskNs per pushed task.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { arm64 } from "../../arch/arm64/mod.ts";
 * import { rtoPush } from "./mod.ts";
 * const push = rtoPush({ cpu: 0, cpus: 3 });
 * const m = createMachine({ arch: arm64(), cpus: 3 });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => push.queue(ctx));
 * m.runUntil(1_000_000);
 * if (m.runs.map((r) => r.cpu).join() !== push.expectedCpus.join()) throw new Error("chain");
 * ```
 */
export function rtoPush(options?: RtoPushOptions): Workload & { readonly rd: RootDomain } {
  const { cpu, cpus } = homeOf(options);
  const mask = [...(options?.rtoMask ?? Array.from({ length: cpus }, (_, i) => i).filter((i) => i !== cpu))];
  for (const c of mask) homeOf({ cpu: c, cpus });
  mask.sort((a, b) => a - b);
  const skipSelf = options?.skipSelf ?? true;
  const rd: RootDomain = {
    rtoLock: new RawSpinlock("rd->rto_lock"),
    rqLock: Array.from({ length: cpus }, (_, i) => new RawSpinlock(`rq->lock/${i}`)),
    pushable: Array.from({ length: cpus }, (_, i) => mask.includes(i)),
    rtoCpu: -1,
    rtoLoop: 0,
    rtoLoopNext: 0,
  };

  /** `rto_next_cpu()`, called with `rd->rto_lock` held on CPU `self`. */
  const rtoNextCpu = (self: number): number => {
    for (;;) {
      const cpu = mask.find((c) => c > rd.rtoCpu) ?? -1;
      rd.rtoCpu = cpu;
      if (cpu >= 0 && skipSelf && cpu === self) continue;
      if (cpu >= 0) return cpu;
      rd.rtoCpu = -1;
      if (rd.rtoLoop === rd.rtoLoopNext) return -1;
      rd.rtoLoop = rd.rtoLoopNext;
    }
  };

  const work = irqWorkInitHard(function* rto_push_irq_work_func(w, ctx): Kernel {
    const rq = rd.rqLock[ctx.cpu]!;
    if (rd.pushable[ctx.cpu]) {
      yield* ctx.rawSpinLock(rq);
      // push_rt_task(): find_lock_lowest_rq() double-locks the destination (the kicking CPU).
      const lowest = rd.rqLock[cpu]!;
      yield* ctx.rawSpinLock(lowest);
      yield* ctx.spend(COST.pushRtTaskNs);
      rd.pushable[ctx.cpu] = false;
      yield* ctx.rawSpinUnlock(lowest);
      yield* ctx.rawSpinUnlock(rq);
    }
    yield* ctx.rawSpinLock(rd.rtoLock);
    const next = rtoNextCpu(ctx.cpu);
    yield* ctx.rawSpinUnlock(rd.rtoLock);
    if (next >= 0) yield* ctx.queueOn(w, next);
  }, "rto_push_work");

  return {
    name: "rto_push_work",
    source: "kernel/sched/rt.c: rto_push_irq_work_func; rd->rto_push_work = IRQ_WORK_INIT_HARD (topology.c)",
    work,
    locks: [rd.rtoLock, ...rd.rqLock],
    objects: [],
    cpu,
    expectedCpus: expectedChain(mask, cpu, skipSelf),
    rd,
    *queue(ctx: Context): Kernel<boolean> {
      // tell_cpu_to_push(), from the scheduler with this CPU's rq->lock held, IRQs off.
      const flags = yield* localIrqSave(ctx);
      yield* ctx.rawSpinLock(rd.rqLock[ctx.cpu]!);
      rd.rtoLoopNext++;
      let next = -1;
      yield* ctx.rawSpinLock(rd.rtoLock);
      if (rd.rtoCpu < 0) next = rtoNextCpu(ctx.cpu);
      yield* ctx.rawSpinUnlock(rd.rtoLock);
      const queued = next >= 0 ? yield* ctx.queueOn(work, next) : false;
      yield* ctx.rawSpinUnlock(rd.rqLock[ctx.cpu]!);
      yield* localIrqRestore(ctx, flags);
      return queued;
    },
  };
}

/** Where one `tell_cpu_to_push()` from `from` runs the work: two passes over the mask (skipping self). */
function expectedChain(mask: readonly number[], from: number, skipSelf: boolean): number[] {
  const out: number[] = [];
  let self = from;
  for (let pass = 0; pass < 2; pass++) {
    for (const c of mask) {
      if (skipSelf && c === self) continue;
      out.push(c);
      self = c;
    }
  }
  return out;
}

/**
 * `sg_policy->irq_work` (kernel/sched/cpufreq_schedutil.c `sugov_irq_work`,
 * `init_irq_work()` in `sugov_kthread_create()`): `kthread_queue_work()` to
 * the SCHED_DEADLINE `sugov:N` kthread — the worker's raw `worker->lock`
 * with interrupts saved, and under it `wake_up_process()`'s raw
 * `p->pi_lock`. `queue()` is `sugov_deferred_update()` from the scheduler's
 * `cpufreq_update_util()` hook: `rq->lock` held, interrupts off. Time:
 * {@linkcode COST}.kthreadQueueNs + one wake-up.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { sugov } from "./mod.ts";
 * const s = sugov();
 * const m = createMachine({ arch: x86(), cpus: 2 });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => s.queue(ctx));
 * m.runUntil(1_000_000);
 * if (m.runs.length !== 1) throw new Error("sugov_irq_work runs once");
 * ```
 */
export function sugov(options?: WorkloadOptions): Workload {
  const { cpu } = homeOf(options);
  const workerLock = new RawSpinlock("sugov worker->lock");
  const piLock = new RawSpinlock("sugov p->pi_lock");
  const rqLock = new RawSpinlock("rq->lock");
  const work = irqWorkInit(function* sugov_irq_work(_w, ctx): Kernel {
    const flags = yield* localIrqSave(ctx);
    yield* ctx.rawSpinLock(workerLock);
    yield* ctx.spend(COST.kthreadQueueNs);
    yield* ctx.rawSpinLock(piLock);
    yield* ctx.spend(COST.wakeUpNs);
    yield* ctx.rawSpinUnlock(piLock);
    yield* ctx.rawSpinUnlock(workerLock);
    yield* localIrqRestore(ctx, flags);
  }, "sugov_irq_work");
  return {
    name: "sg_policy->irq_work",
    source: "kernel/sched/cpufreq_schedutil.c: sugov_irq_work -> kthread_queue_work(), init_irq_work()",
    work,
    locks: [workerLock, piLock, rqLock],
    objects: [],
    cpu,
    expectedCpus: [cpu],
    *queue(ctx: Context): Kernel<boolean> {
      const flags = yield* localIrqSave(ctx);
      yield* ctx.rawSpinLock(rqLock);
      const queued = yield* ctx.queue(work);
      yield* ctx.rawSpinUnlock(rqLock);
      yield* localIrqRestore(ctx, flags);
      return queued;
    },
  };
}
