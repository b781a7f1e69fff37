/**
 * Rule 23: the costs of kernel paths. Each cost is spent where docs/rules.md
 * says, just before the path's memory step; each key of `timing` overrides
 * exactly that cost; the arches state theirs; `LEGACY_TIMING` gives back the
 * figures of the first builds; bad costs are refused with a clear error.
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  createMachine,
  DEFAULT_TIMING,
  irqWorkInit,
  LEGACY_TIMING,
  type Machine,
  type MachineTiming,
  type PathTiming,
} from "../mod.ts";
import { Access, fixtureArch } from "../core/mod.ts";
import { arm64 } from "../arch/arm64/mod.ts";
import { powerpc } from "../arch/powerpc/mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { localCycleRun, remoteCycleRun } from "./irq_work_bench.ts";

const N = 50;
/** x86's xAPIC wait for the ICR after the self-IPI (arch/x86/mod.ts). */
const ICR_WAIT_NS = 100;

/** The path costs of rule 23.1's table, per arch. */
const TABLE: Record<string, Omit<PathTiming, "contextSwitchNs" | "tickNs">> = {
  x86: {
    irqWorkClaimNs: 20,
    irqWorkReleaseNs: 40,
    llistAddNs: 20,
    llistDelAllNs: 20,
    callSingleQueueNs: 60,
    wakeUpNs: 1_000,
  },
  arm64: {
    irqWorkClaimNs: 20,
    irqWorkReleaseNs: 40,
    llistAddNs: 20,
    llistDelAllNs: 20,
    callSingleQueueNs: 60,
    wakeUpNs: 1_000,
  },
  powerpc: {
    irqWorkClaimNs: 40,
    irqWorkReleaseNs: 80,
    llistAddNs: 40,
    llistDelAllNs: 40,
    callSingleQueueNs: 60,
    wakeUpNs: 1_000,
  },
};

Deno.test("rule 23.1: each arch's machine takes the costs of the table; tick-only the defaults", () => {
  for (const [name, make] of [["x86", x86], ["arm64", arm64], ["powerpc", powerpc]] as const) {
    const m = createMachine({ arch: make() });
    assert.deepEqual(m.kernel.timing, { ...DEFAULT_TIMING, ...TABLE[name] }, name);
    assert.equal(m.kernel.timing.contextSwitchNs, 2_000, name);
    assert.equal(m.kernel.timing.tickNs, 1_000, name);
  }
  assert.deepEqual(
    createMachine({ arch: x86({ apic: false }) }).kernel.timing,
    createMachine({ arch: x86() }).kernel.timing,
  );
  assert.deepEqual(createMachine({ arch: tickOnly() }).kernel.timing, DEFAULT_TIMING);
});

Deno.test("rule 23.2: a local queue + sync cycle on x86 costs exactly the documented sum", () => {
  const t = createMachine({ arch: x86() }).kernel.timing;
  const { irqEntryNs, irqExitNs } = x86().timing;
  // claim, push onto the raised list, the self-IPI cuts into the ICR wait: entry, take the list, the
  // callback (nothing), release, exit, then the rest of the ICR wait; the sync sees BUSY clear at once.
  const cycle = t.irqWorkClaimNs + t.llistAddNs + irqEntryNs + t.llistDelAllNs + t.irqWorkReleaseNs +
    irqExitNs +
    ICR_WAIT_NS;
  assert.equal(cycle, 800);
  assert.deepEqual(localCycleRun(N), { runs: N, simulatedNs: N * cycle });
});

Deno.test("rule 23.2: a remote queueOn + sync cycle on x86 costs exactly the documented sum", () => {
  const t = createMachine({ arch: x86() }).kernel.timing;
  const { irqEntryNs, ipiLatencyNs } = x86().timing;
  // claim, the remote queue head, its push; the IPI flies; CPU 1 enters, takes its queue, runs the
  // work and releases it. CPU 0 polls every cpuRelaxNs from the end of its queueOn: the sum is a
  // whole number of polls, so the poll that sees BUSY clear comes at that very instant.
  const sent = t.irqWorkClaimNs + t.callSingleQueueNs + t.llistAddNs;
  const cycle = sent + ipiLatencyNs + irqEntryNs + t.llistDelAllNs + t.irqWorkReleaseNs;
  assert.equal((cycle - sent) % t.cpuRelaxNs, 0);
  assert.equal(cycle, 1_460);
  assert.deepEqual(remoteCycleRun(N), { runs: N, simulatedNs: N * cycle });
});

Deno.test("rule 23.4: the legacy profile reproduces the first builds' cycle figures exactly", () => {
  // tools/machine_report.ts printed 700.0 and 1320.0 sim ns per cycle before path costs existed.
  assert.deepEqual(localCycleRun(N, true, LEGACY_TIMING), { runs: N, simulatedNs: N * 700 });
  assert.deepEqual(remoteCycleRun(N, true, LEGACY_TIMING), { runs: N, simulatedNs: N * 1_320 });
  assert.deepEqual(localCycleRun(N, false, LEGACY_TIMING), localCycleRun(N, true, LEGACY_TIMING));
});

Deno.test("rule 23.1: overriding one cost changes that cost alone", () => {
  const base = createMachine({ arch: powerpc() }).kernel.timing;
  for (const key of Object.keys(DEFAULT_TIMING) as (keyof MachineTiming)[]) {
    const m = createMachine({ arch: powerpc(), timing: { [key]: base[key] + 7 } });
    assert.deepEqual(m.kernel.timing, { ...base, [key]: base[key] + 7 }, key);
  }
  // ... and in simulated time: 100 ns more per claim is 100 ns more per cycle.
  const claim = localCycleRun(N, true, { irqWorkClaimNs: 120 });
  assert.equal(claim.simulatedNs - localCycleRun(N).simulatedNs, N * 100);
  const del = localCycleRun(N, true, { llistDelAllNs: 70 });
  assert.equal(del.simulatedNs - localCycleRun(N).simulatedNs, N * 50);
});

Deno.test("rule 23.2: a path's cost is spent before its memory step, which stays a step of its own", () => {
  const accesses = (timing: Partial<MachineTiming>) => {
    const m = createMachine({ arch: x86(), timing });
    const work = irqWorkInit(() => {}, "w");
    const seen: string[] = [];
    let claimAt = -1, start = -1;
    m.kernel.memory.listen((cpu, cell, kind) => {
      seen.push(`${cpu}:${kind}`);
      if (cell === work.aFlags && kind === Access.RMW && claimAt < 0) claimAt = m.now;
    });
    m.spawn({ cpu: 0, name: "q", at: 1_000_000 }, function* (ctx) {
      start = ctx.now;
      yield* ctx.queue(work);
      yield* ctx.sync(work);
    });
    m.runUntil(2_000_000);
    return { seen, delay: claimAt - start };
  };
  const legacy = accesses(LEGACY_TIMING), costed = accesses({}), slow = accesses({ irqWorkClaimNs: 333 });
  assert.equal(legacy.delay, 0, "the claim's fetch_or at once");
  assert.equal(costed.delay, 20, "after x86's 20 ns");
  assert.equal(slow.delay, 333);
  // The same accesses in the same order: a cost adds time, never a step or an access.
  assert.deepEqual(costed.seen, legacy.seen);
  assert.deepEqual(slow.seen, legacy.seen);
});

Deno.test("rule 23.2, 12.6: a wake-up costs wakeUpNs in the waker; an idle exit with nothing queued takes no xchg", () => {
  const bodyStart = (timing: Partial<MachineTiming>) => {
    const m: Machine = createMachine({ arch: x86(), timing });
    let started = -1;
    m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, (ctx) => {
      started = ctx.now;
    });
    m.runUntil(2_000_000);
    return { started, waking: m.kernel.timing };
  };
  const { irqEntryNs, irqExitNs } = x86().timing;
  const { started, waking: t } = bodyStart({});
  // The timer interrupt wakes the task (try_to_wake_up), returns to the idle task, whose exit
  // finds the call-single queue empty (llist_empty: no llist_del_all) and switches (rule 12.6).
  assert.equal(started, 1_000_000 + irqEntryNs + t.wakeUpNs + irqExitNs + t.contextSwitchNs);
  assert.equal(bodyStart({ wakeUpNs: 2_000 }).started - started, 1_000);
  assert.equal(bodyStart(LEGACY_TIMING).started, 1_000_000 + irqEntryNs + irqExitNs + 2_000);
});

Deno.test("rule 23.3: the fixture arch states free kernel paths", () => {
  const t = createMachine({ arch: fixtureArch() }).kernel.timing;
  for (const key of ["irqWorkClaimNs", "irqWorkReleaseNs", "llistAddNs", "llistDelAllNs"] as const) {
    assert.equal(t[key], 0, key);
  }
  assert.equal(t.callSingleQueueNs + t.wakeUpNs, 0);
});

Deno.test("rule 23.1: bad costs are refused, naming the cost", () => {
  assert.throws(() => createMachine({ arch: x86(), timing: { llistAddNs: -1 } }), {
    name: "RangeError",
    message: "Timing llistAddNs must be a whole number of ns >= 0, got -1 (number)",
  });
  assert.throws(() => createMachine({ arch: x86(), timing: { wakeUpNs: 2.5 } }), {
    name: "RangeError",
    message: "Timing wakeUpNs must be a whole number of ns >= 0, got 2.5 (number)",
  });
  assert.throws(
    () => createMachine({ arch: x86(), timing: { irqWorkClaimNs: "20" as unknown as number } }),
    {
      name: "TypeError",
      message: 'Timing irqWorkClaimNs must be a whole number of ns >= 0, got "20" (string)',
    },
  );
  const arch = x86();
  assert.throws(
    () => createMachine({ arch: { ...arch, timing: { ...arch.timing, callSingleQueueNs: -5 } } }),
    {
      name: "RangeError",
      message: "Arch x86: timing.callSingleQueueNs must be a whole number of ns >= 0, got -5 (number)",
    },
  );
  assert.throws(
    () =>
      createMachine({
        arch: { ...arch, timing: { ...arch.timing, irqWorkClaimsNs: 5 } as typeof arch.timing },
      }),
    {
      name: "TypeError",
      message: /^Arch x86: unknown timing "irqWorkClaimsNs"; known: irqEntryNs, .*wakeUpNs/,
    },
  );
  // LEGACY_TIMING is a valid timing as it stands, and frozen.
  createMachine({ arch: powerpc(), timing: LEGACY_TIMING });
  assert.ok(Object.isFrozen(LEGACY_TIMING));
});
