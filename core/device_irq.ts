/**
 * Device interrupts (kernel/irq/manage.c, kernel/irq/handle.c): a driver's
 * `request_irq()` / `request_threaded_irq()` on a line delivered to one CPU,
 * with the interrupts its device raises over time (docs/rules.md, section
 * 20).
 *
 * - The primary handler runs in hard-IRQ context between
 *   `irq_handler_entry` and `irq_handler_exit`; a threaded handler runs in
 *   the kthread `irq/N-name` at SCHED_FIFO 50 (`sched_set_fifo`), woken by
 *   the primary (`IRQ_WAKE_THREAD`), with the line masked until it is done
 *   (`IRQF_ONESHOT`): interrupts arriving meanwhile are latched and
 *   delivered on unmask, several as one.
 * - Forced threading (PREEMPT_RT, or the `threadirqs` boot parameter) moves
 *   the primary handler into that thread too, unless `IRQF_NO_THREAD`
 *   (`irq_setup_forced_threading`); a threaded handler given as well then
 *   runs in a second thread, `irq/N-s-name`, woken when the first is done.
 *   Without PREEMPT_RT a forced thread runs the handler with interrupts off
 *   (`irq_forced_thread_fn`).
 *
 * @module
 */

import type { Context } from "./context.ts";
import type { Cpu } from "./cpu.ts";
import { checkWhole, describe } from "./describe.ts";
import type { Engine } from "./engine.ts";
import { type Kernel, type MaybeKernel, runCallback } from "./kernel.ts";
import type { Random } from "./random.ts";
import type { Task } from "./sched.ts";
import type { SmpHotplugThread } from "./smpboot.ts";
import type { TraceHub } from "./trace.ts";
import type { Wakeups } from "./wake.ts";

/** Lines per CPU (the CPU model latches 32). */
const MAX_DEVICE_LINE = 32;

/** A handler's code: it runs on the line's CPU with that CPU's context. */
export type IrqHandler = (ctx: Context) => MaybeKernel;

/** When a device raises its interrupt: at given times, or periodically with an optional jitter. */
export type IrqSource =
  | { readonly at: readonly number[] }
  | {
    /** Interval between interrupts, ns. */
    readonly periodNs: number;
    /** First interrupt, ns (default one period from now). */
    readonly startNs?: number;
    /** Each interrupt comes up to this many ns late, uniformly at random from the machine's seed (default 0). */
    readonly jitterNs?: number;
    /** How many interrupts in all (default: no limit). */
    readonly count?: number;
  };

/**
 * What a driver requests: `request_irq(irq, handler, flags, name)` or
 * `request_threaded_irq(irq, handler, thread, flags, name)`, plus the
 * line's CPU and what the device does.
 *
 * @example A device on CPU 1 interrupting every 100 µs, its handler queueing an irq_work
 * ```ts
 * import { createMachine } from "./machine.ts";
 * import { irqWorkInit } from "./irq_work.ts";
 * import { fixtureArch } from "./fixture_arch.ts";
 * const m = createMachine({ arch: fixtureArch(), cpus: 2 });
 * const work = irqWorkInit(() => {}, "rx_done");
 * const irq = m.requestIrq({
 *   irq: 42, name: "mydev", cpu: 1,
 *   handler: (ctx) => ctx.queue(work),
 *   source: { periodNs: 100_000, count: 3 },
 * });
 * m.runUntil(1_000_000);
 * if (irq.count !== 3 || m.runs.length !== 3) throw new Error("three interrupts, three runs");
 * ```
 */
export interface IrqRequest {
  /** The Linux IRQ number, as traces and `/proc/interrupts` show it (0..1023, one request each). */
  readonly irq: number;
  /** The device name (`devname`), at most 15 characters with the thread prefix counted apart. */
  readonly name: string;
  /** The CPU the line is routed to (its affinity). */
  readonly cpu: number;
  /** The primary handler; without it, only `thread` runs (`irq_default_primary_handler`). */
  readonly handler?: IrqHandler;
  /** The threaded handler, run in `irq/N-name` after the primary asked for it. */
  readonly thread?: IrqHandler;
  /** `IRQF_NO_THREAD`: the primary handler stays in hard-IRQ context even with forced threading. */
  readonly noThread?: boolean;
  /** When the device interrupts. */
  readonly source: IrqSource;
}

/** A requested line, as the scenario sees it afterwards. */
export interface DeviceIrq {
  /** The Linux IRQ number. */
  readonly irq: number;
  /** Interrupts taken so far (primary handler entries). */
  readonly count: number;
  /** The handler threads (`irq/N-name`, then `irq/N-s-name`), empty if all runs in hard IRQ. */
  readonly threads: readonly Task[];
}

/** A requested line's state (`struct irq_desc` with its actions). */
class Desc implements DeviceIrq {
  count = 0;
  threads: Task[] = [];
  /** Masked until the handler threads are done (`IRQF_ONESHOT`). */
  masked = false;
  /** An interrupt arrived while masked (`IRQS_PENDING`). */
  pending = false;
  /** Each thread's `IRQTF_RUNTHREAD`. */
  runThread: boolean[] = [];

  constructor(readonly irq: number, readonly name: string, readonly line: number, readonly cpu: Cpu) {}
}

/** What device interrupts work with. */
export interface DeviceIrqParts {
  readonly cpus: readonly Cpu[];
  readonly engine: Engine;
  readonly trace: TraceHub;
  readonly wakeups: Wakeups;
  readonly random: Random;
  /** `force_irqthreads()`: PREEMPT_RT or `threadirqs`. */
  readonly forceThreads: boolean;
  /** PREEMPT_RT: forced threads run with interrupts on. */
  readonly preemptRt: boolean;
  contextOf(cpu: Cpu): Context;
  /** Create a kthread on `cpu` that sleeps until `thread` says it should run (its hooks ignore the kernel). */
  createThread(cpu: Cpu, thread: SmpHotplugThread<unknown>): void;
}

/** The lines a machine's devices requested. */
export class DeviceIrqs {
  #p: DeviceIrqParts;
  #descs = new Map<number, Desc>();
  /** Lines taken on each CPU beyond the arch's. */
  #nextLine: number[];

  /** Device lines start after the arch's `archLines` on every CPU. */
  constructor(parts: DeviceIrqParts, archLines: number) {
    this.#p = parts;
    this.#nextLine = parts.cpus.map(() => archLines);
  }

  /** `request_threaded_irq()` plus the device's interrupts; see {@linkcode IrqRequest}. */
  request(req: IrqRequest): DeviceIrq {
    const { cpus, forceThreads } = this.#p;
    if (typeof req !== "object" || req === null) {
      throw new TypeError(`requestIrq needs an object describing the line, got ${describe(req)}`);
    }
    checkWhole("requestIrq: irq", req.irq, 0, 1023);
    if (this.#descs.has(req.irq)) throw new RangeError(`requestIrq: IRQ ${req.irq} is already requested`);
    checkWhole("requestIrq: cpu", req.cpu, 0, cpus.length - 1);
    if (typeof req.name !== "string" || !/^[\x21-\x7e]{1,15}$/.test(req.name)) {
      throw new RangeError(
        `requestIrq: name must be 1 to 15 printable characters without spaces, got ${describe(req.name)}`,
      );
    }
    for (const key of ["handler", "thread"] as const) {
      if (req[key] !== undefined && typeof req[key] !== "function") {
        throw new TypeError(
          `requestIrq: ${key} must be a function of the context, got ${describe(req[key])}`,
        );
      }
    }
    if (req.handler === undefined && req.thread === undefined) {
      throw new TypeError("requestIrq: give a handler, a thread, or both");
    }
    const next = arrivals(req.source, this.#p.engine.now, this.#p.random);
    const cpu = cpus[req.cpu]!;
    const line = this.#nextLine[req.cpu]!;
    if (line >= MAX_DEVICE_LINE) {
      throw new RangeError(`requestIrq: CPU ${req.cpu} has no free interrupt line left (at most 32 in all)`);
    }
    this.#nextLine[req.cpu]!++;
    const desc = new Desc(req.irq, req.name, line, cpu);
    this.#descs.set(req.irq, desc);

    // irq_setup_forced_threading(): the primary handler moves into the thread.
    const forced = forceThreads && !req.noThread && req.handler !== undefined;
    const hardirq = forced ? undefined : req.handler;
    const threadFns = [forced ? req.handler : undefined, req.thread].filter((f) => f !== undefined);
    const names = [`irq/${req.irq}-${req.name}`, `irq/${req.irq}-s-${req.name}`];
    threadFns.forEach((fn, i) => this.#createThread(desc, i, names[i]!.slice(0, 15), fn, forced && i === 0));
    cpu.requestIrq(line, (c) => this.#handle(c, desc, hardirq));
    this.#schedule(desc, next);
    return desc;
  }

  /** Arm the device's next interrupt, and the one after when it fires. */
  #schedule(desc: Desc, next: () => number | undefined): void {
    const at = next();
    if (at === undefined) return;
    this.#p.engine.call(at, () => {
      this.#arrive(desc);
      this.#schedule(desc, next);
    }, desc.cpu.id);
  }

  /** The device raises its interrupt: latch it, or note it as pending while the line is masked. */
  #arrive(desc: Desc): void {
    if (desc.masked) desc.pending = true;
    else desc.cpu.raiseLine(desc.line);
  }

  /** `handle_fasteoi_irq()` → `handle_irq_event()`: the primary handler, then wake the first thread. */
  *#handle(cpu: Cpu, desc: Desc, hardirq: IrqHandler | undefined): Kernel {
    const { trace, wakeups } = this.#p;
    desc.count++;
    trace.emit(cpu, {
      type: "irq_vector_entry",
      vector: desc.irq,
      name: "irq_handler",
      detail: `irq=${desc.irq} name=${desc.name}`,
    });
    if (hardirq !== undefined) yield* runCallback(hardirq(this.#p.contextOf(cpu)));
    trace.emit(cpu, {
      type: "irq_vector_exit",
      vector: desc.irq,
      name: "irq_handler",
      detail: `irq=${desc.irq} ret=handled`,
    });
    if (desc.threads.length > 0) {
      desc.masked = true; // IRQF_ONESHOT: until the threads are done
      desc.runThread[0] = true;
      yield* wakeups.wakeUpProcess(cpu, desc.threads[0]!);
    }
  }

  /** `setup_irq_thread()`: thread `index` of `desc` runs `fn` whenever woken. */
  #createThread(desc: Desc, index: number, comm: string, fn: IrqHandler, forced: boolean): void {
    const p = this.#p;
    desc.runThread.push(false);
    p.createThread(desc.cpu, {
      comm,
      policy: "fifo",
      priority: 50,
      store: (_cpu, task) => desc.threads.push(task),
      threadShouldRun: () => desc.runThread[index]!,
      threadFn: function* (_k, cpu): Kernel {
        desc.runThread[index] = false;
        // irq_forced_thread_fn(): interrupts off around the handler, except on PREEMPT_RT.
        const irqsOff = forced && !p.preemptRt;
        if (irqsOff) cpu.irqsOff = true;
        yield* runCallback(fn(p.contextOf(cpu)));
        if (irqsOff) cpu.irqsOff = false;
        const next = desc.threads[index + 1];
        if (next !== undefined) {
          desc.runThread[index + 1] = true;
          yield* p.wakeups.wakeUpProcess(cpu, next);
          return;
        }
        // irq_finalize_oneshot(): unmask, and deliver what arrived meanwhile.
        desc.masked = false;
        if (desc.pending) {
          desc.pending = false;
          desc.cpu.raiseLine(desc.line);
        }
      },
    });
  }
}

/** The device's interrupt times, checked: a function giving each next one, then undefined. */
function arrivals(source: IrqSource, now: number, random: Random): () => number | undefined {
  if (typeof source !== "object" || source === null) {
    throw new TypeError(`requestIrq: source must be { at } or { periodNs, ... }, got ${describe(source)}`);
  }
  if ("at" in source) {
    if (!Array.isArray(source.at)) {
      throw new TypeError(`requestIrq: source.at must be a list of times in ns, got ${describe(source.at)}`);
    }
    source.at.forEach((t, i) => checkWhole(`requestIrq: source.at[${i}]`, t, now, Number.MAX_SAFE_INTEGER));
    const times = [...source.at].sort((a, b) => a - b);
    let i = 0;
    return () => times[i++];
  }
  checkWhole("requestIrq: source.periodNs", source.periodNs, 1, Number.MAX_SAFE_INTEGER);
  const period = source.periodNs;
  const start = source.startNs ?? now + period;
  checkWhole("requestIrq: source.startNs", start, now, Number.MAX_SAFE_INTEGER);
  const jitter = source.jitterNs ?? 0;
  checkWhole("requestIrq: source.jitterNs", jitter, 0, period - 1);
  const count = source.count ?? Infinity;
  if (count !== Infinity) checkWhole("requestIrq: source.count", count, 0, Number.MAX_SAFE_INTEGER);
  let i = 0;
  return () => i < count ? start + period * i++ + (jitter > 0 ? random.int(0, jitter) : 0) : undefined;
}
