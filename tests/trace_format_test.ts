/**
 * Trace fidelity (docs/rules.md section 18): each line compared with the
 * format the kernel's tracepoint definitions print (include/trace/events/
 * sched.h, timer.h, ipi.h) and with the latency flags the kernel's state
 * gives at that tracepoint.
 *
 * @module
 */

import assert from "node:assert/strict";
import { createMachine, ftrace, irqWorkInit } from "../mod.ts";
import { x86 } from "../arch/x86/mod.ts";
import { preemptRt } from "../plugins/preempt_rt/mod.ts";

const T0 = 1_000_000;

/** A one-CPU x86 run: a task sleeps 1 ms, queues a work and exits; the CPU idles with NO_HZ. */
function lines(rt = false): string[] {
  const tracer = ftrace();
  const m = createMachine({ arch: x86(), plugins: rt ? [preemptRt(), tracer] : [tracer] });
  m.spawn({ cpu: 0, name: "task", at: T0 }, function* (ctx) {
    yield* ctx.sleep(1_000_000);
    yield* ctx.queue(irqWorkInit(() => {}, "w"));
  });
  m.runUntil(20_000_000);
  return [...tracer.lines];
}

const first = (all: string[], re: RegExp) => {
  const line = all.find((l) => re.test(l));
  assert.ok(line !== undefined, `no line matches ${re}\n${all.join("\n")}`);
  return line;
};

/** `comm-pid [cpu] flags time: ` as ftrace prints the line head. */
const HEAD = String.raw`^ +\S+-\d+ +\[\d{3}\] `;

Deno.test("rule 18.1: sched_switch runs with interrupts off and the rq lock held (d..2.); swapper is prio 120", () => {
  const all = lines();
  // sched.h: "prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d"
  const fmt = new RegExp(
    HEAD + String.raw`d\.\.2\. +\d+\.\d{6}: sched_switch: prev_comm=\S+ prev_pid=\d+ prev_prio=\d+ ` +
      String.raw`prev_state=[RSDZ]\+? ==> next_comm=\S+ next_pid=\d+ next_prio=\d+$`,
  );
  const switches = all.filter((l) => l.includes("sched_switch:"));
  assert.ok(switches.length >= 4);
  for (const l of switches) assert.match(l, fmt);
  assert.match(
    first(all, /prev_comm=swapper\/0/),
    /prev_comm=swapper\/0 prev_pid=0 prev_prio=120 prev_state=R ==> next_comm=task next_pid=7 next_prio=120$/,
  );
  assert.match(first(all, /prev_comm=task .*prev_state=S/), /next_comm=swapper\/0 next_pid=0 next_prio=120$/);
});

Deno.test("rule 18.2: an exiting task's prev_state is Z (EXIT_ZOMBIE: its parent has not reaped it)", () => {
  assert.match(first(lines(), /prev_comm=task .*prev_state=Z/), /prev_pid=7 prev_prio=120 prev_state=Z ==> /);
});

Deno.test("rule 18.3: tick_stop is traced from the idle loop with interrupts off (d..1.)", () => {
  // timer.h: "success=%d dependency=%s"
  assert.match(
    first(lines(), /tick_stop:/),
    new RegExp(HEAD + String.raw`d\.\.1\. +\d+\.\d{6}: tick_stop: success=1 dependency=NONE$`),
  );
});

Deno.test("rule 18.5: sched_waking, hrtimer_start and hrtimer_expire_entry/exit print as the kernel's", () => {
  const all = lines();
  // sched.h (sched_wakeup_template): "comm=%s pid=%d prio=%d target_cpu=%03d", sched_waking before sched_wakeup.
  const waking = all.findIndex((l) => /sched_waking: comm=task pid=7 prio=120 target_cpu=000$/.test(l));
  const wakeup = all.findIndex((l) => /sched_wakeup: comm=task pid=7 prio=120 target_cpu=000$/.test(l));
  assert.ok(waking >= 0 && wakeup === waking + 1, "sched_waking comes right before sched_wakeup");
  // timer.h: "hrtimer=%p function=%ps expires=%llu softexpires=%llu mode=%s", under the base's raw lock.
  assert.match(
    first(all, /function=hrtimer_wakeup expires/),
    new RegExp(
      HEAD +
        String.raw`d\.\.1\. +0\.001\d{3}: hrtimer_start: hrtimer=[0-9a-f]{16} function=hrtimer_wakeup ` +
        String.raw`expires=(\d+) softexpires=\1 mode=REL$`,
    ),
  );
  // "hrtimer=%p function=%ps now=%llu", then "hrtimer=%p", in hard-IRQ context.
  const entry = first(all, /hrtimer_expire_entry: .*function=hrtimer_wakeup/);
  assert.match(
    entry,
    new RegExp(
      HEAD +
        String
          .raw`d\.h[.1]\. +\d+\.\d{6}: hrtimer_expire_entry: hrtimer=([0-9a-f]{16}) function=hrtimer_wakeup now=\d+$`,
    ),
  );
  const id = /hrtimer=([0-9a-f]{16})/.exec(entry)![1];
  assert.ok(all.some((l) => l.endsWith(`hrtimer_expire_exit: hrtimer=${id}`) && / d[.N]h[.1]\. /.test(l)));
  // The tick is an hrtimer too; its restart from idle (interrupts off, idle's count plus the base lock).
  assert.match(first(all, /function=tick_nohz_handler expires/), / d[.N]\.2\. .*mode=ABS\|PINNED\|HARD$/);
});

Deno.test("rule 18.6: user tasks get the same PIDs with and without PREEMPT_RT, after the per-CPU kernel threads", () => {
  const pids = (rt: boolean) => {
    const m = createMachine({ arch: x86(), cpus: 2, plugins: rt ? [preemptRt()] : [] });
    const t = m.spawn({ cpu: 1, name: "t" }, () => {});
    const threads = m.kernel.tasks.filter((k) => k.comm.startsWith("irq_work/")).map((k) => [k.comm, k.pid]);
    return { user: t.pid, threads };
  };
  const off = pids(false), on = pids(true);
  assert.equal(off.user, on.user);
  assert.equal(on.user, 11, "0 idle, 1 init, 2 kthreadd, four per-CPU threads for each of 2 CPUs");
  assert.deepEqual(on.threads, [["irq_work/0", 6], ["irq_work/1", 10]]);
  assert.deepEqual(off.threads, []);
});
