/**
 * drivers/vhost/vringh.c (the *_iotlb flavour): a device-side walker of a
 * split virtqueue whose ring and buffer addresses are IOVAs, translated on
 * every access through the device's IOTLB. Errors are the kernel's: a head
 * index ≥ num is EINVAL ("Guest says index %u > %u is available"), a chain
 * longer than num is ELOOP ("Descriptor loop"), a readable descriptor after a
 * writable one EINVAL, an unexpected direction EPROTO, a nested indirect
 * table EINVAL, and a translation miss EINVAL (permission: EPERM).
 *
 * @example
 * ```ts
 * import { Vringh, Kiov } from "./vringh.ts";
 * const mem = new Uint8Array(0x10000);
 * const dma = {
 *   read: (iova: number, dst: Uint8Array, off: number, len: number) => dst.set(mem.subarray(iova, iova + len), off),
 *   write: (iova: number, src: Uint8Array, off: number, len: number) => mem.set(src.subarray(off, off + len), iova),
 * };
 * const vr = new Vringh(dma, 8, 0x0, 0x1000, 0x2000);
 * console.log(vr.getdesc(new Kiov(), null)); // -1 (nothing available)
 * ```
 * @module
 */
import { EINVAL, ELOOP, EPROTO } from "../../include/uapi/asm-generic/errno.ts";
import {
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
} from "../../include/uapi/linux/virtio_ring.ts";
import { getUnalignedLe32, putUnalignedLe32 } from "../../include/linux/unaligned.ts";

/** How the walker reaches memory: IOVA → bytes, throwing VringhError on a miss. */
export interface DmaAccess {
  read(iova: number, dst: Uint8Array, off: number, len: number): void;
  write(iova: number, src: Uint8Array, off: number, len: number): void;
  /**
   * Optional fast path: translate [iova, iova + len) and return the host
   * bytes holding all of it (offset in `directOff`) for an in-place access,
   * or undefined to make the walker use read/write (which report errors).
   * Must not throw.
   */
  direct?(iova: number, len: number, write: boolean): Uint8Array | undefined;
  /** Offset set by the last successful `direct`. */
  directOff?: number;
}

/** A ring or translation error, with the kernel's errno and vringh_bad() text. */
export class VringhError extends Error {
  readonly errno: number;
  constructor(errno: number, message: string) {
    super(message);
    this.errno = errno;
  }
}

/**
 * struct vringh_kiov: the buffers of one chain in one direction, and a cursor.
 * The arrays are reused from chain to chain (only the first `used` entries
 * count), so walking a ring allocates nothing once they have grown.
 */
export class Kiov {
  addr: number[] = [];
  len: number[] = [];
  /** Entries in use. */
  n = 0;
  /** Entry being consumed and the bytes of it already consumed. */
  i = 0;
  consumed = 0;
  get used(): number {
    return this.n;
  }
  reset(): void {
    this.n = 0;
    this.i = 0;
    this.consumed = 0;
  }
  /** Append one buffer. */
  push(addr: number, len: number): void {
    this.addr[this.n] = addr;
    this.len[this.n] = len;
    this.n++;
  }
  /** Total bytes described. */
  total(): number {
    let t = 0;
    for (let i = 0; i < this.n; i++) t += this.len[i]!;
    return t;
  }
}

const hx = (n: number): string => `0x${n.toString(16)}`;

/** struct vringh for a split ring. */
export class Vringh {
  mem: DmaAccess;
  readonly num: number;
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  eventIndices = false;
  lastAvailIdx = 0;
  lastUsedIdx = 0;
  completed = 0;
  /** Head of the chain last returned by getdesc. */
  head = 0;
  #b = new Uint8Array(16);
  #dv = new DataView(this.#b.buffer);
  /** Whether `mem` offers `direct` (checked once, not per access). */
  #direct: boolean;

  constructor(mem: DmaAccess, num: number, desc: number, avail: number, used: number) {
    this.mem = mem;
    this.#direct = typeof mem.direct === "function";
    this.num = num;
    this.desc = desc;
    this.avail = avail;
    this.used = used;
  }

  /**
   * vringh_set_iotlb: translate through another IOTLB from now on; the ring
   * state (indexes, completed count) is kept.
   */
  setMem(mem: DmaAccess): void {
    this.mem = mem;
    this.#direct = typeof mem.direct === "function";
  }

  // `what` names the field for the error text; it is only formatted on a failure
  // (`slot` ≥ 0 adds the ring index), so the hot path builds no strings.
  #getu16(iova: number, what: string, slot = -1): number {
    if (this.#direct) {
      const f = this.mem.direct!(iova, 2, false);
      if (f !== undefined) {
        const o = this.mem.directOff!;
        return f[o]! | (f[o + 1]! << 8);
      }
    }
    try {
      this.mem.read(iova, this.#b, 0, 2);
    } catch (e) {
      throw wrap(e, `Failed to access ${what}${slot >= 0 ? ` ${slot}` : ""} at ${hx(iova)}`);
    }
    return this.#b[0]! | (this.#b[1]! << 8);
  }

  #putu16(iova: number, v: number, what: string): void {
    if (this.#direct) {
      const f = this.mem.direct!(iova, 2, true);
      if (f !== undefined) {
        const o = this.mem.directOff!;
        f[o] = v & 0xff;
        f[o + 1] = (v >> 8) & 0xff;
        return;
      }
    }
    this.#b[0] = v & 0xff;
    this.#b[1] = (v >> 8) & 0xff;
    try {
      this.mem.write(iova, this.#b, 0, 2);
    } catch (e) {
      throw wrap(e, `Failed to write ${what} at ${hx(iova)}`);
    }
  }

  /**
   * __vringh_get_head: the next head, or num when the ring is empty. avail->idx
   * is re-read every time, as vringh does (a guest that rewinds it is seen at once).
   */
  getHead(): number {
    const availIdx = this.#getu16(this.avail + 2, "avail idx");
    if ((this.lastAvailIdx & 0xffff) === availIdx) return this.num;
    const i = this.lastAvailIdx & (this.num - 1);
    const head = this.#getu16(this.avail + 4 + 2 * i, "head: idx", i);
    if (head >= this.num) {
      throw new VringhError(EINVAL, `Guest says index ${head} > ${this.num} is available`);
    }
    this.lastAvailIdx = (this.lastAvailIdx + 1) & 0xffff;
    return head;
  }

  /**
   * vringh_getdesc_iotlb: fetch the next chain into riov (device-readable)
   * and wiov (device-writable). Returns the head, or -1 when none is
   * available; throws VringhError for a bad chain.
   */
  getdesc(riov: Kiov | null, wiov: Kiov | null): number {
    const head = this.getHead();
    if (head === this.num) return -1;
    this.head = head;
    riov?.reset();
    wiov?.reset();
    let descs = this.desc, descMax = this.num, upNext = -1, count = 0, i = head;
    const mem = this.mem, fast = this.#direct;
    for (;;) {
      const at = descs + i * 16;
      // The descriptor in place when it sits in one frame, else copied out.
      let f = fast ? mem.direct!(at, 16, false) : undefined, o = 0;
      if (f !== undefined) o = mem.directOff!;
      else {
        try {
          mem.read(at, this.#b, 0, 16);
        } catch (e) {
          throw wrap(e, `Failed to read descriptor ${i} at ${hx(at)}`);
        }
        f = this.#b;
      }
      // Two u32 halves: no BigInt per descriptor (addresses ≥ 2^53 lose exactness, as toNum does).
      const addr = getUnalignedLe32(f, o) + getUnalignedLe32(f, o + 4) * 0x1_0000_0000;
      const len = getUnalignedLe32(f, o + 8);
      const flags = f[o + 12]! | (f[o + 13]! << 8);
      const next = f[o + 14]! | (f[o + 15]! << 8);
      if (flags & VRING_DESC_F_INDIRECT) {
        if (upNext !== -1) throw new VringhError(EINVAL, `Multilevel indirect ${i}->${next}`);
        if (len % 16) throw new VringhError(EINVAL, `Strange indirect len ${len}`);
        upNext = flags & VRING_DESC_F_NEXT ? next : -2;
        descs = addr;
        descMax = len / 16;
        i = 0;
        continue;
      }
      if (count++ === this.num) throw new VringhError(ELOOP, `Descriptor loop in ${hx(descs)}`);
      let iov: Kiov | null;
      if (flags & VRING_DESC_F_WRITE) iov = wiov;
      else {
        iov = riov;
        if (wiov && wiov.used) {
          throw new VringhError(EINVAL, `Readable desc ${hx(at)} after writable`);
        }
      }
      if (!iov) throw new VringhError(EPROTO, `Unexpected ${!wiov ? "writable" : "readable"} desc`);
      iov.push(addr, len);
      if (flags & VRING_DESC_F_NEXT) i = next;
      else if (upNext > 0) {
        // return_from_indirect (note: a NEXT of 0 is taken as "no return", as in the kernel).
        i = upNext;
        descs = this.desc;
        descMax = this.num;
        upNext = -1;
      } else break;
      if (i >= descMax) throw new VringhError(EINVAL, `Chained index ${i} > ${descMax}`);
    }
    return head;
  }

  /** vringh_iov_pull_iotlb: copy up to len bytes out of riov into dst. */
  pull(iov: Kiov, dst: Uint8Array, len: number): number {
    return this.#xfer(iov, dst, len, false);
  }

  /** vringh_iov_push_iotlb: copy up to len bytes of src into wiov. */
  push(iov: Kiov, src: Uint8Array, len: number): number {
    return this.#xfer(iov, src, len, true);
  }

  /** vringh_iov_xfer: walk the iov moving bytes (a flag, not a callback: this is the hot path). */
  #xfer(iov: Kiov, buf: Uint8Array, len: number, toIov: boolean): number {
    let done = 0;
    const mem = this.mem;
    while (done < len && iov.i < iov.n) {
      const l = iov.len[iov.i]!;
      const n = Math.min(l - iov.consumed, len - done);
      if (n > 0) {
        const at = iov.addr[iov.i]! + iov.consumed;
        const f = this.#direct ? mem.direct!(at, n, toIov) : undefined;
        if (f !== undefined) {
          // One set() between the two backing stores; views built with the
          // constructor (subarray() costs several times more per call).
          const o = mem.directOff!;
          if (toIov) {
            f.set(done === 0 && n === buf.length ? buf : view(buf, done, n), o);
          } else buf.set(view(f, o, n), done);
        } else if (toIov) mem.write(at, buf, done, n);
        else mem.read(at, buf, done, n);
        done += n;
        iov.consumed += n;
      }
      if (iov.consumed >= l) {
        iov.i++;
        iov.consumed = 0;
      }
    }
    return done;
  }

  /** vringh_complete_iotlb: publish one used element and bump used->idx. */
  complete(head: number, len: number): void {
    const usedIdx = (this.lastUsedIdx + this.completed) & 0xffff;
    const off = usedIdx & (this.num - 1);
    const at = this.used + 4 + off * 8;
    const f = this.#direct ? this.mem.direct!(at, 8, true) : undefined;
    if (f !== undefined) {
      const o = this.mem.directOff!;
      putUnalignedLe32(f, o, head);
      putUnalignedLe32(f, o + 4, len);
    } else {
      const dv = this.#dv;
      dv.setUint32(0, head, true);
      dv.setUint32(4, len, true);
      try {
        this.mem.write(at, this.#b, 0, 8);
      } catch (e) {
        throw wrap(e, `Failed to write used entry ${off} at ${hx(at)}`);
      }
    }
    this.#putu16(this.used + 2, (usedIdx + 1) & 0xffff, "used idx");
    this.completed++;
  }

  /** vringh_need_notify_iotlb, old style (the simulator offers no EVENT_IDX). */
  needNotify(): boolean {
    const flags = this.#getu16(this.avail, "avail flags");
    return !(flags & VRING_AVAIL_F_NO_INTERRUPT);
  }
}

function view(b: Uint8Array, off: number, len: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + off, len);
}

function wrap(e: unknown, what: string): VringhError {
  if (e instanceof VringhError) return new VringhError(e.errno, `${what}: ${e.message}`);
  throw e;
}
