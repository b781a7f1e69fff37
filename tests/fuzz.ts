/**
 * The API fuzzer: random sequences of scenario API calls on one machine,
 * bad values included (CPU numbers out of range or fractional, negative or
 * non-integer times), with CPU hot-unplug, NMIs, callbacks that throw, and the
 * machine used again after every run and every error. {@linkcode checkSequence}
 * runs a sequence twice and checks the properties the quick profile
 * (fuzz_test.ts) and the long one (`deno task fuzz`) assert:
 *
 * Tasks may also end with interrupts or preemption disabled or inside
 * `rcu_read_lock()`, which the kernel reports and repairs at exit.
 *
 * - only the documented error types escape: `TypeError` and `RangeError` for
 *   bad input, `ScenarioError` for an exception inside scenario code,
 *   `MachineStateError` for a run of a machine that has stopped;
 * - each run ends within a bound of wall time;
 * - every successful claim runs at most once, and exactly once unless the
 *   machine stopped (BUG, LIVELOCK), scenario code threw, or the work is stuck
 *   on a CPU that went down (the offline warning says why, or rule 9.5 on
 *   PREEMPT_RT);
 * - the lists and queues of online CPUs end empty;
 * - the two runs are byte-identical (trace text, runs, findings, errors).
 *
 * @module
 */

import fc from "npm:fast-check@4.10.2";
import {
  type Context,
  ftrace,
  IRQ_WORK_HARD_IRQ,
  IRQ_WORK_LAZY,
  IRQ_WORK_PENDING,
  IrqWork,
  type KernelVersion,
  type Machine,
  MachineStateError,
  RawSpinlock,
  ScenarioError,
} from "../mod.ts";
import { CELLS } from "./matrix.ts";

/** The error types the API lets escape (README, "Errors"). */
export const DOCUMENTED_ERRORS = [TypeError, RangeError, ScenarioError, MachineStateError] as const;

/** A number the fuzzer passes where the API wants a CPU or a time: valid or not. */
type Num = number;

/** What a task or an NMI handler does. */
export type Op =
  | { k: "queue"; work: number; target: Num | null }
  | { k: "spend"; ns: Num }
  | { k: "sleep"; ns: number }
  | { k: "sync"; work: number }
  | { k: "lock"; ns: number }
  | { k: "call"; target: Num; wait: boolean }
  | { k: "rcu"; ns: number }
  | { k: "irqOff"; ns: number }
  | { k: "leak"; what: "irqs" | "rcu" | "preempt" }
  | { k: "throw" };

/** One call of the scenario API. */
export type Step =
  | { k: "spawn"; cpu: Num; fifo: Num; at: Num; ops: Op[] }
  | { k: "nmi"; cpu: Num; at: Num; ops: Op[] }
  | { k: "cpuDown"; cpu: Num; at: Num }
  | { k: "run"; ns: Num };

/** A machine and the calls made on it. */
export interface Sequence {
  cell: number;
  cpus: number;
  kernel: KernelVersion;
  seed: number;
  works: { flags: number; throws: boolean }[];
  steps: Step[];
}

const WORK_FLAGS = [0, IRQ_WORK_LAZY, IRQ_WORK_HARD_IRQ];

/** Valid values mostly, and now and then one the API must refuse. */
function num(valid: fc.Arbitrary<number>): fc.Arbitrary<number> {
  return fc.oneof(
    { weight: 12, arbitrary: valid },
    { weight: 1, arbitrary: fc.constantFrom(-1, 0.5, Number.NaN, Infinity, 2 ** 60) },
  );
}

/** Sequences over the whole matrix; `cpuDown` lets CPUs go down. */
export function sequenceArb(cpuDown = true): fc.Arbitrary<Sequence> {
  return fc.nat(CELLS.length - 1).chain((cell) =>
    fc.integer({ min: 1, max: Math.min(3, CELLS[cell]!.arch.maxCpus) }).chain((cpus) =>
      fc.integer({ min: 1, max: 3 }).chain((nWorks) => {
        // A CPU of the machine mostly; now and then `cpus`, one past the last.
        const cpu = num(
          fc.oneof({ weight: 8, arbitrary: fc.nat(cpus - 1) }, { weight: 1, arbitrary: fc.constant(cpus) }),
        );
        const time = num(fc.integer({ min: 0, max: 3_000_000 }));
        const op: fc.Arbitrary<Op> = fc.oneof(
          {
            weight: 12,
            arbitrary: fc.record({
              k: fc.constant("queue" as const),
              work: fc.nat(nWorks - 1),
              target: fc.option(cpu, { nil: null }),
            }),
          },
          {
            weight: 6,
            arbitrary: fc.record({
              k: fc.constant("spend" as const),
              ns: num(fc.integer({ min: 1, max: 20_000 })),
            }),
          },
          fc.record({ k: fc.constant("sleep" as const), ns: fc.integer({ min: 1, max: 2_000_000 }) }),
          fc.record({ k: fc.constant("sync" as const), work: fc.nat(nWorks - 1) }),
          fc.record({ k: fc.constant("lock" as const), ns: fc.integer({ min: 1, max: 50_000 }) }),
          fc.record({ k: fc.constant("call" as const), target: cpu, wait: fc.boolean() }),
          fc.record({ k: fc.constant("rcu" as const), ns: fc.integer({ min: 0, max: 50_000 }) }),
          fc.record({ k: fc.constant("irqOff" as const), ns: fc.integer({ min: 0, max: 20_000 }) }),
          { weight: 1, arbitrary: fc.constant({ k: "throw" as const }) },
          // Misuse the kernel reports at exit (rules 21.1 to 21.3): the task keeps what it took.
          fc.record({
            k: fc.constant("leak" as const),
            what: fc.constantFrom("irqs" as const, "rcu" as const, "preempt" as const),
          }),
        );
        const nmiOp = fc.oneof(
          fc.record({
            k: fc.constant("queue" as const),
            work: fc.nat(nWorks - 1),
            target: fc.option(cpu, { nil: null }),
          }),
          fc.record({ k: fc.constant("spend" as const), ns: fc.integer({ min: 1, max: 5_000 }) }),
          fc.record({ k: fc.constant("irqOff" as const), ns: fc.integer({ min: 0, max: 2_000 }) }),
        );
        const step: fc.Arbitrary<Step> = fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record({
              k: fc.constant("spawn" as const),
              cpu,
              fifo: num(fc.integer({ min: 0, max: 99 })),
              at: time,
              ops: fc.array(op, { maxLength: 8 }),
            }),
          },
          {
            weight: 2,
            arbitrary: fc.record({
              k: fc.constant("nmi" as const),
              cpu,
              at: time,
              ops: fc.array(nmiOp, { maxLength: 3 }),
            }),
          },
          ...(cpuDown
            ? [{ weight: 1, arbitrary: fc.record({ k: fc.constant("cpuDown" as const), cpu, at: time }) }]
            : []),
          {
            weight: 2,
            arbitrary: fc.record({
              k: fc.constant("run" as const),
              ns: num(fc.integer({ min: 0, max: 5_000_000 })),
            }),
          },
        );
        return fc.record({
          cell: fc.constant(cell),
          cpus: fc.constant(cpus),
          kernel: fc.constantFrom<KernelVersion>("seed", "C", "D"),
          seed: fc.nat(),
          works: fc.array(
            fc.record({
              flags: fc.constantFrom(...WORK_FLAGS),
              throws: fc.integer({ min: 0, max: 11 }).map((x) => x === 0),
            }),
            {
              minLength: nWorks,
              maxLength: nWorks,
            },
          ),
          steps: fc.array(step, { minLength: 1, maxLength: 8 }),
        });
      })
    )
  );
}

/** What one execution of a sequence produced. */
export interface Outcome {
  /** Everything observable, as text: the trace, runs, findings and errors. */
  readonly text: string;
  /** Wall time of the execution, ms. */
  readonly ms: number;
}

/** Start times are relative to the machine's clock when the step is made. */
function later(m: Machine, at: number): number {
  return Number.isFinite(at) && at >= 0 ? m.now + at : at;
}

/** Execute `sq` on a fresh machine; throws on any property violation. */
export function execute(sq: Sequence): Outcome {
  const start = performance.now();
  const cell = CELLS[sq.cell]!;
  const tracer = ftrace();
  const m = cell.machine({ cpus: sq.cpus, kernel: sq.kernel, seed: sq.seed, plugins: [tracer] });
  const lock = new RawSpinlock("fuzz_lock");
  const claims = sq.works.map(() => 0);
  const works = sq.works.map((w, i) =>
    new IrqWork(
      function* (_w, ctx) {
        yield* ctx.spend(300 + 100 * i);
        if (w.throws) throw new Error(`w${i} throws`);
      },
      w.flags,
      `w${i}`,
    )
  );
  // The syncs that livelock by design on RT (bug H1, the seed profile's spinning sync) are left out.
  const syncSafe = !cell.config.rt || sq.kernel !== "seed";
  const errors: string[] = [];
  let scenarioError = false;
  let cpuWentDown = false;
  // Each work is synced by one task at most: concurrent syncers are unsupported (rule 11.5).
  const syncer = new Map<number, object>();

  function* perform(ctx: Context, ops: readonly Op[], me: object): Generator<number, void, void> {
    for (const op of ops) {
      switch (op.k) {
        case "queue": {
          const work = works[op.work]!;
          // Counted before the call: a call cut short by an error may have claimed and queued the work.
          claims[op.work]!++;
          const ok = op.target === null ? yield* ctx.queue(work) : yield* ctx.queueOn(work, op.target);
          if (!ok) claims[op.work]!--;
          break;
        }
        case "spend":
          yield* ctx.spend(op.ns);
          break;
        case "sleep":
          yield* ctx.sleep(op.ns);
          break;
        case "sync":
          if ((syncer.get(op.work) ?? me) === me && syncSafe) {
            syncer.set(op.work, me);
            yield* ctx.sync(works[op.work]!);
          }
          break;
        case "lock":
          yield* ctx.rawSpinLock(lock);
          yield* ctx.spend(op.ns);
          yield* ctx.rawSpinUnlock(lock);
          break;
        case "call":
          yield* ctx.callFunctionSingle(op.target, (c) => c.spend(500), op.wait);
          break;
        case "rcu":
          yield* ctx.rcuReadLock();
          yield* ctx.spend(op.ns);
          yield* ctx.rcuReadUnlock();
          break;
        case "irqOff":
          yield* ctx.irqDisable();
          yield* ctx.spend(op.ns);
          yield* ctx.irqEnable();
          break;
        case "leak":
          if (op.what === "irqs") yield* ctx.irqDisable();
          else if (op.what === "rcu") yield* ctx.rcuReadLock();
          else yield* ctx.preemptDisable();
          break;
        case "throw":
          throw new Error("a task body throws");
      }
    }
  }

  let n = 0;
  for (const step of sq.steps) {
    try {
      if (step.k === "spawn") {
        const me = {};
        const ops = step.ops;
        m.spawn(
          {
            cpu: step.cpu,
            name: `t${n++}`,
            policy: step.fifo === 0 ? "other" : "fifo",
            priority: step.fifo,
            at: later(m, step.at),
          },
          (ctx) => perform(ctx, ops, me),
        );
      } else if (step.k === "nmi") {
        const ops = step.ops;
        m.nmi(step.cpu, later(m, step.at), (ctx) => perform(ctx, ops, {}));
      } else if (step.k === "cpuDown") {
        m.cpuDown(step.cpu, later(m, step.at));
        cpuWentDown = true;
      } else {
        m.runFor(step.ns);
      }
    } catch (e) {
      if (!DOCUMENTED_ERRORS.some((t) => e instanceof t)) throw e;
      if (e instanceof ScenarioError) scenarioError = true;
      errors.push(`${(e as Error).name}: ${(e as Error).message}`);
    }
  }
  // The machine is used again to the end: long enough for every task, tick and sync to finish.
  try {
    m.runFor(60_000_000);
  } catch (e) {
    if (!DOCUMENTED_ERRORS.some((t) => e instanceof t)) throw e;
    if (e instanceof ScenarioError) scenarioError = true;
    errors.push(`${(e as Error).name}: ${(e as Error).message}`);
  }

  const runs = works.map((w) => m.runs.filter((r) => r.work === w).length);
  const where = `${cell.arch.name} ${cell.config.name} ${sq.kernel}`;
  for (const [i, w] of works.entries()) {
    if (runs[i]! > claims[i]!) {
      throw new Error(`${where}: ${w.name} ran ${runs[i]} times for ${claims[i]} claims`);
    }
  }
  const excused = m.panicked || scenarioError;
  if (!excused) {
    const k = m.kernel;
    for (const cpu of k.cpus) {
      if (!cpu.online) continue;
      for (
        const [name, list] of [
          ["raised list", k.irqWork.raisedList.get(cpu.id)],
          ["lazy list", k.irqWork.lazyList.get(cpu.id)],
          ["call-single queue", k.smp.queues.get(cpu.id)],
        ] as const
      ) {
        if (list.first !== null) throw new Error(`${where}: CPU ${cpu.id}'s ${name} is not empty at the end`);
      }
    }
    for (const [i, w] of works.entries()) {
      if (runs[i] === claims[i]) continue;
      // Lost runs must be works stuck on a CPU that went down, and a finding (or rule 9.5) must say why.
      const stuck = (w.flags & IRQ_WORK_PENDING) !== 0 && cpuWentDown;
      const said = m.findings.some((f) => /offline/.test(f.message)) || cell.config.rt;
      if (!stuck || !said) {
        throw new Error(
          `${where}: ${w.name} ran ${runs[i]} times for ${claims[i]} claims, and nothing says why`,
        );
      }
    }
  }
  const text = [
    tracer.text(),
    JSON.stringify(m.runs.map((r) => ({ ...r, work: r.work.name }))),
    JSON.stringify(m.findings.map((f) => ({ ...f }))),
    JSON.stringify(errors),
    String(m.now),
  ].join("\n");
  return { text, ms: performance.now() - start };
}

/** Execute `sq` twice and check the two executions are byte-identical and end within `maxMs` of wall time each. */
export function checkSequence(sq: Sequence, maxMs: number): number {
  const a = execute(sq);
  const b = execute(sq);
  if (a.text !== b.text) throw new Error("two executions of one sequence differ");
  const ms = Math.max(a.ms, b.ms);
  if (ms > maxMs) throw new Error(`an execution took ${Math.round(ms)} ms of wall time (bound ${maxMs} ms)`);
  return ms;
}
