import assert from "node:assert/strict";
import { Engine, EventKind, Priority, Ready, spawnProcess } from "./engine.ts";
import { Random } from "./random.ts";

/** A handler that records `label:arg@time` for every firing. */
function recorder(engine: Engine, log: string[], label = "h"): number {
  return engine.register({ fire: (arg) => log.push(`${label}:${arg}@${engine.now}`) });
}

Deno.test("Engine ordering", async (t) => {
  await t.step("events fire in time order regardless of insertion order", () => {
    const engine = new Engine();
    const log: string[] = [];
    const id = recorder(engine, log);
    engine.at(30, id, 3);
    engine.at(10, id, 1);
    engine.at(20, id, 2);
    engine.runUntilIdle();
    assert.deepEqual(log, ["h:1@10", "h:2@20", "h:3@30"]);
    assert.equal(engine.now, 30);
    assert.equal(engine.fired, 3);
    assert.equal(engine.pending, 0);
  });

  await t.step("at the same time, lower priority number runs first", () => {
    const engine = new Engine();
    const log: string[] = [];
    const id = recorder(engine, log);
    engine.at(5, id, 1, Priority.NORMAL);
    engine.at(5, id, 2, Priority.NORMAL);
    engine.at(5, id, 3, Priority.HARDWARE);
    engine.at(4, id, 0, Priority.NORMAL);
    engine.runUntilIdle();
    assert.deepEqual(log, ["h:0@4", "h:3@5", "h:1@5", "h:2@5"]);
  });

  await t.step("time dominates priority", () => {
    const engine = new Engine();
    const log: string[] = [];
    const id = recorder(engine, log);
    engine.at(2, id, 1, Priority.HARDWARE);
    engine.at(1, id, 2, Priority.NORMAL);
    engine.runUntilIdle();
    assert.deepEqual(log, ["h:2@1", "h:1@2"]);
  });

  await t.step("same time and priority is FIFO by insertion sequence", () => {
    const engine = new Engine();
    const log: string[] = [];
    const a = recorder(engine, log, "a");
    const b = recorder(engine, log, "b");
    for (let i = 0; i < 50; i++) engine.at(7, i % 2 === 0 ? a : b, i);
    engine.runUntilIdle();
    assert.equal(log.length, 50);
    log.forEach((entry, i) => assert.equal(entry, `${i % 2 === 0 ? "a" : "b"}:${i}@7`));
  });

  await t.step("events scheduled at now from inside a handler run after already queued ones", () => {
    const engine = new Engine();
    const log: string[] = [];
    const rec = recorder(engine, log);
    const spawner = engine.register({
      fire: () => {
        log.push(`spawn@${engine.now}`);
        engine.after(0, rec, 99);
      },
    });
    engine.at(3, spawner);
    engine.at(3, rec, 1);
    engine.runUntilIdle();
    assert.deepEqual(log, ["spawn@3", "h:1@3", "h:99@3"]);
  });

  await t.step("after() is relative to the current clock", () => {
    const engine = new Engine();
    const log: string[] = [];
    const id = recorder(engine, log);
    engine.runUntil(100);
    engine.after(5, id, 1);
    engine.after(0, id, 0);
    engine.runUntilIdle();
    assert.deepEqual(log, ["h:0@100", "h:1@105"]);
  });

  await t.step("arguments survive the heap unchanged", () => {
    const engine = new Engine();
    const seen: number[] = [];
    const id = engine.register({ fire: (arg) => seen.push(arg) });
    const args = [0, -1, 2 ** 40, 0.5, -(2 ** 31), 2 ** 53 - 1];
    args.forEach((arg, i) => engine.at(i, id, arg));
    engine.runUntilIdle();
    assert.deepEqual(seen, args);
  });
});

Deno.test("Engine clock and control", async (t) => {
  await t.step("a fresh engine is empty at time 0", () => {
    const engine = new Engine();
    assert.equal(engine.now, 0);
    assert.equal(engine.pending, 0);
    assert.equal(engine.fired, 0);
    assert.equal(engine.peekTime(), Infinity);
    assert.equal(engine.step(), false);
    assert.equal(engine.now, 0);
  });

  await t.step("peekTime and step", () => {
    const engine = new Engine();
    const log: string[] = [];
    const id = recorder(engine, log);
    engine.at(9, id, 2);
    engine.at(4, id, 1);
    assert.equal(engine.peekTime(), 4);
    assert.equal(engine.pending, 2);
    assert.equal(engine.step(), true);
    assert.equal(engine.now, 4);
    assert.equal(engine.peekTime(), 9);
    assert.equal(engine.step(), true);
    assert.equal(engine.step(), false);
    assert.deepEqual(log, ["h:1@4", "h:2@9"]);
  });

  await t.step("runUntil fires events at or before the target and leaves the clock at the target", () => {
    const engine = new Engine();
    const log: string[] = [];
    const id = recorder(engine, log);
    engine.at(10, id, 1);
    engine.at(20, id, 2);
    engine.at(21, id, 3);
    engine.runUntil(20);
    assert.deepEqual(log, ["h:1@10", "h:2@20"]);
    assert.equal(engine.now, 20);
    assert.equal(engine.pending, 1);
    engine.runUntil(50);
    assert.deepEqual(log, ["h:1@10", "h:2@20", "h:3@21"]);
    assert.equal(engine.now, 50);
    engine.runUntil(50); // running until now is allowed and does nothing
    assert.equal(engine.now, 50);
  });

  await t.step("runUntil on an empty queue just advances the clock", () => {
    const engine = new Engine();
    engine.runUntil(1234);
    assert.equal(engine.now, 1234);
    assert.equal(engine.fired, 0);
  });

  await t.step("stop() ends runUntilIdle after the current event", () => {
    const engine = new Engine();
    const log: string[] = [];
    const id = engine.register({
      fire: (arg) => {
        log.push(`${arg}@${engine.now}`);
        if (arg === 2) engine.stop();
      },
    });
    for (let i = 1; i <= 4; i++) engine.at(i * 10, id, i);
    engine.runUntilIdle();
    assert.deepEqual(log, ["1@10", "2@20"]);
    assert.equal(engine.now, 20);
    assert.equal(engine.pending, 2);
    engine.runUntilIdle(); // a new run clears the stop request
    assert.deepEqual(log, ["1@10", "2@20", "3@30", "4@40"]);
  });

  await t.step("stop() inside runUntil leaves the clock at the stopping event", () => {
    const engine = new Engine();
    const id = engine.register({ fire: (arg) => arg === 1 && engine.stop() });
    engine.at(10, id, 0);
    engine.at(20, id, 1);
    engine.at(30, id, 0);
    engine.runUntil(100);
    assert.equal(engine.now, 20);
    assert.equal(engine.fired, 2);
    engine.runUntil(100);
    assert.equal(engine.now, 100);
    assert.equal(engine.fired, 3);
  });

  await t.step("stop() called outside a run does not affect the next run", () => {
    const engine = new Engine();
    const log: string[] = [];
    const id = recorder(engine, log);
    engine.at(1, id, 1);
    engine.stop();
    engine.runUntilIdle();
    assert.deepEqual(log, ["h:1@1"]);
  });

  await t.step("runUntilIdle respects maxEvents", () => {
    const engine = new Engine();
    const log: string[] = [];
    const id = recorder(engine, log);
    for (let i = 0; i < 10; i++) engine.at(i, id, i);
    engine.runUntilIdle(3);
    assert.equal(log.length, 3);
    assert.equal(engine.now, 2);
    assert.equal(engine.pending, 7);
    engine.runUntilIdle(0);
    assert.equal(log.length, 3);
    engine.runUntilIdle();
    assert.equal(log.length, 10);
    assert.equal(engine.fired, 10);
  });
});

Deno.test("Engine rejects bad times with RangeError", async (t) => {
  const engine = new Engine();
  const id = engine.register({ fire() {} });
  engine.runUntil(100);

  await t.step("scheduling in the past", () => {
    assert.throws(() => engine.at(99, id), {
      name: "RangeError",
      message: /Cannot schedule an event at 99 ns: .*no earlier than now \(100 ns\)/,
    });
  });

  await t.step("non-integer, NaN and infinite times", () => {
    for (const bad of [100.5, NaN, Infinity, 2 ** 53]) {
      assert.throws(() => engine.at(bad, id), {
        name: "RangeError",
        message: new RegExp(`Cannot schedule an event at ${bad} ns: time must be a whole number`),
      });
    }
  });

  await t.step("negative or NaN delay", () => {
    assert.throws(() => engine.after(-1, id), {
      name: "RangeError",
      message: "Cannot schedule an event -1 ns from now: the delay must not be negative",
    });
    assert.throws(() => engine.after(NaN, id), { name: "RangeError", message: /delay must not be negative/ });
  });

  await t.step("non-integer delay", () => {
    assert.throws(() => engine.after(0.25, id), { name: "RangeError", message: /whole number/ });
  });

  await t.step("runUntil into the past", () => {
    assert.throws(() => engine.runUntil(50), {
      name: "RangeError",
      message: "Cannot run until 50 ns: the clock is already at 100 ns",
    });
    assert.throws(() => engine.runUntil(NaN), { name: "RangeError" });
  });

  await t.step("runUntil to a non-integer or infinite time", () => {
    for (const bad of [150.5, Infinity]) {
      assert.throws(() => engine.runUntil(bad), {
        name: "RangeError",
        message: new RegExp(`Cannot run until ${bad} ns: .*whole number`),
      });
    }
    assert.equal(engine.now, 100);
  });

  await t.step("rejected calls leave the engine unchanged", () => {
    assert.equal(engine.now, 100);
    assert.equal(engine.pending, 0);
    assert.equal(engine.fired, 0);
  });
});

Deno.test("Engine heap grows past its initial capacity and stays ordered", () => {
  const rng = new Random(2026);
  const engine = new Engine();
  type Ev = { time: number; priority: number; seq: number };
  const expected: Ev[] = [];
  const seen: Ev[] = [];
  const id = engine.register({
    fire: (arg) => {
      const ev = expected[arg];
      assert.ok(ev);
      seen.push(ev);
      assert.equal(engine.now, ev.time);
    },
  });
  const count = 5000; // well past the initial 256 slots: several doublings
  for (let seq = 0; seq < count; seq++) {
    // A narrow time range forces many ties on time and priority.
    const ev = { time: rng.int(0, 300), priority: rng.int(0, 1), seq };
    expected.push(ev);
    engine.at(ev.time, id, seq, ev.priority);
  }
  assert.equal(engine.pending, count);
  const sorted = [...expected].sort((a, b) => a.time - b.time || a.priority - b.priority || a.seq - b.seq);
  engine.runUntilIdle();
  assert.equal(engine.fired, count);
  assert.deepEqual(seen, sorted);
});

Deno.test("Engine interleaves inserts and removals against a sorted reference", () => {
  const rng = new Random(7);
  const engine = new Engine();
  // Reference: a plain array kept sorted by (time, priority, seq).
  let reference: { time: number; priority: number; seq: number }[] = [];
  const fired: number[] = [];
  const id = engine.register({ fire: (arg) => fired.push(arg) });
  let seq = 0;
  const insert = (n: number) => {
    for (let i = 0; i < n; i++) {
      const ev = { time: engine.now + rng.int(0, 1000), priority: rng.int(0, 1), seq: seq++ };
      reference.push(ev);
      engine.at(ev.time, id, ev.seq, ev.priority);
    }
    reference.sort((a, b) => a.time - b.time || a.priority - b.priority || a.seq - b.seq);
  };
  insert(600);
  for (let round = 0; round < 200; round++) {
    const take = rng.int(0, 8);
    for (let i = 0; i < take && reference.length > 0; i++) {
      const next = reference[0]!;
      reference = reference.slice(1);
      assert.equal(engine.peekTime(), next.time);
      assert.equal(engine.step(), true);
      assert.equal(fired.at(-1), next.seq);
      assert.equal(engine.now, next.time);
    }
    insert(rng.int(0, 8));
    assert.equal(engine.pending, reference.length);
  }
  for (const next of reference) {
    assert.equal(engine.step(), true);
    assert.equal(fired.at(-1), next.seq);
  }
  assert.equal(engine.step(), false);
});

Deno.test("spawnProcess", async (t) => {
  await t.step("a process sleeps for each yielded delay", () => {
    const engine = new Engine();
    const wakes: number[] = [];
    spawnProcess(
      engine,
      (function* () {
        wakes.push(engine.now);
        yield 5;
        wakes.push(engine.now);
        yield 0;
        wakes.push(engine.now);
        yield 7;
        wakes.push(engine.now);
      })(),
    );
    // The body does not run until the engine fires its first event.
    assert.deepEqual(wakes, []);
    assert.equal(engine.pending, 1);
    engine.runUntilIdle();
    assert.deepEqual(wakes, [0, 5, 5, 12]);
    assert.equal(engine.now, 12);
    // One event for the start plus one per yield.
    assert.equal(engine.fired, 4);
    assert.equal(engine.pending, 0);
  });

  await t.step("start time defaults to now and can be given", () => {
    const engine = new Engine();
    const wakes: string[] = [];
    const body = (name: string) =>
      (function* () {
        for (let i = 0; i < 3; i++) {
          wakes.push(`${name}@${engine.now}`);
          yield 10;
        }
      })();
    engine.runUntil(100);
    spawnProcess(engine, body("a"));
    spawnProcess(engine, body("b"), 105);
    engine.runUntilIdle();
    assert.deepEqual(wakes, ["a@100", "b@105", "a@110", "b@115", "a@120", "b@125"]);
    assert.equal(engine.now, 135);
  });

  await t.step("processes waking at the same time run in spawn order", () => {
    const engine = new Engine();
    const wakes: string[] = [];
    for (const name of ["x", "y", "z"]) {
      spawnProcess(
        engine,
        (function* () {
          wakes.push(`${name}@${engine.now}`);
          yield 4;
          wakes.push(`${name}@${engine.now}`);
        })(),
      );
    }
    engine.runUntilIdle();
    assert.deepEqual(wakes, ["x@0", "y@0", "z@0", "x@4", "y@4", "z@4"]);
  });

  await t.step("a negative yield throws out of the engine", () => {
    const engine = new Engine();
    spawnProcess(
      engine,
      (function* () {
        yield -3;
      })(),
    );
    assert.throws(() => engine.runUntilIdle(), { name: "RangeError", message: /must not be negative/ });
  });
});

Deno.test("Engine ids and cancel", async (t) => {
  await t.step("every scheduled event gets the next id, from 0", () => {
    const engine = new Engine();
    const id = recorder(engine, []);
    assert.deepEqual([engine.at(5, id), engine.after(3, id), engine.call(4, () => {}), engine.at(5, id)], [
      0,
      1,
      2,
      3,
    ]);
  });

  await t.step("a cancelled event never fires, and pending counts it out at once", () => {
    const engine = new Engine();
    const log: string[] = [];
    const h = recorder(engine, log);
    const a = engine.at(10, h, 1);
    const b = engine.at(20, h, 2);
    engine.at(30, h, 3);
    assert.equal(engine.pending, 3);
    assert.equal(engine.cancel(b), true);
    assert.equal(engine.pending, 2);
    assert.equal(engine.cancel(b), false, "cancelling twice");
    engine.runUntilIdle();
    assert.deepEqual(log, ["h:1@10", "h:3@30"]);
    assert.equal(engine.cancel(a), false, "cancelling after it fired");
    assert.equal(engine.cancel(99), false, "an id never given out");
    assert.equal(engine.fired, 2);
  });

  await t.step("cancelling from a handler: another pending event yes, its own event no", () => {
    const engine = new Engine();
    const log: string[] = [];
    const rec = recorder(engine, log);
    let victim = -1, self = -1;
    const results: boolean[] = [];
    const canceller = engine.register({
      fire: () => {
        results.push(engine.cancel(victim), engine.cancel(self));
        assert.equal(engine.pending, 1);
      },
    });
    self = engine.at(5, canceller);
    victim = engine.at(5, rec, 1);
    engine.at(6, rec, 2);
    engine.runUntilIdle();
    assert.deepEqual(results, [true, false]);
    assert.deepEqual(log, ["h:2@6"]);
  });

  await t.step("ids are never reused, so a stale id cannot cancel a later event", () => {
    const engine = new Engine();
    const log: string[] = [];
    const h = recorder(engine, log);
    const stale: number[] = [];
    for (let round = 0; round < 100; round++) {
      stale.push(engine.after(1, h, round));
      engine.step();
    }
    const live = engine.after(1, h, 100);
    for (const id of stale) assert.equal(engine.cancel(id), false);
    assert.ok(!stale.includes(live));
    engine.runUntilIdle();
    assert.equal(log.length, 101);
    assert.equal(log.at(-1), "h:100@101");
  });

  await t.step("cancel rejects values that cannot be ids", () => {
    const engine = new Engine();
    for (const bad of [-1, 1.5, NaN, Infinity, 2 ** 53]) {
      assert.throws(() => engine.cancel(bad), {
        name: "RangeError",
        message: new RegExp(`Cannot cancel event ${bad}: ids are whole numbers from 0`),
      });
    }
  });

  await t.step("random schedules, cancels and steps match a sorted reference", () => {
    const rng = new Random(11);
    const engine = new Engine();
    type Ev = { time: number; priority: number; id: number };
    let reference: Ev[] = [];
    const fired: number[] = [];
    const h = engine.register({ fire: (arg) => fired.push(arg) });
    const order = (a: Ev, b: Ev) => a.time - b.time || a.priority - b.priority || a.id - b.id;
    let nextId = 0;
    for (let round = 0; round < 400; round++) {
      for (let i = rng.int(0, 6); i > 0; i--) {
        const time = engine.now + rng.int(0, 50), priority = rng.int(0, 1);
        // The argument is the id the event gets: ids count scheduled events.
        const id = engine.at(time, h, nextId, priority);
        assert.equal(id, nextId++);
        reference.push({ time, priority, id });
      }
      for (let i = rng.int(0, 2); i > 0 && reference.length > 0; i--) {
        const victim = reference[rng.int(0, reference.length - 1)]!;
        assert.equal(engine.cancel(victim.id), true);
        reference = reference.filter((e) => e !== victim);
      }
      reference.sort(order);
      for (let i = rng.int(0, 4); i > 0 && reference.length > 0; i--) {
        const next = reference.shift()!;
        assert.equal(engine.peekTime(), next.time);
        assert.equal(engine.step(), true);
        assert.equal(fired.at(-1), next.id);
        assert.equal(engine.now, next.time);
      }
      assert.equal(engine.pending, reference.length);
    }
  });

  await t.step("cancelling a call drops it; the closure does not run", () => {
    const engine = new Engine();
    let ran = 0;
    const ids = Array.from({ length: 50 }, (_, i) => engine.call(i, () => ran++));
    for (const id of ids.filter((_, i) => i % 2 === 0)) assert.equal(engine.cancel(id), true);
    engine.runUntilIdle();
    assert.equal(ran, 25);
  });
});

Deno.test("Engine.call", async (t) => {
  await t.step("runs a closure once at its time, in order with handler events", () => {
    const engine = new Engine();
    const log: string[] = [];
    const h = recorder(engine, log);
    engine.at(10, h, 1);
    engine.call(10, () => log.push(`call@${engine.now}`));
    engine.call(5, () => {
      log.push(`call@${engine.now}`);
      engine.call(engine.now, () => log.push(`nested@${engine.now}`));
    });
    engine.runUntilIdle();
    assert.deepEqual(log, ["call@5", "nested@5", "h:1@10", "call@10"]);
    assert.equal(engine.pending, 0);
  });

  await t.step("does not register a handler per call", () => {
    const engine = new Engine();
    for (let i = 0; i < 1000; i++) engine.call(i, () => {});
    engine.runUntilIdle();
    assert.equal(engine.register({ fire() {} }), 0);
  });

  await t.step("rejects a past time and a non-function", () => {
    const engine = new Engine();
    engine.runUntil(10);
    assert.throws(() => engine.call(9, () => {}), {
      name: "RangeError",
      message: /Cannot schedule an event at 9 ns/,
    });
    assert.throws(() => engine.call(10, 5 as unknown as () => void), {
      name: "TypeError",
      message: "Cannot schedule a call of number: fn must be a function",
    });
    assert.equal(engine.pending, 0);
    // A rejected call leaves nothing behind: the next call works as usual.
    let ran = false;
    engine.call(10, () => ran = true);
    engine.runUntilIdle();
    assert.ok(ran);
  });
});

Deno.test("Engine.again", async (t) => {
  await t.step("a handler sleeps again with the same handler, argument, priority and labels", () => {
    const engine = new Engine();
    const seen: string[] = [];
    const h = engine.register({
      fire: (arg) => {
        seen.push(`${arg}@${engine.now}`);
        if (engine.now < 30) engine.again(10);
      },
    });
    engine.at(10, h, 7, Priority.HARDWARE, 3, EventKind.TIMER);
    engine.at(20, recorder(engine, seen, "n"), 0, Priority.NORMAL);
    const labels: number[][] = [];
    engine.chooser = (ready, count) => {
      for (let i = 0; i < count; i++) labels.push(readyEvent(ready, i));
      return 0;
    };
    engine.runUntilIdle();
    // At 20 the HARDWARE repeat fires before the NORMAL event without asking the chooser.
    assert.deepEqual(seen, ["7@10", "7@20", "n:0@20", "7@30"]);
    assert.deepEqual(labels, []);
  });

  await t.step("labels and priority carry over to the new event", () => {
    const engine = new Engine();
    const ready: number[][] = [];
    const h = engine.register({ fire: () => engine.now === 0 && engine.again(5) });
    const other = recorder(engine, []);
    engine.at(0, h, 1, Priority.NORMAL, 4, EventKind.TIMER);
    engine.at(5, other, 2, Priority.NORMAL, 9, EventKind.INTERRUPT);
    engine.chooser = (r, count) => {
      for (let i = 0; i < count; i++) ready.push(readyEvent(r, i));
      return 0;
    };
    engine.runUntilIdle();
    assert.deepEqual(ready, [
      [1, 9, EventKind.INTERRUPT, other, 2, 5, Priority.NORMAL],
      [2, 4, EventKind.TIMER, h, 1, 5, Priority.NORMAL],
    ]);
  });

  await t.step("works after the handler scheduled something else, and twice", () => {
    const engine = new Engine();
    const log: string[] = [];
    const rec = recorder(engine, log, "r");
    let first = true;
    const h = engine.register({
      fire: (arg) => {
        log.push(`h:${arg}@${engine.now}`);
        if (!first) return;
        first = false;
        engine.after(1, rec, 9); // takes the fired event's place at the top
        assert.equal(engine.pending, 1);
        engine.again(2);
        engine.again(3);
        assert.equal(engine.pending, 3);
        assert.equal(engine.peekTime(), 11);
      },
    });
    engine.at(10, h, 5);
    engine.runUntilIdle();
    assert.deepEqual(log, ["h:5@10", "r:9@11", "h:5@12", "h:5@13"]);
  });

  await t.step("outside a handler it repeats the last event that fired", () => {
    const engine = new Engine();
    const log: string[] = [];
    const h = recorder(engine, log);
    engine.at(4, h, 8);
    engine.runUntilIdle();
    engine.again(6);
    engine.runUntilIdle();
    assert.deepEqual(log, ["h:8@4", "h:8@10"]);
  });

  await t.step("errors: nothing fired yet, a call, a negative or fractional delay", () => {
    const engine = new Engine();
    assert.throws(() => engine.again(1), {
      name: "RangeError",
      message: "Cannot schedule the last event again: no event has fired yet",
    });
    engine.call(1, () => {
      assert.throws(() => engine.again(1), { name: "RangeError", message: /it was a call\(\)/ });
    });
    engine.runUntilIdle();
    assert.throws(() => engine.again(1), { name: "RangeError", message: /it was a call\(\)/ });
    assert.throws(() => engine.again(-1), { name: "RangeError", message: /the delay must not be negative/ });
    assert.throws(() => engine.again(0.5), { name: "RangeError", message: /whole number/ });
    assert.equal(engine.pending, 0);
  });
});

Deno.test("Engine labels: owner and kind", async (t) => {
  await t.step("defaults: no owner, kind NONE; call is CALL; spawnProcess is PROCESS with its owner", () => {
    const engine = new Engine();
    const h = recorder(engine, []);
    engine.at(1, h, 0);
    engine.call(1, () => {});
    spawnProcess(engine, (function* () {})(), 1, 2);
    const ready: number[][] = [];
    engine.chooser = (r, count) => {
      for (let i = 0; i < count; i++) ready.push(readyEvent(r, i));
      return 0;
    };
    engine.step();
    assert.deepEqual(ready.map(([id, owner, kind]) => [id, owner, kind]), [
      [0, -1, EventKind.NONE],
      [1, -1, EventKind.CALL],
      [2, 2, EventKind.PROCESS],
    ]);
    assert.equal(ready[1]![Ready.HANDLER], -1);
  });

  await t.step("out-of-range labels, priorities and handlers are RangeErrors naming value and bound", () => {
    const engine = new Engine();
    const h = recorder(engine, []);
    const cases: [() => unknown, RegExp][] = [
      [() => engine.at(1, h, 0, -1), /with priority -1: it must be a whole number from 0 to 255/],
      [() => engine.at(1, h, 0, 256), /with priority 256: it must be a whole number from 0 to 255/],
      [() => engine.at(1, h, 0, 0.5), /with priority 0.5/],
      [
        () => engine.at(1, h, 0, 1, -2),
        /for owner -2: the owner must be -1 \(none\) or a whole number from 0 to 8388607/,
      ],
      [() => engine.at(1, h, 0, 1, 2 ** 23), /for owner 8388608/],
      [() => engine.after(1, h, 0, 1, 1.5), /for owner 1.5/],
      [() => engine.at(1, h, 0, 1, 0, 256), /of kind 256: the kind must be a whole number from 0 to 255/],
      [() => engine.call(1, () => {}, 0, -1), /of kind -1/],
      [() => engine.at(1, 1), /for handler 1: handlers are numbered 0 to 0/],
      [() => engine.after(1, -1), /for handler -1/],
      [() => engine.at(1, 0.5), /for handler 0.5/],
    ];
    for (const [schedule, message] of cases) assert.throws(schedule, { name: "RangeError", message });
    assert.equal(engine.pending, 0);
    assert.equal(engine.at(1, h), 0, "rejected calls used no id");
  });
});

/** Ready event `i` as [id, owner, kind, handler, arg, time, priority]. */
function readyEvent(ready: Float64Array, i: number): number[] {
  return Array.from(ready.subarray(i * Ready.STRIDE, (i + 1) * Ready.STRIDE));
}

/** The handler of the chooser workload: what an event with `arg` schedules when it fires. */
function spawns(arg: number): { arg: number; priority: number; owner: number }[] {
  if (arg >= 100) return [];
  const out = [];
  if (arg % 3 === 0) out.push({ arg: arg + 100, priority: Priority.NORMAL, owner: arg % 4 });
  if (arg % 5 === 0) out.push({ arg: arg + 1000, priority: Priority.HARDWARE, owner: arg % 4 });
  return out;
}

/**
 * A workload for chooser tests: 40 events tied in groups on time and
 * priority, whose handlers schedule more at the same instant (NORMAL ones,
 * and HARDWARE ones with args from 1000), so ties change while they are
 * being resolved. Returns the firing log as `arg@time`, how often the
 * chooser was asked, and whether a NORMAL event ever fired while a HARDWARE
 * one was due at the same time.
 */
function tiedWorkload(chooser: ((ready: Float64Array, count: number) => number) | null): {
  log: string[];
  asked: number;
  hardwarePassedOver: boolean;
} {
  const engine = new Engine();
  const log: string[] = [];
  let asked = 0, hardwarePassedOver = false, hardwareDue = 0;
  const h = engine.register({
    fire: (arg) => {
      log.push(`${arg}@${engine.now}`);
      if (arg >= 1000) hardwareDue--;
      else if (hardwareDue > 0) hardwarePassedOver = true;
      for (const s of spawns(arg)) {
        engine.after(0, h, s.arg, s.priority, s.owner);
        if (s.priority === Priority.HARDWARE) hardwareDue++;
      }
    },
  });
  for (let i = 0; i < 40; i++) engine.at(10 * (i % 4), h, i, Priority.NORMAL, i % 4);
  if (chooser !== null) {
    engine.chooser = (ready, count) => {
      asked++;
      assert.ok(count >= 2, "asked about a lone event");
      for (let i = 1; i < count; i++) {
        const at = i * Ready.STRIDE;
        assert.equal(ready[at + Ready.PRIORITY], ready[Ready.PRIORITY], "one priority per choice");
        assert.equal(ready[at + Ready.TIME], ready[Ready.TIME], "one time per choice");
        assert.ok(ready[at + Ready.ID]! > ready[at - Ready.STRIDE + Ready.ID]!, "listed in id order");
      }
      return chooser(ready, count);
    };
  }
  engine.runUntilIdle();
  assert.equal(engine.pending, 0);
  return { log, asked, hardwarePassedOver };
}

Deno.test("Engine chooser", async (t) => {
  const baseline = tiedWorkload(null);

  await t.step("choosing index 0 is the default order", () => {
    const first = tiedWorkload(() => 0);
    assert.deepEqual(first.log, baseline.log);
    assert.ok(first.asked > 40);
    assert.equal(baseline.hardwarePassedOver, false);
  });

  await t.step("reversing ties changes the order as expected, deterministically, losing nothing", () => {
    const reversed = tiedWorkload((_, count) => count - 1);
    // At time 0 the last-scheduled of the ten initial events fires first; 36 schedules 136 at
    // once, which is then the last scheduled. The first-scheduled, 0, fires last of all; it
    // schedules 100 (NORMAL) and 1000 (HARDWARE): the HARDWARE one fires next without a choice.
    assert.deepEqual(reversed.log.slice(0, 2), ["36@0", "136@0"]);
    const at0 = reversed.log.indexOf("0@0");
    assert.deepEqual(reversed.log.slice(at0, at0 + 3), ["0@0", "1000@0", "100@0"]);
    assert.ok(reversed.log.slice(at0 + 3).every((e) => !e.endsWith("@0")));
    assert.notDeepEqual(reversed.log, baseline.log);
    assert.deepEqual([...reversed.log].sort(), [...baseline.log].sort(), "the same events, once each");
    assert.equal(reversed.hardwarePassedOver, false, "a HARDWARE event was passed over for a NORMAL one");
    assert.deepEqual(tiedWorkload((_, count) => count - 1).log, reversed.log, "a second run differs");
  });

  await t.step("a random walk matches a reference model of the rules", () => {
    for (const seed of [1, 2, 3]) {
      const engineRng = new Random(seed);
      const run = tiedWorkload((_, count) => engineRng.int(0, count - 1));
      assert.deepEqual(run.log, referenceRun(new Random(seed)), `seed ${seed}`);
      assert.equal(run.hardwarePassedOver, false);
    }
  });

  await t.step("every tied event is listed, in id order, however the heap holds them", () => {
    const rng = new Random(5);
    const engine = new Engine();
    type Ev = { time: number; priority: number; id: number };
    let pending: Ev[] = [];
    const h = engine.register({ fire: (id) => (pending = pending.filter((e) => e.id !== id)) });
    for (let i = 0; i < 2000; i++) {
      const time = rng.int(0, 3), priority = rng.int(0, 2);
      pending.push({ time, priority, id: engine.at(time, h, i, priority) });
    }
    let choices = 0;
    engine.chooser = (ready, count) => {
      const first = pending.reduce((
        a,
        b,
      ) => (b.time < a.time || (b.time === a.time && b.priority < a.priority) ? b : a));
      const expected = pending.filter((e) => e.time === first.time && e.priority === first.priority).map((
        e,
      ) => e.id);
      const listed = Array.from({ length: count }, (_, i) => ready[i * Ready.STRIDE + Ready.ID]!);
      assert.deepEqual(listed, expected);
      choices++;
      return rng.int(0, count - 1);
    };
    engine.runUntilIdle();
    assert.ok(choices > 1000, `${choices} choices`);
    assert.equal(engine.fired, 2000);
  });

  await t.step("an index out of range is a RangeError, and nothing fires", () => {
    for (const bad of [2, -1, 0.5, NaN]) {
      const engine = new Engine();
      const log: string[] = [];
      const h = recorder(engine, log);
      engine.at(1, h, 1);
      engine.at(1, h, 2);
      engine.chooser = () => bad;
      assert.throws(() => engine.runUntilIdle(), {
        name: "RangeError",
        message: `The chooser picked ${bad} among 2 ready events: it must return a whole number from 0 to 1`,
      });
      assert.deepEqual([log, engine.fired, engine.pending, engine.now], [[], 0, 2, 0]);
      engine.chooser = null;
      engine.runUntilIdle();
      assert.deepEqual(log, ["h:1@1", "h:2@1"], "the engine goes on once the chooser is fixed");
    }
  });

  await t.step("a chooser may not schedule, cancel, step or replace itself", () => {
    const attempts: [string, (engine: Engine, h: number) => unknown][] = [
      ["schedule", (engine, h) => engine.at(5, h)],
      ["schedule", (engine) => engine.call(5, () => {})],
      ["schedule", (engine) => engine.again(1)],
      ["cancel", (engine) => engine.cancel(0)],
      ["step", (engine) => engine.step()],
      ["change the chooser", (engine) => (engine.chooser = null)],
    ];
    for (const [what, attempt] of attempts) {
      const engine = new Engine();
      const h = recorder(engine, []);
      engine.at(1, h);
      engine.at(1, h);
      engine.step();
      engine.at(2, h);
      engine.at(2, h);
      engine.chooser = () => {
        attempt(engine, h);
        return 0;
      };
      assert.throws(() => engine.runUntilIdle(), { message: /from inside a chooser/ }, what);
    }
  });
});

/**
 * The chooser workload simulated without the engine: pending events in a
 * list, the earliest (time, priority) group sorted by id, a random pick
 * when the group has two or more.
 */
function referenceRun(rng: Random): string[] {
  type Ev = { id: number; time: number; priority: number; arg: number };
  const pending: Ev[] = [];
  let nextId = 0;
  for (let i = 0; i < 40; i++) {
    pending.push({ id: nextId++, time: 10 * (i % 4), priority: Priority.NORMAL, arg: i });
  }
  const log: string[] = [];
  while (pending.length > 0) {
    const first = pending.reduce((a, b) =>
      a.time - b.time || a.priority - b.priority
        ? (a.time < b.time || (a.time === b.time && a.priority < b.priority) ? a : b)
        : a
    );
    const ready = pending.filter((e) => e.time === first.time && e.priority === first.priority).sort((a, b) =>
      a.id - b.id
    );
    const chosen = ready.length > 1 ? ready[rng.int(0, ready.length - 1)]! : ready[0]!;
    pending.splice(pending.indexOf(chosen), 1);
    log.push(`${chosen.arg}@${chosen.time}`);
    for (const s of spawns(chosen.arg)) {
      pending.push({ id: nextId++, time: chosen.time, priority: s.priority, arg: s.arg });
    }
  }
  return log;
}

Deno.test("Engine state stays exact around handlers", async (t) => {
  await t.step("a handler that throws leaves the engine consistent", () => {
    const engine = new Engine();
    const log: string[] = [];
    const rec = recorder(engine, log);
    let repeat = -1;
    const thrower = engine.register({
      fire: (arg) => {
        if (arg === 1) repeat = engine.again(5);
        throw new Error(`boom ${arg}`);
      },
    });
    engine.at(1, thrower, 0);
    engine.at(2, rec, 2);
    engine.at(3, thrower, 1);
    assert.throws(() => engine.runUntilIdle(), { message: "boom 0" });
    assert.equal(engine.pending, 2);
    assert.equal(engine.peekTime(), 2);
    assert.throws(() => engine.runUntilIdle(), { message: "boom 1" });
    assert.equal(engine.pending, 1, "the repeat scheduled before the throw is kept");
    assert.equal(engine.peekTime(), 8);
    assert.equal(engine.cancel(repeat), true);
    assert.equal(engine.pending, 0);
    assert.deepEqual(log, ["h:2@2"]);
  });

  await t.step("pending and peekTime inside a handler count the firing event out", () => {
    const engine = new Engine();
    const seen: number[][] = [];
    const h = engine.register({
      fire: (arg) => {
        seen.push([arg, engine.pending, engine.peekTime()]);
        if (arg === 0) engine.after(1, h, 9);
        seen.push([arg, engine.pending, engine.peekTime()]);
      },
    });
    engine.at(1, h, 0);
    engine.at(5, h, 1);
    engine.runUntilIdle();
    assert.deepEqual(seen, [[0, 1, 5], [0, 2, 2], [9, 1, 5], [9, 1, 5], [1, 0, Infinity], [1, 0, Infinity]]);
  });

  await t.step("a handler may step the engine itself", () => {
    const engine = new Engine();
    const log: string[] = [];
    const rec = recorder(engine, log);
    const stepper = engine.register({
      fire: () => {
        log.push(`stepper@${engine.now}`);
        engine.step();
        engine.again(10);
      },
    });
    engine.at(1, stepper);
    engine.at(3, rec, 1);
    engine.runUntil(12);
    // The nested step fired the event at 3 from inside the handler at 1, moving the clock.
    assert.deepEqual(log, ["stepper@1", "h:1@3"]);
    assert.equal(engine.peekTime(), 13);
    assert.equal(engine.now, 12);
  });
});

Deno.test("spawnProcess shares one handler per engine", () => {
  const engine = new Engine();
  const wakes: string[] = [];
  for (let p = 0; p < 100; p++) {
    spawnProcess(
      engine,
      (function* () {
        yield p;
        wakes.push(`${p}@${engine.now}`);
      })(),
    );
  }
  assert.equal(engine.register({ fire() {} }), 1, "only the process table registered before");
  engine.runUntilIdle();
  assert.equal(wakes.length, 100);
  // Finished processes free their places; new ones reuse them and run as usual.
  spawnProcess(
    engine,
    (function* () {
      yield 1;
      wakes.push(`late@${engine.now}`);
    })(),
  );
  engine.runUntilIdle();
  assert.equal(wakes.at(-1), "late@100");
});

Deno.test("Engine.fireInPlace", async (t) => {
  /** A handler that steps `n` times at one instant, in place where it can, logging each step. */
  function stepper(engine: Engine, log: string[], name: string, n: number) {
    let left = n;
    const id: number = engine.register({
      fire: () => {
        for (;;) {
          log.push(`${name}@${engine.now}`);
          if (--left === 0) return;
          if (!engine.fireInPlace(id, 0, -1, EventKind.STEP)) return void engine.after(0, id);
        }
      },
    });
    return id;
  }

  await t.step("a lone step goes on in place; the ids and the count are as if scheduled", () => {
    const engine = new Engine();
    const log: string[] = [];
    engine.at(5, stepper(engine, log, "a", 3));
    engine.runUntil(10);
    assert.deepEqual(log, ["a@5", "a@5", "a@5"]);
    assert.equal(engine.fired, 3);
    assert.equal(engine.at(10, engine.register({ fire: () => {} })), 3);
  });

  await t.step("anything else due now goes first: steps of two handlers interleave as scheduled", () => {
    const engine = new Engine();
    const log: string[] = [];
    engine.at(5, stepper(engine, log, "a", 2));
    engine.at(5, stepper(engine, log, "b", 2));
    engine.runUntilIdle();
    assert.deepEqual(log, ["a@5", "b@5", "a@5", "b@5"]);
  });

  await t.step("not with a chooser, after stop(), past a step() or the events-per-instant bound", () => {
    const chosen = new Engine();
    chosen.chooser = () => 0;
    const log: string[] = [];
    chosen.at(1, stepper(chosen, log, "a", 2));
    chosen.step();
    assert.deepEqual(log, ["a@1"]);
    chosen.step();
    assert.deepEqual(log, ["a@1", "a@1"]);

    const stepped = new Engine();
    stepped.at(1, stepper(stepped, log, "s", 2));
    assert.equal(stepped.step(), true);
    assert.equal(stepped.fired, 1, "step() fires one event, none in place");

    const stopped = new Engine();
    let inPlace = true;
    const id = stopped.register({
      fire: () => {
        stopped.stop();
        inPlace = stopped.fireInPlace(id, 0, -1, 0);
      },
    });
    stopped.at(1, id);
    stopped.runUntilIdle();
    assert.equal(inPlace, false);

    const bounded = new Engine(3);
    bounded.at(1, stepper(bounded, log, "x", 10));
    bounded.runUntil(2);
    assert.equal(bounded.stalled, true);
    assert.equal(bounded.fired, 4, "the bound counts steps in place as it counts the others");
  });
});
