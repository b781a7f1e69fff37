/**
 * PREEMPT_RT for irq_work, as the kernel patch "irq_work: Handle some
 * irq_work in a per-CPU thread on PREEMPT_RT" does (kernel/irq_work.c,
 * 5.16+; 5.15-rt for the `seed` profile):
 *
 * - which list: every work not flagged `IRQ_WORK_HARD_IRQ` joins the lazy
 *   list, locally and remotely (SPEC §4.3, §5.5);
 * - who drains the lazy list: the per-CPU thread `irq_work/N` at SCHED_FIFO
 *   priority 1, woken by `irq_work_run()`, `irq_work_tick()` and, for remote
 *   works, the target's HARD wake-up work (§8, §9);
 * - do waiters sleep: `irq_work_sync()` sleeps for non-HARD works (§11.3);
 * - and `spinlock_t` becomes a sleeping lock with priority inheritance.
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

import type { Cpu } from "../../core/cpu.ts";
import { IRQ_WORK_HARD_IRQ, IRQ_WORK_LAZY, type IrqWorkPolicy, irqWorkRunList } from "../../core/irq_work.ts";
import type { Kernel } from "../../core/kernel.ts";
import { llistEmpty } from "../../core/llist.ts";
import type { LockingPolicy } from "../../core/locking.ts";
import type { Plugin } from "../../core/options.ts";
import type { Task } from "../../core/sched.ts";
import type { SmpHotplugThread } from "../../core/smpboot.ts";

/** `spinlock_t` is an rt_mutex on PREEMPT_RT. */
export const RT_LOCKING: LockingPolicy = { name: "PREEMPT_RT", spinlockSleeps: true };

/** The PREEMPT_RT plugin: fills the irq_work policy and locking slots and adds `irq_work/N`. */
export function preemptRt(): Plugin {
  /** Each CPU's `irq_workd`, stored by the thread's registration. */
  const irqWorkd = new WeakMap<Cpu, Task>();
  const lazyList = (cpu: Cpu) => cpu.machine.irqWork.lazyList.get(cpu.id);

  /** `wake_irq_workd()`: wake the CPU's thread if it exists and has work. */
  function* wakeIrqWorkd(cpu: Cpu): Kernel {
    const task = irqWorkd.get(cpu);
    if (task !== undefined && !llistEmpty(lazyList(cpu))) yield* cpu.machine.wakeUpProcess(cpu, task);
  }

  const policy: IrqWorkPolicy = {
    name: "PREEMPT_RT",
    joinsLazyList: (flags) => (flags & IRQ_WORK_LAZY) !== 0 || (flags & IRQ_WORK_HARD_IRQ) === 0,
    remoteThroughLazyList: (flags) => (flags & IRQ_WORK_HARD_IRQ) === 0,
    handleLazyList: wakeIrqWorkd,
    waitersSleep: (flags, hasIrqWorkInterrupt) => (flags & IRQ_WORK_HARD_IRQ) === 0 || !hasIrqWorkInterrupt,
    drainNeedsIrqsOff: false,
  };

  /** `irqwork_threads`: one `irq_work/N` per CPU, FIFO 1 (`sched_set_fifo_low()`). */
  const thread: SmpHotplugThread = {
    comm: "irq_work/%u",
    policy: "fifo",
    priority: 1,
    store: (cpu, task) => irqWorkd.set(cpu, task),
    threadShouldRun: (cpu) => !llistEmpty(lazyList(cpu)),
    *threadFn(cpu: Cpu): Kernel {
      const rcu = cpu.machine.profile.rcuProtectedSync;
      if (rcu) cpu.machine.rcu.readLock(cpu);
      yield* irqWorkRunList(cpu, lazyList(cpu));
      if (rcu) cpu.machine.rcu.readUnlock(cpu);
    },
  };

  return { name: "preempt_rt", irqWorkPolicy: policy, locking: RT_LOCKING, threads: [thread] };
}
