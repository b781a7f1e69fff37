/**
 * The flagship's HTML mode: `--html FILE` writes the report of the chosen
 * configuration and prints the same table as without it (observing the run
 * for the timeline does not change it); bad arguments print usage and exit
 * with status 2.
 *
 * @module
 */

import assert from "node:assert/strict";

const script = new URL("../examples/rt_latency.ts", import.meta.url).pathname;
const golden = new URL("../examples/rt_latency.out", import.meta.url);

async function run(args: string[], allow: string[] = []) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...allow, script, ...args],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

Deno.test("rt_latency --html writes the chosen configuration's report and prints the same table", async () => {
  const dir = await Deno.makeTempDir({ prefix: "irqemu-rt-latency-" });
  try {
    const file = `${dir}/report.html`;
    const out = await run(["--html", file, "--config", "x86-rt"], [`--allow-write=${dir}`]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout, await Deno.readTextFile(golden));
    assert.equal(out.stderr, `wrote ${file} (x86 PREEMPT_RT)\n`);
    const html = await Deno.readTextFile(file);
    assert.match(html, /<title>irqemu rt_latency: x86 PREEMPT_RT<\/title>/);
    assert.match(html, /irq_work policy PREEMPT_RT/);
    assert.match(html, /<rect class="k-irqworkthread"/);
    assert.match(html, /&quot;preemptRt&quot;: true/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("rt_latency: a bad argument or a missing --allow-write prints usage and exits with status 2", async () => {
  for (
    const [args, message] of [
      [["--config", "arm"], /^rt_latency: unknown --config "arm"\nusage: /],
      [["--colour"], /^rt_latency: Unknown option '--colour'\nusage: /],
      [["--html", "x.html"], /^rt_latency: writing x\.html needs --allow-write\nusage: /],
    ] as const
  ) {
    const out = await run([...args]);
    assert.equal(out.code, 2, out.stderr);
    assert.match(out.stderr, message);
    assert.equal(out.stdout, "");
  }
});
