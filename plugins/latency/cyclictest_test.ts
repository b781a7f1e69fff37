/**
 * cyclictest in the model: exact statistics from the model's fixed costs,
 * an interrupt storm with and without PREEMPT_RT, the `-h` layout line by
 * line, the `-b` break, determinism, and bad options (rule 22.2).
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, DEFAULT_TIMING, ftrace, LEGACY_TIMING, type Plugin } from "../../mod.ts";
import { x86 } from "../../arch/x86/mod.ts";
import { preemptRt } from "../preempt_rt/mod.ts";
import { calcdiffUs, cyclictest, type CyclictestOptions } from "./mod.ts";
import { addRxStorm } from "../../tests/storm.ts";

// These tests check the tool's logic and layouts against hand-computed numbers, so they run with
// free kernel paths (LEGACY_TIMING); the last one checks the default costs.

/** The model's cost of a wake-up from idle: timer interrupt entry and exit, then the switch to the thread. */
const X86 = x86().timing;
const IDLE_WAKE_NS = X86.irqEntryNs + X86.irqExitNs + DEFAULT_TIMING.contextSwitchNs;

/** A machine with a device on CPU 0 interrupting every 97 µs, its handler queueing a 30 µs plain irq_work. */
function storm(rt: boolean, plugins: Plugin[] = []) {
  const m = createMachine({
    arch: x86(),
    timing: LEGACY_TIMING,
    cpus: 2,
    plugins: rt ? [preemptRt(), ...plugins] : plugins,
  });
  addRxStorm(m);
  return m;
}

Deno.test("rule 22.2: on an idle CPU every latency is the model's fixed wake-up cost, exactly", () => {
  assert.equal(IDLE_WAKE_NS, 2_600);
  const m = createMachine({ arch: x86(), timing: LEGACY_TIMING, cpus: 2 });
  const ct = cyclictest(m, { affinity: [1], priority: 98, interval: 100, loops: 50 });
  m.runFor(10_000_000);
  const t = ct.threads[0]!;
  assert.ok(ct.done);
  assert.deepEqual([t.ns.count, t.ns.min, t.ns.max, t.ns.sum], [
    50,
    IDLE_WAKE_NS,
    IDLE_WAKE_NS,
    50 * IDLE_WAKE_NS,
  ]);
  assert.deepEqual(
    [t.us.min, t.us.avg, t.us.max, t.us.last],
    [2, 2, 2, 2],
    "calcdiff() truncates 2.6 µs to 2",
  );
  assert.equal(
    ct.summary(),
    `T: 0 (   11) P:98 I:100 C:     50 Min:      2 Act:    2 Avg:    2 Max:       2\n`,
  );
});

Deno.test("rule 22.2: calcdiff() truncates each timespec's ns part, as rt-tests does", () => {
  assert.equal(calcdiffUs(2_600, 0), 2);
  assert.equal(calcdiffUs(1_000_000_100, 999_999_900), 1, "0.2 µs across a second reads 1 µs");
  assert.equal(calcdiffUs(5_000_999, 5_000_000), 0);
});

Deno.test("rule 22.2: an irq_work storm raises the max latency without PREEMPT_RT, not with it", () => {
  const max: number[] = [];
  for (const rt of [false, true]) {
    const m = storm(rt);
    const ct = cyclictest(m, { smp: true, priority: 98, interval: 1000, loops: 200, histogram: 50 });
    m.runFor(250_000_000);
    assert.ok(ct.done);
    const [cpu0, cpu1] = ct.threads;
    assert.equal(cpu1!.ns.max, IDLE_WAKE_NS, "the quiet CPU only pays the wake-up");
    max.push(cpu0!.ns.max);
  }
  const [nonRt, rt] = max as [number, number];
  // !RT: the 30 µs callback runs in the irq_work interrupt, which the timer interrupt waits behind.
  assert.ok(nonRt >= 30_000 + IDLE_WAKE_NS && nonRt < 40_000, `!RT max ${nonRt} ns`);
  // RT: the callback runs in irq_work/0 (FIFO 1), which the FIFO 98 thread preempts; at worst the timer
  // cuts into a context switch, which finishes first (one more switch's worth).
  assert.ok(rt <= IDLE_WAKE_NS + DEFAULT_TIMING.contextSwitchNs, `RT max ${rt} ns`);
});

Deno.test("rule 22.2: the -H histogram, line by line in cyclictest's layout", () => {
  const m = createMachine({ arch: x86(), timing: LEGACY_TIMING, cpus: 2 });
  const ct = cyclictest(m, { smp: true, priority: 80, loops: 10, histofall: 4 });
  m.runFor(20_000_000);
  const [a, b] = ct.threads.map((t) => String(t.pid).padStart(5));
  assert.equal(
    ct.report(),
    [
      `T: 0 (${a}) P:80 I:1000 C:     10 Min:      2 Act:    2 Avg:    2 Max:       2`,
      `T: 1 (${b}) P:80 I:1000 C:     10 Min:      2 Act:    2 Avg:    2 Max:       2`,
      "# Histogram",
      "000000 000000\t000000\t000000",
      "000001 000000\t000000\t000000",
      "000002 000010\t000010\t000020",
      "000003 000000\t000000\t000000",
      "# Total: 000000010 000000010 000000020",
      "# Min Latencies: 00002 00002",
      "# Avg Latencies: 00002 00002",
      "# Max Latencies: 00002 00002 00002",
      "# Histogram Overflows: 00000 00000 00000",
      "# Histogram Overflow at cycle number:",
      "# Thread 0:",
      "# Thread 1:",
      "",
      "",
    ].join("\n"),
  );
});

Deno.test("rule 22.2: overflows past -h count apart, with the first cycle numbers", () => {
  const m = createMachine({ arch: x86(), timing: LEGACY_TIMING });
  const ct = cyclictest(m, { priority: 50, loops: 10, histogram: 2 });
  m.runFor(20_000_000);
  const lines = ct.histogram().split("\n");
  assert.deepEqual(lines.slice(0, 3), ["# Histogram", "000000 000000", "000001 000000"]);
  assert.equal(lines[3], "# Total: 000000000");
  assert.equal(lines[7], "# Histogram Overflows: 00010");
  assert.equal(lines[9], "# Thread 0: 00000 00001 # 00008 others");
});

Deno.test("rule 22.2: -b stops the machine at the first latency over the threshold, the trace ending there", () => {
  const tracer = ftrace();
  const m = storm(false, [tracer]);
  const ct = cyclictest(m, { affinity: [0], priority: 98, histogram: 100, breaktrace: 20 });
  m.runFor(1_000_000_000);
  const broke = ct.broke;
  assert.ok(broke !== null);
  const t = ct.threads[0]!;
  assert.equal(m.now, broke.at, "stopped at the sample");
  assert.ok(broke.latency > 20 && broke.latency === t.us.max && t.us.last === broke.latency);
  assert.equal(t.buckets.slice(21).reduce((a, b) => a + b, 0), 1, "every earlier sample was within it");
  assert.match(
    ct.report(),
    new RegExp(
      `# Thread Ids: ${
        String(t.pid).padStart(5, "0")
      }\n# Break thread: ${t.pid}\n# Break value: ${broke.latency}\n$`,
    ),
  );
  const last = tracer.lines.filter((l) => l.includes("[000]")).slice(-3).join("\n");
  assert.match(last, /sched_switch: .*next_comm=cyclictest/, "the trace ends with the thread's late wake-up");
  const count = t.us.count;
  m.runFor(5_000_000); // the machine may go on; the threads have stopped
  assert.ok(ct.done);
  assert.equal(t.us.count, count);
});

Deno.test("rule 22.2: relative timing (-r) measures the same wake-up but drifts by it every period", () => {
  const counts: number[] = [];
  for (const relative of [false, true]) {
    const m = createMachine({ arch: x86(), timing: LEGACY_TIMING });
    const ct = cyclictest(m, { priority: 98, interval: 100, relative });
    m.runFor(10_000_000);
    const t = ct.threads[0]!;
    assert.equal(t.ns.max, IDLE_WAKE_NS);
    counts.push(t.ns.count);
  }
  assert.equal(counts[0], 99, "absolute: one per 100 µs after the first period");
  // Relative: each period starts when the previous wake-up's measurement is done, 100 + 2.6 µs apart.
  assert.equal(counts[1], Math.floor((10_000_000 - IDLE_WAKE_NS) / (100_000 + IDLE_WAKE_NS)));
});

Deno.test("rule 22.2: the same scenario gives the same report, byte for byte", () => {
  const run = () => {
    const m = createMachine({ arch: x86(), timing: LEGACY_TIMING, cpus: 2, seed: 7 });
    addRxStorm(m, 50_000);
    const ct = cyclictest(m, { smp: true, priority: 98, loops: 100, histogram: 40 });
    m.runFor(200_000_000);
    return ct.report();
  };
  assert.equal(run(), run());
});

Deno.test("rule 22.2: bad options are refused with the option, the value and what is allowed", () => {
  const cases: [CyclictestOptions, RegExp][] = [
    [
      { interval: 0 },
      /^cyclictest option interval \(-i\) must be a whole number 1\.\.1000000000, got 0 \(number\)$/,
    ],
    [
      { priority: 100 },
      /^cyclictest option priority \(-p\) must be a whole number 0\.\.99, got 100 \(number\)$/,
    ],
    [{ priority: 50, policy: "other" }, /priority \(-p\) 50 needs policy fifo or rr/],
    [
      { affinity: [2] },
      /^cyclictest option affinity \(-a\): 2 \(number\) is not a CPU of this machine, which has CPUs 0\.\.1$/,
    ],
    [{ affinity: [] }, /affinity \(-a\) must name at least one CPU/],
    [{ affinity: [1, 1] }, /affinity \(-a\) names CPU 1 twice/],
    [{ threads: 0 }, /threads \(-t\) must be a whole number 1\.\.4096, got 0/],
    [{ smp: true, threads: 2 }, /smp \(-S\) sets the affinity and the threads itself/],
    [{ histogram: -1 }, /histogram \(-h\) must be a whole number 0\.\.1000000, got -1/],
    [{ histogram: 10, histofall: 10 }, /histogram \(-h\) and histofall \(-H\) exclude each other/],
    [{ breaktrace: 1.5 }, /breaktrace \(-b\) must be a whole number >= 0, got 1\.5/],
    [{ loops: -1 }, /loops \(-l\) must be a whole number >= 0, got -1/],
    [{ duration: -1 }, /duration \(-D\) must be a number of seconds >= 0/],
    [{ relative: 1 as unknown as boolean }, /relative \(-r\) must be true or false, got 1 \(number\)/],
    [
      { analysis: "yes" as unknown as boolean },
      /^cyclictest option analysis must be true or false, got "yes"/,
    ],
    [{ policy: "deadline" as "fifo" }, /policy \(--policy\) must be "fifo", "rr" or "other", got "deadline"/],
    [
      { intervall: 5 } as unknown as CyclictestOptions,
      /^cyclictest: unknown option "intervall"; known: affinity, /,
    ],
  ];
  for (const [options, message] of cases) {
    const m = createMachine({ arch: x86(), timing: LEGACY_TIMING, cpus: 2 });
    assert.throws(() => cyclictest(m, options), { message }, JSON.stringify(options));
  }
});

Deno.test("rule 22.2, 23.2: with the default costs an idle wake-up also pays try_to_wake_up()", () => {
  const m = createMachine({ arch: x86(), cpus: 2 });
  const ct = cyclictest(m, { affinity: [1], priority: 98, interval: 100, loops: 10 });
  m.runFor(10_000_000);
  const { irqEntryNs, irqExitNs } = X86;
  const { wakeUpNs, contextSwitchNs } = m.kernel.timing;
  const expected = irqEntryNs + wakeUpNs + irqExitNs + contextSwitchNs;
  assert.equal(expected, 3_600);
  assert.deepEqual([ct.threads[0]!.ns.min, ct.threads[0]!.ns.max], [expected, expected]);
});

Deno.test("rule 22.2: with analysis, the worst sample is analysed: the irq_work callback that delayed it", () => {
  const m = storm(false);
  const ct = cyclictest(m, { affinity: [0], priority: 98, interval: 1000, loops: 200, analysis: true });
  m.runFor(250_000_000);
  const worst = ct.worst;
  assert.ok(worst !== null);
  assert.equal(worst.total, ct.threads[0]!.ns.max, "the worst sample of the run");
  assert.equal(worst.cpu, 0);
  assert.ok(worst.works.some((w) => w.name.startsWith("rx_done (hardirq irq_work:246)")), ct.analysis());
  assert.match(ct.analysis(), /^## CPU 0 worst sample \(#\d+\), analyzing it ##\n/);
  assert.match(ct.analysis(), /Thread latency:\s+\d+\.\d\d us \(100%\)\n$/);
  const plain = cyclictest(createMachine({ arch: x86(), cpus: 1 }), { loops: 1 });
  assert.equal(plain.worst, null, "off by default");
  assert.equal(plain.analysis(), "");
});

Deno.test("rule 22.2: maxSnapshot keeps the trace of the worst sample, as tracing_max_latency does", () => {
  const tracer = ftrace();
  assert.equal(tracer.snapshotText(), null, "no snapshot before the first");
  const m = storm(false, [tracer]);
  const ct = cyclictest(m, { affinity: [0], priority: 98, interval: 1000, loops: 100, maxSnapshot: tracer });
  m.runFor(200_000_000);
  const worst = ct.threads[0]!.ns.max;
  assert.ok(worst > 20_000, `the storm delays some sample (${worst} ns)`);
  const snap = tracer.snapshotText()!;
  const lines = snap.split("\n").filter((l) => l !== "" && !l.startsWith("#"));
  const at = (line: string) => Math.round(Number(/ (\d+\.\d{6}): /.exec(line)![1]) * 1e6);
  // The snapshot ends where the worst sample was taken: the thread has just run, after rx_done.
  const end = at(lines.at(-1)!);
  assert.ok(end < m.now - 1_000_000, "taken long before the end of the run");
  assert.ok(lines.some((l) => l.includes("irqemu_irq_work_execute_start: work=rx_done")));
  assert.match(snap, /^# entries-in-buffer\/entries-written: (\d+)\/\1 /m);
  assert.ok(tracer.text().length > snap.length, "the live trace went on after the snapshot");
  assert.throws(() => cyclictest(m, { maxSnapshot: 5 as never }), TypeError);
});
