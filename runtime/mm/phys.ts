/**
 * Host physical memory, allocated lazily: a page is a number (its physical
 * address) until something writes it, and only then gets bytes. Frames are
 * kept at 4 KiB granularity whatever the host page size, so a 64 KiB page that
 * is touched once costs 4 KiB.
 *
 * @example
 * ```ts
 * import { PhysMem } from "./phys.ts";
 * const pm = new PhysMem(65536);
 * const pa = pm.allocPage();
 * pm.write(pa + 8, new Uint8Array([1, 2]));
 * console.log(pm.read(pa + 8, 2), pm.bytesResident()); // Uint8Array(2) [ 1, 2 ] 4096
 * ```
 * @module
 */

const FRAME = 4096;
const BASE = 0x2000_0000;
const ZERO = new Uint8Array(FRAME);

/** Sparse host RAM. Physical addresses are plain numbers (< 2^53). */
export class PhysMem {
  readonly pageSize: number;
  /** Frames by index from BASE; pages come from a bump allocator, so this stays dense-ish. */
  #frames: (Uint8Array | undefined)[] = [];
  #count = 0;
  #next = BASE;
  #pages = 0;

  constructor(pageSize: number) {
    this.pageSize = pageSize;
  }

  /** Allocate one zeroed host page; returns its physical address. */
  allocPage(): number {
    const pa = this.#next;
    this.#next += this.pageSize;
    this.#pages++;
    return pa;
  }

  /** Pages handed out so far. */
  pagesAllocated(): number {
    return this.#pages;
  }

  /** Bytes actually backed by storage. */
  bytesResident(): number {
    return this.#count * FRAME;
  }

  /**
   * The 4 KiB frame holding `pa` (its bytes at `pa % 4096`), or undefined when
   * it was never written and `create` is false. Lets DMA hot paths read and
   * write in place instead of copying through a scratch buffer. Throws
   * RangeError, as a write would, when `create` and `pa` was never allocated.
   */
  frameAt(pa: number, create: boolean): Uint8Array | undefined {
    return this.#frame(pa, create);
  }

  #frame(pa: number, create: boolean): Uint8Array | undefined {
    const i = Math.floor((pa - BASE) / FRAME);
    let f = i >= 0 ? this.#frames[i] : undefined;
    if (!f && create) {
      if (i < 0 || i >= (this.#next - BASE) / FRAME) {
        throw new RangeError(`physical address 0x${pa.toString(16)} was never allocated`);
      }
      while (this.#frames.length < i) this.#frames.push(undefined);
      f = new Uint8Array(FRAME);
      this.#frames[i] = f;
      this.#count++;
    }
    return f;
  }

  /** Copy `len` bytes out of physical memory. */
  read(pa: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.readInto(pa, out, 0, len);
    return out;
  }

  /** Copy `len` bytes out of physical memory into `dst` at `dstOff` (no allocation: DMA hot paths). */
  readInto(pa: number, dst: Uint8Array, dstOff: number, len: number): void {
    let done = 0;
    while (done < len) {
      const a = pa + done;
      const off = a - Math.floor(a / FRAME) * FRAME; // not %: a double % is a libm call
      const n = Math.min(len - done, FRAME - off);
      const f = this.#frame(a, false) ?? ZERO;
      if (n <= 16) { for (let i = 0; i < n; i++) dst[dstOff + done + i] = f[off + i]!; }
      // A view built with the constructor: subarray() goes through the species lookup and costs ~4x more.
      else dst.set(new Uint8Array(f.buffer, f.byteOffset + off, n), dstOff + done);
      done += n;
    }
  }

  /** Copy bytes into physical memory. */
  write(pa: number, data: Uint8Array): void {
    this.writeFrom(pa, data, 0, data.length);
  }

  /** Copy `len` bytes of `src` from `srcOff` into physical memory (no allocation). */
  writeFrom(pa: number, src: Uint8Array, srcOff: number, len: number): void {
    let done = 0;
    while (done < len) {
      const a = pa + done;
      const off = a - Math.floor(a / FRAME) * FRAME; // not %: a double % is a libm call
      const n = Math.min(len - done, FRAME - off);
      const f = this.#frame(a, true)!;
      if (n <= 16) { for (let i = 0; i < n; i++) f[off + i] = src[srcOff + done + i]!; }
      else if (srcOff + done === 0 && n === src.length) f.set(src, off);
      else f.set(new Uint8Array(src.buffer, src.byteOffset + srcOff + done, n), off);
      done += n;
    }
  }

  /** Copy within physical memory (DMA engines, vring copies). */
  copy(dst: number, src: number, len: number): void {
    this.write(dst, this.read(src, len));
  }
}
