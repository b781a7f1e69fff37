/**
 * The ftrace text tracer: records every trace event as the line the kernel's
 * `trace` file would show, under the same column header.
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

import type { KernelParts, Plugin, TraceEvent } from "../../core/mod.ts";
import { formatEvent, ftraceHeader } from "./format.ts";

export { formatCpumask, formatEvent, ftraceHeader, latencyFlags } from "./format.ts";

/**
 * A plugin that keeps the ftrace text of a run.
 *
 * @example
 * ```ts
 * import { ftrace } from "./mod.ts";
 * const tracer = ftrace();
 * if (!tracer.text().startsWith("# tracer: nop")) throw new Error("the kernel's header");
 * ```
 */
export interface FtracePlugin extends Plugin {
  /** The lines so far, without the header. */
  readonly lines: readonly string[];
  /** The whole trace: header, then one line per event. */
  text(): string;
}

/**
 * Options of {@linkcode ftrace}.
 *
 * @example
 * ```ts
 * import { ftrace } from "./mod.ts";
 * const onlyCpu1 = ftrace({ filter: (e) => e.cpu === 1 });
 * void onlyCpu1;
 * ```
 */
export interface FtraceOptions {
  /** Keep only events for which this returns true. */
  readonly filter?: (event: TraceEvent) => boolean;
}

/**
 * Make an ftrace text tracer; pass it in the machine's `plugins`.
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
  const lines: string[] = [];
  const filter = options.filter ?? (() => true);
  let cpus = 0;
  return {
    name: "ftrace",
    lines,
    setup(k: KernelParts): void {
      cpus = k.cpus.length;
      k.trace.observe((event) => {
        if (!filter(event)) return;
        const line = formatEvent(event, cpus);
        if (line !== null) lines.push(line);
      });
    },
    text: () => `${ftraceHeader(lines.length, cpus)}\n${lines.join("\n")}\n`,
  };
}
