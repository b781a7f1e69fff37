/**
 * A machine stopped by a scenario error, a BUG or a livelock refuses to run
 * again, with a clear error (its state is not consistent after an exception
 * cut through kernel code); bad run times are rejected whatever the state;
 * and `runUntil`/`runFor` from inside the machine is an error.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, irqWorkInit, type Machine, ScenarioError } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

/** A machine whose task throws at 1 ms. */
function failed(): Machine {
  const m = createMachine({ arch: x86(), cpus: 2 });
  m.spawn({ cpu: 0, name: "oops", at: 1_000_000 }, () => {
    throw new Error("scenario bug");
  });
  assert.throws(() => m.runUntil(2_000_000), ScenarioError);
  return m;
}

/** A machine stopped by a BUG: a drain with interrupts enabled (rule 7.1) at 1 ms. */
function bugged(): Machine {
  const m = createMachine({ arch: x86() });
  m.spawn(
    { cpu: 0, name: "drainer", at: 1_000_000 },
    (ctx) => m.kernel.irqWork.irqWorkRun(m.kernel.cpus[ctx.cpu]!),
  );
  m.runUntil(2_000_000);
  assert.ok(m.panicked);
  assert.equal(m.findings.at(-1)!.level, "BUG");
  return m;
}

Deno.test("stopped: after a scenario error the machine refuses to run, saying why", () => {
  const m = failed();
  const stoppedAt = m.now;
  for (const run of [() => m.runUntil(3_000_000), () => m.runFor(1_000)]) {
    assert.throws(run, {
      name: "MachineStateError",
      message: new RegExp(
        `^Cannot run until \\d+ ns: the machine stopped at ${stoppedAt} ns after an error thrown out of its ` +
          "code \\(Code running on CPU 0 \\(task context, current task oops\\) threw at \\d+ ns: scenario bug\\), " +
          "which leaves its state inconsistent; build a new machine$",
      ),
    });
  }
  assert.equal(m.now, stoppedAt, "the clock did not move");
});

Deno.test("stopped: after a BUG the machine refuses to run, naming the BUG", () => {
  const m = bugged();
  assert.throws(() => m.runUntil(3_000_000), {
    name: "MachineStateError",
    message:
      /^Cannot run until 3000000 ns: the machine stopped at \d+ ns after a BUG \(kernel BUG at kernel\/irq_work\.c!\); build a new machine$/,
  });
});

Deno.test("stopped: after a livelock the machine refuses to run", () => {
  // profile seed on RT: irq_work_sync() spins on a work that only a preempted thread can finish (H1).
  const m = createMachine({ arch: x86(), kernel: "seed", plugins: [preemptRt()] });
  const work = irqWorkInit(function* (_w, ctx) {
    yield* ctx.spend(1_000);
  }, "w");
  m.spawn({ cpu: 0, name: "syncer", policy: "fifo", priority: 50 }, function* (ctx) {
    yield* ctx.queue(work);
    yield* ctx.sync(work);
  });
  m.runUntil(100_000_000);
  assert.equal(m.findings.at(-1)?.level, "LIVELOCK");
  assert.throws(() => m.runFor(1), {
    message: /^Cannot run until \d+ ns: the machine stopped at \d+ ns after a livelock \(livelock: /,
  });
});

Deno.test("stopped: bad run times are rejected before and after a BUG", () => {
  for (const m of [createMachine({ arch: x86() }), bugged()]) {
    const now = m.now;
    assert.throws(() => m.runUntil(NaN), {
      name: "RangeError",
      message: /^Cannot run until NaN ns: time must be a whole number/,
    });
    assert.throws(() => m.runUntil(-5), {
      name: "RangeError",
      message: /^Cannot run until -5 ns: the clock is already at/,
    });
    assert.throws(() => m.runUntil(1.5), { name: "RangeError", message: /^Cannot run until 1.5 ns/ });
    assert.throws(() => m.runFor(-1), { name: "RangeError", message: /^Cannot run for -1 ns/ });
    if (now > 0) {
      assert.throws(() => m.runUntil(now - 1), { name: "RangeError", message: /the clock is already at/ });
    }
  }
});

Deno.test("stopped: runUntil or runFor from inside the machine is an error", async (t) => {
  const inside =
    /Cannot run until \d+ ns from inside the machine \(a task body, callback, observer or scripted call\)/;
  await t.step("from a task body", () => {
    const m = createMachine({ arch: x86() });
    m.spawn({ cpu: 0, name: "t", at: 1_000 }, () => m.runUntil(5_000_000));
    assert.throws(
      () => m.runUntil(1_000_000),
      (e: unknown) => e instanceof ScenarioError && inside.test(e.message),
    );
    assert.ok(m.now < 10_000, `the clock did not jump (${m.now} ns)`);
  });
  await t.step("from an irq_work callback", () => {
    const m = createMachine({ arch: x86() });
    m.spawn({ cpu: 0, name: "t" }, (ctx) => ctx.queue(irqWorkInit(() => m.runFor(1_000))));
    assert.throws(() => m.runUntil(1_000_000), { name: "ScenarioError", message: inside });
  });
  await t.step("from an observer", () => {
    const m = createMachine({ arch: x86() });
    m.observe((e) => void (e.type === "sched_switch" && m.runFor(10)));
    m.spawn({ cpu: 0, name: "t" }, () => {});
    assert.throws(() => m.runUntil(1_000_000), { message: inside });
  });
  await t.step("from a scripted call", () => {
    const m = createMachine({ arch: x86() });
    m.at(1_000, "run again", () => m.runUntil(2_000));
    assert.throws(() => m.runUntil(1_000_000), { message: inside });
  });
});
