/**
 * The check of the `Arch` slot when a machine is built: every fact and
 * method an arch must supply, and time costs that are whole, non-negative
 * nanoseconds. A negative entry cost would make time run backwards inside an
 * interrupt, and a fractional one would reach the engine as a raw error; both
 * are reported here, naming the arch and the field.
 *
 * @module
 */

import type { Arch } from "./arch.ts";
import { checkWhole, describe } from "./describe.ts";
import { PATH_TIMING_KEYS } from "./timing.ts";

/** The interrupt kinds the core knows (`InterruptKind`). */
const KINDS = new Set(["timer", "reschedule", "call_function_single", "irq_work"]);
/** The costs every arch states. */
const ARCH_TIMING_KEYS = ["irqEntryNs", "irqExitNs", "ipiLatencyNs"];
/** Lines per CPU the core can register. */
const MAX_LINES = 32;
const SHAPE = "an Arch (name, maxCpus, timing, lines, hasIrqWorkInterrupt(), irqWorkRaise(), " +
  "optional sendIpi() and handle()), e.g. x86() from arch/x86/mod.ts";

/** Throw a clear error unless `arch` is a whole `Arch` that can run `cpus` CPUs. */
export function checkArch(arch: unknown, cpus: number): asserts arch is Arch {
  if (typeof arch === "function") {
    throw new TypeError(
      `Machine option arch must be ${SHAPE}; got ${describe(arch)}, an arch factory passed ` +
        `without calling it: did you mean ${arch.name || "the factory"}()?`,
    );
  }
  if (typeof arch !== "object" || arch === null) {
    throw new TypeError(`Machine option arch must be ${SHAPE}; got ${describe(arch)}`);
  }
  const a = arch as Record<string, unknown>;
  const missing = ["hasIrqWorkInterrupt", "irqWorkRaise"].filter((f) => typeof a[f] !== "function");
  const badOptional = ["sendIpi", "handle"].filter((f) => a[f] !== undefined && typeof a[f] !== "function");
  if (
    typeof a.name !== "string" || a.name === "" || missing.length > 0 || badOptional.length > 0 ||
    typeof a.timing !== "object" || a.timing === null || !Array.isArray(a.lines)
  ) {
    const wrong = [
      ...(typeof a.name !== "string" || a.name === "" ? ["name"] : []),
      ...(typeof a.timing !== "object" || a.timing === null ? ["timing"] : []),
      ...(!Array.isArray(a.lines) ? ["lines"] : []),
      ...missing.map((f) => `${f}()`),
      ...badOptional.map((f) => `${f}()`),
    ];
    throw new TypeError(`Machine option arch must be ${SHAPE}; its ${wrong.join(", ")} missing or wrong`);
  }
  const where = `Arch ${a.name}`;
  checkWhole(`${where}: maxCpus`, a.maxCpus, 1, Number.MAX_SAFE_INTEGER);
  if (cpus > (a.maxCpus as number)) {
    throw new RangeError(`${where} supports at most ${a.maxCpus} CPU(s), asked for ${cpus}`);
  }
  const timing = a.timing as Record<string, unknown>;
  for (const key of ARCH_TIMING_KEYS) {
    checkWhole(`${where}: timing.${key}`, timing[key], 0, Number.MAX_SAFE_INTEGER, "ns");
  }
  for (const key of Object.keys(timing)) {
    if ((PATH_TIMING_KEYS as readonly string[]).includes(key)) {
      checkWhole(`${where}: timing.${key}`, timing[key], 0, Number.MAX_SAFE_INTEGER, "ns");
    } else if (!ARCH_TIMING_KEYS.includes(key)) {
      // A misspelt cost would silently fall back to the default.
      throw new TypeError(
        `${where}: unknown timing "${key}"; known: ${[...ARCH_TIMING_KEYS, ...PATH_TIMING_KEYS].join(", ")}`,
      );
    }
  }
  const lines = a.lines as unknown[];
  if (lines.length > MAX_LINES) {
    throw new RangeError(`${where} has ${lines.length} interrupt lines; a CPU takes at most ${MAX_LINES}`);
  }
  const kinds = new Set<unknown>();
  lines.forEach((line, i) => {
    const l = (typeof line === "object" && line !== null ? line : {}) as Record<string, unknown>;
    if (!KINDS.has(l.kind as string)) {
      throw new TypeError(
        `${where}: lines[${i}].kind must be one of ${[...KINDS].join(", ")}, got ${describe(l.kind)}`,
      );
    }
    if (kinds.has(l.kind)) {
      throw new TypeError(`${where}: two lines of kind ${l.kind}; each kind has one line`);
    }
    kinds.add(l.kind);
    checkWhole(`${where}: lines[${i}].vector`, l.vector, 0, Number.MAX_SAFE_INTEGER);
    for (const key of ["name", "entryDetail", "exitDetail"]) {
      if (typeof l[key] !== "string") {
        throw new TypeError(`${where}: lines[${i}].${key} must be a string, got ${describe(l[key])}`);
      }
    }
  });
  const needed = cpus > 1 ? ["timer", "reschedule", "call_function_single"] : ["timer"];
  const lacking = needed.filter((k) => !kinds.has(k));
  if (lacking.length > 0) {
    throw new TypeError(
      `${where} has no ${lacking.join(", ")} interrupt line; ` +
        `${
          cpus > 1
            ? `a machine of ${cpus} CPUs needs timer, reschedule and call_function_single`
            : "every machine needs a timer"
        }`,
    );
  }
}
