/**
 * Latency histograms as SVG bar charts: one bucket per bar, counts on a
 * log scale (a storm's rare long samples would vanish beside the common
 * short ones on a linear one), the overflow bucket apart at the right, and
 * each bar's exact count in its tooltip.
 *
 * @module
 */

import { escapeHtml, fixed } from "./escape.ts";

/** One series of a chart: a histogram's buckets and overflows. */
export interface Series {
  /** Shown in the legend and tooltips. */
  readonly label: string;
  /** Its CSS class (its colour). */
  readonly cls: string;
  /** Samples per bucket: bucket `i` holds values from `i * bucketSize` up to the next. */
  readonly counts: readonly number[];
  /** Samples past the last bucket. */
  readonly overflows: number;
}

const W = 560, H = 190, LEFT = 44, BOTTOM = 28, TOP = 10, RIGHT = 34;

/** A step of 1, 2 or 5 times a power of ten that cuts `span` into about `parts`. */
export function niceStep(span: number, parts: number): number {
  const raw = span / parts;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

/**
 * A bar chart of `series` (drawn side by side in each bucket), buckets of
 * `bucketSize` `unit`s; the x axis ends after the last bucket with a
 * sample. `caption` names the chart.
 */
export function histogramSvg(
  caption: string,
  series: readonly Series[],
  bucketSize: number,
  unit: string,
): string {
  let last = 0;
  let top = 1;
  for (const s of series) {
    s.counts.forEach((c, i) => {
      if (c > 0) last = Math.max(last, i + 1);
      top = Math.max(top, c);
    });
    top = Math.max(top, s.overflows);
  }
  const buckets = Math.max(last + 2, 10); // room right of the last bar, so it is not read as the edge
  const plotW = W - LEFT - RIGHT, plotH = H - TOP - BOTTOM;
  const bw = plotW / buckets;
  const decades = Math.ceil(Math.log10(top + 1));
  const y = (count: number) => TOP + plotH - (Math.log10(count + 1) / decades) * plotH;
  const out: string[] = [
    `<figure class="hist"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(caption)}">`,
    `<rect class="hist-bg" x="${LEFT}" y="${TOP}" width="${plotW}" height="${plotH}"/>`,
  ];
  for (let d = 0; d <= decades; d++) {
    const yy = fixed(y(10 ** d - 1), 2);
    out.push(
      `<line class="hist-grid" x1="${LEFT}" x2="${LEFT + plotW}" y1="${yy}" y2="${yy}"/>`,
      `<text class="hist-tick" x="${LEFT - 4}" y="${yy}" text-anchor="end" dominant-baseline="middle">${
        10 ** d - 1 === 0 ? 0 : `1e${d}`
      }</text>`,
    );
  }
  const step = Math.max(1, niceStep(buckets, 8));
  for (let b = 0; b <= buckets; b += step) {
    const xx = fixed(LEFT + b * bw, 2);
    out.push(
      `<text class="hist-tick" x="${xx}" y="${H - BOTTOM + 14}" text-anchor="middle">${
        b * bucketSize
      }</text>`,
    );
  }
  out.push(
    `<text class="hist-unit" x="${LEFT + plotW / 2}" y="${H - 2}" text-anchor="middle">${unit}</text>`,
  );
  const sub = bw / series.length;
  series.forEach((s, k) => {
    s.counts.forEach((c, i) => {
      if (c === 0 || i >= buckets) return;
      const title = `${s.label}: ${i * bucketSize}–${(i + 1) * bucketSize} ${unit}: ${c} sample${
        c === 1 ? "" : "s"
      }`;
      out.push(
        `<rect class="${s.cls}" x="${fixed(LEFT + i * bw + k * sub, 2)}" y="${fixed(y(c), 2)}" width="${
          fixed(Math.max(sub, 0.5), 2)
        }" height="${fixed(TOP + plotH - y(c), 2)}"><title>${escapeHtml(title)}</title></rect>`,
      );
    });
    if (s.overflows > 0) {
      const title = `${s.label}: ${s.counts.length * bucketSize} ${unit} or more: ${s.overflows}`;
      out.push(
        `<rect class="${s.cls} hist-over" x="${fixed(LEFT + plotW + 4 + k * 8, 2)}" y="${
          fixed(y(s.overflows), 2)
        }" width="7" height="${fixed(TOP + plotH - y(s.overflows), 2)}"><title>${
          escapeHtml(title)
        }</title></rect>`,
      );
    }
  });
  out.push(`</svg><figcaption>${escapeHtml(caption)}${legend(series)}</figcaption></figure>`);
  return out.join("\n");
}

function legend(series: readonly Series[]): string {
  if (series.length < 2) return "";
  return series.map((s) => ` <span class="swatch ${s.cls}"></span>${escapeHtml(s.label)}`).join("");
}
