/**
 * The check of the machine's plugins, in one place, when the machine is
 * built: each plugin as a whole (an object with a name, not the factory that
 * makes one), each slot it fills in the slot's shape, each per-CPU thread's
 * description, and that one plugin object serves one machine, once. A
 * plugin keeps per-machine state (a tracer's lines, a checker's "first splat
 * only" flag), so sharing one would merge two machines' results.
 *
 * @module
 */

import { checkWhole, describe } from "./describe.ts";
import type { Plugin } from "./parts.ts";
import { checkComm } from "./sched.ts";

/** Plugin objects a machine was built with: each may serve only that one. */
const claimed = new WeakSet<object>();

/** What a slot must hold: its contract's name and its members, each a function or a type of value. */
interface Shape {
  readonly contract: string;
  readonly members: Readonly<Record<string, "function" | "string" | "boolean">>;
}

const SLOTS: Readonly<Record<"irqWorkPolicy" | "locking" | "memoryModel", Shape>> = {
  irqWorkPolicy: {
    contract: "an IrqWorkPolicy",
    members: {
      name: "string",
      joinsLazyList: "function",
      remoteThroughLazyList: "function",
      handleLazyList: "function",
      nonHardWaitersSleep: "boolean",
      drainNeedsIrqsOff: "boolean",
    },
  },
  locking: {
    contract: "a LockingPolicy",
    members: { name: "string", spinlockSleeps: "boolean", spinLock: "function", spinUnlock: "function" },
  },
  memoryModel: {
    contract: "a MemoryModel",
    members: { name: "string", load: "function", store: "function", fence: "function" },
  },
};

const THREAD: Shape = {
  contract: "an SmpHotplugThread",
  members: {
    comm: "string",
    policy: "string",
    store: "function",
    threadShouldRun: "function",
    threadFn: "function",
  },
};

/**
 * Throw a clear error, naming the plugin and the slot, unless `plugins` is
 * a list of whole plugins, none of them used by another machine or listed
 * twice, on a machine of `cpus` CPUs (the per-CPU threads' names must fit).
 */
export function checkPlugins(plugins: unknown, cpus: number): asserts plugins is readonly Plugin[] {
  if (!Array.isArray(plugins)) {
    throw new TypeError(`Machine option plugins must be an array of plugins, got ${describe(plugins)}`);
  }
  plugins.forEach((plugin: unknown, i) => {
    const at = `Machine option plugins[${i}]`;
    if (typeof plugin === "function") {
      const name = plugin.name || "the factory";
      throw new TypeError(
        `${at} is ${describe(plugin)}, a plugin factory passed without calling it: did you mean ${name}()?`,
      );
    }
    if (typeof plugin !== "object" || plugin === null || Array.isArray(plugin)) {
      throw new TypeError(
        `${at} must be a plugin (an object with a name, optional slots, threads, observers and setup), ` +
          `got ${describe(plugin)}`,
      );
    }
    const p = plugin as Record<string, unknown>;
    if (typeof p.name !== "string" || p.name === "") {
      throw new TypeError(`${at} must be a plugin, each with a name: its name is ${describe(p.name)}`);
    }
    const where = `Plugin "${p.name}"`;
    const twice = plugins.indexOf(plugin);
    if (twice !== i) {
      throw new Error(
        `${where} is listed twice in the machine's plugins (at ${twice} and ${i}); ` +
          "a plugin object serves one machine, once",
      );
    }
    if (claimed.has(plugin)) {
      throw new Error(
        `${where} already serves another machine; a plugin object serves one machine ` +
          `(make a new one for each machine, e.g. ${p.name}() again)`,
      );
    }
    for (const [slot, shape] of Object.entries(SLOTS)) {
      if (p[slot] !== undefined) checkShape(`${where}: slot ${slot}`, p[slot], shape);
    }
    if (p.forceIrqThreads !== undefined && typeof p.forceIrqThreads !== "boolean") {
      throw new TypeError(
        `${where}: forceIrqThreads must be true or false, got ${describe(p.forceIrqThreads)}`,
      );
    }
    if (p.setup !== undefined && typeof p.setup !== "function") {
      throw new TypeError(`${where}: setup must be a function, got ${describe(p.setup)}`);
    }
    checkList(`${where}: observers`, p.observers, (o, j) => {
      if (typeof o !== "function") {
        throw new TypeError(
          `${where}: observers[${j}] must be a function of a trace event, got ${describe(o)}`,
        );
      }
    });
    checkList(`${where}: threads`, p.threads, (t, j) => checkThread(`${where}: threads[${j}]`, t, cpus));
  });
}

/** Mark `plugins` as serving one machine, once it is built with them. */
export function claimPlugins(plugins: readonly Plugin[]): void {
  for (const plugin of plugins) claimed.add(plugin);
}

function checkShape(what: string, value: unknown, shape: Shape): void {
  const members = Object.entries(shape.members);
  const list = members.map(([k, type]) => type === "function" ? `${k}()` : k).join(", ");
  if (typeof value !== "object" || value === null) {
    throw new TypeError(`${what} must be ${shape.contract} (${list}), got ${describe(value)}`);
  }
  const v = value as Record<string, unknown>;
  for (const [key, type] of members) {
    const actual: string = typeof v[key];
    if (actual !== type) {
      throw new TypeError(
        `${what} must be ${shape.contract} (${list}); its ${key} must be a ${type}, got ${describe(v[key])}`,
      );
    }
  }
}

function checkList(what: string, list: unknown, each: (item: unknown, i: number) => void): void {
  if (list === undefined) return;
  if (!Array.isArray(list)) throw new TypeError(`${what} must be an array, got ${describe(list)}`);
  list.forEach(each);
}

function checkThread(what: string, thread: unknown, cpus: number): void {
  checkShape(what, thread, THREAD);
  const t = thread as { comm: string; policy: string; priority: unknown };
  if (t.policy !== "fifo" && t.policy !== "rr" && t.policy !== "other") {
    throw new RangeError(`${what}: policy must be "fifo", "rr" or "other", got ${describe(t.policy)}`);
  }
  if (t.policy === "other") checkWhole(`${what}: SCHED_OTHER priority`, t.priority, 0, 0);
  else checkWhole(`${what}: SCHED_${t.policy.toUpperCase()} priority`, t.priority, 1, 99);
  // The longest name is the last CPU's.
  checkComm(t.comm.replace("%u", String(cpus - 1)), `${what}: comm`);
}
