/**
 * The irq_work protocol's shared-memory accesses, as the memory interface
 * reports them: where the kernel touches a shared word, the model does, and
 * nowhere else (rules 6.4, 6.5, 12.2 of docs/rules.md).
 *
 * @module
 */

import assert from "node:assert/strict";
import { Access, type AccessKind, type Cell } from "../core/mod.ts";
import { irqWorkInit, irqWorkInitHard } from "../mod.ts";
import { matrixTest, smpOnly } from "./matrix.ts";

/** One reported access. */
interface Record {
  readonly cpu: number;
  readonly cell: Cell<unknown> | null;
  readonly kind: AccessKind;
}

matrixTest(
  "rule 6.5: after the BUSY-clearing cmpxchg the runner reads the work only where the kernel does",
  (cell) => {
    for (const init of [irqWorkInit, irqWorkInitHard]) {
      const m = cell.machine({ cpus: 1 });
      const work = init(() => {}, "w");
      const log: Record[] = [];
      m.kernel.memory.listen((cpu, c, kind) => log.push({ cpu, cell: c, kind }));
      m.spawn({ cpu: 0, name: "q", at: 1_000_000 }, function* (ctx) {
        yield* ctx.queue(work);
      });
      m.runUntil(20_000_000);
      assert.equal(m.runs.length, 1);
      const release = log.findLastIndex((r) => r.cell === work.aFlags && r.kind === Access.RMW);
      const after = log.slice(release + 1).filter((r) => r.cell === work.aFlags || r.cell === work.irqwait);
      const hard = init === irqWorkInitHard;
      // The kernel: if ((PREEMPT_RT && !irq_work_is_hard(work)) || !arch_irq_work_has_interrupt()) wake the waiter.
      const readsFlags = cell.config.rt;
      const wakes = (cell.config.rt && !hard) || !cell.arch.hasIrqWorkInterrupt;
      const expected = [
        ...(readsFlags ? [{ cpu: 0, cell: work.aFlags, kind: Access.READ }] : []),
        ...(wakes ? [{ cpu: 0, cell: work.irqwait, kind: Access.READ }] : []),
      ];
      assert.deepEqual(after, expected, `${work.name} ${hard ? "HARD" : "plain"}`);
    }
  },
);

matrixTest("rule 12.2: set_nr_if_polling is one atomic step on the polling idle target's flag", {
  skip: smpOnly,
}, (cell) => {
  const m = cell.machine({ cpus: 2, idle: "poll" });
  const log: Record[] = [];
  m.kernel.memory.listen((cpu, c, kind) => log.push({ cpu, cell: c, kind }));
  m.spawn({ cpu: 0, name: "q", at: 1_000_000 }, function* (ctx) {
    yield* ctx.callFunctionSingle(1, () => {}, false);
  });
  m.runUntil(2_000_000);
  const polling = m.kernel.cpus[1]!.polling;
  assert.deepEqual(
    log.filter((r) => r.cell === polling && r.cpu === 0),
    [{ cpu: 0, cell: polling, kind: Access.RMW }],
    "CPU 0 tested and set CPU 1's flags once, atomically",
  );
  assert.equal(m.interrupts.call_function_single[1], 0, "no IPI: the polling CPU noticed need_resched");
});
