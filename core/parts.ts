/**
 * The parts of one machine's kernel, as `createMachine` builds them in
 * dependency order, and the plugin contract. Plugins and per-CPU threads get
 * this record; kernel code itself gets only the parts it uses.
 *
 * @module
 */

import type { Arch } from "./arch.ts";
import type { Memory, MemoryModel } from "./atomic.ts";
import type { Cpu } from "./cpu.ts";
import type { Engine } from "./engine.ts";
import type { Findings } from "./findings.ts";
import type { Ipis } from "./ipi.ts";
import type { IrqWorkCore, IrqWorkPolicy } from "./irq_work.ts";
import type { Kmem } from "./kmem.ts";
import type { Locking, LockingPolicy } from "./locking.ts";
import type { KernelProfile } from "./profile.ts";
import type { Rcu } from "./rcu.ts";
import type { Task } from "./sched.ts";
import type { Smp } from "./smp.ts";
import type { SmpFlush } from "./smp_flush.ts";
import type { SmpHotplugThread } from "./smpboot.ts";
import type { Ticks } from "./tick.ts";
import type { Timers } from "./timer.ts";
import type { MachineTiming } from "./timing.ts";
import type { Observer, TraceHub } from "./trace.ts";
import type { SchedFeatures, Wakeups } from "./wake.ts";

/** Every part of a machine's kernel. */
export interface KernelParts {
  /** The event engine (its clock is the machine's). */
  readonly engine: Engine;
  /** The trace hub. */
  readonly trace: TraceHub;
  /** WARN/BUG/livelock findings. */
  readonly findings: Findings;
  /** Shared memory and its model. */
  readonly memory: Memory;
  /** The CPUs. */
  readonly cpus: readonly Cpu[];
  /** Every task ever made, idle tasks and kernel threads included (a live list). */
  readonly tasks: Task[];
  /** The arch in the `Arch` slot. */
  readonly arch: Arch;
  /** `arch_irq_work_has_interrupt()` on this machine. */
  readonly hasIrqWorkInterrupt: boolean;
  /** The kernel version's answers. */
  readonly profile: KernelProfile;
  /** Time costs beyond the arch's. */
  readonly timing: MachineTiming;
  /** IPIs. */
  readonly ipis: Ipis;
  /** The call-single queues. */
  readonly smp: Smp;
  /** Task wake-ups. */
  readonly wakeups: Wakeups;
  /** RCU. */
  readonly rcu: Rcu;
  /** Per-CPU timers and tick state. */
  readonly timers: Timers;
  /** irq_work. */
  readonly irqWork: IrqWorkCore;
  /** The tick. */
  readonly ticks: Ticks;
  /** The call-single queue flush. */
  readonly flush: SmpFlush;
  /** Spinlocks. */
  readonly locking: Locking;
  /** The slab allocator. */
  readonly kmem: Kmem;
}

/**
 * A plugin: fills slots and observes. Each slot takes one value; two plugins
 * filling the same slot is an error the builder reports.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * import type { Plugin } from "./parts.ts";
 * const switches: number[] = [];
 * const countSwitches: Plugin = {
 *   name: "switch-counter",
 *   observers: [(e) => void (e.type === "sched_switch" && switches.push(e.time))],
 * };
 * const m = createMachine({ arch: fixtureArch(), plugins: [countSwitches] });
 * m.spawn({ cpu: 0, name: "t" }, () => {});
 * m.runUntil(1_000_000);
 * if (switches.length !== 2) throw new Error("to the task and back to idle");
 * ```
 */
export interface Plugin {
  /** Name used in error messages. */
  readonly name: string;
  /** The irq_work policy this plugin supplies, if any. */
  readonly irqWorkPolicy?: IrqWorkPolicy;
  /** The locking policy this plugin supplies, if any. */
  readonly locking?: LockingPolicy;
  /** The memory model this plugin supplies, if any (sequential consistency otherwise). */
  readonly memoryModel?: MemoryModel;
  /**
   * Device interrupt handlers are force-threaded as on PREEMPT_RT
   * (`force_irqthreads()`), their threads running with interrupts on.
   */
  readonly forceIrqThreads?: boolean;
  /** The scheduler's RT-dependent answers this plugin supplies, if any (non-RT otherwise). */
  readonly schedFeatures?: SchedFeatures;
  /** Per-CPU kernel threads to create at boot (`smpboot_register_percpu_thread`). */
  readonly threads?: readonly SmpHotplugThread<KernelParts>[];
  /** Observers to attach to the trace. */
  readonly observers?: readonly Observer[];
  /** Called once the machine is built, before it runs (checkers attach here). */
  setup?(kernel: KernelParts): void;
}
