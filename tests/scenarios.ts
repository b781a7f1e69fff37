/**
 * Random scenarios for the property tests: CPUs, works and tasks that queue
 * works locally and remotely, spend time, sleep, sync, and (on request) hold
 * raw spinlocks and wait for cross-CPU calls.
 *
 * @module
 */

import fc from "npm:fast-check@4.10.2";
import {
  ftrace,
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  IrqWork,
  type KernelVersion,
  type Machine,
  type MachineTiming,
  RawSpinlock,
} from "../mod.ts";
import { CELLS } from "./matrix.ts";

/** One thing a task of a scenario does. */
export type Op =
  | { kind: "queue"; work: number; target: number | null }
  | { kind: "spend"; ns: number }
  | { kind: "sleep"; ns: number }
  | { kind: "sync"; work: number }
  | { kind: "lock"; lock: number; ns: number }
  | { kind: "call"; target: number; ns: number };

/** A random scenario: CPUs, works (their flags), and tasks doing ops. */
export interface Scenario {
  cpus: number;
  works: number[]; // flags of each work
  tasks: { cpu: number; fifo: number; at: number; ops: Op[] }[];
}

const WORK_FLAGS = [0, IRQ_WORK_LAZY, IRQ_WORK_HARD_IRQ, IRQ_WORK_LAZY | IRQ_WORK_HARD_IRQ];

/**
 * Scenarios for an arch of up to `maxCpus` CPUs. With `spins`, tasks also
 * hold raw spinlocks and wait for cross-CPU calls, so that CPUs spin.
 */
export function scenarioArb(maxCpus: number, spins = false): fc.Arbitrary<Scenario> {
  return fc.integer({ min: 1, max: Math.min(maxCpus, 3) }).chain((cpus) =>
    fc.integer({ min: 1, max: 4 }).chain((nWorks) => {
      const op: fc.Arbitrary<Op> = fc.oneof(
        fc.record({
          kind: fc.constant("queue" as const),
          work: fc.nat(nWorks - 1),
          target: fc.option(fc.nat(cpus - 1), { nil: null }),
        }),
        fc.record({ kind: fc.constant("spend" as const), ns: fc.integer({ min: 1, max: 20_000 }) }),
        fc.record({ kind: fc.constant("sleep" as const), ns: fc.integer({ min: 1, max: 3_000_000 }) }),
        fc.record({ kind: fc.constant("sync" as const), work: fc.nat(nWorks - 1) }),
        ...(spins
          ? [
            fc.record({
              kind: fc.constant("lock" as const),
              lock: fc.nat(1),
              ns: fc.integer({ min: 1, max: 200_000 }),
            }),
            fc.record({
              kind: fc.constant("call" as const),
              target: fc.nat(cpus - 1),
              ns: fc.integer({ min: 1, max: 200_000 }),
            }),
          ]
          : []),
      );
      return fc.record({
        cpus: fc.constant(cpus),
        works: fc.array(fc.constantFrom(...WORK_FLAGS), { minLength: nWorks, maxLength: nWorks }),
        tasks: fc.array(
          fc.record({
            cpu: fc.nat(cpus - 1),
            fifo: fc.integer({ min: 0, max: 99 }),
            at: fc.integer({ min: 0, max: 5_000_000 }),
            ops: fc.array(op, { maxLength: 12 }),
          }),
          { minLength: 1, maxLength: 4 },
        ),
      });
    })
  );
}

/**
 * Run `sc` (with `timing` over the arch's costs); returns the machine, the works, the number of
 * successful claims and the trace.
 */
export function runScenario(
  cellIndex: number,
  kernel: KernelVersion,
  sc: Scenario,
  fastForward = true,
  chooser: ((ready: Float64Array, count: number) => number) | null = null,
  timing: Partial<MachineTiming> = {},
) {
  const cell = CELLS[cellIndex]!;
  const tracer = ftrace();
  const m: Machine = cell.machine({ cpus: sc.cpus, kernel, fastForward, timing, plugins: [tracer] });
  m.kernel.engine.chooser = chooser;
  const locks = [new RawSpinlock("lock0"), new RawSpinlock("lock1")];
  const works = sc.works.map((flags, i) =>
    new IrqWork(
      function* (_w, ctx) {
        yield* ctx.spend(500 + 100 * i);
      },
      flags,
      `w${i}`,
    )
  );
  // Syncs that livelock by design are left out: the seed's spinning sync on RT (bug H1), and on RT
  // a LAZY|HARD work, which runs in irq_work/N while its syncer spins (see conformance_rt_test).
  const syncSafe = (flags: number) =>
    !cell.config.rt ||
    (kernel !== "seed" &&
      (flags & (IRQ_WORK_LAZY | IRQ_WORK_HARD_IRQ)) !== (IRQ_WORK_LAZY | IRQ_WORK_HARD_IRQ));
  let claims = 0;
  sc.tasks.forEach((t, i) => {
    m.spawn(
      { cpu: t.cpu, name: `t${i}`, policy: t.fifo > 0 ? "fifo" : "other", priority: t.fifo, at: t.at },
      function* (ctx) {
        for (const op of t.ops) {
          if (op.kind === "queue") {
            const work = works[op.work]!;
            const ok = op.target === null ? yield* ctx.queue(work) : yield* ctx.queueOn(work, op.target);
            if (ok) claims++;
          } else if (op.kind === "spend") yield* ctx.spend(op.ns);
          else if (op.kind === "sleep") yield* ctx.sleep(op.ns);
          else if (op.kind === "lock") {
            yield* ctx.rawSpinLock(locks[op.lock]!);
            yield* ctx.spend(op.ns);
            yield* ctx.rawSpinUnlock(locks[op.lock]!);
          } else if (op.kind === "call") {
            yield* ctx.callFunctionSingle(op.target, (c) => c.spend(op.ns), true);
          } else if (op.work % sc.tasks.length === i && syncSafe(sc.works[op.work]!)) {
            yield* ctx.sync(works[op.work]!);
          }
        }
      },
    );
  });
  m.runUntil(100_000_000);
  return { m, works, claims, text: tracer.text() };
}
