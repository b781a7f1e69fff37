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
import { takeCpuDown } from "./hotplug.ts";
import { doIdle } from "./idle.ts";
import { Ipis } from "./ipi.ts";
import { raiseHw, requestArchIrqs } from "./irq.ts";
import { IrqWorkCore, NON_RT_POLICY, type WorkRun } from "./irq_work.ts";
import { type Kernel, type MaybeKernel, runCallback } from "./kernel.ts";
import { Kmem } from "./kmem.ts";
import { Locking, NON_RT_LOCKING } from "./locking.ts";
import { fillSlot, type MachineOptions, validate } from "./options.ts";
import type { KernelParts } from "./parts.ts";
import { KERNEL_PROFILES } from "./profile.ts";
import { Random } from "./random.ts";
import { Rcu } from "./rcu.ts";
import { RunLog } from "./run_log.ts";
import { internalPrio, type SchedPolicy, Task } from "./sched.ts";
import { Smp } from "./smp.ts";
import { SmpFlush } from "./smp_flush.ts";
import { smpbootThreadFn, type SmpHotplugThread } from "./smpboot.ts";
import { Ticks } from "./tick.ts";
import { Timers } from "./timer.ts";
import { DEFAULT_TIMING, type MachineTiming } from "./timing.ts";
import { type Finding, type Observer, TraceHub } from "./trace.ts";
import { Wakeups } from "./wake.ts";

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

/** How many irq_work runs a machine keeps unless told (`keepRuns`). */
const DEFAULT_KEEP_RUNS = 100_000;

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

  /** @internal Use {@linkcode createMachine}. */
  constructor(
    built: {
      kernel: KernelParts;
      random: Random;
      runLog: RunLog;
      interrupts: Record<InterruptKind | "nmi", number[]>;
      contexts: readonly Context[];
      env: CpuEnv;
    },
  ) {
    this.kernel = built.kernel;
    this.random = built.random;
    this.#runLog = built.runLog;
    this.interrupts = built.interrupts;
    this.#contexts = built.contexts;
    this.#env = built.env;
    this.#nextPid = 1;
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

  /** Every WARN/BUG/livelock so far. */
  get findings(): readonly Finding[] {
    return this.kernel.findings.list;
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
    this.kernel.cpus[cpu]!.online = online;
  }

  /**
   * Take `cpu` down at time `at`, as CPU hotplug does: its stopper thread
   * (`migration/N`, FIFO 99) disables interrupts, clears the CPU's online
   * bit, runs the dying hooks (flush the call-single queue without warning,
   * then `irq_work_run()`, rule 8.4), and the CPU stops for good.
   */
  cpuDown(cpu: number, at: number): void {
    checkCpu(this.kernel.cpus.length, cpu, "take down");
    const { cpus, flush, irqWork, rcu } = this.kernel;
    if (cpus.length === 1) throw new RangeError("Cannot take down CPU 0: it is the machine's only CPU");
    const target = cpus[cpu]!;
    this.spawn(
      { cpu, name: `migration/${cpu}`, policy: "fifo", priority: 99, at },
      () => takeCpuDown(target, { flush, irqWork, rcu }),
    );
  }

  /** Create a task; it is first woken at `options.at`. */
  spawn(options: TaskOptions, body: TaskBody): Task {
    const where = `Task "${options.name}"`;
    checkCpu(this.kernel.cpus.length, options.cpu, `spawn ${where} on`);
    const policy = options.policy ?? "other";
    if (policy !== "fifo" && policy !== "rr" && policy !== "other") {
      throw new RangeError(`${where}: unknown policy "${policy}" (use fifo, rr or other)`);
    }
    const prio = internalPrio(policy, options.priority ?? (policy === "other" ? 0 : 1), where);
    const now = this.now;
    const at = options.at ?? now;
    if (!Number.isSafeInteger(at) || at < now) {
      throw new RangeError(
        `${where}: start time ${at} ns must be a whole number of ns, not before now (${now} ns)`,
      );
    }
    const { timers, wakeups, tasks } = this.kernel;
    const task = new Task({
      pid: this.#nextPid++,
      comm: options.name,
      cpu: options.cpu,
      policy,
      prio,
      gen: deferred(body, this.#contexts[options.cpu]!),
    });
    tasks.push(task);
    timers.add(options.cpu, { expires: at, fn: (c) => wakeups.wakeUpProcess(c, task) });
    return task;
  }

  /** @internal Create `thread`'s task on `cpu`, asleep until its first wake-up (`__smpboot_create_thread`). */
  createThread(cpu: Cpu, thread: SmpHotplugThread<KernelParts>): void {
    const name = thread.comm.replace("%u", String(cpu.id));
    const task = new Task({
      pid: this.#nextPid++,
      comm: name,
      cpu: cpu.id,
      policy: thread.policy,
      prio: internalPrio(thread.policy, thread.priority, `Thread "${name}"`),
      gen: smpbootThreadFn(this.kernel, cpu, thread),
    });
    this.kernel.tasks.push(task);
    thread.store(cpu, task);
  }

  /** Deliver an NMI to `cpu` at `at`, whose handler runs `body`. */
  nmi(cpu: number, at: number, body: TaskBody): void {
    checkCpu(this.kernel.cpus.length, cpu, "send an NMI to");
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
      throw new RangeError(
        `Cannot ${what} at ${at} ns: time must be a whole number of ns, not before now (${engine.now} ns)`,
      );
    }
    engine.call(at, fn);
  }

  /**
   * Run until simulated time `ns`, or until a BUG stops the machine, or until
   * the modelled code livelocks (time stops advancing: recorded as a
   * `LIVELOCK` finding).
   */
  runUntil(ns: number): void {
    if (this.panicked) return;
    const engine = this.kernel.engine;
    this.#env.horizon = ns;
    engine.runUntil(ns);
    if (engine.stalled) {
      this.kernel.findings.livelock(
        this.#env.lastCpu ?? this.kernel.cpus[0]!,
        `simulated time stopped advancing at ${engine.now} ns (too many steps at one instant)`,
      );
    }
  }

  /** Run for `ns` more nanoseconds. */
  runFor(ns: number): void {
    if (!(ns >= 0)) throw new RangeError(`Cannot run for ${ns} ns: the duration must not be negative`);
    this.runUntil(this.now + ns);
  }
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
  const profile = KERNEL_PROFILES[options.kernel ?? "D"];
  const timing: MachineTiming = Object.freeze({ ...DEFAULT_TIMING, ...options.timing });
  const idleMode = options.idle ?? "halt";
  const { cpuRelaxNs } = timing;

  const engine = new Engine();
  const now = () => engine.now;
  const trace = new TraceHub(now);
  const findings = new Findings(trace, now, () => engine.stop());
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
  const cpus = Array.from({ length: n }, (_, id) => new Cpu(env, id));
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
  });
  const wakeups = new Wakeups(cpus, { memory, trace, smp, ipis });
  const rcu = new Rcu(cpus, tasks, wakeups, findings);
  const timers = new Timers(engine, cpus, ipis.lineOf("timer"));
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
    now,
    contextOf: (cpu) => contexts[cpu.id]!,
    recordRun: (run) => runLog.push(run),
  });
  const ticks = new Ticks(
    { cpus, timers, trace, rcu, irqWork, tickNs: timing.tickNs, now },
    options.hz ?? 250,
    options.nohz ?? true,
  );
  const flush = new SmpFlush({ memory, smp, irqWork, wakeups, findings });
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
  for (const cpu of cpus) contexts.push(new Context(cpu, kernel, (id) => contexts[id]!));

  const machine = new Machine({
    kernel,
    random: new Random(options.seed ?? 1),
    runLog,
    interrupts,
    contexts,
    env,
  });
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
