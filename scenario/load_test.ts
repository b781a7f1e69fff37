/** The loader: defaults filled in, and every bad-input case rejected with its field path and reason. */

import assert from "node:assert/strict";
import { BAD, base, VALID } from "../tests/scenario_cases.ts";
import { loadScenario, ScenarioFileError } from "./mod.ts";

Deno.test("loadScenario accepts every valid document", () => {
  for (const { name, doc } of VALID) {
    assert.doesNotThrow(() => loadScenario(doc()), name);
  }
});

Deno.test("loadScenario fills in the defaults", () => {
  const s = loadScenario(base());
  assert.equal(s.name, "scenario");
  assert.equal(s.description, "");
  assert.deepEqual(s.machine, { arch: { name: "x86" }, cpus: 4, rt: false, seed: 1, checker: true });
  assert.deepEqual(s.tasks[0], {
    name: "t",
    cpu: 0,
    policy: "other",
    priority: 0,
    startNs: 0,
    repeat: 1,
    ops: [{ op: "queue", work: "rx" }],
  });
  assert.deepEqual(s.works[0], { name: "rx", flags: [], ops: [{ op: "spend", ns: 1_000 }] });
  assert.deepEqual(s.outputs, {});
  assert.deepEqual(s.irqs, []);
  assert.deepEqual(s.load, []);
  assert.equal(s.latency, undefined);
});

Deno.test("loadScenario fills in the defaults of generators and the latency section", () => {
  const doc = base();
  doc.load = [{ name: "g", kind: "periodic", cpu: 1, works: ["rx"], periodNs: 10 }];
  doc.latency = { tool: "cyclictest" };
  const s = loadScenario(doc);
  assert.deepEqual(s.load[0], {
    name: "g",
    cpu: 1,
    works: ["rx"],
    from: "task",
    policy: "fifo",
    priority: 50,
    startNs: 0,
    arrival: { kind: "periodic", periodNs: 10 },
  });
  const defaults = {
    cpus: [0, 1, 2, 3],
    policy: "fifo",
    priority: 95,
    intervalNs: 1_000_000,
    relative: false,
    startNs: 0,
  };
  assert.deepEqual(s.latency, [{ tool: "cyclictest", ...defaults }]);
  // A list of measurements: each read as one, at its own path.
  doc.latency = [{ tool: "cyclictest", priority: 98 }, { tool: "timerlat" }];
  assert.deepEqual(loadScenario(doc).latency, [
    { tool: "cyclictest", ...defaults, priority: 98 },
    { tool: "timerlat", ...defaults },
  ]);
  doc.latency = [{ tool: "timerlat" }, { tool: "cyclictst" }];
  assert.throws(() => loadScenario(doc), {
    message: /^latency\[1\]\.tool: unknown measuring tool "cyclictst"/,
  });
  doc.latency = [];
  assert.throws(() => loadScenario(doc), { message: /^latency: is an empty list/ });
});

Deno.test("loadScenario is pure: it leaves the document as it was", () => {
  const doc = base();
  const before = JSON.stringify(doc);
  loadScenario(doc);
  assert.equal(JSON.stringify(doc), before);
});

Deno.test("loadScenario rejects bad documents naming the field path and the reason", async (t) => {
  for (const c of BAD) {
    await t.step(c.name, () => {
      assert.throws(() => loadScenario(c.doc()), (e: unknown) => {
        assert.ok(e instanceof ScenarioFileError, `${c.name}: ${e}`);
        assert.equal(e.message, c.message);
        assert.equal(e.issues.length, c.message.split("\n").length);
        return true;
      });
    });
  }
});
