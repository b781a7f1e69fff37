/**
 * Plugins are checked as a whole when the machine is built: a factory passed
 * without calling it is named as such, each slot is checked in its shape with
 * a message naming the plugin and the slot, and one plugin object serves one
 * machine, once.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, ftrace, type Plugin } from "../mod.ts";
import { NON_RT_LOCKING, NON_RT_POLICY, SEQUENTIAL_CONSISTENCY } from "../core/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";
import { contextChecker } from "../plugins/checker/mod.ts";

function build(...plugins: unknown[]) {
  return createMachine({ arch: x86(), cpus: 2, plugins: plugins as Plugin[] });
}

Deno.test("plugins: a factory passed without calling it", () => {
  for (
    const [factory, name] of [[preemptRt, "preemptRt"], [ftrace, "ftrace"], [
      contextChecker,
      "contextChecker",
    ]]
  ) {
    assert.throws(() => build(factory), {
      name: "TypeError",
      message:
        `Machine option plugins[0] is the function ${name}, a plugin factory passed without calling it: ` +
        `did you mean ${name}()?`,
    });
  }
  assert.throws(() => build(ftrace(), preemptRt), {
    message: /^Machine option plugins\[1\] is the function preemptRt/,
  });
});

Deno.test("plugins: one plugin object serves one machine, once", async (t) => {
  await t.step("the same object twice in one machine", () => {
    const tracer = ftrace();
    assert.throws(() => build(tracer, tracer), {
      name: "Error",
      message: 'Plugin "ftrace" is listed twice in the machine\'s plugins (at 0 and 1); ' +
        "a plugin object serves one machine, once",
    });
    const checker = contextChecker();
    assert.throws(() => build(checker, ftrace(), checker), {
      message: /"context-checker" is listed twice.*at 0 and 2/,
    });
  });
  await t.step("one tracer given to two machines", () => {
    const tracer = ftrace();
    build(tracer);
    assert.throws(() => build(tracer), {
      name: "Error",
      message: 'Plugin "ftrace" already serves another machine; a plugin object serves one machine ' +
        "(make a new one for each machine, e.g. ftrace() again)",
    });
  });
  await t.step("a plugin in a build that failed is still free", () => {
    const tracer = ftrace();
    assert.throws(() => createMachine({ arch: x86(), cpus: 0, plugins: [tracer] }));
    assert.throws(() => build(tracer, preemptRt, tracer));
    build(tracer);
  });
});

Deno.test("plugins: each slot is checked in its shape, naming the plugin and the slot", async (t) => {
  const cases: [string, unknown, RegExp][] = [
    [
      "an empty policy object",
      { name: "p", irqWorkPolicy: {} },
      /^Plugin "p": slot irqWorkPolicy must be an IrqWorkPolicy \(name, joinsLazyList\(\), remoteThroughLazyList\(\), handleLazyList\(\), nonHardWaitersSleep, drainNeedsIrqsOff\); its name must be a string, got undefined$/,
    ],
    [
      "a policy lacking one answer",
      { name: "p", irqWorkPolicy: { ...NON_RT_POLICY, drainNeedsIrqsOff: "yes" } },
      /slot irqWorkPolicy .*; its drainNeedsIrqsOff must be a boolean, got "yes" \(string\)$/,
    ],
    [
      "a number as the locking answer",
      { name: "locks", locking: 1 },
      /^Plugin "locks": slot locking must be a LockingPolicy \(name, spinlockSleeps, spinLock\(\), spinUnlock\(\)\), got 1 \(number\)$/,
    ],
    [
      "a memory model without a fence",
      { name: "tso", memoryModel: { ...SEQUENTIAL_CONSISTENCY, fence: undefined } },
      /^Plugin "tso": slot memoryModel must be a MemoryModel .*; its fence must be a function, got undefined$/,
    ],
    [
      "a number as an observer",
      { name: "obs", observers: [() => {}, 5] },
      /^Plugin "obs": observers\[1\] must be a function of a trace event, got 5 \(number\)$/,
    ],
    [
      "observers that are not a list",
      { name: "obs", observers: () => {} },
      /^Plugin "obs": observers must be an array, got the function observers$/,
    ],
    [
      "setup that is not a function",
      { name: "s", setup: "go" },
      /^Plugin "s": setup must be a function, got "go" \(string\)$/,
    ],
    [
      "a plugin without a name",
      { observers: [] },
      /^Machine option plugins\[0\] must be a plugin, each with a name: its name is undefined$/,
    ],
    [
      "a plugin that is a string",
      "preempt_rt",
      /^Machine option plugins\[0\] must be a plugin .*got "preempt_rt" \(string\)$/,
    ],
  ];
  for (const [what, plugin, message] of cases) {
    await t.step(what, () => {
      assert.throws(() => build(plugin), { message });
    });
  }
});

Deno.test("plugins: per-CPU thread descriptions are checked", async (t) => {
  const good = {
    comm: "mythread/%u",
    policy: "fifo",
    priority: 1,
    store: () => {},
    threadShouldRun: () => false,
    *threadFn() {},
  };
  const cases: [string, object, RegExp][] = [
    [
      "without a name",
      { ...good, comm: undefined },
      /^Plugin "t": threads\[0\] must be an SmpHotplugThread \(comm, policy, store\(\), threadShouldRun\(\), threadFn\(\)\); its comm must be a string, got undefined$/,
    ],
    [
      "a bad policy",
      { ...good, policy: "deadline" },
      /^Plugin "t": threads\[0\]: policy must be "fifo", "rr" or "other", got "deadline" \(string\)$/,
    ],
    [
      "a bad priority",
      { ...good, priority: 0 },
      /^Plugin "t": threads\[0\]: SCHED_FIFO priority must be 1\.\.99, got 0 \(number\)$/,
    ],
    [
      "a name too long for the last CPU",
      { ...good, comm: "a_longer_thread/%u" },
      /^Plugin "t": threads\[0\]: comm must be a string of 1 to 15 bytes .*got "a_longer_thread\/1" \(string\)$/,
    ],
    ["without a body", { ...good, threadFn: 3 }, /its threadFn must be a function, got 3 \(number\)$/],
  ];
  for (const [what, thread, message] of cases) {
    await t.step(what, () => {
      assert.throws(() => build({ name: "t", threads: [thread] }), { message });
    });
  }
  await t.step("the good one builds and its thread exists", () => {
    const m = build({ name: "t", threads: [good] });
    assert.deepEqual(m.kernel.tasks.filter((k) => k.comm.startsWith("mythread")).map((k) => k.comm), [
      "mythread/0",
      "mythread/1",
    ]);
  });
});

Deno.test("plugins: whole plugins and slots that are right still build", () => {
  build(
    { name: "locks", locking: NON_RT_LOCKING },
    { name: "sc", memoryModel: SEQUENTIAL_CONSISTENCY },
    ftrace(),
  );
  build(preemptRt(), contextChecker(), { name: "extra", observers: [], counts: [1, 2] });
});
