/**
 * The report's per-CPU timeline, drawn as SVG from the Perfetto sink's
 * trace (the same slices ui.perfetto.dev shows, so the two views agree):
 * one lane per CPU, the running task on the lane's first row, the
 * interrupts and callbacks nested in it on the rows below, each kind of
 * time in its own colour. The page's script zooms it; this file only draws
 * the whole window once.
 *
 * @module
 */

import type { ChromeTrace } from "../plugins/perfetto/mod.ts";
import { escapeHtml, fixed, usText } from "./escape.ts";

/** What a slice of CPU time was spent on; each is one colour of the legend. */
export type SliceKind =
  | "idle"
  | "task"
  | "measure"
  | "irqthread"
  | "irqworkthread"
  | "hardirq"
  | "nmi"
  | "callback";

/** The legend, in the order it is shown: kind, label. */
export const LEGEND: readonly (readonly [SliceKind, string])[] = [
  ["hardirq", "hard IRQ"],
  ["nmi", "NMI"],
  ["callback", "irq_work callback"],
  ["irqthread", "threaded IRQ (irq/N-name)"],
  ["irqworkthread", "irq_work/N thread"],
  ["measure", "measuring thread (cyclictest, timerlat/N)"],
  ["task", "other task"],
  ["idle", "idle"],
];

/** A slice on one CPU, in ns, with its nesting depth (0: the task). */
export interface Slice {
  readonly cpu: number;
  readonly kind: SliceKind;
  readonly name: string;
  readonly start: number;
  readonly end: number;
  readonly depth: number;
}

/** A finding's instant on its CPU's lane. */
export interface Instant {
  readonly cpu: number;
  readonly time: number;
  readonly name: string;
}

/** The slices and instants of a trace that overlap `[from, to)`, at most `max` slices (the longest kept). */
export interface TimelineData {
  readonly slices: readonly Slice[];
  readonly instants: readonly Instant[];
  /** Slices in the window left out to stay within `max`. */
  readonly omitted: number;
}

const ns = (us: number | undefined) => Math.round((us ?? 0) * 1000);

/** The kind of a slice of the Perfetto sink, from its category and name. */
export function kindOf(cat: string, name: string, args: Readonly<Record<string, unknown>>): SliceKind | null {
  if (cat === "sched") {
    if (name === "idle") return "idle";
    if (name.startsWith("irq_work/")) return "irqworkthread";
    if (name.startsWith("irq/")) return "irqthread";
    if (name === "cyclictest" || name.startsWith("timerlat/")) return "measure";
    return "task";
  }
  if (cat === "irq") return name === "NMI" ? "nmi" : "hardirq";
  // A callback's run has its context; the zero-length `queue` markers do not.
  if (cat === "irq_work" && "context" in args) return "callback";
  return null;
}

/** Read the slices of `trace` on a machine of `cpus` CPUs that overlap `[from, to)`. */
export function timelineData(
  trace: ChromeTrace,
  cpus: number,
  from: number,
  to: number,
  max: number,
): TimelineData {
  // Depth from nesting: on one CPU slices nest, and the sink sorts them by start, outer first.
  const open: number[][] = Array.from({ length: cpus }, () => []);
  const all: Slice[] = [];
  const instants: Instant[] = [];
  for (const e of trace.traceEvents) {
    const cpu = (e.tid ?? 0) - 1;
    if (cpu < 0 || cpu >= cpus) continue;
    const start = ns(e.ts);
    if (e.ph === "i" && e.cat === "finding") {
      if (start >= from && start < to) instants.push({ cpu, time: start, name: e.name });
      continue;
    }
    if (e.ph !== "X") continue;
    const kind = kindOf(e.cat ?? "", e.name, e.args ?? {});
    if (kind === null) continue;
    const end = start + ns(e.dur);
    if (end <= start) continue; // nothing to draw, and it encloses nothing
    const stack = open[cpu]!;
    while (stack.length > 0 && stack[stack.length - 1]! <= start) stack.pop();
    const depth = stack.length;
    stack.push(end);
    if (end > from && start < to) {
      all.push({ cpu, kind, name: e.name, start, end, depth });
    }
  }
  if (all.length <= max) return { slices: all, instants, omitted: 0 };
  const kept = new Set(
    [...all.keys()].sort((a, b) => (all[b]!.end - all[b]!.start) - (all[a]!.end - all[a]!.start) || a - b)
      .slice(0, max),
  );
  return { slices: all.filter((_, i) => kept.has(i)), instants, omitted: all.length - max };
}

/** Geometry of the drawing, in the SVG's user units. */
export const GEOMETRY = { label: 80, plot: 1200, axis: 26, row: 12, rows: 4, gap: 10 } as const;

/** The timeline as an SVG element (with `id`), the window `[from, to)` across the plot's width. */
export function timelineSvg(data: TimelineData, cpus: number, from: number, to: number, id: string): string {
  const { label, plot, axis, row, rows, gap } = GEOMETRY;
  const lane = rows * row + gap;
  const height = axis + cpus * lane;
  const scale = plot / (to - from);
  const x = (t: number) => (Math.max(from, Math.min(to, t)) - from) * scale;
  const out: string[] = [];
  out.push(
    `<svg id="${id}" class="tl" viewBox="0 0 ${
      label + plot
    } ${height}" data-from="${from}" data-to="${to}" ` +
      `data-label="${label}" data-plot="${plot}" data-axis="${axis}" role="img" aria-label="per-CPU timeline">`,
    `<defs><clipPath id="${id}-clip"><rect x="0" y="0" width="${plot}" height="${height}"/></clipPath></defs>`,
  );
  for (let cpu = 0; cpu < cpus; cpu++) {
    const y = axis + cpu * lane;
    out.push(
      `<text class="tl-cpu" x="4" y="${y + (rows * row) / 2 + 4}">CPU ${cpu}</text>`,
      `<rect class="tl-lane" x="${label}" y="${y}" width="${plot}" height="${rows * row}"/>`,
    );
  }
  out.push(`<g transform="translate(${label} 0)" clip-path="url(#${id}-clip)">`);
  out.push(`<g class="tl-grid"></g><g class="tl-zoom">`);
  for (const s of data.slices) {
    const y = axis + s.cpu * lane + Math.min(s.depth, rows - 1) * row;
    const w = Math.max(x(s.end) - x(s.start), 0.05);
    const title = `CPU ${s.cpu}: ${s.name}\n${usText(s.start)} to ${usText(s.end)} (${
      usText(s.end - s.start)
    })`;
    out.push(
      `<rect class="k-${s.kind}" x="${fixed(x(s.start), 3)}" y="${y}" width="${fixed(w, 3)}" ` +
        `height="${row - 1}"><title>${escapeHtml(title)}</title></rect>`,
    );
  }
  for (const i of data.instants) {
    const y = axis + i.cpu * lane;
    out.push(
      `<rect class="k-finding" x="${fixed(x(i.time), 3)}" y="${y}" width="0.5" height="${rows * row}">` +
        `<title>${escapeHtml(`CPU ${i.cpu} at ${usText(i.time)}: ${i.name}`)}</title></rect>`,
    );
  }
  out.push(`</g></g><g class="tl-axis" transform="translate(${label} 0)"></g></svg>`);
  return out.join("\n");
}
