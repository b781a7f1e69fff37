/**
 * What the loader's parts share: what the walk knows once the machine and
 * the works are read, and the readers of CPU numbers, scheduling policies
 * and work names that every section uses.
 *
 * @module
 */

import { type Issues, readChoice, readWhole, shown } from "./issues.ts";
import type { PolicyName } from "./types.ts";

/** The most CPUs a machine can have. */
export const MAX_CPUS = 1024;
/** A task name's bytes: `TASK_COMM_LEN` (16) holds the NUL. */
export const COMM_BYTES = 15;
const POLICIES: readonly PolicyName[] = ["fifo", "rr", "other"];

/** What the walk knows once the machine and the works are read. */
export interface Known {
  /** The machine's CPUs (the most there can be if the machine section is wrong). */
  readonly cpus: number;
  /** The names of the works. */
  readonly works: readonly string[];
}

/** A CPU number at `path` that the machine of `cpus` CPUs has, or undefined (recorded). */
export function readCpu(issues: Issues, path: string, value: unknown, cpus: number): number | undefined {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= cpus && value < MAX_CPUS) {
    issues.add(
      path,
      `CPU ${value} does not exist: the machine has ${cpus} CPU${cpus === 1 ? "" : "s"} (0..${cpus - 1})`,
    );
    return undefined;
  }
  return readWhole(issues, path, value, 0, cpus - 1);
}

/** Policy and priority at `path`, with the defaults given; the priority range follows the policy. */
export function readPolicy(
  issues: Issues,
  path: string,
  o: Record<string, unknown>,
  defaults: { policy: PolicyName; priority: number },
): { policy: PolicyName; priority: number } | undefined {
  const policy = o.policy === undefined
    ? defaults.policy
    : readChoice(issues, `${path}.policy`, o.policy, POLICIES, "policy");
  if (policy === undefined) return undefined;
  if (policy === "other") {
    if (o.priority === undefined || o.priority === 0) return { policy, priority: 0 };
    issues.add(
      `${path}.priority`,
      `must be 0 for policy other (SCHED_OTHER has no RT priority), got ${shown(o.priority)}`,
    );
    return undefined;
  }
  const fallback = defaults.policy === "other" ? 1 : defaults.priority;
  const priority = o.priority === undefined
    ? fallback
    : readWhole(issues, `${path}.priority`, o.priority, 1, 99);
  return priority === undefined ? undefined : { policy, priority };
}

/** Whether `name` is a work of the scenario (recorded if not, with the works there are). */
export function checkWorkName(issues: Issues, path: string, name: string, known: Known): boolean {
  if (known.works.includes(name)) return true;
  const list = known.works.length === 0
    ? 'the scenario defines no works (add them under "works")'
    : `works are: ${known.works.join(", ")}`;
  issues.add(path, `unknown work "${name}"; ${list}`);
  return false;
}
