/**
 * irqemu: a deterministic, executable model of the Linux kernel's irq_work
 * subsystem and the machine around it (CPUs, interrupt contexts, IPIs, the
 * tick, a scheduler).
 *
 * Build a machine with an arch from `arch/`, spawn tasks and queue works,
 * run, and read what happened: per-work records, interrupt counts, kernel
 * WARN/BUG findings, and a trace in the kernel's ftrace layout.
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInit } from "./mod.ts";
 * import { x86 } from "./arch/x86/mod.ts";
 *
 * const m = createMachine({ arch: x86(), cpus: 2, seed: 1 });
 * const work = irqWorkInit(function* hello(_work, ctx) {
 *   yield* ctx.spend(1_000); // the callback takes 1 µs
 * });
 * m.spawn({ cpu: 0, name: "producer", policy: "fifo", priority: 50 }, function* (ctx) {
 *   yield* ctx.queueOn(work, 1); // through CPU 1's call-single queue and IPI
 * });
 * m.runUntil(1_000_000);
 * const run = m.runs[0]!;
 * if (run.cpu !== 1 || run.context !== "hardirq") throw new Error("ran elsewhere");
 * ```
 *
 * @module
 */

export type { Arch, ArchTiming, InterruptKind, InterruptLine } from "./core/arch.ts";
export { Context, type TaskInfo } from "./core/context.ts";
export { type Cpu, ScenarioError } from "./core/cpu.ts";
export { Engine, type EventHandler, Priority, type ProcessBody, spawnProcess } from "./core/engine.ts";
export { coreInterrupt, deliverIpi } from "./core/handlers.ts";
export {
  CSD_TYPE_IRQ_WORK,
  initIrqWork,
  IRQ_WORK_BUSY,
  IRQ_WORK_CLAIMED,
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  IRQ_WORK_PENDING,
  IrqWork,
  type IrqWorkFunc,
  irqWorkInit,
  irqWorkInitHard,
  irqWorkInitLazy,
  irqWorkIsBusy,
  irqWorkIsHard,
  irqWorkIsPending,
  IrqWorkLists,
  irqWorkNeedsCpu,
  type IrqWorkPolicy,
  irqWorkQueue,
  irqWorkQueueOn,
  irqWorkRun,
  irqWorkSingle,
  irqWorkSync,
  irqWorkTick,
  NON_RT_POLICY,
  type RcuWait,
} from "./core/irq_work.ts";
export { HALT, type Kernel, type MaybeKernel, type Op, SCHEDULE, spend, STEP } from "./core/kernel.ts";
export {
  llistAdd,
  llistDelAll,
  llistEmpty,
  LlistHead,
  type LlistNode,
  llistReverseOrder,
} from "./core/llist.ts";
export { createMachine, Machine, type TaskBody, type TaskOptions, type WorkRun } from "./core/machine.ts";
export { DEFAULT_TIMING, type MachineOptions, type MachineTiming, type Plugin } from "./core/options.ts";
export { PerCpu } from "./core/percpu.ts";
export { KERNEL_PROFILES, type KernelProfile, type KernelVersion } from "./core/profile.ts";
export { Rcu } from "./core/rcu.ts";
export { smpbootThreadFn, type SmpHotplugThread } from "./core/smpboot.ts";
export {
  type LockingPolicy,
  NON_RT_LOCKING,
  RawSpinlock,
  rawSpinLock,
  rawSpinUnlock,
  Spinlock,
  spinLock,
  spinUnlock,
} from "./core/locking.ts";
export { kfree, kmalloc, KObject } from "./core/kmem.ts";
export { Random } from "./core/random.ts";
export { RunQueue, type SchedPolicy, Task, type TaskState } from "./core/sched.ts";
export {
  CallSingleData,
  type CallSingleNode,
  CSD_FLAG_LOCK,
  CSD_TYPE_ASYNC,
  CSD_TYPE_SYNC,
  Smp,
} from "./core/smp.ts";
export { Ticks, type Timer } from "./core/tick.ts";
export {
  type ContextKind,
  type CsdQueueCpuEvent,
  type Finding,
  type FindingEvent,
  formatCpumask,
  formatEvent,
  ftraceHeader,
  type IpiRaiseEvent,
  type IpiSendCpuEvent,
  type IrqVectorEvent,
  type IrqWorkExecuteEvent,
  type IrqWorkQueueEvent,
  type KmemEvent,
  type LockAcquireEvent,
  type LockReleaseEvent,
  type NmiEvent,
  type Observer,
  type SchedSwitchEvent,
  type SchedWakeIdleEvent,
  type SchedWakeupEvent,
  type TickEvent,
  type TickStopEvent,
  type TraceBody,
  type TraceEvent,
  type TraceHeader,
} from "./core/trace.ts";
export { ftrace, type FtraceOptions, type FtracePlugin } from "./plugins/ftrace/mod.ts";
