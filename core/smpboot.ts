/**
 * Per-CPU kernel threads described as data, as the kernel's
 * `struct smp_hotplug_thread` does: a name, a scheduling class, a "should I
 * run" test and a body. The core runs one such thread per CPU with the
 * kernel's loop (`smpboot_thread_fn`): sleep until woken, run while there is
 * work, sleep again.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { type Kernel, SCHEDULE, STEP } from "./kernel.ts";
import type { SchedPolicy, Task } from "./sched.ts";

/** `struct smp_hotplug_thread`, for a kernel of parts `K` (what its hooks may use). */
export interface SmpHotplugThread<K> {
  /** Name with `%u` for the CPU number, e.g. `irq_work/%u`. */
  readonly comm: string;
  /** Policy set by the thread's setup (e.g. `sched_set_fifo_low()`: fifo 1). */
  readonly policy: SchedPolicy;
  /** RT priority for `fifo`/`rr`, 0 for `other`. */
  readonly priority: number;
  /** `.store`: keep the CPU's thread where the subsystem finds it. */
  store(cpu: Cpu, task: Task): void;
  /** `.thread_should_run`. */
  threadShouldRun(kernel: K, cpu: Cpu): boolean;
  /** `.thread_fn`. */
  threadFn(kernel: K, cpu: Cpu): Kernel;
}

/** `smpboot_thread_fn()`: the loop every per-CPU hotplug thread runs. */
export function* smpbootThreadFn<K>(kernel: K, cpu: Cpu, thread: SmpHotplugThread<K>): Kernel {
  const task = cpu.current;
  for (;;) {
    task.state = "interruptible";
    yield STEP;
    if (!thread.threadShouldRun(kernel, cpu)) {
      yield SCHEDULE;
      continue;
    }
    task.state = "running";
    yield* thread.threadFn(kernel, cpu);
  }
}
