/**
 * What the exit path of a task checks and repairs (kernel/exit.c `do_exit()`,
 * then `do_task_dead()` into `__schedule()`), for a task body that returns
 * with state it should have given back (docs/rules.md, rules 21.1 to 21.3):
 *
 * - interrupts still disabled: `do_exit()` warns first thing, and its first
 *   `spin_unlock_irq()` turns them back on, so the next task on the CPU does
 *   not inherit them;
 * - inside `rcu_read_lock()`: lockdep lists the held read-side "lock", and
 *   `exit_rcu()` ends the section (the exit hooks, registered by RCU);
 * - preemption still disabled: `__schedule()`'s `schedule_debug()` reports
 *   "scheduling while atomic" for the dying task and resets its count.
 *
 * @module
 */

import type { Findings, FindingSource } from "./findings.ts";
import type { Task } from "./sched.ts";

/** The CPU a task exits on, as the exit path sees it. */
export interface ExitingCpu extends FindingSource {
  /** Local interrupts disabled. */
  irqsOff: boolean;
}

/** A part of the kernel that cleans up after an exiting task (`exit_rcu()`). */
export type ExitHook = (cpu: ExitingCpu, task: Task) => void;

/** `do_exit()` for `task`, the current task of `cpu`, whose body has returned. */
export function doExit(cpu: ExitingCpu, task: Task, findings: Findings, hooks: readonly ExitHook[]): void {
  if (cpu.irqsOff) {
    findings.warn(
      cpu,
      `WARNING: CPU: ${cpu.id} PID: ${task.pid} at kernel/exit.c do_exit\nWARN_ON(irqs_disabled())`,
    );
    cpu.irqsOff = false; // synchronize_group_exit()'s spin_unlock_irq()
  }
  for (const hook of hooks) hook(cpu, task);
  if (task.preemptCount > 0) {
    // do_exit() disables preemption once more before the final schedule.
    const count = (task.preemptCount + 1).toString(16).padStart(8, "0");
    findings.warn(cpu, `BUG: scheduling while atomic: ${task.comm}/${task.pid}/0x${count}`);
    task.preemptCount = 0;
  }
}
