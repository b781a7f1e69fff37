/**
 * The trace-cmd sink: records the trace in the kernel's binary ring-buffer
 * layout and writes it as a trace.dat file (version 6 of `trace-cmd.dat(5)`),
 * with the event format descriptions tracefs would give, so that
 * `trace-cmd report` and KernelShark open the model's traces. The events
 * and their text are those of the ftrace text tracer (`plugins/ftrace`).
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInit } from "../../mod.ts";
 * import { x86 } from "../../arch/x86/mod.ts";
 * import { traceCmd } from "./mod.ts";
 * const recorder = traceCmd();
 * const m = createMachine({ arch: x86(), plugins: [recorder] });
 * m.spawn({ cpu: 0, name: "demo" }, function* (ctx) { yield* ctx.queue(irqWorkInit(() => {})); });
 * m.runUntil(2_000_000);
 * const dat = recorder.traceDat(); // write it with Deno.writeFile("trace.dat", dat)
 * if (new TextDecoder().decode(dat.subarray(3, 10)) !== "tracing") throw new Error("not a trace.dat");
 * ```
 *
 * @module
 */

import { checkOptions, checkWhole, type KernelParts, type Plugin, type TraceEvent } from "../../core/mod.ts";
import { traceDatBytes } from "./file.ts";
import { type EventFormat, FORMATS } from "./formats.ts";
import { encodeRecord, eventValues } from "./record.ts";
import { CpuRing, PAGE_SIZE } from "./ring.ts";

/**
 * A plugin that records a run for trace-cmd.
 *
 * @example
 * ```ts
 * import { traceCmd } from "./mod.ts";
 * const recorder = traceCmd({ bufferSizeKb: 64 });
 * if (recorder.dropped !== 0) throw new Error("nothing recorded yet");
 * ```
 */
export interface TraceCmdPlugin extends Plugin {
  /** Records written in all, kept or since dropped. */
  readonly written: number;
  /** Records dropped with the oldest pages to make room for newer ones. */
  readonly dropped: number;
  /** The trace so far as the bytes of a trace.dat file. */
  traceDat(): Uint8Array;
}

/**
 * Options of {@linkcode traceCmd}.
 *
 * @example
 * ```ts
 * import { traceCmd } from "./mod.ts";
 * const cpu0 = traceCmd({ filter: (e) => e.cpu === 0, bufferSizeKb: 256 });
 * void cpu0;
 * ```
 */
export interface TraceCmdOptions {
  /** Keep only events for which this returns true. */
  readonly filter?: (event: TraceEvent) => boolean;
  /**
   * Each CPU's ring buffer in KiB, as the kernel's `buffer_size_kb`
   * (default 1408), rounded up to whole 4 KiB pages; when it is full the
   * oldest page makes room. `Infinity` keeps everything.
   */
  readonly bufferSizeKb?: number;
}

/** The kernel's default `buffer_size_kb`. */
const DEFAULT_BUFFER_SIZE_KB = 1408;

/** The first id given to event types (ids below are the kernel's ftrace-internal events). */
const FIRST_EVENT_ID = 300;

/**
 * Make a trace-cmd recorder; pass it in the machine's `plugins`, run, and
 * write `traceDat()` to a file for `trace-cmd report -i FILE`. One recorder
 * serves one machine.
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInit } from "../../mod.ts";
 * import { arm64 } from "../../arch/arm64/mod.ts";
 * import { traceCmd } from "./mod.ts";
 * const recorder = traceCmd();
 * const m = createMachine({ arch: arm64(), cpus: 2, plugins: [recorder] });
 * m.spawn({ cpu: 0, name: "t" }, (ctx) => ctx.queueOn(irqWorkInit(() => {}), 1));
 * m.runUntil(1_000_000);
 * if (recorder.written === 0 || recorder.traceDat().length % 4096 !== 0) throw new Error("pages");
 * ```
 */
export function traceCmd(options: TraceCmdOptions = {}): TraceCmdPlugin {
  checkOptions("traceCmd option", options, { filter: "function", bufferSizeKb: "number" });
  const sizeKb = options.bufferSizeKb ?? DEFAULT_BUFFER_SIZE_KB;
  if (sizeKb !== Infinity) {
    checkWhole("traceCmd option bufferSizeKb", sizeKb, 4, Number.MAX_SAFE_INTEGER, "KiB");
  }
  const maxPages = sizeKb === Infinity ? Infinity : Math.ceil((sizeKb * 1024) / PAGE_SIZE);
  const filter = options.filter ?? (() => true);
  const ids = new Map<string, { id: number; format: EventFormat }>();
  for (const format of Object.values(FORMATS)) {
    ids.set(format.name, { id: FIRST_EVENT_ID + ids.size, format });
  }
  const comms = new Map<number, string>();
  let rings: CpuRing[] = [];
  let written = 0;

  const record = (e: TraceEvent, cpus: number, archSystem: string): void => {
    if (!filter(e)) return;
    const values = eventValues(e, cpus, archSystem);
    if (values === null) return;
    let entry = ids.get(values.format.name);
    if (entry === undefined) {
      ids.set(values.format.name, entry = { id: FIRST_EVENT_ID + ids.size, ...values });
    } else if (entry.format.print !== values.format.print) {
      throw new Error(
        `Cannot record ${values.format.name} on CPU ${e.cpu}: its fields (${
          values.values.join(", ")
        }) do not fit the format its first event set (print fmt: ${entry.format.print})`,
      );
    }
    if (e.pid !== 0) comms.set(e.pid, e.comm);
    if (e.type === "sched_switch") {
      if (e.nextPid !== 0) comms.set(e.nextPid, e.nextComm);
      if (e.prevPid !== 0) comms.set(e.prevPid, e.prevComm);
    }
    rings[e.cpu]!.write(e.time, encodeRecord(e, entry.id, values));
    written++;
  };

  return {
    name: "trace-cmd",
    get written(): number {
      return written;
    },
    get dropped(): number {
      return rings.reduce((sum, r) => sum + r.dropped, 0);
    },
    setup(k: KernelParts): void {
      const cpus = k.cpus.length;
      const archSystem = k.arch.name.replace(/[^A-Za-z0-9_]/g, "_");
      rings = k.cpus.map(() => new CpuRing(maxPages));
      k.trace.observe((e) => record(e, cpus, archSystem));
    },
    traceDat: () => traceDatBytes({ formats: [...ids.values()], comms, cpus: rings.map((r) => r.pages()) }),
  };
}
