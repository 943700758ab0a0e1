/**
 * The VMM's VFIO (QEMU's hw/vfio/container.c, spapr.c, kvm-helpers.c): the
 * `container` and `group` declarations, brought up in QEMU's order
 * (spapr-tce-vfio-sva.md §4.1): open /dev/vfio/N, GET_STATUS, open the
 * container, GET_API_VERSION, CHECK_EXTENSION, SET_CONTAINER, SET_IOMMU
 * (sPAPR v2 → v1 fallback), the backend's set-up (sPAPR v2: REGISTER_MEMORY
 * of guest RAM, TCE_GET_INFO, TCE_REMOVE of the default window; type1:
 * GET_INFO and MAP_DMA of guest RAM), KVM_CREATE_DEVICE(VFIO) once per VM
 * with FILE_ADD, then GET_DEVICE_FD. The IOMMU groups themselves are
 * platform hardware, created (not ioctl'd) when the group is declared.
 *
 * @example
 * ```ts
 * import { decls } from "./registry.ts";
 * import "./vfio.ts";
 * console.log(decls.has("container"), decls.has("group")); // true true
 * ```
 * @module
 */
import {
  VFIO_CHECK_EXTENSION,
  VFIO_EXT,
  VFIO_GET_API_VERSION,
  VFIO_GROUP_FLAGS,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_IOMMU_ENABLE,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
  VFIO_IOMMU_SPAPR_TCE_GET_INFO,
  VFIO_IOMMU_SPAPR_TCE_REMOVE,
  VFIO_SET_IOMMU,
} from "../include/uapi/linux/vfio.ts";
import { KVM_CREATE_DEVICE, KVM_DEV_TYPE, KVM_SET_DEVICE_ATTR } from "../include/uapi/linux/kvm.ts";
import { KVM_DEV_VFIO } from "../arch/powerpc/include/uapi/asm/kvm_spapr_tce.ts";
import { Errno } from "../kernel/errno.ts";
import type { StructValue } from "../kernel/layout.ts";
import { vfioPlatformAddGroup } from "../drivers/vfio/vfio.ts";
import { stackAlloc } from "./marshal.ts";
import { type DeclInput, registerDecl, VmmError } from "./registry.ts";
import { Obj, type Value } from "./value.ts";
import { errnoText, type Vmm, type VmmGuest } from "./vmm.ts";

/** A host DMA window QEMU knows about (vfio_host_win). */
export interface HostWin {
  start: bigint;
  end: bigint;
  pageShift: number;
}

/** The VMM's view of a container (VFIOContainer). */
export interface VmmContainer {
  name: string;
  fd: number;
  /** Requested IOMMU type (VFIO_EXT value), or undefined = pick like QEMU. */
  want: bigint | undefined;
  /** Type actually set. */
  type: bigint | undefined;
  groups: VmmGroup[];
  guest: VmmGuest | undefined;
  /** Host IOMMU page sizes (sPAPR v2: ddw.pgsizes). */
  pgsizes: bigint;
  hostWins: HostWin[];
}

/** The VMM's view of a group (VFIOGroup). */
export interface VmmGroup {
  id: number;
  fd: number;
  container: VmmContainer;
  guest: VmmGuest | undefined;
  devices: { bdf: string; fd: number }[];
}

/** Per-VMM VFIO state. */
export interface VmmVfio {
  containers: Map<string, VmmContainer>;
  groups: Map<number, VmmGroup>;
  /** KVM-VFIO device fd per guest name. */
  kvmDev: Map<string, number>;
}

/**
 * The VMM's VFIO state.
 *
 * @example
 * ```ts
 * // vmmVfio(vmm).containers.get("c0")
 * ```
 */
export function vmmVfio(vmm: Vmm): VmmVfio {
  let s = vmm.ext["vfio"] as VmmVfio | undefined;
  if (!s) {
    s = { containers: new Map(), groups: new Map(), kvmDev: new Map() };
    vmm.ext["vfio"] = s;
  }
  return s;
}

const TYPES: Record<string, bigint> = {
  "type1": VFIO_EXT.VFIO_TYPE1_IOMMU,
  "type1v2": VFIO_EXT.VFIO_TYPE1v2_IOMMU,
  "spapr-tce": VFIO_EXT.VFIO_SPAPR_TCE_IOMMU,
  "spapr-tce-v2": VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU,
};
/** QEMU's preference order (vfio_get_iommu_type). */
const QEMU_ORDER = [
  VFIO_EXT.VFIO_TYPE1v2_IOMMU,
  VFIO_EXT.VFIO_TYPE1_IOMMU,
  VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU,
  VFIO_EXT.VFIO_SPAPR_TCE_IOMMU,
];
const isSpapr = (t: bigint | undefined) =>
  t === VFIO_EXT.VFIO_SPAPR_TCE_IOMMU || t === VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU;

function str(v: Value | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (v instanceof Obj) return v.name;
  return typeof v === "string" ? v : String(v);
}

/**
 * The guest a declaration refers to: explicit, else the only one declared.
 *
 * @example
 * ```ts
 * // guestFor(vmm, d.props.get("guest")?.[0])
 * ```
 */
export function guestFor(
  vmm: Vmm,
  v: Value | undefined,
  fallback?: VmmGuest,
): VmmGuest | undefined {
  const n = str(v);
  if (n !== undefined) {
    const g = vmm.guests.get(n);
    if (!g) {
      throw new VmmError(`no guest named ${n}`, {
        prop: "guest",
        help: "declare it first: guest vm1 { … }",
      });
    }
    return g;
  }
  if (fallback) return fallback;
  return vmm.guests.size === 1 ? [...vmm.guests.values()][0] : undefined;
}

/**
 * Issue KVM_SET_DEVICE_ATTR with `payload` placed in the VMM's memory.
 *
 * @example
 * ```ts
 * // setDeviceAttr(vmm, devfd, 1n, 1n, int32(groupfd))
 * ```
 */
export function setDeviceAttr(
  vmm: Vmm,
  devfd: number,
  group: bigint,
  attr: bigint,
  payload: Uint8Array,
): number {
  const s = stackAlloc(vmm.proc, payload.length);
  try {
    vmm.proc.mm.write(s.addr, payload);
    return vmm.ioctl(devfd, KVM_SET_DEVICE_ATTR, { flags: 0n, group, attr, addr: BigInt(s.addr) })
      .ret;
  } finally {
    s.release();
  }
}

/**
 * Little-endian int32 bytes.
 *
 * @example
 * ```ts
 * console.log(int32(5)); // Uint8Array(4) [ 5, 0, 0, 0 ]
 * ```
 */
export function int32(n: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, n, true);
  return b;
}

function instantiateContainer(vmm: Vmm, d: DeclInput): void {
  const st = vmmVfio(vmm);
  if (st.containers.has(d.name)) throw new VmmError(`container ${d.name} is already declared`);
  const iommu = str(d.props.get("iommu")?.[0]);
  const want = iommu === undefined ? undefined : TYPES[iommu];
  if (iommu !== undefined && want === undefined) {
    throw new VmmError(`unknown IOMMU type ${iommu}`, {
      prop: "iommu",
      help: `one of ${Object.keys(TYPES).join(", ")}`,
    });
  }
  const fd = vmm.open("/dev/vfio/vfio");
  const api = vmm.must(fd, VFIO_GET_API_VERSION).ret;
  if (api !== 0) throw new VmmError(`VFIO API version ${api}, expected 0`);
  let type: bigint | undefined;
  if (want !== undefined) {
    if (vmm.ioctl(fd, VFIO_CHECK_EXTENSION, want).ret <= 0) {
      throw new VmmError(
        `this ${vmm.kernel.arch} host has no VFIO backend for ${iommu} (VFIO_CHECK_EXTENSION = 0)`,
        {
          prop: "iommu",
          help: vmm.kernel.arch === "ppc64le"
            ? "POWER hosts use spapr-tce-v2"
            : "x86_64/arm64 hosts use type1v2",
        },
      );
    }
    type = want;
  } else {
    for (const t of QEMU_ORDER) {
      if (vmm.ioctl(fd, VFIO_CHECK_EXTENSION, t).ret > 0) {
        type = t;
        break;
      }
    }
    if (type === undefined) throw new VmmError("no supported IOMMU type on this host");
  }
  const guest = d.props.has("guest") ? guestFor(vmm, d.props.get("guest")![0]) : undefined;
  const c: VmmContainer = {
    name: d.name,
    fd,
    want: type,
    type: undefined,
    groups: [],
    guest,
    pgsizes: 0n,
    hostWins: [],
  };
  st.containers.set(d.name, c);
  vmm.declare(new Obj("container", d.name, c));
}

/** QEMU's backend set-up once the first group is in (vfio_init_container + spapr/type1 setup). */
function initContainer(vmm: Vmm, c: VmmContainer, g: VmmGroup): void {
  let type = c.want!;
  for (;;) {
    const r = vmm.ioctl(c.fd, VFIO_SET_IOMMU, type).ret;
    if (r === 0) break;
    if (type === VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU) {
      type = VFIO_EXT.VFIO_SPAPR_TCE_IOMMU;
      continue;
    }
    throw new VmmError(`Failed to set iommu for container ${c.name}: ${errnoText(r)}`);
  }
  c.type = type;
  c.guest ??= g.guest;
  const guest = c.guest;
  if (isSpapr(type)) {
    const v2 = type === VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU;
    if (!v2) vmm.must(c.fd, VFIO_IOMMU_ENABLE, undefined, "VFIO_IOMMU_ENABLE");
    if (v2 && guest) {
      // The prereg listener: every RAM section, page aligned.
      vmm.must(c.fd, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, {
        flags: 0n,
        vaddr: BigInt(guest.ramHva),
        size: BigInt(guest.ramSize),
      });
    }
    const info = vmm.must(c.fd, VFIO_IOMMU_SPAPR_TCE_GET_INFO, {}).out as StructValue;
    const start = info.dma32_window_start as bigint, size = info.dma32_window_size as bigint;
    if (v2) {
      c.pgsizes = (info.ddw as StructValue).pgsizes as bigint;
      // Remove the default window now; windows are created on demand.
      vmm.must(c.fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, { flags: 0n, start_addr: start });
    } else {
      c.pgsizes = 0x1000n;
      c.hostWins.push({ start, end: start + size - 1n, pageShift: 12 });
    }
  } else {
    const info = vmm.must(c.fd, VFIO_IOMMU_GET_INFO, {}).out as StructValue;
    c.pgsizes = info.iova_pgsizes as bigint;
    if (guest) {
      // The memory listener maps all guest RAM at its guest physical address.
      vmm.must(c.fd, VFIO_IOMMU_MAP_DMA, {
        flags: 3n,
        vaddr: BigInt(guest.ramHva),
        iova: BigInt(guest.ramGpa),
        size: BigInt(guest.ramSize),
      });
    }
  }
}

/**
 * The VMM's KVM-VFIO device fd for a guest, created on first use (QEMU's vfio_kvm_device_add_fd).
 *
 * @example
 * ```ts
 * // kvmVfioDevice(vmm, guest)
 * ```
 */
export function kvmVfioDevice(vmm: Vmm, g: VmmGuest): number {
  const st = vmmVfio(vmm);
  let fd = st.kvmDev.get(g.name);
  if (fd === undefined) {
    const r = vmm.must(g.vmfd, KVM_CREATE_DEVICE, {
      type: KVM_DEV_TYPE.KVM_DEV_TYPE_VFIO,
      flags: 0n,
    });
    fd = Number((r.out as StructValue).fd as bigint);
    st.kvmDev.set(g.name, fd);
  }
  return fd;
}

function instantiateGroup(vmm: Vmm, d: DeclInput): void {
  const st = vmmVfio(vmm);
  const id = Number(d.name);
  if (!Number.isInteger(id) || id < 0) {
    throw new VmmError(`group name must be the IOMMU group number, not ${d.name}`);
  }
  const cname = str(d.props.get("container")?.[0]);
  const c = cname === undefined ? undefined : st.containers.get(cname);
  if (!c) {
    throw new VmmError(`no container ${cname ?? "(missing)"}`, {
      prop: "container",
      help: "declare container c0 { iommu spapr-tce-v2 } first",
    });
  }
  const vdevs = (d.props.get("device") ?? []).map((v) => ({
    bdf: String(str(v)),
    driver: "vfio-pci",
  }));
  const hdevs = (d.props.get("host-device") ?? []).map((v) => ({
    bdf: String(str(v)),
    driver: "host",
  }));
  if (vdevs.length === 0) {
    throw new VmmError(`group ${id} needs at least one device bound to vfio-pci`, {
      prop: "device",
    });
  }
  const ops = str(d.props.get("platform")?.[0]) === "ioda1" ? "ioda1" : "ioda2";
  try {
    vfioPlatformAddGroup(vmm.kernel, id, [...vdevs, ...hdevs], ops);
  } catch (e) {
    if (e instanceof Errno) throw new VmmError(e.message, { prop: "device" });
    throw e;
  }
  const guest = guestFor(vmm, d.props.get("guest")?.[0], c.guest);
  // 1. open the group, require VIABLE.
  const fd = vmm.open(`/dev/vfio/${id}`);
  const status = vmm.must(fd, VFIO_GROUP_GET_STATUS, {}).out as StructValue;
  if (!((status.flags as bigint) & VFIO_GROUP_FLAGS.VFIO_GROUP_FLAGS_VIABLE)) {
    vmm.close(fd);
    throw new VmmError(`group ${id} is not viable`, {
      prop: "host-device",
      help: "Please ensure all devices within the iommu_group are bound to their vfio bus driver.",
    });
  }
  // 2.–4. join the container; the first group selects the backend.
  vmm.must(fd, VFIO_GROUP_SET_CONTAINER, c.fd, "VFIO_GROUP_SET_CONTAINER");
  const g: VmmGroup = { id, fd, container: c, guest, devices: [] };
  const first = c.groups.length === 0;
  c.groups.push(g);
  st.groups.set(id, g);
  if (first) initContainer(vmm, c, g);
  // 6. the KVM-VFIO device learns about the group before devices are opened.
  if (guest) {
    const dev = kvmVfioDevice(vmm, guest);
    const r = setDeviceAttr(
      vmm,
      dev,
      KVM_DEV_VFIO.KVM_DEV_VFIO_FILE,
      KVM_DEV_VFIO.KVM_DEV_VFIO_FILE_ADD,
      int32(fd),
    );
    if (r < 0) throw new VmmError(`KVM_DEV_VFIO_FILE_ADD failed: ${errnoText(r)}`);
  }
  for (const dv of vdevs) {
    const dfd = vmm.must(fd, VFIO_GROUP_GET_DEVICE_FD, dv.bdf).ret;
    g.devices.push({ bdf: dv.bdf, fd: dfd });
  }
  const impl = g as VmmGroup & { fd: number };
  vmm.declare(new Obj("group", d.name, impl));
  vmm.declare(new Obj("group", `group${id}`, impl));
}

registerDecl({
  keyword: "container",
  props: [
    {
      name: "iommu",
      type: "ident",
      values: Object.keys(TYPES),
      doc: "IOMMU backend (default: QEMU's choice, richest available)",
    },
    {
      name: "guest",
      type: "ident",
      doc: "the guest whose RAM the container maps (default: the group's guest)",
    },
  ],
  doc: "A VFIO container (/dev/vfio/vfio): opened, API version and extension checked as QEMU does.",
  instantiate: instantiateContainer,
});

registerDecl({
  keyword: "group",
  numericName: true,
  props: [
    { name: "container", type: "ident", required: true, doc: "the container the group joins" },
    {
      name: "device",
      type: "bdf",
      repeat: true,
      doc: "a PCI function of the group bound to vfio-pci",
    },
    {
      name: "host-device",
      type: "bdf",
      repeat: true,
      doc: "a PCI function bound to a host driver (makes the group not viable)",
    },
    {
      name: "guest",
      type: "ident",
      doc: "the guest whose KVM-VFIO device gets the group (default: the container's)",
    },
    {
      name: "platform",
      type: "ident",
      values: ["ioda2", "ioda1"],
      doc: "POWER PHB table implementation (ioda1: no DDW, sPAPR v1 only)",
    },
  ],
  doc: "IOMMU group N with its devices (platform hardware), opened and attached the way QEMU does.",
  instantiate: instantiateGroup,
});
