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
import { type ChromeTraceEvent, perfetto } from "../plugins/perfetto/mod.ts";
import { runSample } from "./sinks_scenario.ts";

type Json = ChromeTraceEvent & { dur?: number; ts?: number };

/** Nanoseconds of a µs time stamp (the JSON keeps ns precision in its fraction). */
const ns = (us: number) => Math.round(us * 1000);

function parse(json: string): Json[] {
  const trace = JSON.parse(json);
  assert.equal(trace.displayTimeUnit, "ns");
  assert.ok(Array.isArray(trace.traceEvents));
  return trace.traceEvents;
}

/** Slices on one track either hold one another or do not meet: never a partial overlap. */
function assertNested(events: readonly Json[]): void {
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
function assertFlows(events: readonly Json[]): number {
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
