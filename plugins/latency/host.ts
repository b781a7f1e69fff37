/**
 * What the latency tools need of a machine: its kernel parts, its clock,
 * tasks and the trace. The scenario API's `Machine` is one; the tools take
 * it by this shape so that the plugin imports only the core's extension
 * entry point.
 *
 * @module
 */

import type { Context, KernelParts, MaybeKernel, Observer, SchedPolicy } from "../../core/mod.ts";

/**
 * The machine a latency tool measures (a `Machine` from `createMachine`).
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import type { LatencyHost } from "./host.ts";
 * const host: LatencyHost = createMachine({ arch: x86() });
 * void host;
 * ```
 */
export interface LatencyHost {
  /** The machine's kernel parts (its engine stops a run at a break). */
  readonly kernel: KernelParts;
  /** Simulated time, ns. */
  readonly now: number;
  /** Create a task bound to one CPU. */
  spawn(
    options: {
      readonly cpu: number;
      readonly name: string;
      readonly policy?: SchedPolicy;
      readonly priority?: number;
      readonly at?: number;
    },
    body: (ctx: Context) => MaybeKernel,
  ): { readonly pid: number };
  /** Observe every trace event. */
  observe(observer: Observer): () => void;
}
