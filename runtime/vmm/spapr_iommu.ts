/**
 * The VMM's sPAPR IOMMU (QEMU's hw/ppc/spapr_iommu.c, the window part of
 * hw/vfio/spapr.c and target/ppc/kvm.c): the `window` declaration (a guest
 * DMA window = a LIOBN's TCE table, in KVM when it can be, plus the matching
 * host window in the VFIO container and the KVM link between them), QEMU's
 * own H_PUT_TCE / H_GET_TCE / H_STUFF_TCE / H_PUT_TCE_INDIRECT for what KVM
 * hands back, with the VFIO notifier issuing VFIO_IOMMU_MAP_DMA / UNMAP_DMA,
 * and kvmppc_spapr_enable_inkernel_multitce at guest start.
 *
 * @example
 * ```ts
 * import { decls } from "./registry.ts";
 * import "./spapr_iommu.ts";
 * console.log(decls.has("window")); // true
 * ```
 * @module
 */
import { H } from "../arch/powerpc/include/asm/hvcall.ts";
import {
  H_GET_TCE,
  H_PUT_TCE,
  H_PUT_TCE_INDIRECT,
  H_STUFF_TCE,
  KVM_CREATE_SPAPR_TCE_64,
  KVM_DEV_VFIO,
  kvm_vfio_spapr_tce,
  kvm_vfio_spapr_tce_liobn,
} from "../arch/powerpc/include/uapi/asm/kvm_spapr_tce.ts";
import { KVM_CAP, KVM_CHECK_EXTENSION, KVM_ENABLE_CAP } from "../include/uapi/linux/kvm.ts";
import {
  VFIO_EXT,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_SPAPR_TCE_CREATE,
  VFIO_IOMMU_SPAPR_TCE_REMOVE,
  VFIO_IOMMU_UNMAP_DMA,
} from "../include/uapi/linux/vfio.ts";
import { encodeStruct, type StructValue } from "../kernel/layout.ts";
import { MAP_SHARED, PROT_READ, PROT_WRITE } from "../mm/mm.ts";
import { guestHooks, registerDecl, VmmError } from "./registry.ts";
import { spaprRegisterHcall } from "./spapr_hcall.ts";
import { Obj, type Value } from "./value.ts";
import { guestFor, kvmVfioDevice, setDeviceAttr, type VmmContainer, vmmVfio } from "./vfio.ts";
import { errnoText, type Vmm, type VmmGuest } from "./vmm.ts";

/** QEMU's SpaprTceTable. */
export interface VmmTceTable {
  name: string;
  liobn: bigint;
  busOffset: bigint;
  pageShift: number;
  nbTable: number;
  /** The KVM table fd (impl.fd for `ioctl`), -1 when the table lives in QEMU. */
  fd: number;
  /** mmap of the KVM table, 0 for a userspace table. */
  tableHva: number;
  /** Userspace table (sparse). */
  table: Map<number, bigint>;
  guest: VmmGuest;
  container: VmmContainer | undefined;
  /** Hypercalls QEMU answered for this LIOBN. */
  vmmHcalls: number;
  /** MAP/UNMAP_DMA QEMU issued from its notifier. */
  vfioOps: number;
}

/**
 * QEMU's TCE tables of a guest, by LIOBN.
 *
 * @example
 * ```ts
 * // vmmTceTables(guest).get(0x80000000n)
 * ```
 */
export function vmmTceTables(g: VmmGuest): Map<bigint, VmmTceTable> {
  let m = g.ext["spaprTce"] as Map<bigint, VmmTceTable> | undefined;
  if (!m) {
    m = new Map();
    g.ext["spaprTce"] = m;
  }
  return m;
}

function n(v: Value | undefined, dflt?: bigint): bigint | undefined {
  return typeof v === "bigint" ? v : dflt;
}

function ctz(v: bigint): number {
  let i = 0;
  while (v > 0n && !(v & 1n)) {
    v >>= 1n;
    i++;
  }
  return i;
}

function vmCap(vmm: Vmm, g: VmmGuest, cap: bigint): number {
  const key = `cap${cap}`;
  if (g.ext[key] === undefined) g.ext[key] = vmm.ioctl(g.vmfd, KVM_CHECK_EXTENSION, cap).ret;
  return g.ext[key] as number;
}

/** vfio_spapr_create_window: page size, levels (retrying deeper), TCE_CREATE, start check. */
function vfioSpaprCreateWindow(
  vmm: Vmm,
  c: VmmContainer,
  busOffset: bigint,
  size: bigint,
  guestShift: number,
  levelsOverride?: number,
): void {
  const rampagesize = BigInt(vmm.kernel.config.pageSize);
  let pagesize = 1n << BigInt(guestShift);
  if (pagesize > rampagesize) pagesize = rampagesize;
  const pgmask = c.pgsizes & (pagesize | (pagesize - 1n));
  if (!pgmask) {
    throw new VmmError(
      `Host doesn't support page size 0x${pagesize.toString(16)}, the supported mask is 0x${
        c.pgsizes.toString(16)
      }`,
      { prop: "page" },
    );
  }
  const pageShift = pgmask.toString(2).length - 1;
  const entries = size >> BigInt(pageShift);
  const bitsTotal = ctz(entries * 8n);
  const hostShift = ctz(rampagesize);
  const bitsPerLevel = hostShift + 8;
  let levels = Math.floor(bitsTotal / bitsPerLevel) + (bitsTotal % bitsPerLevel ? 1 : 0);
  const maxLevels = Math.floor((64 - pageShift) / hostShift);
  if (levelsOverride !== undefined) levels = levelsOverride;
  let r = -22;
  let out: StructValue | undefined;
  for (; levels <= maxLevels; levels++) {
    const res = vmm.ioctl(c.fd, VFIO_IOMMU_SPAPR_TCE_CREATE, {
      flags: 0n,
      page_shift: BigInt(pageShift),
      window_size: size,
      levels: BigInt(levels),
    });
    r = res.ret;
    if (r === 0) {
      out = res.out as StructValue;
      break;
    }
    if (levelsOverride !== undefined) break;
  }
  if (r !== 0 || !out) {
    throw new VmmError(`Failed to create a window, ret = ${r} (${errnoText(r)})`, { prop: "size" });
  }
  const start = out.start_addr as bigint;
  if (start !== busOffset) {
    vmm.ioctl(c.fd, VFIO_IOMMU_SPAPR_TCE_REMOVE, { flags: 0n, start_addr: start });
    throw new VmmError(
      `Host doesn't support DMA window at 0x${busOffset.toString(16)}, must be 0x${
        start.toString(16)
      }`,
      {
        prop: "offset",
        help: "IODA2 places window 0 at 0 and window 1 at 0x800000000000000 (1<<59)",
      },
    );
  }
  c.hostWins.push({ start, end: start + size - 1n, pageShift });
}

function instantiateWindow(vmm: Vmm, d: DeclInput): void {
  const k = vmm.kernel;
  if (k.arch !== "ppc64le") throw new VmmError("sPAPR DMA windows exist only on ppc64le hosts");
  const st = vmmVfio(vmm);
  const gv = d.props.get("group")?.[0];
  const grp = gv === undefined
    ? undefined
    : st.groups.get(Number(gv instanceof Obj ? (gv.impl as { id: number }).id : gv));
  if (gv !== undefined && !grp) {
    throw new VmmError(`no group ${String(gv)} declared`, { prop: "group" });
  }
  const cv = d.props.get("container")?.[0];
  const c = grp?.container ??
    (cv === undefined ? undefined : st.containers.get(cv instanceof Obj ? cv.name : String(cv)));
  if (cv !== undefined && !c) {
    throw new VmmError(`no container ${String(cv)}`, { prop: "container" });
  }
  const guest = guestFor(vmm, d.props.get("guest")?.[0], grp?.guest ?? c?.guest);
  if (!guest) throw new VmmError("which guest? add `guest NAME`", { prop: "guest" });
  const liobn = n(d.props.get("liobn")?.[0]);
  if (liobn === undefined) throw new VmmError("a window needs a liobn", { prop: "liobn" });
  if (liobn < 0n || liobn > 0xffff_ffffn) {
    // SpaprTceTable.liobn is a uint32_t (so is the seed's kvm_vfio_spapr_tce_liobn.liobn).
    throw new VmmError(`liobn 0x${BigInt.asUintN(64, liobn).toString(16)} does not fit 32 bits`, {
      prop: "liobn",
      help: "QEMU's LIOBNs are 32-bit: 0x80000000 | phb_index << 8 | window_num for PCI",
    });
  }
  const busOffset = n(d.props.get("offset")?.[0], 0n)!;
  const size = n(d.props.get("size")?.[0]);
  if (size === undefined || size <= 0n) {
    throw new VmmError("a window needs a positive size", { prop: "size" });
  }
  const page = n(d.props.get("page")?.[0], 4096n)!;
  if (page <= 0n || (page & (page - 1n))) {
    throw new VmmError("page must be a power of two", { prop: "page" });
  }
  const pageShift = page.toString(2).length - 1;
  if (size % page || busOffset % page) {
    throw new VmmError("size and offset must be multiples of the page", { prop: "size" });
  }
  const inKernel = d.props.get("in-kernel")?.[0] !== false;
  const levels = n(d.props.get("levels")?.[0]);
  const tables = vmmTceTables(guest);
  if (tables.has(liobn)) {
    throw new VmmError(
      `liobn 0x${liobn.toString(16)} is already used by window ${tables.get(liobn)!.name}`,
      { prop: "liobn" },
    );
  }
  const nb = size >> BigInt(pageShift);
  const t: VmmTceTable = {
    name: d.name,
    liobn,
    busOffset,
    pageShift,
    nbTable: Number(nb),
    fd: -1,
    tableHva: 0,
    table: new Map(),
    guest,
    container: c,
    vmmHcalls: 0,
    vfioOps: 0,
  };
  // spapr_tce_table_enable → kvmppc_create_spapr_tce (needs the VFIO cap when a container is behind it).
  const kvmOk = inKernel && vmCap(vmm, guest, KVM_CAP.KVM_CAP_SPAPR_TCE_64) > 0 &&
    (!c || vmCap(vmm, guest, KVM_CAP.KVM_CAP_SPAPR_TCE_VFIO) > 0);
  if (kvmOk) {
    const r = vmm.ioctl(guest.vmfd, KVM_CREATE_SPAPR_TCE_64, {
      liobn,
      page_shift: BigInt(pageShift),
      flags: 0n,
      offset: busOffset >> BigInt(pageShift),
      size: nb,
    });
    if (r.ret < 0) {
      throw new VmmError(`KVM_CREATE_SPAPR_TCE_64 failed: ${errnoText(r.ret)}`, { prop: "liobn" });
    }
    t.fd = r.ret;
    const len = Math.ceil((t.nbTable * 8) / k.config.pageSize) * k.config.pageSize;
    const a = k.mmap(vmm.proc, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED, t.fd, 0);
    if (a < 0) throw new VmmError(`mmap of the TCE table failed: ${errnoText(a)}`);
    t.tableHva = a;
  }
  // The IOMMU region appears in the PCI address space: VFIO creates the host window.
  if (c && c.type === VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU) {
    // vfio_spapr_container_add_section_window: "For now intersections are not allowed".
    const end = busOffset + size - 1n;
    const hit = c.hostWins.find((w) => w.start <= end && busOffset <= w.end);
    if (hit) {
      throw new VmmError(
        `region [0x${busOffset.toString(16)},0x${end.toString(16)}] overlaps with existing ` +
          `host DMA window [0x${hit.start.toString(16)},0x${hit.end.toString(16)}]`,
        { prop: "offset" },
      );
    }
    vfioSpaprCreateWindow(
      vmm,
      c,
      busOffset,
      size,
      pageShift,
      levels === undefined ? undefined : Number(levels),
    );
  } else if (c && c.type === VFIO_EXT.VFIO_SPAPR_TCE_IOMMU) {
    if (!c.hostWins.some((w) => busOffset >= w.start && busOffset + size - 1n <= w.end)) {
      throw new VmmError(
        `IOMMU window 0x${busOffset.toString(16)}..0x${
          (busOffset + size - 1n).toString(16)
        } is outside the host's default window`,
        { prop: "size" },
      );
    }
  }
  // Link the KVM table to the hardware tables: once per group of the container.
  if (c && t.fd >= 0) {
    const dev = kvmVfioDevice(vmm, guest);
    for (const g of c.groups) {
      const payload = k.config.profile === "seed"
        ? encodeStruct(kvm_vfio_spapr_tce_liobn, { fd: BigInt(g.fd), liobn, start_addr: busOffset })
        : encodeStruct(kvm_vfio_spapr_tce, { groupfd: BigInt(g.fd), tablefd: BigInt(t.fd) });
      const r = setDeviceAttr(
        vmm,
        dev,
        KVM_DEV_VFIO.KVM_DEV_VFIO_FILE,
        KVM_DEV_VFIO.KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE,
        payload,
      );
      if (r < 0) {
        throw new VmmError(
          `vfio: failed to setup fd ${t.fd} for a group with fd ${g.fd}: ${errnoText(r)}`,
        );
      }
    }
  }
  tables.set(liobn, t);
  vmm.declare(new Obj("window", d.name, t));
}

type DeclInput = Parameters<Parameters<typeof registerDecl>[0]["instantiate"]>[1];

registerDecl({
  keyword: "window",
  props: [
    { name: "guest", type: "ident", doc: "the guest the window belongs to" },
    {
      name: "group",
      type: "int",
      doc: "a VFIO group behind the window (its container gets the host window)",
    },
    {
      name: "container",
      type: "ident",
      doc: "the VFIO container behind the window (alternative to group)",
    },
    {
      name: "liobn",
      type: "int",
      required: true,
      doc: "logical I/O bus number the guest uses in TCE hcalls",
    },
    {
      name: "offset",
      type: "int",
      doc: "bus address of the window (0, or 1<<59 for the 64-bit DDW window)",
    },
    { name: "size", type: "size", required: true, doc: "window size in bytes" },
    { name: "page", type: "size", doc: "IOMMU page size: 4K (default), 64K, 16M" },
    {
      name: "levels",
      type: "int",
      doc: "TCE table levels for the host window (default: QEMU's guess)",
    },
    {
      name: "in-kernel",
      type: "bool",
      doc: "create the table in KVM (default true); false keeps it in the VMM so every hcall exits",
    },
  ],
  doc:
    "A guest DMA window: KVM_CREATE_SPAPR_TCE_64, VFIO_IOMMU_SPAPR_TCE_CREATE and the KVM-VFIO link, as QEMU does.",
  instantiate: instantiateWindow,
});

// ---------------------------------------------------------------- QEMU hcalls

const H_SUCCESS = H.H_SUCCESS!, H_PARAMETER = H.H_PARAMETER!;

function findByLiobn(_vmm: Vmm, g: VmmGuest, liobn: bigint): VmmTceTable | undefined {
  if (liobn & 0xffff_ffff_0000_0000n) return undefined;
  return vmmTceTables(g).get(liobn);
}

function tableGet(vmm: Vmm, t: VmmTceTable, idx: number): bigint {
  if (t.tableHva) {
    return new DataView(vmm.proc.mm.read(t.tableHva + idx * 8, 8).buffer).getBigUint64(0, true);
  }
  return t.table.get(idx) ?? 0n;
}

function tableSet(vmm: Vmm, t: VmmTceTable, idx: number, tce: bigint): void {
  if (t.tableHva) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, tce, true);
    vmm.proc.mm.write(t.tableHva + idx * 8, b);
  } else if (tce === 0n) t.table.delete(idx);
  else t.table.set(idx, tce);
}

/** put_tce_emu + the VFIO IOMMU notifier. */
function putTceEmu(vmm: Vmm, t: VmmTceTable, ioba: bigint, tce: bigint): bigint {
  const idx = (ioba - t.busOffset) >> BigInt(t.pageShift);
  if (idx < 0n || idx >= BigInt(t.nbTable)) return H_PARAMETER;
  tableSet(vmm, t, Number(idx), tce);
  const c = t.container;
  if (c) {
    const size = 1n << BigInt(t.pageShift);
    const mask = ~(size - 1n);
    const perm = tce & 3n;
    const iova = ioba & mask;
    if (perm) {
      const gpa = tce & mask;
      const g = t.guest;
      if (gpa >= BigInt(g.ramGpa) && gpa + size <= BigInt(g.ramGpa + g.ramSize)) {
        const vaddr = BigInt(g.ramHva) + gpa - BigInt(g.ramGpa);
        // read_only = !(perm & IOMMU_WO): READ always, WRITE when the TCE allows it.
        vmm.ioctl(c.fd, VFIO_IOMMU_MAP_DMA, { flags: 1n | (perm & 2n), vaddr, iova, size });
        t.vfioOps++;
      }
    } else {
      vmm.ioctl(c.fd, VFIO_IOMMU_UNMAP_DMA, { flags: 0n, iova, size });
      t.vfioOps++;
    }
  }
  return H_SUCCESS;
}

spaprRegisterHcall(H_PUT_TCE.nr, (vmm, v, args) => {
  const t = findByLiobn(vmm, v.guest, args[0]!);
  if (!t) return { ret: H_PARAMETER };
  t.vmmHcalls++;
  const ioba = args[1]! & ~((1n << BigInt(t.pageShift)) - 1n);
  return { ret: putTceEmu(vmm, t, ioba, args[2]!) };
});

spaprRegisterHcall(H_GET_TCE.nr, (vmm, v, args) => {
  const t = findByLiobn(vmm, v.guest, args[0]!);
  if (!t) return { ret: H_PARAMETER };
  t.vmmHcalls++;
  const ioba = args[1]! & ~((1n << BigInt(t.pageShift)) - 1n);
  const idx = (ioba - t.busOffset) >> BigInt(t.pageShift);
  if (idx < 0n || idx >= BigInt(t.nbTable)) return { ret: H_PARAMETER };
  return { ret: H_SUCCESS, rets: [tableGet(vmm, t, Number(idx))] };
});

spaprRegisterHcall(H_PUT_TCE_INDIRECT.nr, (vmm, v, args) => {
  const [liobn, ioba0, list, npages] = args as [bigint, bigint, bigint, bigint];
  if ((list & 4095n) || npages > 512n) return { ret: H_PARAMETER };
  const t = findByLiobn(vmm, v.guest, liobn);
  if (!t) return { ret: H_PARAMETER };
  t.vmmHcalls++;
  const ps = 1n << BigInt(t.pageShift);
  let ioba = ioba0 & ~(ps - 1n);
  const g = v.guest;
  // `ret = H_PARAMETER` before the loop: npages == 0 answers H_PARAMETER
  // (qemu/qemu:hw/ppc/spapr_iommu.c h_put_tce_indirect).
  let ret = H_PARAMETER;
  for (let i = 0n; i < npages; i++, ioba += ps) {
    const gpa = list + i * 8n;
    // ldq_be_phys has no error path: an entry outside guest RAM reads as
    // unassigned memory (0), i.e. a clear (qemu/qemu:hw/ppc/spapr_iommu.c
    // h_put_tce_indirect: `tce = ldq_be_phys(...)` then put_tce_emu).
    let tce = 0n;
    if (gpa >= BigInt(g.ramGpa) && gpa + 8n <= BigInt(g.ramGpa + g.ramSize)) {
      const b = vmm.proc.mm.read(g.ramHva + Number(gpa) - g.ramGpa, 8);
      tce = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, false); // ldq_be_phys
    }
    ret = putTceEmu(vmm, t, ioba, tce);
    if (ret !== H_SUCCESS) break;
  }
  return { ret };
});

spaprRegisterHcall(H_STUFF_TCE.nr, (vmm, v, args) => {
  const [liobn, ioba0, value, npages] = args as [bigint, bigint, bigint, bigint];
  const t = findByLiobn(vmm, v.guest, liobn);
  if (!t) return { ret: H_PARAMETER };
  t.vmmHcalls++;
  const ps = 1n << BigInt(t.pageShift);
  let ioba = ioba0 & ~(ps - 1n);
  if (npages > BigInt(t.nbTable)) return { ret: H_PARAMETER };
  // As in h_put_tce_indirect, npages == 0 leaves the initial H_PARAMETER.
  let ret = H_PARAMETER;
  for (let i = 0n; i < npages; i++, ioba += ps) {
    ret = putTceEmu(vmm, t, ioba, value);
    if (ret !== H_SUCCESS) break;
  }
  return { ret };
});

// kvmppc_spapr_enable_inkernel_multitce, when the host has KVM_CAP_SPAPR_MULTITCE.
guestHooks.beforeStart.push((vmm, g) => {
  if (vmm.kernel.arch !== "ppc64le") return;
  if (vmm.ioctl(g.vmfd, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_SPAPR_MULTITCE).ret <= 0) return;
  for (const nr of [H_PUT_TCE_INDIRECT.nr, H_STUFF_TCE.nr]) {
    const r = vmm.ioctl(g.vmfd, KVM_ENABLE_CAP, {
      cap: KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL,
      flags: 0n,
      args: [BigInt(nr), 1n, 0n, 0n],
    });
    if (r.ret < 0) break;
  }
});
