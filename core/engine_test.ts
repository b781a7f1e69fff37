import assert from "node:assert/strict";
import { Engine, Priority, spawnProcess } from "./engine.ts";
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
