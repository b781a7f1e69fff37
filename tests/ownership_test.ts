/**
 * One work belongs to one machine: the first that queues (or syncs) it.
 * Another machine that queues or syncs it gets a clear error, until
 * `initIrqWork()` frees it; and a wake-up never crosses machines.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  createMachine,
  initIrqWork,
  irqWorkInit,
  irqWorkIsPending,
  type Machine,
  ScenarioError,
} from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";

const OWNED =
  /Cannot (queue|sync) work "shared" on this machine: it belongs to another machine, the first that queued it/;

function queueAt(m: Machine, work: ReturnType<typeof irqWorkInit>, irqsOff = false): void {
  m.spawn({ cpu: 0, name: "q" }, function* (ctx) {
    if (irqsOff) yield* ctx.irqDisable();
    yield* ctx.queue(work);
    // With interrupts off for good the self-interrupt never comes: the work stays PENDING.
    while (irqsOff) yield* ctx.spend(100_000);
  });
}

Deno.test("ownership: a second machine queueing a work the first one queued gets an error", () => {
  const work = irqWorkInit(() => {}, "shared");
  const a = createMachine({ arch: x86() });
  queueAt(a, work);
  a.runUntil(1_000_000);
  assert.equal(a.runs.length, 1);
  const b = createMachine({ arch: x86() });
  queueAt(b, work);
  assert.throws(
    () => b.runUntil(1_000_000),
    (e: unknown) =>
      e instanceof ScenarioError && OWNED.test(e.message) && /initIrqWork\(\) it first/.test(e.message),
  );
  assert.equal(b.runs.length, 0);
});

Deno.test("ownership: a work left PENDING by one machine is reported, not silently never queued, by another", () => {
  const work = irqWorkInit(() => {}, "shared");
  const a = createMachine({ arch: x86() });
  queueAt(a, work, true);
  a.runUntil(1_000_000);
  assert.ok(irqWorkIsPending(work));
  const b = createMachine({ arch: x86() });
  queueAt(b, work);
  assert.throws(() => b.runUntil(1_000_000), { name: "ScenarioError", message: OWNED });
});

Deno.test("ownership: initIrqWork() frees a work for another machine", () => {
  const work = irqWorkInit(() => {}, "shared");
  const a = createMachine({ arch: x86() });
  queueAt(a, work);
  a.runUntil(1_000_000);
  initIrqWork(work, () => {});
  const b = createMachine({ arch: x86() });
  queueAt(b, work);
  b.runUntil(1_000_000);
  assert.equal(b.runs.length, 1);
  assert.equal(b.runs[0]!.work, work);
});

Deno.test("ownership: syncing another machine's work is an error (its waiter would be woken by that machine)", () => {
  const work = irqWorkInit(() => {}, "shared");
  // Tick-only: the work waits for the tick, and irq_work_sync() sleeps on its waiter slot.
  const a = createMachine({ arch: tickOnly() });
  queueAt(a, work);
  const b = createMachine({ arch: tickOnly() });
  b.spawn({ cpu: 0, name: "syncer" }, (ctx) => ctx.sync(work));
  a.runUntil(100_000);
  assert.throws(() => b.runUntil(100_000), { name: "ScenarioError", message: OWNED });
  a.runUntil(10_000_000);
  assert.equal(a.runs.length, 1, "the work ran on its own machine");
  assert.deepEqual(a.kernel.tasks.map((t) => t.comm), ["swapper/0", "q"], "no task of b came to a");
});

Deno.test("ownership: a task is never woken by another machine", () => {
  const a = createMachine({ arch: x86() });
  const task = a.spawn({ cpu: 0, name: "sleeper", at: 5_000_000 }, () => {});
  const b = createMachine({ arch: x86() });
  const cpu = b.kernel.cpus[0]!;
  const message =
    'Cannot wake task "sleeper" (pid 7): it belongs to another machine; a wake-up never crosses machines';
  assert.throws(() => b.kernel.wakeups.wakeUpNow(cpu, task), { name: "Error", message });
  assert.throws(() => b.kernel.wakeups.wakeUpProcess(cpu, task).next(), { name: "Error", message });
  assert.equal(cpu.runQueue.length, 0, "b's run queue never held a's task");
  a.runUntil(10_000_000);
  assert.equal(task.state, "dead", "the task ran on its own machine");
});
