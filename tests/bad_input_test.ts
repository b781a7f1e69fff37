/**
 * Bad input gets a clear error: the message names what was wrong and, where
 * it helps, what is allowed. Errors in scenario code (a task body) surface
 * from the `runUntil` that ran it.
 */

import assert from "node:assert/strict";
import {
  type Arch,
  type Context,
  createMachine,
  initIrqWork,
  type IrqWork,
  irqWorkInit,
  type Kernel,
  type Machine,
  type Plugin,
  RawSpinlock,
  ScenarioError,
  Spinlock,
} from "../mod.ts";
import { NON_RT_LOCKING } from "../core/mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { arm64 } from "../arch/arm64/mod.ts";
import { NON_RT_POLICY } from "../core/irq_work.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

function machine4(): Machine {
  return createMachine({ arch: arm64(), cpus: 4 });
}

Deno.test("bad input: a CPU that does not exist", async (t) => {
  await t.step("spawn on CPU 7 of 4", () => {
    const m = machine4();
    assert.throws(
      () => m.spawn({ cpu: 7, name: "lost" }, function* () {}),
      { name: "RangeError", message: /^Cannot spawn .*"lost".* CPU 7: the machine has 4 CPUs$/ },
    );
  });
  await t.step("spawn on CPU -1 and CPU 1.5", () => {
    const m = machine4();
    for (const cpu of [-1, 1.5, NaN]) {
      assert.throws(
        () => m.spawn({ cpu, name: "lost" }, function* () {}),
        { name: "RangeError", message: new RegExp(`CPU ${cpu}: the machine has 4 CPUs`) },
      );
    }
  });
  await t.step("queueOn CPU 9 from a task: runUntil throws", () => {
    const m = machine4();
    m.spawn({ cpu: 0, name: "q", at: 1_000 }, function* (ctx) {
      yield* ctx.queueOn(irqWorkInit(() => {}), 9);
    });
    assert.throws(() => m.runUntil(1_000_000), {
      name: "ScenarioError",
      message:
        /^Code running on CPU 0 \(task context, current task q\) threw at \d+ ns: Cannot queue work on CPU 9: the machine has 4 CPUs$/,
    });
  });
  await t.step("callFunctionSingle to CPU 4 from a task: runUntil throws", () => {
    const m = machine4();
    m.spawn({ cpu: 0, name: "q", at: 1_000 }, function* (ctx) {
      yield* ctx.callFunctionSingle(4, () => {}, true);
    });
    assert.throws(() => m.runUntil(1_000_000), { message: /CPU 4: the machine has 4 CPUs/ });
  });
  await t.step("NMI to CPU 4, setCpuOnline of CPU 5", () => {
    const m = machine4();
    assert.throws(() => m.nmi(4, 1_000, function* () {}), {
      name: "RangeError",
      message: /^Cannot send an NMI to CPU 4: the machine has 4 CPUs$/,
    });
    assert.throws(() => m.setCpuOnline(5, false), {
      name: "RangeError",
      message: /CPU 5: the machine has 4 CPUs/,
    });
  });
});

Deno.test("bad input: negative or past times", async (t) => {
  await t.step("runUntil into the past", () => {
    const m = machine4();
    m.runUntil(5_000_000);
    assert.throws(() => m.runUntil(4_000_000), {
      name: "RangeError",
      message: /Cannot run until 4000000 ns: the clock is already at 5000000 ns/,
    });
    assert.throws(() => m.runFor(-1), { name: "RangeError", message: /Cannot run for -1 ns/ });
    assert.throws(() => m.runUntil(NaN), { name: "RangeError", message: /Cannot run until NaN ns/ });
  });
  await t.step("spawn at -5", () => {
    const m = machine4();
    assert.throws(() => m.spawn({ cpu: 0, name: "early", at: -5 }, function* () {}), {
      name: "RangeError",
      message: /"early".*start time -5 ns.*not before now \(0 ns\)/,
    });
  });
  await t.step("spawn in the past and at a fractional time", () => {
    const m = machine4();
    m.runUntil(1_000_000);
    assert.throws(() => m.spawn({ cpu: 0, name: "late", at: 999_999 }, function* () {}), {
      message: /start time 999999 ns/,
    });
    assert.throws(() => m.spawn({ cpu: 0, name: "frac", at: 1_000_000.5 }, function* () {}), {
      message: /start time 1000000\.5 ns must be a whole number of ns/,
    });
  });
  await t.step("NMI at -1", () => {
    const m = machine4();
    assert.throws(() => m.nmi(0, -1, function* () {}), {
      name: "RangeError",
      message: /Cannot NMI on CPU 0 at -1 ns/,
    });
  });
  await t.step("sleep(-1) and spend(-1) in a task: runUntil throws", () => {
    for (
      const [what, body] of [
        ["sleep", /Cannot sleep -1 ns/],
        ["spend", /Cannot spend -1 ns/],
      ] as const
    ) {
      const m = machine4();
      m.spawn({ cpu: 1, name: "neg", at: 1_000 }, function* (ctx) {
        if (what === "sleep") yield* ctx.sleep(-1);
        else yield* ctx.spend(-1);
      });
      assert.throws(() => m.runUntil(1_000_000), { name: "ScenarioError", message: body });
    }
  });
});

Deno.test("bad input: machine options", async (t) => {
  await t.step("unknown arch", () => {
    assert.throws(
      () => createMachine({ arch: "sparc" as unknown as Arch }),
      { name: "TypeError", message: /Machine option arch must be an Arch/ },
    );
    assert.throws(
      () => createMachine({} as unknown as { arch: Arch }),
      { name: "TypeError", message: /option arch/ },
    );
  });
  await t.step("two plugins each with an irq_work policy", () => {
    const one: Plugin = { name: "rt-one", irqWorkPolicy: NON_RT_POLICY };
    const two: Plugin = { name: "rt-two", irqWorkPolicy: { ...NON_RT_POLICY, name: "other" } };
    assert.throws(() => createMachine({ arch: x86(), plugins: [one, two] }), {
      message: /"rt-one".*"rt-two".*irq_work policy/,
    });
    // One policy plus plain observers is fine.
    createMachine({ arch: x86(), plugins: [one, { name: "obs", observers: [() => {}] }] });
  });
  await t.step("two plugins each filling the locking slot", () => {
    const rt = preemptRt();
    const lk: Plugin = { name: "my-locks", locking: { ...NON_RT_LOCKING, name: "mine" } };
    assert.throws(() => createMachine({ arch: x86(), plugins: [rt, lk] }), {
      message: /^Plugins "preempt_rt" and "my-locks" both fill the locking slot/,
    });
    const lk2: Plugin = { name: "other-locks", locking: NON_RT_LOCKING };
    assert.throws(() => createMachine({ arch: arm64(), plugins: [lk, lk2] }), {
      message: /"my-locks".*"other-locks".*locking slot/,
    });
    // One locking plugin alone is fine, and its answer is the machine's.
    assert.equal(createMachine({ arch: x86(), plugins: [lk] }).kernel.locking.parts.policy.name, "mine");
    assert.equal(
      createMachine({ arch: x86(), plugins: [rt] }).kernel.locking.parts.policy.spinlockSleeps,
      true,
    );
  });
  await t.step("cpus 0, 2000, 1.5, -1", () => {
    for (const cpus of [0, 2000, 1.5, -1]) {
      assert.throws(() => createMachine({ arch: x86(), cpus }), {
        name: "RangeError",
        message: new RegExp(`Machine option cpus must be 1\\.\\.1024, got ${cpus}`),
      });
    }
  });
  await t.step("x86 without a local APIC and 2 CPUs", () => {
    assert.throws(() => createMachine({ arch: x86({ apic: false }), cpus: 2 }), {
      name: "RangeError",
      message: /Arch x86-nolapic supports at most 1 CPU\(s\), asked for 2/,
    });
  });
  await t.step("unknown option keys", () => {
    assert.throws(
      () => createMachine({ arch: x86(), cpu: 2 } as unknown as { arch: Arch }),
      { name: "TypeError", message: /Unknown machine option "cpu"; known: .*cpus/ },
    );
    assert.throws(
      () => createMachine({ arch: x86(), timing: { ipiLatencyNs: 5 } as unknown as { tickNs: number } }),
      { name: "TypeError", message: /Unknown timing "ipiLatencyNs"/ },
    );
  });
  await t.step("bad HZ", () => {
    for (const hz of [0, -250, 250.5, 20_000, NaN]) {
      assert.throws(() => createMachine({ arch: x86(), hz }), {
        name: "RangeError",
        message: new RegExp(`Machine option hz must be 1\\.\\.10000, got ${hz}`),
      });
    }
  });
  await t.step("bad idle mode and kernel version", () => {
    assert.throws(() => createMachine({ arch: x86(), idle: "spin" as "poll" }), {
      message: /Machine option idle must be "halt" or "poll", got "spin"/,
    });
    assert.throws(() => createMachine({ arch: x86(), kernel: "B" }), {
      message: /Unknown kernel "B"/,
    });
  });
  await t.step("an unknown kernel names the forms allowed", () => {
    for (const kernel of ["E", "c", "", "6.x", "6.1.192-rc1", "v6.1"]) {
      assert.throws(() => createMachine({ arch: x86(), kernel }), {
        name: "RangeError",
        message: new RegExp(
          `^Unknown kernel "${kernel.replace(".", "\\.")}": use a release such as "6\\.1", "6\\.1\\.192", ` +
            `"5\\.15-rt" or "mainline" \\(7\\.1\\), or an alias: seed, C, D$`,
        ),
      });
    }
    assert.throws(() => createMachine({ arch: x86(), kernel: 6.1 as unknown as string }), {
      name: "TypeError",
      message: /^Machine option kernel must be a version string, got 6\.1$/,
    });
    // The known ones are accepted.
    for (const kernel of ["seed", "C", "D", "5.15", "5.15-rt", "6.1.192", "5.15.19-rt29", "mainline"]) {
      assert.equal(createMachine({ arch: x86(), kernel }).kernel.profile.name, kernel);
    }
  });
  await t.step("a kernel older than the model covers", () => {
    assert.throws(() => createMachine({ arch: x86(), kernel: "5.10.13" }), {
      name: "RangeError",
      message: /^Kernel "5\.10\.13" is older than 5\.15, the oldest release the model covers/,
    });
  });
  await t.step("bad fixes: unknown commit, non-boolean switch, not an object", () => {
    for (const commit of ["deadbeef0000", "91840", "not-a-commit"]) {
      assert.throws(() => createMachine({ arch: x86(), fixes: { [commit]: false } }), {
        name: "RangeError",
        message: new RegExp(
          `^Unknown fix "${commit}" in machine option fixes; known commits: 539fbb5be0da \\(`,
        ),
      });
    }
    assert.throws(
      () => createMachine({ arch: x86(), fixes: { "91840be8f710": "off" as unknown as boolean } }),
      {
        name: "TypeError",
        message: /^Fix "91840be8f710" must be switched with true or false, got "off"$/,
      },
    );
    assert.throws(() => createMachine({ arch: x86(), fixes: [] as unknown as Record<string, boolean> }), {
      name: "TypeError",
      message: /^Machine option fixes must be an object of commit: true\|false, got \[\]$/,
    });
    // A whole commit id and a 7-digit prefix both name the row.
    const full = createMachine({
      arch: x86(),
      kernel: "6.1",
      fixes: { "91840be8f710370607f949a627e070896faeddb8": true },
    });
    assert.equal(full.kernel.profile.rcuProtectedSync, true);
    assert.equal(
      createMachine({ arch: x86(), fixes: { "91840be": false } }).kernel.profile.rcuProtectedSync,
      false,
    );
  });
  await t.step("PREEMPT_RT without the per-CPU thread patch is refused", () => {
    assert.throws(
      () => createMachine({ arch: x86(), fixes: { b4c6f86ec2f6: false }, plugins: [preemptRt()] }),
      { name: "RangeError", message: /^preemptRt\(\) needs b4c6f86ec2f6 \(the per-CPU irq_work thread\)/ },
    );
  });
  await t.step("bad seed: not a whole number, negative, or beyond 32 bits (not cut silently)", () => {
    for (const seed of [1.5, NaN, -1, 2 ** 32, 2 ** 32 + 1]) {
      assert.throws(() => createMachine({ arch: x86(), seed }), {
        name: "RangeError",
        message: `Machine option seed must be 0..4294967295, got ${seed} (number)`,
      });
    }
    assert.throws(() => createMachine({ arch: x86(), seed: "1" as unknown as number }), {
      name: "TypeError",
      message: 'Machine option seed must be 0..4294967295, got "1" (string)',
    });
    // The bounds themselves are seeds.
    createMachine({ arch: x86(), seed: 0 });
    createMachine({ arch: x86(), seed: 2 ** 32 - 1 });
  });
  await t.step("an arch object that lacks the Arch fields", () => {
    // Has irqWorkRaise but no lines, timing or maxCpus: must be rejected up front, naming the option.
    const partial = { irqWorkRaise: function* () {} } as unknown as Arch;
    assert.throws(() => createMachine({ arch: partial, cpus: 2 }), {
      name: "TypeError",
      message: /Machine option arch/,
    });
  });
  await t.step("bad nohz (a string is not silently taken as true)", () => {
    assert.throws(
      () => createMachine({ arch: x86(), nohz: "no" as unknown as boolean }),
      { name: "TypeError", message: /Machine option nohz/ },
    );
  });
  await t.step("bad timing (a number is not silently ignored)", () => {
    assert.throws(
      () => createMachine({ arch: x86(), timing: 5 as unknown as { tickNs: number } }),
      { name: "TypeError", message: /Machine option timing/ },
    );
  });
  await t.step("bad plugins (not a list, or holding a non-plugin)", () => {
    for (const plugins of [{}, [null]]) {
      assert.throws(
        () => createMachine({ arch: x86(), plugins: plugins as unknown as Plugin[] }),
        { name: "TypeError", message: /Machine option plugins/ },
      );
    }
  });
});

Deno.test("bad input: task priorities and policies", async (t) => {
  const cases: [string, number, RegExp][] = [
    ["fifo", 0, /Task "t": SCHED_FIFO priority must be 1\.\.99, got 0/],
    ["fifo", 100, /Task "t": SCHED_FIFO priority must be 1\.\.99, got 100/],
    ["rr", 0, /SCHED_RR priority must be 1\.\.99, got 0/],
    ["fifo", 1.5, /SCHED_FIFO priority must be 1\.\.99, got 1\.5/],
    ["other", 5, /Task "t": SCHED_OTHER takes priority 0, got 5/],
  ];
  for (const [policy, priority, message] of cases) {
    await t.step(`${policy} ${priority}`, () => {
      const m = machine4();
      assert.throws(
        () => m.spawn({ cpu: 0, name: "t", policy: policy as "fifo", priority }, function* () {}),
        { name: "RangeError", message },
      );
    });
  }
  await t.step("unknown policy", () => {
    const m = machine4();
    assert.throws(
      () => m.spawn({ cpu: 0, name: "t", policy: "deadline" as "fifo" }, function* () {}),
      { name: "RangeError", message: /Task "t": unknown policy "deadline" \(use fifo, rr or other\)/ },
    );
  });
  await t.step("a rejected spawn leaves the machine unchanged", () => {
    const m = machine4();
    assert.throws(() => m.spawn({ cpu: 0, name: "bad", at: -5 }, function* () {}));
    const ok = m.spawn({ cpu: 0, name: "good" }, function* () {});
    assert.equal(ok.pid, 3 + 4 * m.kernel.cpus.length, "the rejected spawn did not use up a pid (rule 18.6)");
  });
});

Deno.test("bad input: a callback that throws is reported with the CPU, context, task and time", () => {
  const m = createMachine({ arch: x86(), cpus: 2 });
  const work = irqWorkInit(() => {
    throw new Error("callback exploded");
  }, "bad");
  m.spawn({ cpu: 0, name: "producer", at: 1_000_000 }, function* (ctx) {
    yield* ctx.queueOn(work, 1);
  });
  assert.throws(
    () => m.runUntil(2_000_000),
    (e: unknown) =>
      e instanceof ScenarioError &&
      /^Code running on CPU 1 \(hardirq context, current task swapper\/1\) threw at \d+ ns: callback exploded$/
        .test(e.message) &&
      e.cause instanceof Error,
  );
});

Deno.test("bad input: values are shown with their type, so a numeric string is not taken for a number", async (t) => {
  await t.step("cpus as a string", () => {
    assert.throws(() => createMachine({ arch: x86(), cpus: "2" as unknown as number }), {
      name: "TypeError",
      message: 'Machine option cpus must be 1..1024, got "2" (string)',
    });
  });
  await t.step("priority as a string", () => {
    const m = machine4();
    assert.throws(
      () => m.spawn({ cpu: 0, name: "t", policy: "fifo", priority: "50" as unknown as number }, () => {}),
      { name: "TypeError", message: 'Task "t": SCHED_FIFO priority must be 1..99, got "50" (string)' },
    );
  });
  await t.step("CPU number as a string", () => {
    const m = machine4();
    assert.throws(() => m.spawn({ cpu: "1" as unknown as number, name: "t" }, () => {}), {
      name: "TypeError",
      message: 'Cannot spawn Task "t" on CPU "1" (string): a CPU is a number 0..3',
    });
    assert.throws(() => m.nmi("0" as unknown as number, 0, () => {}), {
      name: "TypeError",
      message: 'Cannot send an NMI to CPU "0" (string): a CPU is a number 0..3',
    });
  });
  await t.step("hz and a timing as strings", () => {
    assert.throws(() => createMachine({ arch: x86(), hz: "250" as unknown as number }), {
      name: "TypeError",
      message: 'Machine option hz must be 1..10000, got "250" (string)',
    });
    assert.throws(() => createMachine({ arch: x86(), timing: { tickNs: "5" as unknown as number } }), {
      name: "TypeError",
      message: 'Timing tickNs must be a whole number of ns >= 0, got "5" (string)',
    });
  });
  await t.step("runUntil and runFor with a string", () => {
    const m = machine4();
    assert.throws(() => m.runUntil("5" as unknown as number), {
      name: "TypeError",
      message: 'Cannot run until "5" (string): time must be a whole number of nanoseconds',
    });
    assert.throws(() => m.runFor("5" as unknown as number), { name: "TypeError", message: /"5" \(string\)/ });
    assert.equal(m.now, 0, "nothing ran");
  });
});

Deno.test("bad input: timing keys are the timing's own, not inherited", () => {
  for (const key of ["toString", "constructor", "hasOwnProperty", "__proto__"]) {
    const timing = JSON.parse(`{"${key}": 5}`);
    assert.throws(() => createMachine({ arch: x86(), timing }), {
      name: "TypeError",
      message: new RegExp(
        `^Unknown timing "${key}"; known: irqWorkClaimNs, irqWorkReleaseNs, llistAddNs, llistDelAllNs, ` +
          `callSingleQueueNs, wakeUpNs, contextSwitchNs, tickNs, cpuRelaxNs, spinLimitNs$`,
      ),
    });
  }
  // A spin loop polling every 0 ns would never let time advance.
  assert.throws(() => createMachine({ arch: x86(), timing: { cpuRelaxNs: 0 } }), {
    name: "RangeError",
    message: "Timing cpuRelaxNs must be a whole number of ns >= 1, got 0 (number)",
  });
});

Deno.test("bad input: arch options and arch facts", async (t) => {
  await t.step('x86({ apic: "no" }) is not an APIC machine', () => {
    assert.throws(() => x86({ apic: "no" as unknown as boolean }), {
      name: "TypeError",
      message: 'x86 option apic must be true or false, got "no" (string)',
    });
    assert.throws(() => x86({ apci: false } as unknown as { apic: boolean }), {
      name: "TypeError",
      message: 'Unknown x86 option "apci"; known: apic',
    });
  });
  await t.step("an arch factory passed without calling it", () => {
    assert.throws(() => createMachine({ arch: x86 as unknown as Arch }), {
      name: "TypeError",
      message: /got the function x86, an arch factory passed without calling it: did you mean x86\(\)\?$/,
    });
  });
  await t.step("negative, fractional, NaN or string interrupt costs", () => {
    const cases: [string, unknown, string][] = [
      ["irqEntryNs", -300, "-300 (number)"],
      ["irqEntryNs", -1e9, "-1000000000 (number)"],
      ["irqEntryNs", 0.5, "0.5 (number)"],
      ["irqExitNs", NaN, "NaN (number)"],
      ["ipiLatencyNs", "1000", '"1000" (string)'],
      ["ipiLatencyNs", undefined, "undefined"],
    ];
    for (const [key, value, shown] of cases) {
      const base = arm64();
      const arch = { ...base, timing: { ...base.timing, [key]: value } } as Arch;
      assert.throws(() => createMachine({ arch, cpus: 2 }), {
        name: value === undefined || typeof value === "string" ? "TypeError" : "RangeError",
        message: `Arch arm64: timing.${key} must be a whole number of ns >= 0, got ${shown}`,
      });
    }
  });
  await t.step("bad lines and maxCpus", () => {
    const base = arm64();
    assert.throws(() => createMachine({ arch: { ...base, maxCpus: 0 } }), {
      message: "Arch arm64: maxCpus must be a whole number >= 1, got 0 (number)",
    });
    const noResched = { ...base, lines: base.lines.filter((l) => l.kind !== "reschedule") };
    assert.throws(() => createMachine({ arch: noResched, cpus: 2 }), {
      message: /^Arch arm64 has no reschedule interrupt line; a machine of 2 CPUs needs/,
    });
    const badKind = { ...base, lines: [{ ...base.lines[0]!, kind: "nmi" as "timer" }] };
    assert.throws(() => createMachine({ arch: badKind }), {
      message:
        /^Arch arm64: lines\[0\]\.kind must be one of timer, reschedule, call_function_single, irq_work, got "nmi" \(string\)$/,
    });
  });
});

Deno.test("bad input: task names the kernel could not hold are refused", async (t) => {
  const cases: [unknown, string][] = [
    [42, "42 (number)"],
    [undefined, "undefined"],
    ["", '"" (string)'],
    ["evil\n  forged-1 [000] .....", '"evil\\n  forged-1 [000] ....." (string)'],
    ["tab\there", '"tab\\there" (string)'],
    ["sixteen_chars_xx", '"sixteen_chars_xx" (string)'],
    ["ünïcödé_ñämé", '"ünïcödé_ñämé" (string)'], // 12 characters, 17 bytes
  ];
  for (const [name, shown] of cases) {
    await t.step(JSON.stringify(name) ?? "undefined", () => {
      const m = machine4();
      assert.throws(() => m.spawn({ cpu: 0, name: name as string }, () => {}), {
        name: typeof name === "string" ? "RangeError" : "TypeError",
        message: "Machine.spawn: a task name must be a string of 1 to 15 bytes (UTF-8) without control " +
          `characters (the kernel's TASK_COMM_LEN is 16, NUL included), got ${shown}`,
      });
    });
  }
  await t.step("15 bytes is the longest name", () => {
    const m = machine4();
    assert.equal(m.spawn({ cpu: 0, name: "fifteen_chars_x" }, () => {}).comm, "fifteen_chars_x");
  });
});

Deno.test("bad input: works, locks and objects with names that would forge trace lines, and wrong types", () => {
  for (const name of ["a\nb", "", "\x1b[31mred"]) {
    assert.throws(() => irqWorkInit(() => {}, name), {
      name: "RangeError",
      message: `An irq_work's name must be a non-empty string without control characters, got ${
        JSON.stringify(name)
      } (string)`,
    });
    assert.throws(() => new RawSpinlock(name), { name: "RangeError", message: /^A lock's name must be/ });
    assert.throws(() => new Spinlock(name), { name: "RangeError", message: /^A lock's name must be/ });
  }
  assert.throws(() => irqWorkInit("cb" as unknown as () => void), {
    name: "TypeError",
    message: 'An irq_work\'s callback must be a function of (work, ctx), got "cb" (string)',
  });
  assert.throws(() => initIrqWork({} as IrqWork, () => {}), {
    name: "TypeError",
    message: "initIrqWork needs an IrqWork, got {} (object)",
  });
  const m = machine4();
  m.spawn({ cpu: 0, name: "k" }, function* (ctx) {
    yield* ctx.kmalloc("obj\nforged");
  });
  assert.throws(() => m.runUntil(1_000_000), {
    name: "ScenarioError",
    message:
      /A kmalloc\(\)ed object's name must be a non-empty string without control characters, got "obj\\nforged" \(string\)$/,
  });
});

Deno.test("bad input: scenario calls with values of the wrong type", async (t) => {
  await t.step("NMI, scripted call and online state", () => {
    const m = machine4();
    assert.throws(() => m.nmi(0, "5" as unknown as number, () => {}), {
      name: "TypeError",
      message: /^Cannot NMI on CPU 0 at "5" \(string\): time must be a whole number of ns/,
    });
    assert.throws(() => m.nmi(0, 5, "handler" as unknown as () => void), {
      name: "TypeError",
      message: 'Cannot send an NMI to CPU 0: its handler must be a function, got "handler" (string)',
    });
    assert.throws(() => m.setCpuOnline(1, "no" as unknown as boolean), {
      name: "TypeError",
      message: 'Cannot set CPU 1 online to "no" (string): it must be true or false',
    });
    assert.throws(() => m.spawn({ cpu: 0, name: "t" }, "body" as unknown as () => void), {
      name: "TypeError",
      message: 'Task "t": the body must be a function of a Context, got "body" (string)',
    });
  });
  await t.step("sleep, spend and callFunctionSingle in a task", () => {
    const cases: [string, (ctx: Context) => Kernel<unknown>, RegExp][] = [
      [
        "sleep",
        (ctx) => ctx.sleep("10" as unknown as number),
        /Cannot sleep "10" \(string\): need whole ns >= 0$/,
      ],
      [
        "spend",
        (ctx) => ctx.spend("10" as unknown as number),
        /Cannot spend "10" \(string\): CPU time must be/,
      ],
      [
        "callFunctionSingle",
        (ctx) => ctx.callFunctionSingle(1, () => {}, "yes" as unknown as boolean),
        /callFunctionSingle\(1, func, wait\) needs a function and true or false, got a function and "yes" \(string\)$/,
      ],
    ];
    for (const [what, body, message] of cases) {
      const m = machine4();
      m.spawn({ cpu: 0, name: "t" }, body);
      assert.throws(() => m.runUntil(1_000_000), { name: "ScenarioError", message }, what);
    }
  });
});
