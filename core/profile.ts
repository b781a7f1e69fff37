/**
 * Kernel versions and the fixes that tell them apart (docs/rules.md, "Kernel
 * versions"). Every behaviour difference the model knows between two kernels
 * is one row of {@linkcode KERNEL_FIXES}: a commit, the mainline release that
 * took it, the stable releases it was backported to and the RT patch queues
 * that carried it before mainline. A version string resolves, through that
 * table, to a {@linkcode KernelProfile}: the answers the core asks where
 * versions differ. Any single fix can be switched on or off by its commit.
 *
 * @module
 */

/**
 * A kernel, as the `kernel` machine option names it: a release (`"6.1"` is
 * 6.1.0), a stable release (`"6.1.192"`), either with `-rt` (`"5.15-rt"`,
 * `"5.15.19-rt29"`: the RT patch queue of that series), `"mainline"` (the
 * newest release the table knows), or an alias of the first build's labels:
 * `"seed"`, `"C"`, `"D"` ({@linkcode KERNEL_ALIASES}).
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const older = createMachine({ arch: fixtureArch(), kernel: "6.1" }); // 6.1.0: before the 2026 fix
 * if (older.kernel.profile.rcuProtectedSync) throw new Error("6.1.0 has no RCU-protected sync");
 * ```
 */
export type KernelVersion = string;

/** The answers of a kernel where versions differ; each is one fix of {@linkcode KERNEL_FIXES}. */
export interface KernelAnswers {
  /** RT: remote wake-ups activate the task and send a reschedule IPI, no wake list (539fbb5be0da). */
  readonly ttwuQueueOffOnRt: boolean;
  /** RT: `might_sleep()` counts RCU read-side nesting, as !RT always did (50e081b96e35). */
  readonly mightSleepCountsRcuOnRt: boolean;
  /** `irq_work_sync()` may sleep and sleeps on an arch without a self-interrupt (810979682ccc). */
  readonly syncSleepsWithoutIrq: boolean;
  /** RT: works not flagged HARD run in `irq_work/N` (b4c6f86ec2f6; the older RT scheme is not modelled). */
  readonly rtThreadedIrqWork: boolean;
  /** RT: `irq_work_sync()` sleeps for works not flagged HARD (09089db79859). */
  readonly rtSyncSleepsForNonHard: boolean;
  /** `ipi_send_cpu` before an irq_work self-interrupt (4468161a5ca2). */
  readonly traceIrqWorkRaise: boolean;
  /** `ipi_send_cpu` with a NULL callback for a reschedule IPI (4c8c3c7f70a6). */
  readonly traceReschedIpi: boolean;
  /** `ipi_send_cpu` for the call-function-single IPI (cc9cb0a71725). */
  readonly traceCallSingleIpi: boolean;
  /** `ipi_send_cpu` naming each call-single entry's function as it is queued (68f4ff04dbad; 6.4 only). */
  readonly traceCallSingleCallback: boolean;
  /** `csd_queue_cpu` for each call-single entry, in place of the above (bf5a8c26ad7c). */
  readonly traceCsdQueue: boolean;
  /** A sleeping `irq_work_sync()` waits a grace period; the RT thread drains under RCU (91840be8f710). */
  readonly rcuProtectedSync: boolean;
}

/** One behaviour difference: the fix that made it, and where it landed. */
export interface KernelFix {
  /** The mainline commit, abbreviated to 12 hex digits. */
  readonly commit: string;
  /** The whole commit id. */
  readonly id: string;
  /** The commit's title, as in the kernel's git log. */
  readonly title: string;
  /** The answer it turns on. */
  readonly answer: keyof KernelAnswers;
  /** The mainline release that first has it (`X.Y`). */
  readonly mainline: string;
  /** The first stable release of each older series that has its backport. */
  readonly stable: readonly string[];
  /** Series whose RT patch queue carried it before their mainline release had it. */
  readonly rtQueue: readonly string[];
  /** The rules it changes (docs/rules.md). */
  readonly rules: string;
}

/**
 * Every fix the model knows, oldest mainline first. How each row was checked
 * is written in docs/rules.md (section 15 and "Kernel versions").
 *
 * @example
 * ```ts
 * import { KERNEL_FIXES } from "./profile.ts";
 * const uaf = KERNEL_FIXES.find((f) => f.commit === "91840be8f710")!;
 * if (!uaf.stable.includes("6.1.175")) throw new Error("backported to 6.1.175");
 * ```
 */
export const KERNEL_FIXES: readonly KernelFix[] = freezeRows(
  [
    {
      commit: "539fbb5be0da",
      id: "539fbb5be0da56ffa1434b4f56521a0522bd1d61",
      title: "sched: Disable TTWU_QUEUE on RT",
      answer: "ttwuQueueOffOnRt",
      mainline: "5.16",
      stable: [],
      rtQueue: ["5.15"],
      rules: "17.2",
    },
    {
      commit: "50e081b96e35",
      id: "50e081b96e35e43b65591f40f7376204decd1cb5",
      title: "sched: Make RCU nest depth distinct in __might_resched()",
      answer: "mightSleepCountsRcuOnRt",
      mainline: "5.16",
      stable: [],
      rtQueue: ["5.15"],
      rules: "17.3, 11.1",
    },
    {
      commit: "810979682ccc",
      id: "810979682ccc98dbd83f341c18a2e556c30a7164",
      title: "irq_work: Allow irq_work_sync() to sleep if irq_work() no IRQ support.",
      answer: "syncSleepsWithoutIrq",
      mainline: "5.16",
      stable: [],
      rtQueue: ["5.15"],
      rules: "6.5, 11.1, 11.3, H2",
    },
    {
      commit: "b4c6f86ec2f6",
      id: "b4c6f86ec2f648b5e6d4b04564fbc6d5351160a8",
      title: "irq_work: Handle some irq_work in a per-CPU thread on PREEMPT_RT",
      answer: "rtThreadedIrqWork",
      mainline: "5.16",
      stable: [],
      rtQueue: ["5.15"],
      rules: "4.3, 5.5, 7.1, 8, 9",
    },
    {
      commit: "09089db79859",
      id: "09089db79859cbccccd8df95b034f36f7027efa6",
      title: "irq_work: Also rcuwait for !IRQ_WORK_HARD_IRQ on PREEMPT_RT",
      answer: "rtSyncSleepsForNonHard",
      mainline: "5.16",
      stable: [],
      rtQueue: ["5.15"],
      rules: "6.5, 11.3, H1",
    },
    {
      commit: "4468161a5ca2",
      id: "4468161a5ca2ea239c92de7c0a0dca61854ec4da",
      title: "irq_work: Trace self-IPIs sent via arch_irq_work_raise()",
      answer: "traceIrqWorkRaise",
      mainline: "6.4",
      stable: [],
      rtQueue: [],
      rules: "4.5",
    },
    {
      commit: "4c8c3c7f70a6",
      id: "4c8c3c7f70a6779d30f5492acbc9978f4636fe7a",
      title: "treewide: Trace IPIs sent via smp_send_reschedule()",
      answer: "traceReschedIpi",
      mainline: "6.4",
      stable: [],
      rtQueue: [],
      rules: "18.4",
    },
    {
      commit: "cc9cb0a71725",
      id: "cc9cb0a71725aa8dd8d8f534a9b562bbf7981f75",
      title: "sched, smp: Trace IPIs sent via send_call_function_single_ipi()",
      answer: "traceCallSingleIpi",
      mainline: "6.4",
      stable: [],
      rtQueue: [],
      rules: "12.1, 18.4",
    },
    {
      commit: "68f4ff04dbad",
      id: "68f4ff04dbada18dad79659c266a8e5e29e458cd",
      title: "sched, smp: Trace smp callback causing an IPI",
      answer: "traceCallSingleCallback",
      mainline: "6.4",
      stable: [],
      rtQueue: [],
      rules: "12.1, 18.4",
    },
    {
      commit: "bf5a8c26ad7c",
      id: "bf5a8c26ad7caf0772a1cd48c8a0924e48bdbaf0",
      title: "trace,smp: Add tracepoints for scheduling remotelly called functions",
      answer: "traceCsdQueue",
      mainline: "6.5",
      stable: [],
      rtQueue: [],
      rules: "12.1, 18.4",
    },
    {
      commit: "91840be8f710",
      id: "91840be8f710370607f949a627e070896faeddb8",
      title: "irq_work: Fix use-after-free in irq_work_single() on PREEMPT_RT",
      answer: "rcuProtectedSync",
      mainline: "7.1",
      stable: ["6.1.175", "6.6.142", "6.12.92", "6.18.34", "7.0.11"],
      rtQueue: [],
      rules: "6.6, 9.4, 11.4, H3",
    },
  ] satisfies KernelFix[],
);

/** The table frozen to the last list: no module can change another's kernels. */
function freezeRows(rows: KernelFix[]): readonly KernelFix[] {
  for (const row of rows) {
    Object.freeze(row.stable);
    Object.freeze(row.rtQueue);
    Object.freeze(row);
  }
  return Object.freeze(rows);
}

/** The newest mainline release the table knows: what `"mainline"` means. */
export const MAINLINE = "7.1";
/** The oldest release the model covers. */
export const OLDEST = "5.15";

/**
 * The first build's version labels, kept as aliases so that old scenarios
 * give the same results: `D` is mainline, `C` is 6.6.0 (the sleeping sync and
 * the 6.4/6.5 tracepoints, not the 2026 fix), and `seed` is 5.15-rt with both
 * sleeping-sync fixes switched off (the per-CPU thread with a spinning sync,
 * which no released kernel had: the way to bug H1).
 *
 * @example
 * ```ts
 * import { KERNEL_ALIASES } from "./profile.ts";
 * if (KERNEL_ALIASES.D!.version !== "mainline") throw new Error("D is mainline");
 * ```
 */
export const KERNEL_ALIASES: Readonly<
  Record<string, { readonly version: string; readonly fixes: Readonly<Record<string, boolean>> }>
> = Object.freeze({
  seed: Object.freeze({
    version: "5.15-rt",
    fixes: Object.freeze({ "810979682ccc": false, "09089db79859": false }),
  }),
  C: Object.freeze({ version: "6.6", fixes: Object.freeze({}) }),
  D: Object.freeze({ version: "mainline", fixes: Object.freeze({}) }),
});

/** What a version resolves to: its answers, and which fix gave each. */
export interface KernelProfile extends KernelAnswers {
  /** The `kernel` option as given (`"6.1.192"`, `"D"`, `"mainline"`). */
  readonly name: string;
  /** The release it stands for (`"7.1"` for mainline, `"5.15-rt"` for seed). */
  readonly version: string;
  /** Each fix of the table by commit: does this kernel have it? */
  readonly fixes: Readonly<Record<string, boolean>>;
}

const VERSION = /^(\d+)\.(\d+)(?:\.(\d+))?(-rt\d*)?$/;

interface Parsed {
  major: number;
  minor: number;
  patch: number;
  rt: boolean;
}

function parse(version: string): Parsed | null {
  if (version === "mainline") return parse(MAINLINE);
  const m = VERSION.exec(version);
  if (m === null) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0), rt: m[4] !== undefined };
}

function before(a: Parsed, b: Parsed): boolean {
  return a.major !== b.major
    ? a.major < b.major
    : a.minor !== b.minor
    ? a.minor < b.minor
    : a.patch < b.patch;
}

/** Does release `v` have `fix`: through mainline, a stable backport, or its series' RT queue? */
function has(v: Parsed, fix: KernelFix): boolean {
  if (!before(v, parse(fix.mainline)!)) return true;
  const series = `${v.major}.${v.minor}`;
  for (const s of fix.stable) {
    const p = parse(s)!;
    if (p.major === v.major && p.minor === v.minor) return v.patch >= p.patch;
  }
  return v.rt && fix.rtQueue.includes(series);
}

/** The table row of `commit` (at least 7 hex digits of it), or a clear error. */
export function findFix(commit: string): KernelFix {
  const key = String(commit).toLowerCase();
  const matches = /^[0-9a-f]{7,40}$/.test(key) ? KERNEL_FIXES.filter((f) => f.id.startsWith(key)) : [];
  if (matches.length !== 1) {
    throw new RangeError(
      `Unknown fix "${commit}" in machine option fixes; known commits: ${
        KERNEL_FIXES.map((f) => `${f.commit} (${f.title})`).join(", ")
      }`,
    );
  }
  return matches[0]!;
}

/**
 * Resolve `kernel` (default `"mainline"`) with the switches `fixes`
 * (commit → on/off) into the answers the core asks; a clear error names a
 * bad version or commit and what is allowed.
 *
 * @example
 * ```ts
 * import { resolveKernel } from "./profile.ts";
 * const p = resolveKernel("6.1.192", {});
 * if (!p.rcuProtectedSync) throw new Error("6.1.192 has the 2026 fix");
 * const off = resolveKernel("6.1.192", { "91840be8f710": false });
 * if (off.rcuProtectedSync) throw new Error("switched off");
 * ```
 */
export function resolveKernel(
  kernel: KernelVersion = "mainline",
  fixes?: Readonly<Record<string, boolean>>,
): KernelProfile {
  // A version without switches always gives the same frozen profile: made once (machines are built often).
  if (fixes === undefined && typeof kernel === "string") {
    let profile = plainProfiles.get(kernel);
    if (profile === undefined) plainProfiles.set(kernel, profile = resolve(kernel, {}));
    return profile;
  }
  return resolve(kernel, fixes ?? {});
}

/** Profiles of versions asked for without switches, by version. */
const plainProfiles = new Map<string, KernelProfile>();

function resolve(kernel: KernelVersion, fixes: Readonly<Record<string, boolean>>): KernelProfile {
  if (typeof kernel !== "string") {
    throw new TypeError(`Machine option kernel must be a version string, got ${JSON.stringify(kernel)}`);
  }
  const alias = Object.hasOwn(KERNEL_ALIASES, kernel) ? KERNEL_ALIASES[kernel]! : undefined;
  const version = alias?.version ?? kernel;
  const v = parse(version);
  if (v === null) {
    throw new RangeError(
      `Unknown kernel "${kernel}": use a release such as "6.1", "6.1.192", "5.15-rt" or "mainline" ` +
        `(${MAINLINE}), or an alias: ${Object.keys(KERNEL_ALIASES).join(", ")}`,
    );
  }
  if (before(v, parse(OLDEST)!)) {
    throw new RangeError(
      `Kernel "${kernel}" is older than ${OLDEST}, the oldest release the model covers ` +
        `(5.10's irq_work and the RT patch queue's scheme before 5.15-rt are not modelled)`,
    );
  }
  if (typeof fixes !== "object" || fixes === null || Array.isArray(fixes)) {
    throw new TypeError(
      `Machine option fixes must be an object of commit: true|false, got ${JSON.stringify(fixes)}`,
    );
  }
  const on: Record<string, boolean> = {};
  for (const fix of KERNEL_FIXES) on[fix.commit] = has(v, fix);
  for (const [commit, value] of [...Object.entries(alias?.fixes ?? {}), ...Object.entries(fixes)]) {
    if (typeof value !== "boolean") {
      throw new TypeError(
        `Fix "${commit}" must be switched with true or false, got ${JSON.stringify(value)}`,
      );
    }
    on[findFix(commit).commit] = value;
  }
  const answers = {} as Record<keyof KernelAnswers, boolean>;
  for (const fix of KERNEL_FIXES) answers[fix.answer] = on[fix.commit]!;
  return Object.freeze({
    name: kernel,
    version: version === "mainline" ? MAINLINE : version,
    fixes: Object.freeze(on),
    ...answers,
  });
}
