/**
 * irqemu: a deterministic, executable model of the Linux kernel's irq_work
 * subsystem and the machine around it (CPUs, interrupt contexts, IPIs, the
 * tick, a scheduler).
 *
 * This module is the scenario API: build a machine with an arch from
 * `arch/`, spawn tasks that queue and sync works, run, and read what
 * happened (per-work records, interrupt counts, kernel WARN/BUG findings,
 * typed trace events, and with the `ftrace` plugin the kernel's trace text).
 * Arch and plugin authors build on `core/mod.ts` instead.
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

export type { Arch } from "./core/arch.ts";
export { Context, type KthreadOptions, type TaskInfo } from "./core/context.ts";
export { ScenarioError } from "./core/cpu.ts";
export {
  initIrqWork,
  IRQ_WORK_BUSY,
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
  type WorkRun,
} from "./core/irq_work.ts";
export { type Kernel, type MaybeKernel, spend } from "./core/kernel.ts";
export type { DeviceIrq, IrqHandler, IrqRequest, IrqSource } from "./core/device_irq.ts";
export { KObject } from "./core/kmem.ts";
export { RawSpinlock, Spinlock } from "./core/locking.ts";
export {
  createMachine,
  Machine,
  MachineStateError,
  type TaskBody,
  type TaskOptions,
} from "./core/machine.ts";
export type { IdleMode } from "./core/idle.ts";
export type { MachineOptions } from "./core/options.ts";
export type { Plugin } from "./core/parts.ts";
export type { KernelVersion } from "./core/profile.ts";
export { Random } from "./core/random.ts";
export type { RcuTiming } from "./core/rcu.ts";
export { ENXIO } from "./core/smp.ts";
export type { SchedPolicy } from "./core/sched.ts";
export { DEFAULT_TIMING, LEGACY_TIMING, type MachineTiming, type PathTiming } from "./core/timing.ts";
export type { ContextKind, Finding, Observer, TraceEvent } from "./core/trace.ts";
export { ftrace, type FtraceOptions, type FtracePlugin } from "./plugins/ftrace/mod.ts";
export {
  type ChromeTrace,
  type ChromeTraceEvent,
  perfetto,
  type PerfettoOptions,
  type PerfettoPlugin,
} from "./plugins/perfetto/mod.ts";
export { traceCmd, type TraceCmdOptions, type TraceCmdPlugin } from "./plugins/trace_cmd/mod.ts";
