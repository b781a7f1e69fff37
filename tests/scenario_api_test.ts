/**
 * What scenario code can ask and how it is told it forgot a `yield*`:
 * context-switch counts, policy and RT priority from `current`, the encoded
 * `preempt_count()`, `msleep()` rounding, `kthread_run()` (docs/rules.md 17.5 to 17.8), and
 * the RT wake-up work marked as the kernel's own in the run record.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  createMachine,
  irqWorkInit,
  LEGACY_TIMING,
  ScenarioError,
  type TaskBody,
  type TaskInfo,
} from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

const T0 = 1_000_000;

Deno.test("rule 17.5: current's policy, RT priority and voluntary/involuntary switch counts", () => {
  const m = createMachine({ arch: x86() });
  let seen: TaskInfo | undefined;
  m.spawn({ cpu: 0, name: "low", at: T0 }, function* (ctx) {
    yield* ctx.spend(200_000); // preempted once by "high"
    yield* ctx.sleep(100_000); // one voluntary switch
    yield* ctx.spend(1_000);
    seen = ctx.task;
  });
  m.spawn({ cpu: 0, name: "high", policy: "fifo", priority: 50, at: T0 + 50_000 }, function* (ctx) {
    assert.deepEqual([ctx.task.policy, ctx.task.rtPriority, ctx.task.prio], ["fifo", 50, 49]);
    yield* ctx.spend(1_000);
  });
  m.runUntil(T0 + 1_000_000);
  assert.deepEqual(
    [seen?.policy, seen?.rtPriority, seen?.nvcsw, seen?.nivcsw],
    ["other", 0, 1, 1],
    "one sleep, one preemption",
  );
});

Deno.test("rule 17.6: preempt_count() carries the preempt depth, HARDIRQ_OFFSET and NMI_OFFSET", () => {
  const m = createMachine({ arch: x86() });
  const words: number[] = [];
  const w = irqWorkInit((_w, ctx) => void words.push(ctx.preemptCountWord), "w");
  m.spawn({ cpu: 0, name: "t", at: T0 }, function* (ctx) {
    words.push(ctx.preemptCountWord);
    yield* ctx.preemptDisable();
    words.push(ctx.preemptCountWord);
    yield* ctx.preemptEnable();
    yield* ctx.queue(w); // runs in the self-interrupt, over task t
  });
  m.nmi(0, T0 + 500_000, (ctx) => void words.push(ctx.preemptCountWord));
  m.runUntil(T0 + 1_000_000);
  // Task: 0, then 1. The self-IPI arrives inside irq_work_queue(), which has preemption disabled:
  // HARDIRQ_OFFSET + 1. NMI over the idle task (preempt depth 1): NMI_OFFSET + HARDIRQ_OFFSET + 1.
  assert.deepEqual(words, [0, 1, 0x10001, 0x110001]);
});

Deno.test("rule 17.7: msleep() sleeps msecs_to_jiffies(ms) + 1 jiffies and wakes at a tick", () => {
  const cases: [number, number, number][] = [[250, 1, 2], [250, 4, 2], [250, 5, 3], [1000, 1, 2], [
    100,
    20,
    3,
  ]];
  for (const [hz, ms, jiffies] of cases) {
    const m = createMachine({ arch: x86(), hz });
    const period = 1e9 / hz;
    let woke = -1;
    const start = 3 * period + 1_000;
    m.spawn({ cpu: 0, name: "t", at: start }, function* (ctx) {
      yield* ctx.msleep(ms);
      woke = ctx.now;
    });
    m.runUntil(start + 10 * period);
    const wakeTick = (3 + jiffies) * period;
    assert.ok(woke >= wakeTick && woke < wakeTick + 20_000, `HZ ${hz}, msleep(${ms}): woke at ${woke}`);
    assert.ok(woke - start >= ms * 1e6, "never shorter than asked");
  }
});

Deno.test("a kernel call made without yield* is an error that names it", () => {
  const cases: [string, TaskBody][] = [
    ["queue", (ctx) => void ctx.queue(irqWorkInit(() => {}, "w"))],
    ["spend", function* (ctx) {
      ctx.spend(10);
      yield* ctx.sleep(10);
    }],
    ["irqDisable", (ctx) => void ctx.irqDisable()],
  ];
  for (const [call, body] of cases) {
    const m = createMachine({ arch: x86() });
    m.spawn({ cpu: 0, name: "forgetful", at: T0 }, body);
    assert.throws(() => m.runUntil(T0 + 100_000), (e: unknown) => {
      assert.ok(e instanceof ScenarioError);
      assert.match(
        e.message,
        new RegExp(
          `^Code running on CPU 0 \\(task context, current task forgetful\\) called ctx\\.${call}\\(\\) ` +
            `without yield\\* at \\d+ ns: the call never ran; write yield\\* ctx\\.${call}\\(\\.\\.\\.\\)$`,
        ),
      );
      return true;
    });
  }
  // A call returned from the body is run by the machine: no error.
  const m = createMachine({ arch: x86() });
  m.spawn({ cpu: 0, name: "t", at: T0 }, (ctx) => ctx.queue(irqWorkInit(() => {}, "w")));
  m.runUntil(T0 + 100_000);
  assert.equal(m.runs.length, 1);
});

Deno.test("rule 5.5: the RT wake-up work is marked internal in the run record; the scenario's works are not", () => {
  const m = createMachine({ arch: x86(), cpus: 2, plugins: [preemptRt()] });
  const w = irqWorkInit(() => {}, "mine");
  m.spawn({ cpu: 0, name: "t", at: T0 }, (ctx) => ctx.queueOn(w, 1));
  m.runUntil(T0 + 1_000_000);
  assert.deepEqual(m.runs.map((r) => [r.work.name, r.internal]), [["irq_work_wake", true], ["mine", false]]);
});

Deno.test("rule 17.8: kthread_run() from a task makes a thread on this CPU and wakes it from here, nothing else", () => {
  const m = createMachine({ arch: x86(), cpus: 2 });
  const events: string[] = [];
  m.observe((e) => void events.push(`${e.cpu} ${e.type}`));
  let pid = -1, ranAt = -1, createdAt = -1;
  m.spawn({ cpu: 0, name: "creator", at: T0 }, function* (ctx) {
    createdAt = ctx.now;
    events.length = 0;
    pid = yield* ctx.kthreadRun({ name: "helper", policy: "fifo", priority: 60 }, (c) => {
      ranAt = c.now;
      assert.deepEqual([c.cpu, c.task.comm, c.task.rtPriority], [0, "helper", 60]);
    });
  });
  m.runUntil(T0 + 100_000);
  assert.equal(pid, 12, "the next PID after the per-CPU kernel threads and the creator (11)");
  assert.ok(ranAt >= createdAt && ranAt - createdAt < 10_000, "a better thread preempts its creator at once");
  assert.ok(events.every((e) => e.startsWith("0 ")), `only CPU 0 saw anything: ${events.join(", ")}`);
  assert.ok(events.includes("0 sched_wakeup"));
  assert.throws(
    () => {
      const bad = createMachine({ arch: x86() });
      bad.spawn({ cpu: 0, name: "c" }, (ctx) => ctx.kthreadRun({ name: "x".repeat(16) }, () => {}));
      bad.runUntil(T0);
    },
    { name: "ScenarioError", message: /kthreadRun: a task name must be a string of 1 to 15 bytes/ },
  );
});

Deno.test("rule 22.1: sleepUntil() sleeps on an ABS hrtimer until the absolute time, a past time at once", () => {
  const m = createMachine({ arch: x86(), timing: LEGACY_TIMING }); // free kernel paths: the sums below
  const starts: string[] = [];
  m.observe((e) =>
    void (e.type === "hrtimer_start" && e.function === "hrtimer_wakeup" && starts.push(e.mode))
  );
  const woke: number[] = [];
  m.spawn({ cpu: 0, name: "abs", policy: "fifo", priority: 90, at: T0 }, function* (ctx) {
    yield* ctx.sleepUntil(T0 + 500_000);
    woke.push(ctx.now);
    yield* ctx.sleepUntil(T0); // already past: the timer interrupt comes at once
    woke.push(ctx.now);
  });
  m.runUntil(T0 + 1_000_000);
  const { irqEntryNs, irqExitNs } = x86().timing;
  const wake = irqEntryNs + irqExitNs + 2_000; // the timer interrupt, then the switch to the task
  // A past time: the task still switches out to idle; the timer interrupt comes at once, cutting into the
  // idle task's switch-in (2 µs), which it finishes before it reschedules; then the switch back.
  assert.deepEqual(woke, [T0 + 500_000 + wake, T0 + 500_000 + 2 * wake + 2_000]);
  assert.deepEqual(starts, ["ABS", "ABS"]);
  const bad = createMachine({ arch: x86() });
  bad.spawn({ cpu: 0, name: "neg", at: T0 }, (ctx) => ctx.sleepUntil(-1));
  assert.throws(() => bad.runUntil(T0 + 10_000), /Cannot sleepUntil -1 ns: need whole ns >= 0/);
});
