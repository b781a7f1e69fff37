/**
 * Memory allocation as operations a callback can do: `kmalloc()` gives an
 * object, `kfree()` frees it. Freed objects are poisoned (marked), so that
 * a double free is a finding and checkers can spot a use after free.
 *
 * @module
 */

import type { Cpu } from "./cpu.ts";
import { type Kernel, STEP } from "./kernel.ts";

/** A kernel object from `kmalloc()`. */
export class KObject {
  /** Freed: any further access is a use after free. */
  freed = false;
  /** An object named for traces, e.g. `perf_buffer`. */
  constructor(readonly name: string) {}
}

/** `kmalloc()`. */
export function* kmalloc(cpu: Cpu, name: string): Kernel<KObject> {
  yield STEP;
  cpu.machine.emit(cpu, { type: "kmalloc", object: name });
  return new KObject(name);
}

/** `kfree()`: a second free of the same object is a kernel BUG. */
export function* kfree(cpu: Cpu, object: KObject): Kernel {
  const m = cpu.machine;
  yield STEP;
  m.emit(cpu, { type: "kfree", object: object.name });
  if (object.freed) {
    m.warn(cpu, `BUG: KASAN: double-free in kfree: object ${object.name}`);
    return;
  }
  object.freed = true;
}
