import assert from "node:assert/strict";
import type { TraceEvent } from "../../core/mod.ts";
import { Timeline, type TimelineItem } from "./timeline.ts";

const header = (cpu: number, time: number) => ({
  time,
  cpu,
  pid: 0,
  comm: `swapper/${cpu}`,
  irqsOff: false,
  needResched: false,
  context: "task",
  preemptDepth: 0,
  migrateDisable: 0,
} as const);

Deno.test("timeline: an IPI sent to a mask gets one flow per target, each ending at its arrival", () => {
  const items: TimelineItem[] = [];
  const t = new Timeline(3, 0, (item) => items.push(item));
  const events: TraceEvent[] = [
    { ...header(0, 100), type: "ipi_raise", ipi: 7, targets: [1, 2], reason: "Function call interrupts" },
    { ...header(2, 150), type: "ipi_arrive", ipi: 7, from: 0, kind: "call_function" },
    { ...header(1, 160), type: "ipi_arrive", ipi: 7, from: 0, kind: "call_function" },
  ];
  for (const e of events) t.add(e);
  const sends = items.filter((i) => i.flowOut !== undefined);
  const arrivals = items.filter((i) => i.flowIn !== undefined);
  assert.deepEqual(sends.map((s) => [s.cpu, s.args.target]), [[0, 1], [0, 2]]);
  assert.deepEqual(arrivals.map((a) => [a.cpu, a.start]), [[2, 150], [1, 160]]);
  assert.equal(arrivals[0]!.flowIn, sends[1]!.flowOut, "CPU 2's arrival ends the flow sent to CPU 2");
  assert.equal(arrivals[1]!.flowIn, sends[0]!.flowOut);
});

Deno.test("timeline: a work queued twice runs twice, each run at the end of its own queue's flow", () => {
  const items: TimelineItem[] = [];
  const t = new Timeline(1, 0, (item) => items.push(item));
  const queue = {
    type: "irq_work_queue",
    work: "w",
    workId: 1,
    workFlags: 0x23,
    target: 0,
    list: "raised",
  } as const;
  const start = { type: "irq_work_execute_start", work: "w", workId: 1, hard: false } as const;
  const end = { type: "irq_work_execute_end", work: "w", workId: 1, hard: false } as const;
  for (
    const [time, body] of [[10, queue], [20, start], [25, queue], [30, end], [40, start], [50, end]] as const
  ) {
    t.add({ ...header(0, time), ...body } as TraceEvent);
  }
  const queues = items.filter((i) => i.name === "queue w").map((i) => i.flowOut);
  const runs = items.filter((i) => i.name === "w").map((i) => [i.start, i.duration, i.flowIn]);
  assert.deepEqual(runs, [[20, 10, queues[0]], [40, 10, queues[1]]]);
  const pending = items.filter((i) => i.ph === "C" && i.name === "irq_work pending CPU 0").map((i) =>
    i.args.raised
  );
  assert.deepEqual(pending, [1, 0, 1, 0]);
});
