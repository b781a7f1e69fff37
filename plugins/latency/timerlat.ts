/**
 * rtla timerlat (tools/tracing/rtla, kernel/trace/trace_osnoise.c) in the
 * model: a `timerlat/N` thread per CPU at SCHED_FIFO 95 sleeps until the
 * next period; each period gives an IRQ latency (the expiry to the timer's
 * callback in hard-IRQ context) and a thread latency (the expiry to the
 * thread running), kept per CPU as `rtla timerlat top` and `hist` show them,
 * with the thresholds that stop the trace and the auto-analysis of the
 * stopping sample (or of the worst one).
 *
 * @module
 */

import type { Context, Kernel, SchedPolicy, TraceEvent } from "../../core/mod.ts";
import { analyse, type Analysis, formatAnalysis } from "./analysis.ts";
import type { LatencyHost } from "./host.ts";
import { checkKeys, cpuList, flag, whole } from "./options.ts";
import { ExactStats } from "./stats.ts";
import { formatTimerlatHist, formatTimerlatTop, type TimerlatHistOptions } from "./timerlat_format.ts";
import { CpuWindow } from "./window.ts";

/**
 * Options of {@linkcode timerlat}, named after rtla timerlat's long options;
 * times in µs as on its command line.
 *
 * @example `rtla timerlat hist -c 0-1 -p 1000 -a 40 -E 100`
 * ```ts
 * import type { TimerlatOptions } from "./timerlat.ts";
 * const options: TimerlatOptions = { cpus: [0, 1], period: 1000, auto: 40, entries: 100 };
 * void options;
 * ```
 */
export interface TimerlatOptions {
  /** Called when a threshold stops the run, after the machine's engine is told to stop (a runner's own stop). */
  readonly onStop?: () => void;
  /** `-c`: the CPUs to measure (default all). */
  readonly cpus?: readonly number[];
  /** `-p`: the period, µs (default 1000, at most 1000000). */
  readonly period?: number;
  /** `-P f:prio`: the threads' RT priority (default 95, the kernel's `DEFAULT_TIMERLAT_PRIO`). */
  readonly priority?: number;
  /** `-P o:|r:|f:`: the threads' policy (default fifo). */
  readonly policy?: SchedPolicy;
  /** `-i`: stop the trace when an IRQ latency reaches this many µs. */
  readonly irq?: number;
  /** `-T`: stop the trace when a thread latency reaches this many µs. */
  readonly thread?: number;
  /** `-a`: both `irq` and `thread`, and the auto-analysis of the sample that stops. */
  readonly auto?: number;
  /** `-d`: stop the threads after this many seconds. */
  readonly duration?: number;
  /** `-n`: show ns instead of µs. */
  readonly nano?: boolean;
  /** `-b`: the histogram's bucket size in the shown unit (default 1). */
  readonly bucketSize?: number;
  /** `-E`: the histogram's buckets (default 256). */
  readonly entries?: number;
  /** A tracer whose `snapshot()` is taken at every new maximum thread latency (`tracing_max_latency`). */
  readonly maxSnapshot?: { snapshot(): void };
}

/**
 * One CPU's samples: exact ns, and the shown values (divided per sample,
 * as rtla does, to µs unless `nano`) with their histograms.
 *
 * @example
 * ```ts
 * import type { TimerlatCpu } from "./timerlat.ts";
 * const split = (c: TimerlatCpu) => `IRQ max ${c.irqNs.max} ns, thread max ${c.threadNs.max} ns`;
 * void split;
 * ```
 */
export interface TimerlatCpu {
  /** The CPU. */
  readonly cpu: number;
  /** The `timerlat/N` thread's PID. */
  readonly pid: number;
  /** IRQ latencies, ns. */
  readonly irqNs: ExactStats;
  /** Thread latencies, ns. */
  readonly threadNs: ExactStats;
  /** IRQ latencies in the shown unit. */
  readonly irq: ExactStats;
  /** Thread latencies in the shown unit. */
  readonly thread: ExactStats;
  /** IRQ histogram: `entries` buckets, then the overflows. */
  readonly irqHist: readonly number[];
  /** Thread histogram: `entries` buckets, then the overflows. */
  readonly threadHist: readonly number[];
}

/**
 * The sample that stopped the trace.
 *
 * @example
 * ```ts
 * import type { TimerlatStop } from "./timerlat.ts";
 * const say = (s: TimerlatStop) => `${s.kind} latency ${s.latency} ns on CPU ${s.cpu}`;
 * void say;
 * ```
 */
export interface TimerlatStop {
  /** The CPU. */
  readonly cpu: number;
  /** Which threshold: `irq` (`-i`) or `thread` (`-T`). */
  readonly kind: "irq" | "thread";
  /** The latency, ns. */
  readonly latency: number;
  /** When, ns: the machine stopped here. */
  readonly at: number;
}

/**
 * A timerlat session: per-CPU samples and rtla's outputs.
 *
 * @example
 * ```ts
 * import type { Timerlat } from "./timerlat.ts";
 * const print = (tl: Timerlat) => console.log(tl.top() + tl.analysis());
 * void print;
 * ```
 */
export interface Timerlat {
  /** The measured CPUs, in order. */
  readonly cpus: readonly TimerlatCpu[];
  /** The sample that stopped the trace, or null. */
  readonly stopped: TimerlatStop | null;
  /** The analysis of the stopping sample, or else of the worst thread latency so far; null before any. */
  readonly worst: Analysis | null;
  /** How the histograms count: bucket `i` of `irqHist`/`threadHist` holds samples of `i * bucketSize` up to `(i + 1) * bucketSize` `unit`s, bucket `entries` the overflows (`-n`, `-b`, `-E`). */
  readonly histogram: { readonly unit: "us" | "ns"; readonly bucketSize: number; readonly entries: number };
  /** `rtla timerlat top`'s screen at the end. */
  top(): string;
  /** `rtla timerlat hist`'s output. */
  hist(options?: TimerlatHistOptions): string;
  /** `rtla timerlat -a`'s auto-analysis of {@linkcode Timerlat.worst}; empty before any sample. */
  analysis(): string;
}

/** The timerlat kthread's priority (`DEFAULT_TIMERLAT_PRIO`, kernel/trace/trace_osnoise.c). */
const DEFAULT_TIMERLAT_PRIO = 95;

const KNOWN = [
  "cpus",
  "period",
  "priority",
  "policy",
  "irq",
  "thread",
  "auto",
  "duration",
  "nano",
  "bucketSize",
  "entries",
  "onStop",
  "maxSnapshot",
] as const;

class CpuState implements TimerlatCpu {
  pid = -1;
  readonly irqNs = new ExactStats();
  readonly threadNs = new ExactStats();
  readonly irq = new ExactStats();
  readonly thread = new ExactStats();
  readonly irqHist: number[];
  readonly threadHist: number[];
  readonly window: CpuWindow;
  constructor(readonly cpu: number, entries: number) {
    this.irqHist = new Array(entries + 1).fill(0);
    this.threadHist = new Array(entries + 1).fill(0);
    this.window = new CpuWindow(cpu);
  }
}

/**
 * Start rtla timerlat on `host` (a `Machine`): a `timerlat/N` thread on each
 * chosen CPU, spawned now. The IRQ latency is read at the thread's timer
 * callback (`hrtimer_expire_entry`), the thread latency when the thread
 * runs (docs/rules.md, rule 22.3); a threshold reached stops the machine
 * at that instant, as rtla stops the trace.
 *
 * @example An idle CPU: the IRQ latency is the interrupt entry; the thread latency adds the wake-up, the exit and a context switch
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { timerlat } from "./mod.ts";
 * const m = createMachine({ arch: x86() });
 * const tl = timerlat(m, { period: 100 });
 * m.runFor(10_000_000);
 * const c = tl.cpus[0]!;
 * if (c.irqNs.max !== 300 || c.threadNs.max !== 3_600) throw new Error(tl.top());
 * ```
 */
export function timerlat(host: LatencyHost, options: TimerlatOptions = {}): Timerlat {
  checkKeys("timerlat", options, KNOWN);
  if (options.onStop !== undefined && typeof options.onStop !== "function") {
    throw new TypeError(`timerlat option onStop must be a function, got ${typeof options.onStop}`);
  }
  if (options.maxSnapshot !== undefined && typeof options.maxSnapshot?.snapshot !== "function") {
    throw new TypeError(`timerlat option maxSnapshot must be a tracer with snapshot() (an ftrace() plugin)`);
  }
  const ncpus = host.kernel.cpus.length;
  const cpus = cpuList("timerlat option cpus (-c)", options.cpus, ncpus, host.kernel.cpus.map((c) => c.id));
  const period = whole("timerlat option period (-p)", options.period, 1, 1_000_000, 1000);
  const policy = options.policy ?? "fifo";
  if (policy !== "fifo" && policy !== "rr" && policy !== "other") {
    throw new RangeError(
      `timerlat option policy (-P) must be "fifo", "rr" or "other", got ${JSON.stringify(policy)}`,
    );
  }
  const priority = policy === "other"
    ? whole("timerlat option priority (-P o:prio) with policy other", options.priority, 0, 0, 0)
    : whole("timerlat option priority (-P)", options.priority, 1, 99, DEFAULT_TIMERLAT_PRIO);
  const auto = whole("timerlat option auto (-a)", options.auto, 0, Number.MAX_SAFE_INTEGER, 0);
  const irqStop = whole("timerlat option irq (-i)", options.irq, 0, Number.MAX_SAFE_INTEGER, auto);
  const threadStop = whole("timerlat option thread (-T)", options.thread, 0, Number.MAX_SAFE_INTEGER, auto);
  const duration = options.duration ?? 0;
  if (typeof duration !== "number" || !(duration >= 0) || !Number.isSafeInteger(duration * 1e9)) {
    throw new (typeof duration === "number" ? RangeError : TypeError)(
      `timerlat option duration (-d) must be a number of seconds >= 0 (whole ns), got ${
        typeof duration === "number" ? duration : JSON.stringify(duration)
      }`,
    );
  }
  const nano = flag("timerlat option nano (-n)", options.nano);
  const bucketSize = whole("timerlat option bucketSize (-b)", options.bucketSize, 1, 999_999, 1);
  const entries = whole("timerlat option entries (-E)", options.entries, 10, 9_999_999, 256);
  const divisor = nano ? 1 : 1000;

  const states = cpus.map((cpu) => new CpuState(cpu, entries));
  const byCpu = new Map(states.map((s) => [s.cpu, s]));
  const engine = host.kernel.engine;
  const start = host.now;
  let stopped: TimerlatStop | null = null;
  let worst: Analysis | null = null;
  let ended = false;

  const record = (stats: ExactStats, exact: ExactStats, hist: number[], ns: number) => {
    exact.record(ns);
    const shown = Math.trunc(ns / divisor);
    stats.record(shown);
    const bucket = Math.trunc(shown / bucketSize);
    hist[Math.min(bucket, entries)]!++;
  };
  const stop = (
    s: CpuState,
    kind: "irq" | "thread",
    latency: number,
    at: number,
    threadAt: number | null,
  ) => {
    stopped = { cpu: s.cpu, kind, latency, at };
    worst = analyse(s.window.close(threadAt), s.pid);
    engine.stop();
    options.onStop?.();
  };

  host.observe((e: TraceEvent) => {
    const s = byCpu.get(e.cpu);
    if (s === undefined || s.pid < 0) return;
    const irqNs = s.window.take(e, s.pid);
    if (irqNs === null || stopped !== null || ended) return;
    record(s.irq, s.irqNs, s.irqHist, irqNs);
    if (irqStop > 0 && Math.trunc(irqNs / 1000) >= irqStop) stop(s, "irq", irqNs, e.time, null);
  });

  let maxThreadNs = -1;

  /** `timerlat_main()` with `wait_next_period()`. */
  function* timerlatMain(s: CpuState, ctx: Context): Kernel {
    const rel = period * 1000;
    let abs = ctx.now;
    const waitNextPeriod = function* (): Kernel {
      const now = ctx.now;
      abs += rel;
      while (now > abs) abs += rel;
      yield* ctx.sleepUntil(abs);
    };
    yield* waitNextPeriod();
    while (stopped === null && !ended) {
      const now = ctx.now;
      const diff = now - abs;
      record(s.thread, s.threadNs, s.threadHist, diff);
      if (diff > maxThreadNs) {
        maxThreadNs = diff;
        options.maxSnapshot?.snapshot();
      }
      if (threadStop > 0 && Math.trunc(diff / 1000) >= threadStop) {
        stop(s, "thread", diff, now, now);
        break;
      }
      if (diff > (worst?.kind === "thread" ? worst.total : -1)) worst = analyse(s.window.close(now), s.pid);
      if (duration > 0 && now - start >= duration * 1e9) ended = true;
      yield* waitNextPeriod();
    }
  }

  for (const s of states) {
    s.pid = host.spawn(
      { cpu: s.cpu, name: `timerlat/${s.cpu}`, policy, priority },
      (ctx) => timerlatMain(s, ctx),
    ).pid;
  }

  const view = { states, divisor, bucketSize, entries, elapsed: () => host.now - start };
  return {
    cpus: states,
    get stopped() {
      return stopped;
    },
    get worst() {
      return worst;
    },
    histogram: { unit: nano ? "ns" : "us", bucketSize, entries },
    top: () => formatTimerlatTop(view),
    hist: (histOptions?: TimerlatHistOptions) => formatTimerlatHist(view, histOptions),
    analysis: () => worst === null ? "" : formatAnalysis(worst, stopped !== null),
  };
}
