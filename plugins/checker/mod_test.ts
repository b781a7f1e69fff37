import assert from "node:assert/strict";
import { createMachine, irqWorkInitHard, Spinlock } from "../../mod.ts";
import { x86 } from "../../arch/x86/mod.ts";
import { preemptRt } from "../preempt_rt/mod.ts";
import { contextChecker } from "./mod.ts";
import { formatEvent } from "../ftrace/mod.ts";

/** A HARD work that takes a spinlock_t, queued at each of `times` (ns) from a task on CPU 0. */
function offend(rt: boolean, times: number[]) {
  const lock = new Spinlock("waitq.lock");
  const work = irqWorkInitHard(function* (_w, ctx) {
    yield* ctx.spinLock(lock);
    yield* ctx.spinUnlock(lock);
  }, "bad");
  const m = createMachine({ arch: x86(), plugins: [...(rt ? [preemptRt()] : []), contextChecker()] });
  for (const [i, at] of times.entries()) {
    m.spawn({ cpu: 0, name: `q${i}`, at }, function* (ctx) {
      yield* ctx.queue(work);
    });
  }
  m.runUntil(times.at(-1)! + 1_000_000);
  return m.findings.map((f) => `${f.time < 1e9 ? "early" : "late"} ${f.message.split("\n")[0]}`);
}

Deno.test("checker: the sleeping-function report is rate-limited to once a second, as __might_resched is", () => {
  assert.deepEqual(offend(true, [1_000_000, 2_000_000, 1_500_000_000]), [
    "early BUG: sleeping function called from invalid context at kernel/locking/spinlock_rt.c",
    "late BUG: sleeping function called from invalid context at kernel/locking/spinlock_rt.c",
  ]);
});

Deno.test("checker: lockdep reports its first invalid wait context only, then turns itself off", () => {
  assert.deepEqual(offend(false, [1_000_000, 1_500_000_000]), [
    "early BUG: Invalid wait context: q0/7 is trying to lock waitq.lock in hard-IRQ context",
  ]);
});

Deno.test("checker: a finding carries the trace that led to it", () => {
  const lock = new Spinlock("log_wait.lock");
  const work = irqWorkInitHard(function* klogd(_w, ctx) {
    yield* ctx.spinLock(lock);
    yield* ctx.spinUnlock(lock);
  });
  const m = createMachine({ arch: x86(), plugins: [preemptRt(), contextChecker()] });
  m.spawn({ cpu: 0, name: "printk", at: 1_000_000 }, function* (ctx) {
    yield* ctx.queue(work);
  });
  m.runUntil(2_000_000);
  const events = m.findings[0]!.trace;
  assert.ok(events.length <= 32);
  const last = events.at(-1)!;
  assert.equal(last.type === "lock_acquire" && last.lock, "log_wait.lock");
  assert.deepEqual([last.context, last.irqsOff, last.preemptDepth], ["hardirq", true, 1]);
  const trace = events.flatMap((e) => formatEvent(e, 1) ?? []);
  assert.match(
    trace.at(-1)!,
    /printk-7 +\[000\] d\.h1\. +0\.001\d+: lock_acquire: log_wait\.lock$/,
  );
  assert.ok(trace.some((l) => l.includes("irq_work_entry: vector=246")), trace.join("\n"));
  assert.ok(trace.some((l) => l.includes("irqemu_irq_work_execute_start: work=klogd hard")));
});

Deno.test("checker: without observers a core finding has no trace, since no events are made", () => {
  const m = createMachine({ arch: x86() });
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    yield* ctx.sync(irqWorkInitHard(() => {}));
    yield* ctx.irqEnable();
  });
  m.runUntil(2_000_000);
  assert.equal(m.findings.length, 2, "lockdep's IRQs-off warning and might_sleep's");
  assert.ok(m.findings.every((f) => f.trace.length === 0));
});
