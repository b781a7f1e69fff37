/**
 * What a scenario run produced, as text and JSON: a summary of the
 * irq_work runs (where and after how long each work ran), the device
 * interrupts, the findings. Statistics are kept per work as the run goes,
 * so memory stays bounded however long the run.
 *
 * @module
 */

import type { DeviceIrq, Finding, Machine, TraceEvent } from "../mod.ts";
import type { RunResult } from "./run.ts";
import type { Scenario } from "./types.ts";

/** Running statistics of one work. */
interface WorkStats {
  queued: number;
  runs: number;
  /** Runs by where they ran: `hardirq`, `nmi`, or the task's name. */
  where: Map<string, number>;
  waitSum: number;
  waitMax: number;
}

/** Per-work statistics, fed by the trace. */
export class RunStats {
  readonly #works = new Map<string, WorkStats>();
  /** When each queued work (by id) was queued. */
  readonly #queuedAt = new Map<number, number>();

  /** The observer to attach to the machine. */
  readonly observe = (e: TraceEvent): void => {
    if (e.type === "irq_work_queue") {
      this.#stats(e.work).queued++;
      this.#queuedAt.set(e.workId, e.time);
    } else if (e.type === "irq_work_execute_start") {
      const s = this.#stats(e.work);
      s.runs++;
      const where = e.context === "task" ? e.comm : e.context;
      s.where.set(where, (s.where.get(where) ?? 0) + 1);
      const queued = this.#queuedAt.get(e.workId);
      if (queued !== undefined) {
        const wait = e.time - queued;
        s.waitSum += wait;
        s.waitMax = Math.max(s.waitMax, wait);
        this.#queuedAt.delete(e.workId);
      }
    }
  };

  #stats(work: string): WorkStats {
    let s = this.#works.get(work);
    if (s === undefined) {
      s = { queued: 0, runs: 0, where: new Map(), waitSum: 0, waitMax: 0 };
      this.#works.set(work, s);
    }
    return s;
  }

  /** One line per work, sorted by name. */
  lines(): string[] {
    return [...this.#works].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, s]) => {
      const where = [...s.where].sort(([a], [b]) => (a < b ? -1 : 1)).map(([w, n]) => `${w} ${n}`).join(", ");
      const wait = s.runs === 0 ? "" : `; queue to start avg ${us(s.waitSum / s.runs)}, max ${us(s.waitMax)}`;
      return `  ${name}: queued ${s.queued}, ran ${s.runs}${where === "" ? "" : ` (${where})`}${wait}`;
    });
  }
}

/** `ns` as µs with two decimals. */
function us(ns: number): string {
  return `${(ns / 1000).toFixed(2)} µs`;
}

/** `ns` as ms with three decimals. */
function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(3)} ms`;
}

/** The text summary of a run. */
export function summary(
  scenario: Scenario,
  machine: Machine,
  result: RunResult,
  stats: RunStats,
  irqs: readonly { readonly spec: Scenario["irqs"][number]; readonly line: DeviceIrq }[],
): string {
  const m = scenario.machine;
  const arch = m.arch.name + (m.arch.apic === false ? " (no APIC)" : "");
  const out = [
    `scenario: ${scenario.name}${scenario.description === "" ? "" : ` — ${scenario.description}`}`,
    `machine: ${arch}, ${m.cpus} CPU${m.cpus === 1 ? "" : "s"}, HZ ${m.hz ?? 250}, kernel ${
      m.kernel ?? "mainline"
    }${fixesText(m.fixes)}, PREEMPT_RT ${m.rt ? "on" : "off"}, seed ${m.seed}`,
    `run: ${ms(result.nowNs)} of ${ms(scenario.run.durationNs)} simulated (${
      endText(result)
    }), ${result.events} events`,
    `irq_work: ${machine.runCount} runs`,
    ...stats.lines(),
  ];
  if (irqs.length > 0) {
    out.push("device interrupts:");
    for (const { spec, line } of irqs) {
      out.push(`  IRQ ${spec.irq} ${spec.name} on CPU ${spec.cpu}: ${line.count}`);
    }
  }
  const dropped = machine.droppedFindings;
  out.push(`findings: ${machine.findings.length + dropped}${dropped > 0 ? ` (${dropped} not kept)` : ""}`);
  for (const f of machine.findings) out.push(`  ${ms(f.time)} CPU ${f.cpu} ${f.level}: ${f.title}`);
  return `${out.join("\n")}\n`;
}

function fixesText(fixes: Readonly<Record<string, boolean>> | undefined): string {
  const list = Object.entries(fixes ?? {}).map(([c, on]) => `${c} ${on ? "on" : "off"}`);
  return list.length === 0 ? "" : ` (fixes: ${list.join(", ")})`;
}

function endText(result: RunResult): string {
  switch (result.end) {
    case "done":
      return "complete";
    case "halted":
      return "the machine stopped: BUG or livelock";
    case "stopped":
      return "stopped early";
    case "break":
      return "stopped at the latency break threshold";
  }
}

/** The findings as JSON: the scenario's name, where the run ended, each finding in full. */
export function findingsJson(scenario: Scenario, machine: Machine, result: RunResult): string {
  const findings = machine.findings.map((f: Finding) => ({
    time: f.time,
    cpu: f.cpu,
    level: f.level,
    fatal: f.fatal,
    title: f.title,
    message: f.message,
    context: f.context,
    comm: f.comm,
    pid: f.pid,
  }));
  return `${
    JSON.stringify(
      {
        scenario: scenario.name,
        end: result.end,
        nowNs: result.nowNs,
        findings,
        dropped: machine.droppedFindings,
      },
      null,
      2,
    )
  }\n`;
}
