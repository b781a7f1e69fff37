/**
 * rtla timerlat's text: the `top` screen (timerlat_top.c) and the `hist`
 * output (timerlat_hist.c), in mainline's layout.
 *
 * @module
 */

import type { TimerlatCpu } from "./timerlat.ts";

/**
 * Options of `rtla timerlat hist`'s output.
 *
 * @example `--no-irq --with-zeros`
 * ```ts
 * import type { TimerlatHistOptions } from "./timerlat_format.ts";
 * const threadOnly: TimerlatHistOptions = { noIrq: true, withZeros: true };
 * void threadOnly;
 * ```
 */
export interface TimerlatHistOptions {
  /** `--no-irq`: leave out the IRQ columns. */
  readonly noIrq?: boolean;
  /** `--no-thread`: leave out the thread columns. */
  readonly noThread?: boolean;
  /** `--with-zeros`: print buckets no CPU has a sample in. */
  readonly withZeros?: boolean;
}

/** What the formatters read of a session. */
export interface TimerlatView {
  readonly states: readonly TimerlatCpu[];
  readonly divisor: number;
  readonly bucketSize: number;
  readonly entries: number;
  elapsed(): number;
}

const p9 = (n: number) => String(n).padStart(9);

/** `get_duration()`: `%3d %02d:%02d:%02d`, days and time of the simulated time elapsed. */
export function formatDuration(ns: number): string {
  const s = Math.floor(ns / 1e9);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${String(Math.floor(s / 86400)).padStart(3)} ${two(Math.floor(s / 3600) % 24)}:${
    two(Math.floor(s / 60) % 60)
  }:${two(s % 60)}`;
}

/** Sum of the CPUs' statistics (`timerlat_top_update_sum()`). */
function total(states: readonly TimerlatCpu[], pick: (c: TimerlatCpu) => TimerlatCpu["irq"]) {
  let count = 0, min = Infinity, max = -Infinity, sum = 0;
  for (const c of states) {
    const s = pick(c);
    count += s.count;
    sum += s.sum;
    if (s.count > 0) {
      min = Math.min(min, s.min);
      max = Math.max(max, s.max);
    }
  }
  return { count, min, max, sum, avg: count === 0 ? 0 : Math.trunc(sum / count) };
}

/** `rtla timerlat top`: the header, a row per CPU with samples, the `ALL` summary. */
export function formatTimerlatTop(v: TimerlatView): string {
  const unit = v.divisor === 1 ? "ns" : "us";
  const noValue = "        -";
  const lines = [
    `${" ".repeat(37)}Timer Latency${" ".repeat(46)}`,
    `${
      formatDuration(v.elapsed()).padEnd(6)
    }   |          IRQ Timer Latency (${unit})        |         Thread Timer Latency (${unit})`,
    "CPU COUNT      |      cur       min       avg       max |      cur       min       avg       max",
  ];
  for (const c of v.states) {
    if (c.irq.count === 0 && c.thread.count === 0) continue;
    const irq = c.irq.count === 0
      ? `${noValue} ${noValue} ${noValue} ${noValue} |`
      : `${p9(c.irq.last)} ${p9(c.irq.min)} ${p9(c.irq.avg)} ${p9(c.irq.max)} |`;
    const thr = c.thread.count === 0
      ? `${noValue} ${noValue} ${noValue} ${noValue}`
      : `${p9(c.thread.last)} ${p9(c.thread.min)} ${p9(c.thread.avg)} ${p9(c.thread.max)}`;
    lines.push(`${String(c.cpu).padStart(3)} #${String(c.irq.count).padEnd(9)} |${irq}${thr}`);
  }
  const irq = total(v.states, (c) => c.irq);
  const thr = total(v.states, (c) => c.thread);
  if (irq.count > 0 || thr.count > 0) {
    let count = irq.count, e = 0;
    while (count > 999999) {
      e++;
      count = Math.trunc(count / 10);
    }
    const dash = (n: number) => "-".repeat(n);
    lines.push(`${dash(15)}|${dash(40)}|${dash(39)}`);
    const irqSum = irq.count === 0
      ? `          ${noValue} ${noValue} ${noValue} |`
      : `          ${p9(irq.min)} ${p9(irq.avg)} ${p9(irq.max)} |`;
    const thrSum = thr.count === 0
      ? `${noValue} ${noValue} ${noValue} ${noValue}`
      : `          ${p9(thr.min)} ${p9(thr.avg)} ${p9(thr.max)}`;
    lines.push(`ALL #${String(count).padEnd(6)} e${e} |${irqSum}${thrSum}`);
  }
  return `${lines.join("\n")}\n`;
}

/** `rtla timerlat hist`: header, a row per non-empty bucket, `over:`, per-CPU and `ALL` summaries. */
export function formatTimerlatHist(v: TimerlatView, options: TimerlatHistOptions = {}): string {
  const { noIrq = false, noThread = false, withZeros = false } = options;
  if (noIrq && noThread) {
    throw new RangeError("timerlat hist: noIrq and noThread set, there is nothing to print");
  }
  const cpus = v.states.filter((c) => c.irq.count > 0 || c.thread.count > 0);
  const cols = (c: TimerlatCpu, f: (s: TimerlatCpu["irq"], h: readonly number[]) => string) =>
    `${noIrq ? "" : f(c.irq, c.irqHist)}${noThread ? "" : f(c.thread, c.threadHist)}`;
  const unit = v.divisor === 1 ? ["nanoseconds", "ns"] : ["microseconds", "us"];
  const lines = [
    "# RTLA timerlat histogram",
    `# Time unit is ${unit[0]} (${unit[1]})`,
    `# Duration: ${formatDuration(v.elapsed())}`,
    `Index${
      cpus.map((c) =>
        `${noIrq ? "" : `   IRQ-${String(c.cpu).padStart(3, "0")}`}${
          noThread ? "" : `   Thr-${String(c.cpu).padStart(3, "0")}`
        }`
      )
        .join("")
    }`,
  ];
  for (let b = 0; b < v.entries; b++) {
    let sum = 0;
    const row = cpus.map((c) =>
      cols(c, (_s, h) => {
        sum += h[b]!;
        return `${p9(h[b]!)} `;
      })
    ).join("");
    if (sum === 0 && !withZeros) continue;
    lines.push(`${String(b * v.bucketSize).padEnd(6)}${row}`);
  }
  lines.push(`over: ${cpus.map((c) => cols(c, (_s, h) => `${p9(h[v.entries]!)} `)).join("")}`);
  const value = (count: number, n: number) => count === 0 ? `${"-".padStart(9)} ` : `${p9(n)} `;
  lines.push(
    `count:${cpus.map((c) => cols(c, (s) => `${p9(s.count)} `)).join("")}`,
    `min:  ${cpus.map((c) => cols(c, (s) => value(s.count, s.min))).join("")}`,
    `avg:  ${cpus.map((c) => cols(c, (s) => value(s.count, s.avg))).join("")}`,
    `max:  ${cpus.map((c) => cols(c, (s) => value(s.count, s.max))).join("")}`,
  );
  const all = [total(cpus, (c) => c.irq), total(cpus, (c) => c.thread)] as const;
  const pick = <T>(f: (t: typeof all[0]) => T) => [noIrq ? null : f(all[0]), noThread ? null : f(all[1])];
  const allLine = (label: string, f: (t: typeof all[0]) => string) =>
    `${label}${pick(f).filter((x) => x !== null).join("")}`;
  lines.push(
    `ALL:  ${noIrq ? "" : "      IRQ"}${noThread ? "" : "       Thr"}`,
    allLine("count:", (t) => `${p9(t.count)} `),
    allLine("min:  ", (t) => value(t.count, t.min)),
    allLine("avg:  ", (t) => value(t.count, t.avg)),
    allLine("max:  ", (t) => value(t.count, t.max)),
  );
  return `${lines.join("\n")}\n`;
}
