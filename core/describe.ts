/**
 * How error messages show a bad value: the value and its type, so that a
 * numeric string reads `"2" (string)` and is not mistaken for the number 2.
 * Every check that rejects input says what it got through here.
 *
 * @module
 */

/** Longest text an object or string contributes to a message. */
const MAX_SHOWN = 60;

/**
 * A value as an error message shows it: its text and its type.
 *
 * @example
 * ```ts
 * import { describe } from "./describe.ts";
 * if (describe("2") !== '"2" (string)' || describe(2) !== "2 (number)") throw new Error("shows the type");
 * if (describe(function preemptRt() {}) !== "the function preemptRt") throw new Error("names functions");
 * ```
 */
export function describe(value: unknown): string {
  switch (typeof value) {
    case "string":
      return `${clip(JSON.stringify(value))} (string)`;
    case "number":
    case "boolean":
      return `${value} (${typeof value})`;
    case "bigint":
      return `${value}n (bigint)`;
    case "undefined":
      return "undefined";
    case "symbol":
      return `${value.toString()} (symbol)`;
    case "function":
      return value.name === "" ? "a function" : `the function ${value.name}`;
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch {
    text = undefined;
  }
  return text === undefined ? "an object" : `${clip(text)} (object)`;
}

function clip(text: string): string {
  return text.length <= MAX_SHOWN ? text : `${text.slice(0, MAX_SHOWN - 3)}...`;
}

/**
 * Throw a `RangeError` (a `TypeError` for a value that is not a number)
 * unless `value` is a whole number from `min` to `max`; `what` names it, as
 * in `Machine option cpus`, and `unit` (e.g. `ns`) reads in the message
 * when there is no upper bound.
 *
 * @example
 * ```ts
 * import { checkWhole } from "./describe.ts";
 * checkWhole("Machine option hz", 250, 1, 10_000);
 * try {
 *   checkWhole("Machine option hz", "250", 1, 10_000);
 * } catch (e) {
 *   if (!(e instanceof TypeError) || !e.message.endsWith('got "250" (string)')) throw e;
 * }
 * ```
 */
export function checkWhole(what: string, value: unknown, min: number, max: number, unit = ""): void {
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return;
  const allowed = max >= Number.MAX_SAFE_INTEGER
    ? `a whole number${unit === "" ? "" : ` of ${unit}`} >= ${min}`
    : `${min}..${max}`;
  const Kind = typeof value === "number" ? RangeError : TypeError;
  throw new Kind(`${what} must be ${allowed}, got ${describe(value)}`);
}

/**
 * Throw a `TypeError` unless `options` is an object (or undefined) whose own
 * keys are all in `known`, each holding a value of the type `known` gives
 * (or undefined); `what` names the options, as in `x86 option`.
 *
 * @example
 * ```ts
 * import { checkOptions } from "./describe.ts";
 * checkOptions("x86 option", { apic: false }, { apic: "boolean" });
 * try {
 *   checkOptions("x86 option", { apic: "no" }, { apic: "boolean" });
 * } catch (e) {
 *   if (!(e instanceof TypeError) || !e.message.includes('got "no" (string)')) throw e;
 * }
 * ```
 */
export function checkOptions(
  what: string,
  options: unknown,
  known: Readonly<Record<string, "boolean" | "number" | "string" | "function">>,
): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${what}s must be an object, got ${describe(options)}`);
  }
  for (const [key, value] of Object.entries(options)) {
    if (!Object.hasOwn(known, key)) {
      throw new TypeError(`Unknown ${what} "${key}"; known: ${Object.keys(known).join(", ")}`);
    }
    const type = known[key]!;
    if (value !== undefined && typeof value !== type) {
      const allowed = type === "boolean" ? "true or false" : `a ${type}`;
      throw new TypeError(`${what} ${key} must be ${allowed}, got ${describe(value)}`);
    }
  }
}

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x1f\x7f]/;

/** `text` holds a control character (a newline, an escape...), which would break a line of the trace. */
export function hasControl(text: string): boolean {
  return CONTROL.test(text);
}

/**
 * Throw a clear error unless `name` is a name a trace line can print: a
 * non-empty string without control characters (a newline in a work's or a
 * lock's name would forge a line of the trace). `what` names it.
 *
 * @example
 * ```ts
 * import { checkName } from "./describe.ts";
 * checkName("A lock name", "rq->lock");
 * try {
 *   checkName("A lock name", "rq\nlock");
 * } catch (e) {
 *   if (!(e instanceof RangeError)) throw e;
 * }
 * ```
 */
export function checkName(what: string, name: unknown): asserts name is string {
  if (typeof name === "string" && name !== "" && !hasControl(name)) return;
  throw new (typeof name === "string" ? RangeError : TypeError)(
    `${what} must be a non-empty string without control characters, got ${describe(name)}`,
  );
}
