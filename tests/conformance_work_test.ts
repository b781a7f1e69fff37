/**
 * Conformance tests for docs/rules.md §1 (the work object), §2 (the lock-free
 * list), §3 (claiming) and §6 (running one work), kernel version C (D where
 * the profile does not matter), without and with PREEMPT_RT.
 *
 * Pure data-structure rules are plain tests; everything whose behaviour
 * could depend on the arch or the config runs over the matrix, with the
 * expectation decided from the cell's facts (`hasIrqWorkInterrupt`,
 * `maxCpus`, `config.rt`). On RT every non-HARD work joins the lazy list and
 * runs in `irq_work/N` (task context, IRQs on), woken by `irq_work_run()` /
 * `irq_work_tick()` or, for remote works, by the target's HARD
 * `irq_work_wake` work (rules 4.3, 5.5, 8, 9).
 *
 * @module
 */

import assert from "node:assert/strict";
import {
  createMachine,
  initIrqWork,
  IRQ_WORK_BUSY,
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  IRQ_WORK_PENDING,
  IrqWork,
  irqWorkInit,
  irqWorkInitHard,
  irqWorkInitLazy,
  irqWorkIsBusy,
  irqWorkIsHard,
  irqWorkIsPending,
  type Machine,
  type WorkRun,
} from "../mod.ts";
import {
  CSD_TYPE_ASYNC,
  CSD_TYPE_IRQ_WORK,
  CSD_TYPE_SYNC,
  CSD_TYPE_TTWU,
  IRQ_WORK_CLAIMED,
  llistAdd,
  llistDelAll,
  llistEmpty,
  LlistHead,
  type LlistNode,
  llistReverseOrder,
  Memory,
} from "../core/mod.ts";
import { tickOnly } from "../arch/tick_only/mod.ts";
import { type Cell, LEGACY, matrixTest, rtOnly, smpOnly } from "./matrix.ts";
import {
  assertRanWhereConfigSays,
  drive,
  nextTick,
  record,
  selfIrqDelay,
  selfRaises,
  threadStart,
  tickRunStart,
} from "./helpers.ts";

// ---------------------------------------------------------------- helpers

/** A bare list node. */
class Node implements LlistNode {
  next: LlistNode | null = null;
  constructor(readonly name: string) {}
}

/** The chain starting at `first`, by name, at most `limit` nodes (a cyclic chain never ends). */
function chain(first: LlistNode | null, limit = 10): string[] {
  const out: string[] = [];
  for (let n = first; n !== null && out.length < limit; n = n.next) out.push((n as Node).name);
  return out;
}

function runsOf(m: Machine, work: IrqWork): WorkRun[] {
  return m.runs.filter((r) => r.work === work);
}

/** Two CPUs where the arch allows, else one. */
function smpCpus(cell: Cell): number {
  return Math.min(2, cell.arch.maxCpus);
}

// ---------------------------------------------------------------- §1 the work object

Deno.test("rule 1.2: flag bits and cross-CPU call type values", () => {
  assert.equal(IRQ_WORK_PENDING, 0x01);
  assert.equal(IRQ_WORK_BUSY, 0x02);
  assert.equal(IRQ_WORK_LAZY, 0x04);
  assert.equal(IRQ_WORK_HARD_IRQ, 0x08);
  assert.equal(IRQ_WORK_CLAIMED, IRQ_WORK_PENDING | IRQ_WORK_BUSY);
  // The type field is bits 4-7; the four call types live there and nowhere else.
  assert.equal(CSD_TYPE_IRQ_WORK, 0x20);
  assert.equal(CSD_TYPE_ASYNC, 0x00);
  assert.equal(CSD_TYPE_SYNC, 0x10);
  assert.equal(CSD_TYPE_TTWU, 0x30);
  for (const type of [CSD_TYPE_ASYNC, CSD_TYPE_SYNC, CSD_TYPE_IRQ_WORK, CSD_TYPE_TTWU]) {
    assert.equal(type & ~0xf0, 0, `type 0x${type.toString(16)} outside bits 4-7`);
  }
  // The four irq_work flag bits are distinct single bits below the type field.
  const bits = [IRQ_WORK_PENDING, IRQ_WORK_BUSY, IRQ_WORK_LAZY, IRQ_WORK_HARD_IRQ];
  assert.equal(bits.reduce((a, b) => a | b, 0), 0x0f);
});

Deno.test("rule 1.3: the three initialisers give flags 0, LAZY, HARD with empty link and waiter", () => {
  const fn = () => {};
  const cases: [IrqWork, number][] = [
    [irqWorkInit(fn, "plain"), 0],
    [irqWorkInitLazy(fn, "lazy"), IRQ_WORK_LAZY],
    [irqWorkInitHard(fn, "hard"), IRQ_WORK_HARD_IRQ],
  ];
  for (const [work, flags] of cases) {
    assert.equal(work.flags, flags, work.name);
    assert.equal(work.next, null, work.name);
    assert.equal(work.func, fn, work.name);
    assert.equal(work.irqwait.value, null, work.name);
  }
});

Deno.test("rule 1.4: re-initialising a queued work silently overwrites it", () => {
  // One CPU without a self-interrupt: queued works sit on the raised list until the tick.
  const m = createMachine({ arch: tickOnly(), cpus: 1 });
  const ran: string[] = [];
  const a = irqWorkInitHard(() => void ran.push("a-old"), "a");
  const b = irqWorkInit(() => void ran.push("b"), "b");
  const fresh = () => void ran.push("a-new");
  let before = -1, after = -1;
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    assert.equal(yield* ctx.queue(a), true);
    assert.equal(yield* ctx.queue(b), true);
    before = a.flags;
    // a is behind b on the raised list; re-initialise it in place.
    initIrqWork(a, fresh);
    after = a.flags;
  });
  m.runUntil(2_000_000);
  assert.equal(before, IRQ_WORK_HARD_IRQ | IRQ_WORK_CLAIMED | CSD_TYPE_IRQ_WORK);
  // Whole overwrite: flags 0 (not even HARD survives), empty link, new callback, empty waiter.
  assert.equal(after, 0);
  assert.equal(a.flags, 0);
  assert.equal(a.next, null);
  assert.equal(a.func, fresh);
  assert.equal(a.irqwait.value, null);
  assert.equal(irqWorkIsPending(a), false);
  assert.equal(irqWorkIsBusy(a), false);
  // Not checked against state: no finding, and the list still holds the work.
  assert.deepEqual(m.findings, []);
  const list = m.kernel.irqWork.raisedList.get(0);
  assert.equal(list.first, b);
  assert.equal(b.next, a);
  m.runUntil(5_000_000);
  // The drain still reaches it through b's link and runs the new callback.
  assert.deepEqual(ran, ["b", "a-new"]);
});

Deno.test("rule 1.5: observers test exactly one bit each", () => {
  const w = irqWorkInit(() => {});
  for (let flags = 0; flags < 0x40; flags++) {
    w.flags = flags;
    assert.equal(irqWorkIsPending(w), (flags & 0x01) !== 0, `pending 0x${flags.toString(16)}`);
    assert.equal(irqWorkIsBusy(w), (flags & 0x02) !== 0, `busy 0x${flags.toString(16)}`);
    assert.equal(irqWorkIsHard(w), (flags & 0x08) !== 0, `hard 0x${flags.toString(16)}`);
  }
  assert.equal(irqWorkIsHard(irqWorkInitHard(() => {})), true);
  assert.equal(irqWorkIsHard(irqWorkInitLazy(() => {})), false);
});

matrixTest("rule 1.6: LAZY, HARD and the type bits survive every run", (cell) => {
  const cpus = smpCpus(cell);
  const m = cell.machine({ cpus });
  const seen = new Map<IrqWork, number[]>();
  const fn = (w: IrqWork) => void seen.get(w)!.push(w.flags);
  const works = [irqWorkInit(fn, "plain"), irqWorkInitLazy(fn, "lazy"), irqWorkInitHard(fn, "hard")];
  const type = new Map(works.map((w) => [w, w.flags]));
  for (const w of works) seen.set(w, []);
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    for (let round = 0; round < 2; round++) {
      for (const w of works) assert.equal(yield* ctx.queue(w), true);
      yield* ctx.sleep(10_000_000); // past the next tick: every work has run
    }
    if (cpus > 1) {
      for (const w of works) assert.equal(yield* ctx.queueOn(w, 1), true);
    }
  });
  m.runUntil(40_000_000);
  for (const w of works) {
    const t = type.get(w)!;
    const expectedRuns = cpus > 1 ? 3 : 2;
    assert.equal(runsOf(m, w).length, expectedRuns, w.name);
    // Inside each callback: PENDING cleared, BUSY held, LAZY/HARD/type intact.
    assert.deepEqual(
      seen.get(w),
      new Array(expectedRuns).fill(t | IRQ_WORK_BUSY | CSD_TYPE_IRQ_WORK),
      w.name,
    );
    // Afterwards: exactly the kind bits and the type.
    assert.equal(w.flags, t | CSD_TYPE_IRQ_WORK, w.name);
    // RT: the plain and LAZY ones ran in irq_work/N (remotely via the target's lazy list, §5.5).
    runsOf(m, w).forEach((r, i) => {
      assert.equal(r.cpu, i < 2 ? 0 : 1, w.name);
      assertRanWhereConfigSays(cell, r, t);
    });
  }
  assert.deepEqual(m.findings, []);
});

// ---------------------------------------------------------------- §2 the lock-free list

/** The list tests run the llist operations outside a machine, as CPU 0 on a memory of their own. */
const MEM = new Memory();

Deno.test("rule 2.1: push links to the old head, becomes the head, reports the empty edge", () => {
  const head = new LlistHead<Node>();
  const [a, b, c] = [new Node("a"), new Node("b"), new Node("c")];
  assert.equal(drive(llistAdd(MEM, 0, a, head)), true);
  assert.equal(head.first, a);
  assert.equal(a.next, null);
  assert.equal(drive(llistAdd(MEM, 0, b, head)), false);
  assert.equal(head.first, b);
  assert.equal(b.next, a);
  assert.equal(drive(llistAdd(MEM, 0, c, head)), false);
  assert.deepEqual(chain(head.first), ["c", "b", "a"]);
  drive(llistDelAll(MEM, 0, head));
  assert.equal(drive(llistAdd(MEM, 0, a, head)), true, "the list is empty again after take-all");
  // The push is one atomic step: exactly one yield before it takes effect.
  const other = new LlistHead<Node>();
  const gen = llistAdd(MEM, 0, b, other);
  assert.deepEqual(gen.next(), { value: 0, done: false });
  assert.equal(other.first, null);
  assert.deepEqual(gen.next(), { value: true, done: true });
  assert.equal(other.first, b);
});

matrixTest("rule 2.1: a push from NMI between two task pushes is not lost", (cell) => {
  const m = cell.machine({ cpus: 1 });
  const events = record(m);
  const order: string[] = [];
  const fn = (w: IrqWork) => void order.push(w.name);
  const [a, b, c] = [irqWorkInit(fn, "a"), irqWorkInit(fn, "b"), irqWorkInit(fn, "c")];
  let nmiResult: boolean | undefined;
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    assert.equal(yield* ctx.queue(a), true);
    yield* ctx.spend(20_000); // the NMI lands here
    assert.equal(yield* ctx.queue(c), true);
    yield* ctx.irqEnable();
  });
  m.nmi(0, 1_010_000, function* (ctx) {
    assert.equal(ctx.context, "nmi");
    nmiResult = yield* ctx.queue(b);
  });
  m.runUntil(12_000_000);
  assert.equal(nmiResult, true);
  // One list, three pushes (task, NMI, task): drained newest first, nothing lost.
  assert.deepEqual(order, ["c", "b", "a"]);
  // The one list: the raised list, or on RT the lazy list (plain works, rule 4.3).
  const lists = events.filter((e) => e.type === "irq_work_queue").map((e) =>
    e.type === "irq_work_queue" && e.list
  );
  assert.deepEqual(lists, new Array(3).fill(cell.config.rt ? "lazy" : "raised"));
  // Only the first push saw the empty list (on RT its raise only wakes irq_work/0).
  assert.equal(selfRaises(events, 0).length, cell.arch.hasIrqWorkInterrupt ? 1 : 0);
  for (const r of m.runs) assertRanWhereConfigSays(cell, r, 0);
  assert.deepEqual(m.findings, []);
});

Deno.test("rule 2.2: take-all detaches the whole chain, newest first", () => {
  const head = new LlistHead<Node>();
  assert.equal(drive(llistDelAll(MEM, 0, head)), null, "nothing from an empty list");
  const nodes = ["a", "b", "c", "d"].map((n) => new Node(n));
  for (const n of nodes) drive(llistAdd(MEM, 0, n, head));
  const first = drive(llistDelAll(MEM, 0, head));
  assert.equal(head.first, null);
  assert.equal(llistEmpty(MEM, 0, head), true);
  assert.deepEqual(chain(first), ["d", "c", "b", "a"]);
  assert.equal(nodes[0]!.next, null, "the oldest node ends the chain");
});

Deno.test("rule 2.3: reverse turns a detached chain around", () => {
  assert.equal(llistReverseOrder(null), null);
  const one = new Node("x");
  assert.equal(llistReverseOrder(one), one);
  assert.equal(one.next, null);
  const head = new LlistHead<Node>();
  for (const n of ["a", "b", "c"]) drive(llistAdd(MEM, 0, new Node(n), head));
  const detached = drive(llistDelAll(MEM, 0, head));
  const reversed = llistReverseOrder(detached);
  assert.deepEqual(chain(reversed), ["a", "b", "c"]);
  assert.equal(chain(llistReverseOrder(reversed)).join(""), "cba", "reversing twice restores the chain");
});

Deno.test("rule 2.4: is-empty is a step-free snapshot", () => {
  const head = new LlistHead<Node>();
  assert.equal(llistEmpty(MEM, 0, head), true);
  const gen = llistAdd(MEM, 0, new Node("a"), head);
  gen.next(); // the push's step: not yet in the list
  assert.equal(llistEmpty(MEM, 0, head), true);
  gen.next();
  assert.equal(llistEmpty(MEM, 0, head), false);
  drive(llistDelAll(MEM, 0, head));
  assert.equal(llistEmpty(MEM, 0, head), true);
});

Deno.test("rule 2.5: pushing a node already on the list corrupts it", async (t) => {
  await t.step("the head pushed again links to itself", () => {
    const head = new LlistHead<Node>();
    const a = new Node("a");
    assert.equal(drive(llistAdd(MEM, 0, a, head)), true);
    assert.equal(drive(llistAdd(MEM, 0, a, head)), false, "not detected");
    assert.equal(head.first, a);
    assert.equal(a.next, a);
    assert.deepEqual(chain(head.first, 4), ["a", "a", "a", "a"]);
  });
  await t.step("a node behind the head pushed again forms a cycle and loses what followed it", () => {
    const head = new LlistHead<Node>();
    const [c, a, b] = [new Node("c"), new Node("a"), new Node("b")];
    for (const n of [c, a, b]) drive(llistAdd(MEM, 0, n, head));
    assert.deepEqual(chain(head.first), ["b", "a", "c"]);
    drive(llistAdd(MEM, 0, a, head));
    assert.deepEqual(chain(head.first, 5), ["a", "b", "a", "b", "a"]);
    assert.equal(chain(head.first, 50).includes("c"), false, "c is unreachable");
  });
});

// ---------------------------------------------------------------- §3 claiming

Deno.test("rule 3.1: claim ORs PENDING|BUSY|0x20 and succeeds iff PENDING was clear", () => {
  const m = createMachine({ arch: tickOnly(), cpus: 1 });
  const cpu = m.kernel.cpus[0]!;
  const cases: [number, boolean][] = [
    [0, true],
    [IRQ_WORK_LAZY, true],
    [IRQ_WORK_HARD_IRQ, true],
    [IRQ_WORK_BUSY, true], // running, not queued
    [IRQ_WORK_BUSY | CSD_TYPE_IRQ_WORK | IRQ_WORK_LAZY, true],
    [IRQ_WORK_PENDING, false],
    [IRQ_WORK_CLAIMED | CSD_TYPE_IRQ_WORK, false],
    [IRQ_WORK_CLAIMED | CSD_TYPE_IRQ_WORK | IRQ_WORK_HARD_IRQ, false],
  ];
  for (const [flags, ok] of cases) {
    const w = new IrqWork(() => {}, flags, "w");
    assert.equal(drive(m.kernel.irqWork.irqWorkClaim(cpu, w)), ok, `from 0x${flags.toString(16)}`);
    assert.equal(w.flags, flags | 0x23, `from 0x${flags.toString(16)}`);
  }
});

matrixTest("rule 3.1: a queued work carries PENDING|BUSY|type until it runs", (cell) => {
  const m = cell.machine({ cpus: 1 });
  const w = irqWorkInitLazy(() => {}, "w");
  let queued = -1;
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    assert.equal(yield* ctx.queue(w), true);
    queued = w.flags;
  });
  m.runUntil(2_000_000);
  // LAZY with a running tick: no raise, so it is still queued here on every arch.
  assert.equal(queued, IRQ_WORK_LAZY | 0x23);
  assert.equal(w.flags, IRQ_WORK_LAZY | 0x23);
  assert.equal(m.runs.length, 0);
  m.runUntil(5_000_000);
  assert.equal(m.runs.length, 1);
  // RT: the 4 ms tick woke irq_work/0, which ran it (rule 8.2).
  assertRanWhereConfigSays(cell, m.runs[0]!, IRQ_WORK_LAZY);
  assert.equal(w.flags, IRQ_WORK_LAZY | CSD_TYPE_IRQ_WORK);
});

matrixTest("rule 3.2: a work queued again from its own callback runs again later", LEGACY, (cell) => {
  const m = cell.machine({ cpus: 1 });
  const events = record(m);
  const results: boolean[] = [];
  const flagsAfterRequeue: number[] = [];
  const w = irqWorkInit(function* (work, ctx) {
    if (results.length === 0) {
      results.push(yield* ctx.queue(work));
      flagsAfterRequeue.push(work.flags);
    }
    yield* ctx.spend(1_000);
  }, "self");
  let queuedAt = -1;
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    assert.equal(yield* ctx.queue(w), true);
    queuedAt = ctx.now;
    yield* ctx.irqEnable();
    // Still running when the self-interrupt arrives (powerpc's comes 2 ns late): on RT the thread
    // then preempts this task rather than waiting for a switch to idle to finish.
    yield* ctx.spend(10_000);
  });
  m.runUntil(20_000_000);
  assert.deepEqual(results, [true], "claim succeeds while BUSY (PENDING clear)");
  assert.deepEqual(flagsAfterRequeue, [0x23]);
  const runs = runsOf(m, w);
  assert.equal(runs.length, 2);
  const [first, second] = [runs[0]!, runs[1]!];
  const { irqEntryNs, irqExitNs } = m.kernel.arch.timing;
  if (cell.config.rt) {
    // RT: the plain work is on the lazy list and irq_work/0 runs it (rules 4.3, 9). The re-queue
    // from inside the callback finds the lazy list empty again (the drain took it all), so it raises
    // where there is a self-interrupt (whose run() only finds the thread awake already); either way
    // the thread's loop sees the list non-empty and runs the work again at once (§9.4).
    const wokenAt = cell.arch.hasIrqWorkInterrupt
      ? queuedAt + selfIrqDelay(m) + irqEntryNs
      : tickRunStart(m, nextTick(m, queuedAt));
    assert.equal(first.startedAt, threadStart(m, wokenAt));
    assert.equal(second.startedAt, first.endedAt);
    assert.equal(selfRaises(events, 0).length, cell.arch.hasIrqWorkInterrupt ? 2 : 0);
  } else if (cell.arch.hasIrqWorkInterrupt) {
    // The self-interrupt raised inside the callback is taken right after this one returns.
    assert.equal(first.startedAt, queuedAt + selfIrqDelay(m) + irqEntryNs);
    assert.equal(second.startedAt, first.endedAt + irqExitNs + irqEntryNs);
    assert.equal(selfRaises(events, 0).length, 2);
  } else {
    // Both wait for a tick; the re-queued one for the next one.
    const tick = nextTick(m, queuedAt);
    assert.equal(first.startedAt, tickRunStart(m, tick));
    assert.equal(second.startedAt, tickRunStart(m, tick + m.kernel.ticks.periodNs));
  }
  for (const r of runs) {
    assert.equal(r.cpu, 0);
    assertRanWhereConfigSays(cell, r, 0);
  }
  // The first run also paid for its raise (x86 waits for the ICR); the second only spent its 1 µs.
  assert.ok(first.endedAt - first.startedAt >= 1_000);
  assert.equal(second.endedAt - second.startedAt, 1_000);
  assert.equal(w.flags, CSD_TYPE_IRQ_WORK);
});

// Needs a second CPU; the one-CPU case (re-queue on the same CPU) is the test above.
matrixTest(
  "rule 3.2: a running work is claimed from another CPU and runs there concurrently",
  { skip: smpOnly },
  (cell) => {
    const m = cell.machine({ cpus: 2 });
    const w = irqWorkInit(function* (_w, ctx) {
      yield* ctx.spend(5_000_000); // longer than a tick period
    }, "long");
    let flagsSeenByCpu1 = -1;
    let claimed: boolean | undefined;
    m.spawn({ cpu: 0, name: "t0", at: 1_000_000 }, function* (ctx) {
      assert.equal(yield* ctx.queue(w), true);
    });
    m.spawn({ cpu: 1, name: "t1", at: 5_000_000 }, function* (ctx) {
      flagsSeenByCpu1 = w.flags;
      claimed = yield* ctx.queue(w);
    });
    m.runUntil(30_000_000);
    assert.equal(flagsSeenByCpu1, IRQ_WORK_BUSY | CSD_TYPE_IRQ_WORK, "running on CPU 0: BUSY, not PENDING");
    assert.equal(claimed, true);
    const on0 = m.runs.filter((r) => r.cpu === 0);
    const on1 = m.runs.filter((r) => r.cpu === 1);
    assert.equal(on0.length, 1);
    assert.equal(on1.length, 1);
    // The two executions overlap in time.
    assert.ok(on1[0]!.startedAt > on0[0]!.startedAt);
    assert.ok(on1[0]!.startedAt < on0[0]!.endedAt, "CPU 1 started while CPU 0 still ran it");
    // RT: both in their CPU's irq_work/N thread.
    for (const r of [on0[0]!, on1[0]!]) assertRanWhereConfigSays(cell, r, 0);
    assert.equal(w.flags, CSD_TYPE_IRQ_WORK);
  },
);

// Needs a second CPU to queue from while CPU 0 runs the callback.
matrixTest(
  "rule 3.2: a running work queued back to its CPU from another CPU runs again after",
  { skip: smpOnly, ...LEGACY },
  (cell) => {
    const m = cell.machine({ cpus: 2 });
    const events = record(m);
    const w = irqWorkInit(function* (_w, ctx) {
      yield* ctx.spend(5_000_000);
    }, "long");
    let claimed: boolean | undefined;
    m.spawn({ cpu: 0, name: "t0", at: 1_000_000 }, function* (ctx) {
      assert.equal(yield* ctx.queue(w), true);
    });
    m.spawn({ cpu: 1, name: "t1", at: 5_000_000 }, function* (ctx) {
      claimed = yield* ctx.queueOn(w, 0);
    });
    m.runUntil(30_000_000);
    assert.equal(claimed, true);
    const runs = runsOf(m, w);
    assert.equal(runs.length, 2);
    const [first, second] = [runs[0]!, runs[1]!];
    assert.equal(first.cpu, 0);
    assert.equal(second.cpu, 0);
    assert.ok(second.queuedAt > first.startedAt && second.queuedAt < first.endedAt, "claimed while running");
    if (cell.config.rt) {
      // RT (rule 5.5): the work went onto CPU 0's lazy list, which the running drain had emptied, so
      // CPU 1 also sent CPU 0's HARD irq_work_wake through the call-single queue. Its interrupt
      // lands in the middle of the callback (the thread runs with IRQs on) and finds the thread
      // awake; the thread's loop then runs the work again straight after the first run (§9.4).
      const wakeup = runsOf(m, m.kernel.irqWork.wakeup.get(0));
      assert.equal(wakeup.length, 1);
      assert.equal(wakeup[0]!.context, "hardirq");
      assert.ok(wakeup[0]!.startedAt > first.startedAt && wakeup[0]!.endedAt < first.endedAt);
      assert.equal(second.startedAt, first.endedAt);
      for (const r of runs) assertRanWhereConfigSays(cell, r, 0);
    } else {
      // The call-function IPI waits for the running interrupt to return. That interrupt may have
      // more to do after the callback (powerpc's decrementer then runs the tick that fell due).
      const exit = events.find((e) =>
        e.type === "irq_vector_exit" && e.cpu === 0 && e.time >= first.endedAt
      )!;
      const { irqEntryNs, irqExitNs } = m.kernel.arch.timing;
      assert.equal(second.startedAt, exit.time + irqExitNs + irqEntryNs);
    }
    assert.equal(m.interrupts.call_function_single[0], 1);
    assert.equal(w.flags, CSD_TYPE_IRQ_WORK);
  },
);

matrixTest("rule 3.3: a failed claim changes nothing and returns false", (cell) => {
  const cpus = smpCpus(cell);
  const m = cell.machine({ cpus });
  const events = record(m);
  const w = irqWorkInit(() => {}, "w");
  const r = irqWorkInit(() => {}, "r");
  const results: boolean[] = [];
  let flagsBefore = -1, flagsAfter = -1;
  let headAfter: unknown, nextAfter: unknown;
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    results.push(yield* ctx.queue(w));
    flagsBefore = w.flags;
    results.push(yield* ctx.queue(w));
    results.push(yield* ctx.queueOn(w, 0));
    if (cpus > 1) {
      results.push(yield* ctx.queueOn(r, 1));
      results.push(yield* ctx.queueOn(r, 1));
      results.push(yield* ctx.queue(r));
    }
    flagsAfter = w.flags;
    // RT: a plain work's local list is the lazy list (rule 4.3).
    headAfter = (cell.config.rt ? m.kernel.irqWork.lazyList : m.kernel.irqWork.raisedList).get(0).first;
    nextAfter = w.next;
    yield* ctx.irqEnable();
  });
  m.runUntil(20_000_000);
  assert.deepEqual(results, cpus > 1 ? [true, false, false, true, false, false] : [true, false, false]);
  assert.equal(flagsBefore, 0x23);
  assert.equal(flagsAfter, 0x23);
  assert.equal(headAfter, w, "still the only entry");
  assert.equal(nextAfter, null);
  // One queue event and one raise per successful claim only. RT: the remote r goes onto CPU 1's
  // lazy list and CPU 1's irq_work_wake goes through the call-single queue (rule 5.5).
  const queues = events.filter((e) => e.type === "irq_work_queue").map((e) =>
    e.type === "irq_work_queue" && `${e.work}:${e.target}:${e.list}`
  );
  const remote = cell.config.rt ? ["r:1:lazy", "irq_work_wake:1:call_single"] : ["r:1:call_single"];
  assert.deepEqual(queues, [`w:0:${cell.config.rt ? "lazy" : "raised"}`, ...(cpus > 1 ? remote : [])]);
  assert.equal(selfRaises(events, 0).length, cell.arch.hasIrqWorkInterrupt ? 1 : 0);
  assert.equal(events.filter((e) => e.type === "csd_queue_cpu").length, cpus > 1 ? 1 : 0);
  assert.equal(runsOf(m, w).length, 1);
  assert.equal(runsOf(m, r).length, cpus > 1 ? 1 : 0);
  assert.deepEqual(m.findings, []);
});

// ---------------------------------------------------------------- §6 running one work

matrixTest("rule 6.1/6.4: PENDING is cleared before the callback, BUSY after it", (cell) => {
  const m = cell.machine({ cpus: 1 });
  const inside: number[] = [];
  const plain = irqWorkInit((w) => void inside.push(w.flags), "plain");
  const lazy = irqWorkInitLazy((w) => void inside.push(w.flags), "lazy");
  const hard = irqWorkInitHard((w) => void inside.push(w.flags), "hard");
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.irqDisable();
    for (const w of [plain, lazy, hard]) yield* ctx.queue(w);
    yield* ctx.irqEnable();
  });
  m.runUntil(20_000_000);
  if (cell.config.rt) {
    // RT: plain and lazy share the lazy list, which irq_work/0 drains newest first after the
    // hard-IRQ drain of the raised list has woken it (rules 4.3, 8).
    assert.deepEqual(m.runs.map((r) => r.work.name), ["hard", "lazy", "plain"]);
    assert.deepEqual(inside, [0x2a, 0x26, 0x22]);
  } else {
    // The lazy list is drained after the raised one (hard, plain newest first, then lazy).
    assert.deepEqual(m.runs.map((r) => r.work.name), ["hard", "plain", "lazy"]);
    assert.deepEqual(inside, [0x2a, 0x22, 0x26]);
  }
  for (const r of m.runs) assertRanWhereConfigSays(cell, r, r.work.flags);
  assert.deepEqual([plain.flags, lazy.flags, hard.flags], [0x20, 0x24, 0x28]);
});

matrixTest("rule 6.1/6.4: a work re-claimed during its callback stays BUSY and runs again", (cell) => {
  const m = cell.machine({ cpus: 1 });
  let runs = 0;
  // The flags are observed at the exit of the interrupt that ran the callback: on RT only a HARD
  // work runs in hard-IRQ (a plain one runs in irq_work/0, checked below).
  const kind = cell.config.rt ? IRQ_WORK_HARD_IRQ : 0;
  const w = new IrqWork(
    function* (work, ctx) {
      runs++;
      if (runs === 1) assert.equal(yield* ctx.queue(work), true);
      yield* ctx.spend(100);
    },
    kind,
    "again",
  );
  // Flags as the interrupt that ran each callback leaves (after the single step's compare-and-swap).
  const atExit: number[] = [];
  let ranInThisIrq = false;
  m.observe((e) => {
    if (e.type === "irq_work_execute_end") ranInThisIrq = true;
    if (e.type === "irq_vector_exit" && ranInThisIrq) {
      ranInThisIrq = false;
      atExit.push(w.flags);
    }
  });
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.queue(w);
  });
  m.runUntil(20_000_000);
  assert.equal(runs, 2);
  // First exit: the compare-and-swap failed, the work is claimed and pending. Second: released.
  assert.deepEqual(atExit, [0x23 | kind, 0x20 | kind]);
  assert.equal(w.flags, CSD_TYPE_IRQ_WORK | kind);
  for (const r of runsOf(m, w)) assertRanWhereConfigSays(cell, r, kind);
});

matrixTest(
  "rule 6.1/6.4: on RT a plain work re-claimed during its callback runs again in the same wake-up",
  { skip: rtOnly, ...LEGACY },
  (cell) => {
    // RT, plain work: irq_work/0 runs it twice in one wake-up (rule 9.4). The second callback still
    // sees BUSY, so the first single step's compare-and-swap failed rather than clearing it.
    const m2 = cell.machine({ cpus: 1 });
    const atStart: number[] = [];
    let afterRequeue = -1;
    const p = irqWorkInit(function* (work, ctx) {
      atStart.push(work.flags);
      if (atStart.length === 1) {
        assert.equal(yield* ctx.queue(work), true);
        afterRequeue = work.flags;
      }
      yield* ctx.spend(100);
    }, "again");
    m2.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
      yield* ctx.queue(p);
    });
    m2.runUntil(20_000_000);
    assert.deepEqual(atStart, [0x22, 0x22]);
    assert.equal(afterRequeue, 0x23);
    const pr = runsOf(m2, p);
    assert.equal(pr.length, 2);
    assert.equal(pr[1]!.startedAt, pr[0]!.endedAt, "the thread's loop, no new wake-up");
    for (const r of pr) assertRanWhereConfigSays(cell, r, 0);
    assert.equal(p.flags, CSD_TYPE_IRQ_WORK);
  },
);

matrixTest("rule 6.3: the callback gets the work and the running CPU's context", (cell) => {
  const cpus = smpCpus(cell);
  const m = cell.machine({ cpus });
  const target = cpus - 1;
  const seen: { work: IrqWork; cpu: number; context: string; irqsOff: boolean; now: number }[] = [];
  const w = irqWorkInit(function* (work, ctx) {
    seen.push({ work, cpu: ctx.cpu, context: ctx.context, irqsOff: ctx.irqsDisabled, now: ctx.now });
    yield* ctx.spend(2_500);
  }, "w");
  m.spawn({ cpu: 0, name: "t", at: 1_000_000 }, function* (ctx) {
    yield* ctx.queueOn(w, target);
  });
  m.runUntil(20_000_000);
  assert.equal(seen.length, 1);
  assert.equal(runsOf(m, w).length, 1);
  assert.equal(seen[0]!.work, w);
  assert.equal(seen[0]!.cpu, target);
  // RT: a plain work runs in the target's irq_work/N, preemptible with IRQs on (rules 0.4, 9.4).
  assert.equal(seen[0]!.context, cell.config.rt ? "task" : "hardirq");
  assert.equal(seen[0]!.irqsOff, !cell.config.rt);
  const run = runsOf(m, w)[0]!;
  assertRanWhereConfigSays(cell, run, 0);
  assert.equal(run.work, w);
  assert.equal(run.cpu, target);
  assert.equal(run.startedAt, seen[0]!.now);
  assert.equal(run.endedAt - run.startedAt, 2_500, "the callback's spent time is the run's length");
});

matrixTest(
  "rule 6.5: without a self-interrupt, or on RT for a non-HARD work, the syncer sleeps and the single step wakes it",
  LEGACY,
  (cell) => {
    // On RT also a HARD work: it keeps the !RT answer (sleep only without a self-interrupt).
    for (const kind of cell.config.rt ? [0, IRQ_WORK_HARD_IRQ] : [0]) syncScenario(cell, kind);
  },
);

/** Rule 6.5 for a work with the kind bits `kind`: a syncer on CPU 0, the work running on the last CPU. */
function syncScenario(cell: Cell, kind: number): void {
  const what = kind ? "HARD" : "plain";
  const cpus = smpCpus(cell);
  const m = cell.machine({ cpus, kernel: "C" }); // C: D adds a grace period after the wake-up (rule 11.4)
  const events = record(m);
  const runner = cpus - 1; // the work runs on CPU 1 where there is one, else on the syncer's CPU
  const w = new IrqWork(
    function* (_w, ctx) {
      yield* ctx.spend(50_000);
    },
    kind,
    "w",
  );
  let syncReturned = -1;
  m.spawn({ cpu: runner, name: "queuer", at: 1_000_000 }, function* (ctx) {
    if (cpus > 1) {
      yield* ctx.irqDisable(); // keep the work queued-not-running until the syncer waits
      yield* ctx.queue(w);
      yield* ctx.spend(20_000);
      yield* ctx.irqEnable();
    }
  });
  m.spawn({ cpu: 0, name: "syncer", at: 1_010_000 }, function* (ctx) {
    if (cpus === 1) yield* ctx.queue(w);
    yield* ctx.sync(w);
    syncReturned = ctx.now;
  });
  m.runUntil(20_000_000);
  const run = runsOf(m, w);
  assert.equal(run.length, 1, what);
  assert.equal(run[0]!.cpu, runner, what);
  assertRanWhereConfigSays(cell, run[0]!, kind);
  assert.ok(syncReturned >= run[0]!.endedAt, "sync returns only once BUSY is clear");
  const sleeps = events.filter((e) =>
    e.type === "sched_switch" && e.prevComm === "syncer" && e.prevState === "D"
  );
  const wakes = events.filter((e) => e.type === "sched_wakeup" && e.wakeComm === "syncer");
  // Sleeping branch (rule 11.3): RT with a non-HARD work (whatever the arch), or no self-interrupt.
  if ((cell.config.rt && !kind) || !cell.arch.hasIrqWorkInterrupt) {
    assert.equal(sleeps.length, 1, `${what}: slept uninterruptibly once`);
    assert.ok(sleeps[0]!.time < run[0]!.startedAt, "asleep before the work ran");
    assert.equal(wakes.length, 2, "the spawn wake-up, then the one from the single step");
    const end = run[0]!.endedAt;
    if (cpus === 1) {
      assert.equal(wakes[1]!.time, end, "woken by the single step right after the callback");
    } else if (!cell.config.rt) {
      // The single step on CPU 1 wakes a task of idle CPU 0 through its call-single queue.
      const ttwu = events.filter((e) => e.type === "csd_queue_cpu" && e.func === "sched_ttwu_pending");
      assert.equal(ttwu.length, 1);
      assert.equal(ttwu[0]!.cpu, runner);
      assert.equal(ttwu[0]!.time, end);
      assert.equal(wakes[1]!.time, end + m.kernel.arch.timing.ipiLatencyNs + m.kernel.arch.timing.irqEntryNs);
    } else {
      // RT has no wake list (rule 17.2): CPU 1 activates the task itself and sends CPU 0 a reschedule IPI.
      assert.equal(
        events.filter((e) => e.type === "csd_queue_cpu" && e.func === "sched_ttwu_pending").length,
        0,
      );
      assert.equal(wakes[1]!.cpu, runner);
      assert.equal(wakes[1]!.time, end);
      const resched = events.filter((e) =>
        e.type === "ipi_send_cpu" && e.callback === null && e.target === 0
      );
      assert.equal(resched.length, 1, "one reschedule IPI to CPU 0");
      assert.equal(resched[0]!.cpu, runner);
    }
    assert.ok(syncReturned > wakes[1]!.time);
    assert.equal(w.irqwait.value, null, "the waiter slot is cleared");
  } else {
    // Busy-wait branch: the syncer never leaves the CPU and nobody wakes it; it sees BUSY
    // clear within one cpu_relax() of the single step's release.
    assert.equal(sleeps.length, 0, what);
    assert.ok(syncReturned - run[0]!.endedAt <= m.kernel.timing.cpuRelaxNs);
    assert.equal(wakes.length, 1, "only the spawn wake-up");
    assert.equal(
      events.filter((e) => e.type === "sched_switch" && e.prevComm === "syncer" && e.prevState !== "Z")
        .length,
      0,
    );
  }
  assert.deepEqual(m.findings, [], what);
}
