/**
 * cyclictest (rt-tests, src/cyclictest/cyclictest.c) in the model: measuring
 * threads that sleep until the next period on an hrtimer and record how late
 * they run, with the tool's options, statistics, histogram and break.
 *
 * @module
 */

import type { Context, Kernel, SchedPolicy, TraceEvent } from "../../core/mod.ts";
import { analyse, type Analysis, formatAnalysis } from "./analysis.ts";
import { formatCyclictestHistogram, formatCyclictestSummary } from "./cyclictest_format.ts";
import type { LatencyHost } from "./host.ts";
import { checkKeys, cpuList, flag, whole } from "./options.ts";
import { ExactStats } from "./stats.ts";
import { CpuWindow } from "./window.ts";

/**
 * Options of {@linkcode cyclictest}, named after its long options; times in
 * µs as on its command line.
 *
 * @example `cyclictest -S -p98 -i1000 -l1000 -h100 -b50`
 * ```ts
 * import type { CyclictestOptions } from "./cyclictest.ts";
 * const options: CyclictestOptions = {
 *   smp: true, priority: 98, interval: 1000, loops: 1000, histogram: 100, breaktrace: 50,
 * };
 * void options;
 * ```
 */
export interface CyclictestOptions {
  /** `-a CPUSET`: pin thread N to the Nth CPU of this set, round-robin (default: thread N on CPU N). */
  readonly affinity?: readonly number[];
  /** `-t NUM`: how many threads (default 1); `"all"` is `-t` alone, one per CPU of the affinity set. */
  readonly threads?: number | "all";
  /** `-S`: one thread per CPU of the machine, thread N on CPU N (`-a -t`); `affinity` and `threads` must be left out. */
  readonly smp?: boolean;
  /** `-p PRIO`: the threads' RT priority 0..99 (default 0: SCHED_OTHER; with `policy` fifo or rr, the tool's default, threads + 1). */
  readonly priority?: number;
  /** `--policy`: `fifo`, `rr` or `other` (default fifo with a priority, other without). */
  readonly policy?: SchedPolicy;
  /** `-i INTV`: base interval in µs (default 1000). */
  readonly interval?: number;
  /** `-d DIST`: each further thread's interval is this many µs longer (default 500; 0 with a histogram). */
  readonly distance?: number;
  /** `-r`: relative timer (`clock_nanosleep()` of an interval) instead of absolute (`TIMER_ABSTIME`). */
  readonly relative?: boolean;
  /** `-l LOOPS`: samples per thread, 0 for no end (default 0). */
  readonly loops?: number;
  /** `-D TIME`: stop all threads when one has run this many seconds (default: no limit). */
  readonly duration?: number;
  /** `-h US`: a histogram of 1 µs buckets 0..US-1, and overflows past it (default 0: none). */
  readonly histogram?: number;
  /** `-H US`: as `histogram`, with a summary column over all threads. */
  readonly histofall?: number;
  /** `-b USEC`: stop the run when a latency exceeds this many µs (default 0: never). */
  readonly breaktrace?: number;
  /** Called when `-b` stops the run, after the machine's engine is told to stop (a runner's own stop). */
  readonly onStop?: () => void;
  /**
   * A tracer whose `snapshot()` is taken at every new maximum latency (of
   * all threads), as the kernel's `tracing_max_latency` keeps the trace of
   * the worst wake-up: an `ftrace()` plugin of the same machine.
   */
  readonly maxSnapshot?: { snapshot(): void };
  /**
   * The model's, not cyclictest's: keep rtla timerlat `-a`'s analysis of the
   * worst sample (what delayed it: interrupts, irq_work callbacks, threads),
   * read from the trace events; off by default, since watching the trace
   * costs time.
   */
  readonly analysis?: boolean;
}

/**
 * One measuring thread: where it runs and what it measured. Latencies in µs
 * are the tool's (`calcdiff()` of two `timespec`s); the ns ones are the
 * model's exact values.
 *
 * @example
 * ```ts
 * import type { CyclictestThread } from "./cyclictest.ts";
 * const worst = (threads: readonly CyclictestThread[]) => Math.max(...threads.map((t) => t.us.max));
 * void worst;
 * ```
 */
export interface CyclictestThread {
  /** Thread number (`T:`). */
  readonly index: number;
  /** The CPU it is pinned to. */
  readonly cpu: number;
  /** Its PID (the tid cyclictest prints). */
  readonly pid: number;
  /** Its policy. */
  readonly policy: SchedPolicy;
  /** Its RT priority (`P:`). */
  readonly priority: number;
  /** Its interval, µs (`I:`). */
  readonly interval: number;
  /** Latencies in µs as cyclictest computes them (`C:`, `Min:`, `Act:`, `Avg:`, `Max:`). */
  readonly us: ExactStats;
  /** The same samples in ns, exact. */
  readonly ns: ExactStats;
  /** Histogram counts per µs bucket (empty without `histogram`). */
  readonly buckets: readonly number[];
  /** Samples of `histogram` µs or more. */
  readonly overflows: number;
  /** The cycle numbers of the first overflows (at most `histogram` of them). */
  readonly outliers: readonly number[];
}

/**
 * The sample that exceeded `breaktrace` and stopped the run.
 *
 * @example
 * ```ts
 * import type { CyclictestBreak } from "./cyclictest.ts";
 * const say = (b: CyclictestBreak) => `# Break thread: ${b.pid}\n# Break value: ${b.latency}`;
 * void say;
 * ```
 */
export interface CyclictestBreak {
  /** The thread's number. */
  readonly thread: number;
  /** The thread's PID. */
  readonly pid: number;
  /** The thread's CPU. */
  readonly cpu: number;
  /** The latency, µs. */
  readonly latency: number;
  /** When the thread ran and saw it, ns: the machine stopped here. */
  readonly at: number;
}

/**
 * A cyclictest run: its threads, and the tool's outputs.
 *
 * @example
 * ```ts
 * import type { Cyclictest } from "./cyclictest.ts";
 * const print = (ct: Cyclictest) => console.log(ct.report());
 * void print;
 * ```
 */
export interface Cyclictest {
  /** The measuring threads, in order. */
  readonly threads: readonly CyclictestThread[];
  /** The options in effect, after cyclictest's defaults. */
  readonly options:
    & Required<
      Omit<CyclictestOptions, "affinity" | "threads" | "smp" | "histofall" | "onStop" | "maxSnapshot">
    >
    & {
      readonly histofall: boolean;
    };
  /** The break, once a latency exceeded `breaktrace`; null before. */
  readonly broke: CyclictestBreak | null;
  /** Every thread has finished (its loops, the duration, or a break). */
  readonly done: boolean;
  /** With `analysis`: what delayed the worst sample of all threads so far (the first of equals); else null. */
  readonly worst: Analysis | null;
  /** The status lines, one per thread: `T: 0 ( 1234) P:98 I:1000 C:   1000 Min: ...`. */
  summary(): string;
  /** The `-h` output: `# Histogram`, one line per µs, then the totals and overflow lines. */
  histogram(): string;
  /** What cyclictest leaves on the screen at the end: the status lines, the histogram, and the break. */
  report(): string;
  /** {@linkcode Cyclictest.worst} in `rtla timerlat -a`'s layout; empty without it. */
  analysis(): string;
}

/** `HIST_MAX`: the largest histogram cyclictest keeps. */
const HIST_MAX = 1_000_000;
/** `DEFAULT_INTERVAL` and `DEFAULT_DISTANCE`, µs. */
const DEFAULT_INTERVAL = 1000;
const DEFAULT_DISTANCE = 500;

const KNOWN = [
  "affinity",
  "threads",
  "smp",
  "priority",
  "policy",
  "interval",
  "distance",
  "relative",
  "loops",
  "duration",
  "histogram",
  "histofall",
  "breaktrace",
  "onStop",
  "maxSnapshot",
  "analysis",
] as const;

/** `calcdiff()` of rt-tests: `t1 - t2` in µs of two `timespec`s, the ns parts' difference truncated toward zero. */
export function calcdiffUs(t1: number, t2: number): number {
  const s1 = Math.floor(t1 / 1e9);
  const s2 = Math.floor(t2 / 1e9);
  return 1_000_000 * (s1 - s2) + Math.trunc((t1 - s1 * 1e9 - (t2 - s2 * 1e9)) / 1000);
}

/** A thread's state while it runs. */
class ThreadState implements CyclictestThread {
  readonly us = new ExactStats();
  readonly ns = new ExactStats();
  readonly buckets: number[];
  overflows = 0;
  readonly outliers: number[] = [];
  pid = -1;
  finished = false;
  /** The trace since its last timer was armed, with `analysis`. */
  readonly window: CpuWindow;

  constructor(
    readonly index: number,
    readonly cpu: number,
    readonly policy: SchedPolicy,
    readonly priority: number,
    readonly interval: number,
    histogram: number,
  ) {
    this.buckets = new Array(histogram).fill(0);
    this.window = new CpuWindow(cpu);
  }
}

/**
 * Start cyclictest on `host` (a `Machine`): its threads are spawned now, then
 * run as the machine runs. Each sleeps until its next period (absolute:
 * `clock_nanosleep(TIMER_ABSTIME)` on `start + n * interval`, skipping
 * periods already past; relative with `relative`), and on waking records
 * `now - next` (docs/rules.md, rule 22.2). A latency over `breaktrace`
 * stops the machine at that instant: an ftrace plugin's text then ends with
 * what led to it, as cyclictest's `-b` leaves the kernel's trace.
 *
 * @example `cyclictest -a 1 -p 98 -i 100 -l 50 -h 20` on an idle machine
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { cyclictest } from "./mod.ts";
 * const m = createMachine({ arch: x86(), cpus: 2 });
 * const ct = cyclictest(m, { affinity: [1], priority: 98, interval: 100, loops: 50, histogram: 20 });
 * m.runFor(10_000_000);
 * const t = ct.threads[0]!;
 * if (!ct.done || t.us.count !== 50 || t.us.max !== 3) throw new Error(ct.report()); // 3.6 µs, truncated
 * ```
 */
export function cyclictest(host: LatencyHost, options: CyclictestOptions = {}): Cyclictest {
  checkKeys("cyclictest", options, KNOWN);
  if (options.onStop !== undefined && typeof options.onStop !== "function") {
    throw new TypeError(`cyclictest option onStop must be a function, got ${typeof options.onStop}`);
  }
  if (options.maxSnapshot !== undefined && typeof options.maxSnapshot?.snapshot !== "function") {
    throw new TypeError(
      `cyclictest option maxSnapshot must be a tracer with snapshot() (an ftrace() plugin)`,
    );
  }
  const ncpus = host.kernel.cpus.length;
  const all = host.kernel.cpus.map((c) => c.id);
  const smp = flag("cyclictest option smp (-S)", options.smp);
  if (smp && (options.affinity !== undefined || options.threads !== undefined)) {
    throw new RangeError(
      "cyclictest option smp (-S) sets the affinity and the threads itself: leave out affinity (-a) and threads (-t)",
    );
  }
  const affinity = cpuList("cyclictest option affinity (-a)", options.affinity, ncpus, all);
  let nthreads: number;
  if (smp || options.threads === "all") nthreads = affinity.length;
  else nthreads = whole("cyclictest option threads (-t)", options.threads, 1, 4096, 1);
  if (options.histogram !== undefined && options.histofall !== undefined) {
    throw new RangeError("cyclictest options histogram (-h) and histofall (-H) exclude each other: give one");
  }
  const histofall = options.histofall !== undefined;
  const histogram = whole(
    `cyclictest option ${histofall ? "histofall (-H)" : "histogram (-h)"}`,
    histofall ? options.histofall : options.histogram,
    0,
    HIST_MAX,
    0,
  );
  const policyGiven = options.policy;
  if (
    policyGiven !== undefined && policyGiven !== "fifo" && policyGiven !== "rr" && policyGiven !== "other"
  ) {
    throw new RangeError(
      `cyclictest option policy (--policy) must be "fifo", "rr" or "other", got ${
        JSON.stringify(policyGiven)
      }`,
    );
  }
  let priority = whole("cyclictest option priority (-p)", options.priority, 0, 99, 0);
  const policy: SchedPolicy = policyGiven ?? (priority > 0 ? "fifo" : "other");
  if (policy === "other" && priority > 0) {
    throw new RangeError(
      `cyclictest option priority (-p) ${priority} needs policy fifo or rr (SCHED_OTHER has no RT priority)`,
    );
  }
  if (policy !== "other" && priority === 0) priority = nthreads + 1; // "defaulting realtime priority to %d"
  const interval = whole(
    "cyclictest option interval (-i)",
    options.interval,
    1,
    1_000_000_000,
    DEFAULT_INTERVAL,
  );
  // With a histogram, every thread has the same interval ("distance is ignored and set to 0").
  const distance = histogram > 0
    ? 0
    : whole("cyclictest option distance (-d)", options.distance, 0, 1_000_000_000, DEFAULT_DISTANCE);
  const relative = flag("cyclictest option relative (-r)", options.relative);
  const loops = whole("cyclictest option loops (-l)", options.loops, 0, Number.MAX_SAFE_INTEGER, 0);
  const duration = options.duration ?? 0;
  if (typeof duration !== "number" || !(duration >= 0) || !Number.isSafeInteger(duration * 1e9)) {
    throw new (typeof duration === "number" ? RangeError : TypeError)(
      `cyclictest option duration (-D) must be a number of seconds >= 0 (whole ns), got ${
        typeof duration === "number" ? duration : JSON.stringify(duration)
      }`,
    );
  }
  const breaktrace = whole(
    "cyclictest option breaktrace (-b)",
    options.breaktrace,
    0,
    Number.MAX_SAFE_INTEGER,
    0,
  );
  const analysis = flag("cyclictest option analysis", options.analysis);

  const threads: ThreadState[] = [];
  for (let i = 0; i < nthreads; i++) {
    threads.push(
      new ThreadState(
        i,
        affinity[i % affinity.length]!,
        policy,
        priority,
        interval + i * distance,
        histogram,
      ),
    );
  }
  let shutdown = false;
  let broke: CyclictestBreak | null = null;
  let maxNs = -1;
  let worst: Analysis | null = null;
  const engine = host.kernel.engine;

  function* timerthread(t: ThreadState, ctx: Context): Kernel {
    const intervalNs = t.interval * 1000;
    let now = ctx.now;
    let next = now + intervalNs;
    const stop = now + Math.round(duration * 1e9);
    while (!shutdown) {
      if (relative) {
        now = ctx.now;
        yield* ctx.sleep(intervalNs);
        next = now + intervalNs;
      } else {
        yield* ctx.sleepUntil(next);
      }
      if (shutdown) break; // the main thread's SIGTERM ended the sleep
      now = ctx.now;
      const diff = calcdiffUs(now, next);
      t.us.record(diff);
      t.ns.record(now - next);
      if (now - next > maxNs) {
        maxNs = now - next;
        options.maxSnapshot?.snapshot();
      }
      if (analysis && now - next > (worst?.total ?? -1)) worst = analyse(t.window.close(now), t.pid);
      if (duration > 0 && calcdiffUs(now, stop) >= 0) shutdown = true;
      if (breaktrace > 0 && diff > breaktrace && broke === null) {
        shutdown = true;
        broke = { thread: t.index, pid: t.pid, cpu: t.cpu, latency: diff, at: now };
        engine.stop();
        options.onStop?.();
      }
      if (histogram > 0) {
        if (diff >= histogram) {
          t.overflows++;
          if (t.outliers.length < histogram) t.outliers.push(t.us.count - 1);
        } else t.buckets[diff]!++;
      }
      next += intervalNs;
      while (now > next) next += intervalNs;
      if (loops > 0 && t.us.count === loops) break;
    }
    t.finished = true;
  }

  for (const t of threads) {
    const task = host.spawn(
      { cpu: t.cpu, name: "cyclictest", policy, priority: policy === "other" ? 0 : priority },
      (ctx) => timerthread(t, ctx),
    );
    t.pid = task.pid;
  }
  if (analysis) {
    host.observe((e: TraceEvent) => {
      for (const t of threads) if (t.cpu === e.cpu) t.window.take(e, t.pid);
    });
  }

  const effective = {
    priority,
    policy,
    interval,
    distance,
    relative,
    loops,
    duration,
    histogram,
    histofall,
    breaktrace,
    analysis,
  };
  return {
    threads,
    options: effective,
    get broke() {
      return broke;
    },
    get done() {
      return threads.every((t) => t.finished);
    },
    get worst() {
      return worst;
    },
    summary: () => formatCyclictestSummary(threads),
    histogram: () => formatCyclictestHistogram(threads, histofall),
    report(): string {
      let out = formatCyclictestSummary(threads);
      if (histogram > 0) out += formatCyclictestHistogram(threads, histofall);
      if (breaktrace > 0) {
        out += `# Thread Ids:${threads.map((t) => ` ${String(t.pid).padStart(5, "0")}`).join("")}\n`;
        if (broke !== null) out += `# Break thread: ${broke.pid}\n# Break value: ${broke.latency}\n`;
      }
      return out;
    },
    analysis: () => worst === null ? "" : formatAnalysis(worst, false),
  };
}
