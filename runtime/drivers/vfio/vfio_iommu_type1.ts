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
 * const mainline = { config: { profile: "mainline" } } as never; // a Kernel
 * console.log(type1DriverOps.checkExtension(undefined, 3, mainline)); // 1 (TYPE1v2)
 * ```
 * @module
 */
import {
  EEXIST,
  EFAULT,
  EINVAL,
  ENOENT,
  ENOMEM,
  ENOSPC,
  ENOTTY,
} from "../../include/uapi/asm-generic/errno.ts";
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
import { accountLockedVm, CAP_IPC_LOCK, capable, lockLimitPages } from "../../mm/util.ts";
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
  /** The owner's mm (dma->mm, mainline): pages are pinned from it and accounted to it. */
  mm: MM;
  /** Pages accounted to locked_vm for this mapping (dma->locked_vm). */
  locked: number;
  /** Resolved host frames by page index (pinned). */
  pfns: Map<number, number>;
  /** UNMAP_DMA(VADDR) ran: the IOMMU still maps, MAP_DMA(VADDR) must supply a new vaddr. */
  vaddrInvalid: boolean;
}

/** struct vfio_iommu. */
export class Type1Iommu implements IommuDomain {
  readonly name = "type1";
  readonly kernel: Kernel;
  readonly v2: boolean;
  /** VFIO_TYPE1_NESTING_IOMMU (seed era only; implies v2). */
  readonly nesting: boolean;
  /** `kernel seed` (2016 behaviour) rather than mainline. */
  readonly seed: boolean;
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

  constructor(c: VfioContainer, v2: boolean, nesting = false) {
    this.kernel = c.kernel;
    this.v2 = v2;
    this.nesting = nesting;
    this.seed = c.kernel.config.profile === "seed";
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

  /**
   * vfio_remove_dma → vfio_unmap_unpin: unpin, then vfio_lock_acct(-unlocked)
   * credits locked_vm back — to dma->mm in mainline, to current->mm in the
   * 2016 code (which kept no mm in struct vfio_dma).
   */
  remove(d: VfioDma): void {
    this.dmas = this.dmas.filter((x) => x !== d);
    d.mm.unpin([...d.pfns.values()]);
    this.pinnedPages -= Number(d.size / this.pgsize);
    const acct = this.seed ? this.kernel.current.mm : d.mm;
    acct.lockedVm -= Math.min(d.locked, acct.lockedVm);
    d.locked = 0;
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

/** Smallest IOMMU page minus one (`(1 << __ffs(pgsize_bitmap)) - 1`). */
function pgMask(it: Type1Iommu): bigint {
  return (it.pgsizeBitmap & -it.pgsizeBitmap) - 1n;
}

/**
 * vfio_dma_do_map + vfio_iommu_type1_map_dma. Order of checks (mainline,
 * v6.6 drivers/vfio/vfio_iommu_type1.c): argsz < 32 or flags outside
 * READ|WRITE|VADDR → EINVAL; READ/WRITE together with VADDR, or neither →
 * EINVAL; size 0 or size/iova/vaddr unaligned → EINVAL; iova/vaddr wrap →
 * EINVAL; VADDR: no mapping → ENOENT, not invalidated or not exact → EINVAL;
 * overlap → EEXIST; dma_avail → ENOSPC; outside the IOVA ranges → EINVAL;
 * pinning → EFAULT or ENOMEM (pinLimit). Seed (2016): the flag mask is READ|WRITE only, no
 * dma_entry_limit (added v5.1) and no reserved-region/IOVA-range check
 * (added v5.1: vfio_iommu_iova_dma_valid).
 */
function mapDma(it: Type1Iommu, arg: bigint): number {
  const k = it.kernel;
  const m = readIn(() =>
    decodeStruct(vfio_iommu_type1_dma_map, k.current.mm.read(Number(arg), 32))
  );
  const F = VFIO_DMA_MAP_FLAGS;
  const mask = F.VFIO_DMA_MAP_FLAG_READ | F.VFIO_DMA_MAP_FLAG_WRITE |
    (it.seed ? 0n : F.VFIO_DMA_MAP_FLAG_VADDR);
  const flags = m.flags as bigint;
  if ((m.argsz as bigint) < 32n || (flags & ~mask)) {
    throw new Errno(EINVAL, "argsz < 32 or unknown flags");
  }
  const read = (flags & F.VFIO_DMA_MAP_FLAG_READ) !== 0n,
    write = (flags & F.VFIO_DMA_MAP_FLAG_WRITE) !== 0n;
  const setVaddr = (flags & F.VFIO_DMA_MAP_FLAG_VADDR) !== 0n;
  if ((read || write) === setVaddr) {
    throw new Errno(EINVAL, "need READ and/or WRITE (or VADDR alone)");
  }
  const iova = m.iova as bigint, size = m.size as bigint, vaddr = m.vaddr as bigint;
  if (size === 0n || ((size | iova | vaddr) & pgMask(it))) {
    throw new Errno(EINVAL, "size 0 or not aligned to the IOMMU page");
  }
  if (iova + size - 1n > U64 || vaddr + size - 1n > U64) {
    throw new Errno(EINVAL, "iova or vaddr range wraps");
  }
  const found = it.find(iova, size);
  if (setVaddr) {
    if (!found) throw new Errno(ENOENT, "VADDR: no mapping in range");
    if (!found.vaddrInvalid || found.iova !== iova || found.size !== size) {
      throw new Errno(EINVAL, "VADDR: mapping not invalidated or not named exactly");
    }
    // vfio_change_dma_owner (mainline): a new mm takes over the accounting
    // (its limit and CAP_IPC_LOCK, ENOMEM over it) before the old mm is credited.
    if (found.mm !== k.current.mm) {
      accountLockedVm(k.current.mm, found.locked, true, k.current, k.config.profile);
      found.mm.lockedVm -= Math.min(found.locked, found.mm.lockedVm);
      found.mm = k.current.mm;
    }
    // The IOMMU keeps its translations; only the recorded vaddr changes.
    found.vaddr = vaddr;
    found.vaddrInvalid = false;
    return 0;
  }
  if (found) throw new Errno(EEXIST, "overlaps an existing mapping");
  if (!it.seed) {
    if (it.dmaAvail === 0) throw new Errno(ENOSPC, "dma_entry_limit reached");
    if (!it.iovaRanges.some(([lo, hi]) => iova >= lo && iova + size - 1n <= hi)) {
      throw new Errno(EINVAL, "outside the valid IOVA ranges");
    }
  }
  const mm = k.current.mm;
  if (vaddr + size > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new Errno(EFAULT, "vaddr range is not mapped (pin_user_pages fails)");
  }
  const npage = pinLimit(it, Number(vaddr), Number(size), write);
  it.dmas.push({
    iova,
    size,
    vaddr,
    read,
    write,
    mm,
    locked: npage,
    pfns: new Map(),
    vaddrInvalid: false,
  });
  it.dmas.sort((a, b) => (a.iova < b.iova ? -1 : 1));
  it.dmaAvail--;
  it.pinnedPages += npage;
  // vfio_lock_acct(dma, lock_acct): the limit was checked page by page above.
  mm.lockedVm += npage;
  return 0;
}

/**
 * vfio_pin_pages_remote (mainline) / vfio_pin_pages (2016): pages are
 * pinned in order; page i needs `mm->locked_vm + i + 1 <= rlimit(RLIMIT_MEMLOCK)
 * >> PAGE_SHIFT` unless the caller is capable(CAP_IPC_LOCK) — the limit is
 * bypassed, the accounting is not. The first page that is unmapped fails the
 * pin (EFAULT) and the first page over the limit fails with ENOMEM (2016
 * breaks the chunk there and fails on the next chunk's first page; same
 * answer); either way vfio_remove_dma undoes the partial mapping, so
 * nothing stays mapped or accounted. Reserved pfns (MMIO, VM_PFNMAP) are
 * not counted; no simulated mapping has them. Returns the pages to account.
 */
function pinLimit(it: Type1Iommu, vaddr: number, size: number, write: boolean): number {
  const k = it.kernel;
  const mm = k.current.mm;
  const ps = Number(it.pgsize);
  const npage = size / ps;
  const okPages = Math.floor(mm.accessOkPrefix(vaddr, size, write) / ps);
  const limit = lockLimitPages(k.current, k.config.profile);
  const room = capable(k.current, CAP_IPC_LOCK) ? Infinity : limit - mm.lockedVm;
  if (room < npage && room < okPages) {
    throw new Errno(
      ENOMEM,
      `RLIMIT_MEMLOCK (${limit * ps}) exceeded: locked_vm ${mm.lockedVm} + ${npage} pages`,
    );
  }
  if (okPages < npage) {
    throw new Errno(EFAULT, "vaddr range is not mapped (pin_user_pages fails)");
  }
  return npage;
}

/**
 * vfio_iommu_type1_unmap_dma + vfio_dma_do_unmap. Seed (2016): flags must be
 * 0. Mainline: flags ⊆ GET_DIRTY_BITMAP|ALL|VADDR; DIRTY_BITMAP excludes the
 * others, needs argsz ≥ 24 + sizeof(struct vfio_bitmap) and dirty tracking
 * started (never, here: EINVAL). Both: iova/size alignment, size 0 → EINVAL;
 * v2 refuses to bisect a mapping (not for UNMAP_ALL); v1 stops at a mapping
 * starting below iova. Errors write nothing back; success writes the bytes
 * unmapped into size.
 */
function unmapDma(it: Type1Iommu, arg: bigint): number {
  const k = it.kernel;
  const u = readIn(() =>
    decodeStruct(vfio_iommu_type1_dma_unmap, k.current.mm.read(Number(arg), 24))
  );
  const F = VFIO_DMA_UNMAP_FLAGS;
  const flags = u.flags as bigint, argsz = u.argsz as bigint;
  const mask = it.seed ? 0n : F.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP |
    F.VFIO_DMA_UNMAP_FLAG_ALL | F.VFIO_DMA_UNMAP_FLAG_VADDR;
  if (argsz < 24n || (flags & ~mask)) throw new Errno(EINVAL, "argsz < 24 or unknown flags");
  if (flags & F.VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
    if (flags & (F.VFIO_DMA_UNMAP_FLAG_ALL | F.VFIO_DMA_UNMAP_FLAG_VADDR)) {
      throw new Errno(EINVAL, "GET_DIRTY_BITMAP cannot be combined with ALL or VADDR");
    }
    if (argsz < 24n + 24n) throw new Errno(EINVAL, "argsz < minsz + sizeof(struct vfio_bitmap)");
    readIn(() => k.current.mm.read(Number(arg) + 24, 24));
    throw new Errno(EINVAL, "dirty page tracking is not started");
  }
  const all = (flags & F.VFIO_DMA_UNMAP_FLAG_ALL) !== 0n;
  const invalidate = (flags & F.VFIO_DMA_UNMAP_FLAG_VADDR) !== 0n;
  const iova = u.iova as bigint;
  let size = u.size as bigint;
  const pm = pgMask(it);
  if (iova & pm) throw new Errno(EINVAL, "iova not aligned");
  if (all) {
    if (iova || size) throw new Errno(EINVAL, "UNMAP_ALL needs iova = size = 0");
    size = U64;
  } else {
    if (!size || (size & pm)) throw new Errno(EINVAL, "size 0 or not aligned");
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
  // vfio_find_dma_first_node, then rb_next while dma->iova < iova + size.
  const inRange = it.dmas.filter((d) => d.iova + d.size > iova && d.iova < iova + size);
  let unmapped = 0n;
  const marked: VfioDma[] = [];
  for (const d of inRange) {
    if (!it.v2 && iova > d.iova) break;
    if (invalidate) {
      if (d.vaddrInvalid) {
        for (const x of marked) x.vaddrInvalid = false;
        throw new Errno(EINVAL, "VADDR: a mapping's vaddr is already invalid");
      }
      d.vaddrInvalid = true;
      marked.push(d);
      unmapped += d.size;
      continue;
    }
    unmapped += d.size;
    it.remove(d);
  }
  k.current.mm.write(Number(arg) + 16, new Uint8Array(new BigUint64Array([unmapped]).buffer));
  return 0;
}

/** DIRTY_BITMAP_BYTES(INT_MAX): 256 MiB (max_dirty_bitmap_size of the MIGRATION cap). */
const DIRTY_BITMAP_SIZE_MAX = 0x1000_0000n;

/** One capability: header (id, version, next) and its body, padded to 8 (vfio_info_cap_add). */
function cap(id: bigint, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + Math.ceil(body.length / 8) * 8);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, Number(id), true);
  dv.setUint16(2, 1, true);
  out.set(body, 8);
  return out;
}

/**
 * The mainline capability chain in build order (vfio_iommu_type1_get_info):
 * MIGRATION {flags 0, pgsize_bitmap = smallest page, max_dirty_bitmap_size},
 * DMA_AVAIL {avail}, IOVA_RANGE {nr_iovas, ranges}; each padded to 8 bytes
 * (vfio_info_cap_add, v6.6), `next` offsets relative to the info struct.
 */
function capChain(it: Type1Iommu, base: number): Uint8Array {
  const I = VFIO_IOMMU_INFO;
  const mig = new DataView(new ArrayBuffer(24));
  mig.setBigUint64(8, it.pgsizeBitmap & -it.pgsizeBitmap, true);
  mig.setBigUint64(16, DIRTY_BITMAP_SIZE_MAX, true);
  const avail = new DataView(new ArrayBuffer(4));
  avail.setUint32(0, it.dmaAvail, true);
  const nr = it.iovaRanges.length;
  const ranges = new DataView(new ArrayBuffer(8 + nr * 16));
  ranges.setUint32(0, nr, true);
  it.iovaRanges.forEach(([lo, hi], i) => {
    ranges.setBigUint64(8 + i * 16, lo, true);
    ranges.setBigUint64(16 + i * 16, hi, true);
  });
  const caps = [
    cap(I.VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, new Uint8Array(mig.buffer)),
    cap(I.VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, new Uint8Array(avail.buffer)),
    cap(I.VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, new Uint8Array(ranges.buffer)),
  ];
  const out = new Uint8Array(caps.reduce((n, c) => n + c.length, 0));
  let off = 0;
  caps.forEach((c, i) => {
    if (i < caps.length - 1) new DataView(c.buffer).setUint32(4, base + off + c.length, true);
    out.set(c, off);
    off += c.length;
  });
  return out;
}

/**
 * VFIO_IOMMU_GET_INFO. Both eras: argsz < 16 → EINVAL. Seed (2016): flags =
 * PGSIZES, iova_pgsizes, 16 bytes written, argsz untouched, no capabilities.
 * Mainline (v6.6+): flags = PGSIZES|CAPS whatever argsz is; if argsz is
 * smaller than 24 + the chain, argsz is raised to that size and cap_offset
 * stays 0, else the chain is copied at offset 24 and cap_offset = 24; then
 * min(argsz, 24) bytes of the struct are written back.
 */
function getInfo(it: Type1Iommu, arg: bigint): number {
  const k = it.kernel;
  const v = readIn(() => decodeStruct(vfio_iommu_type1_info, k.current.mm.read(Number(arg), 16)));
  const argsz = v.argsz as bigint;
  if (argsz < 16n) throw new Errno(EINVAL, "argsz < 16");
  const I = VFIO_IOMMU_INFO;
  if (it.seed) {
    const out = encodeStruct(vfio_iommu_type1_info, {
      argsz,
      flags: I.VFIO_IOMMU_INFO_PGSIZES,
      iova_pgsizes: it.pgsizeBitmap,
    });
    k.current.mm.write(Number(arg), out.subarray(0, 16));
    return 0;
  }
  const base = 24;
  const caps = capChain(it, base);
  const need = BigInt(base + caps.length);
  const fits = argsz >= need;
  if (fits) k.current.mm.write(Number(arg) + base, caps);
  const out = encodeStruct(vfio_iommu_type1_info, {
    argsz: fits ? argsz : need,
    flags: I.VFIO_IOMMU_INFO_PGSIZES | I.VFIO_IOMMU_INFO_CAPS,
    iova_pgsizes: it.pgsizeBitmap,
    cap_offset: fits ? BigInt(base) : 0n,
  });
  k.current.mm.write(Number(arg), out.subarray(0, Number(argsz < 24n ? argsz : 24n)));
  return 0;
}

/**
 * vfio_iommu_type1_check_extension. TYPE1/TYPE1v2 → 1 in both eras.
 * Seed (2016): TYPE1_NESTING → 1; UNMAP_ALL/UPDATE_VADDR do not exist (v5.12)
 * → 0. Mainline: UNMAP_ALL → 1; UPDATE_VADDR → 1 only with a backend and no
 * emulated (mdev) groups (v6.3); TYPE1_NESTING → 0 (removed, commit
 * 35890f85573c). DMA_CC_IOMMU: 0 without a backend, else all domains
 * coherent (1 here).
 */
function checkExt(data: Type1Iommu | undefined, ext: number, k: Kernel): number {
  const seed = data ? data.seed : k.config.profile === "seed";
  switch (BigInt(ext)) {
    case VFIO_EXT.VFIO_TYPE1_IOMMU:
    case VFIO_EXT.VFIO_TYPE1v2_IOMMU:
      return 1;
    case VFIO_EXT.VFIO_TYPE1_NESTING_IOMMU:
      return seed ? 1 : 0;
    case VFIO_EXT.VFIO_UNMAP_ALL:
      return seed ? 0 : 1;
    case VFIO_EXT.VFIO_UPDATE_VADDR:
      return !seed && data ? 1 : 0;
    case VFIO_EXT.VFIO_DMA_CC_IOMMU:
      return data ? 1 : 0;
  }
  return 0;
}

/** The backend ops. */
export const type1DriverOps: VfioIommuDriverOps = {
  name: "vfio-iommu-type1",
  available: (k) => k.arch !== "ppc64le",
  checkExtension: (d, ext, k) => checkExt(d as Type1Iommu | undefined, ext, k),
  // vfio_iommu_type1_open: TYPE1 → v1; TYPE1v2 and TYPE1_NESTING → v2 (mainline
  // still accepts 6 as v2, but CHECK_EXTENSION(6) = 0 keeps SET_IOMMU from reaching it).
  open(c, type) {
    const t = BigInt(type);
    const E = VFIO_EXT;
    if (t === E.VFIO_TYPE1_IOMMU) return new Type1Iommu(c, false);
    if (t === E.VFIO_TYPE1v2_IOMMU) return new Type1Iommu(c, true);
    if (t === E.VFIO_TYPE1_NESTING_IOMMU) return new Type1Iommu(c, true, true);
    throw new Errno(EINVAL);
  },
  attachGroup(data, g) {
    const it = data as Type1Iommu;
    if (it.groups.includes(g)) throw new Errno(EINVAL, "group already attached");
    // iommu_domain_set_attr(DOMAIN_ATTR_NESTING): arm-smmu implements it; the
    // x86 IOMMU drivers of 2016 have no domain_set_attr → -EINVAL.
    if (it.nesting && it.kernel.arch === "x86_64") {
      throw new Errno(EINVAL, "IOMMU driver cannot enable nesting (DOMAIN_ATTR_NESTING)");
    }
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
    if (cmd === ioctlNumber(VFIO_CHECK_EXTENSION, a)) return checkExt(it, Number(arg), it.kernel);
    if (cmd === ioctlNumber(VFIO_IOMMU_GET_INFO, a)) return getInfo(it, arg);
    if (cmd === ioctlNumber(VFIO_IOMMU_MAP_DMA, a)) return mapDma(it, arg);
    if (cmd === ioctlNumber(VFIO_IOMMU_UNMAP_DMA, a)) return unmapDma(it, arg);
    throw new Errno(ENOTTY);
  },
  ioctls: () => VFIO_TYPE1_IOCTLS,
};

vfioRegisterIommuDriver(type1DriverOps);
