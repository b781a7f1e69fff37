/**
 * The scenario loader: checks a parsed JSON document against the format
 * (version 1) and returns a {@linkcode Scenario} with every default filled
 * in. Pure: no I/O, no globals, so it runs anywhere the module is imported
 * from, a URL included. Every problem is reported with its field path; the
 * sections are read by `load_machine.ts`, `load_parts.ts` and `load_ops.ts`.
 *
 * @module
 */

import { Issues, missing, readArray, readName, readObject, readWhole, shown } from "./issues.ts";
import { KEYS } from "./keys.ts";
import { type Known, MAX_CPUS } from "./load_common.ts";
import { readMachine } from "./load_machine.ts";
import { checkOpsRefs } from "./load_ops.ts";
import { readIrq, readLatency, readLoad, readTask, readWork } from "./load_parts.ts";
import {
  FORMAT_VERSION,
  type IrqSpec,
  type LoadSpec,
  type OutputsSpec,
  type Scenario,
  type TaskSpec,
  type WorkSpec,
} from "./types.ts";

/**
 * Check `json` (a parsed scenario file) and return the scenario it
 * describes, defaults filled in; throws a `ScenarioFileError` listing every
 * problem as `path: reason`.
 *
 * @example
 * ```ts
 * import { loadScenario } from "./mod.ts";
 * const s = loadScenario({
 *   irqemu: 1,
 *   machine: { arch: "x86", cpus: 2 },
 *   works: [{ name: "rx", costNs: 2_000 }],
 *   tasks: [{ name: "producer", cpu: 0, ops: [{ op: "queueOn", work: "rx", cpu: 1 }] }],
 *   run: { durationNs: 1_000_000 },
 * });
 * if (s.machine.seed !== 1 || s.tasks[0]!.policy !== "other") throw new Error("defaults filled in");
 * ```
 */
export function loadScenario(json: unknown): Scenario {
  const issues = new Issues();
  const root = readObject(issues, "scenario", json, KEYS.scenario!, "a scenario");
  if (root === undefined) issues.throwIfAny();
  const doc = root!;
  // A wrong version makes every other message a guess: report it alone.
  if (!("irqemu" in doc)) {
    missing(issues, "irqemu", `the format version, ${FORMAT_VERSION} ("irqemu": ${FORMAT_VERSION})`);
    issues.throwIfAny();
  }
  if (doc.irqemu !== FORMAT_VERSION) {
    issues.add(
      "irqemu",
      `unsupported format version ${shown(doc.irqemu)}; this irqemu reads version ${FORMAT_VERSION}`,
    );
    issues.throwIfAny();
  }
  if (doc.$schema !== undefined && typeof doc.$schema !== "string") {
    issues.add("$schema", `must be a string (the schema's URL), got ${shown(doc.$schema)}`);
  }
  const name = doc.name === undefined ? "scenario" : readName(issues, "name", doc.name, 64);
  const description = doc.description === undefined ? "" : readText(issues, "description", doc.description);
  const machine = doc.machine === undefined
    ? missing(issues, "machine", 'the machine ({ "arch": ... })')
    : readMachine(issues, doc.machine);
  const cpus = machine?.cpus ?? MAX_CPUS; // unknown: check CPU numbers against the most there can be
  const works = readList(
    issues,
    "works",
    doc.works,
    "a list of works",
    (p, v) => readWork(issues, p, v, cpus),
  );
  // Names come from the document, so that a work wrong in some other way does not make its users wrong too.
  const workNames: string[] = [];
  (Array.isArray(doc.works) ? doc.works : []).forEach((w: unknown, i) => {
    const name = typeof w === "object" && w !== null ? (w as { name?: unknown }).name : undefined;
    if (typeof name !== "string") return;
    const first = workNames.indexOf(name);
    if (first >= 0) issues.add(`works[${i}].name`, `duplicate work name "${name}" (also works[${first}])`);
    else workNames.push(name);
  });
  const known: Known = { cpus, works: workNames };
  works.forEach((w, i) => {
    if (w !== undefined && "ops" in w) checkOpsRefs(issues, `works[${i}]`, w.ops, known);
  });
  const irqs = readList(
    issues,
    "irqs",
    doc.irqs,
    "a list of device interrupts",
    (p, v) => readIrq(issues, p, v, known),
  );
  irqs.forEach((irq, i) => {
    const first = irqs.findIndex((other) => other?.irq === irq?.irq);
    if (irq !== undefined && first < i) {
      issues.add(`irqs[${i}].irq`, `IRQ ${irq.irq} is requested twice (also irqs[${first}])`);
    }
  });
  const tasks = readList(
    issues,
    "tasks",
    doc.tasks,
    "a list of tasks",
    (p, v) => readTask(issues, p, v, known),
  );
  const load = readList(
    issues,
    "load",
    doc.load,
    "a list of load generators",
    (p, v) => readLoad(issues, p, v, known),
  );
  const latency = doc.latency === undefined ? undefined : readLatency(issues, doc.latency, known);
  const run = doc.run === undefined
    ? missing(issues, "run", 'how long to run ({ "durationNs": ... })')
    : readRun(issues, doc.run);
  const outputs = doc.outputs === undefined ? {} : readOutputs(issues, doc.outputs);
  issues.throwIfAny();
  return {
    irqemu: FORMAT_VERSION,
    name: name!,
    description: description!,
    machine: machine!,
    works: works as WorkSpec[],
    irqs: irqs as IrqSpec[],
    tasks: tasks as TaskSpec[],
    load: load as LoadSpec[],
    ...(latency === undefined ? {} : { latency }),
    run: run!,
    outputs: outputs!,
  };
}

function readText(issues: Issues, path: string, value: unknown): string | undefined {
  if (typeof value === "string") return value;
  issues.add(path, `must be a string, got ${shown(value)}`);
  return undefined;
}

/** An optional list at `path`: each item read by `read` (undefined items were recorded). */
function readList<T>(
  issues: Issues,
  path: string,
  value: unknown,
  what: string,
  read: (path: string, value: unknown) => T | undefined,
): (T | undefined)[] {
  if (value === undefined) return [];
  const list = readArray(issues, path, value, what);
  return list === undefined ? [] : list.map((item, i) => read(`${path}[${i}]`, item));
}

function readRun(issues: Issues, value: unknown): { durationNs: number } | undefined {
  const r = readObject(issues, "run", value, KEYS.run!, "the run's length");
  if (r === undefined) return undefined;
  const durationNs = r.durationNs === undefined
    ? missing(issues, "run.durationNs", "how long to run, in ns of simulated time")
    : readWhole(issues, "run.durationNs", r.durationNs, 1, undefined, "ns");
  return durationNs === undefined ? undefined : { durationNs };
}

function readOutputs(issues: Issues, value: unknown): OutputsSpec | undefined {
  const o = readObject(issues, "outputs", value, KEYS.outputs!, "the output paths");
  if (o === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const key of KEYS.outputs!) {
    const v = o[key];
    if (v === undefined) continue;
    if (typeof v !== "string" || v === "" || v.includes("\0")) {
      issues.add(`outputs.${key}`, `must be a file path (a non-empty string), got ${shown(v)}`);
    } else out[key] = v;
  }
  return out;
}
