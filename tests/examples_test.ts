/**
 * Golden-output tests: every example's standard output must equal its
 * `examples/NAME.out` byte for byte. Regenerate a golden file after an
 * intended change with `deno run examples/NAME.ts > examples/NAME.out`.
 *
 * @module
 */

import assert from "node:assert/strict";

const examples = new URL("../examples/", import.meta.url);
const names = [...Deno.readDirSync(examples)]
  .filter((e) => e.isFile && e.name.endsWith(".ts"))
  .map((e) => e.name.slice(0, -3))
  .sort();

Deno.test("examples: every example has a golden output file", () => {
  assert.ok(names.length >= 3, `expected at least 3 examples, found ${names.join(", ")}`);
  for (const name of names) {
    assert.ok(
      [...Deno.readDirSync(examples)].some((e) => e.name === `${name}.out`),
      `examples/${name}.ts has no golden file examples/${name}.out`,
    );
  }
});

for (const name of names) {
  Deno.test(`examples: ${name}.ts output matches ${name}.out`, async () => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", new URL(`${name}.ts`, examples).pathname],
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stderr = new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, `examples/${name}.ts failed:\n${stderr}`);
    const golden = await Deno.readTextFile(new URL(`${name}.out`, examples));
    assert.equal(new TextDecoder().decode(out.stdout), golden);
  });
}
