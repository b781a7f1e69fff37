/**
 * irq_work_queue_on(): a task on CPU 0 sends works to CPU 1. Remote works
 * travel through CPU 1's call-single queue; only the push that finds the
 * queue empty sends the IPI, and the flush reverses the queue, so works
 * queued in one burst run oldest first (rule 7.3). Works CPU 1 queues on
 * itself go to its raised list, which is drained newest first (rule 7.1). A LAZY
 * work sent to another CPU does not wait for that CPU's tick: the IPI runs
 * it (rule 5.4).
 *
 * Run: deno run examples/remote.ts
 *
 * @module
 */

import { createMachine, ftrace, type IrqWorkFunc, irqWorkInit, irqWorkInitLazy } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";

const tracer = ftrace({ filter: (e) => e.type !== "tick_stop" && e.type !== "tick" });
const m = createMachine({ arch: x86(), cpus: 2, seed: 1, plugins: [tracer] });
const order: string[] = [];
const callback: IrqWorkFunc = (work, ctx) => {
  order.push(`${work.name}@cpu${ctx.cpu}`);
};
const work = (name: string) => irqWorkInit(callback, name);
const [a, b, c, x, y, z] = [work("A"), work("B"), work("C"), work("X"), work("Y"), work("Z")];
const lazy = irqWorkInitLazy(callback, "L");

m.spawn({ cpu: 0, name: "sender", policy: "fifo", priority: 50, at: 1_000_000 }, function* (ctx) {
  for (const work of [a, b, c]) yield* ctx.queueOn(work, 1); // one IPI: only A finds the queue empty
  yield* ctx.spend(20_000);
  yield* ctx.queueOn(lazy, 1); // LAZY, but remote: runs at the IPI, not at CPU 1's tick
});
m.spawn({ cpu: 1, name: "local", policy: "fifo", priority: 50, at: 1_010_000 }, function* (ctx) {
  yield* ctx.irqDisable();
  for (const work of [x, y, z]) yield* ctx.queue(work); // one self-IPI, latched while IRQs are off
  yield* ctx.irqEnable();
});
m.runUntil(2_000_000);

console.log(tracer.text());
console.log(`remote burst A,B,C ran: ${order.slice(0, 3).join(" ")}   (call-single queue: oldest first)`);
console.log(`local burst X,Y,Z ran:  ${order.slice(3, 6).join(" ")}   (raised list: newest first)`);
const l = m.runs.find((r) => r.work === lazy)!;
console.log(
  `remote LAZY work L ran ${(l.startedAt - l.queuedAt) / 1000} µs after queueing, in ${l.context} context`,
);
console.log(
  `interrupts on CPU 1: call_function_single=${m.interrupts.call_function_single[1]} irq_work=${
    m.interrupts.irq_work[1]
  }`,
);
