/**
 * drivers/vdpa/vdpa_sim/vdpa_sim.c: the generic vDPA device simulator —
 * status, features, virtqueues, the DMA IOTLB (one per address space) and
 * the vDPA config ops. The device type (vdpa_sim_net.ts) supplies features,
 * config and the work function. Two eras, chosen by the host's kernel
 * profile (vhost-vdpa.md §5):
 *
 * - seed: the ~v5.10 single-file simulator — 2 vqs, one IOTLB that starts
 *   empty, rings built at enable with the fixed size 256 (SET_VRING_NUM is
 *   ignored), callbacks always fired.
 * - mainline: per-AS IOTLBs that start as an identity passthrough, rings of
 *   the programmed size, DRIVER_OK sets `running`, SUSPEND/RESUME with held
 *   kicks, notification suppression honoured.
 *
 * Translation goes through the IOTLB on every access; a miss or a bad chain
 * is a device error: it is recorded, counted and the device sets
 * VIRTIO_CONFIG_S_NEEDS_RESET (virtio 1.x §2.1.1) and stops its datapath.
 *
 * @example
 * ```ts
 * import { VDPASIM_QUEUE_MAX } from "./vdpa_sim.ts";
 * console.log(VDPASIM_QUEUE_MAX); // 256
 * ```
 * @module
 */
import { EINVAL } from "../../../include/uapi/asm-generic/errno.ts";
import { VIRTIO_CONFIG_S } from "../../../include/uapi/linux/virtio_config.ts";
import { Errno } from "../../../kernel/errno.ts";
import type { Kernel } from "../../../kernel/kernel.ts";
import type { Process } from "../../../kernel/process.ts";
import type { Profile } from "../../../kernel/uapi.ts";
import { type IotlbMap, VHOST_MAP_RW, VhostIotlb } from "../../vhost/iotlb.ts";
import { type DmaAccess, Vringh, VringhError } from "../../vhost/vringh.ts";
import { SimDma } from "./vdpa_sim_dma.ts";
import {
  VDPA_RESET_F_CLEAN_MAP,
  type VdpaCallback,
  type VdpaConfigOps,
  type VdpaIovaRange,
} from "../vdpa.ts";

export const VDPASIM_QUEUE_MAX = 256;
export const VDPASIM_VENDOR_ID = 0;
/** max_iotlb_entries module parameter default. */
export const VDPASIM_MAX_IOTLB_ENTRIES = 2048;
const DRIVER_OK = Number(VIRTIO_CONFIG_S.VIRTIO_CONFIG_S_DRIVER_OK);
const NEEDS_RESET = Number(VIRTIO_CONFIG_S.VIRTIO_CONFIG_S_NEEDS_RESET);
const U64_MAX = (1n << 64n) - 1n;

/** struct vdpasim_virtqueue. */
export class SimVq {
  ready = false;
  num = 0;
  descAddr = 0n;
  driverAddr = 0n;
  deviceAddr = 0n;
  cb: VdpaCallback = { callback: undefined };
  vring: Vringh | undefined;
  /** Avail index stored by set_vq_state before the ring exists. */
  lastAvail = 0;
  kicks = 0;
  calls = 0;
}

/** What the device type supplies (struct vdpasim_dev_attr). */
export interface VdpaSimAttr {
  name: string;
  id: number;
  nvqs: number;
  ngroups: number;
  nas: number;
  supportedFeatures: bigint;
  configSize: number;
  /** Hook when features are set (the seed-era net sim fills its config here). */
  onSetFeatures?(sim: VdpaSim): void;
  getConfig?(sim: VdpaSim): void;
  /** The datapath: runs when a ready vq is kicked. */
  work(sim: VdpaSim): void;
  vqGroup?(idx: number): number;
}

/** One device error the simulator reported. */
export interface SimError {
  where: string;
  errno: number;
  message: string;
}

/** The simulator (struct vdpasim). */
export class VdpaSim {
  readonly kernel: Kernel;
  readonly profile: Profile;
  readonly attr: VdpaSimAttr;
  readonly useVa: boolean;
  vqs: SimVq[];
  config: Uint8Array;
  status = 0;
  #features = 0n;
  /** Bits 0..31 and 32..63 of the negotiated features as numbers (datapath checks, no BigInt per run). */
  featuresLo = 0;
  featuresHi = 0;
  generation = 0;
  running = false;
  pendingKick = false;
  iommu: VhostIotlb[];
  iommuPt: boolean[];
  group2asid: number[];
  mm: Process | undefined;
  errors: SimError[] = [];
  counters = new Map<string, number>();
  /** Per AS: the IOTLB translation + copy engine (vdpa_sim_dma.ts). */
  #dma: SimDma[];
  #inWork = false;
  #again = false;

  constructor(k: Kernel, attr: VdpaSimAttr, useVa: boolean) {
    this.kernel = k;
    this.profile = k.config.profile;
    this.attr = attr;
    this.useVa = useVa;
    this.vqs = Array.from({ length: attr.nvqs }, () => new SimVq());
    this.config = new Uint8Array(attr.configSize);
    const nas = this.profile === "seed" ? 1 : attr.nas;
    this.iommu = Array.from({ length: nas }, () => new VhostIotlb(VDPASIM_MAX_IOTLB_ENTRIES));
    this.iommuPt = Array.from({ length: nas }, () => false);
    this.group2asid = Array.from({ length: attr.ngroups }, () => 0);
    this.#dma = this.iommu.map((t, asid) => new SimDma(this, asid, t));
    // Mainline starts each AS as an identity passthrough until the first map.
    this.reset(this.profile === "mainline" ? VDPA_RESET_F_CLEAN_MAP : 0);
  }

  /** The negotiated features. */
  get features(): bigint {
    return this.#features;
  }
  set features(f: bigint) {
    this.#features = f;
    this.featuresLo = Number(f & 0xffff_ffffn);
    this.featuresHi = Number((f >> 32n) & 0xffff_ffffn);
  }

  /** Add to a named counter. */
  count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }

  /** The DMA view of the AS a vq's group is bound to. */
  dmaFor(idx: number): DmaAccess {
    const g = this.attr.vqGroup?.(idx) ?? 0;
    return this.#dma[this.profile === "seed" ? 0 : this.group2asid[g] ?? 0]!;
  }

  /** Record a device error: NEEDS_RESET, counted, visible in `show`. */
  deviceError(where: string, e: unknown): void {
    if (!(e instanceof VringhError)) throw e;
    this.errors.push({ where, errno: e.errno, message: e.message });
    if (this.errors.length > 32) this.errors.shift();
    this.count("device errors");
    this.status |= NEEDS_RESET;
  }

  /** The datapath may run: DRIVER_OK, not suspended, not broken. */
  get canRun(): boolean {
    if (!(this.status & DRIVER_OK) || this.status & NEEDS_RESET) return false;
    return this.profile === "seed" || this.running;
  }

  /** schedule_work(&vdpasim->work): run the work now; a requeue while running loops once more. */
  scheduleWork(): void {
    if (this.#inWork) {
      this.#again = true;
      return;
    }
    this.#inWork = true;
    try {
      do {
        this.#again = false;
        this.attr.work(this);
      } while (this.#again);
    } finally {
      this.#inWork = false;
    }
  }

  /** Fire a vq's callback (the vhost-vdpa side signals the call eventfd). */
  notify(idx: number, respectSuppression: boolean): void {
    const vq = this.vqs[idx]!;
    if (respectSuppression && vq.vring) {
      try {
        if (!vq.vring.needNotify()) return;
      } catch (e) {
        this.deviceError(`vq ${idx} notify`, e);
        return;
      }
    }
    if (vq.cb.callback) {
      vq.calls++;
      vq.cb.callback();
    }
  }

  /**
   * vdpasim_queue_ready: build the vring over the programmed addresses.
   * - seed (~v5.10): vringh_init_iotlb with the fixed size 256, which also
   *   zeroes last_avail_idx — a SET_VRING_BASE sent before the enable is lost.
   * - mainline: the programmed size; the stored avail index carries over and
   *   used idx starts equal to it. With no SET_VRING_NUM (num 0)
   *   vringh_init_iotlb fails ("Bad ring size 0", ignored), so the ring keeps
   *   its reset state: 256 entries at IOVA 0 (vdpasim_vq_reset).
   */
  #queueReady(idx: number): void {
    const vq = this.vqs[idx]!;
    const seed = this.profile === "seed";
    const bad = !seed && !vq.num;
    if (bad) this.count("bad ring size (vringh_init_iotlb failed)");
    const vr = new Vringh(
      this.dmaFor(idx),
      seed || bad ? VDPASIM_QUEUE_MAX : vq.num,
      bad ? 0 : toAddr(vq.descAddr),
      bad ? 0 : toAddr(vq.driverAddr),
      bad ? 0 : toAddr(vq.deviceAddr),
    );
    if (seed) vq.lastAvail = 0;
    vr.lastAvailIdx = vq.lastAvail;
    if (!seed) {
      // Used idx starts equal to the stored avail idx (no inflight descriptors migrate).
      vr.lastUsedIdx = vq.lastAvail;
    }
    vq.vring = vr;
  }

  /** vdpasim_do_reset. */
  reset(flags: number): number {
    for (const vq of this.vqs) {
      vq.ready = false;
      vq.descAddr = vq.driverAddr = vq.deviceAddr = 0n;
      vq.cb = { callback: undefined };
      vq.vring = undefined;
      vq.lastAvail = 0;
    }
    if (this.profile === "seed") {
      this.iommu[0]!.reset();
    } else if (flags & VDPA_RESET_F_CLEAN_MAP) {
      this.iommu.forEach((t, i) => {
        t.reset();
        t.addRange(0n, U64_MAX, 0n, VHOST_MAP_RW, { note: "passthrough" });
        this.iommuPt[i] = true;
      });
    }
    this.group2asid.fill(0);
    this.running = false;
    this.pendingKick = false;
    this.features = 0n;
    this.status = 0;
    this.generation++;
    return 0;
  }

  /** The vdpa_config_ops the bus sees. */
  readonly ops: VdpaConfigOps = {
    set_vq_address: (idx, desc, driver, device) => {
      const vq = this.vqs[idx]!;
      vq.descAddr = desc;
      vq.driverAddr = driver;
      vq.deviceAddr = device;
      return 0;
    },
    set_vq_num: (idx, num) => {
      this.vqs[idx]!.num = num;
    },
    kick_vq: (idx) => {
      const vq = this.vqs[idx]!;
      vq.kicks++;
      if (this.profile === "mainline" && !this.running && this.status & DRIVER_OK) {
        this.pendingKick = true;
        return;
      }
      if (vq.ready) this.scheduleWork();
    },
    set_vq_cb: (idx, cb) => {
      this.vqs[idx]!.cb = cb;
    },
    set_vq_ready: (idx, ready) => {
      const vq = this.vqs[idx]!;
      const old = vq.ready;
      vq.ready = ready;
      if (ready && (this.profile === "seed" || !old)) this.#queueReady(idx);
      if (!ready && vq.vring) vq.lastAvail = vq.vring.lastAvailIdx;
    },
    get_vq_ready: (idx) => this.vqs[idx]!.ready,
    set_vq_state: (idx, avail) => {
      const vq = this.vqs[idx]!;
      vq.lastAvail = avail & 0xffff;
      if (vq.vring) vq.vring.lastAvailIdx = avail & 0xffff;
      return 0;
    },
    get_vq_state: (idx) => {
      const vq = this.vqs[idx]!;
      return vq.vring ? vq.vring.lastAvailIdx : vq.lastAvail;
    },
    get_vq_num_max: () => VDPASIM_QUEUE_MAX,
    get_device_id: () => this.attr.id,
    get_vendor_id: () => VDPASIM_VENDOR_ID,
    get_device_features: () => this.attr.supportedFeatures,
    set_driver_features: (features) => {
      // The simulator only works behind an IOMMU-style translation (vhost-vdpa.md §5).
      if (!(features & (1n << 33n))) return -EINVAL;
      this.features = features & this.attr.supportedFeatures;
      this.attr.onSetFeatures?.(this);
      return 0;
    },
    get_driver_features: () => this.features,
    get_status: () => this.status,
    set_status: (status) => {
      if (this.profile === "seed") {
        this.status = status;
        if (status === 0) this.reset(0);
        return;
      }
      this.status = status;
      this.running = (status & DRIVER_OK) !== 0;
    },
    reset: (flags) => this.reset(flags),
    get_config_size: () => this.attr.configSize,
    get_config: (off, buf) => {
      if (this.profile === "seed") {
        // ~v5.10: the copy happens only when off + len < size, so a whole-config read stays zero.
        if (off + buf.length < this.attr.configSize) {
          buf.set(this.config.subarray(off, off + buf.length));
        }
        return;
      }
      if (off + buf.length > this.attr.configSize) return;
      this.attr.getConfig?.(this);
      buf.set(this.config.subarray(off, off + buf.length));
    },
    set_config: (off, buf) => {
      if (this.profile === "seed") return; // "No writable config supported by vdpasim"
      if (off + buf.length > this.attr.configSize) return;
      this.config.set(buf, off);
    },
    get_generation: () => this.generation,
    get_iova_range: (): VdpaIovaRange => ({ first: 0n, last: U64_MAX }),
    set_map: (asid, iotlb) => this.#setMap(asid, iotlb),
  };

  #setMap(asid: number, iotlb: VhostIotlb): number {
    const t = this.iommu[this.profile === "seed" ? 0 : asid];
    if (!t) return -EINVAL;
    t.reset();
    this.iommuPt[asid] = false;
    try {
      for (const m of iotlb.maps) {
        t.addRange(m.startB, m.lastB, BigInt(m.addr), m.perm, copyCtx(m));
      }
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      t.reset();
      return -e.errno;
    }
    return 0;
  }

  /** Mainline-only ops, added by the device type's constructor. */
  mainlineOps(): Partial<VdpaConfigOps> {
    return {
      reset_map: (asid) => {
        const t = this.iommu[asid];
        if (!t) return -EINVAL;
        t.reset();
        t.addRange(0n, U64_MAX, 0n, VHOST_MAP_RW, { note: "passthrough" });
        this.iommuPt[asid] = true;
        return 0;
      },
      suspend: () => {
        this.running = false;
        return 0;
      },
      resume: () => {
        this.running = true;
        if (this.pendingKick) {
          this.pendingKick = false;
          this.vqs.forEach((vq, i) => {
            if (vq.ready) this.ops.kick_vq(i);
          });
        }
        return 0;
      },
      get_vq_group: (idx) => this.attr.vqGroup?.(idx) ?? 0,
      set_group_asid: (group, asid) => {
        if (group > this.attr.ngroups) return -EINVAL;
        if (asid >= this.attr.nas) return -EINVAL;
        this.group2asid[group] = asid;
        // vringh_set_iotlb on every vq of the group: a running ring switches
        // IOTLB and keeps its indexes (vdpasim_set_group_asid).
        for (let i = 0; i < this.vqs.length; i++) {
          if ((this.attr.vqGroup?.(i) ?? 0) === group) this.vqs[i]!.vring?.setMem(this.dmaFor(i));
        }
        return 0;
      },
      bind_mm: (p) => {
        this.mm = p;
        return 0;
      },
      unbind_mm: () => {
        this.mm = undefined;
      },
    };
  }
}

function copyCtx(m: IotlbMap): Partial<IotlbMap> {
  return { ...(m.mm ? { mm: m.mm } : {}), ...(m.note ? { note: m.note } : {}) };
}

function toAddr(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}
