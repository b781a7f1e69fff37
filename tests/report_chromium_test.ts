/**
 * The HTML report rendered in a real browser: Debian's headless Chromium
 * opens a report of an irq_work storm on PREEMPT_RT with findings, runs its
 * scripts, and dumps the DOM: no script error, the timeline's axis drawn by
 * the script, the slices of each kind, the histograms, the finding; an
 * address with `#t=FROM-TO` opens zoomed on that stretch; a broken script
 * is caught and shown; and a screenshot is written.
 *
 * Chromium is installed with apt-get when it is missing and this runs as
 * root (`.ci/run` does the same); otherwise the test fails and says how to
 * install it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, irqWorkInit, perfetto } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { cyclictest } from "../plugins/latency/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";
import { htmlReport } from "../report/mod.ts";
import { browse, chromium } from "./sink_checks.ts";
import { addRxStorm } from "./storm.ts";

/** A report of a PREEMPT_RT storm with a WARN and BUGs, its task named with markup characters. */
function report(): string {
  const timeline = perfetto();
  const m = createMachine({ arch: x86(), cpus: 2, seed: 1, plugins: [preemptRt(), timeline] });
  addRxStorm(m);
  m.spawn({ cpu: 1, name: "<b>&co", at: 200_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    // irq_work_sync() with interrupts off: lockdep's WARN, then on RT the sleep's BUGs
    yield* ctx.sync(irqWorkInit(() => {}));
    yield* ctx.irqEnable();
  });
  const ct = cyclictest(m, { smp: true, priority: 98, loops: 20, histogram: 40, analysis: true });
  m.runFor(22_000_000);
  assert.deepEqual(m.findings.map((f) => f.level), ["WARN", "BUG", "BUG"]);
  return htmlReport({
    title: "storm <on> RT & a WARN",
    machine: m,
    timeline,
    latency: { cyclictest: ct },
    window: { startNs: 0, endNs: 2_000_000 },
    scenario: { arch: "x86", cpus: 2, rt: true },
  });
}

Deno.test("report in Chromium: scripts run without error, the expected elements are there, a screenshot is written", async () => {
  const bin = await chromium();
  const dir = await Deno.makeTempDir({ prefix: "irqemu-report-" });
  try {
    const html = report();
    const page = `${dir}/report.html`;
    const broken = `${dir}/broken.html`;
    await Deno.writeTextFile(page, html);
    await Deno.writeTextFile(broken, html.replace("</body>", "<script>notAFunction();</script></body>"));
    const url = `file://${page}`;
    const shot = `${dir}/report.png`;
    const [dom, zoomed, failed] = await Promise.all([
      browse(bin, dir, url, ["--dump-dom"]),
      browse(bin, dir, `${url}#t=100-300`, ["--dump-dom"]),
      browse(bin, dir, `file://${broken}`, ["--dump-dom"]),
      browse(bin, dir, url, [`--screenshot=${shot}`, "--window-size=1400,900"]),
    ]);

    assert.match(dom, /<body data-ready="1">/, "the page's script ran to its end");
    assert.match(dom, /<div id="script-errors" hidden=""><\/div>/, "no script error");
    assert.match(dom, /<title>storm &lt;on&gt; RT &amp; a WARN<\/title>/);
    const axis = /<g class="tl-axis"[^>]*>(.*?)<\/g>/s.exec(dom)?.[1] ?? "";
    assert.ok((axis.match(/<text /g) ?? []).length >= 5, `the script drew the time axis: ${axis}`);
    assert.match(
      dom,
      /<span class="tl-range">0\.0+ to 2000\.0+ µs \(2000\.0+ µs shown, zoom 1\.0x\)<\/span>/,
    );
    for (const kind of ["hardirq", "callback", "irqthread", "irqworkthread", "measure", "idle", "finding"]) {
      assert.match(dom, new RegExp(`<rect class="k-${kind}"`), `a ${kind} slice`);
    }
    assert.equal((dom.match(/<figure class="hist">/g) ?? []).length, 2, "a histogram per cyclictest thread");
    assert.match(dom, /<div class="finding WARN" id="finding-0">/);
    assert.match(dom, /<div class="finding BUG" id="finding-2">/);
    assert.match(dom, /BUG: scheduling while atomic: &lt;b&gt;&amp;co\/\d+\//, "the message, escaped");
    assert.match(dom, /&lt;b&gt;&amp;co-\d+ +\[001\]/, "the finding's trace, escaped");
    assert.ok(!dom.includes("<b>&co"));

    assert.match(zoomed, /data-view="100000-300000"/, "#t=100-300 opens on 100..300 µs");
    assert.match(zoomed, /<g class="tl-zoom" transform="translate\(-600 0\) scale\(10 1\)">/);

    assert.match(failed, /<div id="script-errors">script error: Uncaught ReferenceError: notAFunction/);

    const png = await Deno.readFile(shot);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG");
    assert.ok(png.length > 20_000, `a screenshot with content (${png.length} bytes)`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
