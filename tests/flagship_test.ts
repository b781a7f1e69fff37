/**
 * The flagship scenario through the CLI, as the README shows it: one
 * command writes the ftrace text, the Perfetto JSON (its slices nest, its
 * flows are whole), a trace.dat that `trace-cmd report` reads, the
 * cyclictest and timerlat reports, and an HTML report that headless
 * Chromium renders without a script error. Run 20 ms instead of 200 to
 * keep the suite quick.
 */

import assert from "node:assert/strict";
import {
  assertFlows,
  assertNested,
  browse,
  chromium,
  ensureTraceCmd,
  parseTraceEvents,
  run,
} from "./sink_checks.ts";

const root = new URL("../", import.meta.url).pathname;
const FLAGSHIP = `${root}examples/scenarios/rt_latency.json`;

Deno.test("flagship: one CLI command writes all six outputs, each readable by its tool", async () => {
  const dir = await Deno.makeTempDir({ prefix: "irqemu-flagship-" });
  try {
    const cli = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--quiet",
        "--allow-read",
        "--allow-write",
        `${root}cli.ts`,
        FLAGSHIP,
        "-d",
        "20ms",
        "-o",
        dir,
      ],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(cli.stdout);
    assert.equal(cli.code, 0, new TextDecoder().decode(cli.stderr));
    const out = (ext: string) => `${dir}/out/rt_latency.${ext}`;
    for (const ext of ["trace.txt", "perfetto.json", "trace.dat", "findings.json", "report.txt", "html"]) {
      assert.ok(stdout.includes(`wrote ${out(ext)}\n`), `wrote ${ext}`);
    }

    const ftrace = await Deno.readTextFile(out("trace.txt"));
    assert.match(ftrace, /^# tracer: nop\n/);
    assert.match(ftrace, /irq\/40-eth0-rx0-\d+ +\[000\]/, "the threaded handler runs on CPU 0");

    const events = parseTraceEvents(await Deno.readTextFile(out("perfetto.json")));
    assertNested(events);
    assert.ok(assertFlows(events) > 100, "queue-to-run flows for the storm's works");

    await ensureTraceCmd();
    const report = await run("trace-cmd", ["report", "--check-events", "-i", out("trace.dat")]);
    assert.equal(report.code, 0, report.stderr);
    const lines = await run("trace-cmd", ["report", "-i", out("trace.dat")]);
    assert.ok(!lines.stdout.includes("FAILED TO PARSE"));
    assert.match(lines.stdout, /irqemu_irq_work_execute_start: +work=rx_refill0/);

    const text = await Deno.readTextFile(out("report.txt"));
    assert.match(text, /^T: 3 \(\s*\d+\) P:98 I:1000 C:\s+19 Min:\s+3 Act:\s+3 Avg:\s+3 Max:\s+3$/m);
    assert.match(text, /^# Histogram Overflows: 00000 00000 00000 00000$/m);
    assert.match(text, /^CPU COUNT {6}\| {6}cur {7}min {7}avg {7}max \| {6}cur {7}min {7}avg {7}max$/m);
    assert.match(text, /^# RTLA timerlat histogram$/m);

    const dom = await browse(await chromium(), dir, `file://${out("html")}`, ["--dump-dom"]);
    assert.match(dom, /<body data-ready="1">/, "the page's script ran to its end");
    assert.match(dom, /<div id="script-errors" hidden=""><\/div>/, "no script error");
    assert.match(dom, /<rect class="k-irqthread"/, "threaded IRQ slices on the timeline");
    assert.equal((dom.match(/<figure class="hist">/g) ?? []).length >= 4, true, "latency histograms");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
