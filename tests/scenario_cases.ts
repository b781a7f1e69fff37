/**
 * Scenario documents for the loader's and the schema's tests: valid ones,
 * and bad ones each with the loader's exact message and whether the JSON
 * Schema rejects it too (a schema cannot know how many CPUs the machine has
 * or which works exist; the loader checks those).
 *
 * @module
 */

/** A document being edited: any JSON, reached into freely. */
// deno-lint-ignore no-explicit-any
export type Doc = Record<string, any>;

/** A small valid scenario; each case edits a fresh copy. */
export function base(): Doc {
  return {
    irqemu: 1,
    machine: { arch: "x86", cpus: 4 },
    works: [{ name: "rx", costNs: 1_000 }],
    tasks: [{ name: "t", cpu: 0, ops: [{ op: "queue", work: "rx" }] }],
    run: { durationNs: 1_000_000 },
  };
}

/** Valid documents: the loader accepts each and the schema does too. */
export const VALID: readonly { readonly name: string; readonly doc: () => unknown }[] = [
  {
    name: "the smallest scenario",
    doc: () => ({ irqemu: 1, machine: { arch: "tick-only" }, run: { durationNs: 1 } }),
  },
  { name: "the base scenario", doc: base },
  {
    name: "every machine option",
    doc: () => ({
      $schema: "../schema/scenario.v1.json",
      irqemu: 1,
      name: "all",
      description: "every field",
      machine: {
        arch: { name: "x86", apic: true },
        cpus: 2,
        hz: 1000,
        kernel: "6.1.192",
        fixes: { "91840be8f710": false },
        rt: true,
        seed: 4294967295,
        idle: "poll",
        nohz: false,
        threadIrqs: true,
        timing: { contextSwitchNs: 1_000, tickNs: 500, cpuRelaxNs: 10, spinLimitNs: 5_000_000 },
        checker: false,
      },
      run: { durationNs: 1_000 },
      outputs: {
        ftrace: "a.txt",
        perfetto: "a.json",
        traceDat: "a.dat",
        findings: "f.json",
        report: "r.txt",
      },
    }),
  },
  {
    name: "every op, work kind, interrupt source and generator",
    doc: () => ({
      irqemu: 1,
      machine: { arch: "arm64", cpus: 2 },
      works: [
        { name: "a", flags: ["HARD"], costNs: 100 },
        { name: "b", flags: ["LAZY"], ops: [{ op: "spend", ns: 10 }, { op: "queue", work: "a" }] },
        { name: "c", workload: "rtoPush", cpu: 1 },
        { name: "d" },
      ],
      irqs: [
        { irq: 40, name: "nic", cpu: 1, source: { at: [10, 20] }, handler: [{ op: "queue", work: "a" }] },
        {
          irq: 41,
          name: "disk",
          cpu: 0,
          source: { periodNs: 1_000, startNs: 0, jitterNs: 999, count: 3 },
          thread: [{ op: "msleep", ms: 1 }, { op: "sleep", ns: 5 }],
          noThread: true,
        },
      ],
      tasks: [{
        name: "worker",
        cpu: 1,
        policy: "rr",
        priority: 99,
        startNs: 5,
        repeat: "forever",
        ops: [
          { op: "irqDisable" },
          { op: "irqEnable" },
          { op: "preemptDisable" },
          { op: "preemptEnable" },
          { op: "rcuReadLock" },
          { op: "rcuReadUnlock" },
          { op: "queueOn", work: "b", cpu: 0 },
          { op: "sync", work: "b" },
          { op: "sleep", ns: 1_000 },
        ],
      }, { name: "once", cpu: 0, repeat: 3, ops: [] }],
      load: [
        { name: "p", kind: "periodic", cpu: 0, works: ["a", "c"], periodNs: 100, startNs: 7, count: 3 },
        {
          name: "r",
          kind: "random",
          cpu: 1,
          works: ["a"],
          distribution: "exponential",
          meanNs: 50,
          policy: "other",
        },
        {
          name: "u",
          kind: "random",
          cpu: 1,
          works: ["a"],
          distribution: "uniform",
          minNs: 5,
          maxNs: 5,
          priority: 3,
        },
        { name: "n", kind: "burst", cpu: 0, works: ["d"], from: "nmi", periodNs: 1_000, size: 3, gapNs: 10 },
      ],
      latency: {
        tool: "timerlat",
        cpus: [1],
        policy: "fifo",
        priority: 98,
        intervalNs: 100_000,
        relative: true,
        startNs: 10,
        breakNs: 50_000,
        histogramUs: 200,
      },
      run: { durationNs: 5_000_000 },
    }),
  },
];

/** A bad document: the loader's whole message, and whether the schema rejects it too. */
export interface BadCase {
  /** What is wrong. */
  readonly name: string;
  /** The document. */
  readonly doc: () => unknown;
  /** The loader's message, every line. */
  readonly message: string;
  /** The schema rejects it as well (false: only the loader can tell). */
  readonly schema: boolean;
}

function edit(fn: (d: Doc) => void): () => unknown {
  return () => {
    const d = base();
    fn(d);
    return d;
  };
}

const CPUS_4 = "the machine has 4 CPUs (0..3)";

/** Bad documents, one problem each (the last lists several). */
export const BAD: readonly BadCase[] = [
  {
    name: "not an object",
    doc: () => [1, 2, 3],
    message: "scenario: must be a scenario (a JSON object), got an array of 3",
    schema: true,
  },
  {
    name: "bad version",
    doc: edit((d) => (d.irqemu = 2)),
    message: "irqemu: unsupported format version 2 (number); this irqemu reads version 1",
    schema: true,
  },
  {
    name: "missing version",
    doc: edit((d) => delete d.irqemu),
    message: 'irqemu: missing required field: the format version, 1 ("irqemu": 1)',
    schema: true,
  },
  {
    name: "unknown arch",
    doc: edit((d) => (d.machine.arch = "riscv")),
    message: 'machine.arch: unknown arch "riscv" (known: x86, arm64, powerpc, tick-only)',
    schema: true,
  },
  {
    name: "a misspelt arch",
    doc: edit((d) => (d.machine.arch = "tick_only")),
    message:
      'machine.arch: unknown arch "tick_only"; did you mean "tick-only"? (known: x86, arm64, powerpc, tick-only)',
    schema: true,
  },
  {
    name: "an option of another arch",
    doc: edit((d) => (d.machine.arch = { name: "arm64", apic: false })),
    message: "machine.arch.apic: only x86 has the apic option; arm64 takes no options",
    schema: true,
  },
  {
    name: "x86 without an APIC has one CPU",
    doc: edit((d) => (d.machine.arch = { name: "x86", apic: false })),
    message: "machine.cpus: x86 without an APIC (apic: false) has one CPU, asked for 4",
    schema: false,
  },
  {
    name: "wrong type",
    doc: edit((d) => (d.machine.cpus = "4")),
    message: 'machine.cpus: must be a whole number 1..1024, got "4" (string)',
    schema: true,
  },
  {
    name: "unknown key",
    doc: edit((d) => (d.machine.cpu = 4)),
    message:
      'machine.cpu: unknown key; did you mean "cpus"? (known: arch, cpus, hz, kernel, fixes, rt, seed, ' +
      "idle, nohz, threadIrqs, timing, checker)",
    schema: true,
  },
  {
    name: "unknown timing",
    doc: edit((d) => (d.machine.timing = { ipiNs: 5 })),
    message:
      "machine.timing.ipiNs: unknown key (known: irqWorkClaimNs, irqWorkReleaseNs, llistAddNs, llistDelAllNs, callSingleQueueNs, wakeUpNs, contextSwitchNs, tickNs, cpuRelaxNs, spinLimitNs)",
    schema: true,
  },
  {
    name: "missing required field",
    doc: edit((d) => delete d.run),
    message: 'run: missing required field: how long to run ({ "durationNs": ... })',
    schema: true,
  },
  {
    name: "missing machine",
    doc: edit((d) => delete d.machine),
    message: 'machine: missing required field: the machine ({ "arch": ... })',
    schema: true,
  },
  {
    name: "unknown kernel",
    doc: edit((d) => (d.machine.kernel = "linux-next")),
    message:
      'machine.kernel: Unknown kernel "linux-next": use a release such as "6.1", "6.1.192", "5.15-rt" or ' +
      '"mainline" (7.1), or an alias: seed, C, D',
    schema: false,
  },
  {
    name: "a kernel older than the model",
    doc: edit((d) => (d.machine.kernel = "4.19")),
    message:
      'machine.kernel: Kernel "4.19" is older than 5.15, the oldest release the model covers (5.10\'s ' +
      "irq_work and the RT patch queue's scheme before 5.15-rt are not modelled)",
    schema: false,
  },
  {
    name: "a fix switched with a string",
    doc: edit((d) => (d.machine.fixes = { "91840be8f710": "off" })),
    message: 'machine.fixes.91840be8f710: must be true (fix on) or false (fix off), got "off" (string)',
    schema: true,
  },
  {
    name: "PREEMPT_RT on a kernel without the irq_work thread",
    doc: edit((d) => Object.assign(d.machine, { kernel: "5.15", rt: true })),
    message:
      'machine.rt: PREEMPT_RT needs fix b4c6f86ec2f6 (the per-CPU irq_work thread), which kernel "5.15" ' +
      "does not have here: use a 5.15-rt, 5.16 or later kernel (the older RT scheme is not modelled)",
    schema: false,
  },
  {
    name: "a seed wider than 32 bits",
    doc: edit((d) => (d.machine.seed = 2 ** 32)),
    message: "machine.seed: must be a whole number 0..4294967295, got 4294967296 (number)",
    schema: true,
  },
  {
    name: "CPU out of range",
    doc: edit((d) => (d.tasks[0].cpu = 7)),
    message: `tasks[0].cpu: CPU 7 does not exist: ${CPUS_4}`,
    schema: false,
  },
  {
    name: "CPU out of range in an op",
    doc: edit((d) => {
      d.tasks.push({ name: "u", cpu: 1, ops: [{ op: "spend", ns: 1 }] });
      d.tasks.push({ name: "v", cpu: 1, ops: [{ op: "queueOn", work: "rx", cpu: 9 }] });
    }),
    message: `tasks[2].ops[0].cpu: CPU 9 does not exist: ${CPUS_4}`,
    schema: false,
  },
  {
    name: "negative period",
    doc: edit((d) => (d.irqs = [{ irq: 1, name: "eth0", cpu: 0, source: { periodNs: -5 }, handler: [] }])),
    message: "irqs[0].source.periodNs: must be a whole number of ns >= 1, got -5 (number) (it is negative)",
    schema: true,
  },
  {
    name: "jitter as long as the period",
    doc: edit((
      d,
    ) => (d.irqs = [{
      irq: 1,
      name: "eth0",
      cpu: 0,
      source: { periodNs: 100, jitterNs: 100 },
      handler: [],
    }])),
    message: "irqs[0].source.jitterNs: must be a whole number of ns 0..99, got 100 (number)",
    schema: false,
  },
  {
    name: "an interrupt with no handler",
    doc: edit((d) => (d.irqs = [{ irq: 1, name: "eth0", cpu: 0, source: { at: [1] } }])),
    message: 'irqs[0]: give a "handler", a "thread", or both',
    schema: true,
  },
  {
    name: "an IRQ requested twice",
    doc: edit((d) => {
      const line = { irq: 1, name: "eth0", cpu: 0, source: { at: [1] }, handler: [] };
      d.irqs = [line, { ...line, name: "eth1" }];
    }),
    message: "irqs[1].irq: IRQ 1 is requested twice (also irqs[0])",
    schema: false,
  },
  {
    name: "a device name with a space",
    doc: edit((d) => (d.irqs = [{ irq: 1, name: "eth 0", cpu: 0, source: { at: [1] }, handler: [] }])),
    message: 'irqs[0].name: must be 1 to 15 bytes without control characters or spaces, got "eth 0" (string)',
    schema: true,
  },
  {
    name: "sleeping in a hard-IRQ handler",
    doc: edit((
      d,
    ) => (d.irqs = [{
      irq: 1,
      name: "eth0",
      cpu: 0,
      source: { at: [5] },
      handler: [{ op: "sleep", ns: 5 }],
    }])),
    message:
      "irqs[0].handler[0].op: sleep cannot run in a hardirq handler: only tasks and threaded handlers may sleep",
    schema: false,
  },
  {
    name: "sleeping in an irq_work callback",
    doc: edit((d) => (d.works[0] = { name: "rx", ops: [{ op: "msleep", ms: 1 }] })),
    message:
      "works[0].ops[0].op: msleep cannot run in a callback: only tasks and threaded handlers may sleep",
    schema: false,
  },
  {
    name: "unknown work name",
    doc: edit((d) => (d.tasks[0].ops[0].work = "tx")),
    message: 'tasks[0].ops[0].work: unknown work "tx"; works are: rx',
    schema: false,
  },
  {
    name: "a duplicate work name",
    doc: edit((d) => d.works.push({ name: "rx", costNs: 5 })),
    message: 'works[1].name: duplicate work name "rx" (also works[0])',
    schema: false,
  },
  {
    name: "a callback given twice",
    doc: edit((d) => (d.works[0] = { name: "rx", costNs: 5, ops: [] })),
    message: 'works[0]: give the callback as "costNs" or as "ops", not both',
    schema: true,
  },
  {
    name: "unknown flag",
    doc: edit((d) => (d.works[0].flags = ["HARD", "NMI"])),
    message: 'works[0].flags[1]: unknown flag "NMI" (known: HARD, LAZY)',
    schema: true,
  },
  {
    name: "unknown workload",
    doc: edit((d) => (d.works[0] = { name: "rx", workload: "rtPush" })),
    message: 'works[0].workload: unknown workload "rtPush"; did you mean "rtoPush"? (known: nohzFullKick, ' +
      "rtoPush, wakeUpKlogd, perfPendingIrq, perfPendingDisable, sugov, bpfSendSignal, ringBufferWakeUp, " +
      "kfreeExample, dmaFenceArray)",
    schema: true,
  },
  {
    name: "a workload with a cost",
    doc: edit((d) => (d.works[0] = { name: "rx", workload: "sugov", costNs: 5 })),
    message: "works[0].costNs: unknown key (known: name, workload, cpu)",
    schema: true,
  },
  {
    name: "unknown op",
    doc: edit((d) => (d.tasks[0].ops[0] = { op: "queu", work: "rx" })),
    message:
      'tasks[0].ops[0].op: unknown op "queu"; did you mean "queue"? (known: spend, sleep, msleep, queue, ' +
      "queueOn, sync, irqDisable, irqEnable, preemptDisable, preemptEnable, rcuReadLock, rcuReadUnlock)",
    schema: true,
  },
  {
    name: "an op's missing field",
    doc: edit((d) => (d.tasks[0].ops[0] = { op: "queueOn", work: "rx" })),
    message: "tasks[0].ops[0].cpu: missing required field: the queueOn op's cpu",
    schema: true,
  },
  {
    name: "a field another op takes",
    doc: edit((d) => (d.tasks[0].ops[0] = { op: "spend", ns: 5, cpu: 1 })),
    message: "tasks[0].ops[0].cpu: unknown key (known: op, ns)",
    schema: true,
  },
  {
    name: "preemptEnable first",
    doc: edit((d) => (d.tasks[0].ops = [{ op: "preemptEnable" }])),
    message: "tasks[0].ops[0].op: preemptEnable without a preemptDisable before it in this list",
    schema: false,
  },
  {
    name: "an RT priority for SCHED_OTHER",
    doc: edit((d) => (d.tasks[0].priority = 5)),
    message: "tasks[0].priority: must be 0 for policy other (SCHED_OTHER has no RT priority), got 5 (number)",
    schema: false,
  },
  {
    name: "a priority above 99",
    doc: edit((d) => Object.assign(d.tasks[0], { policy: "fifo", priority: 100 })),
    message: "tasks[0].priority: must be a whole number 1..99, got 100 (number)",
    schema: true,
  },
  {
    name: "a task name longer than TASK_COMM_LEN holds",
    doc: edit((d) => (d.tasks[0].name = "a_very_long_task_name")),
    message:
      'tasks[0].name: must be 1 to 15 bytes without control characters, got "a_very_long_task_name" (string)',
    schema: true,
  },
  {
    name: "an empty body repeated forever",
    doc: edit((d) => Object.assign(d.tasks[0], { repeat: "forever", ops: [] })),
    message: 'tasks[0].ops: a task that repeats "forever" needs at least one op',
    schema: false,
  },
  {
    name: "repeat as a word other than forever",
    doc: edit((d) => (d.tasks[0].repeat = "always")),
    message: 'tasks[0].repeat: must be a whole number >= 1 or "forever", got "always" (string)',
    schema: true,
  },
  {
    name: "a load generator without a kind",
    doc: edit((d) => (d.load = [{ name: "g", cpu: 0, works: ["rx"], periodNs: 5 }])),
    message: "load[0].kind: missing required field: the kind of arrivals (periodic, random, burst)",
    schema: true,
  },
  {
    name: "a uniform distribution upside down",
    doc: edit((
      d,
    ) => (d.load = [{
      name: "g",
      kind: "random",
      distribution: "uniform",
      minNs: 10,
      maxNs: 5,
      cpu: 0,
      works: ["rx"],
    }])),
    message: "load[0].maxNs: must be at least minNs (10 ns), got 5 ns",
    schema: false,
  },
  {
    name: "an exponential distribution with uniform's bounds",
    doc: edit((
      d,
    ) => (d.load = [{
      name: "g",
      kind: "random",
      distribution: "exponential",
      meanNs: 5,
      minNs: 1,
      cpu: 0,
      works: ["rx"],
    }])),
    message: "load[0].minNs: applies to the uniform distribution only",
    schema: true,
  },
  {
    name: "a burst longer than its period",
    doc: edit((
      d,
    ) => (d.load = [{
      name: "g",
      kind: "burst",
      periodNs: 100,
      size: 11,
      gapNs: 10,
      cpu: 0,
      works: ["rx"],
    }])),
    message: "load[0].gapNs: a burst of 11 arrivals 10 ns apart does not fit in its period of 100 ns",
    schema: false,
  },
  {
    name: "an NMI generator with a priority",
    doc: edit((
      d,
    ) => (d.load = [{
      name: "g",
      kind: "periodic",
      periodNs: 100,
      from: "nmi",
      priority: 5,
      cpu: 0,
      works: ["rx"],
    }])),
    message: "load[0]: an NMI generator has no task: policy and priority do not apply",
    schema: false,
  },
  {
    name: "a generator of an unknown work",
    doc: edit((
      d,
    ) => (d.load = [{ name: "g", kind: "periodic", periodNs: 100, cpu: 0, works: ["rx", "tx"] }])),
    message: 'load[0].works[1]: unknown work "tx"; works are: rx',
    schema: false,
  },
  {
    name: "unknown latency tool",
    doc: edit((d) => (d.latency = { tool: "cyclictst" })),
    message:
      'latency.tool: unknown measuring tool "cyclictst"; did you mean "cyclictest"? (known: cyclictest, timerlat)',
    schema: true,
  },
  {
    name: "a latency CPU out of range",
    doc: edit((d) => (d.latency = { tool: "cyclictest", cpus: [0, 5] })),
    message: `latency.cpus[1]: CPU 5 does not exist: ${CPUS_4}`,
    schema: false,
  },
  {
    name: "a zero duration",
    doc: edit((d) => (d.run.durationNs = 0)),
    message: "run.durationNs: must be a whole number of ns >= 1, got 0 (number)",
    schema: true,
  },
  {
    name: "an empty output path",
    doc: edit((d) => (d.outputs = { ftrace: "" })),
    message: 'outputs.ftrace: must be a file path (a non-empty string), got "" (string)',
    schema: true,
  },
  {
    name: "several problems at once",
    doc: edit((d) => {
      d.machine.cpus = 0;
      d.tasks[0].ops[0].work = "tx";
      d.run.durationNs = 1.5;
    }),
    message: [
      "machine.cpus: must be a whole number 1..1024, got 0 (number)",
      'tasks[0].ops[0].work: unknown work "tx"; works are: rx',
      "run.durationNs: must be a whole number of ns >= 1, got 1.5 (number)",
    ].join("\n"),
    schema: true,
  },
];
