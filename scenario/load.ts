/**
 * The scenario loader: checks a parsed JSON document against the format
 * (version 1) and returns a {@linkcode Scenario} with every default filled
 * in. Pure: no I/O, no globals, so it runs anywhere the module is imported
 * from, a URL included. Every problem is reported with its field path.
 *
 * @module
 */

import { resolveKernel } from "../core/mod.ts";
import {
  Issues,
  missing,
  readArray,
  readBoolean,
  readChoice,
  readName,
  readObject,
  readWhole,
  shown,
} from "./issues.ts";
import { KEYS, LOAD_DEFS, OP_FIELDS } from "./keys.ts";
import {
  ARCH_NAMES,
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
  type OutputsSpec,
  type PolicyName,
  type Scenario,
  type TaskSpec,
  WORKLOAD_NAMES,
  type WorkSpec,
} from "./types.ts";

const MAX_CPUS = 1024;
const MAX_SEED = 2 ** 32 - 1;
/** `TASK_COMM_LEN` (16) holds the NUL. */
const COMM_BYTES = 15;
const POLICIES: readonly PolicyName[] = ["fifo", "rr", "other"];
const OP_NAMES = Object.keys(OP_FIELDS) as OpName[];
/** Ops that put the task to sleep: never in hard-IRQ context, nor in an irq_work callback. */
const SLEEPING_OPS: readonly OpName[] = ["sleep", "msleep"];

/** Where a list of ops runs, for the checks that depend on it. */
type OpsPlace = "task" | "hardirq handler" | "threaded handler" | "callback";

/** What the walk knows once the machine and the works are read. */
interface Known {
  readonly cpus: number;
  readonly works: readonly string[];
}

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

function readMachine(issues: Issues, value: unknown): MachineSpec | undefined {
  const m = readObject(issues, "machine", value, KEYS.machine!, "the machine");
  if (m === undefined) return undefined;
  const arch = m.arch === undefined
    ? missing(issues, "machine.arch", `the arch (${ARCH_NAMES.join(", ")})`)
    : readArch(issues, m.arch);
  const maxCpus = arch?.name === "x86" && arch.apic === false ? 1 : MAX_CPUS;
  let cpus = m.cpus === undefined ? 1 : readWhole(issues, "machine.cpus", m.cpus, 1, MAX_CPUS);
  if (cpus !== undefined && cpus > maxCpus) {
    issues.add("machine.cpus", `x86 without an APIC (apic: false) has one CPU, asked for ${cpus}`);
    cpus = undefined;
  }
  const hz = m.hz === undefined ? undefined : readWhole(issues, "machine.hz", m.hz, 1, 10_000);
  const rt = m.rt === undefined ? false : readBoolean(issues, "machine.rt", m.rt);
  const kernel = readKernel(issues, m.kernel, m.fixes, rt === true);
  const seed = m.seed === undefined ? 1 : readWhole(issues, "machine.seed", m.seed, 0, MAX_SEED);
  const idle = m.idle === undefined
    ? undefined
    : readChoice(issues, "machine.idle", m.idle, ["halt", "poll"], "idle mode");
  const flags: Record<string, boolean | undefined> = {};
  for (const key of ["nohz", "threadIrqs", "checker"] as const) {
    if (m[key] !== undefined) flags[key] = readBoolean(issues, `machine.${key}`, m[key]);
  }
  let timing: Record<string, number> | undefined;
  if (m.timing !== undefined) {
    const t = readObject(issues, "machine.timing", m.timing, KEYS.timing!, "time costs in ns");
    if (t !== undefined) {
      timing = {};
      for (const [key, v] of Object.entries(t)) {
        if (!KEYS.timing!.includes(key)) continue;
        // A spin loop that polls every 0 ns would never let time advance.
        const n = readWhole(
          issues,
          `machine.timing.${key}`,
          v,
          key === "cpuRelaxNs" ? 1 : 0,
          undefined,
          "ns",
        );
        if (n !== undefined) timing[key] = n;
      }
    }
  }
  if (
    arch === undefined || cpus === undefined || rt === undefined || seed === undefined || kernel === undefined
  ) {
    return undefined;
  }
  return {
    arch,
    cpus,
    ...(hz === undefined ? {} : { hz }),
    ...kernel,
    rt,
    seed,
    ...(idle === undefined ? {} : { idle }),
    ...(flags.nohz === undefined ? {} : { nohz: flags.nohz }),
    ...(flags.threadIrqs === undefined ? {} : { threadIrqs: flags.threadIrqs }),
    ...(timing === undefined ? {} : { timing }),
    checker: flags.checker ?? true,
  };
}

function readArch(issues: Issues, value: unknown): ArchSpec | undefined {
  if (typeof value === "string") {
    const name = readChoice(issues, "machine.arch", value, ARCH_NAMES, "arch");
    return name === undefined ? undefined : { name };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    issues.add(
      "machine.arch",
      `must be an arch name (${ARCH_NAMES.join(", ")}) or { "name": ..., options }, got ${shown(value)}`,
    );
    return undefined;
  }
  const a = readObject(issues, "machine.arch", value, KEYS.archObject!, "an arch");
  if (a === undefined) return undefined;
  const name = a.name === undefined
    ? missing(issues, "machine.arch.name", `the arch (${ARCH_NAMES.join(", ")})`)
    : readChoice(issues, "machine.arch.name", a.name, ARCH_NAMES, "arch");
  if (a.apic === undefined) return name === undefined ? undefined : { name };
  if (name !== undefined && name !== "x86") {
    issues.add("machine.arch.apic", `only x86 has the apic option; ${name} takes no options`);
    return undefined;
  }
  const apic = readBoolean(issues, "machine.arch.apic", a.apic);
  return name === undefined || apic === undefined ? undefined : { name, apic };
}

/** The kernel version and fixes, checked by resolving them as the machine will. */
function readKernel(
  issues: Issues,
  kernel: unknown,
  fixes: unknown,
  rt: boolean,
): { kernel?: string; fixes?: Record<string, boolean> } | undefined {
  if (kernel !== undefined && typeof kernel !== "string") {
    issues.add("machine.kernel", `must be a version string such as "6.1.192", got ${shown(kernel)}`);
    return undefined;
  }
  try {
    resolveKernel(kernel, {});
  } catch (e) {
    issues.add("machine.kernel", sentence(e));
    return undefined;
  }
  const checked: Record<string, boolean> = {};
  if (fixes !== undefined) {
    if (typeof fixes !== "object" || fixes === null || Array.isArray(fixes)) {
      issues.add("machine.fixes", `must be an object of commit: true|false, got ${shown(fixes)}`);
      return undefined;
    }
    for (const [commit, on] of Object.entries(fixes)) {
      const path = `machine.fixes.${commit}`;
      if (typeof on !== "boolean") {
        issues.add(path, `must be true (fix on) or false (fix off), got ${shown(on)}`);
        continue;
      }
      try {
        resolveKernel(kernel, { [commit]: on });
        checked[commit] = on;
      } catch (e) {
        issues.add(path, sentence(e));
      }
    }
  }
  if (rt && !resolveKernel(kernel, checked).rtThreadedIrqWork) {
    issues.add(
      "machine.rt",
      `PREEMPT_RT needs fix b4c6f86ec2f6 (the per-CPU irq_work thread), which kernel "${
        kernel ?? "mainline"
      }" ` +
        "does not have here: use a 5.15-rt, 5.16 or later kernel (the older RT scheme is not modelled)",
    );
  }
  return { ...(kernel === undefined ? {} : { kernel }), ...(fixes === undefined ? {} : { fixes: checked }) };
}

/** An error's message, as a reason. */
function sentence(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function readWork(issues: Issues, path: string, value: unknown, cpus: number): WorkSpec | undefined {
  const isWorkload = typeof value === "object" && value !== null && "workload" in value;
  const w = readObject(issues, path, value, isWorkload ? KEYS.workWorkload! : KEYS.workCallback!, "a work");
  if (w === undefined) return undefined;
  const name = w.name === undefined
    ? missing(issues, `${path}.name`, "the work's name")
    : readName(issues, `${path}.name`, w.name, 64);
  if (isWorkload) {
    const workload = readChoice(issues, `${path}.workload`, w.workload, WORKLOAD_NAMES, "workload");
    const cpu = w.cpu === undefined ? 0 : readCpu(issues, `${path}.cpu`, w.cpu, cpus);
    if (workload === undefined || cpu === undefined || name === undefined) return undefined;
    return { name, workload, cpu };
  }
  const flags = w.flags === undefined ? [] : readFlags(issues, `${path}.flags`, w.flags);
  if (w.costNs !== undefined && w.ops !== undefined) {
    issues.add(path, 'give the callback as "costNs" or as "ops", not both');
    return undefined;
  }
  let ops: OpSpec[] | undefined = [];
  if (w.costNs !== undefined) {
    const ns = readWhole(issues, `${path}.costNs`, w.costNs, 0, undefined, "ns");
    ops = ns === undefined ? undefined : [{ op: "spend", ns }];
  } else if (w.ops !== undefined) ops = readOps(issues, `${path}.ops`, w.ops, "callback");
  if (name === undefined || flags === undefined || ops === undefined) return undefined;
  return { name, flags, ops };
}

function readFlags(issues: Issues, path: string, value: unknown): ("HARD" | "LAZY")[] | undefined {
  const list = readArray(issues, path, value, 'a list of flags ("HARD", "LAZY")');
  const flags = list?.map((f, i) =>
    readChoice(issues, `${path}[${i}]`, f, ["HARD", "LAZY"] as const, "flag")
  );
  if (flags === undefined || flags.includes(undefined)) return undefined;
  if (new Set(flags).size !== flags.length) {
    issues.add(path, "names a flag twice");
    return undefined;
  }
  return flags as ("HARD" | "LAZY")[];
}

function readCpu(issues: Issues, path: string, value: unknown, cpus: number): number | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= cpus && value < MAX_CPUS) {
    issues.add(
      path,
      `CPU ${value} does not exist: the machine has ${cpus} CPU${cpus === 1 ? "" : "s"} (0..${cpus - 1})`,
    );
    return undefined;
  }
  return readWhole(issues, path, value, 0, cpus - 1);
}

/** A list of ops; work names and CPUs are checked later, once all works are known ({@linkcode checkOpsRefs}). */
function readOps(issues: Issues, path: string, value: unknown, place: OpsPlace): OpSpec[] | undefined {
  const list = readArray(issues, path, value, "a list of ops");
  if (list === undefined) return undefined;
  const ops: OpSpec[] = [];
  let ok = true;
  let preempt = 0;
  list.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item) || !("op" in item)) {
      issues.add(p, `must be an op ({ "op": ${OP_NAMES.join(" | ")}, ... }), got ${shown(item)}`);
      ok = false;
      return;
    }
    const name = readChoice(issues, `${p}.op`, item.op, OP_NAMES, "op");
    if (name === undefined) {
      ok = false;
      return;
    }
    const o = readObject(issues, p, item, ["op", ...OP_FIELDS[name]], `a ${name} op`)!;
    if (SLEEPING_OPS.includes(name) && (place === "hardirq handler" || place === "callback")) {
      issues.add(`${p}.op`, `${name} cannot run in a ${place}: only tasks and threaded handlers may sleep`);
      ok = false;
    }
    if (name === "preemptDisable") preempt++;
    if (name === "preemptEnable" && preempt-- === 0) {
      issues.add(`${p}.op`, "preemptEnable without a preemptDisable before it in this list");
      ok = false;
    }
    const op = readOpFields(issues, p, name, o);
    if (op === undefined) ok = false;
    else ops.push(op);
  });
  return ok ? ops : undefined;
}

function readOpFields(
  issues: Issues,
  p: string,
  name: OpName,
  o: Record<string, unknown>,
): OpSpec | undefined {
  const need = (key: string): unknown =>
    o[key] === undefined ? missing(issues, `${p}.${key}`, `the ${name} op's ${key}`) : o[key];
  switch (name) {
    case "spend":
    case "sleep": {
      const v = need("ns");
      const ns = v === undefined ? undefined : readWhole(issues, `${p}.ns`, v, 0, undefined, "ns");
      return ns === undefined ? undefined : { op: name, ns };
    }
    case "msleep": {
      const v = need("ms");
      const ms = v === undefined ? undefined : readWhole(issues, `${p}.ms`, v, 0, undefined, "ms");
      return ms === undefined ? undefined : { op: name, ms };
    }
    case "queue":
    case "sync":
    case "queueOn": {
      const v = need("work");
      if (v !== undefined && typeof v !== "string") {
        issues.add(`${p}.work`, `must be a work's name, got ${shown(v)}`);
      }
      const c = name === "queueOn" ? need("cpu") : 0;
      if (typeof v !== "string" || c === undefined) return undefined;
      // CPUs are whole numbers here; their range is checked with the work names.
      if (name !== "queueOn") return { op: name, work: v };
      const cpu = readWhole(issues, `${p}.cpu`, c, 0);
      return cpu === undefined ? undefined : { op: name, work: v, cpu };
    }
    default:
      return { op: name };
  }
}

/** Check that the ops at `path` name works that exist and CPUs the machine has. */
function checkOpsRefs(issues: Issues, path: string, ops: readonly OpSpec[], known: Known): void {
  ops.forEach((op, i) => {
    const p = `${path}.ops[${i}]`;
    if ("work" in op) checkWorkName(issues, `${p}.work`, op.work, known);
    if ("cpu" in op) readCpu(issues, `${p}.cpu`, op.cpu, known.cpus);
  });
}

function checkWorkName(issues: Issues, path: string, name: string, known: Known): boolean {
  if (known.works.includes(name)) return true;
  const list = known.works.length === 0
    ? 'the scenario defines no works (add them under "works")'
    : `works are: ${known.works.join(", ")}`;
  issues.add(path, `unknown work "${name}"; ${list}`);
  return false;
}

/** Ops of a task, a handler or a callback at `path`, with their references checked. */
function readOpsAt(
  issues: Issues,
  path: string,
  value: unknown,
  place: OpsPlace,
  known: Known,
): OpSpec[] | undefined {
  const ops = readOps(issues, `${path}.ops`, value, place);
  if (ops !== undefined) checkOpsRefs(issues, path, ops, known);
  return ops;
}

function readIrq(issues: Issues, path: string, value: unknown, known: Known): IrqSpec | undefined {
  const q = readObject(issues, path, value, KEYS.irq!, "a device interrupt");
  if (q === undefined) return undefined;
  const irq = q.irq === undefined
    ? missing(issues, `${path}.irq`, "the IRQ number (0..1023)")
    : readWhole(issues, `${path}.irq`, q.irq, 0, 1023);
  const name = q.name === undefined
    ? missing(issues, `${path}.name`, "the device name")
    : readName(issues, `${path}.name`, q.name, 15, true);
  const cpu = q.cpu === undefined
    ? missing(issues, `${path}.cpu`, "the CPU the line is routed to")
    : readCpu(issues, `${path}.cpu`, q.cpu, known.cpus);
  const source = q.source === undefined
    ? missing(issues, `${path}.source`, 'when the device interrupts ({ "periodNs": ... } or { "at": [...] })')
    : readSource(issues, `${path}.source`, q.source);
  const handlerOps = (key: "handler" | "thread", place: OpsPlace): OpSpec[] | undefined | null => {
    if (q[key] === undefined) return null;
    const ops = readOps(issues, `${path}.${key}`, q[key], place);
    ops?.forEach((op, i) => {
      if ("work" in op) checkWorkName(issues, `${path}.${key}[${i}].work`, op.work, known);
      if ("cpu" in op) readCpu(issues, `${path}.${key}[${i}].cpu`, op.cpu, known.cpus);
    });
    return ops;
  };
  const handler = handlerOps("handler", "hardirq handler");
  const thread = handlerOps("thread", "threaded handler");
  if (handler === null && thread === null) issues.add(path, 'give a "handler", a "thread", or both');
  const noThread = q.noThread === undefined ? false : readBoolean(issues, `${path}.noThread`, q.noThread);
  if (irq === undefined || name === undefined || cpu === undefined || source === undefined) return undefined;
  if (handler === undefined || thread === undefined || noThread === undefined) return undefined;
  if (handler === null && thread === null) return undefined;
  return {
    irq,
    name,
    cpu,
    source,
    ...(handler === null ? {} : { handler }),
    ...(thread === null ? {} : { thread }),
    noThread,
  };
}

function readSource(issues: Issues, path: string, value: unknown): IrqSourceSpec | undefined {
  const isAt = typeof value === "object" && value !== null && "at" in value;
  const s = readObject(
    issues,
    path,
    value,
    isAt ? KEYS.sourceAt! : KEYS.sourcePeriodic!,
    "an interrupt source",
  );
  if (s === undefined) return undefined;
  if (isAt) {
    const list = readArray(issues, `${path}.at`, s.at, "a list of times in ns");
    const times = list?.map((t, i) => readWhole(issues, `${path}.at[${i}]`, t, 0, undefined, "ns"));
    return times === undefined || times.includes(undefined) ? undefined : { at: times as number[] };
  }
  const period = s.periodNs === undefined
    ? missing(issues, `${path}.periodNs`, 'the interval between interrupts in ns (or give "at": [times])')
    : readWhole(issues, `${path}.periodNs`, s.periodNs, 1, undefined, "ns");
  const start = s.startNs === undefined
    ? undefined
    : readWhole(issues, `${path}.startNs`, s.startNs, 0, undefined, "ns");
  const jitter = s.jitterNs === undefined ? undefined : readWhole(
    issues,
    `${path}.jitterNs`,
    s.jitterNs,
    0,
    period === undefined ? undefined : period - 1,
    "ns",
  );
  const count = s.count === undefined ? undefined : readWhole(issues, `${path}.count`, s.count, 0);
  if (period === undefined || (s.startNs !== undefined && start === undefined)) return undefined;
  if ((s.jitterNs !== undefined && jitter === undefined) || (s.count !== undefined && count === undefined)) {
    return undefined;
  }
  return {
    periodNs: period,
    ...(start === undefined ? {} : { startNs: start }),
    ...(jitter === undefined ? {} : { jitterNs: jitter }),
    ...(count === undefined ? {} : { count }),
  };
}

/** Policy and priority at `path`, with the defaults given; the priority range follows the policy. */
function readPolicy(
  issues: Issues,
  path: string,
  o: Record<string, unknown>,
  defaults: { policy: PolicyName; priority: number },
): { policy: PolicyName; priority: number } | undefined {
  const policy = o.policy === undefined
    ? defaults.policy
    : readChoice(issues, `${path}.policy`, o.policy, POLICIES, "policy");
  if (policy === undefined) return undefined;
  if (policy === "other") {
    if (o.priority === undefined || o.priority === 0) return { policy, priority: 0 };
    issues.add(
      `${path}.priority`,
      `must be 0 for policy other (SCHED_OTHER has no RT priority), got ${shown(o.priority)}`,
    );
    return undefined;
  }
  const fallback = defaults.policy === "other" ? 1 : defaults.priority;
  const priority = o.priority === undefined
    ? fallback
    : readWhole(issues, `${path}.priority`, o.priority, 1, 99);
  return priority === undefined ? undefined : { policy, priority };
}

function readTask(issues: Issues, path: string, value: unknown, known: Known): TaskSpec | undefined {
  const t = readObject(issues, path, value, KEYS.task!, "a task");
  if (t === undefined) return undefined;
  const name = t.name === undefined
    ? missing(issues, `${path}.name`, "the task's name (comm)")
    : readName(issues, `${path}.name`, t.name, COMM_BYTES);
  const cpu = t.cpu === undefined
    ? missing(issues, `${path}.cpu`, "the CPU the task runs on")
    : readCpu(issues, `${path}.cpu`, t.cpu, known.cpus);
  const sched = readPolicy(issues, path, t, { policy: "other", priority: 0 });
  const startNs = t.startNs === undefined
    ? 0
    : readWhole(issues, `${path}.startNs`, t.startNs, 0, undefined, "ns");
  let repeat: number | "forever" | undefined = 1;
  if (t.repeat === "forever") repeat = "forever";
  else if (t.repeat !== undefined) {
    repeat = typeof t.repeat === "string" ? undefined : readWhole(issues, `${path}.repeat`, t.repeat, 1);
    if (typeof t.repeat === "string") {
      issues.add(`${path}.repeat`, `must be a whole number >= 1 or "forever", got ${shown(t.repeat)}`);
    }
  }
  const ops = t.ops === undefined
    ? missing(issues, `${path}.ops`, "what the task does (a list of ops)")
    : readOpsAt(issues, path, t.ops, "task", known);
  if (name === undefined || cpu === undefined || sched === undefined || startNs === undefined) {
    return undefined;
  }
  if (repeat === "forever" && ops?.length === 0) {
    // An empty body repeated forever would loop without ever giving the CPU back.
    issues.add(`${path}.ops`, 'a task that repeats "forever" needs at least one op');
    return undefined;
  }
  if (repeat === undefined || ops === undefined) return undefined;
  return { name, cpu, ...sched, startNs, repeat, ops };
}

function readLoad(issues: Issues, path: string, value: unknown, known: Known): LoadSpec | undefined {
  const kinds = Object.keys(LOAD_DEFS) as (keyof typeof LOAD_DEFS)[];
  const rawKind = typeof value === "object" && value !== null
    ? (value as Record<string, unknown>).kind
    : undefined;
  const kind = rawKind === undefined
    ? missing(issues, `${path}.kind`, `the kind of arrivals (${kinds.join(", ")})`)
    : readChoice(issues, `${path}.kind`, rawKind, kinds, "load kind");
  const g = readObject(issues, path, value, KEYS[LOAD_DEFS[kind ?? "periodic"]]!, "a load generator");
  if (g === undefined || kind === undefined) return undefined;
  const name = g.name === undefined
    ? missing(issues, `${path}.name`, "the generator's name (its task's comm)")
    : readName(issues, `${path}.name`, g.name, COMM_BYTES);
  const cpu = g.cpu === undefined
    ? missing(issues, `${path}.cpu`, "the CPU it queues from")
    : readCpu(issues, `${path}.cpu`, g.cpu, known.cpus);
  let works: string[] | undefined;
  if (g.works === undefined) missing(issues, `${path}.works`, "the works it queues (a list of names)");
  else {
    const list = readArray(issues, `${path}.works`, g.works, "a list of work names");
    if (list !== undefined && list.length === 0) issues.add(`${path}.works`, "must name at least one work");
    const ok = list?.every((w, i) => {
      if (typeof w !== "string") {
        issues.add(`${path}.works[${i}]`, `must be a work's name, got ${shown(w)}`);
        return false;
      }
      return checkWorkName(issues, `${path}.works[${i}]`, w, known);
    });
    if (ok === true && list!.length > 0) works = list as string[];
  }
  const from = g.from === undefined
    ? "task"
    : readChoice(issues, `${path}.from`, g.from, ["task", "nmi"] as const, "context");
  if (from === "nmi" && (g.policy !== undefined || g.priority !== undefined)) {
    issues.add(path, "an NMI generator has no task: policy and priority do not apply");
  }
  const sched = readPolicy(issues, path, g, { policy: "fifo", priority: 50 });
  const startNs = g.startNs === undefined
    ? 0
    : readWhole(issues, `${path}.startNs`, g.startNs, 0, undefined, "ns");
  const count = g.count === undefined ? undefined : readWhole(issues, `${path}.count`, g.count, 0);
  const arrival = readArrival(issues, path, kind, g);
  if (name === undefined || cpu === undefined || works === undefined || from === undefined) return undefined;
  if (sched === undefined || startNs === undefined || arrival === undefined) return undefined;
  if (g.count !== undefined && count === undefined) return undefined;
  return { name, cpu, works, from, ...sched, startNs, ...(count === undefined ? {} : { count }), arrival };
}

function readArrival(
  issues: Issues,
  path: string,
  kind: ArrivalSpec["kind"],
  g: Record<string, unknown>,
): ArrivalSpec | undefined {
  const ns = (key: string, min: number, what: string): number | undefined =>
    g[key] === undefined
      ? missing(issues, `${path}.${key}`, what)
      : readWhole(issues, `${path}.${key}`, g[key], min, undefined, "ns");
  switch (kind) {
    case "periodic": {
      const periodNs = ns("periodNs", 1, "the interval between arrivals in ns");
      return periodNs === undefined ? undefined : { kind, periodNs };
    }
    case "burst": {
      const periodNs = ns("periodNs", 1, "the interval between bursts in ns");
      const size = g.size === undefined
        ? missing(issues, `${path}.size`, "arrivals per burst")
        : readWhole(issues, `${path}.size`, g.size, 1);
      const gapNs = g.gapNs === undefined
        ? 0
        : readWhole(issues, `${path}.gapNs`, g.gapNs, 0, undefined, "ns");
      if (periodNs === undefined || size === undefined || gapNs === undefined) return undefined;
      if (gapNs * (size - 1) >= periodNs) {
        issues.add(
          `${path}.gapNs`,
          `a burst of ${size} arrivals ${gapNs} ns apart does not fit in its period of ${periodNs} ns`,
        );
        return undefined;
      }
      return { kind, periodNs, size, gapNs };
    }
    case "random": {
      const distribution = g.distribution === undefined
        ? missing(issues, `${path}.distribution`, "exponential or uniform")
        : readChoice(
          issues,
          `${path}.distribution`,
          g.distribution,
          ["exponential", "uniform"] as const,
          "distribution",
        );
      if (distribution === "exponential") {
        for (const key of ["minNs", "maxNs"]) {
          if (g[key] !== undefined) {
            issues.add(`${path}.${key}`, "applies to the uniform distribution only");
          }
        }
        const meanNs = ns("meanNs", 1, "the mean interval between arrivals in ns");
        return meanNs === undefined ? undefined : { kind, distribution, meanNs };
      }
      if (distribution === "uniform") {
        if (g.meanNs !== undefined) {
          issues.add(`${path}.meanNs`, "applies to the exponential distribution only");
        }
        const minNs = ns("minNs", 1, "the shortest interval between arrivals in ns");
        const maxNs = ns("maxNs", 1, "the longest interval between arrivals in ns");
        if (minNs === undefined || maxNs === undefined) return undefined;
        if (maxNs < minNs) {
          issues.add(`${path}.maxNs`, `must be at least minNs (${minNs} ns), got ${maxNs} ns`);
          return undefined;
        }
        return { kind, distribution, minNs, maxNs };
      }
      return undefined;
    }
  }
}

function readLatency(issues: Issues, value: unknown, known: Known): LatencySpec | undefined {
  const l = readObject(issues, "latency", value, KEYS.latency!, "a latency measurement");
  if (l === undefined) return undefined;
  const tool = l.tool === undefined
    ? missing(issues, "latency.tool", LATENCY_TOOLS.join(" or "))
    : readChoice(issues, "latency.tool", l.tool, LATENCY_TOOLS, "measuring tool");
  let cpus: number[] | undefined = Array.from({ length: known.cpus }, (_, i) => i);
  if (l.cpus !== undefined) {
    const list = readArray(issues, "latency.cpus", l.cpus, "a list of CPUs");
    const read = list?.map((c, i) => readCpu(issues, `latency.cpus[${i}]`, c, known.cpus));
    cpus = read === undefined || read.includes(undefined) ? undefined : read as number[];
    if (cpus !== undefined && new Set(cpus).size !== cpus.length) {
      issues.add("latency.cpus", "names a CPU twice");
      cpus = undefined;
    }
  }
  const sched = readPolicy(issues, "latency", l, { policy: "fifo", priority: 95 });
  const intervalNs = l.intervalNs === undefined
    ? 1_000_000
    : readWhole(issues, "latency.intervalNs", l.intervalNs, 1, undefined, "ns");
  const relative = l.relative === undefined ? false : readBoolean(issues, "latency.relative", l.relative);
  const startNs = l.startNs === undefined
    ? 0
    : readWhole(issues, "latency.startNs", l.startNs, 0, undefined, "ns");
  const breakNs = l.breakNs === undefined
    ? undefined
    : readWhole(issues, "latency.breakNs", l.breakNs, 1, undefined, "ns");
  const histogramUs = l.histogramUs === undefined
    ? undefined
    : readWhole(issues, "latency.histogramUs", l.histogramUs, 1, 1_000_000);
  if (tool === undefined || cpus === undefined || sched === undefined || intervalNs === undefined) {
    return undefined;
  }
  if (relative === undefined || startNs === undefined) return undefined;
  if (
    (l.breakNs !== undefined && breakNs === undefined) ||
    (l.histogramUs !== undefined && histogramUs === undefined)
  ) return undefined;
  return {
    tool,
    cpus,
    ...sched,
    intervalNs,
    relative,
    startNs,
    ...(breakNs === undefined ? {} : { breakNs }),
    ...(histogramUs === undefined ? {} : { histogramUs }),
  };
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
