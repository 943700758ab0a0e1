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
import { VmmError } from "./registry.ts";
import type { Vmm, VmmGuest } from "./vmm.ts";

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

/** The driver's view of one virtqueue. */
export class GuestVq {
  readonly index: number;
  readonly num: number;
  readonly desc: number;
  readonly avail: number;
  readonly used: number;
  readonly buffers: number;
  availIdx = 0;
  lastUsed = 0;
  free: number[];
  /** head → descriptor chain and the bytes each writable descriptor offers. */
  inflight = new Map<number, number[]>();
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
    this.free = Array.from({ length: num }, (_, i) => i);
  }
}

/** The guest's virtio-net driver state for one device. */
export class GuestVirtioNet {
  readonly vmm: Vmm;
  readonly guest: VmmGuest;
  readonly base: number;
  readonly vqs: GuestVq[];
  readonly hdrLen = VIRTIO_NET_HDR_V1_LEN;
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

  /** The guest CPU stores bytes at a GPA. */
  write(gpa: number, data: Uint8Array): void {
    this.vmm.proc.mm.write(this.#hva(gpa, data.length), data);
  }

  /** The guest CPU loads bytes from a GPA. */
  read(gpa: number, len: number): Uint8Array {
    return this.vmm.proc.mm.read(this.#hva(gpa, len), len);
  }

  #u16(gpa: number): number {
    const b = this.read(gpa, 2);
    return b[0]! | (b[1]! << 8);
  }

  #writeDesc(vq: GuestVq, i: number, addr: number, len: number, flags: number, next: number): void {
    const dv = this.#dv;
    dv.setBigUint64(0, BigInt(addr), true);
    dv.setUint32(8, len, true);
    dv.setUint16(12, flags, true);
    dv.setUint16(14, next, true);
    this.write(vq.desc + 16 * i, this.#b);
  }

  #publish(vq: GuestVq, head: number): void {
    const slot = vq.availIdx & (vq.num - 1);
    this.write(vq.avail + 4 + 2 * slot, new Uint8Array([head & 0xff, head >> 8]));
    vq.availIdx = (vq.availIdx + 1) & 0xffff;
    this.write(vq.avail + 2, new Uint8Array([vq.availIdx & 0xff, vq.availIdx >> 8]));
  }

  /**
   * Post a chain: `segments` device-readable buffers, then `writable` byte
   * counts of device-writable ones. Returns the head.
   */
  post(q: number, segments: readonly Uint8Array[], writable: readonly number[] = []): number {
    const vq = this.vqs[q];
    if (!vq) throw new VmmError(`no virtqueue ${q}`);
    const n = segments.length + writable.length;
    if (n === 0) throw new VmmError("a chain needs at least one buffer");
    if (vq.free.length < n) {
      throw new VmmError(`virtqueue ${q} is full (${vq.free.length} free descriptors)`);
    }
    const ids = vq.free.splice(0, n);
    ids.forEach((id, k) => {
      const addr = vq.buffers + id * BUF_SLOT;
      const isW = k >= segments.length;
      const len = isW ? writable[k - segments.length]! : segments[k]!.length;
      if (len > BUF_SLOT) {
        throw new VmmError(`buffer of ${len} bytes exceeds the ${BUF_SLOT}-byte slot`);
      }
      if (!isW) this.write(addr, segments[k]!);
      const more = k + 1 < n;
      this.#writeDesc(
        vq,
        id,
        addr,
        len,
        (more ? VRING_DESC_F_NEXT : 0) | (isW ? VRING_DESC_F_WRITE : 0),
        more ? ids[k + 1]! : 0,
      );
    });
    vq.inflight.set(ids[0]!, ids);
    this.#publish(vq, ids[0]!);
    return ids[0]!;
  }

  /** Notify the device (guest write to the notify address → KVM ioeventfd → kick eventfd). */
  kick(q: number): void {
    const vq = this.vqs[q];
    if (!vq?.kick) {
      throw new VmmError(`virtqueue ${q} has no kick eventfd yet (the device is not started)`);
    }
    vq.kick.signal(1n);
  }

  /** Collect everything the device put in the used ring since the last reap. */
  reap(q: number): Reaped[] {
    const vq = this.vqs[q];
    if (!vq) throw new VmmError(`no virtqueue ${q}`);
    const out: Reaped[] = [];
    const usedIdx = this.#u16(vq.used + 2);
    while (vq.lastUsed !== usedIdx) {
      const slot = vq.lastUsed & (vq.num - 1);
      const e = this.read(vq.used + 4 + 8 * slot, 8);
      const dv = new DataView(e.buffer);
      const id = dv.getUint32(0, true), len = dv.getUint32(4, true);
      vq.lastUsed = (vq.lastUsed + 1) & 0xffff;
      const chain = vq.inflight.get(id);
      let data = new Uint8Array(0);
      if (chain) {
        vq.inflight.delete(id);
        vq.free.push(...chain);
        // RX: gather `len` bytes from the chain's buffers in order.
        if (len > 0) {
          data = new Uint8Array(len);
          let got = 0;
          for (const d of chain) {
            if (got >= len) break;
            const dl = new DataView(this.read(vq.desc + 16 * d + 8, 4).buffer).getUint32(0, true);
            const n = Math.min(dl, len - got);
            data.set(this.read(vq.buffers + d * BUF_SLOT, n), got);
            got += n;
          }
        }
      }
      out.push({ id, len, data });
    }
    return out;
  }
}
