/**
 * The CLI's run: read the scenario file, apply the command line's
 * overrides, load and build it, run it in slices under the progress bar,
 * write the outputs and print the summary; map every way it can end to an
 * exit status (0 pass, 1 findings, 2 bad input, 3 internal error) with a
 * one-line message, never a stack trace.
 *
 * @module
 */

import { dirname, isAbsolute, join } from "node:path";
import { ScenarioError } from "../mod.ts";
import {
  buildScenario,
  loadScenario,
  type MeasureHook,
  OUTPUT_KINDS,
  type Scenario,
  ScenarioFileError,
} from "../scenario/mod.ts";
import { type CliArgs, parseCliArgs, UsageError } from "./args.ts";
import { HELP, USAGE } from "./help.ts";
import { ProgressBar, wallPacedSlices } from "./progress.ts";

/** Exit statuses: 0 pass, 1 findings, 2 bad input, 3 an internal error. */
export const EXIT: {
  readonly pass: 0;
  readonly findings: 1;
  readonly badInput: 2;
  readonly internal: 3;
} = Object.freeze({ pass: 0, findings: 1, badInput: 2, internal: 3 });

/** What the CLI is given besides its arguments. */
export interface CliOptions {
  /** Serves a scenario's latency section (cyclictest, timerlat); without it such a scenario is refused. */
  readonly measure?: MeasureHook;
}

/** A bad input the CLI reports in one message and exit status 2. */
class BadInput extends Error {}

const encoder = new TextEncoder();

/** Write all of `text` (one `writeSync` may write only part of it to a pipe). */
function writeAll(to: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) bytes = bytes.subarray(to.writeSync(bytes));
}
const out = (text: string) => writeAll(Deno.stdout, text);
const err = (text: string) => writeAll(Deno.stderr, text);

/** Run the CLI on `args`; returns the exit status. */
export async function main(args: readonly string[], options: CliOptions = {}): Promise<number> {
  let cli: CliArgs;
  try {
    cli = parseCliArgs(args);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    err(`irqemu: ${e.message}\n${USAGE}`);
    return EXIT.badInput;
  }
  if (cli.help) {
    out(HELP);
    return EXIT.pass;
  }
  try {
    return await runFile(cli, options);
  } catch (e) {
    if (e instanceof BadInput) {
      err(`irqemu: ${e.message}\n`);
      return EXIT.badInput;
    }
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    err(`irqemu: internal error (please report it with the scenario): ${what}\n`);
    return EXIT.internal;
  }
}

async function runFile(cli: CliArgs, options: CliOptions): Promise<number> {
  const scenario = withOutputs(load(cli, await readJson(cli.file)), cli);
  if (scenario.latency !== undefined && options.measure === undefined) {
    throw new BadInput(
      `${cli.file}: latency: the scenario asks for a ${
        scenario.latency.map((l) => l.tool).join(" and ")
      } measurement, and no latency ` +
        "measuring plugin is available to this CLI; remove the latency section to run the rest",
    );
  }
  let built;
  try {
    built = buildScenario(scenario, options.measure === undefined ? {} : { measure: options.measure });
  } catch (e) {
    if (e instanceof ScenarioFileError) throw new BadInput(fileProblems(cli.file, e, []));
    throw e;
  }
  checkWritable(scenario, cli);
  const clock = () => performance.now();
  const bar = new ProgressBar({ write: err, enabled: Deno.stderr.isTerminal(), clock });
  try {
    built.run({ sliceNs: wallPacedSlices(clock), onProgress: (p) => bar.update(p) });
  } catch (e) {
    if (e instanceof ScenarioError) {
      throw new BadInput(`${cli.file}: the scenario's code failed: ${e.message}`);
    }
    throw e;
  } finally {
    bar.done();
  }
  const written = await writeOutputs(built.outputs(), scenario, cli);
  if (!cli.quiet) out(built.summary() + written.map((p) => `wrote ${p}\n`).join(""));
  const failed = built.machine.findings.length + built.machine.droppedFindings > 0 ||
    built.measurement?.exceeded === true;
  return failed ? EXIT.findings : EXIT.pass;
}

async function readJson(file: string): Promise<unknown> {
  let text;
  try {
    text = await Deno.readTextFile(file);
  } catch (e) {
    throw new BadInput(`cannot read ${file}: ${reason(e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new BadInput(`${file} is not valid JSON: ${reason(e)}`);
  }
}

/** Why a file operation failed, in a sentence. */
function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file";
  if (e instanceof Deno.errors.NotCapable || e instanceof Deno.errors.PermissionDenied) {
    return `permission denied (${e.message.split("\n")[0]})`;
  }
  if (e instanceof Deno.errors.IsADirectory) return "it is a directory";
  return e instanceof Error ? e.message : String(e);
}

/** The scenario with the command line's overrides, loaded. */
function load(cli: CliArgs, json: unknown): Scenario {
  const doc = structuredClone(json);
  if (typeof doc === "object" && doc !== null && !Array.isArray(doc)) {
    const root = doc as Record<string, unknown>;
    for (const { path: [section, key], value } of cli.overrides) {
      const target = root[section] ?? {};
      if (typeof target !== "object" || target === null || Array.isArray(target)) continue;
      const t = target as Record<string, unknown>;
      // --arch keeps the x86 options of an arch object only when it stays x86.
      const keep = key === "arch" && typeof t.arch === "object" && t.arch !== null &&
        (t.arch as { name?: unknown }).name === value;
      if (!keep) t[key] = value;
      root[section] = t;
    }
  }
  try {
    return loadScenario(doc);
  } catch (e) {
    if (e instanceof ScenarioFileError) {
      throw new BadInput(fileProblems(cli.file, e, cli.overrides.map((o) => o.option)));
    }
    throw e;
  }
}

/** The problems of `file`, one per line, with the overrides that were applied. */
function fileProblems(file: string, e: ScenarioFileError, options: readonly string[]): string {
  const applied = options.length === 0 ? "" : ` (with ${options.join(", ")})`;
  const lines = e.issues.map((i) => `  ${i.path}: ${i.reason}`);
  return `${file} is not a valid scenario${applied}:\n${lines.join("\n")}`;
}

/** The scenario with the command line's output paths in place, and relative scenario paths under `--out-dir`. */
function withOutputs(scenario: Scenario, cli: CliArgs): Scenario {
  const outputs: Record<string, string> = {};
  for (const kind of OUTPUT_KINDS) {
    const fromFile = scenario.outputs[kind];
    const path = cli.outputs[kind] ??
      (fromFile === undefined
        ? undefined
        : cli.outDir !== undefined && !isAbsolute(fromFile)
        ? join(cli.outDir, fromFile)
        : fromFile);
    if (path !== undefined) outputs[kind] = path;
  }
  return { ...scenario, outputs };
}

/** Refuse before running, rather than after, when an output cannot be written for want of permission. */
function checkWritable(scenario: Scenario, cli: CliArgs): void {
  for (const kind of OUTPUT_KINDS) {
    const path = scenario.outputs[kind];
    if (path === undefined) continue;
    if (Deno.permissions.querySync({ name: "write", path }).state !== "granted") {
      throw new BadInput(
        `cannot write the ${kind} output of ${cli.file} to ${path}: no write permission (run deno with --allow-write)`,
      );
    }
  }
}

/** Write each output to its path (making its directory); returns the paths written, in order. */
async function writeOutputs(
  contents: ReturnType<ReturnType<typeof buildScenario>["outputs"]>,
  scenario: Scenario,
  cli: CliArgs,
): Promise<string[]> {
  const written: string[] = [];
  for (const kind of OUTPUT_KINDS) {
    const path = scenario.outputs[kind];
    const data = contents[kind];
    if (path === undefined || data === undefined) continue;
    try {
      await Deno.mkdir(dirname(path), { recursive: true });
      if (typeof data === "string") await Deno.writeTextFile(path, data);
      else await Deno.writeFile(path, data);
    } catch (e) {
      throw new BadInput(`cannot write the ${kind} output of ${cli.file} to ${path}: ${reason(e)}`);
    }
    written.push(path);
  }
  return written;
}
