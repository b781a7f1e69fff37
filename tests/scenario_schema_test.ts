/**
 * The JSON Schema (`schema/scenario.v1.json`) and the loader agree: the
 * schema is a valid draft 2020-12 schema (Ajv compiles it in strict mode, except that
 * `required` in an `if`, `not` or `anyOf` may name properties listed beside it),
 * it lists exactly the keys the loader accepts for each object, every op
 * and every timing cost, and it accepts and rejects the same documents as
 * the loader wherever a schema can tell (it cannot count CPUs or look up
 * work names; those cases are marked and checked to pass the schema).
 *
 * @module
 */

import assert from "node:assert/strict";
import Ajv2020 from "npm:ajv@8.17.1/dist/2020.js";
import { DEFAULT_TIMING } from "../mod.ts";
import { KEYS, OP_FIELDS } from "../scenario/keys.ts";
import { loadScenario } from "../scenario/mod.ts";
import { ARCH_NAMES, LATENCY_TOOLS, WORKLOAD_NAMES } from "../scenario/types.ts";
import { BAD, VALID } from "./scenario_cases.ts";

// deno-lint-ignore no-explicit-any
type Json = any;
const schema: Json = JSON.parse(
  await Deno.readTextFile(new URL("../schema/scenario.v1.json", import.meta.url)),
);
// deno-lint-ignore no-explicit-any
const ajv = new (Ajv2020 as any)({ strict: true, strictRequired: false, allErrors: true });
const validate = ajv.compile(schema);
const examples = new URL("../examples/scenarios/", import.meta.url);

Deno.test("schema: a draft 2020-12 schema that Ajv compiles in strict mode", () => {
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(typeof validate, "function");
});

Deno.test("schema: each object lists exactly the keys the loader accepts", () => {
  const defs: Record<string, Json> = schema.$defs;
  for (const [name, keys] of Object.entries(KEYS)) {
    assert.ok(defs[name] !== undefined, `the schema has no $defs/${name}`);
    assert.deepEqual(Object.keys(defs[name].properties).sort(), [...keys].sort(), `$defs/${name}`);
    assert.equal(defs[name].additionalProperties, false, `$defs/${name} must refuse unknown keys`);
  }
  const objectDefs = Object.entries(defs).filter(([, d]) =>
    d.type === "object" && d.properties !== undefined
  );
  for (const [name] of objectDefs) assert.ok(name in KEYS, `the loader has no key list for $defs/${name}`);
  assert.deepEqual(Object.keys(defs.timing.properties), Object.keys(DEFAULT_TIMING));
});

Deno.test("schema: one variant per op, with the loader's fields", () => {
  const variants: Json[] = schema.$defs.op.oneOf;
  const byName = Object.fromEntries(variants.map((v) => [v.properties.op.const, v]));
  assert.deepEqual(Object.keys(byName).sort(), Object.keys(OP_FIELDS).sort());
  for (const [op, fields] of Object.entries(OP_FIELDS)) {
    assert.deepEqual(Object.keys(byName[op].properties).sort(), ["op", ...fields].sort(), op);
    assert.deepEqual([...byName[op].required].sort(), ["op", ...fields].sort(), op);
    assert.equal(byName[op].additionalProperties, false, op);
  }
});

Deno.test("schema: the names it lists are the loader's (arches, workloads, tools)", () => {
  assert.deepEqual(schema.$defs.archName.enum, [...ARCH_NAMES]);
  assert.deepEqual(schema.$defs.workWorkload.properties.workload.enum, [...WORKLOAD_NAMES]);
  assert.deepEqual(schema.$defs.latency.properties.tool.enum, [...LATENCY_TOOLS]);
});

Deno.test("schema: accepts what the loader accepts, the examples and the README's sample included", async () => {
  const docs = VALID.map((v) => ({ name: v.name, doc: v.doc() }));
  for await (const entry of Deno.readDir(examples)) {
    docs.push({ name: entry.name, doc: JSON.parse(await Deno.readTextFile(new URL(entry.name, examples))) });
  }
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  const sample = readme.match(/## Scenario files[\s\S]*?```json\n([\s\S]*?)```/)?.[1];
  assert.ok(sample !== undefined, "README.md shows a scenario file");
  docs.push({ name: "README.md's sample", doc: JSON.parse(sample) });
  for (const { name, doc } of docs) {
    loadScenario(doc);
    assert.ok(validate(doc), `${name}: ${ajv.errorsText(validate.errors)}`);
  }
});

Deno.test("schema: rejects what the loader rejects, where a schema can tell", async (t) => {
  for (const c of BAD) {
    await t.step(c.name, () => {
      assert.throws(() => loadScenario(c.doc()));
      assert.equal(
        validate(c.doc()),
        !c.schema,
        c.schema ? "the schema accepts it" : "the schema cannot tell",
      );
    });
  }
});
