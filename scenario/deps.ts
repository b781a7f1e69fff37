/**
 * What the scenario module uses from the rest of irqemu, in one place: the
 * scenario API, the arches and the plugins a scenario file can name.
 *
 * @module
 */

import { ALL_WORKLOADS, type WorkloadFactory } from "../plugins/workloads/mod.ts";
import { WORKLOAD_NAMES, type WorkloadName } from "./types.ts";

export * from "../mod.ts";
export { arm64 } from "../arch/arm64/mod.ts";
export { powerpc } from "../arch/powerpc/mod.ts";
export { tickOnly } from "../arch/tick_only/mod.ts";
export { x86 } from "../arch/x86/mod.ts";
export { contextChecker } from "../plugins/checker/mod.ts";
export { preemptRt } from "../plugins/preempt_rt/mod.ts";

/** The workload library's factories, by the names a scenario file uses: their function names. */
export const WORKLOADS: Readonly<Record<WorkloadName, WorkloadFactory>> = Object.freeze(
  Object.fromEntries(
    WORKLOAD_NAMES.map((name) => {
      const factory = ALL_WORKLOADS.find((f) => f.name === name);
      if (factory === undefined) throw new Error(`The workload library has no ${name}`);
      return [name, factory];
    }),
  ) as Record<WorkloadName, WorkloadFactory>,
);
