/**
 * Ready-made works modelled on real in-kernel irq_work users (docs/rules.md appendix
 * "real in-kernel irq_work users"). Each factory returns a
 * {@linkcode Workload}: the `IrqWork` made with the kernel's own initialiser
 * (`irqWorkInit` / `irqWorkInitLazy` / `irqWorkInitHard`), the locks and
 * objects it uses, a one-line `source` naming the kernel code, the CPUs a
 * `queue()` makes it run on, and `queue(ctx)` doing what the kernel's
 * queueing site does. Callbacks take the kinds of locks (`raw_spinlock_t`
 * vs `spinlock_t`) and do the frees the kernel's do, and spend the times in
 * {@linkcode COST}.
 *
 * | factory              | flags | locks taken by the callback                          |
 * | -------------------- | ----- | ---------------------------------------------------- |
 * | `nohzFullKick`       | HARD  | none (empty callback)                                |
 * | `rtoPush`            | HARD  | raw `rq->lock` (x2), raw `rd->rto_lock`; chains      |
 * | `wakeUpKlogd`        | LAZY  | `spinlock_t log_wait.lock` (+ raw `console_sem.lock`) |
 * | `perfPendingIrq`     | 0     | `spinlock_t event->waitq.lock` under RCU             |
 * | `perfPendingDisable` | HARD  | raw perf `ctx->lock`, IRQs saved; follows the event  |
 * | `sugov`              | 0     | raw `worker->lock` > raw `p->pi_lock`, IRQs saved    |
 * | `bpfSendSignal`      | 0     | `spinlock_t siglock` > raw `p->pi_lock`              |
 * | `ringBufferWakeUp`   | 0     | `spinlock_t` waiters, raw `reader_lock`, `spinlock_t` |
 * | `kfreeExample`       | 0     | none; `kref_put()` → `kfree()`                       |
 * | `dmaFenceArray`      | 0     | `spinlock_t array->lock`; `kref_put()` → `kfree()`   |
 *
 * {@linkcode markHard} flags a work HARD to model a user that mis-marks it.
 *
 * @example Every workload on a PREEMPT_RT machine
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { preemptRt } from "../preempt_rt/mod.ts";
 * import { contextChecker } from "../checker/mod.ts";
 * import { ALL_WORKLOADS } from "./mod.ts";
 * const loads = ALL_WORKLOADS.map((make) => make({ cpu: 0, cpus: 2 }));
 * const m = createMachine({ arch: x86(), cpus: 2, plugins: [preemptRt(), contextChecker()] });
 * loads.forEach((w, i) => m.spawn({ cpu: 0, name: `t${i}`, at: 10_000 * (i + 1) }, (ctx) => w.queue(ctx)));
 * m.runUntil(20_000_000);
 * if (m.findings.length !== 0) throw new Error(m.findings[0]!.message);
 * ```
 *
 * @module
 */

import type { WorkloadFactory } from "./common.ts";
import { dmaFenceArray, kfreeExample } from "./kmem.ts";
import { bpfSendSignal, perfPendingDisable, perfPendingIrq } from "./events.ts";
import { nohzFullKick, rtoPush, sugov } from "./sched.ts";
import { ringBufferWakeUp, wakeUpKlogd } from "./trace.ts";

/** Core types the workloads' API names, re-exported so this entry point documents them. */
export type {
  Context,
  ContextKind,
  IrqWork,
  IrqWorkFunc,
  Kernel,
  KObject,
  LlistNode,
  MaybeKernel,
  Op,
  RawSpinlock,
  RcuWait,
  SchedPolicy,
  Spinlock,
  Task,
  TaskInfo,
  TaskState,
} from "../../core/mod.ts";
export {
  COST,
  homeOf,
  Kref,
  krefPut,
  localIrqRestore,
  localIrqSave,
  markHard,
  wakeUp,
  type Workload,
  type WorkloadFactory,
  type WorkloadOptions,
} from "./common.ts";
export { dmaFenceArray, kfreeExample } from "./kmem.ts";
export {
  bpfSendSignal,
  perfPendingDisable,
  type PerfPendingDisableOptions,
  perfPendingIrq,
} from "./events.ts";
export {
  nohzFullKick,
  type NohzFullKickOptions,
  type RootDomain,
  rtoPush,
  type RtoPushOptions,
  sugov,
} from "./sched.ts";
export {
  ringBufferWakeUp,
  type RingBufferWakeUpOptions,
  wakeUpKlogd,
  type WakeUpKlogdOptions,
} from "./trace.ts";

/** Every workload factory, in the order of the table in the module doc. */
export const ALL_WORKLOADS: readonly WorkloadFactory[] = Object.freeze([
  nohzFullKick,
  rtoPush,
  wakeUpKlogd,
  perfPendingIrq,
  perfPendingDisable,
  sugov,
  bpfSendSignal,
  ringBufferWakeUp,
  kfreeExample,
  dmaFenceArray,
]);
