/**
 * RCU grace periods that take time (docs/rules.md, section 19), and what
 * that costs a sleeping `irq_work_sync()` (rule 11.4).
 */

import assert from "node:assert/strict";
import { x86 } from "../arch/x86/mod.ts";
import { createMachine, irqWorkInit, type Machine, type MachineOptions } from "../mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";
import { record } from "./helpers.ts";

const JIFFY = 4_000_000; // HZ=250

/** A 2-CPU x86 machine (with `extra` options) where a task on CPU 0 calls synchronize_rcu() at `at`; returns when it came back. */
function timeSynchronize(extra: Partial<MachineOptions> = {}, at = 1_000_000, setup?: (m: Machine) => void) {
  const m = createMachine({ arch: x86(), cpus: 2, ...extra });
  let returned = -1;
  m.spawn({ cpu: 0, name: "updater", at }, function* (ctx) {
    yield* ctx.synchronizeRcu();
    returned = ctx.now;
  });
  setup?.(m);
  m.runUntil(at + 80 * JIFFY);
  assert.equal(m.findings.length, 0, JSON.stringify(m.findings));
  assert.ok(returned > 0, "synchronize_rcu() returned");
  return { m, returned };
}

/** The jiffy in which simulated time `t` falls. */
const jiffyOf = (t: number) => Math.floor(t / JIFFY);

Deno.test("rule 19.1: synchronize_rcu() on an idle 2-CPU machine takes three to four jiffies", () => {
  const { m, returned } = timeSynchronize();
  // Called in jiffy 0. Tick 1 asks for a grace period and the kthread starts it; tick 2
  // notices it, and the scan after that tick reports idle CPU 1 (CPU 0 runs the kthread, so
  // is not idle then); tick 3 reports CPU 0 and the grace period ends; tick 4 invokes the
  // callback, which wakes the caller.
  assert.equal(jiffyOf(returned), 4);
  assert.ok(returned - 4 * JIFFY < 20_000, `woken by the tick of jiffy 4, ran at ${returned} ns`);
  assert.equal(m.kernel.rcu.completed, 1, "one grace period");
  assert.equal(m.kernel.rcu.gpInProgress, false);
});

Deno.test("rule 19.2: the scan intervals follow HZ and the rcu option", async (t) => {
  await t.step("HZ=1000 waits 3 jiffies before the first scan", () => {
    const { returned } = timeSynchronize({ hz: 1000 });
    // Tick of jiffy 2 (at 2 ms) asks, the scan at jiffy 5 ends it after that tick's RCU work,
    // and the tick of jiffy 6 wakes the caller.
    assert.equal(Math.floor(returned / 1_000_000), 6);
  });
  await t.step("jiffiesTillFirstFqs: 4 adds three jiffies", () => {
    const { returned } = timeSynchronize({ rcu: { jiffiesTillFirstFqs: 4 } });
    assert.equal(jiffyOf(returned), 6);
  });
  await t.step("out-of-range and unknown values are named", () => {
    assert.throws(
      () => createMachine({ arch: x86(), rcu: { jiffiesTillNextFqs: 0 } }),
      /RCU option jiffiesTillNextFqs \(jiffies, 1\.\.HZ\) must be 1\.\.250, got 0 \(number\)/,
    );
    assert.throws(
      () => createMachine({ arch: x86(), rcu: { jiffiesTillFirstFqs: 300 } }),
      /must be 1\.\.250, got 300 \(number\)/,
    );
    assert.throws(
      () => createMachine({ arch: x86(), rcu: { fqs: 1 } as never }),
      /Unknown rcu option "fqs"; known: jiffiesTillFirstFqs, jiffiesTillNextFqs/,
    );
  });
});

Deno.test("rule 19.2: later scans report a CPU that has been idle since the first (the kthread's own CPU)", () => {
  // The caller is on CPU 1, so CPU 0 has no callbacks, stops its tick, and wakes only for the
  // kthread's timeout: at every scan it is in that timer interrupt, never idle.
  const m = createMachine({ arch: x86(), cpus: 2 });
  let returned = -1;
  m.spawn({ cpu: 1, name: "updater", at: 1_000_000 }, function* (ctx) {
    yield* ctx.synchronizeRcu();
    returned = ctx.now;
  });
  m.runUntil(40 * JIFFY);
  // Scan 1 (jiffy 2) finds both CPUs in interrupts (CPU 1 in its tick); scan 2 (jiffy 3) reports
  // both as idle since, ending the grace period before CPU 1's RCU work in that tick wakes the caller.
  assert.equal(jiffyOf(returned), 3);
});

Deno.test("rule 19.3: a CPU waiting for its callback keeps its tick; the other CPU stops its own", () => {
  const m = createMachine({ arch: x86(), cpus: 2 });
  const events = record(m);
  m.spawn({ cpu: 0, name: "updater", at: 1_000_000 }, (ctx) => ctx.synchronizeRcu());
  m.runUntil(20 * JIFFY);
  const ticks = (cpu: number) =>
    events.filter((e) => e.type === "tick" && e.cpu === cpu).map((e) => jiffyOf(e.time));
  assert.deepEqual(ticks(0), [1, 2, 3, 4], "CPU 0 ticks until its callback has run, then stops");
  assert.deepEqual(ticks(1), [], "CPU 1 stays in dyntick-idle: the scan reports it");
  assert.equal(m.kernel.rcu.needsCpu(m.kernel.cpus[0]!), false);
});

Deno.test("rule 19.4: a busy CPU reports from its tick; a running reader holds the grace period", async (t) => {
  await t.step("a task spinning outside any read-side section does not delay it", () => {
    const { returned } = timeSynchronize({}, 1_000_000, (m) => {
      m.spawn({ cpu: 1, name: "busy", at: 0 }, (ctx) => ctx.spend(30 * JIFFY));
    });
    // CPU 1 notices the grace period at its tick of jiffy 2 (a quiescent state noted before
    // noticing does not count) and reports at jiffy 3; CPU 0 sees the end at jiffy 4.
    assert.equal(jiffyOf(returned), 4);
  });
  await t.step("a task inside rcu_read_lock() on CPU 1 holds it until rcu_read_unlock()", () => {
    let unlocked = -1;
    const { returned } = timeSynchronize({}, 1_000_000, (m) => {
      m.spawn({ cpu: 1, name: "reader", at: 0 }, function* (ctx) {
        yield* ctx.rcuReadLock();
        yield* ctx.spend(10 * JIFFY);
        yield* ctx.rcuReadUnlock();
        unlocked = ctx.now;
        yield* ctx.spend(10 * JIFFY);
      });
    });
    assert.ok(unlocked > 10 * JIFFY);
    // The tick after the unlock notes the quiescent state and reports it; the tick after that wakes CPU 0.
    assert.ok(returned > unlocked, `returned at ${returned}, after the unlock at ${unlocked}`);
    assert.ok(jiffyOf(returned) <= jiffyOf(unlocked) + 2, "within two jiffies of the unlock");
  });
});

Deno.test("rule 19.5: a reader preempted inside its section blocks the grace period until it unlocks", () => {
  let unlocked = -1;
  const { returned } = timeSynchronize({}, 1_000_000, (m) => {
    m.spawn({ cpu: 1, name: "reader", at: 0 }, function* (ctx) {
      yield* ctx.rcuReadLock();
      yield* ctx.sleep(6 * JIFFY); // sleeps inside the section: queued as a blocked reader
      yield* ctx.rcuReadUnlock();
      unlocked = ctx.now;
    });
  });
  assert.ok(returned > unlocked && unlocked >= 6 * JIFFY, `returned ${returned}, unlocked ${unlocked}`);
  assert.ok(jiffyOf(returned) <= jiffyOf(unlocked) + 1, "the unlock ends the grace period at once");
});

Deno.test("rule 19.6: a CPU taken down is not waited for", () => {
  // CPU 2 idles, so only a scan could report it, and the first scan is 50 jiffies away.
  const slow = { cpus: 3, rcu: { jiffiesTillFirstFqs: 50 } };
  const busyCpu1 = (m: Machine) => m.spawn({ cpu: 1, name: "busy", at: 0 }, (ctx) => ctx.spend(80 * JIFFY));
  const held = timeSynchronize(slow, 1_000_000, busyCpu1);
  assert.equal(jiffyOf(held.returned), 52, "idle CPU 2 reported by the first scan at jiffy 51");
  const { returned } = timeSynchronize(slow, 1_000_000, (m) => {
    busyCpu1(m);
    m.cpuDown(2, 2 * JIFFY + 1);
  });
  assert.equal(jiffyOf(returned), 4, "released when CPU 2 went down, at the same pace as rule 19.4");
});

Deno.test("rule 11.4 + 19: on 2-CPU x86 PREEMPT_RT at HZ=250, a sleeping sync costs a grace period on 6.1.192, not on 6.1.0", () => {
  const syncCost = (kernel: string) => {
    const m = createMachine({ arch: x86(), cpus: 2, kernel, plugins: [preemptRt()] });
    const w = irqWorkInit(() => {}, "plain");
    let cost = -1;
    m.spawn({ cpu: 0, name: "syncer", policy: "fifo", priority: 50, at: 1_000_000 }, function* (ctx) {
      yield* ctx.queue(w); // runs in irq_work/0, below the syncer: the sync must sleep
      const start = ctx.now;
      yield* ctx.sync(w);
      cost = ctx.now - start;
    });
    m.runUntil(100 * JIFFY);
    assert.equal(m.findings.length, 0);
    return cost;
  };
  const before = syncCost("6.1"), after = syncCost("6.1.192");
  assert.ok(before > 0 && before < 100_000, `6.1.0: woken when the work ran, ${before} ns`);
  assert.ok(
    after >= 2 * JIFFY && after <= 4 * JIFFY,
    `6.1.192: plus a grace period of several jiffies, ${after} ns`,
  );
  // The fix alone makes the difference: 6.1.192 with 91840be8f710 off is 6.1.0 again.
  const m = createMachine({ arch: x86(), cpus: 2, kernel: "6.1.192", fixes: { "91840be8f710": false } });
  assert.equal(m.kernel.profile.rcuProtectedSync, false);
});
