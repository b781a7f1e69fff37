// The library works when imported by URL: a fresh Deno process with a cold module cache imports
// mod.ts and arch/x86/mod.ts over HTTP from a local static server of this repository and runs a
// machine. A second test checks the property that makes this possible: library modules import only
// relative `.ts` files, `node:` built-ins and pinned `npm:` packages.
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");

const CONTENT_TYPES: Record<string, string> = {
  ".ts": "application/typescript",
  ".js": "text/javascript",
  ".json": "application/json",
  ".md": "text/markdown",
};

/** Map a request path to a file under the repository root; null if it escapes the root or is malformed. */
function fileFor(urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes("\0") || decoded.includes("\\")) return null;
  const parts: string[] = [];
  for (const part of decoded.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." || part.startsWith(".")) return null; // no escaping, no dot files (.git, .ci)
    parts.push(part);
  }
  if (parts.length === 0) return null;
  return `${rootPath}/${parts.join("/")}`;
}

/** Paths of the files served with status 200, in order. */
const served: string[] = [];

async function serveStatic(request: Request): Promise<Response> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    return new Response("method not allowed\n", { status: 405 });
  }
  // Check the raw path too: URL parsing already folds "/../", but "%2e%2e" survives it.
  const rawPath = new URL(request.url).pathname;
  const file = fileFor(rawPath);
  if (file === null) return new Response("forbidden\n", { status: 403 });
  let real: string;
  try {
    real = await Deno.realPath(file);
  } catch {
    return new Response("not found\n", { status: 404 });
  }
  // A symlink inside the repo must not lead outside it.
  const realRoot = await Deno.realPath(rootPath);
  if (!real.startsWith(`${realRoot}/`)) return new Response("forbidden\n", { status: 403 });
  const info = await Deno.stat(real);
  if (!info.isFile) return new Response("not found\n", { status: 404 });
  const ext = real.slice(real.lastIndexOf("."));
  const headers = { "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream" };
  served.push(real.slice(realRoot.length));
  if (request.method === "HEAD") return new Response(null, { headers });
  return new Response(await Deno.readFile(real), { headers });
}

function startServer(): { server: Deno.HttpServer<Deno.NetAddr>; port: number } {
  // onListen is called synchronously inside Deno.serve; the bound port is on server.addr.
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, serveStatic);
  return { server, port: server.addr.port };
}

/** Send `GET path` byte for byte (no client-side URL normalisation); the whole response as text. */
async function rawGet(port: number, path: string): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await conn.write(
      new TextEncoder().encode(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`,
      ),
    );
    const decoder = new TextDecoder();
    const buf = new Uint8Array(4096);
    let text = "";
    for (;;) {
      const n = await conn.read(buf);
      if (n === null) break;
      text += decoder.decode(buf.subarray(0, n), { stream: true });
    }
    return text + decoder.decode();
  } finally {
    conn.close();
  }
}

function mainSource(port: number): string {
  const base = `http://127.0.0.1:${port}`;
  return `import { createMachine, irqWorkInit } from "${base}/mod.ts";
import { x86 } from "${base}/arch/x86/mod.ts";

const m = createMachine({ arch: x86(), cpus: 2, seed: 1 });
const work = irqWorkInit(() => {}, "e2e");
let queued;
m.spawn({ cpu: 0, name: "producer", policy: "fifo", priority: 50 }, function* (ctx) {
  queued = yield* ctx.queueOn(work, 1);
});
m.runUntil(1_000_000);
console.log(JSON.stringify({
  queued,
  runs: m.runs.map((r) => ({ cpu: r.cpu, context: r.context, work: r.work.name })),
  findings: m.findings.length,
}));
`;
}

Deno.test("import by URL from a local server, cold cache", async (t) => {
  const { server, port } = startServer();
  const project = await Deno.makeTempDir({ prefix: "irqemu-e2e-project-" });
  const denoDir = await Deno.makeTempDir({ prefix: "irqemu-e2e-deno-dir-" });
  try {
    await t.step(
      "the static server serves .ts as TypeScript and refuses paths outside the root",
      async () => {
        const base = `http://127.0.0.1:${port}`;
        const ok = await fetch(`${base}/mod.ts`);
        assert.equal(ok.status, 200);
        assert.equal(ok.headers.get("content-type"), "application/typescript");
        assert.equal(await ok.text(), await Deno.readTextFile(`${rootPath}/mod.ts`));
        // Raw requests: fetch() would normalise the dot segments away before sending.
        const secret = `${await Deno.realPath(project)}/secret.ts`;
        await Deno.writeTextFile(secret, "export const secret = 42;\n");
        const up = "..%2f".repeat(32);
        const escapes = [
          `/${up}${secret.slice(1)}`,
          `/core/..%2F..%2F${"..%2F".repeat(32)}${secret.slice(1).replaceAll("/", "%2F")}`,
          `/%2e%2e/%2e%2e/${"%2e%2e/".repeat(32)}${secret.slice(1)}`,
          `/../../${"../".repeat(32)}${secret.slice(1)}`,
        ];
        for (const path of escapes) {
          const res = await rawGet(port, path);
          assert.ok(!res.includes("secret = 42"), `${path} served a file outside the root`);
          assert.match(res, /^HTTP\/1\.1 40[34] /, path);
        }
        assert.match(await rawGet(port, `/${up}${secret.slice(1)}`), /^HTTP\/1\.1 403 /);
        for (const path of ["/.git/HEAD", "/"]) {
          const res = await fetch(`${base}${path}`);
          await res.body?.cancel();
          assert.equal(res.status, 403, path);
        }
        const missing = await fetch(`${base}/no_such_file.ts`);
        await missing.body?.cancel();
        assert.equal(missing.status, 404);
      },
    );

    await t.step("a fresh deno process imports the library by URL and runs a 2-CPU x86 machine", async () => {
      served.length = 0;
      await Deno.writeTextFile(`${project}/main.ts`, mainSource(port));
      // An empty config here stops Deno from picking up a deno.json from a parent directory.
      await Deno.writeTextFile(`${project}/deno.json`, "{}\n");
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", `--allow-import=127.0.0.1:${port}`, "--no-lock", "--quiet", "main.ts"],
        cwd: project,
        env: { NO_COLOR: "1", DENO_DIR: denoDir, NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(out.stdout);
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 0, `deno run failed:\n${stderr}`);
      assert.deepEqual(JSON.parse(stdout), {
        queued: true,
        runs: [{ cpu: 1, context: "hardirq", work: "e2e" }],
        findings: 0,
      });
      // The cache was cold: every module was fetched from our server, once, into the fresh DENO_DIR.
      for (const path of ["/mod.ts", "/arch/x86/mod.ts", "/core/machine.ts", "/core/irq_work.ts"]) {
        assert.ok(served.includes(path), `${path} was not fetched; fetched: ${served.join(", ")}`);
      }
      assert.equal(new Set(served).size, served.length, `fetched twice: ${served.join(", ")}`);
      assert.ok((await Array.fromAsync(Deno.readDir(denoDir))).length > 0, "DENO_DIR stayed empty");
    });

    await t.step("the CLI runs a scenario file from a URL", async () => {
      const scenario = await Deno.readTextFile(`${rootPath}/examples/scenarios/small.json`);
      await Deno.writeTextFile(`${project}/small.json`, scenario);
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          `--allow-import=127.0.0.1:${port}`,
          "--allow-read",
          "--allow-write",
          "--no-lock",
          "--quiet",
          `http://127.0.0.1:${port}/cli.ts`,
          "small.json",
        ],
        cwd: project,
        env: { NO_COLOR: "1", DENO_DIR: denoDir, NO_PROXY: "127.0.0.1", no_proxy: "127.0.0.1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      assert.match(new TextDecoder().decode(out.stdout), /^scenario: small/);
      assert.match(await Deno.readTextFile(`${project}/out/small.trace.txt`), /^# tracer: nop/);
    });
  } finally {
    await server.shutdown();
    await Deno.remove(project, { recursive: true });
    await Deno.remove(denoDir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------------
// Import specifiers of the library.

type Token = { kind: "ident" | "punct" | "string" | "template" | "other"; value: string };

const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "instanceof",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "case",
  "do",
  "else",
  "yield",
  "await",
]);

/**
 * A small TypeScript tokenizer, enough to find import specifiers: it skips comments, reads string,
 * template (with nested `${}`) and regular-expression literals whole, so text inside them is never
 * taken for code. `/// <reference path|types="...">` directives come out as `reference` + string.
 */
function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  const braces: Array<"code" | "template"> = [];
  let i = 0;
  const prevAllowsRegex = (): boolean => {
    const prev = tokens[tokens.length - 1];
    if (prev === undefined) return true;
    if (prev.kind === "ident") return REGEX_AFTER_WORDS.has(prev.value);
    if (prev.kind === "punct") return !")]}".includes(prev.value);
    return false;
  };
  // Read template text from i (just after ` or after the } closing a substitution).
  const readTemplate = (): void => {
    let text = "";
    while (i < src.length) {
      const c = src[i]!;
      if (c === "\\") {
        text += src.slice(i, i + 2);
        i += 2;
      } else if (c === "`") {
        i++;
        tokens.push({ kind: "template", value: text });
        return;
      } else if (c === "$" && src[i + 1] === "{") {
        i += 2;
        braces.push("template");
        tokens.push({ kind: "other", value: "${" });
        return;
      } else {
        text += c;
        i++;
      }
    }
    throw new SyntaxError("unterminated template literal");
  };
  while (i < src.length) {
    const c = src[i]!;
    const next = src[i + 1];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "/" && next === "/") {
      const end = src.indexOf("\n", i);
      const stop = end === -1 ? src.length : end;
      const ref = /^\/\/\/\s*<reference\s+(?:path|types|lib)\s*=\s*(["'])(.*?)\1/.exec(src.slice(i, stop));
      if (ref) tokens.push({ kind: "ident", value: "reference" }, { kind: "string", value: ref[2]! });
      i = stop;
    } else if (c === "/" && next === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end === -1) throw new SyntaxError("unterminated block comment");
      i = end + 2;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < src.length && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      if (src[j] !== c) throw new SyntaxError("unterminated string literal");
      tokens.push({ kind: "string", value: src.slice(i + 1, j) });
      i = j + 1;
    } else if (c === "`") {
      i++;
      readTemplate();
    } else if (c === "/" && prevAllowsRegex()) {
      let j = i + 1;
      let inClass = false;
      while (j < src.length && src[j] !== "\n") {
        const d = src[j]!;
        if (d === "\\") j++;
        else if (d === "[") inClass = true;
        else if (d === "]") inClass = false;
        else if (d === "/" && !inClass) break;
        j++;
      }
      if (src[j] !== "/") throw new SyntaxError("unterminated regular expression literal");
      j++;
      while (j < src.length && /[a-z]/.test(src[j]!)) j++;
      tokens.push({ kind: "other", value: src.slice(i, j) });
      i = j;
    } else if (/[A-Za-z_$#]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[\w$]/.test(src[j]!)) j++;
      tokens.push({ kind: "ident", value: src.slice(i, j) });
      i = j;
    } else if (/[0-9]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[\w.]/.test(src[j]!)) j++;
      tokens.push({ kind: "other", value: src.slice(i, j) });
      i = j;
    } else if (c === "{") {
      braces.push("code");
      tokens.push({ kind: "punct", value: c });
      i++;
    } else if (c === "}") {
      i++;
      if (braces.pop() === "template") readTemplate();
      else tokens.push({ kind: "punct", value: c });
    } else if (c === "!" && /[\w$)\]]/.test(src[i - 1] ?? "")) {
      // TypeScript's non-null assertion (`keys[0]! / n`): an operand ends here, so no regex follows.
      tokens.push({ kind: "other", value: c });
      i++;
    } else {
      tokens.push({ kind: "punct", value: c });
      i++;
    }
  }
  return tokens;
}

/** Every import specifier in a TypeScript source, in order; `<computed>` for a non-literal `import()`. */
function importSpecifiers(src: string): string[] {
  const tokens = tokenize(src);
  const found: string[] = [];
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const next = tokens[k + 1];
    if (t.kind !== "ident" || next === undefined) continue;
    // `import "s"`, `... from "s"` (import and export), `/// <reference path="s" />`.
    if ((t.value === "import" || t.value === "from" || t.value === "reference") && next.kind === "string") {
      found.push(next.value);
    } else if (t.value === "import" && next.value === "(") {
      const arg = tokens[k + 2];
      const after = tokens[k + 3];
      const literal = arg !== undefined && (arg.kind === "string" || arg.kind === "template") &&
        (after?.value === ")" || after?.value === ",");
      found.push(literal ? arg.value : "<computed>");
    }
  }
  return found;
}

/** Why a specifier breaks import-by-URL, or null if it is fine. */
function badSpecifier(specifier: string): string | null {
  if (specifier.startsWith("./") || specifier.startsWith("../")) {
    return specifier.endsWith(".ts") ? null : "relative import not ending in .ts";
  }
  if (/^node:[a-z_/]+$/.test(specifier)) return null;
  if (specifier.startsWith("npm:")) {
    return /^npm:(?:@[a-z0-9._-]+\/)?[a-z0-9._-]+@\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\/[^\s]*)?$/.test(
        specifier,
      )
      ? null
      : "npm: import without an exact version";
  }
  return "neither relative .ts, node: nor pinned npm:";
}

async function libraryFiles(): Promise<string[]> {
  const files = [`${rootPath}/mod.ts`, `${rootPath}/cli.ts`];
  async function walk(dir: string): Promise<void> {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) await walk(path);
      else if (entry.isFile && /\.(?:ts|tsx|mts|js|mjs)$/.test(entry.name)) files.push(path);
    }
  }
  for (const dir of ["core", "arch", "plugins", "scenario", "cli"]) await walk(`${rootPath}/${dir}`);
  return files.sort();
}

Deno.test("library modules import only relative .ts, node: and pinned npm: specifiers", async (t) => {
  await t.step("the scanner finds and judges specifiers", () => {
    const src = `
      import assert from "node:assert/strict";
      import type { A } from "./a.ts";
      import {
        b,
        c,
      } from '../b.ts';
      export * from "./c.ts";
      export { d } from "jsr:@std/assert";
      import "https://example.com/side.ts";
      const x = await import("npm:left-pad");
      const y = await import(name);
      // import { z } from "https://commented.example/out.ts";
      /* export * from "./also-commented.ts"; */
      const s = "import { q } from 'not-code.ts'";
      const r = /import "regex.ts"/g, t = \`\${s} from "template.ts" \${ { a: "from" }.a }\`;
      const u = Array.from("abc"), v = { from: "x" };
      import { e } from "./no-extension";
      /// <reference types="npm:@types/node" />
    `;
    const specs = importSpecifiers(src);
    assert.deepEqual(specs, [
      "node:assert/strict",
      "./a.ts",
      "../b.ts",
      "./c.ts",
      "jsr:@std/assert",
      "https://example.com/side.ts",
      "npm:left-pad",
      "<computed>",
      "./no-extension",
      "npm:@types/node",
    ]);
    assert.deepEqual(specs.filter((s) => badSpecifier(s) === null), [
      "node:assert/strict",
      "./a.ts",
      "../b.ts",
      "./c.ts",
    ]);
    assert.equal(badSpecifier("npm:left-pad@1.3.0"), null);
    assert.equal(badSpecifier("npm:@scope/pkg@2.0.0-rc.1/sub"), null);
    assert.notEqual(badSpecifier("npm:left-pad@^1.3.0"), null);
    assert.notEqual(badSpecifier("npm:left-pad@latest"), null);
  });

  const files = await libraryFiles();

  await t.step("the scanner agrees with Deno's module graph for the entry points", async () => {
    const entries = [`${rootPath}/mod.ts`, ...files.filter((f) => /\/arch\/[^/]+\/mod\.ts$/.test(f))];
    assert.ok(entries.length >= 5, `entry points: ${entries.join(", ")}`);
    let checked = 0;
    for (const entry of entries) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["info", "--json", "--no-lock", entry],
        cwd: rootPath,
        env: { NO_COLOR: "1" },
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
      const graph = JSON.parse(new TextDecoder().decode(out.stdout)) as {
        modules: Array<{ specifier: string; dependencies?: Array<{ specifier: string }> }>;
      };
      for (const mod of graph.modules) {
        if (!mod.specifier.startsWith("file://")) continue;
        const path = decodeURIComponent(new URL(mod.specifier).pathname);
        const deno = (mod.dependencies ?? []).map((d) => d.specifier).sort();
        const ours = [...new Set(importSpecifiers(await Deno.readTextFile(path)))].sort();
        assert.deepEqual(ours, deno, path);
        checked++;
      }
    }
    assert.ok(checked >= entries.length);
  });

  await t.step(
    `every import in core/, arch/, plugins/, scenario/, cli/, mod.ts and cli.ts is URL-safe`,
    async () => {
      assert.ok(files.some((f) => f.endsWith("/scenario/load.ts")), "scenario/ was not walked");
      assert.ok(files.some((f) => f.endsWith("/core/machine.ts")), "core/ was not walked");
      assert.ok(files.some((f) => f.endsWith("/plugins/ftrace/mod.ts")), "plugins/ was not walked");
      const bad: string[] = [];
      let total = 0;
      for (const file of files) {
        for (const spec of importSpecifiers(await Deno.readTextFile(file))) {
          total++;
          const why = badSpecifier(spec);
          if (why !== null) bad.push(`${file.slice(rootPath.length + 1)}: "${spec}": ${why}`);
        }
      }
      assert.ok(total > 0, "no imports found at all");
      assert.deepEqual(bad, []);
    },
  );
});
