/**
 * How the loader reports a bad scenario: every problem it finds, each as
 * the field's path (`tasks[2].ops[0].cpu`) and a sentence saying what is
 * wrong, so that one run of the loader fixes a whole file.
 *
 * @module
 */

import { describe } from "../core/mod.ts";

/** One problem in a scenario: where, and what is wrong. */
export interface Issue {
  /** The field's path, e.g. `tasks[2].ops[0].cpu`; `scenario` for the document itself. */
  readonly path: string;
  /** What is wrong, e.g. `CPU 7 does not exist: the machine has 4 CPUs (0..3)`. */
  readonly reason: string;
}

/**
 * A scenario the loader or builder rejects; `issues` lists every problem
 * found, and the message has one `path: reason` line per issue.
 *
 * @example
 * ```ts
 * import { loadScenario, ScenarioFileError } from "./mod.ts";
 * try {
 *   loadScenario({ irqemu: 1, machine: { arch: "riscv" }, run: { durationNs: 1_000_000 } });
 * } catch (e) {
 *   if (!(e instanceof ScenarioFileError) || e.issues[0]!.path !== "machine.arch") throw e;
 * }
 * ```
 */
export class ScenarioFileError extends Error {
  /** Error name. */
  override name = "ScenarioFileError";
  /** Every problem found, in document order. */
  readonly issues: readonly Issue[];

  /** An error listing `issues` (at least one). */
  constructor(issues: readonly Issue[]) {
    super(issues.map((i) => `${i.path}: ${i.reason}`).join("\n"));
    this.issues = issues;
  }
}

/** Collects issues while the loader walks the document. */
export class Issues {
  readonly list: Issue[] = [];

  /** Record that `path` is wrong because of `reason`. */
  add(path: string, reason: string): void {
    this.list.push({ path, reason });
  }

  /** Throw a {@linkcode ScenarioFileError} if anything was recorded. */
  throwIfAny(): void {
    if (this.list.length > 0) throw new ScenarioFileError(this.list);
  }
}

/** `base.key`, or `key` at the top. */
export function field(base: string, key: string): string {
  return base === "" ? key : `${base}.${key}`;
}

/** A value as a message shows it (its text and type). */
export function shown(value: unknown): string {
  return describe(value);
}

/**
 * Read `value` at `path` as an object whose keys are all in `known`;
 * records a wrong type or each unknown key (with the nearest known one).
 * Returns the object (unknown keys and all) or undefined if it is none.
 */
export function readObject(
  issues: Issues,
  path: string,
  value: unknown,
  known: readonly string[],
  what: string,
): Record<string, unknown> | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    issues.add(path, `must be ${what} (a JSON object), got ${describe(value)}`);
    return undefined;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (known.includes(key)) continue;
    const near = nearest(key, known);
    issues.add(
      field(path, key),
      `unknown key${near === undefined ? "" : `; did you mean "${near}"?`} (known: ${known.join(", ")})`,
    );
  }
  return object;
}

/** Record a missing required field. */
export function missing(issues: Issues, path: string, what: string): undefined {
  issues.add(path, `missing required field: ${what}`);
  return undefined;
}

/** A whole number from `min` to `max` at `path`, or undefined (recorded). */
export function readWhole(
  issues: Issues,
  path: string,
  value: unknown,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  unit = "",
): number | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= min && value <= max) return value;
  const of = unit === "" ? "" : ` of ${unit}`;
  const allowed = max >= Number.MAX_SAFE_INTEGER
    ? `a whole number${of} >= ${min}`
    : `a whole number${of} ${min}..${max}`;
  const sign = typeof value === "number" && value < 0 && min >= 0 ? " (it is negative)" : "";
  issues.add(path, `must be ${allowed}, got ${describe(value)}${sign}`);
  return undefined;
}

/** A boolean at `path`, or undefined (recorded). */
export function readBoolean(issues: Issues, path: string, value: unknown): boolean | undefined {
  if (typeof value === "boolean") return value;
  issues.add(path, `must be true or false, got ${describe(value)}`);
  return undefined;
}

/** One of `choices` at `path`, or undefined (recorded, with the nearest choice). */
export function readChoice<T extends string>(
  issues: Issues,
  path: string,
  value: unknown,
  choices: readonly T[],
  what: string,
): T | undefined {
  if (typeof value === "string" && (choices as readonly string[]).includes(value)) return value as T;
  if (typeof value !== "string") {
    issues.add(path, `must be ${what} (a string: ${choices.join(", ")}), got ${describe(value)}`);
    return undefined;
  }
  const near = nearest(value, choices);
  issues.add(
    path,
    `unknown ${what} "${value}"${near === undefined ? "" : `; did you mean "${near}"?`} (known: ${
      choices.join(", ")
    })`,
  );
  return undefined;
}

/**
 * A name at `path`: a string of 1 to `maxBytes` UTF-8 bytes without
 * control characters (and without spaces if `noSpaces`), or undefined (recorded).
 */
export function readName(
  issues: Issues,
  path: string,
  value: unknown,
  maxBytes: number,
  noSpaces = false,
): string | undefined {
  if (typeof value !== "string") {
    issues.add(path, `must be a name (a string), got ${describe(value)}`);
    return undefined;
  }
  const bytes = new TextEncoder().encode(value).length;
  // deno-lint-ignore no-control-regex
  const control = /[\x00-\x1f\x7f]/.test(value);
  if (bytes === 0 || bytes > maxBytes || control || (noSpaces && value.includes(" "))) {
    const rule = `1 to ${maxBytes} bytes without control characters${noSpaces ? " or spaces" : ""}`;
    issues.add(path, `must be ${rule}, got ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** A JSON array at `path`, or undefined (recorded). */
export function readArray(issues: Issues, path: string, value: unknown, what: string): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  issues.add(path, `must be ${what} (a JSON array), got ${describe(value)}`);
  return undefined;
}

/** The known word nearest to `word` (edit distance at most a third of its length, and 3), if any. */
export function nearest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  for (const candidate of known) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d <= bestDistance && (best === undefined || d < bestDistance)) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(
        Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)),
      );
    }
    previous = row;
  }
  return previous[b.length]!;
}
