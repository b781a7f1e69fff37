/**
 * CPU hot-unplug (kernel/cpu.c, kernel/stop_machine.c): the outgoing CPU's
 * stopper thread disables interrupts, clears the CPU's online bit and runs
 * the dying hooks, then the CPU stops for good. Tasks bound to it stay where
 * they are (the kernel would migrate them; not modelled).
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import type { IrqWorkCore } from "./irq_work.ts";
import type { Rcu } from "./rcu.ts";
import { type Kernel, STEP } from "./kernel.ts";
import type { SmpFlush } from "./smp_flush.ts";

/** The dying-CPU hook of irq_work: flush the call-single queue without warning, then run (rule 8.4). */
export function* smpcfdDyingCpu(cpu: Cpu, flush: SmpFlush, irqWork: IrqWorkCore): Kernel {
  yield* flush.flush(cpu, false);
  yield* irqWork.irqWorkRun(cpu);
}

/**
 * What `migration/N` does to take its CPU down (`take_cpu_down`), and the
 * dead CPU's last word to RCU (`rcutree_report_cpu_dead()`, rule 19.6).
 */
export function* takeCpuDown(cpu: Cpu, parts: { flush: SmpFlush; irqWork: IrqWorkCore; rcu: Rcu }): Kernel {
  cpu.irqsOff = true;
  cpu.online = false;
  yield* smpcfdDyingCpu(cpu, parts.flush, parts.irqWork);
  cpu.dead = true;
  parts.rcu.reportDead(cpu);
  yield STEP;
}
