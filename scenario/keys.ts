/**
 * The keys each object of the scenario format may have, by the name of its
 * definition in `scenario.v1.schema.json` (`$defs`). The loader rejects any
 * other key; the schema test checks that the schema lists exactly these, so
 * that the two cannot drift apart.
 *
 * @module
 */

import { DEFAULT_TIMING } from "../mod.ts";
import { type OpName, OUTPUT_KINDS } from "./types.ts";

/** Keys of the fields each op takes besides `op`, by op (each op is one `Context` call). */
export const OP_FIELDS: Readonly<Record<OpName, readonly string[]>> = Object.freeze({
  spend: ["ns"],
  sleep: ["ns"],
  msleep: ["ms"],
  queue: ["work"],
  queueOn: ["work", "cpu"],
  sync: ["work"],
  irqDisable: [],
  irqEnable: [],
  preemptDisable: [],
  preemptEnable: [],
  rcuReadLock: [],
  rcuReadUnlock: [],
});

/** The keys every load generator has, whatever its kind. */
const LOAD_COMMON = [
  "name",
  "kind",
  "cpu",
  "works",
  "from",
  "policy",
  "priority",
  "startNs",
  "count",
] as const;

/** Keys of each object, by its `$defs` name in the schema. */
export const KEYS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  scenario: [
    "$schema",
    "irqemu",
    "name",
    "description",
    "machine",
    "works",
    "irqs",
    "tasks",
    "load",
    "latency",
    "run",
    "outputs",
  ],
  machine: [
    "arch",
    "cpus",
    "hz",
    "kernel",
    "fixes",
    "rt",
    "seed",
    "idle",
    "nohz",
    "threadIrqs",
    "timing",
    "checker",
  ],
  archObject: ["name", "apic"],
  timing: Object.keys(DEFAULT_TIMING),
  workCallback: ["name", "flags", "costNs", "ops"],
  workWorkload: ["name", "workload", "cpu"],
  irq: ["irq", "name", "cpu", "source", "handler", "thread", "noThread"],
  sourceAt: ["at"],
  sourcePeriodic: ["periodNs", "startNs", "jitterNs", "count"],
  task: ["name", "cpu", "policy", "priority", "startNs", "repeat", "ops"],
  loadPeriodic: [...LOAD_COMMON, "periodNs"],
  loadRandom: [...LOAD_COMMON, "distribution", "meanNs", "minNs", "maxNs"],
  loadBurst: [...LOAD_COMMON, "periodNs", "size", "gapNs"],
  latency: [
    "tool",
    "cpus",
    "policy",
    "priority",
    "intervalNs",
    "relative",
    "startNs",
    "breakNs",
    "histogramUs",
  ],
  run: ["durationNs"],
  outputs: [...OUTPUT_KINDS],
});

/** The `$defs` name of a load generator of `kind`. */
export const LOAD_DEFS = Object.freeze({
  periodic: "loadPeriodic",
  random: "loadRandom",
  burst: "loadBurst",
});
