/**
 * PREEMPT_RT for irq_work, as the kernel patch "irq_work: Handle some
 * irq_work in a per-CPU thread on PREEMPT_RT" does (kernel/irq_work.c,
 * 5.16+, and the 5.15-rt patch queue):
 *
 * - which list: every work not flagged `IRQ_WORK_HARD_IRQ` joins the lazy
 *   list, locally and remotely (rules 4.3, 5.5 of docs/rules.md);
 * - who drains the lazy list: the per-CPU thread `irq_work/N` at SCHED_FIFO
 *   priority 1, woken by `irq_work_run()`, `irq_work_tick()` and, for remote
 *   works, the target's HARD wake-up work (rules 8, 9);
 * - do waiters sleep: `irq_work_sync()` sleeps for non-HARD works (rule 11.3);
 * - `spinlock_t` becomes a sleeping lock with priority inheritance;
 * - and device interrupt handlers are force-threaded (rule 20.3).
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInit } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { preemptRt } from "./mod.ts";
 * const m = createMachine({ arch: x86(), plugins: [preemptRt()] });
 * m.spawn({ cpu: 0, name: "producer" }, function* (ctx) { yield* ctx.queue(irqWorkInit(() => {})); });
 * m.runUntil(1_000_000);
 * if (m.runs[0]!.task.comm !== "irq_work/0") throw new Error("runs in the thread on RT");
 * ```
 *
 * @module
 */

import {
  type Cpu,
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  type IrqWorkCore,
  type IrqWorkPolicy,
  type Kernel,
  type KernelParts,
  type KernelProfile,
  llistEmpty,
  type Plugin,
  type SchedFeatures,
  type SmpHotplugThread,
  type Task,
} from "../../core/mod.ts";
import { RT_LOCKING } from "./spinlock_rt.ts";

export { RT_LOCKING };

/**
 * The scheduler on PREEMPT_RT: no wake list (539fbb5be0da, rule 17.2) and
 * RCU nesting counted by `might_sleep()` (50e081b96e35, rule 17.3), each
 * where the kernel version has the fix.
 */
export const RT_SCHED_FEATURES: SchedFeatures = Object.freeze({
  name: "PREEMPT_RT",
  ttwuQueue: (profile: KernelProfile) => !profile.ttwuQueueOffOnRt,
  mightSleepCountsRcu: (profile: KernelProfile) => profile.mightSleepCountsRcuOnRt,
});

/** The PREEMPT_RT plugin: fills the irq_work policy and locking slots and adds `irq_work/N`. */
export function preemptRt(): Plugin {
  /** Each CPU's `irq_workd`, stored by the thread's registration. */
  const irqWorkd = new WeakMap<Cpu, Task>();

  /** `wake_irq_workd()`: wake the CPU's thread if it exists and has work. */
  function* wakeIrqWorkd(irqWork: IrqWorkCore, cpu: Cpu): Kernel {
    const task = irqWorkd.get(cpu);
    const { memory, wakeups } = irqWork.parts;
    if (task !== undefined && !llistEmpty(memory, cpu.id, irqWork.lazyList.get(cpu.id))) {
      yield* wakeups.wakeUpProcess(cpu, task);
    }
  }

  const policy: IrqWorkPolicy = Object.freeze({
    name: "PREEMPT_RT",
    joinsLazyList: (flags: number) => (flags & IRQ_WORK_LAZY) !== 0 || (flags & IRQ_WORK_HARD_IRQ) === 0,
    remoteThroughLazyList: (flags: number) => (flags & IRQ_WORK_HARD_IRQ) === 0,
    handleLazyList: wakeIrqWorkd,
    nonHardWaitersSleep: true,
    drainNeedsIrqsOff: false,
  });

  /** `irqwork_threads`: one `irq_work/N` per CPU, FIFO 1 (`sched_set_fifo_low()`). */
  const thread: SmpHotplugThread<KernelParts> = {
    comm: "irq_work/%u",
    policy: "fifo",
    priority: 1,
    store: (cpu, task) => irqWorkd.set(cpu, task),
    threadShouldRun: (k, cpu) => !llistEmpty(k.memory, cpu.id, k.irqWork.lazyList.get(cpu.id)),
    *threadFn(k: KernelParts, cpu: Cpu): Kernel {
      const rcu = k.profile.rcuProtectedSync;
      if (rcu) k.rcu.readLock(cpu);
      yield* k.irqWork.irqWorkRunList(cpu, k.irqWork.lazyList.get(cpu.id));
      if (rcu) k.rcu.readUnlock(cpu);
    },
  };

  return {
    name: "preempt_rt",
    irqWorkPolicy: policy,
    locking: RT_LOCKING,
    forceIrqThreads: true,
    schedFeatures: RT_SCHED_FEATURES,
    threads: [thread],
    setup(k: KernelParts): void {
      if (!k.profile.rtThreadedIrqWork) {
        throw new RangeError(
          `preemptRt() needs b4c6f86ec2f6 (the per-CPU irq_work thread), which kernel "${k.profile.name}" ` +
            "has switched off: the RT patch queue's older irq_work scheme is not modelled",
        );
      }
    },
  };
}
