/**
 * Turning typed trace events into the text of the kernel's ftrace `trace`
 * file: the column header, the line layout with its latency flags, and each
 * tracepoint's format. Events the kernel has no tracepoint for are printed
 * with an `irqemu_` prefix, or not at all (`ipi_arrive`).
 *
 * @module
 */

import { formatCpumask, type TraceBody, type TraceEvent, type TraceHeader } from "../../core/mod.ts";

export { formatCpumask };

/**
 * Format a trace event's body as ftrace prints it: `name: fields`, for a
 * machine of `cpus` CPUs; null for an event ftrace has no line for.
 */
export function formatBody(e: TraceBody, cpus: number): string | null {
  switch (e.type) {
    case "irq_work_queue":
      return `irqemu_irq_work_queue: work=${e.work} flags=0x${
        e.workFlags.toString(16)
      } cpu=${e.target} list=${e.list}`;
    case "ipi_send_cpu":
      return `ipi_send_cpu: cpu=${e.target} callsite=${e.callsite} callback=${e.callback ?? "0x0"}`;
    case "ipi_raise":
      return `ipi_raise: target_mask=${formatCpumask(e.targets, cpus)} (${e.reason})`;
    case "ipi_arrive":
      return null;
    case "csd_queue_cpu":
      return `csd_queue_cpu: cpu=${e.target} callsite=${e.callsite} func=${e.func}`;
    case "irq_vector_entry":
      return `${e.name}_entry: ${e.detail}`;
    case "irq_vector_exit":
      return `${e.name}_exit: ${e.detail}`;
    case "nmi_entry":
      return "irqemu_nmi_entry";
    case "nmi_exit":
      return "irqemu_nmi_exit";
    case "irq_work_execute_start":
      return `irqemu_irq_work_execute_start: work=${e.work}${e.hard ? " hard" : ""}`;
    case "irq_work_execute_end":
      return `irqemu_irq_work_execute_end: work=${e.work}`;
    case "lock_acquire":
      return `lock_acquire: ${e.lock}`;
    case "lock_release":
      return `lock_release: ${e.lock}`;
    case "kmalloc":
      return `irqemu_kmalloc: object=${e.object}`;
    case "kfree":
      return `irqemu_kfree: object=${e.object}`;
    case "sched_switch":
      return `sched_switch: prev_comm=${e.prevComm} prev_pid=${e.prevPid} prev_prio=${e.prevPrio} ` +
        `prev_state=${e.prevState} ==> next_comm=${e.nextComm} next_pid=${e.nextPid} next_prio=${e.nextPrio}`;
    case "sched_wakeup":
    case "sched_waking":
      return `${e.type}: comm=${e.wakeComm} pid=${e.wakePid} prio=${e.prio} target_cpu=${pad3(e.targetCpu)}`;
    case "sched_wake_idle_without_ipi":
      return `sched_wake_idle_without_ipi: cpu=${e.target}`;
    case "tick":
      return null; // the tick's hrtimer_expire_entry line shows it
    case "hrtimer_start":
      return `hrtimer_start: hrtimer=${hashedPointer(e.timer)} function=${e.function} expires=${e.expires} ` +
        `softexpires=${e.expires} mode=${e.mode}`;
    case "hrtimer_expire_entry":
      return `hrtimer_expire_entry: hrtimer=${hashedPointer(e.timer)} function=${e.function} now=${e.now}`;
    case "hrtimer_expire_exit":
      return `hrtimer_expire_exit: hrtimer=${hashedPointer(e.timer)}`;
    case "tick_stop":
      return `tick_stop: success=${e.success ? 1 : 0} dependency=NONE`;
    case "finding":
      return `irqemu_finding: ${e.message.split("\n", 1)[0]}${e.fatal ? " (fatal)" : ""}`;
  }
}

/** The five latency flag characters: irqs-off, need-resched, hardirq/softirq/NMI, preempt depth, migrate-disable. */
export function latencyFlags(
  e: Pick<TraceHeader, "irqsOff" | "needResched" | "context" | "preemptDepth" | "migrateDisable">,
): string {
  const ctx = e.context === "nmi" ? "Z" : e.context === "hardirq" ? "h" : e.context === "softirq" ? "s" : ".";
  const depth = e.preemptDepth === 0 ? "." : (e.preemptDepth & 0xf).toString(16);
  return (e.irqsOff ? "d" : ".") + (e.needResched ? "N" : ".") + ctx + depth +
    (e.migrateDisable === 0 ? "." : "1");
}

/**
 * Format a whole event as one ftrace text line (`comm-pid [cpu] flags
 * seconds.micros: body`), for a machine of `cpus` CPUs; null for an event
 * ftrace has no line for.
 */
export function formatEvent(e: TraceEvent, cpus: number): string | null {
  const body = formatBody(e, cpus);
  if (body === null) return null;
  const comm = e.pid === 0 ? "<idle>" : e.comm;
  const task = `${comm.padStart(16)}-${String(e.pid).padEnd(7)}`;
  const us = Math.floor((e.time + 500) / 1000); // ns2usecs(): rounded to the nearest µs, as the kernel prints
  const stamp = `${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, "0")}`.padStart(12);
  return `${task} [${pad3(e.cpu)}] ${latencyFlags(e)} ${stamp}: ${body}`;
}

/**
 * The header ftrace prints at the top of a trace file, so the columns read
 * without a manual: `entries` lines are in the buffer, of `written` in all
 * (more were written than kept when the ring buffer overran), from `cpus` CPUs.
 */
export function ftraceHeader(entries: number, cpus: number, written: number = entries): string {
  return [
    "# tracer: nop",
    "#",
    `# entries-in-buffer/entries-written: ${entries}/${written}   #P:${cpus}`,
    "#",
    "#                                _-----=> irqs-off/BH-disabled",
    "#                               / _----=> need-resched",
    "#                              | / _---=> hardirq/softirq",
    "#                              || / _--=> preempt-depth",
    "#                              ||| / _-=> migrate-disable",
    "#                              |||| /     delay",
    "#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION",
    "#              | |         |   |||||     |         |",
  ].join("\n");
}

/** An object's id where the kernel prints a hashed pointer (`%p`: 16 hex digits). */
function hashedPointer(id: number): string {
  return id.toString(16).padStart(16, "0");
}

function pad3(n: number): string {
  return String(n).padStart(3, "0");
}
