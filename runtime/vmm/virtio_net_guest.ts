/**
 * The guest's virtio-net driver, reduced to what a loopback test needs: it
 * places split virtqueues in guest RAM (descriptor table, available ring,
 * used ring at GPAs the VMM then programs as IOVAs), posts RX buffers and TX
 * chains, notifies (as the guest's write to the notify register, which KVM's
 * ioeventfd turns into a kick eventfd signal) and reaps used rings. All ring
 * memory is guest RAM reached through the VMM's mapping of it, so the
 * device sees exactly the bytes the guest wrote.
 *
 * @example
 * ```ts
 * import { ringLayout } from "./virtio_net_guest.ts";
 * console.log(ringLayout(0x100000, 1, 256).used.toString(16)); // "105000"
 * ```
 * @module
 */
import { VRING_DESC_F_NEXT, VRING_DESC_F_WRITE } from "../include/uapi/linux/virtio_ring.ts";
import { VIRTIO_NET_HDR_V1_LEN } from "../include/uapi/linux/virtio_net.ts";
import type { EventfdCtx } from "../fs/eventfd.ts";
import type { MM } from "../mm/mm.ts";
import { VmmError } from "./registry.ts";
import type { Vmm, VmmGuest } from "./vmm.ts";
import { getUnalignedLe32, putUnalignedLe32 } from "../include/linux/unaligned.ts";

/** Bytes reserved per descriptor's buffer (one frame up to 64 KiB, GSO-sized). */
export const BUF_SLOT = 0x10000;
const pg = (n: number): number => Math.ceil(n / 0x1000) * 0x1000;
/** Bytes reserved per virtqueue's rings (each part page-aligned). */
export function ringStride(num: number): number {
  return pg(16 * num) + pg(6 + 2 * num) + pg(6 + 8 * num);
}

/**
 * Where vq `q` of a device whose ring area starts at `base` lives.
 *
 * @example
 * ```ts
 * console.log(ringLayout(0, 0, 8).avail); // 4096
 * ```
 */
export function ringLayout(
  base: number,
  q: number,
  num: number,
): { desc: number; avail: number; used: number; buffers: number } {
  const st = ringStride(num);
  const r = base + q * st;
  const avail = r + pg(16 * num);
  return {
    desc: r,
    avail,
    used: avail + pg(6 + 2 * num),
    buffers: base + 4 * st + q * num * BUF_SLOT,
  };
}

/** One used element reaped by the driver. */
export interface Reaped {
  id: number;
  len: number;
  /** RX: the bytes the device wrote (virtio-net header included). TX: empty. */
  data: Uint8Array;
}

/**
 * The driver's view of one virtqueue. Like Linux's virtio_ring (desc_extra),
 * the driver keeps a private shadow of each descriptor's length and chain
 * link, so reaping never reads descriptors back; the free list is a FIFO of
 * descriptor ids in typed arrays, so posting allocates nothing.
 */
export class GuestVq {
  readonly index: number;
  readonly num: number;
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  readonly buffers: number;
  availIdx = 0;
  lastUsed = 0;
  /** FIFO of free descriptor ids: `nfree` entries from `freeHead`. */
  readonly freeRing: Int32Array;
  freeHead = 0;
  nfree: number;
  /** Per descriptor: next id in its chain (driver shadow) and its length. */
  readonly nextId: Int32Array;
  readonly descLen: Uint32Array;
  /** Per head: descriptors in the in-flight chain (0 = not in flight). */
  readonly chainLen: Int32Array;
  /** Kick eventfd context (set by the VMM at start). */
  kick: EventfdCtx | undefined;
  constructor(index: number, num: number, base: number) {
    this.index = index;
    this.num = num;
    const l = ringLayout(base, index, num);
    this.desc = l.desc;
    this.avail = l.avail;
    this.used = l.used;
    this.buffers = l.buffers;
    this.freeRing = new Int32Array(num);
    for (let i = 0; i < num; i++) this.freeRing[i] = i;
    this.nfree = num;
    this.nextId = new Int32Array(num);
    this.descLen = new Uint32Array(num);
    this.chainLen = new Int32Array(num);
  }

  /** Free descriptor ids, oldest first. */
  get free(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.nfree; i++) out.push(this.freeRing[(this.freeHead + i) % this.num]!);
    return out;
  }

  /** Take the oldest free id. */
  takeFree(): number {
    const id = this.freeRing[this.freeHead]!;
    this.freeHead = (this.freeHead + 1) % this.num;
    this.nfree--;
    return id;
  }

  /** Return an id to the back of the free list. */
  putFree(id: number): void {
    this.freeRing[(this.freeHead + this.nfree) % this.num] = id;
    this.nfree++;
  }
}

/** The guest's virtio-net driver state for one device. */
export class GuestVirtioNet {
  readonly vmm: Vmm;
  readonly guest: VmmGuest;
  readonly base: number;
  readonly vqs: GuestVq[];
  readonly hdrLen = VIRTIO_NET_HDR_V1_LEN;
  /** Scratch for descriptor/index stores and loads (no allocation per access). */
  #b = new Uint8Array(16);
  #dv = new DataView(this.#b.buffer);

  constructor(vmm: Vmm, guest: VmmGuest, base: number, num: number, nq: number) {
    this.vmm = vmm;
    this.guest = guest;
    this.base = base;
    this.vqs = Array.from({ length: nq }, (_, i) => new GuestVq(i, num, base));
    const end = ringLayout(base, nq - 1, num).buffers + num * BUF_SLOT;
    if (base < guest.ramGpa || end > guest.ramGpa + guest.ramSize) {
      throw new VmmError(
        `virtio-net rings and buffers need GPA 0x${base.toString(16)}..0x${
          end.toString(16)
        }, outside ${guest.name}'s RAM`,
        { prop: "rings", help: "give the guest more memory or place the rings with `rings 0x…`" },
      );
    }
    // A fresh driver starts from zeroed rings (flags 0, idx 0).
    for (const vq of this.vqs) {
      this.write(vq.avail, new Uint8Array(6 + 2 * num));
      this.write(vq.used, new Uint8Array(6 + 8 * num));
    }
  }

  #hva(gpa: number, len: number): number {
    const g = this.guest;
    if (gpa < g.ramGpa || gpa + len > g.ramGpa + g.ramSize) {
      throw new VmmError(`GPA 0x${gpa.toString(16)} (+${len}) is outside ${g.name}'s RAM`);
    }
    return g.ramHva + (gpa - g.ramGpa);
  }

  /**
   * Guest-physical page → host-physical address, as the stage-2 / EPT entry
   * the guest's loads and stores go through once the page has been faulted
   * in. Dropped whenever the VMM's address space loses a mapping (the mm's
   * generation moves on munmap), the way an MMU notifier zaps stage-2 entries.
   */
  #tlb = new Map<number, number>();
  #tlbMm: MM | undefined;
  #tlbGen = -1;
  /** Offset in the frame returned by the last #frame. */
  #off = 0;

  #flush(mm: MM): void {
    this.#tlb.clear();
    this.#frames = [];
    this.#tlbMm = mm;
    this.#tlbGen = mm.generation;
  }

  #pa(gpa: number, write: boolean): number {
    const mm = this.vmm.proc.mm;
    if (mm !== this.#tlbMm || mm.generation !== this.#tlbGen) this.#flush(mm);
    const ps = mm.pageSize;
    const rel = gpa - this.guest.ramGpa;
    const pfn = Math.floor(rel / ps);
    let base = this.#tlb.get(pfn);
    if (base === undefined) {
      const hva = this.guest.ramHva + pfn * ps;
      const pa = mm.translate(hva, write);
      if (pa < 0) return -1; // never written: the zero page (not cached)
      this.#tlb.set(pfn, pa);
      base = pa;
    }
    return base + (rel - pfn * ps);
  }

  /**
   * The same stage-2 view one step further, for in-place loads and stores:
   * the host frame behind each guest 4 KiB page, in 512-entry chunks made on
   * first use (sparse, and exact: no hashing, no collisions). Flushed with #tlb.
   */
  #frames: ((Uint8Array | undefined)[] | undefined)[] = [];

  /**
   * The host frame holding all of [gpa, gpa + len) for an in-place load or
   * store (offset in #off), or undefined when the access must take #copy
   * (outside RAM, the zero page, crossing a frame), which reports errors.
   */
  #frame(gpa: number, len: number, write: boolean): Uint8Array | undefined {
    const g = this.guest, rel = gpa - g.ramGpa;
    if (rel < 0 || rel + len > g.ramSize) return undefined;
    const mm = this.vmm.proc.mm;
    if (mm !== this.#tlbMm || mm.generation !== this.#tlbGen) this.#flush(mm);
    const pfn = Math.floor(rel / FRAME), off = rel - pfn * FRAME;
    if (off + len > FRAME) return undefined;
    const hi = Math.floor(pfn / 512), lo = pfn - hi * 512;
    let f = this.#frames[hi]?.[lo];
    if (f === undefined) {
      // First touch of the page by this path: translate as a CPU access would.
      const pa = this.#pa(gpa - off, write);
      if (pa < 0) return undefined; // the zero page: nothing to cache
      f = this.vmm.kernel.phys.frameAt(pa, write);
      if (f === undefined) return undefined;
      (this.#frames[hi] ??= new Array<Uint8Array | undefined>(512))[lo] = f;
    }
    this.#off = off;
    return f;
  }

  /** A guest CPU copy of `len` bytes at `gpa` (store when `write`), page by page through #pa. */
  #copy(gpa: number, buf: Uint8Array, off: number, len: number, write: boolean): void {
    const f = this.#frame(gpa, len, write);
    if (f !== undefined) {
      const o = this.#off;
      if (!write) buf.set(view(f, o, len), off);
      else f.set(off === 0 && len === buf.length ? buf : view(buf, off, len), o);
      return;
    }
    this.#hva(gpa, len); // bounds
    const phys = this.vmm.kernel.phys, ps = this.vmm.proc.mm.pageSize;
    let done = 0;
    while (done < len) {
      const a = gpa + done;
      const n = Math.min(len - done, ps - ((a - this.guest.ramGpa) % ps));
      const pa = this.#pa(a, write);
      if (write) phys.writeFrom(pa, buf, off + done, n);
      else if (pa < 0) buf.fill(0, off + done, off + done + n);
      else phys.readInto(pa, buf, off + done, n);
      done += n;
    }
  }

  /** The guest CPU stores bytes at a GPA. */
  write(gpa: number, data: Uint8Array): void {
    this.#copy(gpa, data, 0, data.length, true);
  }

  /** The guest CPU loads bytes from a GPA. */
  read(gpa: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.#copy(gpa, out, 0, len, false);
    return out;
  }

  /** The guest CPU loads `len` bytes from a GPA into `dst` at `off`. */
  readInto(gpa: number, dst: Uint8Array, off: number, len: number): void {
    this.#copy(gpa, dst, off, len, false);
  }

  #u16(gpa: number): number {
    const f = this.#frame(gpa, 2, false);
    if (f !== undefined) return f[this.#off]! | (f[this.#off + 1]! << 8);
    this.#copy(gpa, this.#b, 0, 2, false);
    return this.#b[0]! | (this.#b[1]! << 8);
  }

  #putU16(gpa: number, v: number): void {
    const f = this.#frame(gpa, 2, true);
    if (f !== undefined) {
      f[this.#off] = v & 0xff;
      f[this.#off + 1] = (v >> 8) & 0xff;
      return;
    }
    this.#b[0] = v & 0xff;
    this.#b[1] = (v >> 8) & 0xff;
    this.#copy(gpa, this.#b, 0, 2, true);
  }

  #writeDesc(vq: GuestVq, i: number, addr: number, len: number, flags: number, next: number): void {
    const at = vq.desc + 16 * i;
    const f = this.#frame(at, 16, true);
    if (f !== undefined) {
      const o = this.#off;
      putUnalignedLe32(f, o, addr >>> 0);
      putUnalignedLe32(f, o + 4, Math.floor(addr / 0x1_0000_0000));
      putUnalignedLe32(f, o + 8, len);
      f[o + 12] = flags & 0xff;
      f[o + 13] = flags >> 8;
      f[o + 14] = next & 0xff;
      f[o + 15] = next >> 8;
      return;
    }
    const dv = this.#dv;
    dv.setUint32(0, addr >>> 0, true);
    dv.setUint32(4, Math.floor(addr / 0x1_0000_0000), true);
    dv.setUint32(8, len, true);
    dv.setUint16(12, flags, true);
    dv.setUint16(14, next, true);
    this.#copy(at, this.#b, 0, 16, true);
  }

  #publish(vq: GuestVq, head: number): void {
    const slot = vq.availIdx & (vq.num - 1);
    this.#putU16(vq.avail + 4 + 2 * slot, head);
    vq.availIdx = (vq.availIdx + 1) & 0xffff;
    this.#putU16(vq.avail + 2, vq.availIdx);
  }

  /**
   * Post a chain: `segments` device-readable buffers, then `writable` byte
   * counts of device-writable ones. Returns the head.
   */
  post(q: number, segments: readonly Uint8Array[], writable: readonly number[] = []): number {
    const vq = this.vqs[q];
    if (!vq) throw new VmmError(`no virtqueue ${q}`);
    const ns = segments.length, n = ns + writable.length;
    if (n === 0) throw new VmmError("a chain needs at least one buffer");
    if (vq.nfree < n) {
      throw new VmmError(`virtqueue ${q} is full (${vq.nfree} free descriptors)`);
    }
    for (let k = 0; k < n; k++) {
      const len = k >= ns ? writable[k - ns]! : segments[k]!.length;
      if (len > BUF_SLOT) {
        throw new VmmError(`buffer of ${len} bytes exceeds the ${BUF_SLOT}-byte slot`);
      }
    }
    let id = vq.takeFree();
    const head = id;
    for (let k = 0; k < n; k++) {
      const isW = k >= ns;
      const addr = vq.buffers + id * BUF_SLOT;
      const len = isW ? writable[k - ns]! : segments[k]!.length;
      if (!isW) this.#copy(addr, segments[k]!, 0, len, true);
      const more = k + 1 < n;
      const next = more ? vq.takeFree() : 0;
      vq.nextId[id] = next;
      vq.descLen[id] = len;
      this.#writeDesc(
        vq,
        id,
        addr,
        len,
        (more ? VRING_DESC_F_NEXT : 0) | (isW ? VRING_DESC_F_WRITE : 0),
        next,
      );
      id = next;
    }
    vq.chainLen[head] = n;
    this.#publish(vq, head);
    return head;
  }

  /** Notify the device (guest write to the notify address → KVM ioeventfd → kick eventfd). */
  kick(q: number): void {
    const vq = this.vqs[q];
    if (!vq?.kick) {
      throw new VmmError(`virtqueue ${q} has no kick eventfd yet (the device is not started)`);
    }
    vq.kick.signal1();
  }

  /**
   * A fresh zeroed array for reaped bytes. A new ArrayBuffer per frame costs
   * ~0.6 µs (an off-heap allocation each); views on a shared slab cost ~10 ns.
   * Each byte of a slab is handed out once, so arrays never alias.
   */
  #slab = new ArrayBuffer(0);
  #slabUsed = 0;
  #alloc(len: number): Uint8Array {
    if (len > SLAB / 4) return new Uint8Array(len);
    if (this.#slabUsed + len > this.#slab.byteLength) {
      this.#slab = new ArrayBuffer(SLAB);
      this.#slabUsed = 0;
    }
    const a = new Uint8Array(this.#slab, this.#slabUsed, len);
    this.#slabUsed += (len + 7) & ~7;
    return a;
  }

  /** Collect everything the device put in the used ring since the last reap. */
  reap(q: number): Reaped[] {
    const vq = this.vqs[q];
    if (!vq) throw new VmmError(`no virtqueue ${q}`);
    const out: Reaped[] = [];
    const usedIdx = this.#u16(vq.used + 2);
    while (vq.lastUsed !== usedIdx) {
      const slot = vq.lastUsed & (vq.num - 1);
      const at = vq.used + 4 + 8 * slot;
      let f = this.#frame(at, 8, false), o = 0;
      if (f !== undefined) o = this.#off;
      else {
        f = this.#b;
        this.readInto(at, f, 0, 8);
      }
      const id = getUnalignedLe32(f, o), len = getUnalignedLe32(f, o + 4);
      vq.lastUsed = (vq.lastUsed + 1) & 0xffff;
      let data: Uint8Array = EMPTY;
      const cnt = id < vq.num ? vq.chainLen[id]! : 0;
      if (cnt > 0) {
        vq.chainLen[id] = 0;
        // RX: gather `len` bytes from the chain's buffers in order (lengths from the shadow).
        if (len > 0) data = this.#alloc(len);
        let got = 0, d = id;
        for (let k = 0; k < cnt; k++) {
          if (got < len) {
            const n = Math.min(vq.descLen[d]!, len - got);
            this.readInto(vq.buffers + d * BUF_SLOT, data, got, n);
            got += n;
          }
          vq.putFree(d);
          d = vq.nextId[d]!;
        }
      }
      out.push({ id, len, data }); // a zero-length array is immutable, so TX entries share one
    }
    return out;
  }
}

const EMPTY = new Uint8Array(0);
const FRAME = 4096;
/** Reaped RX data is carved from slabs of this size (frames above a quarter get their own buffer). */
const SLAB = 64 * 1024;

/** A view built with the constructor (subarray() pays a species lookup per call). */
function view(b: Uint8Array, off: number, len: number): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset + off, len);
}
