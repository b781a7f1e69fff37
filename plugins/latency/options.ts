/**
 * Checks of the tools' options, each failing with a message that names the
 * option (with the command-line flag it stands for), the value given and
 * what is allowed.
 *
 * @module
 */

import { describe } from "../../core/mod.ts";

/** Reject keys `options` does not know; `tool` names the tool in the message. */
export function checkKeys(tool: string, options: unknown, known: readonly string[]): void {
  if (options === undefined) return;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${tool} options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TypeError(`${tool}: unknown option "${key}"; known: ${known.join(", ")}`);
    }
  }
}

/** A whole number in `min..max` (or `undefined`, giving `fallback`). */
export function whole(what: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === "number" && Number.isInteger(value) && value >= min && value <= max) return value;
  const allowed = max >= Number.MAX_SAFE_INTEGER
    ? `a whole number >= ${min}`
    : `a whole number ${min}..${max}`;
  throw new (typeof value === "number" ? RangeError : TypeError)(
    `${what} must be ${allowed}, got ${describe(value)}`,
  );
}

/** `true`, `false` or `undefined` (false). */
export function flag(what: string, value: unknown): boolean {
  if (value === undefined) return false;
  if (typeof value === "boolean") return value;
  throw new TypeError(`${what} must be true or false, got ${describe(value)}`);
}

/** A list of distinct CPUs of a machine of `cpus` CPUs, sorted; `undefined` gives `fallback`. */
export function cpuList(what: string, value: unknown, cpus: number, fallback: readonly number[]): number[] {
  if (value === undefined) return [...fallback];
  if (!Array.isArray(value)) {
    throw new TypeError(`${what} must be a list of CPUs 0..${cpus - 1}, got ${describe(value)}`);
  }
  if (value.length === 0) throw new RangeError(`${what} must name at least one CPU, got an empty list`);
  const seen = new Set<number>();
  for (const cpu of value) {
    if (typeof cpu !== "number" || !Number.isInteger(cpu) || cpu < 0 || cpu >= cpus) {
      throw new (typeof cpu === "number" ? RangeError : TypeError)(
        `${what}: ${describe(cpu)} is not a CPU of this machine, which has CPUs 0..${cpus - 1}`,
      );
    }
    if (seen.has(cpu)) throw new RangeError(`${what} names CPU ${cpu} twice`);
    seen.add(cpu);
  }
  return [...seen].sort((a, b) => a - b);
}
