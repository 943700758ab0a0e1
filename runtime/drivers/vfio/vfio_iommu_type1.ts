/**
 * drivers/vfio/vfio_iommu_type1.c: the type1 backend (VFIO_TYPE1_IOMMU and
 * VFIO_TYPE1v2_IOMMU) of x86 and arm64 hosts. Mappings are tracked one by
 * one (no overlap: EEXIST), user pages are pinned, v2 refuses to bisect a
 * mapping on unmap and the bytes unmapped are written back into `size`.
 *
 * Pages are pinned when the kernel pins them (MAP_DMA) in accounting; their
 * physical frames are resolved on first device access (same answers, no cost
 * for untouched memory).
 *
 * @example
 * ```ts
 * import { type1DriverOps } from "./vfio_iommu_type1.ts";
 * console.log(type1DriverOps.checkExtension(undefined, 3)); // 1
 * ```
 * @module
 */
import { EEXIST, EFAULT, EINVAL, ENOSPC, ENOTTY } from "../../include/uapi/asm-generic/errno.ts";
import {
  VFIO_CHECK_EXTENSION,
  VFIO_DMA_MAP_FLAGS,
  VFIO_DMA_UNMAP_FLAGS,
  VFIO_EXT,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_INFO,
  VFIO_IOMMU_MAP_DMA,
  vfio_iommu_type1_dma_map,
  vfio_iommu_type1_dma_unmap,
  vfio_iommu_type1_info,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_TYPE1_IOCTLS,
} from "../../include/uapi/linux/vfio.ts";
import { Errno } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { decodeStruct, encodeStruct } from "../../kernel/layout.ts";
import { ioctlNumber } from "../../kernel/uapi.ts";
import type { MM } from "../../mm/mm.ts";
import type { IommuDomain, Translation } from "../iommu/iommu.ts";
import {
  type VfioContainer,
  type VfioGroup,
  type VfioIommuDriverOps,
  vfioRegisterIommuDriver,
} from "./vfio.ts";

/** dma_entry_limit module parameter default. */
export const DMA_ENTRY_LIMIT = 65535;

/** One mapping (struct vfio_dma). */
export interface VfioDma {
  iova: bigint;
  size: bigint;
  vaddr: bigint;
  read: boolean;
  write: boolean;
  mm: MM;
  /** Resolved host frames by page index (pinned). */
  pfns: Map<number, number>;
}

/** struct vfio_iommu. */
export class Type1Iommu implements IommuDomain {
  readonly name = "type1";
  readonly kernel: Kernel;
  readonly v2: boolean;
  /** Sorted by iova. */
  dmas: VfioDma[] = [];
  groups: VfioGroup[] = [];
  dmaAvail = DMA_ENTRY_LIMIT;
  /** Smallest page size supported (host page). */
  readonly pgsize: bigint;
  readonly pgsizeBitmap: bigint;
  /** Usable IOVA ranges (aperture minus the MSI window). */
  readonly iovaRanges: [bigint, bigint][];
  /** Pages accounted as pinned (locked_vm). */
  pinnedPages = 0;

  constructor(c: VfioContainer, v2: boolean) {
    this.kernel = c.kernel;
    this.v2 = v2;
    this.pgsize = BigInt(c.kernel.config.pageSize);
    // 4K|2M|1G with a 4K granule (SMMUv3 / VT-d); 64K granule gives 64K|512M.
    this.pgsizeBitmap = this.pgsize === 4096n
      ? 0x4020_1000n
      : this.pgsize === 65536n
      ? 0x2001_0000n
      : this.pgsize;
    const top = (1n << 48n) - 1n;
    // Reserved regions: x86 IOAPIC/MSI window, arm64 software MSI window (resv_regions).
    const msi: [bigint, bigint] = c.kernel.arch === "x86_64"
      ? [0xfee0_0000n, 0xfeef_ffffn]
      : [0x800_0000n, 0x80f_ffffn];
    this.iovaRanges = [[0n, msi[0] - 1n], [msi[1] + 1n, top]];
  }

  /** vfio_find_dma: a mapping overlapping [start, start + size). */
  find(start: bigint, size: bigint): VfioDma | undefined {
    for (const d of this.dmas) if (start < d.iova + d.size && d.iova < start + size) return d;
    return undefined;
  }

  translate(addr: bigint, write: boolean): Translation {
    const d = this.find(addr, 1n);
    if (!d) return { fault: `no mapping at iova 0x${addr.toString(16)}` };
    if (write ? !d.write : !d.read) {
      return {
        fault: `mapping at 0x${d.iova.toString(16)} is not ${write ? "writable" : "readable"}`,
      };
    }
    const off = Number(addr - d.iova) + Number(d.vaddr);
    const ps = Number(this.pgsize);
    const idx = Math.floor(off / ps);
    let pa = d.pfns.get(idx);
    if (pa === undefined) {
      try {
        pa = d.mm.pin(idx * ps, 1, d.write)[0]!;
      } catch {
        return { fault: `pinned page at vaddr 0x${off.toString(16)} vanished` };
      }
      d.pfns.set(idx, pa);
    }
    return { hpa: pa + (off % ps) };
  }

  remove(d: VfioDma): void {
    this.dmas = this.dmas.filter((x) => x !== d);
    d.mm.unpin([...d.pfns.values()]);
    this.pinnedPages -= Number(d.size / this.pgsize);
    this.dmaAvail++;
  }
}

function readIn<T>(fn: () => T): T {
  try {
    return fn();
  } catch {
    throw new Errno(EFAULT);
  }
}

const U64 = 0xffff_ffff_ffff_ffffn;

function mapDma(it: Type1Iommu, arg: bigint): number {
  const k = it.kernel;
  const m = readIn(() =>
    decodeStruct(vfio_iommu_type1_dma_map, k.current.mm.read(Number(arg), 32))
  );
  if ((m.argsz as bigint) < 32n) throw new Errno(EINVAL, "argsz < 32");
  const flags = m.flags as bigint;
  const F = VFIO_DMA_MAP_FLAGS;
  if (flags & ~(F.VFIO_DMA_MAP_FLAG_READ | F.VFIO_DMA_MAP_FLAG_WRITE | F.VFIO_DMA_MAP_FLAG_VADDR)) {
    throw new Errno(EINVAL, "unknown flags");
  }
  const read = (flags & F.VFIO_DMA_MAP_FLAG_READ) !== 0n,
    write = (flags & F.VFIO_DMA_MAP_FLAG_WRITE) !== 0n;
  const setVaddr = (flags & F.VFIO_DMA_MAP_FLAG_VADDR) !== 0n;
  if ((read || write) === setVaddr) {
    throw new Errno(EINVAL, "need READ and/or WRITE (or VADDR alone)");
  }
  const iova = m.iova as bigint, size = m.size as bigint, vaddr = m.vaddr as bigint;
  const mask = (it.pgsizeBitmap & -it.pgsizeBitmap) - 1n;
  if (size === 0n || ((size | iova | vaddr) & mask)) {
    throw new Errno(EINVAL, "size 0 or not aligned to the IOMMU page");
  }
  if (iova + size - 1n > U64 || vaddr + size - 1n > U64) {
    throw new Errno(EINVAL, "iova or vaddr range wraps");
  }
  if (setVaddr) {
    const d = it.find(iova, size);
    if (!d || d.iova !== iova || d.size !== size) {
      throw new Errno(EINVAL, "VADDR update must name an existing mapping exactly");
    }
    d.vaddr = vaddr;
    d.pfns.clear();
    return 0;
  }
  if (it.find(iova, size)) throw new Errno(EEXIST, "overlaps an existing mapping");
  if (it.dmaAvail === 0) throw new Errno(ENOSPC, "dma_entry_limit reached");
  if (!it.iovaRanges.some(([lo, hi]) => iova >= lo && iova + size - 1n <= hi)) {
    throw new Errno(EINVAL, "outside the valid IOVA ranges");
  }
  const mm = k.current.mm;
  if (
    vaddr + size > BigInt(Number.MAX_SAFE_INTEGER) ||
    !mm.accessOk(Number(vaddr), Number(size), write)
  ) {
    throw new Errno(EFAULT, "vaddr range is not mapped (pin_user_pages fails)");
  }
  it.dmas.push({ iova, size, vaddr, read, write, mm, pfns: new Map() });
  it.dmas.sort((a, b) => (a.iova < b.iova ? -1 : 1));
  it.dmaAvail--;
  it.pinnedPages += Number(size / it.pgsize);
  return 0;
}

function unmapDma(it: Type1Iommu, arg: bigint): number {
  const k = it.kernel;
  const u = readIn(() =>
    decodeStruct(vfio_iommu_type1_dma_unmap, k.current.mm.read(Number(arg), 24))
  );
  const F = VFIO_DMA_UNMAP_FLAGS;
  const flags = u.flags as bigint;
  if (
    (u.argsz as bigint) < 24n ||
    (flags &
      ~(F.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | F.VFIO_DMA_UNMAP_FLAG_ALL |
        F.VFIO_DMA_UNMAP_FLAG_VADDR))
  ) {
    throw new Errno(EINVAL, "argsz < 24 or unknown flags");
  }
  if (
    (flags & F.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
    (flags & (F.VFIO_DMA_UNMAP_FLAG_ALL | F.VFIO_DMA_UNMAP_FLAG_VADDR))
  ) {
    throw new Errno(EINVAL, "GET_DIRTY_BITMAP cannot be combined");
  }
  if (flags & F.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
    throw new Errno(EINVAL, "dirty tracking is not enabled");
  }
  const all = (flags & F.VFIO_DMA_UNMAP_FLAG_ALL) !== 0n;
  let iova = u.iova as bigint, size = u.size as bigint;
  if (all) {
    if (iova || size) throw new Errno(EINVAL, "UNMAP_ALL needs iova = size = 0");
    iova = 0n;
    size = U64;
  } else {
    const pg = it.pgsizeBitmap & -it.pgsizeBitmap;
    if (iova & (pg - 1n)) throw new Errno(EINVAL, "iova not aligned");
    if (!size || (size & (pg - 1n))) throw new Errno(EINVAL, "size 0 or not aligned");
    if (iova + size - 1n > U64) throw new Errno(EINVAL, "range wraps");
    if (it.v2) {
      const first = it.find(iova, 1n);
      if (first && first.iova !== iova) {
        throw new Errno(EINVAL, "range bisects the mapping at its start (TYPE1v2)");
      }
      const last = it.find(iova + size - 1n, 1n);
      if (last && last.iova + last.size !== iova + size) {
        throw new Errno(EINVAL, "range bisects the mapping at its end (TYPE1v2)");
      }
    }
  }
  let unmapped = 0n;
  for (;;) {
    const d = it.find(iova, size);
    if (!d) break;
    if (!it.v2 && iova > d.iova) break;
    if (flags & F.VFIO_DMA_UNMAP_FLAG_VADDR) {
      d.pfns.clear();
      unmapped += d.size;
      if (!all) break;
      continue;
    }
    unmapped += d.size;
    it.remove(d);
  }
  k.current.mm.write(Number(arg) + 16, new Uint8Array(new BigUint64Array([unmapped]).buffer));
  return 0;
}

function getInfo(it: Type1Iommu, arg: bigint): number {
  const k = it.kernel;
  const v = readIn(() => decodeStruct(vfio_iommu_type1_info, k.current.mm.read(Number(arg), 16)));
  const argsz = v.argsz as bigint;
  if (argsz < 16n) throw new Errno(EINVAL, "argsz < 16");
  // Capability chain: IOVA_RANGE (id 1 v1) then DMA_AVAIL (id 3 v1).
  const nr = it.iovaRanges.length;
  const rangeCap = new Uint8Array(16 + nr * 16);
  const dv = new DataView(rangeCap.buffer);
  dv.setUint16(0, 1, true);
  dv.setUint16(2, 1, true);
  dv.setUint32(8, nr, true);
  it.iovaRanges.forEach(([lo, hi], i) => {
    dv.setBigUint64(16 + i * 16, lo, true);
    dv.setBigUint64(24 + i * 16, hi, true);
  });
  const availCap = new Uint8Array(16);
  const dv2 = new DataView(availCap.buffer);
  dv2.setUint16(0, Number(VFIO_IOMMU_INFO.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL), true);
  dv2.setUint16(2, 1, true);
  dv2.setUint32(8, it.dmaAvail, true);
  const base = 24;
  dv.setUint32(4, base + rangeCap.length, true);
  const need = BigInt(base + rangeCap.length + availCap.length);
  const full = argsz >= 24n;
  const out = encodeStruct(vfio_iommu_type1_info, {
    argsz: full && argsz < need ? need : argsz,
    flags: VFIO_IOMMU_INFO.VFIO_IOMMU_INFO_PGSIZES |
      (full ? VFIO_IOMMU_INFO.VFIO_IOMMU_INFO_CAPS : 0n),
    iova_pgsizes: it.pgsizeBitmap,
    cap_offset: full && argsz >= need ? BigInt(base) : 0n,
  });
  k.current.mm.write(Number(arg), out.subarray(0, full ? 24 : 16));
  if (full && argsz >= need) {
    k.current.mm.write(Number(arg) + base, rangeCap);
    k.current.mm.write(Number(arg) + base + rangeCap.length, availCap);
  }
  return 0;
}

function checkExt(data: Type1Iommu | undefined, ext: number): number {
  switch (BigInt(ext)) {
    case VFIO_EXT.VFIO_TYPE1_IOMMU:
    case VFIO_EXT.VFIO_TYPE1v2_IOMMU:
    case VFIO_EXT.VFIO_UNMAP_ALL:
    case VFIO_EXT.VFIO_UPDATE_VADDR:
      return 1;
    case VFIO_EXT.VFIO_DMA_CC_IOMMU:
      return data ? 1 : 0;
  }
  return 0;
}

/** The backend ops. */
export const type1DriverOps: VfioIommuDriverOps = {
  name: "vfio-iommu-type1",
  available: (k) => k.arch !== "ppc64le",
  checkExtension: (d, ext) => checkExt(d as Type1Iommu | undefined, ext),
  open(c, type) {
    const t = BigInt(type);
    if (t !== VFIO_EXT.VFIO_TYPE1_IOMMU && t !== VFIO_EXT.VFIO_TYPE1v2_IOMMU) {
      throw new Errno(EINVAL);
    }
    return new Type1Iommu(c, t === VFIO_EXT.VFIO_TYPE1v2_IOMMU);
  },
  attachGroup(data, g) {
    const it = data as Type1Iommu;
    if (it.groups.includes(g)) throw new Errno(EINVAL, "group already attached");
    it.groups.push(g);
    g.iommuGroup.domain = it;
  },
  detachGroup(data, g) {
    const it = data as Type1Iommu;
    it.groups = it.groups.filter((x) => x !== g);
    if (g.iommuGroup.domain === it) g.iommuGroup.domain = undefined;
  },
  release(data) {
    const it = data as Type1Iommu;
    for (const d of [...it.dmas]) it.remove(d);
    for (const g of it.groups) if (g.iommuGroup.domain === it) g.iommuGroup.domain = undefined;
    it.groups = [];
  },
  ioctl(data, cmd, arg) {
    const it = data as Type1Iommu;
    const a = it.kernel.arch;
    if (cmd === ioctlNumber(VFIO_CHECK_EXTENSION, a)) return checkExt(it, Number(arg));
    if (cmd === ioctlNumber(VFIO_IOMMU_GET_INFO, a)) return getInfo(it, arg);
    if (cmd === ioctlNumber(VFIO_IOMMU_MAP_DMA, a)) return mapDma(it, arg);
    if (cmd === ioctlNumber(VFIO_IOMMU_UNMAP_DMA, a)) return unmapDma(it, arg);
    throw new Errno(ENOTTY);
  },
  ioctls: () => VFIO_TYPE1_IOCTLS,
};

vfioRegisterIommuDriver(type1DriverOps);
