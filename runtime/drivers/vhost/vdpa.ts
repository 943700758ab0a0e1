/**
 * drivers/vhost/vdpa.c: the vhost-vdpa bus driver. It binds to every vDPA
 * device, creates its char device (`/dev/vhost-vdpa/N` as the seed names it,
 * `/dev/vhost-vdpa-N` in merged kernels) and answers vhost ioctls by
 * programming the device through its vdpa_config_ops.
 *
 * The host's kernel profile picks the version (vhost-vdpa.md §4):
 * - seed: the Feb-2020 RFC — net allowlist on GET/SET_FEATURES, fixed 2 vqs,
 *   the two EBUSY gates on vring ioctls (only between FEATURES_OK and
 *   DRIVER_OK; none on a ready vq), SET_MEM_TABLE handed to set_map, no
 *   write() (IOTLB messages did not exist for vDPA yet).
 * - mainline: no allowlist, nvqs from the device, backend features, IOVA
 *   range, config size, vq count, groups/ASIDs, SUSPEND/RESUME, the
 *   ADDR/BASE-after-DRIVER_OK gate, and IOTLB messages written to the fd
 *   (handled in vdpa_iotlb.ts, the vhost_vdpa_process_iotlb_msg family).
 *
 * vhost_vdpa_vring_ioctl (the per-vq path, with the seed's gates) is in
 * vdpa_vring.ts.
 *
 * @example
 * ```ts
 * import { vhostVdpaPath } from "./vdpa.ts";
 * console.log(vhostVdpaPath("seed", 0), vhostVdpaPath("mainline", 0)); // "/dev/vhost-vdpa/0" "/dev/vhost-vdpa-0"
 * ```
 * @module
 */
import {
  EBUSY,
  EINVAL,
  ENOIOCTLCMD,
  ENOTSUPP,
  ENOTTY,
  EOPNOTSUPP,
} from "../../include/uapi/asm-generic/errno.ts";
import { bitMask, VIRTIO_CONFIG_S, VIRTIO_F } from "../../include/uapi/linux/virtio_config.ts";
import { VIRTIO_NET_F } from "../../include/uapi/linux/virtio_net.ts";
import * as V from "../../include/uapi/linux/vhost.ts";
import { VHOST_BACKEND_F, vhost_msg_v2 } from "../../include/uapi/linux/vhost_types.ts";
import { decodeStruct, formatBytes, formatStruct } from "../../kernel/layout.ts";
import { type EventfdCtx, eventfdCtxFdget, isEventfd } from "../../fs/eventfd.ts";
import { Errno } from "../../kernel/errno.ts";
import type { File, FileOperations } from "../../kernel/file.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import type { Profile } from "../../kernel/uapi.ts";
import { MAP_SHARED, PROT_READ } from "../../mm/mm.ts";
import { VDPA_RESET_F_CLEAN_MAP, type VdpaDevice, vdpaRegisterDriver } from "../vdpa/vdpa.ts";
import type { VhostIotlb } from "./iotlb.ts";
import { vhostVdpaCleanupMaps, vhostVdpaProcessIotlbMsg } from "./vdpa_iotlb.ts";
import { vhostVdpaVringIoctl } from "./vdpa_vring.ts";
import {
  nr,
  vhostBackendHasFeature,
  vhostChrWrite,
  VhostDev,
  vhostDevCleanup,
  vhostDevIoctl,
  vhostSetBackendFeatures,
} from "./vhost.ts";

const S = VIRTIO_CONFIG_S;
const FEATURES_OK = Number(S.VIRTIO_CONFIG_S_FEATURES_OK);
const DRIVER_OK = Number(S.VIRTIO_CONFIG_S_DRIVER_OK);
const F = { ...VIRTIO_F, ...VIRTIO_NET_F };
const B = (n: string): bigint => 1n << VHOST_BACKEND_F[n]!;
const U64_MAX = (1n << 64n) - 1n;

/** The seed's VHOST_VDPA_FEATURES (generic allowlist). */
export const VHOST_VDPA_FEATURES = bitMask(F, [
  "VIRTIO_F_NOTIFY_ON_EMPTY",
  "VIRTIO_F_ANY_LAYOUT",
  "VIRTIO_F_VERSION_1",
  "VIRTIO_F_IOMMU_PLATFORM",
  "VIRTIO_F_RING_PACKED",
  "VIRTIO_F_ORDER_PLATFORM",
  "VIRTIO_RING_F_INDIRECT_DESC",
  "VIRTIO_RING_F_EVENT_IDX",
]);
/** The seed's VHOST_VDPA_NET_FEATURES (the only per-type allowlist). */
export const VHOST_VDPA_NET_FEATURES = VHOST_VDPA_FEATURES | bitMask(F, [
  "VIRTIO_NET_F_CSUM",
  "VIRTIO_NET_F_GUEST_CSUM",
  "VIRTIO_NET_F_MTU",
  "VIRTIO_NET_F_MAC",
  "VIRTIO_NET_F_GUEST_TSO4",
  "VIRTIO_NET_F_GUEST_TSO6",
  "VIRTIO_NET_F_GUEST_ECN",
  "VIRTIO_NET_F_GUEST_UFO",
  "VIRTIO_NET_F_HOST_TSO4",
  "VIRTIO_NET_F_HOST_TSO6",
  "VIRTIO_NET_F_HOST_ECN",
  "VIRTIO_NET_F_HOST_UFO",
  "VIRTIO_NET_F_MRG_RXBUF",
  "VIRTIO_NET_F_STATUS",
  "VIRTIO_NET_F_SPEED_DUPLEX",
]);
/** The seed fixes the number of vqs: "only network backend w/o multiqueue". */
export const VHOST_VDPA_VQ_MAX = 2;
/** VHOST_VDPA_BACKEND_FEATURES (mainline): MSG_V2 | BATCH | ASID. */
export const VHOST_VDPA_BACKEND_FEATURES = B("VHOST_BACKEND_F_IOTLB_MSG_V2") |
  B("VHOST_BACKEND_F_IOTLB_BATCH") |
  B("VHOST_BACKEND_F_IOTLB_ASID");

/**
 * The char device path of a vhost-vdpa device.
 *
 * @example
 * ```ts
 * console.log(vhostVdpaPath("mainline", 3)); // "/dev/vhost-vdpa-3"
 * ```
 */
export function vhostVdpaPath(profile: Profile, n: number): string {
  return profile === "seed" ? `/dev/vhost-vdpa/${n}` : `/dev/vhost-vdpa-${n}`;
}

/** A range VA mode did not map (anonymous or private VMA), kept for diagnostics. */
export interface SkippedRange {
  iova: bigint;
  size: bigint;
  uaddr: bigint;
  why: string;
}

/** struct vhost_vdpa. */
export class VhostVdpa {
  readonly kernel: Kernel;
  readonly vdpa: VdpaDevice;
  readonly profile: Profile;
  readonly nvqs: number;
  readonly virtioId: number;
  readonly minor: number;
  readonly path: string;
  dev: VhostDev;
  opened = false;
  /** Address spaces by ASID (mainline). */
  as = new Map<number, VhostIotlb>();
  inBatch = false;
  batchAsid = 0;
  suspended = false;
  range = { first: 0n, last: U64_MAX };
  configCtx: EventfdCtx | undefined;
  skipped: SkippedRange[] = [];
  /** Counters for `show`: ioctls by name, IOTLB messages by type. */
  stats = new Map<string, number>();

  constructor(k: Kernel, vdpa: VdpaDevice, minor: number) {
    this.kernel = k;
    this.vdpa = vdpa;
    this.profile = k.config.profile;
    this.nvqs = this.profile === "seed" ? VHOST_VDPA_VQ_MAX : vdpa.nvqs;
    this.virtioId = vdpa.config.get_device_id();
    this.minor = minor;
    this.path = vhostVdpaPath(this.profile, this.profile === "seed" ? vdpa.index : minor);
    this.dev = this.initDev();
  }

  bump(key: string): void {
    this.stats.set(key, (this.stats.get(key) ?? 0) + 1);
  }

  /** vhost_dev_init (done at every open): fresh vqs whose kicks reach the device. */
  initDev(): VhostDev {
    const d = new VhostDev(this.nvqs);
    d.vqs.forEach((vq, i) => {
      vq.handleKick = () => this.vdpa.config.kick_vq(i); // handle_vq_kick
    });
    if (this.profile === "mainline") {
      d.msgHandler = (k, asid, msg) => vhostVdpaProcessIotlbMsg(this, k, asid, msg);
    }
    return d;
  }

  /**
   * vhost_vdpa_reset (open, release): seed set_status(0); mainline clears
   * in_batch, then _compat_vdpa_reset.
   */
  reset(): number {
    if (this.profile === "seed") {
      this.vdpa.config.set_status(0);
      return 0;
    }
    this.inBatch = false;
    return this.compatReset();
  }

  /**
   * _compat_vdpa_reset (mainline; SET_STATUS 0 calls it directly, so an open
   * IOTLB batch survives a status reset): clears `suspended`, then the device
   * reset — clean map unless IOTLB_PERSIST was negotiated.
   */
  compatReset(): number {
    this.suspended = false;
    const persist = vhostBackendHasFeature(
      this.dev.vqs[0],
      VHOST_BACKEND_F.VHOST_BACKEND_F_IOTLB_PERSIST!,
    );
    return this.vdpa.config.reset(persist ? 0 : VDPA_RESET_F_CLEAN_MAP);
  }

  /** Free every map (vhost_vdpa_cleanup / iotlb free); see vdpa_iotlb.ts. */
  cleanupMaps(): void {
    vhostVdpaCleanupMaps(this);
  }

  // ---------------------------------------------------------------- ioctl

  ioctl(cmd: number, arg: bigint): number {
    const k = this.kernel;
    const r = this.profile === "seed"
      ? this.#ioctlSeed(k, cmd, arg)
      : this.#ioctlMainline(k, cmd, arg);
    // vfs_ioctl: a final ENOIOCTLCMD reaches userspace as ENOTTY.
    if (r === -ENOIOCTLCMD) throw new Errno(ENOTTY, "no handler (ENOIOCTLCMD)");
    return r;
  }

  #getStatus(arg: bigint): number {
    this.kernel.current.mm.write(Number(arg), new Uint8Array([this.vdpa.config.get_status()]));
    return 0;
  }

  #putU(arg: bigint, v: bigint, bytes: number): number {
    const b = new Uint8Array(bytes);
    const dv = new DataView(b.buffer);
    if (bytes === 8) dv.setBigUint64(0, v, true);
    else if (bytes === 4) dv.setUint32(0, Number(v), true);
    else if (bytes === 2) dv.setUint16(0, Number(v), true);
    else b[0] = Number(v);
    this.kernel.current.mm.write(Number(arg), b);
    return 0;
  }

  #getU64(arg: bigint): bigint {
    return new DataView(this.kernel.current.mm.read(Number(arg), 8).buffer).getBigUint64(0, true);
  }

  #setStatus(arg: bigint): number {
    const ops = this.vdpa.config;
    const status = this.kernel.current.mm.read(Number(arg), 1)[0]!;
    const old = ops.get_status();
    if (status !== 0 && (old & ~status) !== 0) {
      throw new Errno(
        EINVAL,
        `status 0x${status.toString(16)} drops bits of 0x${
          old.toString(16)
        } (only 0 may remove bits)`,
      );
    }
    if (this.profile === "seed") ops.set_status(status);
    else if (status === 0) {
      const r = this.compatReset();
      if (r) return r;
    } else ops.set_status(status);
    return 0;
  }

  #configSize(): number {
    if (this.profile === "seed") return this.virtioId === 1 ? 17 : 0; // sizeof(struct virtio_net_config) then
    return this.vdpa.config.get_config_size();
  }

  #config(arg: bigint, set: boolean): number {
    const mm = this.kernel.current.mm;
    const h = new DataView(mm.read(Number(arg), 8).buffer);
    const off = h.getUint32(0, true), len = h.getUint32(4, true);
    const size = this.#configSize();
    // vhost_vdpa_config_validate; its E2BIG is turned into EINVAL by both callers.
    if (len === 0) throw new Errno(EINVAL, "len is 0");
    if (this.profile === "mainline" && off > size) {
      throw new Errno(EINVAL, `off ${off} > config size ${size}`);
    }
    if (len > size - off) {
      throw new Errno(
        EINVAL,
        `len ${len} > size ${size} − off ${off} (E2BIG from the validator, reported as EINVAL)`,
      );
    }
    if (set) {
      this.vdpa.config.set_config(off, mm.read(Number(arg) + 8, len));
      return 0;
    }
    const buf = new Uint8Array(len);
    this.vdpa.config.get_config(off, buf);
    mm.write(Number(arg) + 8, buf);
    return 0;
  }

  #setFeatures(arg: bigint): number {
    const ops = this.vdpa.config;
    if (ops.get_status() & FEATURES_OK) {
      throw new Errno(EBUSY, "features already negotiated (FEATURES_OK)");
    }
    const f = this.#getU64(arg);
    if (this.profile === "seed" && f & ~this.#allowlist()) {
      throw new Errno(
        EINVAL,
        `bits 0x${(f & ~this.#allowlist()).toString(16)} outside the seed's allowlist`,
      );
    }
    if (ops.set_driver_features(f)) throw new Errno(EINVAL, "the device refused the features");
    if (this.profile === "mainline") {
      const actual = ops.get_driver_features();
      for (const vq of this.dev.vqs) vq.ackedFeatures = actual;
    }
    return 0;
  }

  #allowlist(): bigint {
    return this.virtioId === 1 ? VHOST_VDPA_NET_FEATURES : 0n;
  }

  #ioctlSeed(k: Kernel, cmd: number, arg: bigint): number {
    const ops = this.vdpa.config;
    switch (cmd) {
      case nr(k, V.VHOST_VDPA_GET_DEVICE_ID):
        return this.#putU(arg, BigInt(ops.get_device_id()), 4);
      case nr(k, V.VHOST_VDPA_GET_STATUS):
        return this.#getStatus(arg);
      case nr(k, V.VHOST_VDPA_SET_STATUS):
        return this.#setStatus(arg);
      case nr(k, V.VHOST_VDPA_GET_CONFIG):
        return this.#config(arg, false);
      case nr(k, V.VHOST_VDPA_SET_CONFIG):
        return this.#config(arg, true);
      case nr(k, V.VHOST_GET_FEATURES):
        return this.#putU(arg, ops.get_device_features() & this.#allowlist(), 8);
      case nr(k, V.VHOST_SET_FEATURES):
        return this.#setFeatures(arg);
      case nr(k, V.VHOST_VDPA_GET_VRING_NUM):
        return this.#putU(arg, BigInt(ops.get_vq_num_max()), 2);
      case nr(k, V.VHOST_SET_LOG_BASE):
      case nr(k, V.VHOST_SET_LOG_FD):
        return -ENOIOCTLCMD;
    }
    let r = vhostDevIoctl(k, this.dev, cmd, arg);
    if (r === -ENOIOCTLCMD) r = vhostVdpaVringIoctl(this, k, cmd, arg);
    if (r) return r;
    if (cmd === nr(k, V.VHOST_SET_MEM_TABLE) && ops.set_map && this.dev.umem) {
      r = ops.set_map(0, this.dev.umem);
    }
    return r;
  }

  #ioctlMainline(k: Kernel, cmd: number, arg: bigint): number {
    const ops = this.vdpa.config;
    const v = this.vdpa;
    if (cmd === nr(k, V.VHOST_SET_BACKEND_FEATURES)) {
      const f = this.#getU64(arg);
      const known = VHOST_VDPA_BACKEND_FEATURES | B("VHOST_BACKEND_F_DESC_ASID") |
        B("VHOST_BACKEND_F_IOTLB_PERSIST") |
        B("VHOST_BACKEND_F_SUSPEND") | B("VHOST_BACKEND_F_RESUME") |
        B("VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK");
      if (f & ~known) {
        throw new Errno(EOPNOTSUPP, `unknown backend features 0x${(f & ~known).toString(16)}`);
      }
      if (f & B("VHOST_BACKEND_F_SUSPEND") && !ops.suspend) {
        throw new Errno(EOPNOTSUPP, "the device cannot suspend");
      }
      if (f & B("VHOST_BACKEND_F_RESUME") && !ops.resume) {
        throw new Errno(EOPNOTSUPP, "the device cannot resume");
      }
      if (f & B("VHOST_BACKEND_F_DESC_ASID") && !(f & B("VHOST_BACKEND_F_IOTLB_ASID"))) {
        throw new Errno(EINVAL, "DESC_ASID needs IOTLB_ASID");
      }
      if (f & B("VHOST_BACKEND_F_DESC_ASID")) {
        throw new Errno(EOPNOTSUPP, "the device has no descriptor groups");
      }
      if (f & B("VHOST_BACKEND_F_IOTLB_PERSIST") && !ops.reset_map) {
        throw new Errno(EOPNOTSUPP, "the device has no reset_map");
      }
      vhostSetBackendFeatures(this.dev, f);
      return 0;
    }
    switch (cmd) {
      case nr(k, V.VHOST_VDPA_GET_DEVICE_ID):
        return this.#putU(arg, BigInt(ops.get_device_id()), 4);
      case nr(k, V.VHOST_VDPA_GET_STATUS):
        return this.#getStatus(arg);
      case nr(k, V.VHOST_VDPA_SET_STATUS):
        return this.#setStatus(arg);
      case nr(k, V.VHOST_VDPA_GET_CONFIG):
        return this.#config(arg, false);
      case nr(k, V.VHOST_VDPA_SET_CONFIG):
        return this.#config(arg, true);
      case nr(k, V.VHOST_GET_FEATURES):
        return this.#putU(arg, ops.get_device_features(), 8);
      case nr(k, V.VHOST_SET_FEATURES):
        return this.#setFeatures(arg);
      case nr(k, V.VHOST_VDPA_GET_VRING_NUM):
        return this.#putU(arg, BigInt(ops.get_vq_num_max()), 2);
      case nr(k, V.VHOST_VDPA_GET_GROUP_NUM):
        return this.#putU(arg, BigInt(v.ngroups), 4);
      case nr(k, V.VHOST_VDPA_GET_AS_NUM):
        return this.#putU(arg, BigInt(v.nas), 4);
      case nr(k, V.VHOST_SET_LOG_BASE):
      case nr(k, V.VHOST_SET_LOG_FD):
        return -ENOIOCTLCMD;
      case nr(k, V.VHOST_VDPA_SET_CONFIG_CALL): {
        // vhost_vdpa_set_config_call: the new ctx is swapped in before its error
        // is checked, so a bad fd also drops the eventfd bound before.
        const fd = new DataView(k.current.mm.read(Number(arg), 4).buffer).getInt32(0, true);
        this.configCtx = undefined;
        if (fd !== -1) {
          if (!isEventfd(k.current.fget(fd))) throw new Errno(EINVAL, `fd ${fd} is not an eventfd`);
          this.configCtx = eventfdCtxFdget(k, fd);
        }
        return 0;
      }
      case nr(k, V.VHOST_GET_BACKEND_FEATURES): {
        let f = VHOST_VDPA_BACKEND_FEATURES;
        if (ops.suspend) f |= B("VHOST_BACKEND_F_SUSPEND");
        if (ops.resume) f |= B("VHOST_BACKEND_F_RESUME");
        if (ops.reset_map) f |= B("VHOST_BACKEND_F_IOTLB_PERSIST");
        // vdpa_sim's get_backend_features.
        f |= B("VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK");
        return this.#putU(arg, f, 8);
      }
      case nr(k, V.VHOST_VDPA_GET_IOVA_RANGE): {
        const b = new Uint8Array(16);
        const dv = new DataView(b.buffer);
        dv.setBigUint64(0, this.range.first, true);
        dv.setBigUint64(8, this.range.last, true);
        k.current.mm.write(Number(arg), b);
        return 0;
      }
      case nr(k, V.VHOST_VDPA_GET_CONFIG_SIZE):
        return this.#putU(arg, BigInt(ops.get_config_size()), 4);
      case nr(k, V.VHOST_VDPA_GET_VQS_COUNT):
        return this.#putU(arg, BigInt(this.nvqs), 4);
      case nr(k, V.VHOST_VDPA_SUSPEND): {
        if (!(ops.get_status() & DRIVER_OK)) return 0;
        if (!ops.suspend) throw new Errno(EOPNOTSUPP, "no suspend op");
        const r = ops.suspend();
        if (!r) this.suspended = true;
        return r;
      }
      case nr(k, V.VHOST_VDPA_RESUME): {
        if (!(ops.get_status() & DRIVER_OK)) return 0;
        if (!ops.resume) throw new Errno(EOPNOTSUPP, "no resume op");
        const r = ops.resume();
        if (!r) this.suspended = false;
        return r;
      }
    }
    let r = vhostDevIoctl(k, this.dev, cmd, arg);
    if (r === -ENOIOCTLCMD) r = vhostVdpaVringIoctl(this, k, cmd, arg);
    if (r) return r;
    if (cmd === nr(k, V.VHOST_SET_OWNER) && ops.bind_mm) {
      // vhost_vdpa_bind_mm: a VA-mode device works in the owner's address space.
      ops.bind_mm(this.dev.owner!);
    }
    return 0;
  }
}

// ---------------------------------------------------------------- char device

const fops: FileOperations = {
  name: "vhost-vdpa",
  ioctl(file: File, cmd: number, arg: bigint): number {
    const v = file.private_data as VhostVdpa;
    const def = V.VHOST_IOCTLS.find((d) => nr(v.kernel, d) === cmd);
    v.bump(def ? def.name : `0x${cmd.toString(16)}`);
    return v.ioctl(cmd, arg);
  },
  write(file: File, data: Uint8Array): number {
    const v = file.private_data as VhostVdpa;
    // The seed's fops have no write_iter: vfs_write answers EINVAL.
    if (v.profile === "seed") throw new Errno(EINVAL, "seed: vhost-vdpa has no write()");
    return vhostChrWrite(v.kernel, v.dev, data);
  },
  describeWrite(_file: File, data: Uint8Array): string {
    return data.length >= vhost_msg_v2.size
      ? formatStruct(vhost_msg_v2, decodeStruct(vhost_msg_v2, data))
      : formatBytes(data);
  },
  mmap(file, vma, pgoff) {
    // vhost_vdpa_mmap (doorbell): one page, shared, not readable, pgoff ≤ 65535.
    const v = file.private_data as VhostVdpa;
    if (vma.end - vma.start !== v.kernel.config.pageSize) {
      throw new Errno(EINVAL, "doorbell mmap must be one page");
    }
    if (!(vma.flags & MAP_SHARED)) throw new Errno(EINVAL, "doorbell mmap must be MAP_SHARED");
    if (vma.prot & PROT_READ) throw new Errno(EINVAL, "doorbell mmap must not be readable");
    if (pgoff > 65535) throw new Errno(EINVAL, "pgoff > 65535");
    throw new Errno(ENOTSUPP, "the device has no get_vq_notification (vdpa_sim)");
  },
  release(file: File): void {
    const v = file.private_data as VhostVdpa;
    v.reset();
    v.vdpa.config.unbind_mm?.();
    vhostDevCleanup(v.dev);
    v.cleanupMaps();
    v.configCtx = undefined;
    v.suspended = false;
    v.opened = false;
  },
  ioctls: () => V.VHOST_IOCTLS,
};
const seedFops: FileOperations = { ...fops, mmap: undefined };

/**
 * Every vhost-vdpa instance of a kernel, by path.
 *
 * @example
 * ```ts
 * // vhostVdpaDevices(kernel).get("/dev/vhost-vdpa-0")
 * ```
 */
export function vhostVdpaDevices(k: Kernel): Map<string, VhostVdpa> {
  return k.state("vhost-vdpa.devices", () => new Map<string, VhostVdpa>());
}

vdpaRegisterDriver({
  name: "vhost_vdpa",
  probe(k, vdpa) {
    const all = vhostVdpaDevices(k);
    const v = new VhostVdpa(k, vdpa, all.size);
    vdpa.driverData = v;
    all.set(v.path, v);
    if (v.profile === "mainline" && vdpa.config.get_iova_range) {
      v.range = vdpa.config.get_iova_range();
    }
    k.registerChrdev(v.path, {
      fops: v.profile === "seed" ? seedFops : fops,
      open(file: File) {
        if (v.opened) throw new Errno(EBUSY, `${v.path} is already open`);
        v.opened = true;
        const r = v.reset();
        if (r) {
          v.opened = false;
          throw new Errno(-r, "reset failed");
        }
        v.dev = v.initDev();
        file.private_data = v;
      },
    });
  },
  remove(k, vdpa) {
    const v = vdpa.driverData as VhostVdpa | undefined;
    if (!v) return;
    k.unregisterChrdev(v.path);
    vhostVdpaDevices(k).delete(v.path);
  },
});
