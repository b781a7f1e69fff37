/**
 * rtla timerlat in the model: the IRQ/thread split on an idle CPU from the
 * model's costs, an interrupt storm with and without PREEMPT_RT, the `top`
 * and `hist` layouts line by line, stop thresholds with the auto-analysis,
 * and bad options (rule 22.3).
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, DEFAULT_TIMING, LEGACY_TIMING } from "../../mod.ts";
import { x86 } from "../../arch/x86/mod.ts";
import { preemptRt } from "../preempt_rt/mod.ts";
import { timerlat, type TimerlatOptions } from "./mod.ts";
import { addRxStorm } from "../../tests/storm.ts";

const X86 = x86().timing;

function storm(rt: boolean) {
  const m = createMachine({ arch: x86(), timing: LEGACY_TIMING, cpus: 2, plugins: rt ? [preemptRt()] : [] });
  addRxStorm(m);
  return m;
}

Deno.test("rule 22.3: idle CPU: IRQ latency is the interrupt entry, thread latency adds the exit and a switch", () => {
  const m = createMachine({ arch: x86(), timing: LEGACY_TIMING });
  const tl = timerlat(m, { period: 100 });
  m.runFor(10_000_000);
  const c = tl.cpus[0]!;
  assert.equal(c.pid, 7);
  assert.deepEqual([c.irqNs.min, c.irqNs.max], [X86.irqEntryNs, X86.irqEntryNs]);
  const thread = X86.irqEntryNs + X86.irqExitNs + DEFAULT_TIMING.contextSwitchNs;
  assert.deepEqual([c.threadNs.min, c.threadNs.max, c.threadNs.count], [thread, thread, c.irqNs.count]);
  assert.equal(c.irqNs.count, 99);
  assert.equal(
    tl.top(),
    [
      `${" ".repeat(37)}Timer Latency${" ".repeat(46)}`,
      "  0 00:00:00   |          IRQ Timer Latency (us)        |         Thread Timer Latency (us)",
      "CPU COUNT      |      cur       min       avg       max |      cur       min       avg       max",
      "  0 #99        |        0         0         0         0 |        2         2         2         2",
      "---------------|----------------------------------------|---------------------------------------",
      "ALL #99     e0 |                  0         0         0 |                  2         2         2",
      "",
    ].join("\n"),
  );
  assert.equal(
    tl.hist(),
    [
      "# RTLA timerlat histogram",
      "# Time unit is microseconds (us)",
      "# Duration:   0 00:00:00",
      "Index   IRQ-000   Thr-000",
      "0            99         0 ",
      "2             0        99 ",
      "over:         0         0 ",
      "count:       99        99 ",
      "min:          0         2 ",
      "avg:          0         2 ",
      "max:          0         2 ",
      "ALL:        IRQ       Thr",
      "count:       99        99 ",
      "min:          0         2 ",
      "avg:          0         2 ",
      "max:          0         2 ",
      "",
    ].join("\n"),
  );
  const nm = createMachine({ arch: x86(), timing: LEGACY_TIMING });
  const nano = timerlat(nm, { nano: true, period: 100 });
  nm.runFor(1_000_000);
  assert.match(
    nano.hist({ noIrq: true }),
    /# Time unit is nanoseconds \(ns\)\n# Duration: {3}0 00:00:00\nIndex {3}Thr-000\n/,
  );
});

Deno.test("rule 22.3: an irq_work storm delays the timer interrupt itself without PREEMPT_RT, not with it", () => {
  const irqMax: number[] = [];
  const threadMax: number[] = [];
  for (const rt of [false, true]) {
    const m = storm(rt);
    const tl = timerlat(m, { period: 1000 });
    m.runFor(200_000_000);
    irqMax.push(tl.cpus[0]!.irqNs.max);
    threadMax.push(tl.cpus[0]!.threadNs.max);
    assert.equal(tl.cpus[1]!.irqNs.max, X86.irqEntryNs, "the quiet CPU");
  }
  // !RT: a timer expiring while the 30 µs callback runs in the irq_work interrupt waits for it.
  // At worst it expires as the device interrupt enters: that interrupt's entry, handler and exit, then the
  // irq_work interrupt's entry, the callback and exit, then its own entry: 30 µs and about 1.6 µs of costs.
  assert.ok(irqMax[0]! > 30_000 && irqMax[0]! < 32_000, `!RT IRQ max ${irqMax[0]}`);
  assert.ok(threadMax[0]! > irqMax[0]!);
  // RT: interrupts stay short (the device handler and the callback are threaded).
  assert.equal(irqMax[1], X86.irqEntryNs);
  assert.ok(threadMax[1]! < 5_000, `RT thread max ${threadMax[1]}`);
});

Deno.test("rule 22.3: -a stops at the first sample over it and analyses it: the irq_work interrupt was to blame", () => {
  const m = storm(false);
  const tl = timerlat(m, { cpus: [0], auto: 20 });
  m.runFor(1_000_000_000);
  const stop = tl.stopped;
  assert.ok(stop !== null && stop.kind === "irq" && stop.cpu === 0);
  assert.equal(m.now, stop.at);
  assert.ok(stop.latency >= 20_000);
  const text = tl.analysis();
  assert.match(
    text,
    /^## CPU 0 hit stop tracing, analyzing it ##\n {2}Previous IRQ interference: +up to +\d+\.\d\d us\n/,
  );
  assert.match(text, /irq_work:246 +\d+\.\d\d us/);
  assert.match(text, /rx_done \(hardirq irq_work:246\)/);
  assert.match(text, /\n {2}IRQ latency: +\d+\.\d\d us \(100%\)\n$/);
  assert.equal(tl.worst?.irqLatency, stop.latency);
});

Deno.test("rule 22.3: -T stops on a thread latency; its analysis adds up to the latency", () => {
  const m = storm(true);
  const tl = timerlat(m, { cpus: [0], thread: 4 });
  m.runFor(1_000_000_000);
  const stop = tl.stopped!;
  assert.equal(stop.kind, "thread");
  const a = tl.worst!;
  const parts = a.irqDelay + a.timerIrqDuration + a.blocking.ns + a.overhead +
    [...a.irqInterference, ...a.threadInterference].reduce((s, p) => s + p.ns, 0);
  assert.equal(parts, a.total);
  assert.equal(a.total, stop.latency);
  assert.match(tl.analysis(), /Thread latency: +\d+\.\d\d us \(100%\)\n$/);
});

Deno.test("rule 22.3: without a stop, the analysis is of the worst thread latency", () => {
  const m = storm(false);
  const tl = timerlat(m, { cpus: [0] });
  m.runFor(100_000_000);
  assert.equal(tl.stopped, null);
  assert.equal(tl.worst?.total, tl.cpus[0]!.threadNs.max);
  assert.match(tl.analysis(), /^## CPU 0 worst sample \(#\d+\), analyzing it ##\n/);
});

Deno.test("rule 22.3: bad options are refused with the option, the value and what is allowed", () => {
  const cases: [TimerlatOptions, RegExp][] = [
    [
      { period: 2_000_000 },
      /^timerlat option period \(-p\) must be a whole number 1\.\.1000000, got 2000000 \(number\)$/,
    ],
    [
      { cpus: [3] },
      /^timerlat option cpus \(-c\): 3 \(number\) is not a CPU of this machine, which has CPUs 0\.\.1$/,
    ],
    [{ priority: 0 }, /^timerlat option priority \(-P\) must be a whole number 1\.\.99, got 0/],
    [{ entries: 5 }, /entries \(-E\) must be a whole number 10\.\.9999999, got 5/],
    [{ bucketSize: 0 }, /bucketSize \(-b\) must be a whole number 1\.\.999999, got 0/],
    [{ auto: -1 }, /auto \(-a\) must be a whole number >= 0, got -1/],
    [{ nano: "yes" as unknown as boolean }, /nano \(-n\) must be true or false, got "yes" \(string\)/],
    [{ stack: 1 } as unknown as TimerlatOptions, /^timerlat: unknown option "stack"; known: cpus, /],
  ];
  for (const [options, message] of cases) {
    assert.throws(() => timerlat(createMachine({ arch: x86(), timing: LEGACY_TIMING, cpus: 2 }), options), {
      message,
    });
  }
  const tl = timerlat(createMachine({ arch: x86(), timing: LEGACY_TIMING }));
  assert.throws(() => tl.hist({ noIrq: true, noThread: true }), /nothing to print/);
});

Deno.test("rule 22.3: the histogram's shape is told: unit, bucket size and entries, overflows last", () => {
  const m = createMachine({ arch: x86(), timing: LEGACY_TIMING });
  const tl = timerlat(m, { period: 100, nano: true, bucketSize: 500, entries: 10 });
  m.runFor(2_000_000);
  assert.deepEqual(tl.histogram, { unit: "ns", bucketSize: 500, entries: 10 });
  const c = tl.cpus[0]!;
  assert.equal(c.threadHist.length, 11);
  // 2.6 µs of thread latency in 500 ns buckets: bucket 5.
  assert.equal(c.threadHist[5], c.thread.count);
  assert.deepEqual(timerlat(createMachine({ arch: x86() })).histogram, {
    unit: "us",
    bucketSize: 1,
    entries: 256,
  });
});
