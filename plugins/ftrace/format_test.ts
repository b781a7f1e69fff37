import assert from "node:assert/strict";
import { formatCpumask, formatEvent, ftraceHeader, latencyFlags } from "./format.ts";

/** The typed header of an event in hard-IRQ context with IRQs off and preemption depth 1. */
const IN_HARDIRQ = {
  irqsOff: true,
  needResched: false,
  context: "hardirq",
  preemptDepth: 1,
  migrateDisable: 0,
} as const;
/** ... in task context with everything enabled. */
const IN_TASK = {
  irqsOff: false,
  needResched: false,
  context: "task",
  preemptDepth: 0,
  migrateDisable: 0,
} as const;

Deno.test("trace: a line has the kernel's ftrace layout", () => {
  const line = formatEvent({
    time: 123_456_789_012,
    cpu: 1,
    pid: 0,
    comm: "swapper/1",
    ...IN_HARDIRQ,
    type: "irq_vector_entry",
    vector: 246,
    name: "irq_work",
    detail: "vector=246",
  }, 2);
  assert.equal(line, "          <idle>-0       [001] d.h1.   123.456789: irq_work_entry: vector=246");
});

Deno.test("trace: task names are right-aligned in 16 columns and pids left-aligned in 7", () => {
  const line = formatEvent({
    time: 5_000,
    cpu: 12,
    pid: 42,
    comm: "producer",
    ...IN_TASK,
    type: "sched_wakeup",
    wakeComm: "waiter",
    wakePid: 43,
    prio: 49,
    targetCpu: 3,
  }, 16);
  assert.equal(
    line,
    "        producer-42      [012] .....     0.000005: sched_wakeup: comm=waiter pid=43 prio=49 target_cpu=003",
  );
});

Deno.test("trace: the header names the five latency columns in order", () => {
  const order = ["irqs-off", "need-resched", "hardirq/softirq", "preempt-depth", "migrate-disable"];
  const header = ftraceHeader(12, 4);
  assert.ok(
    header.startsWith("# tracer: nop\n#\n# entries-in-buffer/entries-written: 12/12   #P:4\n"),
    header,
  );
  const at = order.map((name) => header.indexOf(name));
  assert.ok(at.every((i, k) => i > 0 && (k === 0 || i > at[k - 1]!)), `columns out of order: ${at}`);
  assert.match(header, /TASK-PID {5}CPU# {2}\|\|\|\|\| {2}TIMESTAMP {2}FUNCTION/);
});

Deno.test("trace: cpumasks print as %*pb does, in 32-bit groups, the first as wide as its bits", () => {
  assert.equal(formatCpumask([1], 2), "2");
  assert.equal(formatCpumask([3], 4), "8");
  assert.equal(formatCpumask([4], 8), "10");
  assert.equal(formatCpumask([0], 32), "00000001");
  assert.equal(formatCpumask([1], 64), "00000000,00000002");
  assert.equal(formatCpumask([33], 64), "00000002,00000000");
  assert.equal(formatCpumask([32], 40), "01,00000000");
  assert.equal(formatCpumask([0, 1, 33], 64), "00000002,00000003", "several CPUs");
});

Deno.test("trace: the latency flags come from the typed header, as the kernel prints them", () => {
  assert.equal(latencyFlags(IN_HARDIRQ), "d.h1.");
  assert.equal(latencyFlags(IN_TASK), ".....");
  assert.equal(latencyFlags({ ...IN_TASK, context: "nmi", needResched: true, preemptDepth: 0x12 }), ".NZ2.");
  assert.equal(latencyFlags({ ...IN_TASK, migrateDisable: 2 }), "....1");
});

Deno.test("trace: an IPI's arrival has no ftrace line (the kernel has no such tracepoint)", () => {
  assert.equal(
    formatEvent({
      time: 0,
      cpu: 0,
      pid: 0,
      comm: "swapper/0",
      ...IN_HARDIRQ,
      type: "ipi_arrive",
      ipi: 1,
      from: 1,
      kind: "reschedule",
    }, 2),
    null,
  );
});
