/** Unit tests of the memory interface: steps, access records, and a store-buffer model in the slot. */
import assert from "node:assert/strict";
import { Access, type AccessKind, Cell, Memory, type MemoryModel } from "./atomic.ts";
import { createMachine } from "./machine.ts";
import { fixtureArch } from "./fixture_arch.ts";
import { irqWorkInit } from "./irq_work.ts";
import { type Kernel, STEP } from "./kernel.ts";

/** Run `op` to its end, counting the steps it took. */
function run<T>(op: Kernel<T>): { value: T; steps: number } {
  let steps = 0;
  for (;;) {
    const r = op.next();
    if (r.done) return { value: r.value, steps };
    assert.equal(r.value, STEP, "memory operations only take steps");
    steps++;
  }
}

Deno.test("memory: each atomic operation takes one step, then accesses, and is reported", () => {
  const mem = new Memory();
  const log: [number, Cell<unknown> | null, AccessKind][] = [];
  mem.listen((cpu, cell, kind) => log.push([cpu, cell, kind]));
  const word = new Cell(0b100);
  assert.deepEqual(run(mem.fetchOr(1, word, 0b011)), { value: 0b100, steps: 1 });
  assert.deepEqual(run(mem.cmpxchg(2, word, 0b000, 0b001)), { value: 0b111, steps: 1 }, "fails: no store");
  assert.equal(word.value, 0b111);
  assert.deepEqual(run(mem.cmpxchg(2, word, 0b111, 0b010)), { value: 0b111, steps: 1 });
  assert.deepEqual(run(mem.xchg(3, word, 9)), { value: 0b010, steps: 1 });
  assert.deepEqual(run(mem.read(0, word)), { value: 9, steps: 1 });
  assert.deepEqual(run(mem.write(0, word, 4)), { value: undefined, steps: 1 });
  assert.equal(mem.peek(1, word), 4, "peek takes no step");
  mem.fence(1);
  const rmw = Access.RMW, read = Access.READ, write = Access.WRITE;
  assert.deepEqual(log, [
    [1, word, rmw],
    [2, word, rmw],
    [2, word, rmw],
    [3, word, rmw],
    [0, word, read],
    [0, word, write],
    [1, word, read],
    [1, null, Access.FENCE],
  ]);
});

/**
 * x86-TSO in miniature: each CPU's stores wait in its own FIFO buffer; its
 * loads see its own newest buffered store first; a fence drains the buffer.
 */
function storeBuffers(): MemoryModel {
  const buffers = new Map<number, [Cell<unknown>, unknown][]>();
  const own = (cpu: number) => buffers.get(cpu) ?? buffers.set(cpu, []).get(cpu)!;
  return {
    name: "TSO (test)",
    load<T>(cpu: number, cell: Cell<T>): T {
      const mine = own(cpu).findLast(([c]) => c === cell);
      return (mine === undefined ? cell.value : mine[1]) as T;
    },
    store<T>(cpu: number, cell: Cell<T>, value: T): void {
      own(cpu).push([cell, value]);
    },
    fence(cpu: number): void {
      for (const [cell, value] of own(cpu).splice(0)) cell.value = value;
    },
  };
}

/** The store-buffering litmus test: `x = 1; r0 = y` on CPU 0 against `y = 1; r1 = x` on CPU 1. */
function storeBuffering(model: MemoryModel): [number, number] {
  const mem = new Memory(model);
  const x = new Cell(0), y = new Cell(0);
  run(mem.write(0, x, 1));
  run(mem.write(1, y, 1));
  const r0 = run(mem.read(0, y)).value, r1 = run(mem.read(1, x)).value;
  return [r0, r1];
}

Deno.test("memory: the model slot decides what loads see (store buffering: TSO allows 0/0, SC does not)", () => {
  assert.deepEqual(storeBuffering(new Memory().model), [1, 1]);
  assert.deepEqual(storeBuffering(storeBuffers()), [0, 0]);
});

Deno.test("memory: a store-buffer model fills the slot and irq_work runs unchanged (locked ops drain it)", () => {
  const model = storeBuffers();
  const m = createMachine({ arch: fixtureArch(), cpus: 2, plugins: [{ name: "tso", memoryModel: model }] });
  assert.equal(m.kernel.memory.model, model);
  const work = irqWorkInit(() => {}, "w");
  m.spawn({ cpu: 0, name: "q", at: 1_000_000 }, function* (ctx) {
    yield* ctx.queueOn(work, 1);
    yield* ctx.sync(work);
    yield* ctx.queue(work);
    yield* ctx.sync(work);
  });
  m.runUntil(3_000_000);
  assert.deepEqual(m.runs.map((r) => r.cpu), [1, 0]);
  assert.deepEqual(m.findings, []);
});
