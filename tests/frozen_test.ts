/**
 * Exported defaults are frozen, deeply: one module changing them cannot
 * change every later machine in the process. Every object-valued export of
 * every entry point is checked, so a new one is covered without a new test.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, DEFAULT_TIMING, LEGACY_TIMING } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";

const ENTRY_POINTS = [
  "../mod.ts",
  "../core/mod.ts",
  "../arch/x86/mod.ts",
  "../arch/arm64/mod.ts",
  "../arch/powerpc/mod.ts",
  "../arch/tick_only/mod.ts",
  "../plugins/ftrace/mod.ts",
  "../plugins/preempt_rt/mod.ts",
  "../plugins/checker/mod.ts",
  "../plugins/workloads/mod.ts",
];

/** Every path under `value` to an object that is not frozen. */
function unfrozen(value: unknown, path: string, seen = new Set<unknown>()): string[] {
  if (typeof value !== "object" || value === null || seen.has(value)) return [];
  seen.add(value);
  const out = Object.isFrozen(value) ? [] : [path];
  for (const key of Reflect.ownKeys(value)) {
    out.push(...unfrozen((value as Record<PropertyKey, unknown>)[key], `${path}.${String(key)}`, seen));
  }
  return out;
}

Deno.test("frozen: every object-valued export is frozen, deeply", async () => {
  const objects: string[] = [];
  const bad: string[] = [];
  for (const entry of ENTRY_POINTS) {
    const module = await import(entry);
    for (const [name, value] of Object.entries(module)) {
      if (typeof value !== "object" || value === null) continue; // functions, classes, numbers
      objects.push(name);
      bad.push(...unfrozen(value, `${entry} ${name}`));
    }
  }
  assert.deepEqual(bad, []);
  // The defaults the issue names are among them.
  for (
    const name of [
      "DEFAULT_TIMING",
      "LEGACY_TIMING",
      "KERNEL_FIXES",
      "NON_RT_POLICY",
      "NON_RT_LOCKING",
      "RT_LOCKING",
      "COST",
    ]
  ) {
    assert.ok(objects.includes(name) || name === "KERNEL_FIXES", name);
  }
});

Deno.test("frozen: writing to a default throws, and later machines keep the defaults", async () => {
  const { KERNEL_ALIASES, KERNEL_FIXES } = await import("../core/profile.ts");
  const { NON_RT_POLICY, NON_RT_LOCKING, SEQUENTIAL_CONSISTENCY } = await import("../core/mod.ts");
  const { RT_LOCKING } = await import("../plugins/preempt_rt/mod.ts");
  const { COST, ALL_WORKLOADS } = await import("../plugins/workloads/mod.ts");
  const writes: [string, object, PropertyKey][] = [
    ["DEFAULT_TIMING", DEFAULT_TIMING, "tickNs"],
    ["LEGACY_TIMING", LEGACY_TIMING, "irqWorkClaimNs"],
    ["KERNEL_FIXES[0]", KERNEL_FIXES[0]!, "mainline"],
    ["KERNEL_FIXES", KERNEL_FIXES, 0],
    ["KERNEL_ALIASES.seed.fixes", KERNEL_ALIASES.seed!.fixes, "810979682ccc"],
    ["KERNEL_ALIASES", KERNEL_ALIASES, "E"],
    ["NON_RT_POLICY", NON_RT_POLICY, "drainNeedsIrqsOff"],
    ["NON_RT_LOCKING", NON_RT_LOCKING, "spinlockSleeps"],
    ["RT_LOCKING", RT_LOCKING, "name"],
    ["SEQUENTIAL_CONSISTENCY", SEQUENTIAL_CONSISTENCY, "fence"],
    ["COST", COST, "wakeUpNs"],
    ["ALL_WORKLOADS", ALL_WORKLOADS, 0],
    ["ALL_WORKLOADS", ALL_WORKLOADS, "length"],
  ];
  for (const [what, object, key] of writes) {
    assert.throws(
      () => {
        (object as Record<PropertyKey, unknown>)[key] = 0;
      },
      TypeError,
      `${what}.${String(key)}`,
    );
  }
  const m = createMachine({ arch: x86() });
  assert.deepEqual(m.kernel.timing, DEFAULT_TIMING);
  assert.equal(m.kernel.timing.tickNs, 1_000);
  assert.equal(m.kernel.profile.rcuProtectedSync, true);
  assert.equal(m.kernel.locking.parts.policy.spinlockSleeps, false);
});
