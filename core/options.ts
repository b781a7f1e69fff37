/**
 * What a machine is built from: its options, the plugin contract, default
 * time costs, and the checks that turn bad options into clear errors before
 * anything is built.
 *
 * @module
 */

import type { Arch } from "./arch.ts";
import type { IdleMode } from "./idle.ts";
import type { Plugin } from "./parts.ts";
import type { KernelVersion } from "./profile.ts";
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
  /** Seed of the machine's random numbers (default 1). */
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
  /** Override some of {@linkcode DEFAULT_TIMING}. */
  readonly timing?: Partial<MachineTiming>;
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
  "idle",
  "fastForward",
  "keepRuns",
  "timing",
  "plugins",
]);
const MAX_CPUS = 1024;

/** Check `options`; returns the arch, or throws an error naming the bad option. */
export function validate(options: MachineOptions): Arch {
  if (typeof options !== "object" || options === null) {
    throw new TypeError("createMachine needs an options object");
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(key)) {
      throw new TypeError(`Unknown machine option "${key}"; known: ${[...KNOWN_OPTIONS].join(", ")}`);
    }
  }
  const arch = options.arch;
  if (!isArch(arch)) {
    throw new TypeError(
      "Machine option arch must be an Arch (name, maxCpus, timing, lines, hasIrqWorkInterrupt(), irqWorkRaise(), " +
        "optional sendIpi() and handle()), e.g. x86() from arch/x86/mod.ts",
    );
  }
  const n = options.cpus ?? 1;
  if (!Number.isInteger(n) || n < 1 || n > MAX_CPUS) {
    throw new RangeError(`Machine option cpus must be 1..${MAX_CPUS}, got ${n}`);
  }
  if (options.smp !== undefined && typeof options.smp !== "boolean") {
    throw new TypeError(`Machine option smp must be true or false, got ${JSON.stringify(options.smp)}`);
  }
  if (options.smp === false && n > 1) {
    throw new RangeError(`A uniprocessor build (smp: false) has one CPU, asked for ${n}`);
  }
  if (n > arch.maxCpus) {
    throw new RangeError(`Arch ${arch.name} supports at most ${arch.maxCpus} CPU(s), asked for ${n}`);
  }
  const hz = options.hz ?? 250;
  if (!Number.isInteger(hz) || hz < 1 || hz > 10_000) {
    throw new RangeError(`Machine option hz must be 1..10000, got ${hz}`);
  }
  if (options.idle !== undefined && options.idle !== "halt" && options.idle !== "poll") {
    throw new RangeError(`Machine option idle must be "halt" or "poll", got "${options.idle}"`);
  }
  if (options.fastForward !== undefined && typeof options.fastForward !== "boolean") {
    throw new TypeError(
      `Machine option fastForward must be true or false, got ${JSON.stringify(options.fastForward)}`,
    );
  }
  const keep = options.keepRuns;
  if (keep !== undefined && keep !== Infinity && !(Number.isSafeInteger(keep) && keep >= 0)) {
    throw new RangeError(`Machine option keepRuns must be a whole number >= 0 or Infinity, got ${keep}`);
  }
  if (options.nohz !== undefined && typeof options.nohz !== "boolean") {
    throw new TypeError(`Machine option nohz must be true or false, got ${JSON.stringify(options.nohz)}`);
  }
  const plugins: unknown = options.plugins ?? [];
  if (!Array.isArray(plugins) || !plugins.every((p) => typeof p?.name === "string")) {
    throw new TypeError("Machine option plugins must be an array of plugins, each with a name");
  }
  const timing: unknown = options.timing ?? {};
  if (typeof timing !== "object" || timing === null || Array.isArray(timing)) {
    throw new TypeError(
      `Machine option timing must be an object of costs in ns, got ${JSON.stringify(timing)}`,
    );
  }
  for (const [key, value] of Object.entries(timing)) {
    if (!(key in DEFAULT_TIMING)) {
      throw new TypeError(`Unknown timing "${key}"; known: ${Object.keys(DEFAULT_TIMING).join(", ")}`);
    }
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Timing ${key} must be a whole number of ns >= 0, got ${value}`);
    }
  }
  return arch;
}

function isArch(arch: unknown): arch is Arch {
  const a = arch as Partial<Arch> | null;
  const optional = (f: unknown) => f === undefined || typeof f === "function";
  return typeof a === "object" && a !== null && typeof a.name === "string" &&
    typeof a.hasIrqWorkInterrupt === "function" && Number.isInteger(a.maxCpus) &&
    typeof a.timing === "object" &&
    Array.isArray(a.lines) && typeof a.irqWorkRaise === "function" && optional(a.handle) &&
    optional(a.sendIpi);
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
