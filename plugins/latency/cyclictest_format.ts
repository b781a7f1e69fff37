/**
 * cyclictest's text: the status line of each thread (`print_stat()`) and
 * the `-h` histogram (`print_hist()`), in rt-tests 2.x's layout.
 *
 * @module
 */

import type { CyclictestThread } from "./cyclictest.ts";

/** `%0Nd`: zero-padded to `n` digits. */
function zero(value: number, n: number): string {
  return String(value).padStart(n, "0");
}

/** The `min` cyclictest prints: its initial 1000000 until a sample comes. */
function shownMin(t: CyclictestThread): number {
  return t.us.count === 0 ? 1_000_000 : t.us.min;
}

/** `T:%2d (%5d) P:%2d I:%ld C:%7lu Min:%7ld Act:%5ld Avg:%5ld Max:%8ld`, one line per thread. */
export function formatCyclictestSummary(threads: readonly CyclictestThread[]): string {
  return threads.map((t) =>
    `T:${String(t.index).padStart(2)} (${String(t.pid).padStart(5)}) P:${String(t.priority).padStart(2)} ` +
    `I:${t.interval} C:${String(t.us.count).padStart(7)} Min:${String(shownMin(t)).padStart(7)} ` +
    `Act:${String(t.us.last).padStart(5)} Avg:${String(t.us.avg).padStart(5)} Max:${
      String(t.us.count === 0 ? 0 : t.us.max).padStart(8)
    }\n`
  ).join("");
}

/**
 * `print_hist()`: `# Histogram`, one line per µs bucket with each thread's
 * count (tab-separated, and the sum over threads with `-H`), then the
 * total, min, avg, max and overflow lines and the cycle numbers of the
 * overflows, then an empty line.
 */
export function formatCyclictestHistogram(threads: readonly CyclictestThread[], histofall: boolean): string {
  const all = histofall && threads.length > 1;
  const buckets = threads[0]?.buckets.length ?? 0;
  const lines = ["# Histogram"];
  const totals = threads.map(() => 0);
  let grand = 0;
  for (let i = 0; i < buckets; i++) {
    let sum = 0;
    const cells = threads.map((t, j) => {
      const n = t.buckets[i]!;
      totals[j]! += n;
      sum += n;
      return zero(n, 6);
    });
    grand += sum;
    lines.push(`${zero(i, 6)} ${cells.join("\t")}${all ? `\t${zero(sum, 6)}` : ""}`);
  }
  const row = (label: string, values: number[], digits: number, extra?: number) =>
    `# ${label}:${values.map((v) => ` ${zero(v, digits)}`).join("")}${
      all && extra !== undefined ? ` ${zero(extra, digits)}` : ""
    }`;
  const maxes = threads.map((t) => t.us.count === 0 ? 0 : t.us.max);
  const overflows = threads.map((t) => t.overflows);
  lines.push(
    row("Total", totals, 9, grand),
    row("Min Latencies", threads.map(shownMin), 5),
    row("Avg Latencies", threads.map((t) => t.us.avg), 5),
    row("Max Latencies", maxes, 5, Math.max(0, ...maxes)),
    row("Histogram Overflows", overflows, 5, overflows.reduce((a, b) => a + b, 0)),
    "# Histogram Overflow at cycle number:",
  );
  for (const t of threads) {
    const others = t.overflows - t.outliers.length;
    lines.push(
      `# Thread ${t.index}:${t.outliers.map((c) => ` ${zero(c, 5)}`).join("")}${
        others > 0 ? ` # ${zero(others, 5)} others` : ""
      }`,
    );
  }
  return `${lines.join("\n")}\n\n`;
}
