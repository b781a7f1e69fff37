/**
 * Scenario files: a versioned JSON format (`"irqemu": 1`, described by
 * `scenario.v1.schema.json` beside this module) for a machine, its works,
 * device interrupts, tasks, load generators, a latency measurement, the run
 * length and the outputs; a pure loader that names the field path of every
 * problem; a builder that turns a scenario into a machine; and a run loop
 * in slices with a progress callback and early stop. The `irqemu` CLI
 * (`cli.ts`) is built on this module.
 *
 * @example
 * ```ts
 * import { buildScenario, loadScenario } from "./mod.ts";
 * const scenario = loadScenario(JSON.parse(`{
 *   "irqemu": 1,
 *   "machine": { "arch": "x86", "cpus": 2, "rt": true },
 *   "works": [{ "name": "rx", "costNs": 20000 }],
 *   "tasks": [{ "name": "producer", "cpu": 0, "repeat": 3,
 *               "ops": [{ "op": "queue", "work": "rx" }, { "op": "sleep", "ns": 100000 }] }],
 *   "run": { "durationNs": 2000000 },
 *   "outputs": { "findings": "findings.json" }
 * }`));
 * const built = buildScenario(scenario);
 * built.run({ onProgress: (p) => p.nowNs < 1_000_000 }); // stop after the first millisecond
 * if (built.machine.runs[0]?.task.comm !== "irq_work/0") throw new Error("threaded on RT");
 * ```
 *
 * @module
 */

/** Types of the scenario API that this module's API names, re-exported so this entry point documents them. */
export type { Machine, Plugin } from "../mod.ts";
export { loadScenario } from "./load.ts";
export { type Issue, ScenarioFileError } from "./issues.ts";
export { type BuildOptions, buildScenario, type BuiltScenario, type ScenarioOutputs } from "./build.ts";
export type { LatencyMeasurement, MeasureHook } from "./measure.ts";
export { latencyHook } from "./latency.ts";
export {
  type RunEnd,
  type RunOptions,
  type RunProgress,
  type RunResult,
  runSliced,
  type StopSwitch,
  stopSwitch,
} from "./run.ts";
export {
  ARCH_NAMES,
  type ArchName,
  type ArchSpec,
  type ArrivalSpec,
  FORMAT_VERSION,
  type IrqSourceSpec,
  type IrqSpec,
  LATENCY_TOOLS,
  type LatencySpec,
  type LoadSpec,
  type MachineSpec,
  type OpName,
  type OpSpec,
  OUTPUT_KINDS,
  type OutputsSpec,
  type PolicyName,
  type Scenario,
  type TaskSpec,
  WORKLOAD_NAMES,
  type WorkloadName,
  type WorkSpec,
} from "./types.ts";
