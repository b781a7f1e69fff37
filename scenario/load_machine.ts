/**
 * The machine section: arch and its options, CPUs, tick, kernel version and
 * fixes (checked by resolving them as the machine will), PREEMPT_RT, seed,
 * idle, NO_HZ, threaded interrupts, time costs and the checker.
 *
 * @module
 */

import { resolveKernel } from "../core/mod.ts";
import { Issues, missing, readBoolean, readChoice, readObject, readWhole, shown } from "./issues.ts";
import { KEYS } from "./keys.ts";
import { MAX_CPUS } from "./load_common.ts";
import { ARCH_NAMES, type ArchSpec, type MachineSpec } from "./types.ts";

const MAX_SEED = 2 ** 32 - 1;

/** The machine section, defaults filled in, or undefined (every problem recorded). */
export function readMachine(issues: Issues, value: unknown): MachineSpec | undefined {
  const m = readObject(issues, "machine", value, KEYS.machine!, "the machine");
  if (m === undefined) return undefined;
  const arch = m.arch === undefined
    ? missing(issues, "machine.arch", `the arch (${ARCH_NAMES.join(", ")})`)
    : readArch(issues, m.arch);
  const maxCpus = arch?.name === "x86" && arch.apic === false ? 1 : MAX_CPUS;
  let cpus = m.cpus === undefined ? 1 : readWhole(issues, "machine.cpus", m.cpus, 1, MAX_CPUS);
  if (cpus !== undefined && cpus > maxCpus) {
    issues.add("machine.cpus", `x86 without an APIC (apic: false) has one CPU, asked for ${cpus}`);
    cpus = undefined;
  }
  const hz = m.hz === undefined ? undefined : readWhole(issues, "machine.hz", m.hz, 1, 10_000);
  const rt = m.rt === undefined ? false : readBoolean(issues, "machine.rt", m.rt);
  const kernel = readKernel(issues, m.kernel, m.fixes, rt === true);
  const seed = m.seed === undefined ? 1 : readWhole(issues, "machine.seed", m.seed, 0, MAX_SEED);
  const idle = m.idle === undefined
    ? undefined
    : readChoice(issues, "machine.idle", m.idle, ["halt", "poll"], "idle mode");
  const flags: Record<string, boolean | undefined> = {};
  for (const key of ["nohz", "threadIrqs", "checker"] as const) {
    if (m[key] !== undefined) flags[key] = readBoolean(issues, `machine.${key}`, m[key]);
  }
  let timing: Record<string, number> | undefined;
  if (m.timing !== undefined) {
    const t = readObject(issues, "machine.timing", m.timing, KEYS.timing!, "time costs in ns");
    if (t !== undefined) {
      timing = {};
      for (const [key, v] of Object.entries(t)) {
        if (!KEYS.timing!.includes(key)) continue;
        // A spin loop that polls every 0 ns would never let time advance.
        const n = readWhole(
          issues,
          `machine.timing.${key}`,
          v,
          key === "cpuRelaxNs" ? 1 : 0,
          undefined,
          "ns",
        );
        if (n !== undefined) timing[key] = n;
      }
    }
  }
  if (
    arch === undefined || cpus === undefined || rt === undefined || seed === undefined || kernel === undefined
  ) {
    return undefined;
  }
  return {
    arch,
    cpus,
    ...(hz === undefined ? {} : { hz }),
    ...kernel,
    rt,
    seed,
    ...(idle === undefined ? {} : { idle }),
    ...(flags.nohz === undefined ? {} : { nohz: flags.nohz }),
    ...(flags.threadIrqs === undefined ? {} : { threadIrqs: flags.threadIrqs }),
    ...(timing === undefined ? {} : { timing }),
    checker: flags.checker ?? true,
  };
}

function readArch(issues: Issues, value: unknown): ArchSpec | undefined {
  if (typeof value === "string") {
    const name = readChoice(issues, "machine.arch", value, ARCH_NAMES, "arch");
    return name === undefined ? undefined : { name };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    issues.add(
      "machine.arch",
      `must be an arch name (${ARCH_NAMES.join(", ")}) or { "name": ..., options }, got ${shown(value)}`,
    );
    return undefined;
  }
  const a = readObject(issues, "machine.arch", value, KEYS.archObject!, "an arch");
  if (a === undefined) return undefined;
  const name = a.name === undefined
    ? missing(issues, "machine.arch.name", `the arch (${ARCH_NAMES.join(", ")})`)
    : readChoice(issues, "machine.arch.name", a.name, ARCH_NAMES, "arch");
  if (a.apic === undefined) return name === undefined ? undefined : { name };
  if (name !== undefined && name !== "x86") {
    issues.add("machine.arch.apic", `only x86 has the apic option; ${name} takes no options`);
    return undefined;
  }
  const apic = readBoolean(issues, "machine.arch.apic", a.apic);
  return name === undefined || apic === undefined ? undefined : { name, apic };
}

/** The kernel version and fixes, checked by resolving them as the machine will. */
function readKernel(
  issues: Issues,
  kernel: unknown,
  fixes: unknown,
  rt: boolean,
): { kernel?: string; fixes?: Record<string, boolean> } | undefined {
  if (kernel !== undefined && typeof kernel !== "string") {
    issues.add("machine.kernel", `must be a version string such as "6.1.192", got ${shown(kernel)}`);
    return undefined;
  }
  try {
    resolveKernel(kernel, {});
  } catch (e) {
    issues.add("machine.kernel", sentence(e));
    return undefined;
  }
  const checked: Record<string, boolean> = {};
  if (fixes !== undefined) {
    if (typeof fixes !== "object" || fixes === null || Array.isArray(fixes)) {
      issues.add("machine.fixes", `must be an object of commit: true|false, got ${shown(fixes)}`);
      return undefined;
    }
    for (const [commit, on] of Object.entries(fixes)) {
      const path = `machine.fixes.${commit}`;
      if (typeof on !== "boolean") {
        issues.add(path, `must be true (fix on) or false (fix off), got ${shown(on)}`);
        continue;
      }
      try {
        resolveKernel(kernel, { [commit]: on });
        checked[commit] = on;
      } catch (e) {
        issues.add(path, sentence(e));
      }
    }
  }
  if (rt && !resolveKernel(kernel, checked).rtThreadedIrqWork) {
    issues.add(
      "machine.rt",
      `PREEMPT_RT needs fix b4c6f86ec2f6 (the per-CPU irq_work thread), which kernel "${
        kernel ?? "mainline"
      }" ` +
        "does not have here: use a 5.15-rt, 5.16 or later kernel (the older RT scheme is not modelled)",
    );
  }
  return { ...(kernel === undefined ? {} : { kernel }), ...(fixes === undefined ? {} : { fixes: checked }) };
}

/** An error's message, as a reason. */
function sentence(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
