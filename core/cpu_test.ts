/** Unit tests of the CPU model: spends cut by interrupts, latching, preemption. */
import assert from "node:assert/strict";
import { createMachine } from "./machine.ts";
import { irqWorkInit } from "./irq_work.ts";
import { fixtureArch } from "./fixture_arch.ts";
import { DEFAULT_TIMING } from "./timing.ts";

Deno.test("cpu: an interrupt cuts into a spend and the spend resumes for the time left", () => {
  const m = createMachine({ arch: fixtureArch(), cpus: 1 });
  let end = 0;
  m.spawn({ cpu: 0, name: "busy", at: 1_000_000 }, function* (ctx) {
    yield* ctx.spend(10_000_000); // across two ticks at 4 and 8 ms
    end = ctx.now;
  });
  m.runUntil(20_000_000);
  const ticks = m.interrupts.timer[0]!;
  assert.ok(ticks >= 3, `expected the wake-up timer and ticks, got ${ticks}`);
  assert.ok(end > 11_000_000, "interrupt time is added to the spend");
  assert.ok(end < 11_100_000, `the spend resumed where it was cut, ended at ${end}`);
});

Deno.test("cpu: an interrupt raised with IRQs off is latched and taken at local_irq_enable", () => {
  const m = createMachine({ arch: fixtureArch(), cpus: 1 });
  let enabledAt = 0;
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    yield* ctx.queue(irqWorkInit(() => {}, "w"));
    yield* ctx.spend(50_000);
    enabledAt = ctx.now;
    yield* ctx.irqEnable();
  });
  m.runUntil(2_000_000);
  const run = m.runs[0]!;
  assert.equal(run.context, "hardirq");
  assert.ok(run.startedAt >= enabledAt, "not before interrupts were enabled");
  assert.equal(
    run.startedAt - enabledAt,
    fixtureArch().timing.irqEntryNs,
    "right after enabling, plus entry cost",
  );
});

Deno.test("cpu: a woken higher-priority task preempts at interrupt exit; FIFO peers do not rotate", () => {
  const m = createMachine({ arch: fixtureArch(), cpus: 1 });
  const order: string[] = [];
  m.spawn({ cpu: 0, name: "low", policy: "fifo", priority: 10, at: 1_000_000 }, function* (ctx) {
    order.push("low start");
    yield* ctx.spend(20_000_000);
    order.push("low end");
  });
  m.spawn({ cpu: 0, name: "peer", policy: "fifo", priority: 10, at: 1_000_000 }, () => {
    order.push("peer");
  });
  m.spawn({ cpu: 0, name: "high", policy: "fifo", priority: 90, at: 2_000_000 }, (ctx) => {
    order.push(`high at ${ctx.now}`);
  });
  m.runUntil(50_000_000);
  const { irqEntryNs, irqExitNs } = fixtureArch().timing;
  const woken = 2_000_000 + irqEntryNs + irqExitNs + DEFAULT_TIMING.contextSwitchNs; // timer IRQ, exit, switch
  assert.deepEqual(order.slice(0, 2), ["low start", `high at ${woken}`]);
  assert.deepEqual(order.slice(2), ["low end", "peer"], "no time slicing among SCHED_FIFO peers");
});

Deno.test("cpu: SCHED_OTHER tasks share the CPU tick by tick", () => {
  const m = createMachine({ arch: fixtureArch(), cpus: 1 });
  const ends: Record<string, number> = {};
  for (const name of ["a", "b"]) {
    m.spawn({ cpu: 0, name, at: 1_000_000 }, function* (ctx) {
      yield* ctx.spend(20_000_000);
      ends[name] = ctx.now;
    });
  }
  m.runUntil(100_000_000);
  assert.ok(Math.abs(ends.a! - ends.b!) < 5_000_000, `both finish near the end: ${JSON.stringify(ends)}`);
  assert.ok(ends.a! > 30_000_000 && ends.b! > 30_000_000, "each waited for the other, 40 ms of work in all");
});

Deno.test("cpu: a task that sleeps with preemption disabled is 'scheduling while atomic'", () => {
  const m = createMachine({ arch: fixtureArch(), cpus: 1 });
  m.spawn({ cpu: 0, name: "bad", at: 1_000_000 }, function* (ctx) {
    yield* ctx.preemptDisable();
    yield* ctx.sleep(1_000);
    yield* ctx.preemptEnable();
  });
  m.runUntil(2_000_000);
  assert.equal(m.findings.length, 1);
  assert.match(m.findings[0]!.message, /^BUG: scheduling while atomic: bad\/7\/0x00000002/);
});
