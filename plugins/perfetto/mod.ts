/**
 * The Perfetto sink: the run as Chrome trace-event JSON, which
 * https://ui.perfetto.dev (and chrome://tracing) opens as a timeline: one
 * track per CPU with the running task, the hard-IRQs and NMIs that
 * interrupt it and the irq_work callbacks inside either as nested slices;
 * arrows from each `irq_work_queue()` to the run of that work and from
 * each IPI's send to its arrival; counters of runnable tasks and pending
 * works per list on each CPU; the kernel's WARNs and BUGs as instants.
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInit } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { perfetto } from "./mod.ts";
 * const timeline = perfetto();
 * const m = createMachine({ arch: x86(), cpus: 2, plugins: [timeline] });
 * m.spawn({ cpu: 0, name: "demo" }, (ctx) => ctx.queueOn(irqWorkInit(() => {}), 1));
 * m.runUntil(1_000_000);
 * const json = timeline.json(); // write it to a file and open it in ui.perfetto.dev
 * if (!JSON.parse(json).traceEvents.some((e: { flow_in?: boolean }) => e.flow_in)) throw new Error("no arrow");
 * ```
 *
 * @module
 */

import { checkOptions, checkWhole, type KernelParts, type Plugin, type TraceEvent } from "../../core/mod.ts";
import { type ChromeTrace, chromeTrace, chromeTraceText } from "./json.ts";
import { Timeline, type TimelineItem } from "./timeline.ts";

export type { ChromeTrace, ChromeTraceEvent } from "./json.ts";

/**
 * A plugin that builds a Chrome trace-event timeline of a run.
 *
 * @example
 * ```ts
 * import { perfetto } from "./mod.ts";
 * const timeline = perfetto({ maxEvents: 10_000 });
 * if (timeline.trace().traceEvents.length !== 0) throw new Error("nothing before the machine is built");
 * ```
 */
export interface PerfettoPlugin extends Plugin {
  /** Timeline events made in all, kept or since dropped. */
  readonly written: number;
  /** The oldest events dropped to keep at most `maxEvents`. */
  readonly dropped: number;
  /** The trace so far as an object; slices still open end at the machine's current time. */
  trace(): ChromeTrace;
  /** The same as JSON text, one event per line. */
  json(): string;
}

/**
 * Options of {@linkcode perfetto}.
 *
 * @example
 * ```ts
 * import { perfetto } from "./mod.ts";
 * const noTicks = perfetto({ filter: (e) => e.type !== "tick", maxEvents: Infinity });
 * void noTicks;
 * ```
 */
export interface PerfettoOptions {
  /** Use only the trace events for which this returns true. */
  readonly filter?: (event: TraceEvent) => boolean;
  /**
   * How many timeline events (slices, markers, counter samples, instants) to
   * keep, the newest (default 500,000); `Infinity` keeps them all. A flow
   * whose other end was dropped is left out.
   */
  readonly maxEvents?: number;
}

const DEFAULT_MAX_EVENTS = 500_000;

/**
 * Make a Perfetto timeline; pass it in the machine's `plugins`, run, and
 * write `json()` to a file. One timeline serves one machine.
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInit } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { perfetto } from "./mod.ts";
 * const timeline = perfetto();
 * const m = createMachine({ arch: x86(), plugins: [timeline] });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => ctx.queue(irqWorkInit(function* cb() {})));
 * m.runUntil(1_000_000);
 * const run = timeline.trace().traceEvents.find((e) => e.cat === "irq_work" && e.name === "cb");
 * if (run?.tid !== 1 || run.flow_in !== true) throw new Error("the callback's run on CPU 0's track");
 * ```
 */
export function perfetto(options: PerfettoOptions = {}): PerfettoPlugin {
  checkOptions("perfetto option", options, { filter: "function", maxEvents: "number" });
  const maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
  if (maxEvents !== Infinity) checkWhole("perfetto option maxEvents", maxEvents, 1, Number.MAX_SAFE_INTEGER);
  const filter = options.filter ?? (() => true);
  const items = new ItemRing(maxEvents);
  let timeline: Timeline | null = null;
  let now = () => 0;
  let cpus = 0;
  let machine = "";

  const trace = (): ChromeTrace =>
    timeline === null
      ? { traceEvents: [], displayTimeUnit: "ns", otherData: {} }
      : chromeTrace([...items.items(), ...timeline.open(now())], { cpus, machine, dropped: items.dropped });

  return {
    name: "perfetto",
    get written(): number {
      return items.written;
    },
    get dropped(): number {
      return items.dropped;
    },
    setup(k: KernelParts): void {
      cpus = k.cpus.length;
      machine = `irqemu ${k.arch.name}, ${cpus} CPU${cpus === 1 ? "" : "s"}`;
      now = () => k.engine.now;
      timeline = new Timeline(cpus, k.engine.now, (item) => items.push(item));
      const t = timeline;
      k.trace.observe((e) => void (filter(e) && t.add(e)));
    },
    trace,
    json: () => chromeTraceText(trace()),
  };
}

/** The newest `capacity` items, oldest first. */
class ItemRing {
  written = 0;
  #capacity: number;
  #items: TimelineItem[] = [];
  #first = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get dropped(): number {
    return this.written - (this.#items.length - this.#first);
  }

  push(item: TimelineItem): void {
    this.written++;
    this.#items.push(item);
    if (this.#items.length - this.#first > this.#capacity) this.#first++;
    // Drop the dead head once it is as long as the live part: amortised O(1) per item.
    if (this.#first > 1024 && this.#first * 2 > this.#items.length) {
      this.#items.splice(0, this.#first);
      this.#first = 0;
    }
  }

  items(): readonly TimelineItem[] {
    return this.#items.slice(this.#first);
  }
}
