/**
 * The trace.dat round trip: Debian's `trace-cmd report` reads the files the
 * trace-cmd sink writes and prints the same events as the ftrace text of the
 * same run (names, CPUs, times, tasks, fields and latency flags), on every
 * arch, with and without PREEMPT_RT. `trace-cmd` is installed when missing
 * and the test runs as root; otherwise the test fails, saying how to get it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { type Arch, ftrace } from "../mod.ts";
import { arm64 } from "../arch/arm64/mod.ts";
import { powerpc } from "../arch/powerpc/mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { traceCmd } from "../plugins/trace_cmd/mod.ts";
import { ensureTraceCmd, run } from "./sink_checks.ts";
import { runSample } from "./sinks_scenario.ts";

/** One event as both texts show it. */
interface Line {
  comm: string;
  pid: number;
  cpu: number;
  /** Microseconds, as the ftrace text prints them. */
  us: number;
  name: string;
  fields: string;
}

/** The ftrace text's events, per CPU in order. */
function ftraceLines(text: string): Line[] {
  const lines: Line[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line === "") continue;
    const m = /^\s*(.+)-(\d+)\s+\[(\d+)\] \S{5}\s+(\d+)\.(\d{6}): ([^:\s]+)(?:: (.*))?$/.exec(line);
    assert.ok(m !== null, `unexpected ftrace line: ${line}`);
    lines.push({
      comm: m[1]!,
      pid: Number(m[2]),
      cpu: Number(m[3]),
      us: Number(m[4]) * 1e6 + Number(m[5]),
      name: m[6]!,
      fields: m[7] ?? "",
    });
  }
  return lines;
}

/** `trace-cmd report -t` (full nanosecond time stamps), each rounded to the µs the ftrace text prints. */
function reportLines(text: string): Line[] {
  const lines: Line[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || /^(cpus=|version = )/.test(line)) continue;
    const m = /^\s*(.+)-(\d+)\s+\[(\d+)\]\s+(\d+)\.(\d{9}): ([^:\s]+):\s*(.*)$/.exec(line);
    assert.ok(m !== null, `unexpected trace-cmd report line: ${line}`);
    lines.push({
      comm: m[1]!,
      pid: Number(m[2]),
      cpu: Number(m[3]),
      us: Number(m[4]) * 1e6 + Math.floor((Number(m[5]) + 500) / 1000), // rounded, as ns2usecs() rounds
      name: m[6]!,
      fields: m[7]!.trimEnd(),
    });
  }
  return lines;
}

/** `trace-cmd report -l`: the latency flags of each event (NMI context shows as `h`: libtraceevent has no `Z`). */
function reportFlags(text: string): { cpu: number; flags: string }[] {
  const out: { cpu: number; flags: string }[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || /^(cpus=|version = )/.test(line)) continue;
    const m = /^\s*.+-\d+\s+(\d+)([d.][N.][hs.][0-9a-f.][0-9a-f.])\s+\d+\.\d{6}: /.exec(line);
    assert.ok(m !== null, `unexpected trace-cmd report -l line: ${line}`);
    out.push({ cpu: Number(m[1]), flags: m[2]! });
  }
  return out;
}

function perCpu<T extends { cpu: number }>(items: readonly T[], cpus: number): T[][] {
  const out: T[][] = Array.from({ length: cpus }, () => []);
  for (const item of items) out[item.cpu]!.push(item);
  return out;
}

async function roundTrip(arch: Arch, rt: boolean, bufferSizeKb = Infinity): Promise<void> {
  await ensureTraceCmd();
  const text = ftrace({ bufferSizeKb: Infinity });
  const recorder = traceCmd({ bufferSizeKb });
  const m = runSample(arch, rt, [text, recorder]);
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/trace.dat`;
    await Deno.writeFile(file, recorder.traceDat());
    const check = await run("trace-cmd", ["report", "--check-events", "-i", file]);
    assert.equal(
      check.code,
      0,
      `trace-cmd could not parse the event formats:\n${check.stdout}${check.stderr}`,
    );
    const report = await run("trace-cmd", ["report", "-N", "-t", "-i", file]);
    assert.equal(report.code, 0, report.stderr);
    assert.doesNotMatch(report.stdout, /FAILED TO PARSE|\[UNKNOWN/, "every event printed by its format");
    const expected = perCpu(ftraceLines(text.text()), m.kernel.cpus.length);
    const got = perCpu(reportLines(report.stdout), m.kernel.cpus.length);
    for (let cpu = 0; cpu < m.kernel.cpus.length; cpu++) {
      // A ring that overran keeps the newest events: what trace-cmd shows is the end of the whole trace.
      const tail = expected[cpu]!.slice(expected[cpu]!.length - got[cpu]!.length);
      assert.deepEqual(got[cpu], tail, `CPU ${cpu}: trace-cmd report differs from the ftrace text`);
    }
    const flags = await run("trace-cmd", ["report", "-N", "-l", "-i", file]);
    const gotFlags = perCpu(reportFlags(flags.stdout), m.kernel.cpus.length);
    const wantFlags = perCpu(
      text.lines.map((l) => {
        const [, cpu, flags] = / \[(\d+)\] (\S{5}) /.exec(l)!;
        return { cpu: Number(cpu), flags: flags!.replace("Z", "h") };
      }),
      m.kernel.cpus.length,
    );
    for (let cpu = 0; cpu < m.kernel.cpus.length; cpu++) {
      assert.deepEqual(gotFlags[cpu], wantFlags[cpu]!.slice(wantFlags[cpu]!.length - gotFlags[cpu]!.length));
    }
    if (bufferSizeKb === Infinity) {
      assert.equal(got.flat().length, text.lines.length, "every event made it into the trace.dat");
      assert.equal(recorder.dropped, 0);
    } else {
      assert.ok(recorder.dropped > 0, "the small ring overran");
      assert.equal(got.flat().length, recorder.written - recorder.dropped);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (
  const [name, arch] of [["x86", x86], ["arm64", arm64], ["powerpc", powerpc], [
    "tick-only",
    tickOnly,
  ]] as const
) {
  for (const rt of [false, true]) {
    Deno.test(`trace.dat: trace-cmd report prints the ftrace text's events on ${name}${rt ? " with PREEMPT_RT" : ""}`, () =>
      roundTrip(arch(), rt));
  }
}

Deno.test("trace.dat: a ring of 8 KiB per CPU keeps the newest events, and trace-cmd reads them", () =>
  roundTrip(x86(), true, 8));

Deno.test("trace.dat: the sample has the gaps and sizes the ring buffer's encodings are for", () => {
  const text = ftrace({ bufferSizeKb: Infinity });
  const recorder = traceCmd();
  const events: { cpu: number; time: number }[] = [];
  const m = runSample(x86(), false, [text, recorder, {
    name: "times",
    observers: [(e) => void events.push(e)],
  }]);
  const gaps = perCpu(events, m.kernel.cpus.length).map((list) =>
    list.reduce((max, e, i) => i === 0 ? max : Math.max(max, e.time - list[i - 1]!.time), 0)
  );
  assert.ok(gaps.some((g) => g >= 2 ** 27), `an idle gap needs TIME_EXTEND: gaps ${gaps}`);
  const dat = recorder.traceDat();
  assert.ok(dat.length >= 4096 * 4, "several pages of data");
});

Deno.test("trace.dat: the same run gives the same bytes", () => {
  const a = traceCmd();
  const b = traceCmd();
  runSample(x86(), true, [a]);
  runSample(x86(), true, [b]);
  assert.deepEqual(a.traceDat(), b.traceDat());
});
