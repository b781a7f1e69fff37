/** The README's API example runs as printed (its relative imports resolved against the repo). */

import assert from "node:assert/strict";

Deno.test("README: the short API example runs and shows a hard-IRQ run on CPU 1", async () => {
  const root = new URL("../", import.meta.url);
  const readme = await Deno.readTextFile(new URL("README.md", root));
  const example = readme.match(/```ts\n([\s\S]*?)```/)?.[1];
  assert.ok(example !== undefined, "README.md has a ```ts example");
  const code = example.replaceAll(/from "\.\/([^"]+)"/g, (_, path) => `from "${new URL(path, root).href}"`);
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/example.ts`;
    await Deno.writeTextFile(file, code);
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--no-lock", file],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const stdout = new TextDecoder().decode(out.stdout);
    assert.match(stdout, /# tracer: nop/);
    assert.match(stdout, /call_function_single_entry: vector=251/);
    assert.match(stdout, /cpu: 1,\s+context: "hardirq"/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
