/**
 * QEMU's vhost-vdpa client (hw/virtio/vhost-vdpa.c, net/vhost-vdpa.c) and the
 * `device NAME vdpa-net { … }` declaration. The device itself appears by
 * platform set-up (the seed-era simulator at module load, `vdpa dev add` on
 * mainline); with `guest`, the VMM then drives it with real syscalls:
 *
 * - `client qemu` (default on mainline): vhost-vdpa.md §6 — open,
 *   GET_FEATURES, GET_IOVA_RANGE, add_status(ACKNOWLEDGE|DRIVER), SET_OWNER,
 *   GET_FEATURES, SET_VRING_CALL per vq, GET_DEVICE_ID; then on start
 *   SET_FEATURES, FEATURES_OK, backend features, per vq NUM/BASE/ADDR/KICK/
 *   CALL, IOTLB batch UPDATE of guest RAM (iova = GPA, uaddr = HVA), the
 *   doorbell mmap (fails on the simulator, ignored), SET_VRING_ENABLE,
 *   DRIVER_OK. On the seed profile this stops at the first SET_VRING_CALL
 *   (EBUSY): the seed's gate, and the reason it was dropped.
 * - `client direct` (default on the seed): the order the seed accepts —
 *   features first, SET_MEM_TABLE (the seed's only way to give the device
 *   memory), vrings between FEATURES_OK and DRIVER_OK, enable last.
 *
 * "Start" is the guest's virtio-net driver setting DRIVER_OK: the guest
 * driver model places its rings in guest RAM, then the VMM programs them.
 *
 * @example
 * ```ts
 * import { decls } from "./registry.ts";
 * import "./vhost_vdpa.ts";
 * console.log(decls.has("device:vdpa-net")); // true
 * ```
 * @module
 */
import { errnoName } from "../include/uapi/asm-generic/errno.ts";
import { VIRTIO_CONFIG_S } from "../include/uapi/linux/virtio_config.ts";
import * as V from "../include/uapi/linux/vhost.ts";
import { VHOST_BACKEND_F, VHOST_IOTLB } from "../include/uapi/linux/vhost_types.ts";
import { Errno } from "../kernel/errno.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { IoctlDef } from "../kernel/uapi.ts";
import { MAP_SHARED, PROT_WRITE } from "../mm/mm.ts";
import type { EventfdCtx } from "../fs/eventfd.ts";
import { type VhostVdpa, vhostVdpaDevices } from "../drivers/vhost/vdpa.ts";
import { type VdpaSimNet, vdpasimNetAdd } from "../drivers/vdpa/vdpa_sim/vdpa_sim_net.ts";
import { type DeclInput, registerDecl, registerHostProp, VmmError } from "./registry.ts";
import { Obj, type Value } from "./value.ts";
import { errnoText, type Vmm, type VmmGuest } from "./vmm.ts";
import { GuestVirtioNet } from "./virtio_net_guest.ts";
import { writeIotlbMsg } from "./vhost_vdpa_iotlb.ts";

const S = VIRTIO_CONFIG_S;
const ACK_DRIVER = Number(S.VIRTIO_CONFIG_S_ACKNOWLEDGE | S.VIRTIO_CONFIG_S_DRIVER);
const FEATURES_OK = Number(S.VIRTIO_CONFIG_S_FEATURES_OK);
const DRIVER_OK = Number(S.VIRTIO_CONFIG_S_DRIVER_OK);
/** What the guest's virtio-net driver acks: no CTRL_VQ, so only the 2 data vqs are used. */
const GUEST_FEATURES = (1n << 5n) | (1n << 3n) | (1n << 16n) | (1n << 27n) | (1n << 32n);
const ACCESS_PLATFORM = 1n << 33n;
const DATA_VQS = 2;

/** The VMM's state for one vdpa-net device; `fd` makes `ioctl net0 …` work. */
export class VdpaNetDev {
  readonly vmm: Vmm;
  readonly name: string;
  readonly path: string;
  readonly vhost: VhostVdpa;
  readonly sim: VdpaSimNet;
  guest: VmmGuest | undefined;
  client: "qemu" | "direct" = "qemu";
  callFds: number[] = [];
  kickFds: number[] = [];
  driver: GuestVirtioNet | undefined;
  ackedFeatures = 0n;
  backendFeatures = 0n;
  started = false;
  /** The phase the bring-up reached, for `show`. */
  phase = "created";
  #fd: number | undefined;

  constructor(vmm: Vmm, name: string, vhost: VhostVdpa, sim: VdpaSimNet) {
    this.vmm = vmm;
    this.name = name;
    this.vhost = vhost;
    this.sim = sim;
    this.path = vhost.path;
  }

  /** The VMM's fd on the char device: the one the bring-up opened, else any the VMM opened by hand. */
  get fd(): number | undefined {
    if (this.#fd !== undefined && this.vmm.proc.fds.get(this.#fd)?.path === this.path) {
      return this.#fd;
    }
    return this.vmm.proc.fdByPath(this.path);
  }
  set fd(v: number | undefined) {
    this.#fd = v;
  }

  /** The call eventfd context of vq i (for counters). */
  callCtx(i: number): EventfdCtx | undefined {
    const fd = this.callFds[i];
    return fd === undefined
      ? undefined
      : this.vmm.proc.fds.get(fd)?.private_data as EventfdCtx | undefined;
  }
}

registerHostProp({
  name: "vdpa-sim-use-va",
  type: "bool",
  doc:
    "vdpa_sim's use_va module parameter (mainline; default true): IOTLB entries are the owner's VAs and only shared file-backed memory is mapped",
});

function parseMac(v: Value | undefined): Uint8Array | undefined {
  if (v === undefined) return undefined;
  if (v instanceof Uint8Array && v.length === 6) return v;
  if (typeof v === "string") {
    const parts = v.split(":");
    if (parts.length === 6 && parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
      return new Uint8Array(parts.map((p) => parseInt(p, 16)));
    }
  }
  if (typeof v === "bigint") {
    const b = new Uint8Array(6);
    for (let i = 0; i < 6; i++) b[i] = Number((v >> BigInt(8 * (5 - i))) & 0xffn);
    return b;
  }
  throw new VmmError("mac must look like 52:54:00:12:34:56", { prop: "mac" });
}

function int(v: Value | undefined, d: number): number {
  return typeof v === "bigint" ? Number(v) : d;
}

/** ioctl that must succeed; the error names the step and the errno. */
function must(dev: VdpaNetDev, def: IoctlDef, input?: Parameters<Vmm["ioctl"]>[2], why?: string) {
  const r = dev.vmm.ioctl(dev.fd!, def, input);
  if (r.ret < 0) {
    throw new VmmError(
      `${dev.name}: ${def.name} failed: ${errnoText(r.ret)}${why ? ` — ${why}` : ""}`,
      {
        help: seedGateHelp(dev, def.name, r.ret),
      },
    );
  }
  return r;
}

function seedGateHelp(dev: VdpaNetDev, name: string, ret: number): string | undefined {
  if (
    dev.vmm.kernel.config.profile === "seed" && errnoName(ret) === "EBUSY" && name.includes("VRING")
  ) {
    return "the seed refuses vring ioctls before FEATURES_OK (QEMU sends SET_VRING_CALL at init): the gate was dropped before merge. Use `client direct` on the seed profile, or `host { kernel mainline }`";
  }
  return undefined;
}

/** add_status(x): GET_STATUS, SET_STATUS(old | x). */
function addStatus(dev: VdpaNetDev, bits: number): void {
  const old = Number(must(dev, V.VHOST_VDPA_GET_STATUS).out as bigint);
  must(dev, V.VHOST_VDPA_SET_STATUS, old | bits); // a number: marshal takes a bigint as a raw pointer
}

function checkStatus(dev: VdpaNetDev, bit: number, what: string): void {
  const st = Number(must(dev, V.VHOST_VDPA_GET_STATUS).out as bigint);
  if (!(st & bit)) {
    throw new VmmError(
      `${dev.name}: the device did not accept ${what} (status 0x${st.toString(16)})`,
    );
  }
}

/**
 * QEMU's netdev creation + vhost_dev_init (§6 steps 1–3).
 *
 * @example
 * ```ts
 * // qemuVdpaInit(dev);
 * ```
 */
export function qemuVdpaInit(dev: VdpaNetDev): void {
  const vmm = dev.vmm;
  dev.fd = vmm.open(dev.path);
  const feats = must(dev, V.VHOST_GET_FEATURES).out as bigint;
  if (feats & (1n << 22n)) must(dev, V.VHOST_VDPA_GET_CONFIG, { off: 8n, len: 2n });
  if (vmm.kernel.config.profile === "mainline") must(dev, V.VHOST_VDPA_GET_IOVA_RANGE);
  addStatus(dev, ACK_DRIVER);
  must(dev, V.VHOST_SET_OWNER);
  must(dev, V.VHOST_GET_FEATURES);
  for (let i = 0; i < DATA_VQS; i++) {
    const e = vmm.eventfd();
    dev.callFds[i] = e;
    must(
      dev,
      V.VHOST_SET_VRING_CALL,
      { index: BigInt(i), fd: BigInt(e) },
      "QEMU sets a masked call eventfd at init",
    );
  }
  const id = must(dev, V.VHOST_VDPA_GET_DEVICE_ID).out as bigint;
  if (id !== 1n) throw new VmmError(`${dev.name}: device id ${id}, expected 1 (net)`);
  dev.phase = "initialised";
}

/**
 * vhost_dev_start for QEMU (§6 steps 5–9), with the guest driver's rings.
 *
 * @example
 * ```ts
 * // qemuVdpaStart(dev);
 * ```
 */
export function qemuVdpaStart(dev: VdpaNetDev): void {
  const vmm = dev.vmm, k = vmm.kernel, g = dev.guest!;
  const feats = must(dev, V.VHOST_GET_FEATURES).out as bigint;
  dev.ackedFeatures = (feats & GUEST_FEATURES) | ACCESS_PLATFORM;
  must(dev, V.VHOST_SET_FEATURES, Number(dev.ackedFeatures));
  addStatus(dev, FEATURES_OK);
  checkStatus(dev, FEATURES_OK, "FEATURES_OK");
  const mainline = k.config.profile === "mainline";
  if (mainline) {
    const b = must(dev, V.VHOST_GET_BACKEND_FEATURES).out as bigint;
    dev.backendFeatures = b &
      ((1n << VHOST_BACKEND_F.VHOST_BACKEND_F_IOTLB_MSG_V2!) |
        (1n << VHOST_BACKEND_F.VHOST_BACKEND_F_IOTLB_BATCH!));
    must(dev, V.VHOST_SET_BACKEND_FEATURES, Number(dev.backendFeatures));
  }
  programVrings(dev, true);
  if (mainline) {
    const batch = (dev.backendFeatures >> 2n) & 1n;
    const T = VHOST_IOTLB;
    const w = (type: bigint, iova = 0n, size = 0n, uaddr = 0n, perm = 0) => {
      const r = writeIotlbMsg(k, vmm.proc, dev.fd!, {
        type: Number(type),
        iova,
        size,
        uaddr,
        perm,
      });
      if (r < 0) throw new VmmError(`${dev.name}: IOTLB write failed: ${errnoText(r)}`);
    };
    if (batch) w(T.VHOST_IOTLB_BATCH_BEGIN!);
    w(T.VHOST_IOTLB_UPDATE!, BigInt(g.ramGpa), BigInt(g.ramSize), BigInt(g.ramHva), 3);
    if (batch) w(T.VHOST_IOTLB_BATCH_END!);
    // Doorbell mapping (host notifiers): the simulator has none; QEMU ignores the failure.
    for (let i = 0; i < DATA_VQS; i++) {
      k.mmap(
        vmm.proc,
        0,
        k.config.pageSize,
        PROT_WRITE,
        MAP_SHARED,
        dev.fd!,
        i * k.config.pageSize,
      );
    }
  }
  for (let i = 0; i < DATA_VQS; i++) {
    must(dev, V.VHOST_VDPA_SET_VRING_ENABLE, { index: BigInt(i), num: 1n });
  }
  addStatus(dev, DRIVER_OK);
  checkStatus(dev, DRIVER_OK, "DRIVER_OK");
  dev.started = true;
  dev.phase = "running";
}

/** Per vq: NUM, BASE, ADDR (desc, used, avail — GPAs = IOVAs), KICK, CALL. */
function programVrings(dev: VdpaNetDev, recall: boolean): void {
  const vmm = dev.vmm, drv = dev.driver!;
  for (let i = 0; i < DATA_VQS; i++) {
    const vq = drv.vqs[i]!;
    const I = BigInt(i);
    must(dev, V.VHOST_SET_VRING_NUM, { index: I, num: BigInt(vq.num) });
    must(dev, V.VHOST_SET_VRING_BASE, { index: I, num: 0n });
    must(dev, V.VHOST_SET_VRING_ADDR, {
      index: I,
      flags: 0n,
      desc_user_addr: BigInt(vq.desc),
      used_user_addr: BigInt(vq.used),
      avail_user_addr: BigInt(vq.avail),
      log_guest_addr: 0n,
    });
    const kfd = vmm.eventfd();
    dev.kickFds[i] = kfd;
    must(dev, V.VHOST_SET_VRING_KICK, { index: I, fd: BigInt(kfd) });
    vq.kick = vmm.proc.fget(kfd).private_data as EventfdCtx;
    if (recall || dev.callFds[i] === undefined) {
      if (dev.callFds[i] === undefined) dev.callFds[i] = vmm.eventfd();
      must(dev, V.VHOST_SET_VRING_CALL, { index: I, fd: BigInt(dev.callFds[i]!) });
    }
  }
}

/**
 * The seed-compatible client: everything in the order the seed's gates allow.
 *
 * @example
 * ```ts
 * // directVdpaBringUp(dev);
 * ```
 */
export function directVdpaBringUp(dev: VdpaNetDev): void {
  const vmm = dev.vmm, g = dev.guest!;
  dev.fd = vmm.open(dev.path);
  must(dev, V.VHOST_SET_OWNER);
  const feats = must(dev, V.VHOST_GET_FEATURES).out as bigint;
  const id = must(dev, V.VHOST_VDPA_GET_DEVICE_ID).out as bigint;
  if (id !== 1n) throw new VmmError(`${dev.name}: device id ${id}, expected 1 (net)`);
  addStatus(dev, ACK_DRIVER);
  dev.phase = "initialised";
  if (!dev.driver) return;
  dev.ackedFeatures = (feats & GUEST_FEATURES) | ACCESS_PLATFORM;
  must(dev, V.VHOST_SET_FEATURES, Number(dev.ackedFeatures));
  addStatus(dev, FEATURES_OK);
  checkStatus(dev, FEATURES_OK, "FEATURES_OK");
  must(dev, V.VHOST_SET_MEM_TABLE, {
    nregions: 1n,
    padding: 0n,
    regions: [{
      guest_phys_addr: BigInt(g.ramGpa),
      memory_size: BigInt(g.ramSize),
      userspace_addr: BigInt(g.ramHva),
      flags_padding: 0n,
    }],
  });
  programVrings(dev, false);
  for (let i = 0; i < DATA_VQS; i++) {
    must(dev, V.VHOST_VDPA_SET_VRING_ENABLE, { index: BigInt(i), num: 1n });
  }
  addStatus(dev, DRIVER_OK);
  checkStatus(dev, DRIVER_OK, "DRIVER_OK");
  dev.started = true;
  dev.phase = "running";
}

/**
 * The guest's virtio-net driver probes (rings in guest RAM) and sets
 * DRIVER_OK: the VMM starts the vhost backend.
 *
 * @example
 * ```ts
 * // virtioNetSetup(dev, 0x100000);
 * ```
 */
export function virtioNetSetup(dev: VdpaNetDev, base?: number, num?: number): GuestVirtioNet {
  if (!dev.guest) {
    throw new VmmError(`${dev.name} is not attached to a guest (declare it with \`guest vm1\`)`);
  }
  if (dev.started) throw new VmmError(`${dev.name} is already running`);
  const g = dev.guest;
  const q = num ?? dev.sim.ops.get_vq_num_max();
  dev.driver = new GuestVirtioNet(dev.vmm, g, base ?? g.ramGpa + 0x100000, q, DATA_VQS);
  try {
    if (dev.client === "qemu") {
      if (dev.fd === undefined) qemuVdpaInit(dev);
      qemuVdpaStart(dev);
    } else {
      if (dev.fd !== undefined && dev.phase === "initialised") {
        // The direct client opened and initialised already; finish its sequence.
        dev.vmm.close(dev.fd);
        dev.fd = undefined;
      }
      directVdpaBringUp(dev);
    }
  } catch (e) {
    dev.phase = `failed: ${(e as Error).message}`;
    throw e;
  }
  return dev.driver;
}

function instantiate(vmm: Vmm, d: DeclInput): void {
  const k: Kernel = vmm.kernel;
  const one = (n: string) => d.props.get(n)?.[0];
  const queues = int(one("queues"), 1);
  if (queues !== 1) {
    throw new VmmError(
      `vdpa_sim_net has one queue pair (no VIRTIO_NET_F_MQ); queues ${queues} is not possible`,
      { prop: "queues" },
    );
  }
  const mtuV = one("mtu");
  const useVa = k.config.props["vdpa-sim-use-va"];
  let vdpa;
  try {
    vdpa = vdpasimNetAdd(k, {
      name: d.name,
      mac: parseMac(one("mac")),
      ...(typeof mtuV === "bigint" ? { mtu: Number(mtuV) } : {}),
      ...(typeof useVa === "boolean" ? { useVa } : {}),
    });
  } catch (e) {
    if (e instanceof Errno) {
      throw new VmmError(`vdpa dev add ${d.name}: ${e.message}`, { prop: "mtu" });
    }
    throw e;
  }
  const vhost = vhostVdpaDevices(k).get(
    [...vhostVdpaDevices(k).values()].find((v) => v.vdpa === vdpa)!.path,
  )!;
  const dev = new VdpaNetDev(vmm, d.name, vhost, vdpa.parent as VdpaSimNet);
  const clientV = one("client");
  dev.client = clientV === "qemu" || clientV === "direct"
    ? clientV
    : k.config.profile === "seed"
    ? "direct"
    : "qemu";
  vmm.declare(new Obj("vdpa-net", d.name, dev));
  const gv = one("guest");
  if (gv === undefined) return;
  const gname = gv instanceof Obj ? gv.name : String(gv);
  const g = vmm.guests.get(gname);
  if (!g) throw new VmmError(`no guest named ${gname}`, { prop: "guest" });
  dev.guest = g;
  if (dev.client === "qemu") qemuVdpaInit(dev);
  if (one("start") !== false) {
    const rings = one("rings");
    virtioNetSetup(dev, typeof rings === "bigint" ? Number(rings) : undefined);
  }
}

registerDecl({
  keyword: "device",
  kind: "vdpa-net",
  props: [
    {
      name: "mac",
      type: "mac",
      doc: "MAC address (seed: the macaddr module parameter; mainline: `vdpa dev add … mac`)",
    },
    { name: "queues", type: "int", doc: "queue pairs; vdpa_sim_net has exactly 1" },
    {
      name: "mtu",
      type: "int",
      doc: "mainline `vdpa dev add … mtu` (default 1500); the seed-era simulator is fixed at 1500",
    },
    {
      name: "guest",
      type: "ident",
      doc: "attach to this guest: the VMM opens the device and runs its bring-up",
    },
    {
      name: "client",
      type: "ident",
      values: ["qemu", "direct"],
      doc:
        "bring-up order: QEMU's (§6; default on mainline) or the seed-compatible one (default on seed)",
    },
    {
      name: "start",
      type: "bool",
      doc:
        "let the guest driver set DRIVER_OK now (default true); false stops after init — call virtio_net_setup(NAME) later",
    },
    {
      name: "rings",
      type: "int",
      doc: "guest physical address of the driver's rings and buffers (default RAM base + 1M)",
    },
  ],
  doc:
    "A vDPA net device on the simulated vDPA bus (vdpa_sim_net) with its vhost-vdpa char device; with `guest`, brought up by the VMM.",
  instantiate,
});

/** Re-exported for builtins: does this value name a vdpa-net device? */
export function vdpaNetOf(v: Value | undefined): VdpaNetDev | undefined {
  return v instanceof Obj && v.kind === "vdpa-net" ? v.impl as VdpaNetDev : undefined;
}
