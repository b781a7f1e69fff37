/**
 * The CLI end to end, as a subprocess: the manual, every bad-input case
 * with its message and exit status 2 (never a stack trace), findings with
 * exit status 1, the outputs of a small scenario, overrides, and
 * byte-identical outputs from two runs of the same scenario and seed.
 *
 * @module
 */

import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);
const rootPath = decodeURIComponent(ROOT.pathname).replace(/\/$/, "");
const SMALL = `${rootPath}/examples/scenarios/small.json`;
const STORM = `${rootPath}/examples/scenarios/irq_storm_rt.json`;

interface Ran {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI with `args` (and Deno `permissions`) in `cwd`. */
async function cli(args: string[], options: { cwd?: string; permissions?: string[] } = {}): Promise<Ran> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      ...(options.permissions ?? ["--allow-read", "--allow-write"]),
      `${rootPath}/cli.ts`,
      ...args,
    ],
    cwd: options.cwd ?? rootPath,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** A bad-input run: status 2, nothing on stdout, one message and no stack trace. */
function assertBadInput(ran: Ran, message: string): void {
  assert.equal(ran.code, 2, ran.stderr);
  assert.equal(ran.stdout, "");
  assert.ok(ran.stderr.startsWith(message), `stderr:\n${ran.stderr}\nexpected to start with:\n${message}`);
  assert.doesNotMatch(ran.stderr, /^\s+at /m, "a stack trace");
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "irqemu-cli-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const USAGE_START = "usage: deno task sim -- SCENARIO.json";

Deno.test("cli: --help prints the manual page (also after deno task's --)", async () => {
  for (const args of [["--help"], ["--", "-h"]]) {
    const ran = await cli(args);
    assert.equal(ran.code, 0);
    assert.equal(ran.stderr, "");
    const sections = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES"];
    const at = sections.map((s) => ran.stdout.search(new RegExp(`^${s}$`, "m")));
    assert.ok(at.every((i) => i >= 0), `sections: ${at}`);
    assert.deepEqual([...at].sort((a, b) => a - b), at, "sections in man-page order");
    for (
      const option of ["--arch", "--cpus", "--rt", "--no-rt", "--kernel", "--seed", "--duration", "--out-dir"]
    ) {
      assert.match(ran.stdout, new RegExp(`^    .*${option}\\b`, "m"), option);
    }
    for (
      const option of ["--ftrace", "--perfetto", "--trace-dat", "--findings", "--report", "--quiet", "--help"]
    ) {
      assert.match(ran.stdout, new RegExp(`^    .*${option}\\b`, "m"), option);
    }
    assert.match(ran.stdout, /^ {4}0 {3}The run completed without findings\.$/m);
    assert.match(ran.stdout, /^ {4}1 {3}The run produced findings/m);
    assert.match(ran.stdout, /^ {4}2 {3}Bad input/m);
  }
});

Deno.test("cli: a wrong command line prints the usage and exits 2", async (t) => {
  const cases: [string[], string][] = [
    [["--bogus", SMALL], "irqemu: Unknown option '--bogus'\n"],
    [[SMALL, "-x"], "irqemu: Unknown option '-x'\n"],
    [[], "irqemu: no scenario file given\n"],
    [[SMALL, SMALL], `irqemu: one scenario file at a time, got 2: ${SMALL} ${SMALL}\n`],
    [[SMALL, "--cpus"], "irqemu: Option '-c, --cpus <value>' argument missing\n"],
    [[SMALL, "--cpus", "two"], "irqemu: --cpus must be a whole number, got 'two'\n"],
    [[SMALL, "--seed", "1e3"], "irqemu: --seed must be a whole number, got '1e3'\n"],
    [
      [SMALL, "--arch", "riscv"],
      "irqemu: --arch must be one of x86, arm64, powerpc, tick-only, got 'riscv'\n",
    ],
    [
      [SMALL, "--duration", "3fortnights"],
      "irqemu: --duration must be a time such as 500us, 20ms or 1.5s (whole ns, at least 1 ns), got '3fortnights'\n",
    ],
    [[SMALL, "-d", "0.5ns"], "irqemu: --duration must be a time such as 500us, 20ms or 1.5s"],
    [[SMALL, "--rt=yes"], "irqemu: Option '--rt' does not take an argument\n"],
    [[SMALL, "--ftrace="], "irqemu: --ftrace needs a file path\n"],
  ];
  for (const [args, message] of cases) {
    await t.step(args.join(" ") || "(no arguments)", async () => {
      const ran = await cli(args);
      assertBadInput(ran, message);
      assert.match(ran.stderr, new RegExp(`\\n${USAGE_START}`));
    });
  }
});

Deno.test("cli: a scenario that cannot be read or loaded is reported and exits 2", async (t) => {
  await withTempDir(async (dir) => {
    const write = async (name: string, text: string) => {
      await Deno.writeTextFile(`${dir}/${name}`, text);
      return `${dir}/${name}`;
    };
    const bad = await write(
      "bad.json",
      JSON.stringify({
        irqemu: 1,
        machine: { arch: "x86", cpus: 2 },
        tasks: [{ name: "t", cpu: 3, ops: [{ op: "queue", work: "rx" }] }],
        run: { durationNs: -1 },
      }),
    );
    const cases: [string, string[], string][] = [
      ["a missing file", [`${dir}/none.json`], `irqemu: cannot read ${dir}/none.json: no such file\n`],
      ["a directory", [dir], `irqemu: cannot read ${dir}: it is a directory\n`],
      [
        "not JSON",
        [await write("syntax.json", "{ irqemu: 1 }")],
        `irqemu: ${dir}/syntax.json is not valid JSON: Expected property name or '}' in JSON at position 2 ` +
        "(line 1 column 3)\n",
      ],
      [
        "every problem of a bad scenario",
        [bad],
        `irqemu: ${bad} is not a valid scenario:\n` +
        "  tasks[0].cpu: CPU 3 does not exist: the machine has 2 CPUs (0..1)\n" +
        '  tasks[0].ops[0].work: unknown work "rx"; the scenario defines no works (add them under "works")\n' +
        "  run.durationNs: must be a whole number of ns >= 1, got -1 (number) (it is negative)\n",
      ],
      [
        "an override that makes it bad",
        [SMALL, "--cpus", "1", "--no-rt"],
        `irqemu: ${SMALL} is not a valid scenario (with --cpus 1, --no-rt):\n` +
        "  tasks[0].ops[0].cpu: CPU 1 does not exist: the machine has 1 CPU (0..0)\n",
      ],
      [
        "a kernel override the model does not cover",
        [SMALL, "--kernel", "4.19"],
        `irqemu: ${SMALL} is not a valid scenario (with --kernel 4.19):\n  machine.kernel: Kernel "4.19" is older`,
      ],
      [
        "PREEMPT_RT on a kernel without the irq_work thread",
        [SMALL, "--rt", "--kernel", "5.15"],
        `irqemu: ${SMALL} is not a valid scenario (with --rt, --kernel 5.15):\n  machine.rt: PREEMPT_RT needs fix`,
      ],
    ];
    for (const [name, args, message] of cases) {
      await t.step(name, async () => assertBadInput(await cli(args), message));
    }
    await t.step("no permission to write an output", async () => {
      const ran = await cli([SMALL, "-o", dir], { permissions: ["--allow-read"] });
      assertBadInput(
        ran,
        `irqemu: cannot write the ftrace output of ${SMALL} to ${dir}/out/small.trace.txt: no write permission ` +
          "(run deno with --allow-write)\n",
      );
    });
    await t.step("an output path that is a directory", async () => {
      await Deno.mkdir(`${dir}/taken`);
      const ran = await cli([SMALL, "-o", dir, "--findings", `${dir}/taken`]);
      assertBadInput(ran, `irqemu: cannot write the findings output of ${SMALL} to ${dir}/taken: `);
    });
  });
});

Deno.test("cli: findings exit 1 and are written as JSON", async () => {
  await withTempDir(async (dir) => {
    const file = `${dir}/exit_irqs_off.json`;
    await Deno.writeTextFile(
      file,
      JSON.stringify({
        irqemu: 1,
        name: "irqs_off_at_exit",
        machine: { arch: "x86" },
        tasks: [{ name: "bad", cpu: 0, ops: [{ op: "irqDisable" }] }],
        run: { durationNs: 1_000_000 },
        outputs: { findings: "findings.json" },
      }),
    );
    const ran = await cli([file, "-o", dir]);
    assert.equal(ran.code, 1, ran.stderr);
    assert.equal(ran.stderr, "");
    assert.match(
      ran.stdout,
      /^findings: 1\n {2}0\.004 ms CPU 0 WARN: WARNING: CPU: 0 PID: 7 at kernel\/exit\.c do_exit$/m,
    );
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/findings.json`)), {
      scenario: "irqs_off_at_exit",
      end: "done",
      nowNs: 1_000_000,
      findings: [{
        time: 3_600,
        cpu: 0,
        level: "WARN",
        fatal: false,
        title: "WARNING: CPU: 0 PID: 7 at kernel/exit.c do_exit",
        message: "WARNING: CPU: 0 PID: 7 at kernel/exit.c do_exit\nWARN_ON(irqs_disabled())",
        context: "task",
        comm: "bad",
        pid: 7,
      }],
      dropped: 0,
    });
  });
});

const SMALL_SUMMARY =
  `scenario: small — a producer on CPU 0 queues a work on CPU 1 and waits for it, five times
machine: x86, 2 CPUs, HZ 250, kernel mainline, PREEMPT_RT off, seed 1
run: 10.000 ms of 10.000 ms simulated (complete), 283 events
irq_work: 6 runs
  rx_done: queued 5, ran 5 (hardirq 5); queue to start avg 1.40 µs, max 1.40 µs
  wake_up_klogd_work: queued 1, ran 1 (hardirq 1); queue to start avg 3894.24 µs, max 3894.24 µs
findings: 0
`;

Deno.test("cli: the small example's summary and outputs", async () => {
  await withTempDir(async (dir) => {
    const ran = await cli([SMALL, "--out-dir", dir]);
    assert.equal(ran.code, 0, ran.stderr);
    assert.equal(ran.stderr, "");
    const written = ["small.trace.txt", "small.findings.json", "small.report.txt"].map((f) =>
      `${dir}/out/${f}`
    );
    assert.equal(ran.stdout, SMALL_SUMMARY + written.map((p) => `wrote ${p}\n`).join(""));
    const trace = await Deno.readTextFile(written[0]!);
    assert.match(trace, /^# tracer: nop\n/);
    assert.equal(trace.match(/call_function_single_entry: vector=251/g)?.length, 5);
    // The LAZY klogd work waits for the tick at 4 ms.
    assert.match(
      trace,
      /^ +<idle>-0 +\[000\] d\.h1\. +0\.004001: irqemu_irq_work_execute_start: work=wake_up_klogd_work$/m,
    );
    assert.deepEqual(JSON.parse(await Deno.readTextFile(written[1]!)), {
      scenario: "small",
      end: "done",
      nowNs: 10_000_000,
      findings: [],
      dropped: 0,
    });
    assert.equal(await Deno.readTextFile(written[2]!), SMALL_SUMMARY);
    // --quiet: the same files, nothing on stdout.
    const quiet = await cli([SMALL, "-q", "-o", `${dir}/q`]);
    assert.equal(quiet.code, 0);
    assert.equal(quiet.stdout, "");
    assert.equal(await Deno.readTextFile(`${dir}/q/out/small.trace.txt`), trace);
  });
});

Deno.test("cli: overrides of arch, CPUs, RT, kernel, seed and duration, and output paths on the command line", async () => {
  await withTempDir(async (dir) => {
    const ran = await cli(
      [SMALL, "-a", "tick-only", "-c", "3", "--rt", "-k", "6.1.192", "-s", "5", "-d", "2ms", "-q"].concat(
        ["--report", `${dir}/r.txt`, "--perfetto", `${dir}/p.json`, "--trace-dat", `${dir}/t.dat`],
      ),
      { cwd: dir },
    );
    assert.equal(ran.code, 0, ran.stderr);
    const report = await Deno.readTextFile(`${dir}/r.txt`);
    assert.match(report, /^machine: tick-only, 3 CPUs, HZ 250, kernel 6\.1\.192, PREEMPT_RT on, seed 5$/m);
    assert.match(report, /^run: 2\.000 ms of 2\.000 ms simulated \(complete\)/m);
    assert.match(report, /rx_done: queued \d+, ran \d+ \(irq_work\/1 \d+\)/);
    const perfetto = JSON.parse(await Deno.readTextFile(`${dir}/p.json`));
    assert.ok(Array.isArray(perfetto.traceEvents) && perfetto.traceEvents.length > 0);
    const dat = await Deno.readFile(`${dir}/t.dat`);
    assert.deepEqual([...dat.subarray(0, 10)], [0x17, 0x08, 0x44, ...new TextEncoder().encode("tracing")]);
    // The scenario's own relative outputs went to the current directory.
    assert.ok((await Deno.stat(`${dir}/out/small.trace.txt`)).isFile);
  });
});

Deno.test("cli: the same scenario and seed give byte-identical outputs; the progress bar stays off a pipe", async () => {
  await withTempDir(async (dir) => {
    const runs = [];
    for (const out of ["a", "b"]) {
      const ran = await cli([STORM, "-d", "6ms", "-o", `${dir}/${out}`, "-q"]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(ran.stderr, "", "nothing on a standard error that is not a terminal");
      runs.push(out);
    }
    const names = [...Deno.readDirSync(`${dir}/a/out`)].map((e) => e.name).sort();
    assert.deepEqual(names, [
      "irq_storm_rt.findings.json",
      "irq_storm_rt.perfetto.json",
      "irq_storm_rt.report.txt",
      "irq_storm_rt.trace.dat",
      "irq_storm_rt.trace.txt",
    ]);
    for (const name of names) {
      const a = await Deno.readFile(`${dir}/a/out/${name}`);
      const b = await Deno.readFile(`${dir}/b/out/${name}`);
      assert.ok(a.length > 0, name);
      assert.deepEqual(a, b, `${name} differs between two runs`);
    }
    const other = await cli([STORM, "-d", "6ms", "-o", `${dir}/c`, "-q", "--seed", "8"]);
    assert.equal(other.code, 0);
    assert.notDeepEqual(
      await Deno.readFile(`${dir}/c/out/irq_storm_rt.trace.txt`),
      await Deno.readFile(`${dir}/a/out/irq_storm_rt.trace.txt`),
      "another seed, another trace",
    );
  });
});

Deno.test("cli: deno task sim -- FILE runs the documented entry", async () => {
  await withTempDir(async (dir) => {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "sim", "--", SMALL, "--out-dir", dir, "--quiet"],
      cwd: rootPath,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(await Deno.readTextFile(`${dir}/out/small.report.txt`), /^scenario: small/);
  });
});

/** `script` (util-linux) runs a command on a pseudo-terminal, so that standard error is a terminal. */
function hasScript(): boolean {
  try {
    return new Deno.Command("script", { args: ["--version"], stdout: "null", stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "cli: on a terminal, a run longer than a second draws the progress bar on standard error",
  ignore: !hasScript(),
  fn: async () => {
    await withTempDir(async (dir) => {
      // The storm, without outputs, for ten simulated seconds: far longer than a second of wall time.
      const storm = JSON.parse(await Deno.readTextFile(STORM));
      delete storm.outputs;
      storm.run.durationNs = 10_000_000_000;
      await Deno.writeTextFile(`${dir}/long.json`, JSON.stringify(storm));
      const command = `'${Deno.execPath()}' run --quiet --allow-read cli.ts '${dir}/long.json' -q`;
      const child = new Deno.Command("script", {
        args: ["-qec", command, "/dev/null"],
        cwd: rootPath,
        env: { NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      let seen = "";
      const decoder = new TextDecoder();
      const deadline = Date.now() + 30_000;
      const reader = child.stdout.getReader();
      try {
        while (!/events\/s/.test(seen) && Date.now() < deadline) {
          const { value, done } = await reader.read();
          if (done) break;
          seen += decoder.decode(value, { stream: true });
        }
      } finally {
        child.kill("SIGTERM");
        await reader.cancel();
        await child.status;
      }
      // The bar's line: carriage return, the line, then erase-to-end-of-line (ESC [ K).
      const line =
        /\r\[#*-*\] +\d+\.\d%  \d+\.\d{3} of 10000\.000 ms simulated  \d+\.\d s wall  [\d.]+ [kM]? ?events\/s/;
      assert.match(seen, new RegExp(`${line.source}\u001b\\[K`));
    });
  },
});

Deno.test("cli: a latency section runs cyclictest or timerlat; a sample past breakNs exits 1", async () => {
  await withTempDir(async (dir) => {
    const scenario = (latency: Record<string, unknown>, irqs: unknown[] = []) =>
      JSON.stringify({
        irqemu: 1,
        name: "lat",
        machine: { arch: "x86", cpus: 2 },
        works: [{ name: "rx", costNs: 30_000 }],
        irqs,
        latency,
        run: { durationNs: 20_000_000 },
        outputs: { report: "lat.report.txt" },
      });
    const path = `${dir}/lat.json`;
    await Deno.writeTextFile(
      path,
      scenario({ tool: "cyclictest", cpus: [1], priority: 98, histogramUs: 10 }),
    );
    const quiet = await cli([path, "-o", dir]);
    assert.equal(quiet.code, 0, quiet.stderr);
    const report = await Deno.readTextFile(`${dir}/lat.report.txt`);
    assert.match(report, /^T: 0 \(\s*\d+\) P:98 I:1000 C:\s+\d+ Min:\s+3 Act:\s+3 Avg:\s+3 Max:\s+3$/m);
    assert.match(report, /^# Histogram Overflows: 00000$/m);
    // A device on CPU 1 whose handler queues a 30 µs work: the first sample past 10 µs stops the run.
    const storm = [{
      irq: 42,
      name: "eth0",
      cpu: 1,
      source: { periodNs: 97_000 },
      handler: [{ op: "queue", work: "rx" }],
    }];
    await Deno.writeTextFile(path, scenario({ tool: "timerlat", cpus: [1], breakNs: 10_000 }, storm));
    const broke = await cli([path, "-o", dir]);
    assert.equal(broke.code, 1, broke.stderr);
    assert.match(
      await Deno.readTextFile(`${dir}/lat.report.txt`),
      /## CPU 1 hit stop tracing, analyzing it ##/,
    );
  });
});
