/**
 * Users whose callback frees memory: the bare `kref_put()`/`kfree()`
 * example and the dma-fence array's signal-and-put.
 *
 * @module
 */

import { type Context, irqWorkInit, type Kernel, type KObject, Spinlock } from "../../core/mod.ts";
import { COST, homeOf, Kref, krefPut, type Workload, type WorkloadOptions } from "./common.ts";

/**
 * The deferred-put pattern reduced to its free (the `dma_fence_put()` at
 * the end of drivers/dma-buf/dma-fence-array.c `irq_dma_fence_array_work`,
 * whose release `kfree()`s): a plain `init_irq_work()` whose callback drops
 * the last reference with `kref_put()`, and the release `kfree()`s the
 * object. `queue()` allocates the object with `kmalloc()`, `kref_init()`s
 * it and queues the work. Time: the free only.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { kfreeExample } from "./mod.ts";
 * const k = kfreeExample();
 * const m = createMachine({ arch: x86(), cpus: 1 });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => k.queue(ctx));
 * m.runUntil(1_000_000);
 * if (!k.objects[0]?.freed) throw new Error("the release freed the object");
 * ```
 */
export function kfreeExample(options?: WorkloadOptions): Workload {
  const { cpu } = homeOf(options);
  const objects: KObject[] = [];
  let pending: { ref: Kref; obj: KObject } | null = null;
  const work = irqWorkInit(function* kref_put_work(_w, ctx): Kernel {
    const p = pending;
    if (p === null) return;
    pending = null;
    yield* krefPut(p.ref, () => ctx.kfree(p.obj));
  }, "kref_put_work");
  return {
    name: "kref_put_work",
    source:
      "drivers/dma-buf/dma-fence-array.c: irq_dma_fence_array_work's final put, reduced to kref_put() + kfree()",
    work,
    locks: [],
    objects,
    cpu,
    expectedCpus: [cpu],
    *queue(ctx: Context): Kernel<boolean> {
      if (pending !== null) return false;
      const obj = yield* ctx.kmalloc("kref_obj");
      objects.push(obj);
      pending = { ref: new Kref(), obj };
      return yield* ctx.queue(work);
    },
  };
}

/**
 * `array->work` (drivers/dma-buf/dma-fence-array.c `irq_dma_fence_array_work`,
 * `init_irq_work()` in `dma_fence_array_init()`): `dma_fence_signal()` under
 * the fence's `spinlock_t` `array->lock`, whose default-wait callback wakes
 * the one waiter, then
 * `dma_fence_put()`: the last reference's `dma_fence_array_release()`
 * `kfree()`s `array->fences` (the array itself goes through `kfree_rcu()`,
 * not modelled as a free here). `queue()` builds the array (`kmalloc()` of
 * the fences array, reference 1) and queues the work, as the last
 * component fence's callback does. Time: {@linkcode COST}.fenceSignalNs +
 * one wake-up.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { dmaFenceArray } from "./mod.ts";
 * const f = dmaFenceArray();
 * const m = createMachine({ arch: x86(), cpus: 2 });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => f.queue(ctx));
 * m.runUntil(1_000_000);
 * if (!f.objects[0]?.freed) throw new Error("array->fences freed");
 * ```
 */
export function dmaFenceArray(options?: WorkloadOptions): Workload {
  const { cpu } = homeOf(options);
  const fenceLock = new Spinlock("array->lock");
  const objects: KObject[] = [];
  let pending: { ref: Kref; fences: KObject } | null = null;
  const work = irqWorkInit(function* irq_dma_fence_array_work(_w, ctx): Kernel {
    const p = pending;
    if (p === null) return;
    pending = null;
    yield* ctx.spinLock(fenceLock);
    yield* ctx.spend(COST.fenceSignalNs + COST.wakeUpNs);
    yield* ctx.spinUnlock(fenceLock);
    yield* krefPut(p.ref, () => ctx.kfree(p.fences));
  }, "irq_dma_fence_array_work");
  return {
    name: "array->work",
    source: "drivers/dma-buf/dma-fence-array.c: irq_dma_fence_array_work, init_irq_work()",
    work,
    locks: [fenceLock],
    objects,
    cpu,
    expectedCpus: [cpu],
    *queue(ctx: Context): Kernel<boolean> {
      if (pending !== null) return false;
      const fences = yield* ctx.kmalloc("dma_fence_array.fences");
      objects.push(fences);
      pending = { ref: new Kref(), fences };
      return yield* ctx.queue(work);
    },
  };
}
