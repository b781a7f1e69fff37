/**
 * The Perfetto sink's JSON, checked as a viewer needs it: it parses, slices
 * on each CPU's track nest, every flow has both ends (queue to run, IPI send
 * to arrival), every irq_work run is a slice, findings are instants, and
 * the same run gives the same bytes; on every arch, with and without
 * PREEMPT_RT.
 *
 * @module
 */

import assert from "node:assert/strict";
import type { Machine } from "../mod.ts";
import { arm64 } from "../arch/arm64/mod.ts";
import { powerpc } from "../arch/powerpc/mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { perfetto } from "../plugins/perfetto/mod.ts";
import { runSample } from "./sinks_scenario.ts";

import { assertFlows, assertNested, type Json, ns, parseTraceEvents as parse } from "./sink_checks.ts";

function checkTrace(m: Machine, events: readonly Json[]): void {
  assertNested(events);
  const flows = assertFlows(events);
  assert.ok(flows > 0, "the sample has flows");
  const runs = events.filter((e) => e.ph === "X" && e.cat === "irq_work" && !e.name.startsWith("queue "));
  const firstParts = runs.filter((e) => e.args!.resumed !== true);
  assert.equal(firstParts.length, m.runCount, "one callback slice per irq_work run");
  assert.ok(firstParts.every((e) => e.flow_in === true), "every run has its queue's arrow");
  for (const run of m.runs) {
    const slice = firstParts.find((e) => ns(e.ts!) === run.startedAt && e.tid === run.cpu + 1);
    assert.ok(slice !== undefined, `no slice for the run at ${run.startedAt} ns on CPU ${run.cpu}`);
    assert.equal(slice.args!.context, run.context);
  }
  const findings = events.filter((e) => e.ph === "i");
  assert.equal(findings.length, m.findings.length);
  assert.ok(findings.every((e) => e.s === "t" && e.cat === "finding"));
  for (const e of events) {
    if (e.ph === "M") continue;
    assert.ok(Number.isFinite(e.ts) && e.ts! >= 0, `${e.name}: time stamp ${e.ts}`);
    if (e.ph === "C") {
      for (const v of Object.values(e.args!)) assert.ok(Number(v) >= 0, `${e.name} went below 0`);
    }
  }
  const names = events.filter((e) => e.name === "thread_name").map((e) => e.args!.name);
  assert.deepEqual(names, ["CPU 0", "CPU 1"]);
}

for (
  const [name, arch] of [["x86", x86], ["arm64", arm64], ["powerpc", powerpc], [
    "tick-only",
    tickOnly,
  ]] as const
) {
  for (const rt of [false, true]) {
    Deno.test(`perfetto: the JSON parses, nests and links on ${name}${rt ? " with PREEMPT_RT" : ""}`, () => {
      const timeline = perfetto({ maxEvents: Infinity });
      const m = runSample(arch(), rt, [timeline]);
      checkTrace(m, parse(timeline.json()));
    });
  }
}

Deno.test("perfetto: a callback that sleeps on PREEMPT_RT is cut at the switch and resumed inside its thread", () => {
  const timeline = perfetto({ maxEvents: Infinity });
  runSample(x86(), true, [timeline]);
  const events = parse(timeline.json());
  const resumed = events.filter((e) => e.cat === "irq_work" && e.args?.resumed === true);
  assert.ok(resumed.length > 0, "the sample's callback sleeps on its lock");
  for (const part of resumed) {
    const thread = events.find((e) =>
      e.cat === "sched" && e.tid === part.tid && ns(e.ts!) <= ns(part.ts!) &&
      ns(part.ts! + part.dur!) <= ns(e.ts! + e.dur!)
    );
    assert.equal(thread?.name, `irq_work/${part.tid! - 1}`);
  }
});

Deno.test("perfetto: the same run gives the same bytes", () => {
  const a = perfetto();
  const b = perfetto();
  runSample(arm64(), true, [a]);
  runSample(arm64(), true, [b]);
  assert.equal(a.json(), b.json());
});

Deno.test("perfetto: a bounded timeline keeps the newest events and only flows with both ends", () => {
  const timeline = perfetto({ maxEvents: 300 });
  const m = runSample(x86(), false, [timeline]);
  const events = parse(timeline.json());
  assert.ok(timeline.dropped > 0 && timeline.written === timeline.dropped + 300);
  const kept = events.filter((e) => e.ph !== "M" && e.args?.unfinished !== true);
  assert.equal(kept.length, 300);
  assertNested(events);
  assertFlows(events);
  assert.ok(m.now > 0);
});

Deno.test("perfetto: bad options are named", () => {
  assert.throws(() => perfetto({ maxEvents: 0 }), /perfetto option maxEvents/);
  assert.throws(() => perfetto({ filter: "cpu0" } as never), /perfetto option filter/);
});
