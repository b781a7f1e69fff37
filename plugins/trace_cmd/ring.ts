/**
 * One CPU's ring buffer in the kernel's binary layout: pages of 4096 bytes,
 * each a 16-byte header (the page's time stamp, then the bytes committed)
 * and entries, each behind a 32-bit header of `type_len` (5 bits) and
 * `time_delta` (27 bits) from the previous entry. A delta that does not fit
 * in 27 bits is carried by a `TIME_EXTEND` entry first. When the ring holds
 * its number of pages, the oldest page makes room, as the kernel's
 * overwrite mode does.
 *
 * @module
 */

/** The kernel's page size, and the ring buffer's page. */
export const PAGE_SIZE = 4096;
/** The page header: `u64 timestamp`, `local_t commit`. */
export const PAGE_HEADER = 16;
/** `type_len` of an extended time delta. */
export const RINGBUF_TYPE_TIME_EXTEND = 30;
/** The largest `type_len` of a data entry: longer data put its length in `array[0]` (type_len 0). */
export const RINGBUF_TYPE_DATA_TYPE_LEN_MAX = 28;
/** `time_delta` has 27 bits. */
export const TS_SHIFT = 27;
const TS_MASK = 2 ** TS_SHIFT - 1;
/** Data up to this size (bytes) say their length in `type_len` words. */
const RB_MAX_SMALL_DATA = 4 * RINGBUF_TYPE_DATA_TYPE_LEN_MAX;

/** The pages of one CPU's ring buffer, oldest first. */
export class CpuRing {
  #maxPages: number;
  #pages: Page[] = [];
  #page: Page | null = null;
  #used = PAGE_HEADER;
  #last = 0;
  #dropped = 0;

  /** A ring of at most `maxPages` pages (the page being written included). */
  constructor(maxPages: number) {
    if (maxPages < 1) throw new RangeError(`A ring buffer needs at least one page, got ${maxPages}`);
    this.#maxPages = maxPages;
  }

  /** Records dropped with the pages that made room for newer ones. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Append a record of `data` at `time` ns (not before the previous record). */
  write(time: number, data: Uint8Array): void {
    const small = data.length <= RB_MAX_SMALL_DATA;
    const body = Math.ceil(data.length / 4) * 4 + (small ? 0 : 4);
    if (PAGE_HEADER + 8 + 4 + body > PAGE_SIZE) {
      throw new RangeError(
        `Cannot record an event of ${data.length} bytes: a ring-buffer page holds ${PAGE_SIZE} bytes`,
      );
    }
    let delta = time - this.#last;
    if (delta < 0) throw new RangeError(`Cannot record an event at ${time} ns after one at ${this.#last} ns`);
    const extend = delta > TS_MASK;
    if (this.#page === null || this.#used + (extend ? 8 : 0) + 4 + body > PAGE_SIZE) {
      this.#newPage(time);
      delta = 0;
    }
    const page = this.#page!;
    const view = page.view;
    if (delta > TS_MASK) {
      view.setUint32(this.#used, RINGBUF_TYPE_TIME_EXTEND | ((delta % 2 ** TS_SHIFT) << 5), true);
      view.setUint32(this.#used + 4, Math.floor(delta / 2 ** TS_SHIFT), true);
      this.#used += 8;
      delta = 0;
    }
    const typeLen = small ? Math.max(1, Math.ceil(data.length / 4)) : 0;
    view.setUint32(this.#used, typeLen | (delta << 5), true);
    this.#used += 4;
    if (!small) {
      view.setUint32(this.#used, body, true);
      this.#used += 4;
    }
    page.bytes.set(data, this.#used);
    this.#used += small ? typeLen * 4 : body - 4;
    this.#last = time;
    page.records++;
    view.setBigInt64(8, BigInt(this.#used - PAGE_HEADER), true);
  }

  /** The pages, oldest first, each committed up to its last record. */
  pages(): Uint8Array[] {
    return this.#pages.map((p) => p.bytes);
  }

  #newPage(time: number): void {
    if (this.#pages.length === this.#maxPages) this.#dropped += this.#pages.shift()!.records;
    const bytes = new Uint8Array(PAGE_SIZE);
    const page = { bytes, view: new DataView(bytes.buffer), records: 0 };
    page.view.setBigUint64(0, BigInt(time), true);
    this.#pages.push(page);
    this.#page = page;
    this.#used = PAGE_HEADER;
    this.#last = time;
  }
}

/** A page, a view on it, and how many records it holds (what dropping it loses). */
interface Page {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  records: number;
}
