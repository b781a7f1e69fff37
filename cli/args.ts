/**
 * The command line, parsed with `parseArgs` from `node:util`: the scenario
 * file, the overrides of its machine and run, and the output paths. A
 * wrong option is an {@linkcode UsageError}, never a stack trace.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { ARCH_NAMES } from "../scenario/mod.ts";

/** A command line the CLI cannot take; the message says why. */
export class UsageError extends Error {
  /** Error name. */
  override name = "UsageError";
}

/** What the command line asks for. */
export interface CliArgs {
  /** `--help`. */
  readonly help: boolean;
  /** The scenario file. */
  readonly file: string;
  /** Overrides of the scenario, as JSON fields (`machine.cpus`, ...), with the option that set each. */
  readonly overrides: readonly Override[];
  /** `--out-dir`. */
  readonly outDir?: string;
  /** Output paths given on the command line, by output kind. */
  readonly outputs: Readonly<Record<string, string>>;
  /** `--quiet`. */
  readonly quiet: boolean;
}

/** One override of a scenario field. */
export interface Override {
  /** The option, as typed (`--cpus 4`). */
  readonly option: string;
  /** Where it goes: `["machine", "cpus"]`. */
  readonly path: readonly [string, string];
  /** The value. */
  readonly value: unknown;
}

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  arch: { type: "string", short: "a" },
  cpus: { type: "string", short: "c" },
  rt: { type: "boolean" },
  kernel: { type: "string", short: "k" },
  seed: { type: "string", short: "s" },
  duration: { type: "string", short: "d" },
  "out-dir": { type: "string", short: "o" },
  ftrace: { type: "string" },
  perfetto: { type: "string" },
  "trace-dat": { type: "string" },
  findings: { type: "string" },
  report: { type: "string" },
  html: { type: "string" },
  quiet: { type: "boolean", short: "q" },
} as const;

/** Output options and the output kind each sets. */
const OUTPUT_OPTIONS = {
  ftrace: "ftrace",
  perfetto: "perfetto",
  "trace-dat": "traceDat",
  findings: "findings",
  report: "report",
  html: "html",
} as const;

const UNITS: Readonly<Record<string, number>> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9 };

/** Parse `args` (a leading `--`, as `deno task` passes it, is skipped). */
export function parseCliArgs(args: readonly string[]): CliArgs {
  const list = args[0] === "--" ? args.slice(1) : [...args];
  let parsed;
  try {
    parsed = parseArgs({
      args: list,
      options: OPTIONS,
      allowPositionals: true,
      allowNegative: true,
      strict: true,
    });
  } catch (e) {
    // parseArgs's messages name the option; its advice about '--' is for positionals only.
    const message = e instanceof Error ? e.message.replace(/\. To specify a positional.*$/s, "") : String(e);
    throw new UsageError(message);
  }
  const v = parsed.values;
  if (v.help === true) return { help: true, file: "", overrides: [], outputs: {}, quiet: false };
  if (parsed.positionals.length === 0) throw new UsageError("no scenario file given");
  if (parsed.positionals.length > 1) {
    throw new UsageError(
      `one scenario file at a time, got ${parsed.positionals.length}: ${parsed.positionals.join(" ")}`,
    );
  }
  const overrides: Override[] = [];
  if (v.arch !== undefined) {
    if (!(ARCH_NAMES as readonly string[]).includes(v.arch)) {
      throw new UsageError(`--arch must be one of ${ARCH_NAMES.join(", ")}, got '${v.arch}'`);
    }
    overrides.push({ option: `--arch ${v.arch}`, path: ["machine", "arch"], value: v.arch });
  }
  if (v.cpus !== undefined) {
    overrides.push({ option: `--cpus ${v.cpus}`, path: ["machine", "cpus"], value: whole("--cpus", v.cpus) });
  }
  if (v.rt !== undefined) {
    overrides.push({ option: v.rt ? "--rt" : "--no-rt", path: ["machine", "rt"], value: v.rt });
  }
  if (v.kernel !== undefined) {
    overrides.push({ option: `--kernel ${v.kernel}`, path: ["machine", "kernel"], value: v.kernel });
  }
  if (v.seed !== undefined) {
    overrides.push({ option: `--seed ${v.seed}`, path: ["machine", "seed"], value: whole("--seed", v.seed) });
  }
  if (v.duration !== undefined) {
    overrides.push({
      option: `--duration ${v.duration}`,
      path: ["run", "durationNs"],
      value: duration(v.duration),
    });
  }
  const outputs: Record<string, string> = {};
  for (const [option, kind] of Object.entries(OUTPUT_OPTIONS)) {
    const path = v[option as keyof typeof OUTPUT_OPTIONS];
    if (path === undefined) continue;
    if (path === "") throw new UsageError(`--${option} needs a file path`);
    outputs[kind] = path;
  }
  if (v["out-dir"] === "") throw new UsageError("--out-dir needs a directory");
  return {
    help: false,
    file: parsed.positionals[0]!,
    overrides,
    ...(v["out-dir"] === undefined ? {} : { outDir: v["out-dir"] }),
    outputs,
    quiet: v.quiet === true,
  };
}

/** A whole number written in decimal digits. */
function whole(option: string, text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`${option} must be a whole number, got '${text}'`);
  }
  return Number(text);
}

/** A duration such as `20ms`, `1.5s`, `500us` or `1000` (ns), in whole ns. */
function duration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ns|us|µs|ms|s)?$/.exec(text);
  const ns = m === null ? NaN : Number(m[1]) * UNITS[m[2] ?? "ns"]!;
  if (!Number.isSafeInteger(ns) || ns < 1) {
    throw new UsageError(
      `--duration must be a time such as 500us, 20ms or 1.5s (whole ns, at least 1 ns), got '${text}'`,
    );
  }
  return ns;
}
