/**
 * Lists of ops (task bodies, interrupt handlers, callbacks): each op's
 * fields, where sleeping is allowed, preemption balance, and the works and
 * CPUs the ops name.
 *
 * @module
 */

import { Issues, missing, readArray, readChoice, readObject, readWhole, shown } from "./issues.ts";
import { OP_FIELDS } from "./keys.ts";
import { checkWorkName, type Known, readCpu } from "./load_common.ts";
import type { OpName, OpSpec } from "./types.ts";

const OP_NAMES = Object.keys(OP_FIELDS) as OpName[];
/** Ops that put the task to sleep: never in hard-IRQ context, nor in an irq_work callback. */
const SLEEPING_OPS: readonly OpName[] = ["sleep", "msleep"];

/** Where a list of ops runs, for the checks that depend on it. */
export type OpsPlace = "task" | "hardirq handler" | "threaded handler" | "callback";

/** A list of ops; work names and CPUs are checked later, once all works are known ({@linkcode checkOpsRefs}). */
export function readOps(issues: Issues, path: string, value: unknown, place: OpsPlace): OpSpec[] | undefined {
  const list = readArray(issues, path, value, "a list of ops");
  if (list === undefined) return undefined;
  const ops: OpSpec[] = [];
  let ok = true;
  let preempt = 0;
  list.forEach((item, i) => {
    const p = `${path}[${i}]`;
    if (typeof item !== "object" || item === null || Array.isArray(item) || !("op" in item)) {
      issues.add(p, `must be an op ({ "op": ${OP_NAMES.join(" | ")}, ... }), got ${shown(item)}`);
      ok = false;
      return;
    }
    const name = readChoice(issues, `${p}.op`, item.op, OP_NAMES, "op");
    if (name === undefined) {
      ok = false;
      return;
    }
    const o = readObject(issues, p, item, ["op", ...OP_FIELDS[name]], `a ${name} op`)!;
    if (SLEEPING_OPS.includes(name) && (place === "hardirq handler" || place === "callback")) {
      issues.add(`${p}.op`, `${name} cannot run in a ${place}: only tasks and threaded handlers may sleep`);
      ok = false;
    }
    if (name === "preemptDisable") preempt++;
    if (name === "preemptEnable" && preempt-- === 0) {
      issues.add(`${p}.op`, "preemptEnable without a preemptDisable before it in this list");
      ok = false;
    }
    const op = readOpFields(issues, p, name, o);
    if (op === undefined) ok = false;
    else ops.push(op);
  });
  return ok ? ops : undefined;
}

function readOpFields(
  issues: Issues,
  p: string,
  name: OpName,
  o: Record<string, unknown>,
): OpSpec | undefined {
  const need = (key: string): unknown =>
    o[key] === undefined ? missing(issues, `${p}.${key}`, `the ${name} op's ${key}`) : o[key];
  switch (name) {
    case "spend":
    case "sleep": {
      const v = need("ns");
      const ns = v === undefined ? undefined : readWhole(issues, `${p}.ns`, v, 0, undefined, "ns");
      return ns === undefined ? undefined : { op: name, ns };
    }
    case "msleep": {
      const v = need("ms");
      const ms = v === undefined ? undefined : readWhole(issues, `${p}.ms`, v, 0, undefined, "ms");
      return ms === undefined ? undefined : { op: name, ms };
    }
    case "queue":
    case "sync":
    case "queueOn": {
      const v = need("work");
      if (v !== undefined && typeof v !== "string") {
        issues.add(`${p}.work`, `must be a work's name, got ${shown(v)}`);
      }
      const c = name === "queueOn" ? need("cpu") : 0;
      if (typeof v !== "string" || c === undefined) return undefined;
      // CPUs are whole numbers here; their range is checked with the work names.
      if (name !== "queueOn") return { op: name, work: v };
      const cpu = readWhole(issues, `${p}.cpu`, c, 0);
      return cpu === undefined ? undefined : { op: name, work: v, cpu };
    }
    default:
      return { op: name };
  }
}

/** Check that the ops at `path` name works that exist and CPUs the machine has. */
export function checkOpsRefs(issues: Issues, path: string, ops: readonly OpSpec[], known: Known): void {
  ops.forEach((op, i) => {
    const p = `${path}.ops[${i}]`;
    if ("work" in op) checkWorkName(issues, `${p}.work`, op.work, known);
    if ("cpu" in op) readCpu(issues, `${p}.cpu`, op.cpu, known.cpus);
  });
}

/** Ops of a task, a handler or a callback at `path`, with their references checked. */
export function readOpsAt(
  issues: Issues,
  path: string,
  value: unknown,
  place: OpsPlace,
  known: Known,
): OpSpec[] | undefined {
  const ops = readOps(issues, `${path}.ops`, value, place);
  if (ops !== undefined) checkOpsRefs(issues, path, ops, known);
  return ops;
}
