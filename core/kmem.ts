/**
 * Memory allocation as operations a callback can do: `kmalloc()` gives an
 * object, `kfree()` frees it. Freed objects are poisoned (marked), so that
 * a double free is a finding and checkers can spot a use after free.
 *
 * @module
 */

import { checkName } from "./describe.ts";
import type { Cpu } from "./cpu.ts";
import type { Findings } from "./findings.ts";
import { type Kernel, STEP } from "./kernel.ts";
import type { TraceHub } from "./trace.ts";

/**
 * A kernel object from `kmalloc()`.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const m = createMachine({ arch: fixtureArch() });
 * m.spawn({ cpu: 0, name: "t" }, function* (ctx) {
 *   const buffer = yield* ctx.kmalloc("buffer");
 *   yield* ctx.kfree(buffer);
 *   if (!buffer.freed) throw new Error("poisoned");
 * });
 * m.runUntil(1_000_000);
 * ```
 */
export class KObject {
  /** Freed: any further access is a use after free. */
  freed = false;
  /** An object named for traces, e.g. `perf_buffer`. */
  constructor(readonly name: string) {}
}

/** The slab allocator of one machine. */
export class Kmem {
  #trace: TraceHub;
  #findings: Findings;

  /** Allocations traced on `trace`; a double free goes to `findings`. */
  constructor(trace: TraceHub, findings: Findings) {
    this.#trace = trace;
    this.#findings = findings;
  }

  /** `kmalloc()`. */
  *kmalloc(cpu: Cpu, name: string): Kernel<KObject> {
    checkName("A kmalloc()ed object's name", name);
    yield STEP;
    this.#trace.emit(cpu, { type: "kmalloc", object: name });
    return new KObject(name);
  }

  /** `kfree()`: a second free of the same object is a kernel BUG. */
  *kfree(cpu: Cpu, object: KObject): Kernel {
    yield STEP;
    this.#trace.emit(cpu, { type: "kfree", object: object.name });
    if (object.freed) {
      this.#findings.report(cpu, `BUG: KASAN: double-free in kfree\nobject ${object.name}`);
      return;
    }
    object.freed = true;
  }
}
