import assert from "node:assert/strict";
import { createMachine, IRQ_WORK_HARD_IRQ, irqWorkIsHard, type Machine } from "../../mod.ts";
import { contextChecker } from "../checker/mod.ts";
import { preemptRt } from "../preempt_rt/mod.ts";
import { type ArchCase, ARCHES } from "../../tests/matrix.ts";
import {
  ALL_WORKLOADS,
  bpfSendSignal,
  dmaFenceArray,
  kfreeExample,
  markHard,
  nohzFullKick,
  perfPendingDisable,
  rtoPush,
  wakeUpKlogd,
  type Workload,
} from "./mod.ts";

/** The arches that allow 2+ CPUs (x86, arm64, powerpc, tick-only). */
const SMP_ARCHES = ARCHES.filter((a) => a.maxCpus >= 2);

function machine(arch: ArchCase, rt: boolean, cpus: number): Machine {
  return createMachine({
    arch: arch.make(),
    cpus,
    plugins: rt ? [preemptRt(), contextChecker()] : [contextChecker()],
  });
}

/** Every factory on every CPU with its defaults (remote targets where the factory has them), plus remote/local variants. */
function library(cpus: number): Workload[] {
  const loads: Workload[] = [];
  for (let cpu = 0; cpu < cpus; cpu++) {
    for (const make of ALL_WORKLOADS) loads.push(make({ cpu, cpus }));
  }
  loads.push(nohzFullKick({ cpu: 1, cpus, target: 1 })); // tick_nohz_full_kick() of the local CPU
  loads.push(perfPendingDisable({ cpu: 0, cpus, oncpu: 1 })); // the event moved: the work follows it
  loads.push(wakeUpKlogd({ cpu: 1, cpus, output: true })); // printk_deferred(): flush and wake
  return loads;
}

/** Queue each workload from a task on its home CPU, 50 µs apart; returns what each queue() answered. */
function queueAll(m: Machine, loads: readonly Workload[]): boolean[] {
  const answers: boolean[] = [];
  loads.forEach((w, i) => {
    m.spawn({ cpu: w.cpu, name: `q${i}`, at: 50_000 * (i + 1) }, function* (ctx) {
      answers[i] = yield* w.queue(ctx);
    });
  });
  return answers;
}

function assertRuns(m: Machine, loads: readonly Workload[], rt: boolean): void {
  for (const w of loads) {
    const runs = m.runs.filter((r) => r.work === w.work);
    assert.deepEqual(runs.map((r) => r.cpu), [...w.expectedCpus], `${w.name}: CPUs it ran on`);
    for (const r of runs) {
      if (irqWorkIsHard(w.work)) {
        assert.equal(r.context, "hardirq", `${w.name} (HARD) runs in hard-IRQ`);
      } else if (rt) {
        assert.equal(r.context, "task", `${w.name} is threaded on RT`);
        assert.equal(r.task.comm, `irq_work/${r.cpu}`, `${w.name} runs in irq_work/${r.cpu}`);
        assert.equal(r.irqsDisabled, false, `${w.name}: the RT thread drains with IRQs on`);
      } else {
        assert.equal(r.context, "hardirq", `${w.name} runs in hard-IRQ on !RT`);
      }
    }
  }
  for (const w of loads) for (const o of w.objects) assert.ok(o.freed, `${w.name}: ${o.name} freed`);
}

for (const rt of [true, false]) {
  Deno.test(`workloads: the whole library on ${rt ? "RT" : "!RT"} with the checker: no findings`, async (t) => {
    for (const arch of SMP_ARCHES) {
      await t.step(arch.name, () => {
        const cpus = 2;
        const loads = library(cpus);
        const m = machine(arch, rt, cpus);
        const answers = queueAll(m, loads);
        m.runUntil(50_000 * (loads.length + 1) + 20_000_000);
        assert.deepEqual(m.findings.map((f) => f.message), []);
        assert.equal(m.panicked, false);
        assert.deepEqual(answers, loads.map(() => true), "every queue() claimed its work");
        assertRuns(m, loads, rt);
        assert.ok(m.runs.length >= loads.length);
      });
    }
  });
}

Deno.test("workloads: the RT push chain visits the RT-overloaded CPUs in two passes, skipping itself", async (t) => {
  for (const arch of SMP_ARCHES) {
    for (const rt of [true, false]) {
      await t.step(`${arch.name} ${rt ? "RT" : "!RT"}`, () => {
        const push = rtoPush({ cpu: 0, cpus: 4 });
        assert.deepEqual(push.expectedCpus, [1, 2, 3, 1, 2, 3]);
        const m = machine(arch, rt, 4);
        m.spawn({ cpu: 0, name: "lowering", policy: "fifo", priority: 10 }, (ctx) => push.queue(ctx));
        m.runUntil(10_000_000);
        assert.deepEqual(m.findings, []);
        assert.deepEqual(
          m.runs.map((r) => [r.cpu, r.context]),
          [1, 2, 3, 1, 2, 3].map((c) => [c, "hardirq"]),
        );
        assert.deepEqual(
          push.rd.pushable,
          [false, false, false, false],
          "each overloaded CPU pushed its task",
        );
        assert.equal(push.rd.rtoCpu, -1, "the iterator stopped");
        assert.equal(push.rd.rtoLoop, push.rd.rtoLoopNext);
      });
    }
  }
});

/** Run one mis-marked workload queued from a task on CPU 0 of a 2-CPU machine. */
function runMisMarked(arch: ArchCase, rt: boolean, w: Workload): Machine {
  markHard(w.work);
  const m = machine(arch, rt, 2);
  m.spawn({ cpu: 0, name: "producer", at: 10_000 }, (ctx) => w.queue(ctx));
  m.runUntil(20_000_000);
  assert.equal(m.runs.filter((r) => r.work === w.work).length, 1, `${w.name} ran once`);
  return m;
}

Deno.test("workloads: a threaded work marked HARD on RT is reported as the kernel would", async (t) => {
  for (const arch of SMP_ARCHES) {
    await t.step(`${arch.name}: bpf send-signal takes the sleeping siglock in hard-IRQ`, () => {
      const m = runMisMarked(arch, true, bpfSendSignal());
      assert.equal(m.findings.length, 1);
      const f = m.findings[0]!;
      assert.match(
        f.message,
        /^BUG: sleeping function called from invalid context at kernel\/locking\/spinlock_rt\.c\nin_atomic\(\): 1, irqs_disabled\(\): 1, /,
      );
      assert.equal(f.context, "hardirq");
      assert.equal(f.level, "BUG");
      assert.equal(m.runs[0]!.context, "hardirq");
    });
    await t.step(`${arch.name}: the kfree example frees in hard-IRQ`, () => {
      const k = kfreeExample();
      const m = runMisMarked(arch, true, k);
      assert.deepEqual(m.findings.map((f) => f.message.split("\n")[0]), [
        "BUG: sleeping function called from invalid context at mm/slub.c",
      ]);
      assert.equal(m.findings[0]!.context, "hardirq");
      assert.ok(k.objects[0]!.freed);
    });
    await t.step(`${arch.name}: the klogd wake-up stays threaded (LAZY wins over HARD on RT)`, () => {
      // __irq_work_queue_local(): a LAZY work joins the lazy list whatever HARD says, and on RT
      // the lazy list is drained by irq_work/N — so the kernel prints nothing here.
      const m = runMisMarked(arch, true, wakeUpKlogd());
      assert.deepEqual(m.findings, []);
      assert.equal(m.runs[0]!.task.comm, "irq_work/0");
      assert.equal(m.runs[0]!.context, "task");
    });
  }
});

Deno.test("workloads: a spinlock_t work marked HARD on !RT is lockdep's invalid wait context", async (t) => {
  for (const arch of SMP_ARCHES) {
    for (
      const [name, make, lock] of [
        ["bpf send-signal", bpfSendSignal, "sighand->siglock"],
        ["klogd wake-up", wakeUpKlogd, "log_wait.lock"],
        ["dma-fence array", dmaFenceArray, "array->lock"],
      ] as const
    ) {
      await t.step(`${arch.name}: ${name}`, () => {
        const m = runMisMarked(arch, false, make());
        assert.equal(m.findings.length, 1);
        assert.match(
          m.findings[0]!.message,
          new RegExp(`^BUG: Invalid wait context: \\S+/\\d+ is trying to lock ${lock} in hard-IRQ context$`),
        );
        assert.equal(m.findings[0]!.context, "hardirq");
      });
    }
    await t.step(`${arch.name}: the kfree example is fine in hard-IRQ on !RT`, () => {
      const k = kfreeExample();
      const m = runMisMarked(arch, false, k);
      assert.deepEqual(m.findings, []);
      assert.ok(k.objects[0]!.freed);
    });
  }
});

Deno.test("workloads: factories use the kernel's initialisers and markHard flags the same work", () => {
  const flags = ALL_WORKLOADS.map((make) => {
    const w = make();
    return [w.name, w.work.flags];
  });
  assert.deepEqual(flags, [
    ["nohz_full_kick_work", IRQ_WORK_HARD_IRQ],
    ["rto_push_work", IRQ_WORK_HARD_IRQ],
    ["wake_up_klogd_work", 4],
    ["event->pending_irq", 0],
    ["event->pending_disable_irq", IRQ_WORK_HARD_IRQ],
    ["sg_policy->irq_work", 0],
    ["send_signal_work", 0],
    ["cpu_buffer->irq_work.work", 0],
    ["kref_put_work", 0],
    ["array->work", 0],
  ]);
  const w = kfreeExample().work;
  assert.equal(markHard(w), w);
  assert.equal(w.flags, IRQ_WORK_HARD_IRQ);
  for (const make of ALL_WORKLOADS) assert.match(make().source, /^(kernel|drivers)\/\S+\.c: /);
});
