/**
 * What a machine is built from: its options, the plugin contract, default
 * time costs, and the checks that turn bad options into clear errors before
 * anything is built.
 *
 * @module
 */

import type { Arch } from "./arch.ts";
import { checkArch } from "./arch_check.ts";
import { checkWhole, describe } from "./describe.ts";
import type { IdleMode } from "./idle.ts";
import type { Plugin } from "./parts.ts";
import { checkPlugins } from "./plugin_check.ts";
import type { KernelVersion } from "./profile.ts";
import type { RcuTiming } from "./rcu.ts";
import { DEFAULT_TIMING, type MachineTiming } from "./timing.ts";

/**
 * What to build.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const m = createMachine({ arch: fixtureArch(), cpus: 4, hz: 1000, kernel: "C", seed: 7, keepRuns: 1_000 });
 * if (m.kernel.cpus.length !== 4) throw new Error("four CPUs");
 * ```
 */
export interface MachineOptions {
  /** The architecture (fills the `Arch` slot). */
  readonly arch: Arch;
  /** Number of CPUs, 1..1024 (default 1). */
  readonly cpus?: number;
  /** An SMP build (default: true when `cpus` > 1); a uniprocessor build has one CPU (rules 0.1, 5.1). */
  readonly smp?: boolean;
  /** Seed of the machine's random numbers, a whole number 0..2^32-1 (default 1). */
  readonly seed?: number;
  /** Tick frequency (default 250). */
  readonly hz?: number;
  /**
   * The kernel: a release such as `"6.1"` (6.1.0), `"6.1.192"`, `"5.15-rt"`,
   * or `"mainline"` (the default); `seed`, `C` and `D` are aliases of the
   * first build's labels (see `KERNEL_ALIASES` in core/profile.ts).
   */
  readonly kernel?: KernelVersion;
  /**
   * Switch single fixes on or off for this kernel, by commit (7 to 40 hex
   * digits): `{ "91840be8f710": false }` (see `KERNEL_FIXES` in core/profile.ts).
   */
  readonly fixes?: Readonly<Record<string, boolean>>;
  /** Stop the tick of idle CPUs when allowed (NO_HZ_IDLE; default true). */
  readonly nohz?: boolean;
  /**
   * The `threadirqs` boot parameter: device interrupt handlers are
   * force-threaded, as PREEMPT_RT always does (default false; rule 20.3).
   */
  readonly threadIrqs?: boolean;
  /** Idle CPUs halt (`halt`, default) or poll for `need_resched` (`poll`, as `idle=poll`). */
  readonly idle?: IdleMode;
  /**
   * Jump over the polls of a spin loop (`irq_work_sync()`'s busy wait,
   * `csd_lock_wait()`, spinlocks) that nothing can change, rather than take
   * each one (default true). Results are the same either way; false is the
   * reference the fast path is tested against.
   */
  readonly fastForward?: boolean;
  /**
   * How many of the latest irq_work runs `Machine.runs` keeps (default
   * 100,000; `Infinity` keeps all), so that memory stays bounded on long runs;
   * `Machine.runCount` counts them all.
   */
  readonly keepRuns?: number;
  /**
   * How many findings `Machine.findings` keeps (default 1,000; `Infinity`
   * keeps all): the first ones, and always the BUG or livelock that stops
   * the machine; `Machine.droppedFindings` counts the others.
   */
  readonly keepFindings?: number;
  /**
   * How many events may fire at one instant of simulated time before the
   * run is reported as a livelock (time stopped advancing) and stopped
   * (default 1,000,000).
   */
  readonly maxEventsPerInstant?: number;
  /**
   * Override some costs, key by key: a machine takes {@linkcode DEFAULT_TIMING},
   * then the costs its arch states, then these (rule 23.1). `LEGACY_TIMING`
   * states them all as the first builds had them.
   */
  readonly timing?: Partial<MachineTiming>;
  /**
   * RCU's force-quiescent-state intervals in jiffies, as the
   * `rcutree.jiffies_till_first_fqs` and `rcutree.jiffies_till_next_fqs`
   * boot parameters set them (default: the kernel's, 1 jiffy at HZ=250,
   * 2 above 250, 3 above 500, plus 1 per 256 CPUs).
   */
  readonly rcu?: Partial<RcuTiming>;
  /** Plugins, in order. */
  readonly plugins?: readonly Plugin[];
}

const KNOWN_OPTIONS = new Set([
  "arch",
  "cpus",
  "smp",
  "seed",
  "hz",
  "kernel",
  "fixes",
  "nohz",
  "threadIrqs",
  "idle",
  "fastForward",
  "keepRuns",
  "keepFindings",
  "maxEventsPerInstant",
  "timing",
  "rcu",
  "plugins",
]);
const MAX_CPUS = 1024;
/** The largest seed: seeds are 32 bits (`Random`). */
const MAX_SEED = 2 ** 32 - 1;

/**
 * Check `options`; returns the arch, or throws an error naming the bad
 * option, its value and type, and what is allowed. Plugins are checked as
 * a whole here too (core/plugin_check.ts).
 */
export function validate(options: MachineOptions): Arch {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`createMachine needs an options object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new TypeError(`Unknown machine option "${key}"; known: ${[...KNOWN_OPTIONS].join(", ")}`);
    }
  }
  const n = options.cpus ?? 1;
  checkWhole("Machine option cpus", n, 1, MAX_CPUS);
  const arch: unknown = options.arch;
  checkArch(arch, n);
  checkBoolean("smp", options.smp);
  if (options.smp === false && n > 1) {
    throw new RangeError(`A uniprocessor build (smp: false) has one CPU, asked for ${n}`);
  }
  checkWhole("Machine option seed", options.seed ?? 1, 0, MAX_SEED);
  checkWhole("Machine option hz", options.hz ?? 250, 1, 10_000);
  if (options.idle !== undefined && options.idle !== "halt" && options.idle !== "poll") {
    throw new RangeError(`Machine option idle must be "halt" or "poll", got ${describe(options.idle)}`);
  }
  checkBoolean("fastForward", options.fastForward);
  checkBoolean("nohz", options.nohz);
  checkBoolean("threadIrqs", options.threadIrqs);
  checkKeep("keepRuns", options.keepRuns);
  checkKeep("keepFindings", options.keepFindings);
  if (options.maxEventsPerInstant !== undefined) {
    checkWhole("Machine option maxEventsPerInstant", options.maxEventsPerInstant, 1, Number.MAX_SAFE_INTEGER);
  }
  checkPlugins(options.plugins ?? [], n);
  const timing: unknown = options.timing ?? {};
  if (typeof timing !== "object" || timing === null || Array.isArray(timing)) {
    throw new TypeError(`Machine option timing must be an object of costs in ns, got ${describe(timing)}`);
  }
  for (const [key, value] of Object.entries(timing)) {
    // Own keys only: `toString` is on every object, but is no cost.
    if (!Object.hasOwn(DEFAULT_TIMING, key)) {
      throw new TypeError(`Unknown timing "${key}"; known: ${Object.keys(DEFAULT_TIMING).join(", ")}`);
    }
    // A spin loop that polls every 0 ns would never let time advance.
    checkWhole(`Timing ${key}`, value, key === "cpuRelaxNs" ? 1 : 0, Number.MAX_SAFE_INTEGER, "ns");
  }
  const rcu: unknown = options.rcu ?? {};
  if (typeof rcu !== "object" || rcu === null || Array.isArray(rcu)) {
    throw new TypeError(`Machine option rcu must be an object of jiffy counts, got ${describe(rcu)}`);
  }
  const hz = options.hz ?? 250;
  for (const [key, value] of Object.entries(rcu)) {
    if (key !== "jiffiesTillFirstFqs" && key !== "jiffiesTillNextFqs") {
      throw new TypeError(`Unknown rcu option "${key}"; known: jiffiesTillFirstFqs, jiffiesTillNextFqs`);
    }
    // The kernel clamps these parameters to 1..HZ; a value outside is surely a mistake here.
    checkWhole(`RCU option ${key} (jiffies, 1..HZ)`, value, 1, hz);
  }
  return arch;
}

function checkBoolean(option: string, value: unknown): void {
  if (value !== undefined && typeof value !== "boolean") {
    throw new TypeError(`Machine option ${option} must be true or false, got ${describe(value)}`);
  }
}

/** A count of records to keep: a whole number >= 0, or `Infinity` (keep all). */
function checkKeep(option: string, value: unknown): void {
  if (value === undefined || value === Infinity) return;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new (typeof value === "number" ? RangeError : TypeError)(
      `Machine option ${option} must be a whole number >= 0 or Infinity, got ${describe(value)}`,
    );
  }
}

/** Fill slot `key` from the plugins: at most one may supply it. */
export function fillSlot<K extends "irqWorkPolicy" | "locking" | "memoryModel" | "schedFeatures">(
  plugins: readonly Plugin[],
  key: K,
  what: string,
): Plugin[K] | undefined {
  const fillers = plugins.filter((p) => p[key] !== undefined);
  if (fillers.length > 1) {
    throw new Error(
      `Plugins "${fillers[0]!.name}" and "${
        fillers[1]!.name
      }" both fill the ${what} slot; a slot takes one value`,
    );
  }
  return fillers[0]?.[key];
}
