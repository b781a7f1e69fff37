/** The Arch contract: capabilities that depend on the machine, default handlers, an IPI send that takes time. */
import assert from "node:assert/strict";
import type { Arch, ArchHw, InterruptKind } from "./arch.ts";
import type { Cpu } from "./cpu.ts";
import { fixtureArch } from "./fixture_arch.ts";
import { irqWorkInit } from "./irq_work.ts";
import { type Kernel, nop } from "./kernel.ts";
import { createMachine } from "./machine.ts";

/** riscv's answer: a self-IPI only on an SMP build; on UP the raise does nothing. */
function riscvLike(): Arch {
  const base = fixtureArch();
  return {
    ...base,
    name: "riscv-like",
    hasIrqWorkInterrupt: (machine) => machine.smp,
    irqWorkRaise: (hw, cpu, ipi) => hw.smp ? base.irqWorkRaise(hw, cpu, ipi) : nop(),
  };
}

Deno.test("arch: arch_irq_work_has_interrupt() may depend on the machine (riscv: SMP only)", () => {
  for (const smp of [false, true]) {
    const m = createMachine({ arch: riscvLike(), cpus: 1, smp });
    const work = irqWorkInit(() => {}, "w");
    m.spawn({ cpu: 0, name: "q", at: 1_000_000 }, (ctx) => ctx.queue(work));
    m.runUntil(10_000_000);
    assert.equal(m.kernel.hasIrqWorkInterrupt, smp);
    const run = m.runs[0]!;
    // SMP: the self-IPI runs it at once; UP: it waits for the 4 ms tick (rule 8.2).
    assert.equal(run.startedAt < 2_000_000, smp, `smp ${smp}: ran at ${run.startedAt}`);
  }
});

Deno.test("arch: an IPI send is kernel code on the sender, and may take its time", () => {
  const sent: number[] = [];
  const arch: Arch = {
    ...fixtureArch(),
    *sendIpi(hw: ArchHw, from: Cpu, target: Cpu, kind: InterruptKind, ipi: number): Kernel {
      yield 700; // e.g. a slow ICR write
      sent.push(from.id);
      hw.deliverIpi(from, target, kind, ipi);
    },
  };
  const m = createMachine({ arch, cpus: 2 });
  let returnedAt = 0;
  m.spawn({ cpu: 0, name: "q", at: 1_000_000 }, function* (ctx) {
    yield* ctx.queueOn(irqWorkInit(() => {}), 1);
    returnedAt = ctx.now;
  });
  m.runUntil(2_000_000);
  assert.deepEqual(sent, [0]);
  assert.ok(returnedAt >= 1_000_700, `the sender spent the send's time: back at ${returnedAt}`);
  assert.equal(m.runs[0]!.cpu, 1);
});
