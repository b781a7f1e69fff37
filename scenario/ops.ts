/**
 * Running a scenario's ops: each op is one `Context` call, so that a JSON
 * task body reads like the TypeScript one it stands for.
 *
 * @module
 */

import type { Context, IrqWork, Kernel } from "../mod.ts";
import type { OpSpec } from "./types.ts";

/** A work as ops use it: `queue` goes through its queueing site (a library workload's own), the rest use the work. */
export interface WorkRef {
  /** The work. */
  readonly work: IrqWork;
  /** Queue it from `ctx`, as its kernel user does (`irq_work_queue()` for a plain work). */
  queue(ctx: Context): Kernel<boolean>;
}

/** Run `ops` on `ctx`, in order; works are looked up by name (the loader checked every name). */
export function* runOps(ctx: Context, ops: readonly OpSpec[], works: ReadonlyMap<string, WorkRef>): Kernel {
  for (const op of ops) {
    switch (op.op) {
      case "spend":
        yield* ctx.spend(op.ns);
        break;
      case "sleep":
        yield* ctx.sleep(op.ns);
        break;
      case "msleep":
        yield* ctx.msleep(op.ms);
        break;
      case "queue":
        yield* works.get(op.work)!.queue(ctx);
        break;
      case "queueOn":
        yield* ctx.queueOn(works.get(op.work)!.work, op.cpu);
        break;
      case "sync":
        yield* ctx.sync(works.get(op.work)!.work);
        break;
      case "irqDisable":
        yield* ctx.irqDisable();
        break;
      case "irqEnable":
        yield* ctx.irqEnable();
        break;
      case "preemptDisable":
        yield* ctx.preemptDisable();
        break;
      case "preemptEnable":
        yield* ctx.preemptEnable();
        break;
      case "rcuReadLock":
        yield* ctx.rcuReadLock();
        break;
      case "rcuReadUnlock":
        yield* ctx.rcuReadUnlock();
        break;
    }
  }
}
