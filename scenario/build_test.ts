/**
 * The builder: each part of a scenario becomes what it describes on the
 * machine (works and their flags, library workloads, device interrupts,
 * tasks, load generators from tasks and NMIs), and the latency hook is
 * called, or its absence refused.
 */

import assert from "node:assert/strict";
import { arrivals } from "./arrivals.ts";
import {
  buildScenario,
  type LatencyMeasurement,
  type LatencySpec,
  loadScenario,
  type MeasureHook,
  ScenarioFileError,
} from "./mod.ts";

/** Build and run `doc` (version and run length filled in). */
function run(doc: Record<string, unknown>, options = {}) {
  const built = buildScenario(loadScenario({ irqemu: 1, run: { durationNs: 5_000_000 }, ...doc }), options);
  built.run();
  return built;
}

Deno.test("build: works run their ops; HARD stays in hard IRQ on RT, plain ones go to irq_work/N", () => {
  const built = run({
    machine: { arch: "x86", cpus: 2, rt: true },
    works: [
      { name: "plain", costNs: 3_000 },
      {
        name: "hard",
        flags: ["HARD"],
        ops: [{ op: "spend", ns: 1_000 }, { op: "queueOn", work: "plain", cpu: 1 }],
      },
    ],
    tasks: [{ name: "t", cpu: 0, ops: [{ op: "queue", work: "hard" }] }],
  });
  const runs = built.machine.runs.filter((r) => !r.internal);
  assert.deepEqual(runs.map((r) => [r.work.name, r.cpu, r.context, r.task.comm]), [
    ["hard", 0, "hardirq", "t"],
    ["plain", 1, "task", "irq_work/1"],
  ]);
  const plain = runs[1]!;
  assert.equal(plain.endedAt - plain.startedAt, 3_000);
});

Deno.test("build: a library workload is queued through its own site", () => {
  const built = run({
    machine: { arch: "x86", cpus: 2 },
    works: [{ name: "kick", workload: "nohzFullKick", cpu: 0 }],
    tasks: [{ name: "t", cpu: 0, ops: [{ op: "queue", work: "kick" }] }],
  });
  // tick_nohz_full_kick_cpu() queues the kick on the next CPU.
  assert.deepEqual(built.machine.runs.map((r) => [r.work.name, r.cpu]), [["nohz_full_kick_work", 1]]);
});

Deno.test("build: a device interrupt runs its handler and thread, and counts", () => {
  const built = run({
    machine: { arch: "arm64", cpus: 2 },
    works: [{ name: "rx", costNs: 500 }, { name: "tx", costNs: 500 }],
    irqs: [{
      irq: 42,
      name: "eth0",
      cpu: 1,
      source: { periodNs: 1_000_000, count: 3 },
      handler: [{ op: "queue", work: "rx" }],
      thread: [{ op: "sleep", ns: 1_000 }, { op: "queue", work: "tx" }],
    }],
  });
  const runs = built.machine.runs;
  assert.equal(runs.filter((r) => r.work.name === "rx" && r.cpu === 1).length, 3);
  assert.equal(runs.filter((r) => r.work.name === "tx" && r.cpu === 1).length, 3);
  assert.match(built.summary(), /IRQ 42 eth0 on CPU 1: 3/);
});

Deno.test("build: tasks run their ops the given number of times, from their start", () => {
  const built = run({
    machine: { arch: "x86" },
    works: [{ name: "w", costNs: 100 }],
    tasks: [{
      name: "t",
      cpu: 0,
      policy: "fifo",
      priority: 10,
      startNs: 1_000_000,
      repeat: 3,
      ops: [{ op: "queue", work: "w" }, { op: "sync", work: "w" }, { op: "sleep", ns: 100_000 }],
    }],
  });
  const runs = built.machine.runs;
  assert.equal(runs.length, 3);
  assert.ok(runs[0]!.queuedAt >= 1_000_000 && runs[0]!.queuedAt < 1_010_000, `${runs[0]!.queuedAt}`);
  assert.equal(runs[0]!.task.comm, "t");
});

Deno.test("build: a periodic generator from a task queues at each arrival", () => {
  const built = run({
    machine: { arch: "x86" },
    works: [{ name: "w", costNs: 100 }],
    load: [{
      name: "gen",
      kind: "periodic",
      cpu: 0,
      works: ["w"],
      periodNs: 1_000_000,
      startNs: 500_000,
      count: 4,
    }],
  });
  const queued = built.machine.runs.map((r) => r.queuedAt);
  assert.equal(queued.length, 4);
  queued.forEach((t, i) => assert.ok(t >= 500_000 + i * 1_000_000 && t < 510_000 + i * 1_000_000, `${t}`));
});

Deno.test("build: an NMI generator queues from NMI context, in bursts", () => {
  const built = run({
    machine: { arch: "x86" },
    works: [{ name: "perf", costNs: 100 }],
    load: [{
      name: "nmi",
      kind: "burst",
      from: "nmi",
      cpu: 0,
      works: ["perf"],
      periodNs: 2_000_000,
      size: 3,
      gapNs: 200_000,
      count: 2,
    }],
  });
  assert.deepEqual(built.machine.interrupts.nmi, [6]);
  assert.equal(built.machine.runs.length, 6);
});

Deno.test("arrivals: periodic, burst, and random streams that are the seed's and the generator's own", () => {
  const spec = (arrival: unknown, count = 5) =>
    loadScenario({
      irqemu: 1,
      machine: { arch: "x86" },
      works: [{ name: "w" }],
      load: [{ name: "g", cpu: 0, works: ["w"], startNs: 10, count, ...(arrival as object) }],
      run: { durationNs: 1 },
    }).load[0]!;
  const take = (next: () => number | undefined) => [...Array(7)].map(() => next());
  assert.deepEqual(take(arrivals(spec({ kind: "periodic", periodNs: 100 }), 1, 0)), [
    10,
    110,
    210,
    310,
    410,
    undefined,
    undefined,
  ]);
  assert.deepEqual(take(arrivals(spec({ kind: "burst", periodNs: 100, size: 3, gapNs: 5 }, 2), 1, 0)), [
    10,
    15,
    20,
    110,
    115,
    120,
    undefined,
  ]);
  const exp = spec({ kind: "random", distribution: "exponential", meanNs: 1_000 }, 2_000);
  const a = take(arrivals(exp, 1, 0));
  assert.deepEqual(take(arrivals(exp, 1, 0)), a, "same seed, same stream");
  assert.notDeepEqual(take(arrivals(exp, 2, 0)), a, "another seed");
  assert.notDeepEqual(take(arrivals(exp, 1, 1)), a, "another generator");
  const next = arrivals(exp, 1, 0);
  let last = next()!, sum = 0;
  for (let i = 1; i < 2_000; i++) {
    const t = next()!;
    assert.ok(t > last);
    sum += t - last;
    last = t;
  }
  const mean = sum / 1_999;
  assert.ok(mean > 900 && mean < 1_100, `mean interval ${mean}`);
  const uni = arrivals(spec({ kind: "random", distribution: "uniform", minNs: 50, maxNs: 60 }, 100), 3, 0);
  let prev = uni()!;
  for (let t = uni(); t !== undefined; t = uni()) {
    assert.ok(t - prev >= 50 && t - prev <= 60);
    prev = t;
  }
});

Deno.test("build: the latency hook gets the section, adds its plugins, attaches, reports", () => {
  const calls: string[] = [];
  const measure: MeasureHook = (spec: LatencySpec, machine) => {
    calls.push(`make ${spec.tool} on ${machine.cpus} CPUs, cpus ${spec.cpus.join(",")}`);
    let events = 0;
    const m: LatencyMeasurement = {
      plugins: [{ name: "count", observers: [() => void events++] }],
      attach(machine, stop) {
        calls.push("attach");
        machine.at(2_000_000, "break", () => stop.stop());
      },
      report: () => `events seen: ${events > 0}\n`,
      exceeded: true,
    };
    return m;
  };
  const built = buildScenario(
    loadScenario({
      irqemu: 1,
      machine: { arch: "x86", cpus: 2 },
      latency: { tool: "cyclictest", cpus: [1] },
      run: { durationNs: 5_000_000 },
      outputs: { report: "r.txt" },
    }),
    { measure },
  );
  assert.equal(built.run().end, "break");
  assert.equal(built.machine.now, 2_000_000);
  assert.deepEqual(calls, ["make cyclictest on 2 CPUs, cpus 1", "attach"]);
  assert.match(
    built.outputs().report!,
    /stopped at the latency break threshold[\s\S]*\nevents seen: true\n$/,
  );
  assert.equal(built.measurement?.exceeded, true);
});

Deno.test("build: a latency section without a measuring plugin is refused, not ignored", () => {
  const scenario = loadScenario({
    irqemu: 1,
    machine: { arch: "x86" },
    latency: { tool: "timerlat" },
    run: { durationNs: 1 },
  });
  assert.throws(() => buildScenario(scenario), (e: unknown) => {
    assert.ok(e instanceof ScenarioFileError);
    assert.equal(
      e.message,
      "latency: the scenario asks for a timerlat measurement, but no measuring plugin was given " +
        "(buildScenario's measure option); remove the latency section to run the rest",
    );
    return true;
  });
});

Deno.test("build: a hook that refuses an option is reported at latency", () => {
  const scenario = loadScenario({
    irqemu: 1,
    machine: { arch: "x86" },
    latency: { tool: "timerlat", relative: true },
    run: { durationNs: 1 },
  });
  const measure: MeasureHook = () => {
    throw new RangeError("timerlat has no relative timing");
  };
  assert.throws(
    () => buildScenario(scenario, { measure }),
    /^ScenarioFileError: latency: timerlat has no relative/,
  );
});

Deno.test("build: outputs and summary are for after the run, and a built scenario runs once", () => {
  const built = buildScenario(loadScenario({ irqemu: 1, machine: { arch: "x86" }, run: { durationNs: 10 } }));
  assert.throws(() => built.summary(), /Run the scenario before asking for its summary/);
  built.run();
  assert.throws(() => built.run(), /runs once/);
  assert.deepEqual(built.outputs(), {});
});
