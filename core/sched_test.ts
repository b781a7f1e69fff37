import assert from "node:assert/strict";
import { internalPrio, PRIO_OTHER, RunQueue, type SchedPolicy, Task } from "./sched.ts";

const EMPTY = (function* () {})();
const MACHINE = {};
let pid = 1;
function task(policy: SchedPolicy, priority: number): Task {
  return new Task({
    pid: pid++,
    comm: `t${pid}`,
    cpu: 0,
    policy,
    prio: internalPrio(policy, priority, "test"),
    gen: EMPTY,
    machine: MACHINE,
  });
}

Deno.test("sched: internal priorities follow the kernel's scale", () => {
  assert.equal(internalPrio("fifo", 99, "t"), 0);
  assert.equal(internalPrio("fifo", 1, "t"), 98);
  assert.equal(internalPrio("rr", 50, "t"), 49);
  assert.equal(internalPrio("other", 0, "t"), PRIO_OTHER);
  assert.equal(task("fifo", 50).rtPriority, 50);
  assert.equal(task("other", 0).rtPriority, 0);
  assert.throws(
    () => internalPrio("fifo", 0, "Task x"),
    /Task x: SCHED_FIFO priority must be 1\.\.99, got 0/,
  );
  assert.throws(() => internalPrio("other", 3, "Task x"), /SCHED_OTHER takes priority 0, got 3/);
});

Deno.test("sched: the run queue keeps the best first and equal priorities in FIFO order", () => {
  const rq = new RunQueue();
  const low = task("other", 0), a = task("fifo", 50), b = task("fifo", 50), high = task("fifo", 90);
  for (const t of [low, a, b, high]) rq.enqueue(t);
  assert.equal(rq.first(), high);
  rq.dequeue(high);
  assert.equal(rq.first(), a);
  assert.ok(rq.hasPeerOf(a));
  rq.requeueTail(a);
  assert.equal(rq.first(), b, "round-robin expiry moves the task behind its peer");
  rq.dequeue(b);
  rq.dequeue(a);
  assert.equal(rq.first(), low);
  assert.ok(!rq.hasPeerOf(low));
  assert.equal(rq.length, 1);
  assert.ok(low.onRq && !a.onRq);
});
