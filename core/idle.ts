/**
 * The idle task's loop (kernel/sched/idle.c, `do_idle`): stop the tick if
 * allowed, halt (or poll) until something needs the CPU, then restart the
 * tick, flush the call-single queue and schedule.
 *
 * @module
 */

import type { Memory } from "./atomic.ts";
import type { Cpu } from "./cpu.ts";
import { HALT, type Kernel, SCHEDULE } from "./kernel.ts";
import type { Rcu } from "./rcu.ts";
import type { SmpFlush } from "./smp_flush.ts";
import type { Ticks } from "./tick.ts";

/**
 * How idle CPUs wait: halt for an interrupt, or poll `need_resched` (`idle=poll`).
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * createMachine({ arch: fixtureArch(), cpus: 2, idle: "poll" }); // idle=poll: no IPI to wake an idle CPU
 * ```
 */
export type IdleMode = "halt" | "poll";

/** `do_idle()` forever, on `cpu`. */
export function* doIdle(
  cpu: Cpu,
  parts: { memory: Memory; ticks: Ticks; rcu: Rcu; flush: SmpFlush; mode: IdleMode },
): Kernel {
  const { memory, ticks, rcu, flush } = parts;
  const poll = parts.mode === "poll";
  for (;;) {
    memory.poke(cpu.id, cpu.polling, poll);
    while (!cpu.needResched) {
      if (!poll) ticks.idleStopTick(cpu); // idle=poll never stops the tick
      rcu.idleEnter(cpu);
      yield HALT;
    }
    ticks.idleExit(cpu);
    memory.poke(cpu.id, cpu.polling, false); // cleared before the flush: later senders send a real IPI
    cpu.irqsOff = true;
    yield* flush.flushIfQueued(cpu);
    cpu.irqsOff = false;
    yield SCHEDULE;
  }
}
