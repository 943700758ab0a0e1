/**
 * vdpa_sim's DMA view of one address space: every ring and buffer access is
 * translated through that AS's IOTLB (vringh's iotlb_translate) and then
 * copied to or from host memory — physical frames in PA mode, the owner's
 * (or the bound process's) address space in VA mode.
 *
 * Two ways in, one translation:
 *
 * - `read` / `write`: copy through a caller's buffer, any length, across
 *   maps and frames; a miss or a permission failure throws VringhError with
 *   the kernel-style text.
 * - `direct`: the hot path for an access that fits in one 4 KiB host frame —
 *   the translated frame itself, with the offset in `directOff`, so vringh
 *   reads a ring index or a descriptor in place and copies a packet with one
 *   `set`. It never throws: anything unusual (a miss, a fault, a zero page, a
 *   frame crossing) returns undefined and the caller takes `read`/`write`,
 *   which then produce the exact error or bytes.
 *
 * The maps that served recent accesses are remembered with the IOTLB
 * generation they were found in; any map change (UPDATE, INVALIDATE,
 * set_map, reset) bumps the generation, which drops them, exactly like the
 * device's IOTLB is flushed by those operations.
 *
 * @example
 * ```ts
 * import { SimDma } from "./vdpa_sim_dma.ts";
 * console.log(typeof SimDma); // "function"
 * ```
 * @module
 */
import { EFAULT, EINVAL, EPERM } from "../../../include/uapi/asm-generic/errno.ts";
import { Errno } from "../../../kernel/errno.ts";
import type { MM } from "../../../mm/mm.ts";
import type { PhysMem } from "../../../mm/phys.ts";
import type { IotlbMap, VhostIotlb } from "../../vhost/iotlb.ts";
import { type DmaAccess, VringhError } from "../../vhost/vringh.ts";

/** Maps remembered per address space by the translation cache. */
const TLB_HITS = 8;
const FRAME = 4096;
/** Page cache slots (log2): rings plus two queues of buffers fit with few collisions. */
const PC_BITS = 12, PC_SIZE = 1 << PC_BITS;
/** Cache entry kinds: the target is a host PA, a VA in the entry's mm, or a VA in the bound process. */
const K_PHYS = 0, K_MM = 1, K_BOUND = 2;

/** What the DMA view needs from the simulator (kept narrow: no import cycle). */
export interface SimDmaHost {
  readonly useVa: boolean;
  /** The process bound with bind_mm (passthrough maps in VA mode go to its mm). */
  readonly mm: { mm: MM } | undefined;
  readonly kernel: { phys: PhysMem };
}

/** The DMA accessor of one address space. */
export class SimDma implements DmaAccess {
  readonly host: SimDmaHost;
  readonly asid: number;
  readonly tlb: VhostIotlb;
  /** Offset in the frame returned by the last successful `direct`. */
  directOff = 0;
  // The cache, as parallel typed arrays (no object per entry, no closures).
  #n = 0;
  #next = 0;
  #gen = -1;
  #start = new Float64Array(TLB_HITS);
  #last = new Float64Array(TLB_HITS);
  #addr = new Float64Array(TLB_HITS);
  #perm = new Uint8Array(TLB_HITS);
  #kind = new Uint8Array(TLB_HITS);
  #mm: (MM | undefined)[] = new Array(TLB_HITS).fill(undefined);
  #map: (IotlbMap | undefined)[] = new Array(TLB_HITS).fill(undefined);
  // The page cache: IOVA 4 KiB page → host frame, direct-mapped (Fibonacci
  // hash), with the permission it was proven for and what it depends on.
  #pcKey = new Float64Array(PC_SIZE).fill(-1);
  #pcFrame: (Uint8Array | undefined)[] = new Array(PC_SIZE).fill(undefined);
  #pcPerm = new Uint8Array(PC_SIZE);
  #pcGen = -1;
  #pcBound: unknown = undefined;
  #pcMm: MM | undefined;
  #pcMmGen = 0;

  constructor(host: SimDmaHost, asid: number, tlb: VhostIotlb) {
    this.host = host;
    this.asid = asid;
    this.tlb = tlb;
  }

  /** The cached entry covering [iova, lastB] with permission `bit`, else -1 (drops a stale cache first). */
  #hit(iova: number, lastB: number, bit: number): number {
    if (this.#gen !== this.tlb.generation) {
      this.#n = 0;
      this.#next = 0;
      this.#gen = this.tlb.generation;
      this.#map.fill(undefined);
      this.#mm.fill(undefined);
    }
    const s = this.#start, l = this.#last, p = this.#perm;
    for (let i = 0; i < this.#n; i++) {
      if (iova >= s[i]! && lastB <= l[i]! && (p[i]! & bit) !== 0) return i;
    }
    return -1;
  }

  /** Remember map `m`; returns its slot. */
  #remember(m: IotlbMap): number {
    let i: number;
    if (this.#n < TLB_HITS) i = this.#n++;
    else i = this.#next = (this.#next + 1) % TLB_HITS;
    this.#start[i] = m.start;
    this.#last[i] = m.last;
    this.#addr[i] = m.addr;
    this.#perm[i] = m.perm;
    this.#map[i] = m;
    const pt = m.note === "passthrough";
    this.#kind[i] = m.mm ? K_MM : pt && this.host.useVa ? K_BOUND : K_PHYS;
    this.#mm[i] = m.mm;
    return i;
  }

  /**
   * Translate [iova, iova + len) for an in-place access: the host frame that
   * holds all of it (offset in `directOff`), or undefined when the access must
   * take `read`/`write` (miss, permission, fault, unbacked page on a read,
   * frame crossing). Never throws and never has an effect the copy path
   * would not have had.
   */
  direct(iova: number, len: number, write: boolean): Uint8Array | undefined {
    const pn = Math.floor(iova / FRAME), off = iova - pn * FRAME;
    if (off + len > FRAME) return undefined;
    const bit = write ? 2 : 1;
    // Page cache hit: valid while the IOTLB, the bound process and the mm it
    // resolved through are unchanged (any map change bumps a generation).
    const h = Math.imul(pn | 0, 0x9e37_79b1) >>> (32 - PC_BITS);
    if (
      this.#pcKey[h] === pn && (this.#pcPerm[h]! & bit) !== 0 &&
      this.#pcGen === this.tlb.generation && this.#pcBound === this.host.mm &&
      (this.#pcMm === undefined || this.#pcMm.generation === this.#pcMmGen)
    ) {
      this.directOff = off;
      return this.#pcFrame[h];
    }
    return this.#directMiss(iova, pn, off, len, bit, write, h);
  }

  #directMiss(
    iova: number,
    pn: number,
    off: number,
    len: number,
    bit: number,
    write: boolean,
    h: number,
  ): Uint8Array | undefined {
    if (
      this.#pcGen !== this.tlb.generation || this.#pcBound !== this.host.mm ||
      (this.#pcMm !== undefined && this.#pcMm.generation !== this.#pcMmGen)
    ) this.#pcFlush();
    let i = this.#hit(iova, iova + len - 1, bit);
    if (i < 0) {
      const m = this.tlb.find(iova);
      if (!m || iova + len - 1 > m.last || !(m.perm & bit)) return undefined;
      i = this.#remember(m);
    }
    // Same arithmetic as the copy path (bit-exact even where doubles round).
    const target = iova - this.#start[i]! + this.#addr[i]!;
    const kind = this.#kind[i]!;
    try {
      let pa = target;
      let mm: MM | undefined;
      if (kind !== K_PHYS) {
        mm = kind === K_MM ? this.#mm[i] : this.host.mm?.mm;
        if (!mm) return undefined;
        pa = mm.translate(target, write);
        if (pa < 0) return undefined; // the zero page: let the copy path fill zeros
      }
      const poff = pa - Math.floor(pa / FRAME) * FRAME; // not %: a double % is a libm call
      if (poff + len > FRAME) return undefined;
      const f = this.host.kernel.phys.frameAt(pa, write);
      if (f === undefined) return undefined;
      this.directOff = poff;
      // Cache the page when the whole IOVA page lands on this one frame.
      const page = pn * FRAME;
      if (
        poff === off && page >= this.#start[i]! && page + FRAME - 1 <= this.#last[i]! &&
        (mm === undefined || this.#pcMm === undefined || this.#pcMm === mm)
      ) {
        if (mm !== undefined && this.#pcMm === undefined) {
          this.#pcMm = mm;
          this.#pcMmGen = mm.generation;
        }
        this.#pcKey[h] = pn;
        this.#pcFrame[h] = f;
        // A VA read proves readability only; phys frames have no protection of their own.
        this.#pcPerm[h] = mm !== undefined && !write ? this.#perm[i]! & 1 : this.#perm[i]!;
      }
      return f;
    } catch {
      return undefined; // the copy path repeats the access and reports the fault
    }
  }

  #pcFlush(): void {
    this.#pcKey.fill(-1);
    this.#pcFrame.fill(undefined);
    this.#pcGen = this.tlb.generation;
    this.#pcBound = this.host.mm;
    this.#pcMm = undefined;
  }

  /** DmaAccess.read: copy `len` bytes at `iova` into dst[off…]. */
  read(iova: number, dst: Uint8Array, off: number, len: number): void {
    this.#xfer(iova, dst, off, len, false);
  }

  /** DmaAccess.write: copy src[off…off+len) to `iova`. */
  write(iova: number, src: Uint8Array, off: number, len: number): void {
    this.#xfer(iova, src, off, len, true);
  }

  /** The copy path: whole access from one cached map, else map by map through the IOTLB. */
  #xfer(iova: number, buf: Uint8Array, off: number, len: number, write: boolean): void {
    const bit = write ? 2 : 1, lastB = iova + len - 1;
    const i = this.#hit(iova, lastB, bit);
    if (i >= 0) {
      this.#copy(
        i,
        this.#map[i]!,
        iova,
        iova - this.#start[i]! + this.#addr[i]!,
        buf,
        off,
        len,
        write,
      );
      return;
    }
    let done = 0;
    while (done < len) {
      const a = iova + done;
      const m = this.tlb.find(a);
      if (!m) {
        throw new VringhError(
          EINVAL,
          `IOTLB miss: iova 0x${a.toString(16)} is not mapped in AS ${this.asid}`,
        );
      }
      if (!(m.perm & bit)) {
        throw new VringhError(
          EPERM,
          `IOTLB permission: iova 0x${a.toString(16)} is not ${write ? "writable" : "readable"}`,
        );
      }
      const j = this.#remember(m);
      const n = Math.min(len - done, m.last - a + 1);
      this.#copy(j, m, a, m.addr + (a - m.start), buf, off + done, n, write);
      done += n;
    }
  }

  /** The copy itself, to the map's address space (a user mm in VA mode) or host physical memory. */
  #copy(
    i: number,
    m: IotlbMap,
    iova: number,
    target: number,
    buf: Uint8Array,
    off: number,
    n: number,
    write: boolean,
  ): void {
    const kind = this.#kind[i]!;
    const mm = kind === K_MM ? m.mm : kind === K_BOUND ? this.host.mm?.mm : undefined;
    try {
      if (mm) {
        if (write) mm.writeFrom(target, buf, off, n);
        else mm.readInto(target, buf, off, n);
      } else if (kind === K_BOUND) {
        throw new VringhError(EFAULT, "passthrough map in VA mode but no mm is bound");
      } else if (write) this.host.kernel.phys.writeFrom(target, buf, off, n);
      else this.host.kernel.phys.readInto(target, buf, off, n);
    } catch (e) {
      if (e instanceof Errno) {
        throw new VringhError(
          e.errno,
          `copy ${write ? "to" : "from"} iova 0x${iova.toString(16)} (addr 0x${
            target.toString(16)
          }) failed: ${e.message}`,
        );
      }
      throw e;
    }
  }
}
