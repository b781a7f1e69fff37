/**
 * The report's sections other than the timeline, each a function from what
 * the run produced to escaped HTML: the latency tables and histograms, the
 * worst samples' analyses, the findings with the trace that led to each,
 * and the scenario.
 *
 * @module
 */

import type { Finding } from "../core/mod.ts";
import { formatEvent } from "../plugins/ftrace/mod.ts";
import type { Cyclictest, Timerlat } from "../plugins/latency/mod.ts";
import { escapeHtml, usText } from "./escape.ts";
import { histogramSvg } from "./plots.ts";

const cell = (v: string | number, cls = "") => `<td${cls === "" ? "" : ` class="${cls}"`}>${v}</td>`;
const head = (labels: readonly string[]) => `<tr>${labels.map((l) => `<th>${l}</th>`).join("")}</tr>`;
const stat = (count: number, v: number) => (count === 0 ? "-" : String(v));

/** cyclictest: a row per thread (µs, as the tool prints them), then a histogram per thread if it kept one. */
export function cyclictestSection(ct: Cyclictest): string {
  const rows = ct.threads.map((t) =>
    `<tr>${cell(t.index)}${cell(t.cpu)}${cell(t.pid)}${cell(`${t.policy} ${t.priority}`)}${cell(t.interval)}${
      cell(t.us.count)
    }${cell(stat(t.us.count, t.us.min))}${cell(stat(t.us.count, t.us.avg))}${
      cell(stat(t.us.count, t.us.max))
    }${cell(t.us.count === 0 ? "-" : usText(t.ns.max))}</tr>`
  );
  const out = [
    `<h3>cyclictest</h3>`,
    `<table class="ct">${
      head(["T", "CPU", "PID", "policy", "interval µs", "count", "min µs", "avg µs", "max µs", "max (exact)"])
    }${rows.join("")}</table>`,
  ];
  if (ct.options.histogram > 0) {
    out.push(
      `<div class="hists">${
        ct.threads.map((t) =>
          histogramSvg(
            `cyclictest T:${t.index} on CPU ${t.cpu}: latency (${t.us.count} samples, log scale)`,
            [{ label: `T:${t.index}`, cls: "s-ct", counts: t.buckets, overflows: t.overflows }],
            1,
            "µs",
          )
        ).join("\n")
      }</div>`,
    );
  } else {
    out.push(`<p>No histogram: run cyclictest with <code>histogram</code> (-h) to plot one.</p>`);
  }
  return out.join("\n");
}

/** timerlat: a row per CPU with the IRQ and thread latencies, then a histogram per CPU with both. */
export function timerlatSection(tl: Timerlat): string {
  const { unit, bucketSize, entries } = tl.histogram;
  const u = unit === "us" ? "µs" : "ns";
  const rows = tl.cpus.map((c) =>
    `<tr>${cell(c.cpu)}${cell(c.pid)}${cell(c.irq.count)}${cell(stat(c.irq.count, c.irq.min))}${
      cell(stat(c.irq.count, c.irq.avg))
    }${cell(stat(c.irq.count, c.irq.max))}${cell(stat(c.thread.count, c.thread.min))}${
      cell(stat(c.thread.count, c.thread.avg))
    }${cell(stat(c.thread.count, c.thread.max))}</tr>`
  );
  const hists = tl.cpus.map((c) =>
    histogramSvg(
      `timerlat/${c.cpu}: IRQ and thread latency (${c.thread.count} samples, log scale)`,
      [
        {
          label: "IRQ",
          cls: "s-irq",
          counts: c.irqHist.slice(0, entries),
          overflows: c.irqHist[entries] ?? 0,
        },
        {
          label: "thread",
          cls: "s-thread",
          counts: c.threadHist.slice(0, entries),
          overflows: c.threadHist[entries] ?? 0,
        },
      ],
      bucketSize,
      u,
    )
  );
  return [
    `<h3>rtla timerlat</h3>`,
    `<table class="tlat">${
      head([
        "CPU",
        "PID",
        "count",
        `IRQ min ${u}`,
        `IRQ avg ${u}`,
        `IRQ max ${u}`,
        `thread min ${u}`,
        `thread avg ${u}`,
        `thread max ${u}`,
      ])
    }${rows.join("")}</table>`,
    `<div class="hists">${hists.join("\n")}</div>`,
  ].join("\n");
}

/** The worst samples' analyses, in rtla timerlat -a's layout. */
export function analysisSection(parts: readonly { readonly tool: string; readonly text: string }[]): string {
  if (parts.length === 0) {
    return "<p>No analysis: pass timerlat, or cyclictest run with <code>analysis: true</code>.</p>";
  }
  return parts.map((p) => `<h3>${escapeHtml(p.tool)}</h3>\n<pre class="analysis">${escapeHtml(p.text)}</pre>`)
    .join("\n");
}

/** Each finding: its title and where, the trace that led to it (as ftrace prints it), then its message. */
export function findingsSection(
  findings: readonly Finding[],
  dropped: number,
  cpus: number,
  max: number,
): string {
  if (findings.length === 0 && dropped === 0) return "<p>None: the modelled kernel reported nothing.</p>";
  const out = findings.slice(0, max).map((f, i) => {
    const trace = f.trace.map((e) => formatEvent(e, cpus)).filter((l) => l !== null).join("\n");
    return [
      `<div class="finding ${f.level}" id="finding-${i}">`,
      `<h3>${escapeHtml(f.title)}</h3>`,
      `<p class="sub">${f.level}${f.fatal ? " (fatal: the machine stopped)" : ""} at ${
        usText(f.time)
      } on CPU ${f.cpu}, ${escapeHtml(f.context)} context, task ${escapeHtml(f.comm)}-${f.pid}</p>`,
      trace === ""
        ? "<p>No trace kept: attach a tracer or another observer to keep the events before a finding.</p>"
        : `<p>The trace before it:</p>\n<pre class="trace">${escapeHtml(trace)}</pre>`,
      `<pre class="message">${escapeHtml(f.message)}</pre>`,
      `</div>`,
    ].join("\n");
  });
  const hidden = findings.length - Math.min(findings.length, max) + dropped;
  if (hidden > 0) out.push(`<p>${hidden} more finding${hidden === 1 ? "" : "s"} not shown.</p>`);
  return out.join("\n");
}

/** The scenario as indented JSON; a value JSON cannot hold is an error that says so. */
export function scenarioSection(scenario: unknown): string {
  if (scenario === undefined) return "<p>No scenario description was given.</p>";
  let text: string | undefined;
  try {
    text = JSON.stringify(scenario, null, 2);
  } catch (e) {
    throw new TypeError(`htmlReport option scenario must be JSON data: ${(e as Error).message}`);
  }
  if (text === undefined) {
    throw new TypeError(`htmlReport option scenario must be JSON data, got a ${typeof scenario}`);
  }
  return `<pre class="scenario">${escapeHtml(text)}</pre>`;
}
