/**
 * drivers/vdpa/vdpa.c and include/linux/vdpa.h: the vDPA bus. A parent
 * driver (vdpa_sim) registers a vdpa_device whose config ops program a
 * virtio datapath; bus drivers (vhost-vdpa here) bind to it in probe and
 * expose it to userspace. Devices appear by platform set-up (module load on
 * the seed, `vdpa dev add` on mainline), never through an ioctl.
 *
 * @example
 * ```ts
 * import { vdpaBus } from "./vdpa.ts";
 * import { Kernel } from "../../kernel/kernel.ts";
 * const k = new Kernel({ name: "h", arch: "x86_64", profile: "seed", pageSize: 4096, seed: 1, props: {} });
 * console.log(vdpaBus(k).devices.length); // 0
 * ```
 * @module
 */
import type { Kernel } from "../../kernel/kernel.ts";
import type { Process } from "../../kernel/process.ts";
import type { VhostIotlb } from "../vhost/iotlb.ts";

/** struct vdpa_callback: what the device calls when it used buffers. */
export interface VdpaCallback {
  callback: (() => void) | undefined;
}

/** struct vdpa_iova_range. */
export interface VdpaIovaRange {
  first: bigint;
  last: bigint;
}

/** struct vdpa_config_ops (the subset the simulator implements; optional ones may be absent). */
export interface VdpaConfigOps {
  set_vq_address(idx: number, desc: bigint, driver: bigint, device: bigint): number;
  set_vq_num(idx: number, num: number): void;
  kick_vq(idx: number): void;
  set_vq_cb(idx: number, cb: VdpaCallback): void;
  set_vq_ready(idx: number, ready: boolean): void;
  get_vq_ready(idx: number): boolean;
  set_vq_state(idx: number, availIndex: number): number;
  get_vq_state(idx: number): number;
  get_vq_num_max(): number;
  get_device_id(): number;
  get_vendor_id(): number;
  get_device_features(): bigint;
  set_driver_features(features: bigint): number;
  get_driver_features(): bigint;
  get_status(): number;
  set_status(status: number): void;
  /** Mainline: reset with flags (VDPA_RESET_F_CLEAN_MAP = 1). */
  reset(flags: number): number;
  get_config_size(): number;
  get_config(off: number, buf: Uint8Array): void;
  set_config(off: number, buf: Uint8Array): void;
  get_generation(): number;
  get_iova_range?(): VdpaIovaRange;
  set_map?(asid: number, iotlb: VhostIotlb): number;
  reset_map?(asid: number): number;
  suspend?(): number;
  resume?(): number;
  get_vq_group?(idx: number): number;
  set_group_asid?(group: number, asid: number): number;
  bind_mm?(mm: Process): number;
  unbind_mm?(): void;
  get_vq_size?(idx: number): number;
}

/** VDPA_RESET_F_CLEAN_MAP. */
export const VDPA_RESET_F_CLEAN_MAP = 1;

/** struct vdpa_device. */
export interface VdpaDevice {
  /** Bus index (vdpa0, vdpa1…). */
  index: number;
  /** `vdpa dev add name …` (mainline) or vdpa<index>. */
  name: string;
  config: VdpaConfigOps;
  nvqs: number;
  ngroups: number;
  nas: number;
  /** Entries are user VAs of the bound mm rather than physical addresses. */
  use_va: boolean;
  /** The parent (simulator) object, for views. */
  parent: unknown;
  /** Set by the bus driver that bound it (vhost-vdpa's struct). */
  driverData?: unknown;
}

/** A vDPA bus driver (struct vdpa_driver). */
export interface VdpaDriver {
  name: string;
  probe(k: Kernel, dev: VdpaDevice): void;
  remove(k: Kernel, dev: VdpaDevice): void;
}

/** The bus state of one kernel. */
export interface VdpaBus {
  devices: VdpaDevice[];
  nextIndex: number;
}

const DRIVERS: VdpaDriver[] = [];

/**
 * The bus of a kernel.
 *
 * @example
 * ```ts
 * // vdpaBus(kernel).devices
 * ```
 */
export function vdpaBus(k: Kernel): VdpaBus {
  return k.state("vdpa.bus", () => ({ devices: [], nextIndex: 0 }));
}

/**
 * __vdpa_register_driver: bus drivers register at import.
 *
 * @example
 * ```ts
 * // vdpaRegisterDriver({ name: "vhost_vdpa", probe() {}, remove() {} });
 * ```
 */
export function vdpaRegisterDriver(d: VdpaDriver): void {
  if (!DRIVERS.some((x) => x.name === d.name)) DRIVERS.push(d);
}

/**
 * vdpa_alloc_device + _vdpa_register_device: give the device an index and
 * let the first matching driver probe it.
 *
 * @example
 * ```ts
 * // const dev = vdpaRegisterDevice(k, { name: "net0", config, nvqs: 2, ngroups: 1, nas: 1, use_va: false, parent });
 * ```
 */
export function vdpaRegisterDevice(k: Kernel, d: Omit<VdpaDevice, "index">): VdpaDevice {
  const bus = vdpaBus(k);
  const dev: VdpaDevice = { ...d, index: bus.nextIndex++ };
  bus.devices.push(dev);
  for (const drv of DRIVERS) drv.probe(k, dev);
  return dev;
}

/**
 * vdpa_unregister_device.
 *
 * @example
 * ```ts
 * // vdpaUnregisterDevice(k, dev);
 * ```
 */
export function vdpaUnregisterDevice(k: Kernel, dev: VdpaDevice): void {
  const bus = vdpaBus(k);
  for (const drv of DRIVERS) drv.remove(k, dev);
  bus.devices = bus.devices.filter((x) => x !== dev);
}
