/**
 * The timeline as Chrome trace-event JSON (the format ui.perfetto.dev and
 * chrome://tracing open): one process for the machine, one thread track per
 * CPU named "CPU N", complete slices (`X`), counters (`C`), instants (`i`),
 * and flows bound to slices by `bind_id` (`flow_out` on the marker where a
 * work is queued or an IPI sent, `flow_in` on the callback's run or the
 * IPI's arrival). Times are in µs with ns precision.
 *
 * @module
 */

import type { TimelineItem } from "./timeline.ts";

/**
 * One event of the Chrome trace-event format, as this sink writes it.
 *
 * @example
 * ```ts
 * import type { ChromeTraceEvent } from "./json.ts";
 * const slice: ChromeTraceEvent = { name: "irq_work vector=246", ph: "X", cat: "irq", ts: 102.9, dur: 1.5, pid: 1, tid: 1 };
 * void slice;
 * ```
 */
export interface ChromeTraceEvent {
  /** Name shown in the viewer. */
  readonly name: string;
  /** Phase: `X` complete slice, `C` counter, `i` instant, `M` metadata. */
  readonly ph: "X" | "C" | "i" | "M";
  /** Category. */
  readonly cat?: string;
  /** Time stamp in µs. */
  readonly ts?: number;
  /** Duration of an `X` slice in µs. */
  readonly dur?: number;
  /** Process id: the machine. */
  readonly pid: number;
  /** Thread id: the CPU's track. */
  readonly tid?: number;
  /** Scope of an instant: `t`, its thread. */
  readonly s?: "t";
  /** Values shown with the event. */
  readonly args?: Readonly<Record<string, string | number | boolean>>;
  /** The flow this slice starts or ends. */
  readonly bind_id?: number;
  /** The flow `bind_id` ends at this slice. */
  readonly flow_in?: boolean;
  /** The flow `bind_id` starts at this slice. */
  readonly flow_out?: boolean;
}

/**
 * A whole trace file: what `JSON.parse` gives back from the sink's text.
 *
 * @example
 * ```ts
 * import { createMachine } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { perfetto } from "./mod.ts";
 * import type { ChromeTrace } from "./json.ts";
 * const timeline = perfetto();
 * createMachine({ arch: x86(), plugins: [timeline] }).runUntil(10_000_000);
 * const trace: ChromeTrace = JSON.parse(timeline.json());
 * if (!trace.traceEvents.some((e) => e.name === "thread_name" && e.args?.name === "CPU 0")) throw new Error();
 * ```
 */
export interface ChromeTrace {
  /** The events, metadata first, then by time. */
  readonly traceEvents: readonly ChromeTraceEvent[];
  /** Show times in ns. */
  readonly displayTimeUnit: "ns";
  /** What made the trace. */
  readonly otherData: Readonly<Record<string, string | number>>;
}

/** The machine's process id in the trace. */
export const MACHINE_PID = 1;

/**
 * The track of CPU `cpu`: its number plus one, since viewers treat thread
 * id 0 as the kernel's idle task and would merge CPU 0 into it.
 */
export function cpuTid(cpu: number): number {
  return cpu + 1;
}

/**
 * The trace of `items` (with `open` the slices still running) on a machine
 * of `cpus` CPUs called `machine`. A flow whose other end was dropped from a
 * bounded timeline is left out.
 */
export function chromeTrace(
  items: readonly TimelineItem[],
  options: { cpus: number; machine: string; dropped: number },
): ChromeTrace {
  const outs = new Set<number>();
  const ins = new Set<number>();
  for (const item of items) {
    if (item.flowOut !== undefined) outs.add(item.flowOut);
    if (item.flowIn !== undefined) ins.add(item.flowIn);
  }
  const meta: ChromeTraceEvent[] = [
    { name: "process_name", ph: "M", pid: MACHINE_PID, args: { name: options.machine } },
  ];
  for (let cpu = 0; cpu < options.cpus; cpu++) {
    meta.push({
      name: "thread_name",
      ph: "M",
      pid: MACHINE_PID,
      tid: cpuTid(cpu),
      args: { name: `CPU ${cpu}` },
    });
    meta.push({
      name: "thread_sort_index",
      ph: "M",
      pid: MACHINE_PID,
      tid: cpuTid(cpu),
      args: { sort_index: cpu },
    });
  }
  // By time, then in the order they were opened: a slice comes before the slices it holds, and items at
  // one instant keep the order in which they happened.
  const order = [...items].sort((a, b) => a.start - b.start || a.order - b.order);
  const events = order.map((item) => toEvent(item, outs, ins));
  return {
    traceEvents: [...meta, ...events],
    displayTimeUnit: "ns",
    otherData: { source: "irqemu", machine: options.machine, droppedEvents: options.dropped },
  };
}

function toEvent(item: TimelineItem, outs: Set<number>, ins: Set<number>): ChromeTraceEvent {
  const base = { name: item.name, ph: item.ph, cat: item.cat, ts: item.start / 1000, pid: MACHINE_PID };
  switch (item.ph) {
    case "C":
      return { ...base, args: item.args };
    case "i":
      return { ...base, tid: cpuTid(item.cpu), s: "t", args: item.args };
    case "X": {
      const flowOut = item.flowOut !== undefined && ins.has(item.flowOut);
      const flowIn = item.flowIn !== undefined && outs.has(item.flowIn);
      return {
        ...base,
        dur: item.duration / 1000,
        tid: cpuTid(item.cpu),
        args: item.args,
        ...(flowOut ? { bind_id: item.flowOut, flow_out: true } : {}),
        ...(flowIn ? { bind_id: item.flowIn, flow_in: true } : {}),
      };
    }
  }
}

/** The trace as JSON text, one event per line (diffable, and the same bytes for the same run). */
export function chromeTraceText(trace: ChromeTrace): string {
  const lines = trace.traceEvents.map((e) => JSON.stringify(e));
  return `{"traceEvents":[\n${lines.join(",\n")}\n],\n"displayTimeUnit":"ns",\n"otherData":${
    JSON.stringify(trace.otherData)
  }}\n`;
}
