/**
 * Checks shared by the tests of the trace sinks and of the CLI that writes
 * them: the Perfetto JSON's nesting and flows, Debian's trace-cmd, and
 * headless Chromium (each installed from Debian's packages when missing
 * and the tests run as root; otherwise the test fails, saying how).
 *
 * @module
 */

import assert from "node:assert/strict";
import type { ChromeTraceEvent } from "../plugins/perfetto/mod.ts";

/** One trace event as the tests read it. */
export type Json = ChromeTraceEvent & { dur?: number; ts?: number };

/** Nanoseconds of a µs time stamp (the JSON keeps ns precision in its fraction). */
export const ns = (us: number): number => Math.round(us * 1000);

/** The events of a Chrome trace-event JSON file, checked to be one. */
export function parseTraceEvents(json: string): Json[] {
  const trace = JSON.parse(json);
  assert.equal(trace.displayTimeUnit, "ns");
  assert.ok(Array.isArray(trace.traceEvents));
  return trace.traceEvents;
}

/** Slices on one track either hold one another or do not meet: never a partial overlap. */
export function assertNested(events: readonly Json[]): void {
  const tracks = new Map<number, Json[]>();
  for (const e of events) if (e.ph === "X") tracks.set(e.tid!, [...tracks.get(e.tid!) ?? [], e]);
  for (const [tid, slices] of tracks) {
    const stack: { start: number; end: number; name: string }[] = [];
    let last = -Infinity;
    for (const e of slices) {
      const s = { start: ns(e.ts!), end: ns(e.ts! + e.dur!), name: e.name };
      assert.ok(s.start >= last, `track ${tid}: slices out of time order at ${e.name}`);
      last = s.start;
      assert.ok(s.end >= s.start, `track ${tid}: ${e.name} ends before it starts`);
      while (stack.length > 0 && !(stack.at(-1)!.start <= s.start && s.end <= stack.at(-1)!.end)) {
        const top = stack.pop()!;
        assert.ok(
          top.end <= s.start,
          `track ${tid}: ${s.name} [${s.start}, ${s.end}] overlaps ${top.name} [${top.start}, ${top.end}]`,
        );
      }
      stack.push(s);
    }
  }
}

/** Every flow has one start and one end, the end not before the start, and each end is the right thing. */
export function assertFlows(events: readonly Json[]): number {
  const outs = new Map<number, Json>();
  const ins = new Map<number, Json>();
  for (const e of events) {
    if (e.bind_id === undefined) continue;
    const side = e.flow_out ? outs : ins;
    assert.ok(!side.has(e.bind_id), `flow ${e.bind_id} has two ${e.flow_out ? "starts" : "ends"}`);
    side.set(e.bind_id, e);
  }
  assert.deepEqual([...outs.keys()].sort(), [...ins.keys()].sort(), "every flow has both ends");
  for (const [id, from] of outs) {
    const to = ins.get(id)!;
    assert.ok(ns(to.ts!) >= ns(from.ts!), `flow ${id} goes back in time`);
    assert.equal(to.cat, from.cat, `flow ${id} links a ${from.cat} to a ${to.cat}`);
    if (from.cat === "irq_work") {
      assert.equal(to.args!.workId, from.args!.workId, `flow ${id} ends at another work's run`);
      assert.equal(
        to.tid,
        Number(from.args!.target) + 1,
        `flow ${id}: the work ran on the CPU it was queued for`,
      );
    } else {
      assert.equal(to.args!.ipi, from.args!.ipi, `flow ${id} ends at another IPI`);
      assert.equal(to.tid, Number(from.args!.target) + 1, `flow ${id}: the IPI arrived where it was sent`);
    }
  }
  return outs.size;
}

export async function run(
  cmd: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped", env: { LC_ALL: "C" } })
    .output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

export async function hasTraceCmd(): Promise<boolean> {
  try {
    const out = await run("trace-cmd", ["--version"]);
    return `${out.stdout}${out.stderr}`.includes("trace-cmd version");
  } catch {
    return false;
  }
}

/** Make sure `trace-cmd` runs: install Debian's package as root if needed; fail loudly if it cannot. */
export async function ensureTraceCmd(): Promise<void> {
  if (await hasTraceCmd()) return;
  const root = Deno.uid() === 0;
  if (root) {
    await run("apt-get", ["update"]);
    const install = await run("apt-get", ["install", "-y", "--no-install-recommends", "trace-cmd"]);
    if (await hasTraceCmd()) return;
    assert.fail(`trace-cmd is not installed and "apt-get install trace-cmd" failed:\n${install.stderr}`);
  }
  assert.fail(
    "trace-cmd is not installed: install Debian's trace-cmd package (apt-get install trace-cmd); " +
      ".ci/run installs it when it runs as root",
  );
}

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-dev-shm-usage", // containers often have a small /dev/shm
];

export async function which(name: string): Promise<string | null> {
  const out = await new Deno.Command("sh", {
    args: ["-c", `command -v ${name}`],
    stdout: "piped",
    stderr: "null",
  })
    .output();
  return out.code === 0 ? new TextDecoder().decode(out.stdout).trim() : null;
}

/** The Chromium binary, installed from Debian's package when missing and possible. */
export async function chromium(): Promise<string> {
  for (const name of ["chromium", "chromium-browser"]) {
    const path = await which(name);
    if (path !== null) return path;
  }
  const root = Deno.uid() === 0;
  if (root && (await which("apt-get")) !== null) {
    const install = await new Deno.Command("sh", {
      args: ["-c", "apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium"],
      env: { DEBIAN_FRONTEND: "noninteractive" },
      stdout: "null",
      stderr: "piped",
    }).output();
    const path = await which("chromium");
    if (path !== null) return path;
    throw new Error(`installing Debian's chromium failed:\n${new TextDecoder().decode(install.stderr)}`);
  }
  throw new Error(
    "headless Chromium is needed to render the HTML report and was not found; install it " +
      "(Debian: apt-get install chromium) or run this test as root where apt-get can",
  );
}

/** Run Chromium on `url` with `args` in a profile of its own; its standard output. */
export async function browse(bin: string, dir: string, url: string, args: string[]): Promise<string> {
  const profile = await Deno.makeTempDir({ dir, prefix: "profile-" });
  const out = await new Deno.Command(bin, {
    args: [...FLAGS, `--user-data-dir=${profile}`, ...args, url],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  assert.equal(out.code, 0, `chromium failed:\n${new TextDecoder().decode(out.stderr)}`);
  return new TextDecoder().decode(out.stdout);
}
