/**
 * The HTML report: one self-contained file per run (inline style sheet,
 * scripts and SVG; nothing loaded from elsewhere) with the per-CPU timeline
 * (hard-IRQ, threaded-IRQ, `irq_work/N`, callback and task time in their
 * own colours, zoomable), the latency tools' tables and histograms, the
 * worst samples' analyses, the findings with the trace that led to each,
 * and the scenario. The same run gives the same bytes.
 *
 * This folder sits above the plugins: it composes the public outputs of the
 * Perfetto sink (the timeline's slices), the ftrace formatter (the findings'
 * traces) and the latency tools, and imports nothing else but the core's
 * extension entry point.
 *
 * @example
 * ```ts
 * import { createMachine, irqWorkInit } from "../mod.ts";
 * import { x86 } from "../arch/x86/mod.ts";
 * import { perfetto } from "../plugins/perfetto/mod.ts";
 * import { cyclictest } from "../plugins/latency/mod.ts";
 * import { htmlReport } from "./mod.ts";
 * const timeline = perfetto();
 * const m = createMachine({ arch: x86(), cpus: 2, plugins: [timeline] });
 * const rx = irqWorkInit(function* rx_done(_w, ctx) { yield* ctx.spend(30_000); });
 * m.requestIrq({ irq: 42, name: "eth0", cpu: 0, handler: (ctx) => ctx.queue(rx), source: { periodNs: 97_000 } });
 * const ct = cyclictest(m, { smp: true, priority: 98, loops: 20, histogram: 60, analysis: true });
 * m.runFor(25_000_000);
 * const html = htmlReport({ title: "eth0 storm", machine: m, timeline, latency: { cyclictest: ct } });
 * if (!html.startsWith("<!DOCTYPE html>") || !html.includes("rx_done")) throw new Error("no report");
 * // Deno.writeTextFileSync("report.html", html) needs --allow-write.
 * ```
 *
 * @module
 */

import { checkOptions, checkWhole, describe, type Finding, type KernelParts } from "../core/mod.ts";
import type { ChromeTrace } from "../plugins/perfetto/mod.ts";
import type { Cyclictest, Timerlat } from "../plugins/latency/mod.ts";
import { ERROR_SCRIPT, STYLE, ZOOM_SCRIPT } from "./assets.ts";
import { escapeHtml, usText } from "./escape.ts";
import {
  analysisSection,
  cyclictestSection,
  findingsSection,
  scenarioSection,
  timerlatSection,
} from "./sections.ts";
import { LEGEND, timelineData, timelineSvg } from "./timeline.ts";

/**
 * What the report reads of a machine: a `Machine` from `createMachine` is one.
 *
 * @example
 * ```ts
 * import { createMachine } from "../mod.ts";
 * import { x86 } from "../arch/x86/mod.ts";
 * import type { ReportMachine } from "./mod.ts";
 * const machine: ReportMachine = createMachine({ arch: x86() });
 * void machine;
 * ```
 */
export interface ReportMachine {
  /** Its kernel parts: arch, CPUs, kernel version, irq_work policy. */
  readonly kernel: KernelParts;
  /** Simulated time, ns: the end of the run. */
  readonly now: number;
  /** Its findings. */
  readonly findings: readonly Finding[];
  /** Findings past the machine's cap. */
  readonly droppedFindings: number;
}

/**
 * Options of {@linkcode htmlReport}.
 *
 * @example
 * ```ts
 * import type { HtmlReportOptions } from "./mod.ts";
 * const zoomed: Partial<HtmlReportOptions> = { window: { startNs: 1_000_000, endNs: 3_000_000 }, maxSlices: 5_000 };
 * void zoomed;
 * ```
 */
export interface HtmlReportOptions {
  /** The page's title and heading. */
  readonly title: string;
  /** The machine that ran. */
  readonly machine: ReportMachine;
  /** The Perfetto sink the machine ran with (`perfetto()` in its plugins): the timeline's slices. */
  readonly timeline?: { trace(): ChromeTrace };
  /**
   * The stretch of the run the timeline shows, ns (default: 1 ms either
   * side of the worst analysed sample, or else the run's last 2 ms).
   */
  readonly window?: { readonly startNs: number; readonly endNs: number };
  /** The most slices to draw, the longest first (default 20,000): a browser stays quick. */
  readonly maxSlices?: number;
  /** The latency tools that measured the run. */
  readonly latency?: { readonly cyclictest?: Cyclictest; readonly timerlat?: Timerlat };
  /** The scenario that was run, as JSON data (a scenario file's content, or a description). */
  readonly scenario?: unknown;
  /** A few lines shown under the heading: what the run is about. */
  readonly notes?: string;
  /** The most findings to show in full (default 50); the rest are counted. */
  readonly maxFindings?: number;
}

const KNOWN = [
  "title",
  "machine",
  "timeline",
  "window",
  "maxSlices",
  "latency",
  "scenario",
  "notes",
  "maxFindings",
];
const DEFAULT_MAX_SLICES = 20_000;
const DEFAULT_MAX_FINDINGS = 50;
/** The default window's reach either side of the worst sample, and its length at the run's end, ns. */
const AROUND_WORST_NS = 1_000_000;
const AT_END_NS = 2_000_000;

/**
 * The report of one run as a self-contained HTML page. Every text from the
 * run (task, work and interrupt names, messages, the scenario) is escaped.
 *
 * @example A task whose name would be markup is printed as written
 * ```ts
 * import { createMachine } from "../mod.ts";
 * import { x86 } from "../arch/x86/mod.ts";
 * import { perfetto } from "../plugins/perfetto/mod.ts";
 * import { htmlReport } from "./mod.ts";
 * const timeline = perfetto();
 * const m = createMachine({ arch: x86(), plugins: [timeline] });
 * m.spawn({ cpu: 0, name: "<b>&co" }, (ctx) => ctx.spend(50_000));
 * m.runFor(1_000_000);
 * const html = htmlReport({ title: "names", machine: m, timeline });
 * if (!html.includes("&lt;b&gt;&amp;co") || html.includes("<b>&co")) throw new Error("not escaped");
 * ```
 */
export function htmlReport(options: HtmlReportOptions): string {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(`htmlReport needs an options object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) {
      throw new TypeError(`Unknown htmlReport option "${key}"; known: ${KNOWN.join(", ")}`);
    }
  }
  checkOptions("htmlReport option", { notes: options.notes }, { notes: "string" });
  const { title, machine } = options;
  if (typeof title !== "string") {
    throw new TypeError(`htmlReport option title must be a string, got ${describe(title)}`);
  }
  if (typeof machine !== "object" || machine === null || typeof machine.kernel !== "object") {
    throw new TypeError(`htmlReport option machine must be a Machine, got ${describe(machine)}`);
  }
  const maxSlices = options.maxSlices ?? DEFAULT_MAX_SLICES;
  checkWhole("htmlReport option maxSlices", maxSlices, 1, Number.MAX_SAFE_INTEGER);
  const maxFindings = options.maxFindings ?? DEFAULT_MAX_FINDINGS;
  checkWhole("htmlReport option maxFindings", maxFindings, 0, Number.MAX_SAFE_INTEGER);
  const { cyclictest, timerlat } = options.latency ?? {};
  const k = machine.kernel;
  const cpus = k.cpus.length;
  const analyses = [
    ...(timerlat?.worst
      ? [{ tool: "rtla timerlat -a", text: timerlat.analysis(), worst: timerlat.worst }]
      : []),
    ...(cyclictest?.worst
      ? [{ tool: "cyclictest (the model's analysis)", text: cyclictest.analysis(), worst: cyclictest.worst }]
      : []),
  ];
  const window = pickWindow(options.window, machine.now, analyses[0]?.worst.expires);

  const policy = k.irqWork.parts.policy.name;
  const summary =
    `${k.arch.name}, ${cpus} CPU${cpus === 1 ? "" : "s"}, kernel ${k.profile.name} (${k.profile.version}), ` +
    `irq_work policy ${policy}, ${
      (machine.now / 1e6).toFixed(3)
    } ms simulated, ${machine.findings.length} finding${machine.findings.length === 1 ? "" : "s"}`;
  const body: string[] = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="sub" id="summary">${escapeHtml(summary)}</p>`,
    options.notes === undefined ? "" : `<pre class="notes">${escapeHtml(options.notes)}</pre>`,
    `<nav><a href="#timeline">Timeline</a><a href="#latency">Latency</a><a href="#analysis">Worst sample</a>` +
    `<a href="#findings">Findings</a><a href="#scenario">Scenario</a></nav>`,
    `<section class="timeline" id="timeline"><h2>Timeline</h2>`,
    timelineSection(options.timeline, cpus, window.startNs, window.endNs, maxSlices),
    `</section>`,
    `<section id="latency"><h2>Latency</h2>`,
    cyclictest === undefined && timerlat === undefined ? "<p>No latency tool ran.</p>" : "",
    cyclictest === undefined ? "" : cyclictestSection(cyclictest),
    timerlat === undefined ? "" : timerlatSection(timerlat),
    `</section>`,
    `<section id="analysis"><h2>Worst sample</h2>`,
    analysisSection(analyses),
    `</section>`,
    `<section id="findings"><h2>Findings</h2>`,
    findingsSection(machine.findings, machine.droppedFindings, cpus, maxFindings),
    `</section>`,
    `<section id="scenario"><h2>Scenario</h2>`,
    scenarioSection(options.scenario),
    `</section>`,
  ];
  return [
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style></head>`,
    "<body>",
    '<div id="script-errors" hidden></div>',
    `<script>${ERROR_SCRIPT}</script>`,
    ...body.filter((s) => s !== ""),
    `<script>${ZOOM_SCRIPT}</script>`,
    "</body></html>",
    "",
  ].join("\n");
}

/** The timeline's window: as given (checked), around the worst sample, or the run's end. */
function pickWindow(
  given: HtmlReportOptions["window"],
  now: number,
  worst: number | undefined,
): { startNs: number; endNs: number } {
  if (given !== undefined) {
    if (typeof given !== "object" || given === null) {
      throw new TypeError(`htmlReport option window must be { startNs, endNs }, got ${describe(given)}`);
    }
    checkWhole("htmlReport option window.startNs", given.startNs, 0, Number.MAX_SAFE_INTEGER);
    checkWhole("htmlReport option window.endNs", given.endNs, given.startNs + 1, Number.MAX_SAFE_INTEGER);
    return { startNs: given.startNs, endNs: given.endNs };
  }
  if (worst !== undefined) {
    const startNs = Math.max(0, worst - AROUND_WORST_NS);
    return { startNs, endNs: Math.max(startNs + 1, Math.min(now, worst + AROUND_WORST_NS)) };
  }
  return { startNs: Math.max(0, now - AT_END_NS), endNs: Math.max(1, now) };
}

function timelineSection(
  timeline: HtmlReportOptions["timeline"],
  cpus: number,
  from: number,
  to: number,
  maxSlices: number,
): string {
  if (timeline === undefined) {
    return "<p>No timeline: run the machine with <code>perfetto()</code> in its plugins and pass it here.</p>";
  }
  if (typeof timeline !== "object" || timeline === null || typeof timeline.trace !== "function") {
    throw new TypeError(`htmlReport option timeline must be a perfetto() plugin, got ${describe(timeline)}`);
  }
  const data = timelineData(timeline.trace(), cpus, from, to, maxSlices);
  const legend = LEGEND.map(([kind, label]) => `<span><span class="swatch k-${kind}"></span>${label}</span>`)
    .join("");
  return [
    `<p>${usText(from)} to ${usText(to)} of the run: ${data.slices.length} slices${
      data.omitted > 0 ? ` (${data.omitted} shorter ones left out: see maxSlices)` : ""
    }. Wheel to zoom at the pointer, drag to pan; hover a slice for its name and times.</p>`,
    `<div class="tools"><button data-act="in">zoom in</button><button data-act="out">zoom out</button>` +
    `<button data-act="left">◀</button><button data-act="right">▶</button><button data-act="reset">reset</button>` +
    `<span class="tl-range"></span></div>`,
    `<div class="legend">${legend}</div>`,
    timelineSvg(data, cpus, from, to, "tl-0"),
  ].join("\n");
}
