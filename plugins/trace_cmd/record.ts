/**
 * One trace event as the bytes of a kernel trace record: the common fields
 * (type id, latency flags, preempt count, pid), the event's fixed fields at
 * the offsets its format gives, then its strings (`__data_loc`), little
 * endian as on x86-64.
 *
 * @module
 */

import { formatCpumask, type TraceEvent, type TraceHeader } from "../../core/mod.ts";
import {
  COMM_LEN,
  type EventFormat,
  FORMATS,
  layout,
  TASK_STATE_BITS,
  vectorFormat,
  vectorValues,
} from "./formats.ts";

/** An event's format and the values of its fields, in the format's order. */
export interface EventValues {
  /** The event's format. */
  readonly format: EventFormat;
  /** One value per field. */
  readonly values: readonly (number | string)[];
}

/** The kernel's `trace_flag_type` bits of `common_flags`. */
const TRACE_FLAG_IRQS_OFF = 0x01;
const TRACE_FLAG_NEED_RESCHED = 0x04;
const TRACE_FLAG_HARDIRQ = 0x08;
const TRACE_FLAG_SOFTIRQ = 0x10;
const TRACE_FLAG_NMI = 0x40;

/** `common_flags` of an event with this header (an NMI is also in hard-IRQ, as `nmi_enter()` counts it). */
export function commonFlags(h: Pick<TraceHeader, "irqsOff" | "needResched" | "context">): number {
  const ctx = h.context === "nmi"
    ? TRACE_FLAG_NMI | TRACE_FLAG_HARDIRQ
    : h.context === "hardirq"
    ? TRACE_FLAG_HARDIRQ
    : h.context === "softirq"
    ? TRACE_FLAG_SOFTIRQ
    : 0;
  return (h.irqsOff ? TRACE_FLAG_IRQS_OFF : 0) | (h.needResched ? TRACE_FLAG_NEED_RESCHED : 0) | ctx;
}

/** `common_preempt_count`: the preemption depth in the low nibble, `migrate_disable()` depth in the high one. */
export function commonPreemptCount(h: Pick<TraceHeader, "preemptDepth" | "migrateDisable">): number {
  return (h.preemptDepth & 0xf) | (Math.min(h.migrateDisable, 0xf) << 4);
}

/** `prev_state` as the kernel records it, from the letters the model reports (`R+`, `S`, `D`, ...). */
export function taskStateBits(state: string): number {
  let bits = 0;
  for (const letter of state) {
    const bit = TASK_STATE_BITS[letter];
    if (bit === undefined) throw new Error(`Cannot record task state "${state}": unknown letter "${letter}"`);
    bits |= bit;
  }
  return bits;
}

/**
 * The format and field values of an event on a machine of `cpus` CPUs whose
 * arch-specific events live under `archSystem`; null for an event the
 * kernel's trace has no record for (an IPI's arrival; the tick, shown by its
 * hrtimer records).
 */
export function eventValues(e: TraceEvent, cpus: number, archSystem: string): EventValues | null {
  const f = FORMATS;
  switch (e.type) {
    case "sched_switch":
      return {
        format: f.sched_switch,
        values: [
          e.prevComm,
          e.prevPid,
          e.prevPrio,
          taskStateBits(e.prevState),
          e.nextComm,
          e.nextPid,
          e.nextPrio,
        ],
      };
    case "sched_wakeup":
    case "sched_waking":
      return { format: f[e.type], values: [e.wakeComm, e.wakePid, e.prio, e.targetCpu] };
    case "hrtimer_start":
      return { format: f.hrtimer_start, values: [hashedPointer(e.timer), e.function, e.expires, e.mode] };
    case "hrtimer_expire_entry":
      return { format: f.hrtimer_expire_entry, values: [hashedPointer(e.timer), e.function!, e.now!] };
    case "hrtimer_expire_exit":
      return { format: f.hrtimer_expire_exit, values: [hashedPointer(e.timer)] };
    case "sched_wake_idle_without_ipi":
      return { format: f.sched_wake_idle_without_ipi, values: [e.target] };
    case "ipi_send_cpu":
      return { format: f.ipi_send_cpu, values: [e.target, e.callsite, e.callback ?? "0x0"] };
    case "ipi_raise":
      return { format: f.ipi_raise, values: [formatCpumask(e.targets, cpus), e.reason] };
    case "ipi_arrive":
      return null;
    case "csd_queue_cpu":
      return { format: f.csd_queue_cpu, values: [e.target, e.callsite, e.func] };
    case "lock_acquire":
      return { format: f.lock_acquire, values: [e.lock] };
    case "lock_release":
      return { format: f.lock_release, values: [e.lock] };
    case "tick_stop":
      return { format: f.tick_stop, values: [e.success ? 1 : 0, 0] };
    case "irq_work_queue":
      return { format: f.irq_work_queue, values: [e.work, e.workFlags, e.target, e.list] };
    case "irq_work_execute_start":
      return { format: f.irq_work_execute_start, values: [e.work, e.hard ? 1 : 0] };
    case "irq_work_execute_end":
      return { format: f.irq_work_execute_end, values: [e.work] };
    case "nmi_entry":
      return { format: f.nmi_entry, values: [] };
    case "nmi_exit":
      return { format: f.nmi_exit, values: [] };
    case "kmalloc":
      return { format: f.kmalloc, values: [e.object] };
    case "kfree":
      return { format: f.kfree, values: [e.object] };
    case "tick":
      return null; // the tick's hrtimer_expire_entry record shows it
    case "finding":
      return { format: f.finding, values: [`${e.message.split("\n", 1)[0]}${e.fatal ? " (fatal)" : ""}`] };
    case "irq_vector_entry":
    case "irq_vector_exit": {
      const name = `${e.name}_${e.type === "irq_vector_entry" ? "entry" : "exit"}`;
      const format = vectorFormat(name, e.detail, archSystem);
      return { format, values: vectorValues(format, e.detail) };
    }
  }
}

/** A timer id as the kernel's hashed `%p` prints it (as the ftrace text does). */
function hashedPointer(id: number): string {
  return id.toString(16).padStart(16, "0");
}

const encoder = new TextEncoder();

/**
 * The bytes of one record: common fields, then fixed fields, then strings
 * (each NUL-terminated, its `__data_loc` word holding length << 16 | offset).
 * Longer names are cut to `TASK_COMM_LEN` - 1 bytes, as the kernel's
 * `comm` arrays hold them.
 */
export function encodeRecord(header: TraceHeader, type: number, ev: EventValues): Uint8Array {
  const { fields, fixedSize } = layout(ev.format);
  const strings = fields.map((f, i) => f.type === "string" ? encoder.encode(`${ev.values[i]}\0`) : null);
  const size = fixedSize + strings.reduce((sum, s) => sum + (s?.length ?? 0), 0);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint16(0, type, true);
  view.setUint8(2, commonFlags(header));
  view.setUint8(3, commonPreemptCount(header));
  view.setInt32(4, header.pid, true);
  let tail = fixedSize;
  fields.forEach((field, i) => {
    const value = ev.values[i]!;
    switch (field.type) {
      case "int":
      case "pid_t":
        view.setInt32(field.offset, Number(value), true);
        break;
      case "unsigned int":
        view.setUint32(field.offset, Number(value), true);
        break;
      case "long":
        view.setBigInt64(field.offset, BigInt(value), true);
        break;
      case "unsigned long":
        view.setBigUint64(field.offset, BigInt(value), true);
        break;
      case "comm":
        bytes.set(encoder.encode(String(value)).subarray(0, COMM_LEN - 1), field.offset);
        break;
      case "string": {
        const s = strings[i]!;
        view.setUint32(field.offset, (s.length << 16) | tail, true);
        bytes.set(s, tail);
        tail += s.length;
        break;
      }
    }
  });
  return bytes;
}
