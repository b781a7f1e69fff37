/**
 * The HTML report: self-contained, escaped, deterministic, with each
 * section drawn from the run (the timeline's slices by kind, the latency
 * tables and histograms, the analysis, the findings with their trace, the
 * scenario), and bad options refused with what was wrong.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, irqWorkInit, perfetto, type Plugin } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { cyclictest, timerlat } from "../plugins/latency/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";
import { htmlReport, type HtmlReportOptions } from "./mod.ts";
import { escapeHtml } from "./escape.ts";
import { kindOf } from "./timeline.ts";
import { addRxStorm } from "../tests/storm.ts";

/** A 2-CPU x86 run with a device storm on CPU 0, cyclictest on both CPUs and a perfetto timeline. */
function stormRun(rt: boolean, extra: Plugin[] = []) {
  const timeline = perfetto();
  const m = createMachine({
    arch: x86(),
    cpus: 2,
    seed: 3,
    plugins: [...(rt ? [preemptRt()] : []), timeline, ...extra],
  });
  addRxStorm(m);
  const ct = cyclictest(m, { smp: true, priority: 98, loops: 30, histogram: 60, analysis: true });
  m.runFor(32_000_000);
  return { m, timeline, ct };
}

/** The `class` values of the timeline's slices. */
function sliceKinds(html: string): Set<string> {
  return new Set([...html.matchAll(/<rect class="k-([a-z]+)" x=/g)].map((m) => m[1]!));
}

Deno.test("report: escapeHtml escapes the five characters that could open markup or end an attribute", () => {
  assert.equal(escapeHtml(`<b a="1" c='2'>&</b>`), "&lt;b a=&quot;1&quot; c=&#39;2&#39;&gt;&amp;&lt;/b&gt;");
});

Deno.test("report: a task name with < and & is escaped wherever it appears (timeline, findings, scenario)", () => {
  const timeline = perfetto();
  const m = createMachine({ arch: x86(), plugins: [timeline] });
  m.spawn({ cpu: 0, name: "<x>&amp;", at: 10_000 }, function* (ctx) {
    yield* ctx.spend(20_000);
    yield* ctx.irqDisable();
    yield* ctx.sync(irqWorkInit(() => {})); // a WARN with this task in its trace
    yield* ctx.irqEnable();
  });
  m.runFor(1_000_000);
  assert.ok(m.findings.length > 0, "the WARN this test relies on");
  const html = htmlReport({
    title: "t<i>",
    machine: m,
    timeline,
    scenario: { task: "<x>&amp;" },
    window: { startNs: 0, endNs: 1_000_000 },
  });
  assert.ok(!html.includes("<x>"), "no raw name");
  assert.ok(!html.includes("t<i>"), "no raw title");
  const escaped = "&lt;x&gt;&amp;amp;";
  assert.match(html, new RegExp(`<title>CPU 0: ${escaped}\n`), "the slice's tooltip");
  assert.match(html, new RegExp(`task ${escaped}-7</p>`), "the finding's task");
  assert.match(html, new RegExp(`<pre class="trace">[^<]*${escaped}-7 `), "the finding's trace");
  assert.match(html, new RegExp(`&quot;task&quot;: &quot;${escaped}&quot;`), "the scenario");
});

Deno.test("report: self-contained: no external resources, one error hook before the page's script", () => {
  const { m, timeline, ct } = stormRun(false);
  const html = htmlReport({ title: "storm", machine: m, timeline, latency: { cyclictest: ct } });
  assert.ok(!/\b(src|href)="(?!#)/.test(html), "no src= or href= but in-page anchors");
  assert.ok(!/url\((?!#)/.test(html), "no url() but in-page references");
  const rest = html.replaceAll('"http://www.w3.org/2000/svg"', ""); // the SVG namespace the script names
  assert.ok(!/https?:/.test(rest), "no address out of the page");
  assert.ok(html.indexOf("window.onerror") < html.indexOf('document.querySelectorAll("svg.tl")'));
});

Deno.test("report: the same run gives the same bytes", () => {
  const make = () => {
    const { m, timeline, ct } = stormRun(false);
    return htmlReport({
      title: "storm",
      machine: m,
      timeline,
      latency: { cyclictest: ct },
      scenario: { a: 1 },
    });
  };
  assert.equal(make(), make());
});

Deno.test("report: the timeline colours hard IRQs and callbacks without RT, irq/N and irq_work/N threads with it", () => {
  const nonRt = stormRun(false);
  const a = sliceKinds(htmlReport({ title: "a", machine: nonRt.m, timeline: nonRt.timeline }));
  for (const k of ["hardirq", "callback", "measure", "idle"]) assert.ok(a.has(k), `!RT has ${k}: ${[...a]}`);
  assert.ok(!a.has("irqthread") && !a.has("irqworkthread"), `!RT: no threads ${[...a]}`);
  const rt = stormRun(true);
  const b = sliceKinds(htmlReport({ title: "b", machine: rt.m, timeline: rt.timeline }));
  for (const k of ["hardirq", "callback", "irqthread", "irqworkthread", "measure"]) {
    assert.ok(b.has(k), `RT has ${k}: ${[...b]}`);
  }
  assert.equal(kindOf("sched", "irq/42-eth0", {}), "irqthread");
  assert.equal(kindOf("sched", "irq_work/3", {}), "irqworkthread");
  assert.equal(kindOf("sched", "kworker", {}), "task");
  assert.equal(kindOf("irq_work", "queue rx_done", { workId: 1 }), null, "a queue marker is not a slice");
});

Deno.test("report: the default window is around the worst sample, and a given one is drawn as given", () => {
  const { m, timeline, ct } = stormRun(false);
  const worst = ct.worst!;
  const html = htmlReport({ title: "w", machine: m, timeline, latency: { cyclictest: ct } });
  const [, from, to] = /data-from="(\d+)" data-to="(\d+)"/.exec(html)!;
  assert.deepEqual([Number(from), Number(to)], [worst.expires - 1_000_000, worst.expires + 1_000_000]);
  const given = htmlReport({
    title: "w",
    machine: m,
    timeline,
    window: { startNs: 5_000_000, endNs: 5_500_000 },
  });
  assert.match(given, /data-from="5000000" data-to="5500000"/);
  const few = htmlReport({ title: "w", machine: m, timeline, maxSlices: 3 });
  assert.equal(sliceKinds(few).size > 0, true);
  assert.equal([...few.matchAll(/<rect class="k-/g)].length, 3);
  assert.match(few, /shorter ones left out: see maxSlices/);
});

Deno.test("report: latency tables and histograms, and the worst sample's analysis, from both tools", () => {
  const timeline = perfetto();
  const m = createMachine({ arch: x86(), cpus: 2, plugins: [timeline] });
  const ct = cyclictest(m, { affinity: [0], priority: 98, loops: 5, histogram: 20, analysis: true });
  const tl = timerlat(m, { cpus: [1], period: 500 });
  m.runFor(6_000_000);
  const html = htmlReport({ title: "both", machine: m, timeline, latency: { cyclictest: ct, timerlat: tl } });
  assert.match(html, /<h3>cyclictest<\/h3>/);
  assert.match(html, /<h3>rtla timerlat<\/h3>/);
  assert.equal(
    [...html.matchAll(/<figure class="hist">/g)].length,
    2,
    "one per cyclictest thread, one per timerlat CPU",
  );
  assert.match(html, /aria-label="timerlat\/1: IRQ and thread latency/);
  assert.ok(html.includes(escapeHtml(tl.analysis())), "timerlat's analysis text");
  assert.ok(html.includes(escapeHtml(ct.analysis())), "cyclictest's analysis text");
  const none = htmlReport({ title: "none", machine: createMachine({ arch: x86() }) });
  assert.match(none, /No timeline: run the machine with <code>perfetto\(\)<\/code>/);
  assert.match(none, /No latency tool ran/);
  assert.match(none, /None: the modelled kernel reported nothing/);
  assert.match(none, /No scenario description was given/);
});

Deno.test("report: bad options are refused with the option and the value", () => {
  const m = createMachine({ arch: x86() });
  const cases: [unknown, RegExp][] = [
    [undefined, /^htmlReport needs an options object, got undefined$/],
    [{ title: "t", machine: m, colour: 1 }, /^Unknown htmlReport option "colour"; known: title, machine, /],
    [{ title: 1, machine: m }, /^htmlReport option title must be a string, got 1 \(number\)$/],
    [{ title: "t", machine: {} }, /^htmlReport option machine must be a Machine/],
    [
      { title: "t", machine: m, maxSlices: 0 },
      /^htmlReport option maxSlices must be a whole number >= 1, got 0/,
    ],
    [
      { title: "t", machine: m, window: { startNs: 5, endNs: 5 } },
      /window\.endNs must be a whole number >= 6/,
    ],
    [{ title: "t", machine: m, timeline: {} }, /^htmlReport option timeline must be a perfetto\(\) plugin/],
    [
      { title: "t", machine: m, scenario: () => 1 },
      /^htmlReport option scenario must be JSON data, got a function$/,
    ],
    [{ title: "t", machine: m, scenario: { n: 1n } }, /^htmlReport option scenario must be JSON data: /],
    [{ title: "t", machine: m, notes: 3 }, /^htmlReport option notes must be a string, got 3 \(number\)$/],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => htmlReport(options as HtmlReportOptions), { message }, String(message));
  }
});
