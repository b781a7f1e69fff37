/**
 * From trace events to a timeline: per CPU, a stack of open slices (the
 * task that runs, the hard-IRQ or NMI it is interrupted by, the irq_work
 * callback inside either), closed in order so that slices on one CPU
 * always nest; markers where works are queued and IPIs are sent or arrive,
 * linked by flows to the run and the arrival; counters of runnable tasks
 * and pending works; findings as instants.
 *
 * A callback that sleeps (a `spinlock_t` on PREEMPT_RT) is cut at the
 * context switch and resumed when its task runs again, so that it stays
 * inside its task's slice.
 *
 * @module
 */

import type { TraceEvent } from "../../core/mod.ts";

/** One item of the timeline, times in ns. */
export interface TimelineItem {
  /** `X` a slice (zero-length for a marker), `C` a counter sample, `i` an instant. */
  readonly ph: "X" | "C" | "i";
  /** What the viewer shows. */
  readonly name: string;
  /** Category: `sched`, `irq`, `irq_work`, `ipi`, `finding`, `counter`. */
  readonly cat: string;
  /** The CPU it belongs to. */
  readonly cpu: number;
  /** Start (or sample) time. */
  readonly start: number;
  /** When it was opened, among all items: a slice comes after what encloses it and before what it holds. */
  readonly order: number;
  /** Length of a slice (0 for markers, counters and instants). */
  readonly duration: number;
  /** Extra values shown in the viewer. */
  readonly args: Readonly<Record<string, string | number | boolean>>;
  /** A flow that ends at this slice. */
  readonly flowIn?: number;
  /** A flow that starts at this marker. */
  readonly flowOut?: number;
}

type Kind = "task" | "irq" | "nmi" | "work";

interface OpenSlice {
  readonly order: number;
  readonly kind: Kind;
  readonly name: string;
  readonly cat: string;
  readonly start: number;
  readonly args: Record<string, string | number | boolean>;
  readonly workId?: number;
  readonly flowIn?: number;
}

interface Queued {
  readonly flow: number;
  readonly cpu: number;
  readonly list: "raised" | "lazy" | "call_single";
}

const LISTS = ["raised", "lazy", "call_single"] as const;

/** Builds the timeline of one machine of `cpus` CPUs, event by event. */
export class Timeline {
  #stacks: OpenSlice[][];
  /** Callback slices cut when their task was switched out, by pid, to resume when it runs again. */
  #suspended = new Map<number, OpenSlice[]>();
  #queued = new Map<number, Queued[]>();
  #ipiFlows = new Map<string, number>();
  #runnable: Set<number>[];
  #pending: Record<(typeof LISTS)[number], number>[];
  #nextFlow = 1;
  #order = 0;
  #begin: number;
  #emit: (item: TimelineItem) => void;

  /** A timeline whose CPUs start at `begin` ns, handing each finished item to `emit`. */
  constructor(cpus: number, begin: number, emit: (item: TimelineItem) => void) {
    this.#stacks = Array.from({ length: cpus }, () => []);
    this.#runnable = Array.from({ length: cpus }, () => new Set());
    this.#pending = Array.from({ length: cpus }, () => ({ raised: 0, lazy: 0, call_single: 0 }));
    this.#begin = begin;
    this.#emit = emit;
  }

  /** Take one trace event. */
  add(e: TraceEvent): void {
    const stack = this.#stacks[e.cpu]!;
    if (stack.length === 0) this.#push(stack, this.#taskSlice(e.comm, e.pid, this.#begin));
    switch (e.type) {
      case "sched_switch": {
        const cut = this.#popTo(e.cpu, e.time, (s) => s.kind === "task", true);
        if (cut.length > 0) this.#suspended.set(e.prevPid, cut);
        this.#close(e.cpu, stack.pop()!, e.time);
        this.#push(stack, this.#taskSlice(e.nextComm, e.nextPid, e.time));
        for (const s of this.#suspended.get(e.nextPid) ?? []) {
          this.#push(stack, { ...s, start: e.time, args: { ...s.args, resumed: true }, flowIn: undefined });
        }
        this.#suspended.delete(e.nextPid);
        const runnable = this.#runnable[e.cpu]!;
        if (!e.prevState.startsWith("R")) runnable.delete(e.prevPid);
        if (e.nextPid !== 0) runnable.add(e.nextPid);
        this.#countRunnable(e.cpu, e.time);
        break;
      }
      case "sched_wakeup":
        if (this.#runnable[e.targetCpu] !== undefined) {
          this.#runnable[e.targetCpu]!.add(e.wakePid);
          this.#countRunnable(e.targetCpu, e.time);
        }
        break;
      case "irq_vector_entry":
        this.#push(stack, {
          kind: "irq",
          name: `${e.name} ${e.detail}`,
          cat: "irq",
          start: e.time,
          args: { vector: e.vector, context: "hardirq" },
        });
        break;
      case "nmi_entry":
        this.#push(stack, { kind: "nmi", name: "NMI", cat: "irq", start: e.time, args: { context: "nmi" } });
        break;
      case "irq_vector_exit":
      case "nmi_exit": {
        const kind = e.type === "nmi_exit" ? "nmi" : "irq";
        if (stack.some((s) => s.kind === kind)) {
          this.#popTo(e.cpu, e.time, (s) => s.kind === kind, false);
          this.#close(e.cpu, stack.pop()!, e.time);
        }
        break;
      }
      case "irq_work_execute_start": {
        const queued = this.#queued.get(e.workId)?.shift();
        if (queued !== undefined) this.#changePending(queued.cpu, queued.list, -1, e.time);
        this.#push(stack, {
          kind: "work",
          name: e.work,
          cat: "irq_work",
          start: e.time,
          args: { workId: e.workId, context: e.context, hard: e.hard },
          workId: e.workId,
          flowIn: queued?.flow,
        });
        break;
      }
      case "irq_work_execute_end":
        if (stack.some((s) => s.workId === e.workId)) {
          this.#popTo(e.cpu, e.time, (s) => s.workId === e.workId, false);
          this.#close(e.cpu, stack.pop()!, e.time);
        }
        break;
      case "irq_work_queue": {
        const flow = this.#nextFlow++;
        const list = this.#queued.get(e.workId) ?? [];
        list.push({ flow, cpu: e.target, list: e.list });
        this.#queued.set(e.workId, list);
        this.#marker(
          e,
          `queue ${e.work}`,
          "irq_work",
          { workId: e.workId, target: e.target, list: e.list },
          flow,
        );
        this.#changePending(e.target, e.list, 1, e.time);
        break;
      }
      case "ipi_send_cpu":
        this.#send(e, e.ipi, [e.target], `ipi_send_cpu ${e.callback}`);
        break;
      case "ipi_raise":
        this.#send(e, e.ipi, e.targets, `ipi_raise (${e.reason})`);
        break;
      case "ipi_arrive": {
        const key = `${e.ipi}/${e.cpu}`;
        const flow = this.#ipiFlows.get(key);
        this.#ipiFlows.delete(key);
        this.#emit({
          ph: "X",
          name: `ipi_arrive ${e.kind}`,
          cat: "ipi",
          cpu: e.cpu,
          start: e.time,
          order: this.#order++,
          duration: 0,
          args: { ipi: e.ipi, from: e.from },
          flowIn: flow,
        });
        break;
      }
      case "finding":
        this.#emit({
          ph: "i",
          name: `${e.level}: ${e.message.split("\n")[0]}`,
          cat: "finding",
          cpu: e.cpu,
          start: e.time,
          order: this.#order++,
          duration: 0,
          args: { level: e.level, message: e.message, comm: e.comm, pid: e.pid },
        });
        break;
    }
  }

  /** The slices still open, as if they ended at `now` (the timeline itself is left as it is). */
  open(now: number): TimelineItem[] {
    const items: TimelineItem[] = [];
    this.#stacks.forEach((stack, cpu) => {
      for (const s of stack) items.push(this.#item(cpu, s, now, true));
    });
    return items;
  }

  #taskSlice(comm: string, pid: number, start: number): Omit<OpenSlice, "order"> {
    return { kind: "task", name: pid === 0 ? "idle" : comm, cat: "sched", start, args: { comm, pid } };
  }

  #push(stack: OpenSlice[], slice: Omit<OpenSlice, "order">): void {
    stack.push({ ...slice, order: this.#order++ });
  }

  /** Close the slices above the innermost one `stop` accepts; return them, outermost first, if `keep`. */
  #popTo(cpu: number, time: number, stop: (s: OpenSlice) => boolean, keep: boolean): OpenSlice[] {
    const stack = this.#stacks[cpu]!;
    const cut: OpenSlice[] = [];
    while (stack.length > 0 && !stop(stack[stack.length - 1]!)) {
      const s = stack.pop()!;
      this.#close(cpu, s, time);
      cut.unshift(s);
    }
    return keep ? cut : [];
  }

  #close(cpu: number, s: OpenSlice, end: number): void {
    this.#emit(this.#item(cpu, s, end, false));
  }

  #item(cpu: number, s: OpenSlice, end: number, unfinished: boolean): TimelineItem {
    return {
      ph: "X",
      name: s.name,
      cat: s.cat,
      cpu,
      start: s.start,
      order: s.order,
      duration: end - s.start,
      args: unfinished ? { ...s.args, unfinished: true } : s.args,
      ...(s.flowIn === undefined ? {} : { flowIn: s.flowIn }),
    };
  }

  #marker(e: TraceEvent, name: string, cat: string, args: TimelineItem["args"], flowOut: number): void {
    this.#emit({
      ph: "X",
      name,
      cat,
      cpu: e.cpu,
      start: e.time,
      order: this.#order++,
      duration: 0,
      args,
      flowOut,
    });
  }

  #send(e: TraceEvent, ipi: number, targets: readonly number[], name: string): void {
    for (const target of targets) {
      const flow = this.#nextFlow++;
      this.#ipiFlows.set(`${ipi}/${target}`, flow);
      this.#marker(e, `${name} → CPU ${target}`, "ipi", { ipi, target }, flow);
    }
  }

  #countRunnable(cpu: number, time: number): void {
    this.#emit({
      ph: "C",
      name: `runnable CPU ${cpu}`,
      cat: "counter",
      cpu,
      start: time,
      order: this.#order++,
      duration: 0,
      args: { tasks: this.#runnable[cpu]!.size },
    });
  }

  #changePending(cpu: number, list: (typeof LISTS)[number], by: number, time: number): void {
    const pending = this.#pending[cpu];
    if (pending === undefined) return;
    pending[list] = Math.max(0, pending[list] + by);
    this.#emit({
      ph: "C",
      name: `irq_work pending CPU ${cpu}`,
      cat: "counter",
      cpu,
      start: time,
      order: this.#order++,
      duration: 0,
      args: { ...pending },
    });
  }
}
