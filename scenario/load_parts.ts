/**
 * The sections that put load on the machine: works (callbacks or library
 * workloads), device interrupts and their sources, tasks, load generators
 * and their arrivals, and the latency measurement.
 *
 * @module
 */

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
import { KEYS, LOAD_DEFS } from "./keys.ts";
import { checkWorkName, COMM_BYTES, type Known, readCpu, readPolicy } from "./load_common.ts";
import { type OpsPlace, readOps, readOpsAt } from "./load_ops.ts";
import {
  type ArrivalSpec,
  type IrqSourceSpec,
  type IrqSpec,
  LATENCY_TOOLS,
  type LatencySpec,
  type LoadSpec,
  type OpSpec,
  type TaskSpec,
  WORKLOAD_NAMES,
  type WorkSpec,
} from "./types.ts";

/** A work: a callback (`costNs` or `ops`, `flags`) or a library `workload` with its CPU. */
export function readWork(issues: Issues, path: string, value: unknown, cpus: number): WorkSpec | undefined {
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

/** A device interrupt line: number, name, CPU, source, handler and/or thread. */
export function readIrq(issues: Issues, path: string, value: unknown, known: Known): IrqSpec | undefined {
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

/** A task: name, CPU, policy and priority, start, repeat count, ops. */
export function readTask(issues: Issues, path: string, value: unknown, known: Known): TaskSpec | undefined {
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

/** A load generator: its task or NMI, works, start, count and arrivals. */
export function readLoad(issues: Issues, path: string, value: unknown, known: Known): LoadSpec | undefined {
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

/** The latency section: one measurement or a list of them, defaults filled in (all CPUs, FIFO 95, 1 ms, absolute timing). */
export function readLatency(issues: Issues, value: unknown, known: Known): LatencySpec[] | undefined {
  if (!Array.isArray(value)) {
    const one = readOneLatency(issues, "latency", value, known);
    return one === undefined ? undefined : [one];
  }
  if (value.length === 0) {
    issues.add("latency", "is an empty list: give one measurement, or a list of them");
    return undefined;
  }
  const all = value.map((v, i) => readOneLatency(issues, `latency[${i}]`, v, known));
  return all.includes(undefined) ? undefined : all as LatencySpec[];
}

/** One latency measurement at `path`, defaults filled in. */
function readOneLatency(issues: Issues, path: string, value: unknown, known: Known): LatencySpec | undefined {
  const l = readObject(issues, path, value, KEYS.latency!, "a latency measurement");
  if (l === undefined) return undefined;
  const tool = l.tool === undefined
    ? missing(issues, `${path}.tool`, LATENCY_TOOLS.join(" or "))
    : readChoice(issues, `${path}.tool`, l.tool, LATENCY_TOOLS, "measuring tool");
  let cpus: number[] | undefined = Array.from({ length: known.cpus }, (_, i) => i);
  if (l.cpus !== undefined) {
    const list = readArray(issues, `${path}.cpus`, l.cpus, "a list of CPUs");
    const read = list?.map((c, i) => readCpu(issues, `${path}.cpus[${i}]`, c, known.cpus));
    cpus = read === undefined || read.includes(undefined) ? undefined : read as number[];
    if (cpus !== undefined && new Set(cpus).size !== cpus.length) {
      issues.add(`${path}.cpus`, "names a CPU twice");
      cpus = undefined;
    }
  }
  const sched = readPolicy(issues, path, l, { policy: "fifo", priority: 95 });
  const intervalNs = l.intervalNs === undefined
    ? 1_000_000
    : readWhole(issues, `${path}.intervalNs`, l.intervalNs, 1, undefined, "ns");
  const relative = l.relative === undefined ? false : readBoolean(issues, `${path}.relative`, l.relative);
  const startNs = l.startNs === undefined
    ? 0
    : readWhole(issues, `${path}.startNs`, l.startNs, 0, undefined, "ns");
  const breakNs = l.breakNs === undefined
    ? undefined
    : readWhole(issues, `${path}.breakNs`, l.breakNs, 1, undefined, "ns");
  const histogramUs = l.histogramUs === undefined
    ? undefined
    : readWhole(issues, `${path}.histogramUs`, l.histogramUs, 1, 1_000_000);
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
