/**
 * The trace.dat file, version 6, as the `trace-cmd.dat.v6(5)` manual page
 * describes it: the magic and version, the ring buffer's header
 * descriptions, the event formats grouped by system, an empty kallsyms and
 * printk format list, the pid-to-name map, then the per-CPU ring-buffer
 * pages ("flyrecord"), each CPU's pages starting at a page boundary.
 * Numbers are little endian and `long` has 8 bytes, as on x86-64.
 *
 * @module
 */

import { type EventFormat, formatText, HEADER_EVENT, HEADER_PAGE } from "./formats.ts";
import { PAGE_SIZE } from "./ring.ts";

/** What a trace.dat holds. */
export interface TraceDatContents {
  /** Every event type, with its id. */
  readonly formats: readonly { readonly id: number; readonly format: EventFormat }[];
  /** Task names by pid (`saved_cmdlines`). */
  readonly comms: ReadonlyMap<number, string>;
  /** Each CPU's ring-buffer pages, oldest first. */
  readonly cpus: readonly (readonly Uint8Array[])[];
}

/** Bytes appended one piece at a time. */
class Writer {
  #chunks: Uint8Array[] = [];
  #length = 0;
  #encoder = new TextEncoder();

  get length(): number {
    return this.#length;
  }

  bytes(b: Uint8Array): void {
    this.#chunks.push(b);
    this.#length += b.length;
  }

  text(s: string): void {
    this.bytes(this.#encoder.encode(s));
  }

  number(value: number, size: 1 | 2 | 4 | 8): void {
    const b = new Uint8Array(size);
    const view = new DataView(b.buffer);
    if (size === 1) view.setUint8(0, value);
    else if (size === 2) view.setUint16(0, value, true);
    else if (size === 4) view.setUint32(0, value, true);
    else view.setBigUint64(0, BigInt(value), true);
    this.bytes(b);
  }

  /** A text block behind its size in `sizeBytes` bytes. */
  sized(s: string, sizeBytes: 4 | 8): void {
    const b = this.#encoder.encode(s);
    this.number(b.length, sizeBytes);
    this.bytes(b);
  }

  concat(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }
}

/** The trace.dat bytes of `contents`. */
export function traceDatBytes(contents: TraceDatContents): Uint8Array {
  const w = new Writer();
  w.bytes(new Uint8Array([0x17, 0x08, 0x44]));
  w.text("tracing6\0");
  w.number(0, 1); // little endian
  w.number(8, 1); // sizeof(long)
  w.number(PAGE_SIZE, 4);

  w.text("header_page\0");
  w.sized(HEADER_PAGE, 8);
  w.text("header_event\0");
  w.sized(HEADER_EVENT, 8);

  w.number(0, 4); // no ftrace-internal event formats: the model has no function tracer
  const systems = new Map<string, { id: number; format: EventFormat }[]>();
  for (const entry of contents.formats) {
    const list = systems.get(entry.format.system) ?? [];
    list.push(entry);
    systems.set(entry.format.system, list);
  }
  w.number(systems.size, 4);
  for (const [system, events] of systems) {
    w.text(`${system}\0`);
    w.number(events.length, 4);
    for (const { id, format } of events) w.sized(formatText(format, id), 8);
  }

  w.sized("", 4); // kallsyms: names are recorded as strings, nothing to resolve
  w.sized("", 4); // printk formats: the model has no trace_printk()
  const comms = [...contents.comms].sort(([a], [b]) => a - b).map(([pid, comm]) => `${pid} ${comm}\n`);
  w.sized(comms.join(""), 8);

  w.number(contents.cpus.length, 4);
  w.text("flyrecord\0");
  const tableEnd = w.length + contents.cpus.length * 16;
  let offset = Math.ceil(tableEnd / PAGE_SIZE) * PAGE_SIZE;
  for (const pages of contents.cpus) {
    const size = pages.length * PAGE_SIZE;
    w.number(offset, 8);
    w.number(size, 8);
    offset += size;
  }
  w.bytes(new Uint8Array(Math.ceil(tableEnd / PAGE_SIZE) * PAGE_SIZE - tableEnd));
  for (const pages of contents.cpus) for (const page of pages) w.bytes(page);
  return w.concat();
}
