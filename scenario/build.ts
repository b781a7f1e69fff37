/**
 * Building a machine from a checked {@linkcode Scenario}: the arch and
 * plugins its machine section names, the works, device interrupts, tasks
 * and load generators, the trace sinks its outputs ask for, and the latency
 * measurement through a {@linkcode MeasureHook}.
 *
 * @module
 */

import { htmlReport } from "../report/mod.ts";
import {
  type Arch,
  contextChecker,
  createMachine,
  type DeviceIrq,
  ftrace,
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  IrqWork,
  type Machine,
  perfetto,
  type Plugin,
  preemptRt,
  traceCmd,
} from "./deps.ts";
import { arm64, powerpc, tickOnly, x86 } from "./deps.ts";
import { WORKLOADS } from "./deps.ts";
import { arrivals } from "./arrivals.ts";
import { ScenarioFileError } from "./issues.ts";
import type { LatencyMeasurement, MeasureHook } from "./measure.ts";
import { runOps, type WorkRef } from "./ops.ts";
import { findingsJson, RunStats, summary } from "./report.ts";
import { type RunOptions, type RunResult, runSliced, stopSwitch } from "./run.ts";
import type { ArchSpec, LoadSpec, Scenario } from "./types.ts";

/** What a run produced, for each output the scenario asks for. */
export interface ScenarioOutputs {
  /** The ftrace text. */
  readonly ftrace?: string;
  /** Perfetto JSON. */
  readonly perfetto?: string;
  /** trace.dat bytes. */
  readonly traceDat?: Uint8Array;
  /** The findings as JSON. */
  readonly findings?: string;
  /** The text report: the summary, then the latency report if measured. */
  readonly report?: string;
  /** The HTML report. */
  readonly html?: string;
}

/** A built scenario: its machine, ready to run. */
export interface BuiltScenario {
  /** The scenario it was built from. */
  readonly scenario: Scenario;
  /** The machine (run it with {@linkcode BuiltScenario.run}, or by hand). */
  readonly machine: Machine;
  /** The latency measurement, when the scenario has a latency section. */
  readonly measurement?: LatencyMeasurement;
  /** Run to the scenario's end in slices (progress, early stop); once. */
  run(options?: RunOptions): RunResult;
  /** The run's summary (after {@linkcode BuiltScenario.run}). */
  summary(): string;
  /** The contents of each output the scenario asks for (after {@linkcode BuiltScenario.run}). */
  outputs(): ScenarioOutputs;
}

/** Options of {@linkcode buildScenario}. */
export interface BuildOptions {
  /** Serves the scenario's latency section; without it such a scenario is refused. */
  readonly measure?: MeasureHook;
}

function makeArch(spec: ArchSpec): Arch {
  switch (spec.name) {
    case "x86":
      return spec.apic === undefined ? x86() : x86({ apic: spec.apic });
    case "arm64":
      return arm64();
    case "powerpc":
      return powerpc();
    case "tick-only":
      return tickOnly();
  }
}

/**
 * Build the machine `scenario` describes. A problem only building reveals
 * (a kernel that refuses an option, a latency section with no measuring
 * plugin) is a `ScenarioFileError` naming the part being built.
 *
 * @example
 * ```ts
 * import { buildScenario, loadScenario } from "./mod.ts";
 * const built = buildScenario(loadScenario({
 *   irqemu: 1,
 *   machine: { arch: "x86", cpus: 2 },
 *   works: [{ name: "rx", costNs: 2_000 }],
 *   tasks: [{ name: "producer", cpu: 0, ops: [{ op: "queueOn", work: "rx", cpu: 1 }] }],
 *   run: { durationNs: 1_000_000 },
 * }));
 * const result = built.run();
 * if (result.end !== "done" || built.machine.runs[0]?.cpu !== 1) throw new Error("ran on CPU 1");
 * ```
 */
export function buildScenario(scenario: Scenario, options: BuildOptions = {}): BuiltScenario {
  const m = scenario.machine;
  const measurement = measure(scenario, options.measure);
  const sinks = {
    ftrace: scenario.outputs.ftrace === undefined ? undefined : ftrace(),
    // The HTML report's timeline is the Perfetto sink's slices.
    perfetto: scenario.outputs.perfetto === undefined && scenario.outputs.html === undefined
      ? undefined
      : perfetto(),
    traceCmd: scenario.outputs.traceDat === undefined ? undefined : traceCmd(),
  };
  const plugins: Plugin[] = [
    ...(m.rt ? [preemptRt()] : []),
    ...(m.checker ? [contextChecker()] : []),
    ...[sinks.ftrace, sinks.perfetto, sinks.traceCmd].filter((p) => p !== undefined),
    ...(measurement?.plugins ?? []),
  ];
  const machine = building("machine", () =>
    createMachine({
      arch: makeArch(m.arch),
      cpus: m.cpus,
      seed: m.seed,
      ...(m.hz === undefined ? {} : { hz: m.hz }),
      ...(m.kernel === undefined ? {} : { kernel: m.kernel }),
      ...(m.fixes === undefined ? {} : { fixes: m.fixes }),
      ...(m.idle === undefined ? {} : { idle: m.idle }),
      ...(m.nohz === undefined ? {} : { nohz: m.nohz }),
      ...(m.threadIrqs === undefined ? {} : { threadIrqs: m.threadIrqs }),
      ...(m.timing === undefined ? {} : { timing: m.timing }),
      plugins,
    }));
  const stats = new RunStats();
  machine.observe(stats.observe);
  const works = new Map<string, WorkRef>();
  scenario.works.forEach((w, i) =>
    building(`works[${i}]`, () => works.set(w.name, makeWork(w, m.cpus, works)))
  );
  const irqs = scenario.irqs.map((spec, i) => ({
    spec,
    line: building(`irqs[${i}]`, (): DeviceIrq =>
      machine.requestIrq({
        irq: spec.irq,
        name: spec.name,
        cpu: spec.cpu,
        ...(spec.handler === undefined ? {} : { handler: (ctx) => runOps(ctx, spec.handler!, works) }),
        ...(spec.thread === undefined ? {} : { thread: (ctx) => runOps(ctx, spec.thread!, works) }),
        noThread: spec.noThread,
        source: spec.source,
      })),
  }));
  scenario.tasks.forEach((t, i) =>
    building(`tasks[${i}]`, () =>
      machine.spawn(
        { cpu: t.cpu, name: t.name, policy: t.policy, priority: t.priority, at: t.startNs },
        function* (ctx) {
          for (let n = 0; t.repeat === "forever" || n < t.repeat; n++) yield* runOps(ctx, t.ops, works);
        },
      ))
  );
  scenario.load.forEach((g, i) => building(`load[${i}]`, () => startLoad(machine, g, i, m.seed, works)));
  const stop = stopSwitch(machine);
  if (measurement !== undefined) building("latency", () => measurement.attach(machine, stop));

  let result: RunResult | undefined;
  const after = (what: string): RunResult => {
    if (result === undefined) throw new Error(`Run the scenario before asking for its ${what}`);
    return result;
  };
  const text = () => {
    const r = after("summary");
    return summary(scenario, machine, r, stats, irqs);
  };
  return {
    scenario,
    machine,
    ...(measurement === undefined ? {} : { measurement }),
    run(runOptions: RunOptions = {}): RunResult {
      if (result !== undefined) throw new Error("A built scenario runs once; build it again to rerun");
      result = runSliced(machine, scenario.run.durationNs, { ...runOptions, stop });
      return result;
    },
    summary: text,
    outputs(): ScenarioOutputs {
      const r = after("outputs");
      const o = scenario.outputs;
      const report = () => `${text()}${measurement === undefined ? "" : `\n${measurement.report()}`}`;
      return {
        ...(sinks.ftrace === undefined ? {} : { ftrace: sinks.ftrace.text() }),
        ...(sinks.perfetto === undefined || o.perfetto === undefined
          ? {}
          : { perfetto: sinks.perfetto.json() }),
        ...(sinks.traceCmd === undefined ? {} : { traceDat: sinks.traceCmd.traceDat() }),
        ...(o.findings === undefined ? {} : { findings: findingsJson(scenario, machine, r) }),
        ...(o.report === undefined ? {} : { report: report() }),
        ...(o.html === undefined ? {} : {
          html: htmlReport({
            title: `irqemu: ${scenario.name}`,
            machine,
            ...(sinks.perfetto === undefined ? {} : { timeline: sinks.perfetto }),
            ...(measurement?.tools === undefined ? {} : { latency: measurement.tools }),
            scenario,
          }),
        }),
      };
    },
  };
}

/**
 * The measurements the scenario's latency section asks for, as one (their
 * plugins, attached in order, reports one after the other), or a clear
 * refusal without a hook.
 */
function measure(scenario: Scenario, hook: MeasureHook | undefined): LatencyMeasurement | undefined {
  const specs = scenario.latency;
  if (specs === undefined) return undefined;
  const path = (i: number) => specs.length === 1 ? "latency" : `latency[${i}]`;
  if (hook === undefined) {
    throw new ScenarioFileError([{
      path: "latency",
      reason: `the scenario asks for a ${specs.map((s) => s.tool).join(" and ")} measurement, but no ` +
        "measuring plugin was given (buildScenario's measure option); remove the latency section to run the rest",
    }]);
  }
  const parts = specs.map((spec, i) => building(path(i), () => hook(spec, { cpus: scenario.machine.cpus })));
  if (parts.length === 1) return parts[0];
  return {
    plugins: parts.flatMap((p) => p.plugins ?? []),
    attach: (machine, stop) => parts.forEach((p, i) => building(path(i), () => p.attach(machine, stop))),
    report: () => parts.map((p) => p.report()).join("\n"),
    get exceeded() {
      return parts.some((p) => p.exceeded);
    },
    get tools() {
      const all = parts.map((p) => p.tools ?? {});
      const cyclictest = all.find((t) => t.cyclictest !== undefined)?.cyclictest;
      const timerlat = all.find((t) => t.timerlat !== undefined)?.timerlat;
      return {
        ...(cyclictest === undefined ? {} : { cyclictest }),
        ...(timerlat === undefined ? {} : { timerlat }),
      };
    },
  };
}

/** Run `fn`; a TypeError or RangeError it throws becomes a ScenarioFileError at `path`. */
function building<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) {
      throw new ScenarioFileError([{ path, reason: e.message }]);
    }
    throw e;
  }
}

function makeWork(w: Scenario["works"][number], cpus: number, works: ReadonlyMap<string, WorkRef>): WorkRef {
  if ("workload" in w) {
    const load = WORKLOADS[w.workload]({ cpu: w.cpu, cpus });
    return { work: load.work, queue: (ctx) => load.queue(ctx) };
  }
  const flags = (w.flags.includes("HARD") ? IRQ_WORK_HARD_IRQ : 0) |
    (w.flags.includes("LAZY") ? IRQ_WORK_LAZY : 0);
  const ops = w.ops;
  const work = new IrqWork(
    function* (_work, ctx) {
      yield* runOps(ctx, ops, works);
    },
    flags,
    w.name,
  );
  return { work, queue: (ctx) => ctx.queue(work) };
}

/** Start generator `g` (number `index`): a task that sleeps to each arrival, or an NMI per arrival. */
function startLoad(
  machine: Machine,
  g: LoadSpec,
  index: number,
  seed: number,
  works: ReadonlyMap<string, WorkRef>,
): void {
  const next = arrivals(g, seed, index);
  const refs = g.works.map((name) => works.get(name)!);
  const first = next();
  if (first === undefined) return;
  if (g.from === "task") {
    machine.spawn(
      { cpu: g.cpu, name: g.name, policy: g.policy, priority: g.priority, at: first },
      function* (ctx) {
        for (let t: number | undefined = first; t !== undefined; t = next()) {
          if (t > ctx.now) yield* ctx.sleep(t - ctx.now);
          for (const ref of refs) yield* ref.queue(ctx);
        }
      },
    );
    return;
  }
  const body = function* (ctx: Parameters<WorkRef["queue"]>[0]) {
    for (const ref of refs) yield* ref.queue(ctx);
  };
  const arm = (t: number): void => {
    machine.nmi(g.cpu, t, body);
    machine.at(t, `arm the next NMI of load generator ${g.name}`, () => {
      const n = next();
      if (n !== undefined) arm(n);
    });
  };
  arm(first);
}
