/**
 * Memory is bounded by default: findings (a cap and a count of the rest),
 * the ftrace text (a ring of a size, as the kernel's buffer), runs
 * (`keepRuns`); the events allowed at one instant are an option; NMIs queue
 * in O(1).
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, ftrace, irqWorkInit, LEGACY_TIMING, type Machine } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";

/** A task that sleeps with preemption disabled, every `ns`: one "scheduling while atomic" WARN each time. */
function warnStorm(m: Machine, ns: number): void {
  m.spawn({ cpu: 0, name: "storm" }, function* (ctx) {
    yield* ctx.preemptDisable();
    for (;;) yield* ctx.sleep(ns);
  });
}

Deno.test("bounds: a WARN storm of one simulated minute with a tracer stays bounded", () => {
  const tracer = ftrace();
  const m = createMachine({ arch: x86(), plugins: [tracer] });
  warnStorm(m, 5_000_000);
  m.runUntil(60_000_000_000);
  // The first 1,000 findings are kept, the rest counted.
  assert.equal(m.findings.length, 1_000);
  assert.ok(m.droppedFindings > 10_000, `${m.droppedFindings} dropped`);
  assert.match(m.findings[0]!.message, /^BUG: scheduling while atomic: storm\/7\/0x00000002/);
  assert.equal(
    m.findings.at(-1)!.time < m.findings[0]!.time + 10_000_000_000,
    true,
    "the first ones are kept",
  );
  for (const f of m.findings) assert.ok(f.trace.length <= 32, "each finding keeps at most 32 events");
  // The trace is a ring of 1408 KiB per CPU: the oldest lines made room for the newest.
  const text = tracer.text();
  const body = text.slice(text.indexOf("\n", text.indexOf("#              | |")) + 1);
  assert.ok(body.length <= 1408 * 1024, `${body.length} characters kept`);
  assert.ok(tracer.written > tracer.lines.length && tracer.dropped === tracer.written - tracer.lines.length);
  assert.match(
    text,
    new RegExp(`entries-in-buffer/entries-written: ${tracer.lines.length}/${tracer.written} `),
  );
  assert.match(tracer.lines.at(-1)!, / 59\.99\d{4}: /, "the newest lines are kept");
  const heap = Deno.memoryUsage().heapUsed;
  assert.ok(heap < 512 * 2 ** 20, `heap ${heap} bytes`);
});

Deno.test("bounds: keepFindings sets the cap; the BUG that stops the machine is always kept", () => {
  const m = createMachine({ arch: x86(), keepFindings: 3 });
  warnStorm(m, 1_000_000);
  m.spawn({ cpu: 0, name: "drainer", policy: "fifo", priority: 99, at: 20_000_000 }, (ctx) => {
    return m.kernel.irqWork.irqWorkRun(m.kernel.cpus[ctx.cpu]!); // interrupts on: BUG (rule 7.1)
  });
  m.runUntil(100_000_000);
  // Three of the storm's reports (BUGs that do not stop the machine), then the fatal one.
  assert.deepEqual(m.findings.map((f) => `${f.level}${f.fatal ? " (fatal)" : ""}`), [
    "BUG",
    "BUG",
    "BUG",
    "BUG (fatal)",
  ]);
  assert.ok(m.droppedFindings >= 15, `${m.droppedFindings} dropped`);
  const all = createMachine({ arch: x86(), keepFindings: Infinity });
  warnStorm(all, 1_000_000);
  all.runUntil(20_000_000);
  assert.equal(all.droppedFindings, 0);
  assert.ok(all.findings.length >= 19);
  for (const keepFindings of [-1, 0.5, NaN]) {
    assert.throws(() => createMachine({ arch: x86(), keepFindings }), {
      name: "RangeError",
      message:
        `Machine option keepFindings must be a whole number >= 0 or Infinity, got ${keepFindings} (number)`,
    });
  }
});

Deno.test("bounds: the ftrace ring has a size in KiB per CPU, drops the oldest lines and says so", () => {
  const small = ftrace({ bufferSizeKb: 1 });
  const all = ftrace({ bufferSizeKb: Infinity });
  const run = (tracer: ReturnType<typeof ftrace>) => {
    const m = createMachine({ arch: x86(), cpus: 2, plugins: [tracer] });
    const work = irqWorkInit(() => {}, "w");
    m.spawn({ cpu: 0, name: "q" }, function* (ctx) {
      for (let i = 0; i < 100; i++) {
        yield* ctx.queueOn(work, 1);
        yield* ctx.sleep(10_000);
      }
    });
    m.runUntil(10_000_000);
  };
  run(small);
  run(all);
  assert.equal(all.dropped, 0);
  assert.equal(small.written, all.written, "the same lines were written");
  assert.deepEqual(
    small.lines,
    all.lines.slice(all.lines.length - small.lines.length),
    "the newest were kept",
  );
  const chars = small.lines.reduce((n, l) => n + l.length + 1, 0);
  assert.ok(chars <= 2 * 1024 && chars > 2 * 1024 - 200, `${chars} characters in a 2 KiB ring (2 CPUs)`);
  assert.equal(small.dropped, small.written - small.lines.length);
  assert.match(
    small.text(),
    new RegExp(`^# entries-in-buffer/entries-written: ${small.lines.length}/${small.written}   #P:2$`, "m"),
  );
  for (const bufferSizeKb of [0, -1, 1.5, NaN]) {
    assert.throws(() => ftrace({ bufferSizeKb }), {
      name: "RangeError",
      message: `ftrace option bufferSizeKb must be a whole number >= 1, got ${bufferSizeKb} (number)`,
    });
  }
  assert.throws(() => ftrace({ bufferSizeKb: "64" as unknown as number }), {
    name: "TypeError",
    message: 'ftrace option bufferSizeKb must be a number, got "64" (string)',
  });
  assert.throws(() => ftrace({ filtr: () => true } as unknown as { bufferSizeKb: number }), {
    message: 'Unknown ftrace option "filtr"; known: filter, bufferSizeKb',
  });
});

Deno.test("bounds: events per instant is an option; past it the run is a livelock that names the option", () => {
  const queues = (options: { maxEventsPerInstant?: number }) => {
    // Free kernel paths (the legacy profile): every queue happens at one instant.
    const m = createMachine({ arch: x86(), timing: LEGACY_TIMING, ...options });
    const works = Array.from({ length: 2_000 }, (_, i) => irqWorkInit(() => {}, `w${i}`));
    m.spawn({ cpu: 0, name: "q", at: 1_000 }, function* (ctx) {
      yield* ctx.irqDisable(); // every queue at one instant: no interrupt cuts in
      for (const w of works) yield* ctx.queue(w);
      yield* ctx.irqEnable();
    });
    m.runUntil(10_000_000);
    return m;
  };
  const tight = queues({ maxEventsPerInstant: 1_000 });
  assert.equal(tight.findings.length, 1);
  assert.match(
    tight.findings[0]!.message,
    /^livelock: simulated time stopped advancing at \d+ ns \(more than 1000 events at one instant; machine option maxEventsPerInstant\)$/,
  );
  const roomy = queues({ maxEventsPerInstant: 100_000 });
  assert.deepEqual(roomy.findings, []);
  assert.equal(roomy.runs.length, 2_000);
  assert.throws(() => createMachine({ arch: x86(), maxEventsPerInstant: 0 }), {
    message: "Machine option maxEventsPerInstant must be a whole number >= 1, got 0 (number)",
  });
});

Deno.test("bounds: 100,000 NMIs queued at one instant run in order, each arrival O(1)", () => {
  const m = createMachine({ arch: x86() });
  const engine = m.kernel.engine;
  let cancels = 0;
  const cancel = engine.cancel.bind(engine);
  engine.cancel = (id: number) => (cancels++, cancel(id));
  const order: number[] = [];
  const n = 100_000;
  for (let i = 0; i < n; i++) m.nmi(0, 1_000, () => void order.push(i));
  m.runFor(1_000_000_000);
  assert.equal(m.interrupts.nmi[0], n);
  assert.equal(order.length, n);
  assert.ok(order.every((v, i) => v === i), "oldest first");
  // An NMI arriving while another runs is only queued: no spend is cut (an O(pending) cancel) and resumed.
  assert.ok(cancels <= 2, `${cancels} cancels`);
});

Deno.test("bounds: runs are kept up to keepRuns, 100,000 by default", () => {
  const m = createMachine({ arch: x86() });
  const work = irqWorkInit(() => {}, "w");
  m.spawn({ cpu: 0, name: "q" }, function* (ctx) {
    for (let i = 0; i < 100_010; i++) yield* ctx.queue(work);
  });
  m.runUntil(1_000_000_000);
  assert.equal(m.runCount, 100_010);
  assert.equal(m.runs.length, 100_000);
});
