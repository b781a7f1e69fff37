/**
 * A scenario as the loader returns it: checked, with every default filled
 * in, so that the builder never has to ask again. The JSON form is the same
 * shape with optional fields left out; `scenario.v1.schema.json` beside this
 * file describes it.
 *
 * @module
 */

/** The scenario format version this loader reads (`"irqemu": 1`). */
export const FORMAT_VERSION = 1;

/** The arches a scenario can name, by the name each arch gives itself. */
export const ARCH_NAMES = ["x86", "arm64", "powerpc", "tick-only"] as const;

/** An arch a scenario can name. */
export type ArchName = typeof ARCH_NAMES[number];

/** The arch and its options (`x86` alone has one: `apic`). */
export interface ArchSpec {
  /** Which arch. */
  readonly name: ArchName;
  /** x86 only: false is `nolapic` (one CPU, no irq_work interrupt); default true. */
  readonly apic?: boolean;
}

/** The machine: what `createMachine` is given, with PREEMPT_RT and the checker as switches. */
export interface MachineSpec {
  /** The arch. */
  readonly arch: ArchSpec;
  /** Number of CPUs (default 1). */
  readonly cpus: number;
  /** Tick frequency (default 250). */
  readonly hz?: number;
  /** Kernel version, e.g. `"6.1.192"` (default mainline). */
  readonly kernel?: string;
  /** Fixes switched on or off by commit. */
  readonly fixes?: Readonly<Record<string, boolean>>;
  /** PREEMPT_RT (default false). */
  readonly rt: boolean;
  /** Seed of the machine's and the load generators' random numbers (default 1). */
  readonly seed: number;
  /** Idle CPUs halt or poll (default halt). */
  readonly idle?: "halt" | "poll";
  /** NO_HZ idle (default true). */
  readonly nohz?: boolean;
  /** The `threadirqs` boot parameter (default false). */
  readonly threadIrqs?: boolean;
  /** Overrides of the machine's time costs, by `DEFAULT_TIMING` key. */
  readonly timing?: Readonly<Record<string, number>>;
  /** Report sleeping locks and frees in invalid contexts (the context checker; default true). */
  readonly checker: boolean;
}

/** One step of a task body, a handler or a callback: each maps to one `Context` call. */
export type OpSpec =
  | { readonly op: "spend"; readonly ns: number }
  | { readonly op: "sleep"; readonly ns: number }
  | { readonly op: "msleep"; readonly ms: number }
  | { readonly op: "queue"; readonly work: string }
  | { readonly op: "queueOn"; readonly work: string; readonly cpu: number }
  | { readonly op: "sync"; readonly work: string }
  | {
    readonly op:
      | "irqDisable"
      | "irqEnable"
      | "preemptDisable"
      | "preemptEnable"
      | "rcuReadLock"
      | "rcuReadUnlock";
  };

/** The name of an op. */
export type OpName = OpSpec["op"];

/** The in-kernel irq_work users of `plugins/workloads` a scenario can name. */
export const WORKLOAD_NAMES = [
  "nohzFullKick",
  "rtoPush",
  "wakeUpKlogd",
  "perfPendingIrq",
  "perfPendingDisable",
  "sugov",
  "bpfSendSignal",
  "ringBufferWakeUp",
  "kfreeExample",
  "dmaFenceArray",
] as const;

/** A workload a scenario can name. */
export type WorkloadName = typeof WORKLOAD_NAMES[number];

/** A work: a callback described by ops, or one of the kernel workload library's. */
export type WorkSpec =
  | {
    /** The name ops refer to, and the work's name in traces. */
    readonly name: string;
    /** `IRQ_WORK_HARD_IRQ` and `IRQ_WORK_LAZY`, as given. */
    readonly flags: readonly ("HARD" | "LAZY")[];
    /** The callback (`costNs` in the JSON is one `spend`). */
    readonly ops: readonly OpSpec[];
  }
  | {
    /** The name ops refer to (the trace shows the kernel's own name). */
    readonly name: string;
    /** The workload. */
    readonly workload: WorkloadName;
    /** The CPU the work belongs to (default 0). */
    readonly cpu: number;
  };

/** When a device interrupts, as `IrqSource`. */
export type IrqSourceSpec =
  | { readonly at: readonly number[] }
  | {
    readonly periodNs: number;
    readonly startNs?: number;
    readonly jitterNs?: number;
    readonly count?: number;
  };

/** A device interrupt line (`request_irq` / `request_threaded_irq`). */
export interface IrqSpec {
  /** The Linux IRQ number. */
  readonly irq: number;
  /** The device name. */
  readonly name: string;
  /** The CPU the line is routed to. */
  readonly cpu: number;
  /** When it fires. */
  readonly source: IrqSourceSpec;
  /** The primary handler, if any. */
  readonly handler?: readonly OpSpec[];
  /** The threaded handler, if any. */
  readonly thread?: readonly OpSpec[];
  /** `IRQF_NO_THREAD` (default false). */
  readonly noThread: boolean;
}

/** A scheduling policy. */
export type PolicyName = "fifo" | "rr" | "other";

/** A task running a list of ops, once, a number of times, or forever. */
export interface TaskSpec {
  /** `comm`. */
  readonly name: string;
  /** The CPU it is bound to. */
  readonly cpu: number;
  /** Policy (default other). */
  readonly policy: PolicyName;
  /** RT priority (default 1 for fifo/rr, 0 for other). */
  readonly priority: number;
  /** First wake-up, ns (default 0). */
  readonly startNs: number;
  /** How many times the ops run (default 1). */
  readonly repeat: number | "forever";
  /** The body. */
  readonly ops: readonly OpSpec[];
}

/** The arrival process of a load generator. */
export type ArrivalSpec =
  | { readonly kind: "periodic"; readonly periodNs: number }
  | { readonly kind: "random"; readonly distribution: "exponential"; readonly meanNs: number }
  | {
    readonly kind: "random";
    readonly distribution: "uniform";
    readonly minNs: number;
    readonly maxNs: number;
  }
  | { readonly kind: "burst"; readonly periodNs: number; readonly size: number; readonly gapNs: number };

/** A load generator: queues its works at each arrival, from a task or from an NMI. */
export interface LoadSpec {
  /** The generator's task name (`comm`), also used in messages. */
  readonly name: string;
  /** The CPU it queues from. */
  readonly cpu: number;
  /** The works queued at each arrival, in order. */
  readonly works: readonly string[];
  /** Queue from a task (default) or from an NMI handler. */
  readonly from: "task" | "nmi";
  /** The task's policy (from a task; default fifo). */
  readonly policy: PolicyName;
  /** The task's priority (from a task; default 50 for fifo/rr). */
  readonly priority: number;
  /** First arrival, ns (default 0). */
  readonly startNs: number;
  /** Arrivals in all (bursts, for a burst generator); default no limit. */
  readonly count?: number;
  /** When arrivals come. */
  readonly arrival: ArrivalSpec;
}

/** The measuring tools a latency section can name. */
export const LATENCY_TOOLS = ["cyclictest", "timerlat"] as const;

/**
 * A latency measurement, as cyclictest (`-a CPUS -p PRIO --policy -i INTERVAL
 * -r -b THRESHOLD -h MAXUS`) or rtla timerlat take it. The scenario only
 * describes it; a measuring plugin does it (see `MeasureHook`).
 */
export interface LatencySpec {
  /** Which tool's measurement and report. */
  readonly tool: typeof LATENCY_TOOLS[number];
  /** The CPUs with a measuring thread (default all). */
  readonly cpus: readonly number[];
  /** The threads' policy (default fifo). */
  readonly policy: PolicyName;
  /** The threads' priority (default 95, as rtla's default; cyclictest's -p). */
  readonly priority: number;
  /** Period between wake-ups, ns (default 1 ms; cyclictest's -i is µs). */
  readonly intervalNs: number;
  /** Relative timing (cyclictest -r): each wake-up is set from the last one's end (default false). */
  readonly relative: boolean;
  /** The first wake-up, ns (default 0). */
  readonly startNs: number;
  /** Stop the run when a sample exceeds this, ns (cyclictest -b, timerlat -T). */
  readonly breakNs?: number;
  /** Histogram buckets of 1 µs up to this many µs (cyclictest -h). */
  readonly histogramUs?: number;
}

/** Where the CLI writes what a run produced; each is a path, absent when not wanted. */
export interface OutputsSpec {
  /** The ftrace text. */
  readonly ftrace?: string;
  /** Perfetto (Chrome trace-event) JSON. */
  readonly perfetto?: string;
  /** trace-cmd's trace.dat. */
  readonly traceDat?: string;
  /** The findings as JSON. */
  readonly findings?: string;
  /** The text report: the run's summary, and the latency report when measured. */
  readonly report?: string;
  /** The self-contained HTML report: timeline, latency histograms and analysis, findings, the scenario. */
  readonly html?: string;
}

/** The output kinds, in the order the CLI writes them. */
export const OUTPUT_KINDS = ["ftrace", "perfetto", "traceDat", "findings", "report", "html"] as const;

/** A checked scenario, defaults filled in. */
export interface Scenario {
  /** The format version (1). */
  readonly irqemu: typeof FORMAT_VERSION;
  /** A short name for reports (default "scenario"). */
  readonly name: string;
  /** What the scenario shows (default empty). */
  readonly description: string;
  /** The machine. */
  readonly machine: MachineSpec;
  /** The works, by name. */
  readonly works: readonly WorkSpec[];
  /** Device interrupt lines. */
  readonly irqs: readonly IrqSpec[];
  /** Tasks. */
  readonly tasks: readonly TaskSpec[];
  /** Load generators. */
  readonly load: readonly LoadSpec[];
  /** The latency measurements, if any (one section, or a list of them, in the file). */
  readonly latency?: readonly LatencySpec[];
  /** How long to run. */
  readonly run: { readonly durationNs: number };
  /** What to write. */
  readonly outputs: OutputsSpec;
}
