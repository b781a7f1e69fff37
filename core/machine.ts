/**
 * The machine: `createMachine` builds the kernel's parts in dependency order
 * (engine and trace, findings, memory, CPUs, IPIs, call-single queues,
 * wake-ups, RCU, timers, irq_work, the tick, the flush, locks), registers the
 * arch's interrupt lines, creates the plugins' per-CPU threads and boots each
 * CPU into its idle loop. The {@linkcode Machine} it returns is the scenario
 * face: spawn tasks, send NMIs, take CPUs down, run, and read what happened.
 *
 * @module
 */

import type { InterruptKind } from "./arch.ts";
import { Memory, SEQUENTIAL_CONSISTENCY } from "./atomic.ts";
import { Context } from "./context.ts";
import { checkCpu, Cpu, type CpuEnv } from "./cpu.ts";
import { Engine } from "./engine.ts";
import { Findings } from "./findings.ts";
import { type DeviceIrq, DeviceIrqs, type IrqRequest } from "./device_irq.ts";
import { takeCpuDown } from "./hotplug.ts";
import { doIdle } from "./idle.ts";
import { Ipis } from "./ipi.ts";
import { raiseHw, requestArchIrqs } from "./irq.ts";
import { IrqWorkCore, NON_RT_POLICY, type WorkRun } from "./irq_work.ts";
import { type Kernel, type MaybeKernel, runCallback } from "./kernel.ts";
import { Kmem } from "./kmem.ts";
import { Locking, NON_RT_LOCKING } from "./locking.ts";
import { describe } from "./describe.ts";
import { fillSlot, type MachineOptions, validate } from "./options.ts";
import { claimPlugins } from "./plugin_check.ts";
import type { KernelParts } from "./parts.ts";
import { resolveKernel } from "./profile.ts";
import { Random } from "./random.ts";
import { defaultRcuTiming, Rcu } from "./rcu.ts";
import { RunLog } from "./run_log.ts";
import { checkComm, internalPrio, type SchedPolicy, Task } from "./sched.ts";
import { Smp } from "./smp.ts";
import { SmpFlush } from "./smp_flush.ts";
import { smpbootThreadFn, type SmpHotplugThread } from "./smpboot.ts";
import { Ticks } from "./tick.ts";
import { Timers } from "./timer.ts";
import { archPathTiming, DEFAULT_TIMING, type MachineTiming } from "./timing.ts";
import { type Finding, type Observer, TraceHub } from "./trace.ts";
import { NON_RT_SCHED_FEATURES, Wakeups } from "./wake.ts";

/**
 * Options of a task.
 *
 * @example
 * ```ts
 * import type { TaskOptions } from "./machine.ts";
 * const rtTask: TaskOptions = { cpu: 0, name: "cyclic", policy: "fifo", priority: 90, at: 1_000_000 };
 * void rtTask;
 * ```
 */
export interface TaskOptions {
  /** The CPU the task is bound to. */
  readonly cpu: number;
  /** Task name (`comm`). */
  readonly name: string;
  /** Scheduling policy (default `other`). */
  readonly policy?: SchedPolicy;
  /** RT priority 1..99 for `fifo`/`rr` (0 for `other`). */
  readonly priority?: number;
  /** When the task is first woken, in ns (default now). */
  readonly at?: number;
}

/**
 * A task or NMI body: kernel code, a generator or a plain function, started when it first runs.
 *
 * @example
 * ```ts
 * import type { TaskBody } from "./machine.ts";
 * const producer: TaskBody = function* (ctx) {
 *   yield* ctx.sleep(1_000_000);
 * };
 * void producer;
 * ```
 */
export type TaskBody = (ctx: Context) => MaybeKernel;

/**
 * The per-CPU kernel threads of a booted kernel, in the order each CPU gets
 * them as it comes up. Each has a PID reserved whether the model runs it or
 * not (`irq_work/N` exists only on PREEMPT_RT), so that user tasks get the
 * same PIDs with and without PREEMPT_RT: PID 0 is the idle task, 1 init,
 * 2 kthreadd, then four per CPU (rule 18.6).
 */
const PERCPU_KTHREADS = ["cpuhp", "migration", "ksoftirqd", "irq_work"] as const;
const FIRST_KTHREAD_PID = 3;

/** The reserved PID of per-CPU kernel thread `name` on `cpu`, if it is one. */
function kthreadPid(cpu: number, name: string): number | undefined {
  const slot = (PERCPU_KTHREADS as readonly string[]).indexOf(name);
  return slot < 0 ? undefined : FIRST_KTHREAD_PID + cpu * PERCPU_KTHREADS.length + slot;
}

/** The first PID a scenario's task gets on a machine of `cpus` CPUs. */
function firstUserPid(cpus: number): number {
  return FIRST_KTHREAD_PID + cpus * PERCPU_KTHREADS.length;
}

/** How many irq_work runs a machine keeps unless told (`keepRuns`). */
const DEFAULT_KEEP_RUNS = 100_000;
/** How many findings a machine keeps unless told (`keepFindings`). */
const DEFAULT_KEEP_FINDINGS = 1_000;
/** How many events may fire at one instant unless told (`maxEventsPerInstant`). */
const DEFAULT_MAX_EVENTS_PER_INSTANT = 1_000_000;

/**
 * An emulated machine. Build one with {@linkcode createMachine}.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const m = createMachine({ arch: fixtureArch(), cpus: 2 });
 * m.nmi(1, 500_000, () => {}); // an NMI on CPU 1 at 0.5 ms
 * m.runFor(1_000_000);
 * if (m.now !== 1_000_000 || m.interrupts.nmi[1] !== 1) throw new Error("one NMI");
 * ```
 */
export class Machine {
  /** The kernel's parts (for plugins and tests that look inside). */
  readonly kernel: KernelParts;
  /** Seeded random numbers for scenarios and the explorer; the machine itself makes no random choice. */
  readonly random: Random;
  #runLog: RunLog;
  /** Interrupts taken, by kind, per CPU. */
  readonly interrupts: Record<InterruptKind | "nmi", number[]>;
  #contexts: readonly Context[];
  #env: CpuEnv;
  #nextPid: number;
  #deviceIrqs: DeviceIrqs;
  #maxEventsPerInstant: number;
  /** Inside `runUntil`: the machine's own code is running. */
  #running = false;
  /** Why the machine stopped after an error thrown out of its code, or null. */
  #failure: string | null = null;

  /** @internal Use {@linkcode createMachine}. */
  constructor(
    built: {
      kernel: KernelParts;
      random: Random;
      runLog: RunLog;
      interrupts: Record<InterruptKind | "nmi", number[]>;
      contexts: readonly Context[];
      env: CpuEnv;
      maxEventsPerInstant: number;
      deviceIrqs: (machine: Machine) => DeviceIrqs;
    },
  ) {
    this.kernel = built.kernel;
    this.random = built.random;
    this.#runLog = built.runLog;
    this.interrupts = built.interrupts;
    this.#contexts = built.contexts;
    this.#env = built.env;
    this.#nextPid = firstUserPid(built.kernel.cpus.length);
    this.#maxEventsPerInstant = built.maxEventsPerInstant;
    this.#deviceIrqs = built.deviceIrqs(this);
  }

  /**
   * `request_irq()` / `request_threaded_irq()` for a device whose interrupt
   * is routed to one CPU, and the interrupts the device raises
   * (see {@linkcode IrqRequest}); returns the line, which counts them.
   */
  requestIrq(request: IrqRequest): DeviceIrq {
    return this.#deviceIrqs.request(request);
  }

  /** The current simulated time in ns. */
  get now(): number {
    return this.kernel.engine.now;
  }

  /** The irq_work callback runs so far: the last `keepRuns` of them (all, by default up to 100,000), oldest first. */
  get runs(): readonly WorkRun[] {
    return this.#runLog.runs;
  }

  /** How many irq_work callbacks ran in all, including runs no longer kept in {@linkcode Machine.runs}. */
  get runCount(): number {
    return this.#runLog.total;
  }

  /**
   * The WARN/BUG/livelock findings so far, oldest first: the first
   * `keepFindings` (1,000 by default), and always the BUG or livelock that
   * stopped the machine.
   */
  get findings(): readonly Finding[] {
    return this.kernel.findings.list;
  }

  /** How many findings were not kept in {@linkcode Machine.findings} (past `keepFindings`). */
  get droppedFindings(): number {
    return this.kernel.findings.dropped;
  }

  /** A BUG or a livelock stopped the machine. */
  get panicked(): boolean {
    return this.kernel.findings.halted;
  }

  /** Attach an observer of every trace event; returns a function that detaches it. */
  observe(observer: Observer): () => void {
    return this.kernel.trace.observe(observer);
  }

  /** Set `cpu`'s bit in `cpu_online_mask` (`set_cpu_online`); tasks and timers are untouched. */
  setCpuOnline(cpu: number, online: boolean): void {
    checkCpu(this.kernel.cpus.length, cpu, "set online state of");
    if (typeof online !== "boolean") {
      throw new TypeError(`Cannot set CPU ${cpu} online to ${describe(online)}: it must be true or false`);
    }
    this.kernel.cpus[cpu]!.online = online;
  }

  /**
   * Take `cpu` down at time `at`, as CPU hotplug does: its stopper thread
   * (`migration/N`, FIFO 99) disables interrupts, clears the CPU's online
   * bit, runs the dying hooks (flush the call-single queue without warning,
   * then `irq_work_run()`, rule 8.4), and the CPU stops for good, telling
   * RCU it is gone (rule 19.6).
   */
  cpuDown(cpu: number, at: number): void {
    checkCpu(this.kernel.cpus.length, cpu, "take down");
    const { cpus, flush, irqWork, rcu } = this.kernel;
    if (cpus.length === 1) throw new RangeError("Cannot take down CPU 0: it is the machine's only CPU");
    const target = cpus[cpu]!;
    this.#spawn(
      { cpu, name: `migration/${cpu}`, policy: "fifo", priority: 99, at },
      () => takeCpuDown(target, { flush, irqWork, rcu }),
      kthreadPid(cpu, "migration")!,
    );
  }

  /** Create a task; it is first woken at `options.at`. */
  spawn(options: TaskOptions, body: TaskBody): Task {
    return this.#spawn(options, body, -1);
  }

  #spawn(options: TaskOptions, body: TaskBody, pid: number): Task {
    const task = this.newTask(options, body, "Machine.spawn", pid);
    const { timers, wakeups } = this.kernel;
    timers.add(task.cpu, { expires: options.at ?? this.now, fn: (c) => wakeups.wakeUpProcess(c, task) });
    return task;
  }

  /**
   * @internal A new task, asleep, checked as `caller` names it; `pid` -1
   * takes the next free PID. `spawn()` and a task's `kthreadRun()` wake it.
   */
  newTask(options: TaskOptions, body: TaskBody, caller: string, pid = -1): Task {
    if (typeof options !== "object" || options === null) {
      throw new TypeError(`${caller} needs task options (cpu, name, ...), got ${describe(options)}`);
    }
    checkComm(options.name, `${caller}: a task name`);
    const where = `Task "${options.name}"`;
    checkCpu(this.kernel.cpus.length, options.cpu, `spawn ${where} on`);
    if (typeof body !== "function") {
      throw new TypeError(`${where}: the body must be a function of a Context, got ${describe(body)}`);
    }
    const policy = options.policy ?? "other";
    if (policy !== "fifo" && policy !== "rr" && policy !== "other") {
      const shown = typeof policy === "string" ? `"${policy}"` : describe(policy);
      throw new RangeError(`${where}: unknown policy ${shown} (use fifo, rr or other)`);
    }
    const prio = internalPrio(policy, options.priority ?? (policy === "other" ? 0 : 1), where);
    const now = this.now;
    const at = options.at ?? now;
    if (!Number.isSafeInteger(at) || at < now) {
      throw new (typeof at === "number" ? RangeError : TypeError)(
        `${where}: start time ${typeof at === "number" ? `${at} ns` : describe(at)} must be a whole number ` +
          `of ns, not before now (${now} ns)`,
      );
    }
    const task = new Task({
      pid: pid >= 0 ? pid : this.#nextPid++,
      comm: options.name,
      cpu: options.cpu,
      policy,
      prio,
      gen: deferred(body, this.#contexts[options.cpu]!),
      machine: this.kernel.engine,
    });
    this.kernel.tasks.push(task);
    return task;
  }

  /** @internal Create `thread`'s task on `cpu`, asleep until its first wake-up (`__smpboot_create_thread`). */
  createThread(cpu: Cpu, thread: SmpHotplugThread<KernelParts>): void {
    const name = thread.comm.replace("%u", String(cpu.id));
    const task = new Task({
      pid: kthreadPid(cpu.id, thread.comm.split("/")[0]!) ?? this.#nextPid++,
      comm: name,
      cpu: cpu.id,
      policy: thread.policy,
      prio: internalPrio(thread.policy, thread.priority, `Thread "${name}"`),
      gen: smpbootThreadFn(this.kernel, cpu, thread),
      machine: this.kernel.engine,
    });
    this.kernel.tasks.push(task);
    thread.store(cpu, task);
  }

  /** Deliver an NMI to `cpu` at `at`, whose handler runs `body`. */
  nmi(cpu: number, at: number, body: TaskBody): void {
    checkCpu(this.kernel.cpus.length, cpu, "send an NMI to");
    if (typeof body !== "function") {
      throw new TypeError(
        `Cannot send an NMI to CPU ${cpu}: its handler must be a function, got ${describe(body)}`,
      );
    }
    const target = this.kernel.cpus[cpu]!;
    const counts = this.interrupts.nmi;
    const ctx = this.#contexts[cpu]!;
    this.at(at, `NMI on CPU ${cpu}`, () => {
      target.raiseNmi(countedNmi(counts, cpu, deferred(body, ctx)));
    });
  }

  /** Run `fn` (outside any CPU) at time `at`; used for scenario scripting. */
  at(at: number, what: string, fn: () => void): void {
    const engine = this.kernel.engine;
    if (!Number.isSafeInteger(at) || at < engine.now) {
      throw new (typeof at === "number" ? RangeError : TypeError)(
        `Cannot ${what} at ${typeof at === "number" ? `${at} ns` : describe(at)}: time must be a whole ` +
          `number of ns, not before now (${engine.now} ns)`,
      );
    }
    if (typeof fn !== "function") throw new TypeError(`Cannot ${what}: ${describe(fn)} is not a function`);
    engine.call(at, fn);
  }

  /**
   * Run until simulated time `ns`, or until a BUG stops the machine, or until
   * the modelled code livelocks (time stops advancing: recorded as a
   * `LIVELOCK` finding). A machine stopped by a BUG, a livelock or an error
   * thrown out of its code refuses to run again (its state is not consistent
   * after an exception cut through kernel code): build a new one. Called
   * from inside the machine (a task body, a callback, an observer, a
   * scripted call), it throws: the scenario runs the machine, between runs.
   */
  runUntil(ns: number): void {
    const engine = this.kernel.engine;
    if (typeof ns !== "number" || !Number.isSafeInteger(ns)) {
      throw new (typeof ns === "number" ? RangeError : TypeError)(
        `Cannot run until ${typeof ns === "number" ? `${ns} ns` : describe(ns)}: ` +
          "time must be a whole number of nanoseconds",
      );
    }
    if (ns < engine.now) {
      throw new RangeError(`Cannot run until ${ns} ns: the clock is already at ${engine.now} ns`);
    }
    if (this.#running) {
      throw new MachineStateError(
        `Cannot run until ${ns} ns from inside the machine (a task body, callback, observer or scripted ` +
          "call): runUntil and runFor are for the scenario, between runs",
      );
    }
    const stopped = this.#stopped();
    if (stopped !== null) {
      throw new MachineStateError(`Cannot run until ${ns} ns: ${stopped}; build a new machine`);
    }
    this.#running = true;
    try {
      this.#env.horizon = ns;
      engine.runUntil(ns);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.#failure = `the machine stopped at ${engine.now} ns after an error thrown out of its code ` +
        `(${message}), which leaves its state inconsistent`;
      throw error;
    } finally {
      this.#running = false;
    }
    if (engine.stalled) {
      this.kernel.findings.livelock(
        this.#env.lastCpu ?? this.kernel.cpus[0]!,
        `simulated time stopped advancing at ${engine.now} ns (more than ${this.#maxEventsPerInstant} ` +
          "events at one instant; machine option maxEventsPerInstant)",
      );
    }
  }

  /** Why the machine may not run again, or null. */
  #stopped(): string | null {
    if (this.#failure !== null) return this.#failure;
    if (!this.panicked) return null;
    const last = this.findings[this.findings.length - 1];
    const what = last?.level === "LIVELOCK" ? "a livelock" : "a BUG";
    return `the machine stopped at ${last?.time ?? this.now} ns after ${what} (${
      last?.message.split("\n")[0] ?? "see findings"
    })`;
  }

  /** Run for `ns` more nanoseconds. */
  runFor(ns: number): void {
    if (typeof ns !== "number" || !(ns >= 0)) {
      throw new (typeof ns === "number" ? RangeError : TypeError)(
        `Cannot run for ${typeof ns === "number" ? `${ns} ns` : describe(ns)}: ` +
          "the duration must be a whole number of ns >= 0",
      );
    }
    this.runUntil(this.now + ns);
  }
}

/**
 * A call the machine cannot take in its state: a run of a machine that a
 * BUG, a livelock or an error thrown out of its code has stopped (build a
 * new one), or a run started from inside the machine itself.
 *
 * @example
 * ```ts
 * import { createMachine, MachineStateError } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const m = createMachine({ arch: fixtureArch() });
 * m.spawn({ cpu: 0, name: "oops" }, () => {
 *   throw new Error("bad scenario");
 * });
 * try {
 *   m.runUntil(1_000_000); // a ScenarioError: the task threw
 * } catch { /* expected *\/ }
 * try {
 *   m.runUntil(2_000_000);
 *   throw new Error("a stopped machine runs no more");
 * } catch (e) {
 *   if (!(e instanceof MachineStateError)) throw e;
 * }
 * ```
 */
export class MachineStateError extends Error {
  /** Error name. */
  override name = "MachineStateError";
}

/**
 * Build a machine.
 *
 * @example
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const m = createMachine({ arch: fixtureArch(), cpus: 2 });
 * m.runUntil(10_000_000);
 * if (m.findings.length !== 0) throw new Error("an idle machine finds nothing");
 * ```
 */
export function createMachine(options: MachineOptions): Machine {
  const arch = validate(options);
  const n = options.cpus ?? 1;
  const smpBuild = options.smp ?? n > 1;
  const plugins = options.plugins ?? [];
  const policy = fillSlot(plugins, "irqWorkPolicy", "irq_work policy") ?? NON_RT_POLICY;
  const lockingPolicy = fillSlot(plugins, "locking", "locking") ?? NON_RT_LOCKING;
  const memoryModel = fillSlot(plugins, "memoryModel", "memory model") ?? SEQUENTIAL_CONSISTENCY;
  const schedFeatures = fillSlot(plugins, "schedFeatures", "scheduler features") ?? NON_RT_SCHED_FEATURES;
  const profile = resolveKernel(options.kernel, options.fixes);
  // The defaults, then what the arch states, then the machine's own (rule 23.1).
  const timing: MachineTiming = Object.freeze({
    ...DEFAULT_TIMING,
    ...archPathTiming(arch.timing),
    ...options.timing,
  });
  const idleMode = options.idle ?? "halt";
  const { cpuRelaxNs } = timing;

  const maxEventsPerInstant = options.maxEventsPerInstant ?? DEFAULT_MAX_EVENTS_PER_INSTANT;
  const engine = new Engine(maxEventsPerInstant);
  const now = () => engine.now;
  const trace = new TraceHub(now);
  const findings = new Findings(
    trace,
    now,
    () => engine.stop(),
    options.keepFindings ?? DEFAULT_KEEP_FINDINGS,
    schedFeatures.mightSleepCountsRcu(profile),
  );
  const memory = new Memory(memoryModel);
  const env: CpuEnv = {
    engine,
    trace,
    findings,
    memory,
    contextSwitchNs: timing.contextSwitchNs,
    irqEntryNs: arch.timing.irqEntryNs,
    irqExitNs: arch.timing.irqExitNs,
    lastCpu: null,
    fastForward: options.fastForward ?? true,
    horizon: 0,
  };
  const cpus: Cpu[] = [];
  for (let id = 0; id < n; id++) cpus.push(new Cpu(env, id));
  const tasks = cpus.map((cpu) => cpu.idleTask);
  const ipis = new Ipis(arch, { cpus: n, smp: smpBuild }, trace);
  const smp = new Smp(cpus, {
    memory,
    trace,
    ipis,
    profile,
    findings,
    now,
    cpuRelaxNs,
    spinLimitNs: timing.spinLimitNs,
    costs: timing,
  });
  const wakeups = new Wakeups(cpus, {
    memory,
    trace,
    smp,
    ipis,
    machine: engine,
    wakeUpNs: timing.wakeUpNs,
    ttwuQueue: schedFeatures.ttwuQueue(profile),
    traceResched: profile.traceReschedIpi,
  });
  const hz = options.hz ?? 250;
  const jiffyNs = Math.round(1e9 / hz);
  const timers = new Timers(engine, cpus, ipis.lineOf("timer"), trace);
  const rcuTiming = { ...defaultRcuTiming(hz, n), ...options.rcu };
  const rcu = new Rcu({ cpus, engine, findings, timers, wakeups, jiffyNs, timing: rcuTiming });
  const hw = raiseHw(ipis, timers);
  const hasIrqWorkInterrupt = arch.hasIrqWorkInterrupt(ipis);
  // Callbacks get their CPU's scenario Context, made below once every part exists.
  const contexts: Context[] = [];
  const runLog = new RunLog(options.keepRuns ?? DEFAULT_KEEP_RUNS);
  const irqWork = new IrqWorkCore({
    cpus,
    memory,
    trace,
    findings,
    arch,
    hasIrqWorkInterrupt,
    raiseHw: hw,
    timers,
    smp,
    wakeups,
    rcu,
    policy,
    profile,
    smpBuild,
    cpuRelaxNs,
    spinLimitNs: timing.spinLimitNs,
    costs: timing,
    machine: engine,
    now,
    contextOf: (cpu) => contexts[cpu.id]!,
    recordRun: (run) => runLog.push(run),
  });
  const ticks = new Ticks(
    { cpus, timers, trace, rcu, irqWork, tickNs: timing.tickNs, now },
    jiffyNs,
    options.nohz ?? true,
  );
  const flush = new SmpFlush({
    memory,
    smp,
    irqWork,
    wakeups,
    findings,
    llistDelAllNs: timing.llistDelAllNs,
  });
  const locking = new Locking({
    cpus,
    memory,
    trace,
    rcu,
    wakeups,
    policy: lockingPolicy,
    cpuRelaxNs,
    findings,
    spinLimitNs: timing.spinLimitNs,
    now,
  });
  const kmem = new Kmem(trace, findings);
  const kernel: KernelParts = {
    engine,
    tasks,
    trace,
    findings,
    memory,
    cpus,
    arch,
    hasIrqWorkInterrupt,
    profile,
    timing,
    ipis,
    smp,
    wakeups,
    rcu,
    timers,
    irqWork,
    ticks,
    flush,
    locking,
    kmem,
  };
  const interrupts = requestArchIrqs(cpus, { arch, trace, raiseHw: hw, timers, flush, irqWork });
  // A task's kthreadRun() makes its thread through the machine, which exists by the time any task runs.
  const newTask = (options: TaskOptions, body: TaskBody) => machine.newTask(options, body, "kthreadRun");
  for (const cpu of cpus) contexts.push(new Context(cpu, kernel, (id) => contexts[id]!, newTask));

  const random = new Random(options.seed ?? 1);
  const pluginThreadsIrqs = plugins.some((p) => p.forceIrqThreads === true);
  const machine = new Machine({
    kernel,
    random,
    runLog,
    interrupts,
    contexts,
    env,
    maxEventsPerInstant,
    deviceIrqs: (m) =>
      new DeviceIrqs({
        cpus,
        engine,
        trace,
        wakeups,
        random,
        forceThreads: pluginThreadsIrqs || (options.threadIrqs ?? false),
        preemptRt: pluginThreadsIrqs,
        contextOf: (cpu) => contexts[cpu.id]!,
        createThread: (cpu, thread) => m.createThread(cpu, thread),
      }, arch.lines.length),
  });
  claimPlugins(plugins);
  for (const plugin of plugins) {
    for (const thread of plugin.threads ?? []) for (const cpu of cpus) machine.createThread(cpu, thread);
    for (const o of plugin.observers ?? []) trace.observe(o);
    plugin.setup?.(kernel);
  }
  for (const cpu of cpus) cpu.boot(doIdle(cpu, { memory, ticks, rcu, flush, mode: idleMode }));
  return machine;
}

/** Run `body(ctx)` when the resulting generator is first resumed, not before. */
function* deferred(body: TaskBody, ctx: Context): Kernel {
  yield* runCallback(body(ctx));
}

/** An NMI handler body that counts the NMI first. */
function* countedNmi(counts: number[], cpu: number, body: Kernel): Kernel {
  counts[cpu]!++;
  yield* body;
}
