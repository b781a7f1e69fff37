/**
 * The ftrace text tracer: records every trace event as the line the kernel's
 * `trace` file would show, under the same column header, in a ring buffer of
 * `bufferSizeKb` per CPU (1408 KiB, the kernel's default `buffer_size_kb`).
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInit } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { ftrace } from "./mod.ts";
 * const tracer = ftrace();
 * const m = createMachine({ arch: x86(), plugins: [tracer] });
 * m.spawn({ cpu: 0, name: "demo" }, function* (ctx) { yield* ctx.queue(irqWorkInit(() => {})); });
 * m.runUntil(2_000_000);
 * if (!tracer.text().includes("irq_work_entry: vector=246")) throw new Error("no irq_work interrupt");
 * ```
 *
 * @module
 */

import { checkOptions, checkWhole, type KernelParts, type Plugin, type TraceEvent } from "../../core/mod.ts";
import { formatEvent, ftraceHeader } from "./format.ts";

export { formatCpumask, formatEvent, ftraceHeader, latencyFlags } from "./format.ts";

/**
 * A plugin that keeps the ftrace text of a run, in a ring buffer of a fixed
 * size as the kernel's trace buffer: when it is full the oldest lines make
 * room, and the header says how many were written in all.
 *
 * @example
 * ```ts
 * import { ftrace } from "./mod.ts";
 * const tracer = ftrace();
 * if (!tracer.text().startsWith("# tracer: nop")) throw new Error("the kernel's header");
 * ```
 */
export interface FtracePlugin extends Plugin {
  /** The lines kept, oldest first, without the header. */
  readonly lines: readonly string[];
  /** Lines written in all, kept or since dropped to make room (`entries-written`). */
  readonly written: number;
  /** Lines dropped to make room for newer ones (`overrun` in the kernel's per-CPU stats). */
  readonly dropped: number;
  /** The whole trace: header, then one line per event kept. */
  text(): string;
  /**
   * `echo 1 > snapshot`: keep a copy of the trace as it is now, as the
   * kernel swaps its buffer into the snapshot buffer; the latency tools take
   * one at each new maximum, as `tracing_max_latency` keeps the worst trace.
   */
  snapshot(): void;
  /** The last snapshot as text (header and lines), or null before the first. */
  snapshotText(): string | null;
}

/**
 * Options of {@linkcode ftrace}.
 *
 * @example
 * ```ts
 * import { ftrace } from "./mod.ts";
 * const onlyCpu1 = ftrace({ filter: (e) => e.cpu === 1, bufferSizeKb: 64 });
 * void onlyCpu1;
 * ```
 */
export interface FtraceOptions {
  /** Keep only events for which this returns true. */
  readonly filter?: (event: TraceEvent) => boolean;
  /**
   * The buffer's size per CPU in KiB of text, as the kernel's
   * `buffer_size_kb` (default 1408, the kernel's default); the whole ring
   * holds this much times the number of CPUs. `Infinity` keeps every line.
   */
  readonly bufferSizeKb?: number;
}

/** The kernel's default `buffer_size_kb` (`TRACE_BUF_SIZE_DEFAULT`, 1441792 bytes). */
const DEFAULT_BUFFER_SIZE_KB = 1408;

/**
 * Make an ftrace text tracer; pass it in the machine's `plugins`. One tracer
 * serves one machine.
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInit } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { ftrace } from "./mod.ts";
 * const tracer = ftrace({ filter: (e) => e.type.startsWith("irq_work") || e.type.startsWith("irq_vector") });
 * const m = createMachine({ arch: x86(), plugins: [tracer] });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => ctx.queue(irqWorkInit(() => {})));
 * m.runUntil(1_000_000);
 * if (!tracer.lines.some((l) => l.includes("irq_work_entry"))) throw new Error(tracer.text());
 * ```
 */
export function ftrace(options: FtraceOptions = {}): FtracePlugin {
  checkOptions("ftrace option", options, { filter: "function", bufferSizeKb: "number" });
  const sizeKb = options.bufferSizeKb ?? DEFAULT_BUFFER_SIZE_KB;
  if (sizeKb !== Infinity) checkWhole("ftrace option bufferSizeKb", sizeKb, 1, Number.MAX_SAFE_INTEGER);
  const filter = options.filter ?? (() => true);
  const ring = new TextRing();
  let cpus = 0;
  let kept: { lines: readonly string[]; written: number } | null = null;
  const textOf = (lines: readonly string[], written: number) =>
    `${ftraceHeader(lines.length, cpus, written)}\n${lines.join("\n")}\n`;
  return {
    name: "ftrace",
    get lines(): readonly string[] {
      return ring.lines;
    },
    get written(): number {
      return ring.written;
    },
    get dropped(): number {
      return ring.written - ring.size;
    },
    setup(k: KernelParts): void {
      cpus = k.cpus.length;
      ring.capacity = sizeKb * 1024 * cpus;
      k.trace.observe((event) => {
        if (!filter(event)) return;
        const line = formatEvent(event, cpus);
        if (line !== null) ring.push(line);
      });
    },
    text: () => textOf(ring.lines, ring.written),
    snapshot(): void {
      kept = { lines: [...ring.lines], written: ring.written };
    },
    snapshotText: () => kept === null ? null : textOf(kept.lines, kept.written),
  };
}

/** Lines of text in a ring of `capacity` characters (a line's newline included); the oldest go first. */
class TextRing {
  capacity = Infinity;
  written = 0;
  #lines: string[] = [];
  #first = 0;
  #chars = 0;

  push(line: string): void {
    this.written++;
    this.#lines.push(line);
    this.#chars += line.length + 1;
    while (this.#chars > this.capacity && this.#first < this.#lines.length) {
      this.#chars -= this.#lines[this.#first++]!.length + 1;
    }
    // Drop the dead head once it is as long as the live part: amortised O(1) per line.
    if (this.#first > 1024 && this.#first * 2 > this.#lines.length) {
      this.#lines.splice(0, this.#first);
      this.#first = 0;
    }
  }

  /** Lines kept. */
  get size(): number {
    return this.#lines.length - this.#first;
  }

  get lines(): readonly string[] {
    return this.#first === 0 ? this.#lines : this.#lines.slice(this.#first);
  }
}
