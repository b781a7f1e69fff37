/**
 * Per-CPU storage, the `DEFINE_PER_CPU` analogue: one value per CPU, made
 * once by a factory, read by CPU number.
 *
 * @module
 */

/**
 * One `T` per CPU.
 *
 * @example
 * ```ts
 * import { PerCpu } from "./percpu.ts";
 * const counts = new PerCpu(4, () => ({ n: 0 }));
 * counts.get(2).n++;
 * if (counts.get(2).n !== 1 || counts.get(0).n !== 0) throw new Error("per-CPU");
 * ```
 */
export class PerCpu<T> {
  #values: T[];

  /** Make `cpus` values with `make(cpu)`. */
  constructor(cpus: number, make: (cpu: number) => T) {
    this.#values = [];
    for (let cpu = 0; cpu < cpus; cpu++) this.#values.push(make(cpu));
  }

  /** The value of `cpu` (`per_cpu(var, cpu)`). */
  get(cpu: number): T {
    const v = this.#values[cpu];
    if (v === undefined) {
      throw new RangeError(`No per-CPU value for CPU ${cpu}: the machine has ${this.#values.length} CPUs`);
    }
    return v;
  }

  /** Every CPU's value, in CPU order. */
  values(): readonly T[] {
    return this.#values;
  }
}
