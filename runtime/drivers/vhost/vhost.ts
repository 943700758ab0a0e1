/**
 * drivers/vhost/vhost.c: the vhost core every vhost driver builds on — the
 * owner (SET_OWNER, and EPERM for anyone else), the virtqueues
 * (SET_VRING_NUM/ADDR/BASE, GET_VRING_BASE, KICK/CALL/ERR eventfds), the
 * memory table (SET_MEM_TABLE) and IOTLB messages written to the fd
 * (vhost_chr_write_iter). The checks and their order are those of
 * vhost-vdpa.md §4.3/§4.4; they are long-standing, so both profiles share them.
 *
 * A kick eventfd is polled by registering a waiter on its EventfdCtx: a
 * signal runs the vq's handle_kick at once (vhost-vdpa runs without a worker
 * thread, so the kick reaches the device from the wakeup).
 *
 * @example
 * ```ts
 * import { VhostDev } from "./vhost.ts";
 * const d = new VhostDev(2);
 * console.log(d.vqs.length, d.owner); // 2 undefined
 * ```
 * @module
 */
import {
  E2BIG,
  EBUSY,
  EFAULT,
  EINVAL,
  ENOBUFS,
  ENOIOCTLCMD,
  EOPNOTSUPP,
  EPERM,
} from "../../include/uapi/asm-generic/errno.ts";
import {
  VHOST_GET_VRING_BASE,
  VHOST_GET_VRING_BUSYLOOP_TIMEOUT,
  VHOST_SET_LOG_BASE,
  VHOST_SET_LOG_FD,
  VHOST_SET_MEM_TABLE,
  VHOST_SET_OWNER,
  VHOST_SET_VRING_ADDR,
  VHOST_SET_VRING_BASE,
  VHOST_SET_VRING_BUSYLOOP_TIMEOUT,
  VHOST_SET_VRING_CALL,
  VHOST_SET_VRING_ERR,
  VHOST_SET_VRING_KICK,
  VHOST_SET_VRING_NUM,
} from "../../include/uapi/linux/vhost.ts";
import {
  VHOST_IOTLB,
  vhost_memory,
  vhost_memory_region,
  VHOST_MSG,
} from "../../include/uapi/linux/vhost_types.ts";
import { type EventfdCtx, eventfdCtxFdget, isEventfd } from "../../fs/eventfd.ts";
import { Errno } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { decodeStruct } from "../../kernel/layout.ts";
import type { Process } from "../../kernel/process.ts";
import { type IoctlDef, ioctlNumber } from "../../kernel/uapi.ts";
import { VHOST_MAP_RW, VhostIotlb } from "./iotlb.ts";

/** max_mem_regions module parameter default. */
export const VHOST_MAX_MEM_REGIONS = 64;
const U64_MAX = (1n << 64n) - 1n;
/** VHOST_VRING_F_LOG. */
export const VHOST_VRING_F_LOG = 0;

const NUMS = new Map<string, number>();
/**
 * The number of an ioctl on this kernel's arch (cached).
 *
 * @example
 * ```ts
 * // if (cmd === nr(k, VHOST_SET_OWNER)) …
 * ```
 */
export function nr(k: Kernel, def: IoctlDef): number {
  const key = `${k.arch}:${def.name}`;
  let n = NUMS.get(key);
  if (n === undefined) {
    n = ioctlNumber(def, k.arch);
    NUMS.set(key, n);
  }
  return n;
}

/** struct vhost_virtqueue (split ring fields). */
export class VhostVirtqueue {
  readonly index: number;
  num = 0;
  desc = 0n;
  avail = 0n;
  used = 0n;
  logAddr = 0n;
  logUsed = false;
  lastAvailIdx = 0;
  lastUsedIdx = 0;
  availIdx = 0;
  kickCtx: EventfdCtx | undefined;
  kickWaiter: ((ctx: EventfdCtx) => void) | undefined;
  callCtx: EventfdCtx | undefined;
  errorCtx: EventfdCtx | undefined;
  /** VHOST_SET_VRING_BUSYLOOP_TIMEOUT's value (µs); vhost-vdpa never polls. */
  busyloopTimeout = 0;
  ackedFeatures = 0n;
  ackedBackendFeatures = 0n;
  /** Set by the driver: what a kick does (vhost-vdpa: the device's kick_vq). */
  handleKick: (() => void) | undefined;
  kicks = 0;
  constructor(index: number) {
    this.index = index;
  }
}

/** An IOTLB message as written to the fd. */
export interface VhostIotlbMsg {
  iova: bigint;
  size: bigint;
  uaddr: bigint;
  perm: number;
  type: number;
}

/** struct vhost_dev. */
export class VhostDev {
  readonly vqs: VhostVirtqueue[];
  owner: Process | undefined;
  umem: VhostIotlb | undefined;
  /** The driver's IOTLB message handler (vhost-vdpa's process_iotlb_msg); throws Errno. */
  msgHandler: ((k: Kernel, asid: number, msg: VhostIotlbMsg) => void) | undefined;
  constructor(nvqs: number) {
    this.vqs = Array.from({ length: nvqs }, (_, i) => new VhostVirtqueue(i));
  }
  get nvqs(): number {
    return this.vqs.length;
  }
}

/**
 * vhost_dev_check_owner: the caller's mm must be the owner's.
 *
 * @example
 * ```ts
 * // vhostDevCheckOwner(k, dev); // throws EPERM
 * ```
 */
export function vhostDevCheckOwner(k: Kernel, d: VhostDev): void {
  if (!d.owner || d.owner.mm !== k.current.mm) {
    throw new Errno(EPERM, "the caller is not the owner (vhost_dev_check_owner)");
  }
}

/**
 * vhost_dev_ioctl: SET_OWNER, then (owner only) SET_MEM_TABLE, SET_LOG_BASE,
 * SET_LOG_FD; anything else returns -ENOIOCTLCMD for the driver's vring path.
 *
 * @example
 * ```ts
 * // const r = vhostDevIoctl(k, dev, cmd, arg);
 * ```
 */
export function vhostDevIoctl(k: Kernel, d: VhostDev, cmd: number, arg: bigint): number {
  if (cmd === nr(k, VHOST_SET_OWNER)) {
    if (d.owner) throw new Errno(EBUSY, "the device already has an owner (vhost_dev_set_owner)");
    d.owner = k.current;
    return 0;
  }
  vhostDevCheckOwner(k, d);
  if (cmd === nr(k, VHOST_SET_MEM_TABLE)) return vhostSetMemory(k, d, arg);
  if (cmd === nr(k, VHOST_SET_LOG_BASE) || cmd === nr(k, VHOST_SET_LOG_FD)) {
    // vhost-vdpa never lets these reach the core; other vhost drivers would log.
    return -ENOIOCTLCMD;
  }
  return -ENOIOCTLCMD;
}

/** vhost_set_memory. */
function vhostSetMemory(k: Kernel, d: VhostDev, arg: bigint): number {
  const hdr = decodeStruct(vhost_memory, k.current.mm.read(Number(arg), vhost_memory.size));
  if (hdr.padding !== 0n) throw new Errno(EOPNOTSUPP, "vhost_memory.padding must be 0");
  const n = Number(hdr.nregions as bigint);
  if (n > VHOST_MAX_MEM_REGIONS) {
    throw new Errno(E2BIG, `nregions ${n} > max_mem_regions ${VHOST_MAX_MEM_REGIONS}`);
  }
  const raw = k.current.mm.read(Number(arg) + vhost_memory.size, n * vhost_memory_region.size);
  const umem = new VhostIotlb();
  for (let i = 0; i < n; i++) {
    const r = decodeStruct(vhost_memory_region, raw.subarray(i * 32, i * 32 + 32));
    const gpa = r.guest_phys_addr as bigint,
      size = r.memory_size as bigint,
      ua = r.userspace_addr as bigint;
    // u64 arithmetic: gpa + size − 1 wraps, and vhost_iotlb_add_range fails
    // (EFAULT) only when last < start — so size 0 at gpa 0 is [0, U64_MAX].
    const last = (gpa + size - 1n) & U64_MAX;
    if (last < gpa) throw new Errno(EFAULT, `region ${i}: empty or wrapping range (last < start)`);
    umem.addRange(gpa, last, ua, VHOST_MAP_RW, { mm: k.current.mm });
  }
  // memory_access_ok checks each region with access_ok only for vqs with a
  // backend (vq->private_data); vhost-vdpa never sets one, so userspace
  // addresses are not range-checked here (drivers/vhost/vhost.c).
  d.umem = umem;
  return 0;
}

function eventfdGet(k: Kernel, fd: number): EventfdCtx | undefined {
  if (fd === -1) return undefined; // VHOST_FILE_UNBIND
  const f = k.current.fget(fd);
  if (!isEventfd(f)) throw new Errno(EINVAL, `fd ${fd} is not an eventfd`);
  return eventfdCtxFdget(k, fd);
}

/**
 * copy_from_user of a struct vhost_vring_state {index, num}.
 *
 * @example
 * ```ts
 * // const { index, num } = readState(k, arg);
 * ```
 */
export function readState(k: Kernel, arg: bigint): { index: number; num: number } {
  const b = k.current.mm.read(Number(arg), 8);
  const dv = new DataView(b.buffer);
  return { index: dv.getUint32(0, true), num: dv.getUint32(4, true) };
}

/**
 * copy_to_user of a struct vhost_vring_state {index, num}.
 *
 * @example
 * ```ts
 * // writeState(k, arg, idx, vq.lastAvailIdx);
 * ```
 */
export function writeState(k: Kernel, arg: bigint, index: number, num: number): void {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, index, true);
  dv.setUint32(4, num, true);
  k.current.mm.write(Number(arg), b);
}

/**
 * get_user(idx, (u32 __user *)argp) then idx ≥ nvqs → ENOBUFS: the first
 * step of every vring ioctl (EFAULT when arg is unreadable).
 *
 * @example
 * ```ts
 * // const idx = vringIndex(k, dev.nvqs, arg);
 * ```
 */
export function vringIndex(k: Kernel, nvqs: number, arg: bigint): number {
  const idx = new DataView(k.current.mm.read(Number(arg), 4).buffer).getUint32(0, true);
  if (idx >= nvqs) throw new Errno(ENOBUFS, `vq index ${idx} ≥ nvqs ${nvqs}`);
  return idx;
}

/**
 * vhost_vring_ioctl: the per-vq ioctls of the core (split ring). Returns
 * -ENOIOCTLCMD for commands it does not know.
 *
 * @example
 * ```ts
 * // const r = vhostVringIoctl(k, dev, cmd, arg);
 * ```
 */
export function vhostVringIoctl(k: Kernel, d: VhostDev, cmd: number, arg: bigint): number {
  const idx = vringIndex(k, d.nvqs, arg);
  const vq = d.vqs[idx]!;
  const mm = k.current.mm;
  if (cmd === nr(k, VHOST_SET_VRING_NUM)) {
    const s = readState(k, arg);
    if (!s.num || s.num > 0xffff || (s.num & (s.num - 1))) {
      throw new Errno(
        EINVAL,
        `num ${s.num} must be a non-zero power of two ≤ 0xFFFF (vhost_vring_set_num)`,
      );
    }
    vq.num = s.num;
    return 0;
  }
  if (cmd === nr(k, VHOST_SET_VRING_ADDR)) {
    const b = mm.read(Number(arg), 40);
    const dv = new DataView(b.buffer);
    const flags = dv.getUint32(4, true);
    const desc = dv.getBigUint64(8, true),
      used = dv.getBigUint64(16, true),
      avail = dv.getBigUint64(24, true);
    const log = dv.getBigUint64(32, true);
    if (flags & ~(1 << VHOST_VRING_F_LOG)) {
      throw new Errno(EOPNOTSUPP, `flags 0x${flags.toString(16)}: only VHOST_VRING_F_LOG`);
    }
    if (avail & 1n || used & 3n || log & 3n) {
      throw new Errno(
        EINVAL,
        "avail must be 2-aligned, used and log 4-aligned (vhost_vring_set_addr)",
      );
    }
    vq.logUsed = (flags & 1) !== 0;
    vq.desc = desc;
    vq.avail = avail;
    vq.used = used;
    vq.logAddr = log;
    return 0;
  }
  if (cmd === nr(k, VHOST_SET_VRING_BASE)) {
    const s = readState(k, arg);
    if (s.num > 0xffff) throw new Errno(EINVAL, `num ${s.num} > 0xFFFF (split ring)`);
    vq.lastAvailIdx = s.num;
    vq.availIdx = s.num;
    return 0;
  }
  if (cmd === nr(k, VHOST_GET_VRING_BASE)) {
    writeState(k, arg, idx, vq.lastAvailIdx);
    return 0;
  }
  if (cmd === nr(k, VHOST_SET_VRING_KICK)) {
    const fd = new DataView(mm.read(Number(arg), 8).buffer).getInt32(4, true);
    const ctx = eventfdGet(k, fd);
    if (ctx !== vq.kickCtx) {
      if (vq.kickCtx && vq.kickWaiter) vq.kickCtx.waiters.delete(vq.kickWaiter); // vhost_poll_stop
      vq.kickCtx = ctx;
      vq.kickWaiter = undefined;
      if (ctx) {
        const w = () => {
          vq.kicks++;
          vq.handleKick?.();
        };
        vq.kickWaiter = w;
        ctx.waiters.add(w);
        // vhost_poll_start: an eventfd that is already readable wakes the poller at once.
        if (ctx.readable) w();
      }
    }
    return 0;
  }
  if (cmd === nr(k, VHOST_SET_VRING_CALL) || cmd === nr(k, VHOST_SET_VRING_ERR)) {
    const fd = new DataView(mm.read(Number(arg), 8).buffer).getInt32(4, true);
    const ctx = eventfdGet(k, fd);
    if (cmd === nr(k, VHOST_SET_VRING_CALL)) vq.callCtx = ctx;
    else vq.errorCtx = ctx;
    return 0;
  }
  if (cmd === nr(k, VHOST_SET_VRING_BUSYLOOP_TIMEOUT)) {
    vq.busyloopTimeout = readState(k, arg).num;
    return 0;
  }
  if (cmd === nr(k, VHOST_GET_VRING_BUSYLOOP_TIMEOUT)) {
    writeState(k, arg, idx, vq.busyloopTimeout);
    return 0;
  }
  return -ENOIOCTLCMD;
}

/**
 * vhost_dev_stop + vhost_dev_cleanup: stop polling kicks, drop eventfds,
 * the memory table and the owner.
 *
 * @example
 * ```ts
 * // vhostDevCleanup(dev);
 * ```
 */
export function vhostDevCleanup(d: VhostDev): void {
  for (const vq of d.vqs) {
    if (vq.kickCtx && vq.kickWaiter) vq.kickCtx.waiters.delete(vq.kickWaiter);
    vq.kickCtx = vq.callCtx = vq.errorCtx = undefined;
    vq.kickWaiter = undefined;
  }
  d.umem = undefined;
  d.owner = undefined;
}

/**
 * vhost_set_backend_features: every vq records the acked backend features.
 *
 * @example
 * ```ts
 * // vhostSetBackendFeatures(dev, 6n);
 * ```
 */
export function vhostSetBackendFeatures(d: VhostDev, features: bigint): void {
  for (const vq of d.vqs) vq.ackedBackendFeatures = features;
}

/**
 * vhost_backend_has_feature(vq, bit).
 *
 * @example
 * ```ts
 * // vhostBackendHasFeature(dev.vqs[0], 3)
 * ```
 */
export function vhostBackendHasFeature(vq: VhostVirtqueue | undefined, bit: bigint): boolean {
  return vq !== undefined && ((vq.ackedBackendFeatures >> bit) & 1n) === 1n;
}

/**
 * vhost_chr_write_iter: parse a vhost_msg / vhost_msg_v2 and hand the IOTLB
 * message to the driver. Short buffers and unknown envelopes are EINVAL; an
 * UPDATE of size 0 is EINVAL; any handler error becomes EFAULT. Returns the
 * envelope size (72) on success.
 *
 * @example
 * ```ts
 * // const n = vhostChrWrite(k, dev, bytes);
 * ```
 */
export function vhostChrWrite(k: Kernel, d: VhostDev, data: Uint8Array): number {
  if (data.length < 4) throw new Errno(EINVAL, "short write");
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const type = dv.getUint32(0, true);
  let asid = 0;
  let off: number;
  if (type === Number(VHOST_MSG.VHOST_IOTLB_MSG)) off = 8;
  else if (type === Number(VHOST_MSG.VHOST_IOTLB_MSG_V2)) {
    if (data.length < 8) throw new Errno(EINVAL, "short write");
    if (vhostBackendHasFeature(d.vqs[0], 3n)) asid = dv.getUint32(4, true);
    off = 8;
  } else throw new Errno(EINVAL, `unknown message type ${type}`);
  if (data.length < off + 32) {
    throw new Errno(EINVAL, "short write: the vhost_iotlb_msg is incomplete");
  }
  const msg: VhostIotlbMsg = {
    iova: dv.getBigUint64(off, true),
    size: dv.getBigUint64(off + 8, true),
    uaddr: dv.getBigUint64(off + 16, true),
    perm: dv.getUint8(off + 24),
    type: dv.getUint8(off + 25),
  };
  if (msg.type === Number(VHOST_IOTLB.VHOST_IOTLB_UPDATE) && msg.size === 0n) {
    throw new Errno(EINVAL, "UPDATE of size 0");
  }
  if (!d.msgHandler) throw new Errno(EFAULT, "no IOTLB message handler");
  try {
    d.msgHandler(k, asid, msg);
  } catch (e) {
    if (e instanceof Errno) {
      throw new Errno(EFAULT, `IOTLB message refused (${e.message}); write() reports EFAULT`);
    }
    throw e;
  }
  return 72;
}
