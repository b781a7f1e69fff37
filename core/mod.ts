/**
 * The extension entry point of irqemu: what arch and plugin authors build
 * on. Scenario code needs only the package's root `mod.ts`; arches
 * (under `arch/`) and plugins (under `plugins/`) import this module and nothing else
 * of the core.
 *
 * - An arch fills the {@linkcode Arch} slot: lines, costs,
 *   `hasIrqWorkInterrupt()`, `irqWorkRaise()`, and optionally `sendIpi()`
 *   and `handle()`, touching the machine only through the {@linkcode ArchHw}
 *   it is handed.
 * - A plugin ({@linkcode Plugin}) fills the irq_work policy slot
 *   ({@linkcode IrqWorkPolicy}) or the locking slot ({@linkcode LockingPolicy}),
 *   adds per-CPU threads ({@linkcode SmpHotplugThread}), and observes typed
 *   trace events; its `setup` gets the machine's {@linkcode KernelParts}.
 * - Kernel code is a generator of {@linkcode Op}s; shared words are
 *   {@linkcode Cell}s accessed through the machine's {@linkcode Memory}.
 *
 * @example A plugin that counts irq_work runs per CPU
 * ```ts
 * import type { KernelParts, Plugin } from "./mod.ts";
 * export function runCounter(): Plugin & { counts: number[] } {
 *   const counts: number[] = [];
 *   return {
 *     name: "run-counter",
 *     counts,
 *     setup(kernel: KernelParts) {
 *       counts.push(...kernel.cpus.map(() => 0));
 *       kernel.trace.observe((e) => {
 *         if (e.type === "irq_work_execute_start") counts[e.cpu]!++;
 *       });
 *     },
 *   };
 * }
 * ```
 *
 * @module
 */

export type {
  Arch,
  ArchHw,
  ArchIrqHw,
  ArchMachine,
  ArchRaiseHw,
  ArchTiming,
  InterruptKind,
  InterruptLine,
} from "./arch.ts";
export type { Context, TaskInfo } from "./context.ts";
export {
  Access,
  type AccessKind,
  type AccessListener,
  Cell,
  Memory,
  type MemoryModel,
  SEQUENTIAL_CONSISTENCY,
} from "./atomic.ts";
export { type Cpu, type Ipi, type IrqHandler, preemptEnable } from "./cpu.ts";
export { checkName, checkOptions, checkWhole, describe } from "./describe.ts";
export {
  Engine,
  type EventHandler,
  EventKind,
  Priority,
  type ProcessBody,
  Ready,
  spawnProcess,
} from "./engine.ts";
export type { Findings, FindingSource } from "./findings.ts";
export type { IdleMode } from "./idle.ts";
export type { Ipis } from "./ipi.ts";
export { fixtureArch } from "./fixture_arch.ts";
export {
  CSD_TYPE_IRQ_WORK,
  initIrqWork,
  IRQ_WORK_BUSY,
  IRQ_WORK_CLAIMED,
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  IRQ_WORK_PENDING,
  IrqWork,
  type IrqWorkCore,
  type IrqWorkFunc,
  irqWorkInit,
  irqWorkInitHard,
  irqWorkInitLazy,
  irqWorkIsBusy,
  irqWorkIsHard,
  irqWorkIsPending,
  type IrqWorkParts,
  type IrqWorkPolicy,
  NON_RT_POLICY,
  type RcuWait,
  type WorkRun,
} from "./irq_work.ts";
export type { Kmem, KObject } from "./kmem.ts";
export {
  HALT,
  type Kernel,
  type MaybeKernel,
  nop,
  type Op,
  runCallback,
  SCHEDULE,
  spend,
  STEP,
} from "./kernel.ts";
export { llistAdd, llistDelAll, llistEmpty, LlistHead, type LlistNode, llistReverseOrder } from "./llist.ts";
export {
  type Locking,
  type LockingParts,
  type LockingPolicy,
  NON_RT_LOCKING,
  RawSpinlock,
  Spinlock,
} from "./locking.ts";
export type { KernelParts, Plugin } from "./parts.ts";
export { PerCpu } from "./percpu.ts";
export { Random } from "./random.ts";
export type { ExitHook, ExitingCpu } from "./exit.ts";
export {
  KERNEL_ALIASES,
  KERNEL_FIXES,
  type KernelAnswers,
  type KernelFix,
  type KernelProfile,
  MAINLINE,
  resolveKernel,
} from "./profile.ts";
export type { Rcu } from "./rcu.ts";
export { CSD_TYPE_TTWU, type RunQueue, type SchedPolicy, Task, type TaskState } from "./sched.ts";
export {
  CallSingleData,
  type CallSingleNode,
  CSD_FLAG_LOCK,
  CSD_LOCK_TIMEOUT_NS,
  CSD_TYPE_ASYNC,
  CSD_TYPE_MASK,
  CSD_TYPE_SYNC,
  type CsdFunc,
  ENXIO,
  type Smp,
} from "./smp.ts";
export type { SmpFlush } from "./smp_flush.ts";
export type { SmpHotplugThread } from "./smpboot.ts";
export type { Ticks } from "./tick.ts";
export type { Timer, Timers } from "./timer.ts";
export type { MachineTiming, PathTiming } from "./timing.ts";
export type * from "./trace.ts";
export { formatCpumask } from "./trace.ts";
export { NON_RT_SCHED_FEATURES, type SchedFeatures, type Wakeups } from "./wake.ts";
