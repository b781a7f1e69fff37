/**
 * Observers see events in the order they happened, whatever the order of the
 * plugins: an event raised while observers run (a checker's finding) is
 * delivered after the event that caused it.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, ftrace, irqWorkInitHard, type Plugin, Spinlock } from "../mod.ts";
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
  const finding = checkerFirst.findIndex((l) => l.includes("irqemu_finding: WARN: BUG: sleeping function"));
  assert.ok(cause >= 0 && finding === cause + 1, `cause at ${cause}, finding at ${finding}`);
});
