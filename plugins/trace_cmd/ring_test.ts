import assert from "node:assert/strict";
import { CpuRing, PAGE_HEADER, PAGE_SIZE } from "./ring.ts";

/** Read a page back as the kernel's ring-buffer reader does: (time, data length) per record. */
function decode(page: Uint8Array): { time: number; length: number }[] {
  const view = new DataView(page.buffer, page.byteOffset);
  let time = Number(view.getBigUint64(0, true));
  const end = PAGE_HEADER + Number(view.getBigInt64(8, true));
  const out: { time: number; length: number }[] = [];
  for (let at = PAGE_HEADER; at < end;) {
    const word = view.getUint32(at, true);
    const typeLen = word & 31;
    const delta = word >>> 5;
    at += 4;
    if (typeLen === 30) {
      time += view.getUint32(at, true) * 2 ** 27 + delta;
      at += 4;
      continue;
    }
    assert.ok(typeLen <= 28, `type_len ${typeLen} at ${at}`);
    time += delta;
    let length = typeLen * 4;
    if (typeLen === 0) {
      length = view.getUint32(at, true) - 4;
      at += 4;
    }
    out.push({ time, length });
    at += length;
  }
  return out;
}

Deno.test("ring: small records say their length in type_len words, big ones in array[0]", () => {
  const ring = new CpuRing(4);
  ring.write(1_000, new Uint8Array(9));
  ring.write(1_500, new Uint8Array(112));
  ring.write(1_700, new Uint8Array(113));
  assert.deepEqual(decode(ring.pages()[0]!), [
    { time: 1_000, length: 12 },
    { time: 1_500, length: 112 },
    { time: 1_700, length: 116 },
  ]);
});

Deno.test("ring: a delta beyond 27 bits goes through a TIME_EXTEND entry", () => {
  const ring = new CpuRing(4);
  const far = 5 * 2 ** 27 + 12_345;
  ring.write(10, new Uint8Array(8));
  ring.write(10 + far, new Uint8Array(8));
  ring.write(11 + far, new Uint8Array(8));
  assert.deepEqual(decode(ring.pages()[0]!).map((r) => r.time), [10, 10 + far, 11 + far]);
});

Deno.test("ring: a full page starts a new one, and a full ring drops its oldest page", () => {
  const ring = new CpuRing(2);
  const perPage = Math.floor((PAGE_SIZE - PAGE_HEADER) / 104);
  for (let i = 0; i < perPage * 3; i++) ring.write(i, new Uint8Array(100));
  const pages = ring.pages();
  assert.equal(pages.length, 2);
  assert.equal(ring.dropped, perPage);
  assert.deepEqual(
    pages.flatMap((p) => decode(p).map((r) => r.time)),
    Array.from({ length: perPage * 2 }, (_, i) => perPage + i),
  );
});

Deno.test("ring: time never goes back, and a record must fit a page", () => {
  const ring = new CpuRing(1);
  ring.write(100, new Uint8Array(4));
  assert.throws(() => ring.write(99, new Uint8Array(4)), /at 99 ns after one at 100 ns/);
  assert.throws(() => ring.write(200, new Uint8Array(4090)), /a ring-buffer page holds 4096 bytes/);
});
