/**
 * The shape of the code, checked: core imports nothing outside core, its
 * modules import each other without a loop, and arches and plugins reach the
 * core only through its extension entry point, `core/mod.ts`, and never
 * import each other; scenario files and the CLI sit on top, reaching the
 * rest only through its entry points. The report (`report/`) sits above the
 * plugins: it composes their public outputs, so it may import `core/mod.ts`
 * and the plugins' entry points, and nothing below it imports it.
 *
 * Imports are read from the source text. An import that brings in types only
 * (`import type`, or every name marked `type`) is erased at run time; loops
 * are checked for run-time imports, and separately for all imports, where
 * the type-only loops that remain are listed below with their reason.
 *
 * @module
 */

import assert from "node:assert/strict";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

interface Import {
  /** The imported file, relative to the project root (or the specifier of a package). */
  readonly target: string;
  /** Types only: erased at run time. */
  readonly typeOnly: boolean;
}

/** Every `.ts` file under `dir` (relative to the root), tests and benches included unless told. */
function sources(dir: string, withTests = true): string[] {
  const out: string[] = [];
  for (const entry of Deno.readDirSync(join(ROOT, dir))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...sources(path, withTests));
    else if (entry.name.endsWith(".ts") && (withTests || !/_(test|bench)\.ts$/.test(entry.name))) {
      out.push(path);
    }
  }
  return out.sort();
}

/** The import and re-export statements of `file` (doc comments are not code, so their examples do not count). */
function importsOf(file: string): Import[] {
  const text = Deno.readTextFileSync(join(ROOT, file)).replace(/\/\*[\s\S]*?\*\//g, "");
  const out: Import[] = [];
  for (const m of text.matchAll(/^(import|export)\s([^;]*?)\sfrom\s+"([^"]+)";/gms)) {
    const [, , clause, spec] = m as unknown as [string, string, string, string];
    const names = /\{([^}]*)\}/.exec(clause)?.[1]?.split(",").map((s) => s.trim()).filter(Boolean) ?? [];
    const typeOnly = /^type\s/.test(clause) ||
      (names.length > 0 && names.every((n) => n.startsWith("type ")));
    const target = spec.startsWith(".") ? normalize(join(dirname(file), spec)) : spec;
    out.push({ target, typeOnly });
  }
  return out;
}

/** The loops of the import graph among `files`, each as the cycle's file list. */
function loops(files: readonly string[], follow: (i: Import) => boolean): string[][] {
  const set = new Set(files);
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (f: string): void => {
    state.set(f, "open");
    stack.push(f);
    for (const i of importsOf(f)) {
      if (!follow(i) || !set.has(i.target)) continue;
      if (state.get(i.target) === "open") found.push(stack.slice(stack.indexOf(i.target)));
      else if (!state.has(i.target)) visit(i.target);
    }
    stack.pop();
    state.set(f, "done");
  };
  for (const f of files) if (!state.has(f)) visit(f);
  return found;
}

/**
 * Type-only loops that stay, and why: scenario code's callbacks get a
 * `Context`, which calls back into the kernel parts that run them, the way a
 * kernel callback and the kernel refer to each other through headers.
 */
const TYPE_LOOPS_THROUGH = "core/context.ts";

Deno.test("structure: core imports nothing from arch/, plugins/ or the package root", () => {
  for (const file of sources("core")) {
    for (const { target } of importsOf(file)) {
      if (target.startsWith("node:") || target.startsWith("npm:")) continue;
      assert.ok(target.startsWith("core/"), `${file} imports ${target}`);
    }
  }
});

Deno.test("structure: core's modules import each other without a loop at run time", () => {
  assert.deepEqual(loops(sources("core", false), (i) => !i.typeOnly), []);
});

Deno.test("structure: the only type-level loops in core go through the scenario Context", () => {
  const typeLoops = loops(sources("core", false), () => true);
  for (const loop of typeLoops) {
    assert.ok(loop.includes(TYPE_LOOPS_THROUGH), `type loop ${loop.join(" -> ")}`);
  }
});

Deno.test("structure: arches and plugins import only core/mod.ts and their own folder", () => {
  for (const top of ["arch", "plugins"]) {
    for (const entry of Deno.readDirSync(join(ROOT, top))) {
      const own = `${top}/${entry.name}/`;
      for (const file of sources(own.slice(0, -1), false)) {
        for (const { target } of importsOf(file)) {
          if (target.startsWith("node:") || target.startsWith("npm:")) continue;
          const ok = target === "core/mod.ts" || target.startsWith(own);
          assert.ok(ok, `${relative(".", file)} imports ${target}`);
        }
      }
    }
  }
});

/** The entry points of the library, which the scenario module may use (plus `core/mod.ts` for kernel versions). */
function isEntryPoint(target: string): boolean {
  return target === "mod.ts" || target === "core/mod.ts" || target === "report/mod.ts" ||
    /^(arch|plugins)\/[^/]+\/mod\.ts$/.test(target);
}

Deno.test("structure: scenario/ uses the library through its entry points only", () => {
  for (const file of sources("scenario", false)) {
    for (const { target } of importsOf(file)) {
      if (target.startsWith("node:")) continue;
      const ok = isEntryPoint(target) || target.startsWith("scenario/");
      assert.ok(ok, `${file} imports ${target}`);
    }
  }
});

Deno.test("structure: the CLI uses the scenario module and mod.ts only", () => {
  for (const file of ["cli.ts", ...sources("cli", false)]) {
    for (const { target } of importsOf(file)) {
      if (target.startsWith("node:")) continue;
      const ok = target === "mod.ts" || target === "scenario/mod.ts" || target.startsWith("cli/");
      assert.ok(ok, `${file} imports ${target}`);
    }
  }
});

Deno.test("structure: nothing below the scenario module imports it or the CLI", () => {
  for (const top of ["core", "arch", "plugins"]) {
    for (const file of sources(top, false)) {
      for (const { target } of importsOf(file)) {
        assert.ok(!/^(scenario|cli)\/|^cli\.ts$/.test(target), `${file} imports ${target}`);
      }
    }
  }
});

Deno.test("structure: the report imports core/mod.ts, plugins' entry points and its own folder only", () => {
  for (const file of sources("report", false)) {
    for (const { target } of importsOf(file)) {
      if (target.startsWith("node:") || target.startsWith("npm:")) continue;
      const ok = target === "core/mod.ts" || /^plugins\/[^/]+\/mod\.ts$/.test(target) ||
        target.startsWith("report/");
      assert.ok(ok, `${file} imports ${target}`);
    }
  }
});

Deno.test("structure: nothing in core, arch or plugins imports the report", () => {
  for (const top of ["core", "arch", "plugins"]) {
    for (const file of sources(top)) {
      for (const { target } of importsOf(file)) {
        assert.ok(!target.startsWith("report/"), `${file} imports ${target}`);
      }
    }
  }
});
