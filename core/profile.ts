/**
 * Kernel version profiles (docs/rules.md's version labels): each difference between
 * versions is one named answer, so that a single fix can be switched off.
 *
 * @module
 */

/**
 * The kernel versions the emulator models.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const older = createMachine({ arch: fixtureArch(), kernel: "C" }); // sync without the grace period
 * if (older.kernel.profile.rcuProtectedSync) throw new Error("C has no RCU-protected sync");
 * ```
 */
export type KernelVersion = "seed" | "C" | "D";

/** What a kernel version answers where versions differ in irq_work. */
export interface KernelProfile {
  /** Label: `C` (5.16+), `D` (with the 2026 use-after-free fix), `seed` (C without the sleeping sync: no released kernel). */
  readonly name: KernelVersion;
  /**
   * `irq_work_sync()` sleeps on the work's rcuwait where the irq_work policy
   * says waiters sleep, and the single step wakes it (C+, rules 6.5, 11.3;
   * fix 09089db79859 for PREEMPT_RT, 810979682ccc for arches without a
   * self-interrupt). Without it, `irq_work_sync()` always spins (rule 11.2).
   */
  readonly sleepingSync: boolean;
  /**
   * After a sleeping `irq_work_sync()` sees BUSY clear, wait a full RCU grace
   * period; the PREEMPT_RT thread drains inside an RCU read-side section
   * (D, rules 6.6, 9.4, 11.4; fix 91840be8f710).
   */
  readonly rcuProtectedSync: boolean;
  /**
   * The kernel has the IPI and call-single-queue tracepoints (`ipi_send_cpu`,
   * 6.4+; `csd_queue_cpu`, 6.6+): C and D model a 6.6+ kernel, `seed` a 5.15 one.
   */
  readonly ipiTracepoints: boolean;
}

/** Every profile by name (frozen: a machine's answers cannot be changed behind its back). */
export const KERNEL_PROFILES: Readonly<Record<KernelVersion, KernelProfile>> = Object.freeze({
  seed: Object.freeze({ name: "seed", sleepingSync: false, rcuProtectedSync: false, ipiTracepoints: false }),
  C: Object.freeze({ name: "C", sleepingSync: true, rcuProtectedSync: false, ipiTracepoints: true }),
  D: Object.freeze({ name: "D", sleepingSync: true, rcuProtectedSync: true, ipiTracepoints: true }),
});
