import assert from "node:assert/strict";
import { PerCpu } from "./percpu.ts";

Deno.test("percpu: one value per CPU, made by CPU number", () => {
  const v = new PerCpu(3, (cpu) => ({ cpu, n: 0 }));
  v.get(1).n++;
  assert.deepEqual(v.values().map((x) => [x.cpu, x.n]), [[0, 0], [1, 1], [2, 0]]);
});

Deno.test("percpu: a CPU outside the machine is a clear error", () => {
  const v = new PerCpu(2, () => 0);
  assert.throws(() => v.get(2), /No per-CPU value for CPU 2: the machine has 2 CPUs/);
});
