/**
 * Event format descriptions as the kernel's tracefs gives them
 * (`events/<system>/<event>/format`): the common fields every record starts
 * with, each event's own fields with offset, size and signedness, and the
 * print format that `trace-cmd report` applies. Also the two ring-buffer
 * descriptions, `events/header_page` and `events/header_event`.
 *
 * Where the kernel records a pointer that only its symbol table or memory
 * could turn back into text (a call site, a callback, a lock's name, a CPU
 * mask), the model records the text itself as a `__data_loc char[]` string,
 * so that `trace-cmd report` prints what the ftrace text prints.
 *
 * @module
 */

/** How a field is stored: its C declaration, size and signedness follow from it. */
export type FieldType = "int" | "unsigned int" | "pid_t" | "long" | "unsigned long" | "comm" | "string";

/** One field of an event record. */
export interface Field {
  /** The field's name, as the print format's `REC->name` uses it. */
  readonly name: string;
  /** How it is stored. */
  readonly type: FieldType;
}

/** One event type: where tracefs lists it, its fields, and how it prints. */
export interface EventFormat {
  /** The directory under `events/`, e.g. `sched`. */
  readonly system: string;
  /** The event's name, e.g. `sched_switch`. */
  readonly name: string;
  /** The event's own fields, after the common ones. */
  readonly fields: readonly Field[];
  /** What follows `print fmt: ` (a C format string and its arguments). */
  readonly print: string;
}

/** A field's place in the record. */
export interface FieldLayout extends Field {
  /** Bytes from the start of the record. */
  readonly offset: number;
  /** Bytes it takes in the fixed part (a string's 4-byte `__data_loc` word). */
  readonly size: number;
}

/** The bytes every record starts with: type, flags, preempt count, pid. */
export const COMMON_SIZE = 8;

/** `TASK_COMM_LEN`. */
export const COMM_LEN = 16;

const SIZES: Record<FieldType, { size: number; signed: boolean }> = {
  "int": { size: 4, signed: true },
  "unsigned int": { size: 4, signed: false },
  "pid_t": { size: 4, signed: true },
  "long": { size: 8, signed: true },
  "unsigned long": { size: 8, signed: false },
  "comm": { size: COMM_LEN, signed: false },
  "string": { size: 4, signed: false },
};

/** The fields' places: each aligned to its size (at most 8), as the C compiler lays out the struct. */
export function layout(format: EventFormat): { fields: FieldLayout[]; fixedSize: number } {
  let offset = COMMON_SIZE;
  const fields = format.fields.map((f) => {
    const { size } = SIZES[f.type];
    const align = f.type === "comm" ? 1 : Math.min(size, 8);
    offset = Math.ceil(offset / align) * align;
    const placed = { ...f, offset, size };
    offset += size;
    return placed;
  });
  return { fields, fixedSize: offset };
}

function fieldLine(decl: string, offset: number, size: number, signed: boolean): string {
  return `\tfield:${decl};\toffset:${offset};\tsize:${size};\tsigned:${signed ? 1 : 0};\n`;
}

function declaration(f: Field): string {
  switch (f.type) {
    case "comm":
      return `char ${f.name}[${COMM_LEN}]`;
    case "string":
      return `__data_loc char[] ${f.name}`;
    default:
      return `${f.type} ${f.name}`;
  }
}

/** The text of `events/<system>/<name>/format` for an event whose type id is `id`. */
export function formatText(format: EventFormat, id: number): string {
  let text = `name: ${format.name}\nID: ${id}\nformat:\n`;
  text += fieldLine("unsigned short common_type", 0, 2, false);
  text += fieldLine("unsigned char common_flags", 2, 1, false);
  text += fieldLine("unsigned char common_preempt_count", 3, 1, false);
  text += fieldLine("int common_pid", 4, 4, true);
  text += "\n";
  for (const f of layout(format).fields) {
    text += fieldLine(declaration(f), f.offset, f.size, SIZES[f.type].signed);
  }
  return `${text}\nprint fmt: ${format.print}\n`;
}

/** `events/header_page`: a ring-buffer page starts with its time stamp and the bytes committed. */
export const HEADER_PAGE = "\tfield: u64 timestamp;\toffset:0;\tsize:8;\tsigned:0;\n" +
  "\tfield: local_t commit;\toffset:8;\tsize:8;\tsigned:1;\n" +
  "\tfield: int overwrite;\toffset:8;\tsize:1;\tsigned:1;\n" +
  "\tfield: char data;\toffset:16;\tsize:4080;\tsigned:1;\n";

/** `events/header_event`: the 32-bit header of each ring-buffer entry. */
export const HEADER_EVENT = "# compressed entry header\n" +
  "\ttype_len    :    5 bits\n" +
  "\ttime_delta  :   27 bits\n" +
  "\tarray       :   32 bits\n" +
  "\n" +
  "\tpadding     : type == 29\n" +
  "\ttime_extend : type == 30\n" +
  "\ttime_stamp : type == 31\n" +
  "\tdata max type_len  == 28\n";

/** The task states `sched_switch` reports, as `prev_state` bits (`TASK_REPORT`), and preemption's `TASK_REPORT_MAX`. */
export const TASK_STATE_BITS: Readonly<Record<string, number>> = {
  R: 0,
  S: 0x1,
  D: 0x2,
  T: 0x4,
  t: 0x8,
  X: 0x10,
  Z: 0x20,
  P: 0x40,
  I: 0x80,
  "+": 0x100,
};

const REPORT =
  "0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040";

const SCHED_SWITCH_PRINT =
  '"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d ' +
  'next_prio=%d", REC->prev_comm, REC->prev_pid, REC->prev_prio, ' +
  `(REC->prev_state & ((((${REPORT}) + 1) << 1) - 1)) ? __print_flags(REC->prev_state & ((((${REPORT}) + 1) << 1) - 1), "|", ` +
  '{ 0x00000001, "S" }, { 0x00000002, "D" }, { 0x00000004, "T" }, { 0x00000008, "t" }, { 0x00000010, "X" }, ' +
  '{ 0x00000020, "Z" }, { 0x00000040, "P" }, { 0x00000080, "I" }) : "R", ' +
  `REC->prev_state & (((${REPORT}) + 1) << 1) ? "+" : "", REC->next_comm, REC->next_pid, REC->next_prio`;

/** The kernel's `tick_dep_bits`, as `tick_stop` prints them. */
const TICK_DEPENDENCIES = '{ 0, "NONE" }, { 1, "POSIX_TIMER" }, { 2, "PERF_EVENTS" }, { 4, "SCHED" }, ' +
  '{ 8, "CLOCK_UNSTABLE" }, { 16, "RCU" }, { 32, "RCU_EXP" }';

function event(system: string, name: string, fields: [string, FieldType][], print: string): EventFormat {
  return { system, name, fields: fields.map(([n, type]) => ({ name: n, type })), print };
}

/** Every event type with a fixed name the model emits, in the order their ids are given. */
export const FORMATS = {
  sched_switch: event("sched", "sched_switch", [
    ["prev_comm", "comm"],
    ["prev_pid", "pid_t"],
    ["prev_prio", "int"],
    ["prev_state", "long"],
    ["next_comm", "comm"],
    ["next_pid", "pid_t"],
    ["next_prio", "int"],
  ], SCHED_SWITCH_PRINT),
  sched_wakeup: event(
    "sched",
    "sched_wakeup",
    [["comm", "comm"], ["pid", "pid_t"], ["prio", "int"], ["target_cpu", "int"]],
    '"comm=%s pid=%d prio=%d target_cpu=%03d", REC->comm, REC->pid, REC->prio, REC->target_cpu',
  ),
  sched_waking: event(
    "sched",
    "sched_waking",
    [["comm", "comm"], ["pid", "pid_t"], ["prio", "int"], ["target_cpu", "int"]],
    '"comm=%s pid=%d prio=%d target_cpu=%03d", REC->comm, REC->pid, REC->prio, REC->target_cpu',
  ),
  hrtimer_start: event(
    "timer",
    "hrtimer_start",
    [["hrtimer", "string"], ["function", "string"], ["expires", "unsigned long"], ["mode", "string"]],
    '"hrtimer=%s function=%s expires=%lu softexpires=%lu mode=%s", __get_str(hrtimer), ' +
      "__get_str(function), REC->expires, REC->expires, __get_str(mode)",
  ),
  hrtimer_expire_entry: event(
    "timer",
    "hrtimer_expire_entry",
    [["hrtimer", "string"], ["function", "string"], ["now", "unsigned long"]],
    '"hrtimer=%s function=%s now=%lu", __get_str(hrtimer), __get_str(function), REC->now',
  ),
  hrtimer_expire_exit: event(
    "timer",
    "hrtimer_expire_exit",
    [["hrtimer", "string"]],
    '"hrtimer=%s", __get_str(hrtimer)',
  ),
  sched_wake_idle_without_ipi: event(
    "sched",
    "sched_wake_idle_without_ipi",
    [["cpu", "int"]],
    '"cpu=%d", REC->cpu',
  ),
  ipi_send_cpu: event(
    "ipi",
    "ipi_send_cpu",
    [["cpu", "unsigned int"], ["callsite", "string"], ["callback", "string"]],
    '"cpu=%u callsite=%s callback=%s", REC->cpu, __get_str(callsite), __get_str(callback)',
  ),
  ipi_raise: event(
    "ipi",
    "ipi_raise",
    [["target_cpus", "string"], ["reason", "string"]],
    '"target_mask=%s (%s)", __get_str(target_cpus), __get_str(reason)',
  ),
  csd_queue_cpu: event(
    "csd",
    "csd_queue_cpu",
    [["cpu", "unsigned int"], ["callsite", "string"], ["func", "string"]],
    '"cpu=%u callsite=%s func=%s", REC->cpu, __get_str(callsite), __get_str(func)',
  ),
  lock_acquire: event("lock", "lock_acquire", [["name", "string"]], '"%s", __get_str(name)'),
  lock_release: event("lock", "lock_release", [["name", "string"]], '"%s", __get_str(name)'),
  tick_stop: event(
    "timer",
    "tick_stop",
    [["success", "int"], ["dependency", "int"]],
    `"success=%d dependency=%s", REC->success, __print_symbolic(REC->dependency, ${TICK_DEPENDENCIES})`,
  ),
  irq_work_queue: event(
    "irqemu",
    "irqemu_irq_work_queue",
    [["work", "string"], ["flags", "unsigned int"], ["cpu", "unsigned int"], ["list", "string"]],
    '"work=%s flags=0x%x cpu=%u list=%s", __get_str(work), REC->flags, REC->cpu, __get_str(list)',
  ),
  irq_work_execute_start: event(
    "irqemu",
    "irqemu_irq_work_execute_start",
    [["work", "string"], ["hard", "int"]],
    '"work=%s%s", __get_str(work), REC->hard ? " hard" : ""',
  ),
  irq_work_execute_end: event(
    "irqemu",
    "irqemu_irq_work_execute_end",
    [["work", "string"]],
    '"work=%s", __get_str(work)',
  ),
  nmi_entry: event("irqemu", "irqemu_nmi_entry", [], '""'),
  nmi_exit: event("irqemu", "irqemu_nmi_exit", [], '""'),
  kmalloc: event("irqemu", "irqemu_kmalloc", [["object", "string"]], '"object=%s", __get_str(object)'),
  kfree: event("irqemu", "irqemu_kfree", [["object", "string"]], '"object=%s", __get_str(object)'),
  finding: event("irqemu", "irqemu_finding", [["title", "string"]], '"%s", __get_str(title)'),
} as const satisfies Record<string, EventFormat>;

/**
 * The format of an arch's interrupt entry or exit event named `name`
 * (`irq_work_entry`, `ipi_exit`, ...), chosen by the shape of what it
 * prints (`detail`): the kernel's `irq_vectors`, `irq` and `ipi` formats, or
 * the text as it is under the arch's own system.
 */
export function vectorFormat(name: string, detail: string, archSystem: string): EventFormat {
  if (/^vector=\d+$/.test(detail)) {
    return event("irq_vectors", name, [["vector", "int"]], '"vector=%d", REC->vector');
  }
  if (/^irq=\d+ name=/.test(detail)) {
    return event(
      "irq",
      name,
      [["irq", "int"], ["name", "string"]],
      '"irq=%d name=%s", REC->irq, __get_str(name)',
    );
  }
  if (/^irq=\d+ ret=(handled|unhandled)$/.test(detail)) {
    return event(
      "irq",
      name,
      [["irq", "int"], ["ret", "int"]],
      '"irq=%d ret=%s", REC->irq, REC->ret ? "handled" : "unhandled"',
    );
  }
  if (/^\(.*\)$/.test(detail)) {
    return event("ipi", name, [["reason", "string"]], '"(%s)", __get_str(reason)');
  }
  return event(archSystem, name, [["detail", "string"]], '"%s", __get_str(detail)');
}

/** The values of a vector event's fields, parsed from what it prints, in the order of `vectorFormat`'s fields. */
export function vectorValues(format: EventFormat, detail: string): (number | string)[] {
  const field = format.fields[0]?.name;
  switch (field) {
    case "vector":
      return [Number(detail.slice("vector=".length))];
    case "irq": {
      const [irq, rest] = [detail.slice(4, detail.indexOf(" ")), detail.slice(detail.indexOf(" ") + 1)];
      return format.fields[1]!.name === "name"
        ? [Number(irq), rest.slice("name=".length)]
        : [Number(irq), rest === "ret=handled" ? 1 : 0];
    }
    case "reason":
      return [detail.slice(1, -1)];
    default:
      return [detail];
  }
}
