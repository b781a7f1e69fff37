/**
 * The context checker: reports, in the kernel's words, code that would break
 * a kernel, on PREEMPT_RT and non-RT kernels alike, with the CPU, context,
 * task and time of the offence (the trace up to that point is the machine's
 * trace):
 *
 * - a sleeping lock (`spinlock_t` on PREEMPT_RT) taken in hard-IRQ context,
 *   with interrupts disabled or with preemption disabled:
 *   "BUG: sleeping function called from invalid context";
 * - on a non-RT kernel, a `spinlock_t` taken where PREEMPT_RT could not
 *   sleep (hard-IRQ context outside a threaded irq_work, or under a
 *   `raw_spinlock_t`): lockdep's "BUG: Invalid wait context"
 *   (`CONFIG_PROVE_RAW_LOCK_NESTING`); a non-HARD irq_work callback counts as
 *   threaded, as lockdep's irq_work annotation says (rule 6.2 of docs/rules.md);
 * - `kfree()` in atomic context on PREEMPT_RT.
 *
 * As in the kernel, lockdep reports only its first splat (it turns itself
 * off after one), and the sleeping-function report is printed at most once
 * per second of (simulated) time on the whole machine (`__might_resched`'s
 * rate limit, shared with the core's own might-sleep check).
 *
 * Sleeping with preemption or interrupts disabled ("BUG: scheduling while
 * atomic") and `irq_work_sync()` with interrupts disabled are reported by the
 * core itself, as the kernel's own checks are.
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInitHard, Spinlock } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { preemptRt } from "../preempt_rt/mod.ts";
 * import { contextChecker } from "./mod.ts";
 * const lock = new Spinlock("log_wait.lock");
 * const work = irqWorkInitHard(function* (_w, ctx) {
 *   yield* ctx.spinLock(lock);
 *   yield* ctx.spinUnlock(lock);
 * });
 * const m = createMachine({ arch: x86(), plugins: [preemptRt(), contextChecker()] });
 * m.spawn({ cpu: 0, name: "t" }, function* (ctx) { yield* ctx.queue(work); });
 * m.runUntil(1_000_000);
 * if (!m.findings[0]?.message.startsWith("BUG: sleeping function called from invalid context")) {
 *   throw new Error("a sleeping lock in hard-IRQ context must be reported");
 * }
 * ```
 *
 * @module
 */

import type { KernelParts, Plugin, TraceEvent } from "../../core/mod.ts";

/** What the checker tracks per CPU from the event stream. */
interface CpuState {
  /** HARD flag of each irq_work callback running on this CPU, innermost last. */
  works: boolean[];
  /** Names of `raw_spinlock_t`s held on this CPU. */
  rawHeld: string[];
}

/** Machine-wide report limits. */
interface Limits {
  /** lockdep has reported once and switched itself off (`debug_locks_off()`). */
  lockdepOff: boolean;
}

/** Make a context checker; pass it in the machine's `plugins`. */
export function contextChecker(): Plugin {
  return {
    name: "context-checker",
    setup(k: KernelParts): void {
      const state: CpuState[] = k.cpus.map(() => ({ works: [], rawHeld: [] }));
      const limits: Limits = { lockdepOff: false };
      k.trace.observe((e) => check(k, state[e.cpu]!, limits, e));
    },
  };
}

function check(k: KernelParts, s: CpuState, limits: Limits, e: TraceEvent): void {
  const cpu = k.cpus[e.cpu]!;
  switch (e.type) {
    case "irq_work_execute_start":
      s.works.push(e.hard);
      return;
    case "irq_work_execute_end":
      s.works.pop();
      return;
    case "lock_acquire":
      if (e.lockType === "raw_spinlock_t") s.rawHeld.push(e.lock);
      else if (e.sleeping && atomic(e)) {
        k.findings.mightSleep(cpu, "kernel/locking/spinlock_rt.c", cpu.current.rcuNesting);
      } else if (
        !e.sleeping && (hardirq(e) && !inThreadedWork(s) || s.rawHeld.length > 0) && !limits.lockdepOff
      ) {
        limits.lockdepOff = true;
        const where = s.rawHeld.length > 0 ? `while holding ${s.rawHeld.at(-1)}` : "in hard-IRQ context";
        k.findings.report(
          cpu,
          `BUG: Invalid wait context: ${e.comm}/${e.pid} is trying to lock ${e.lock} ${where}`,
        );
      }
      return;
    case "lock_release": {
      const i = s.rawHeld.lastIndexOf(e.lock);
      if (i >= 0) s.rawHeld.splice(i, 1);
      return;
    }
    case "kfree":
      if (k.locking.parts.policy.spinlockSleeps && atomic(e)) k.findings.mightSleep(cpu, "mm/slub.c");
      return;
  }
}

/** Hard-IRQ (or NMI) context. */
function hardirq(e: TraceEvent): boolean {
  return e.context === "hardirq" || e.context === "nmi";
}

/** Interrupts off, hard-IRQ context, or preemption disabled. */
function atomic(e: TraceEvent): boolean {
  return e.irqsOff || hardirq(e) || e.preemptDepth > 0;
}

/** Inside a non-HARD irq_work callback, which lockdep treats as threaded. */
function inThreadedWork(s: CpuState): boolean {
  return s.works.length > 0 && !s.works[s.works.length - 1];
}
