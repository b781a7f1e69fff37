/**
 * Escaping for the report: every text that comes from a run (task and work
 * names, finding messages, the scenario) goes through one of these before
 * it reaches the page, so a task called `<b>&co` prints as written and
 * cannot open a tag or end a script.
 *
 * @module
 */

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text for HTML content or a quoted attribute value. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A number with `digits` decimals, as the page prints times (the same bytes on every machine). */
export function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

/** ns as µs with three decimals (ns precision). */
export function usText(ns: number): string {
  return `${fixed(ns / 1000, 3)} µs`;
}
