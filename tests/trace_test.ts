/**
 * Observers see events in the order they happened, whatever the order of the
 * plugins: an event raised while observers run (a checker's finding) is
 * delivered after the event that caused it.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  createMachine,
  ftrace,
  irqWorkInit,
  irqWorkInitHard,
  type Plugin,
  Spinlock,
  type TraceEvent,
} from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";
import { contextChecker } from "../plugins/checker/mod.ts";

/** A HARD work taking a sleeping lock on RT, traced with the checker before or after the tracer. */
function trace(order: (tracer: Plugin, checker: Plugin) => Plugin[]): string[] {
  const lock = new Spinlock("log_wait.lock");
  const work = irqWorkInitHard(function* klogd(_w, ctx) {
    yield* ctx.spinLock(lock);
    yield* ctx.spinUnlock(lock);
  });
  const tracer = ftrace();
  const m = createMachine({ arch: x86(), plugins: [preemptRt(), ...order(tracer, contextChecker())] });
  m.spawn({ cpu: 0, name: "printk", at: 1_000_000 }, (ctx) => ctx.queue(work));
  m.runUntil(2_000_000);
  assert.equal(m.findings.length, 1);
  return [...tracer.lines];
}

Deno.test("observers: a finding raised by an observer follows its cause, in either plugin order", () => {
  const checkerFirst = trace((tracer, checker) => [checker, tracer]);
  const tracerFirst = trace((tracer, checker) => [tracer, checker]);
  assert.deepEqual(checkerFirst, tracerFirst);
  const cause = checkerFirst.findIndex((l) => l.endsWith("lock_acquire: log_wait.lock"));
  const finding = checkerFirst.findIndex((l) => l.includes("irqemu_finding: BUG: sleeping function"));
  assert.ok(cause >= 0 && finding === cause + 1, `cause at ${cause}, finding at ${finding}`);
});

Deno.test("trace ids: works are told apart by id, and an IPI's arrival names its send", () => {
  const m = createMachine({ arch: x86(), cpus: 2 });
  const events: TraceEvent[] = [];
  m.observe((e) => events.push(e));
  const a = irqWorkInit(() => {}, "same"), b = irqWorkInit(() => {}, "same");
  m.spawn({ cpu: 0, name: "q", at: 1_000_000 }, function* (ctx) {
    yield* ctx.queueOn(a, 1);
    yield* ctx.sync(a);
    yield* ctx.queue(b);
  });
  m.runUntil(2_000_000);
  const queued = events.flatMap((e) => e.type === "irq_work_queue" ? [e.workId] : []);
  const started = events.flatMap((e) => e.type === "irq_work_execute_start" ? [e.workId] : []);
  assert.equal(new Set(queued).size, 2, "two works of one name, two ids");
  assert.deepEqual(started, queued, "each run carries the id of its queue");
  const sends = events.flatMap((e) => e.type === "ipi_send_cpu" ? [e] : []);
  const arrivals = events.flatMap((e) => e.type === "ipi_arrive" ? [e] : []);
  assert.deepEqual(
    arrivals.map((e) => [e.ipi, e.from, e.cpu]),
    sends.map((e) => [e.ipi, e.cpu, e.target]),
    "one arrival per send, on the target, with the send's id",
  );
  assert.equal(new Set(sends.map((e) => e.ipi)).size, sends.length, "every IPI its own id");
});
