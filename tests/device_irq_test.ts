/**
 * Device interrupts (docs/rules.md, section 20): request_irq(),
 * request_threaded_irq(), ONESHOT masking, and forced threading on
 * PREEMPT_RT and with threadirqs.
 */

import assert from "node:assert/strict";
import { x86 } from "../arch/x86/mod.ts";
import { createMachine, irqWorkInit, type Machine, type MachineOptions, type TraceEvent } from "../mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";
import { record } from "./helpers.ts";

function machine(options: Partial<MachineOptions> = {}): { m: Machine; events: TraceEvent[] } {
  const m = createMachine({ arch: x86(), cpus: 2, ...options });
  return { m, events: record(m) };
}

/** The `irq_handler_entry`/`exit` details of `irq`, in order. */
function handlerLines(events: readonly TraceEvent[], irq: number): string[] {
  return events.flatMap((e) =>
    (e.type === "irq_vector_entry" || e.type === "irq_vector_exit") && e.name === "irq_handler" &&
      e.vector === irq
      ? [`${e.type === "irq_vector_entry" ? "entry" : "exit"} ${e.detail} cpu${e.cpu} ${e.context}`]
      : []
  );
}

Deno.test("rule 20.1: request_irq(): the handler runs in hard-IRQ context on the line's CPU", () => {
  const { m, events } = machine();
  const ran: string[] = [];
  const irq = m.requestIrq({
    irq: 42,
    name: "mydev",
    cpu: 1,
    handler: (ctx) => void ran.push(`${ctx.cpu} ${ctx.context} ${ctx.now}`),
    source: { at: [100_000, 250_000] },
  });
  m.runUntil(1_000_000);
  assert.equal(irq.count, 2);
  assert.deepEqual(irq.threads, []);
  assert.equal(ran.length, 2);
  assert.match(ran[0]!, /^1 hardirq 10\d{4}$/, "on CPU 1, just after the device raised it");
  assert.deepEqual(handlerLines(events, 42), [
    "entry irq=42 name=mydev cpu1 hardirq",
    "exit irq=42 ret=handled cpu1 hardirq",
    "entry irq=42 name=mydev cpu1 hardirq",
    "exit irq=42 ret=handled cpu1 hardirq",
  ]);
});

Deno.test("rule 20.1: a periodic device with jitter is deterministic and stays within its period", () => {
  const times = (seed: number) => {
    const { m } = machine({ seed });
    const at: number[] = [];
    m.requestIrq({
      irq: 7,
      name: "jit",
      cpu: 0,
      handler: (ctx) => void at.push(ctx.now),
      source: { periodNs: 100_000, jitterNs: 20_000, count: 20 },
    });
    m.runUntil(5_000_000);
    return at;
  };
  const a = times(3);
  assert.equal(a.length, 20);
  assert.deepEqual(times(3), a, "same seed, same interrupts");
  assert.notDeepEqual(times(4), a, "another seed, other jitter");
  a.forEach((t, i) => {
    const due = 100_000 * (i + 1);
    assert.ok(t >= due && t < due + 20_000 + 2_000, `interrupt ${i} at ${t}, due ${due}`);
  });
});

Deno.test("rule 20.2: request_threaded_irq(): irq/N-name at FIFO 50; the line stays masked until it is done", () => {
  const { m, events } = machine();
  const runs: number[] = [];
  const irq = m.requestIrq({
    irq: 33,
    name: "nic",
    cpu: 1,
    thread: function* (ctx) {
      runs.push(ctx.now);
      yield* ctx.spend(150_000);
    },
    // Three interrupts while the first thread run lasts: they are latched as one.
    source: { at: [100_000, 120_000, 140_000, 160_000, 500_000] },
  });
  m.runUntil(2_000_000);
  const [thread] = irq.threads;
  assert.equal(irq.threads.length, 1);
  assert.equal(thread!.comm, "irq/33-nic");
  assert.equal(thread!.policy, "fifo");
  assert.equal(thread!.prio, 49, "FIFO 50 is kernel prio 49");
  assert.equal(irq.count, 3, "the first, then the three masked ones as one, then the last");
  assert.equal(runs.length, 3);
  assert.ok(runs[1]! >= runs[0]! + 150_000, "the latched interrupt came after the unmask");
  // The latched interrupt arrives as the thread unmasks, so the thread goes round again without a switch.
  const switches = events.filter((e) => e.type === "sched_switch" && e.nextComm === "irq/33-nic");
  assert.equal(switches.length, 2);
});

Deno.test("rule 20.3: on PREEMPT_RT the handler is forced into irq/N-name, unless IRQF_NO_THREAD", async (t) => {
  for (const noThread of [false, true]) {
    await t.step(noThread ? "IRQF_NO_THREAD: hard IRQ" : "forced: the thread", () => {
      const { m } = machine({ plugins: [preemptRt()] });
      const seen: string[] = [];
      const irq = m.requestIrq({
        irq: 40,
        name: "dev",
        cpu: 1,
        noThread,
        handler: (ctx) => void seen.push(`${ctx.context} ${ctx.task.comm} irqs ${ctx.irqsDisabled}`),
        source: { at: [100_000] },
      });
      m.runUntil(1_000_000);
      assert.deepEqual(seen, [noThread ? "hardirq swapper/1 irqs true" : "task irq/40-dev irqs false"]);
      assert.equal(irq.threads.length, noThread ? 0 : 1);
    });
  }
  await t.step("a thread function as well runs in irq/N-s-name after the first thread", () => {
    const { m } = machine({ plugins: [preemptRt()] });
    const order: string[] = [];
    const irq = m.requestIrq({
      irq: 41,
      name: "dev",
      cpu: 0,
      handler: (ctx) => void order.push(`primary ${ctx.task.comm}`),
      thread: (ctx) => void order.push(`thread ${ctx.task.comm}`),
      source: { at: [100_000] },
    });
    m.runUntil(1_000_000);
    assert.deepEqual(order, ["primary irq/41-dev", "thread irq/41-s-dev"]);
    assert.deepEqual(irq.threads.map((t) => t.comm), ["irq/41-dev", "irq/41-s-dev"]);
  });
  await t.step("threadirqs without RT: forced, with interrupts off in the thread", () => {
    const { m } = machine({ threadIrqs: true });
    const seen: string[] = [];
    m.requestIrq({
      irq: 40,
      name: "dev",
      cpu: 1,
      handler: (ctx) => void seen.push(`${ctx.context} ${ctx.task.comm} irqs ${ctx.irqsDisabled}`),
      source: { at: [100_000] },
    });
    m.runUntil(1_000_000);
    assert.deepEqual(seen, ["task irq/40-dev irqs true"]);
  });
});

Deno.test("rule 20.3: a device IRQ queueing a plain irq_work: hard IRQ then self-IPI on !RT, two threads on RT", () => {
  const where = (rt: boolean) => {
    const { m } = machine({ plugins: rt ? [preemptRt()] : [] });
    const work = irqWorkInit(function* (_w, ctx) {
      yield* ctx.spend(30_000);
    }, "rx");
    m.requestIrq({
      irq: 42,
      name: "mydev",
      cpu: 1,
      handler: (ctx) => ctx.queue(work),
      source: { at: [100_000] },
    });
    m.runUntil(1_000_000);
    const run = m.runs.find((r) => r.work === work)!;
    return `${run.context} ${run.task.comm}`;
  };
  assert.equal(where(false), "hardirq swapper/1");
  assert.equal(where(true), "task irq_work/1");
});

Deno.test("requestIrq: bad requests are named", () => {
  const { m } = machine();
  const ok = { irq: 1, name: "d", cpu: 0, handler: () => {}, source: { at: [10] } };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ irq: 1024 }, /^requestIrq: irq must be 0\.\.1023, got 1024 \(number\)$/],
    [{ cpu: 2 }, /^requestIrq: cpu must be 0\.\.1, got 2 \(number\)$/],
    [{ name: "has space" }, /^requestIrq: name must be 1 to 15 printable characters without spaces/],
    [{ handler: 5 }, /^requestIrq: handler must be a function of the context, got 5 \(number\)$/],
    [{ handler: undefined }, /^requestIrq: give a handler, a thread, or both$/],
    [{ source: { periodNs: 0 } }, /^requestIrq: source\.periodNs must be a whole number >= 1, got 0/],
    [{ source: { periodNs: 10, jitterNs: 10 } }, /^requestIrq: source\.jitterNs must be 0\.\.9, got 10/],
    [{ source: { at: [-5] } }, /^requestIrq: source\.at\[0\] must be a whole number >= 0, got -5/],
    [{ source: "soon" }, /^requestIrq: source must be \{ at \} or \{ periodNs, \.\.\. \}, got "soon"/],
  ];
  for (const [change, message] of cases) {
    assert.throws(() => m.requestIrq({ ...ok, ...change } as never), { message }, JSON.stringify(change));
  }
  m.requestIrq(ok);
  assert.throws(() => m.requestIrq(ok), { message: /^requestIrq: IRQ 1 is already requested$/ });
});
