/**
 * drivers/vfio/vfio_iommu_spapr_tce.c: the sPAPR TCE IOMMU backend (types
 * VFIO_SPAPR_TCE_IOMMU = v1 and VFIO_SPAPR_TCE_v2_IOMMU). A v2 container owns
 * up to two windows (tables) which it programs into every group it holds —
 * groups sharing a container share its tables. DMA is mapped by writing
 * TCEs; v2 only maps memory pre-registered with SPAPR_REGISTER_MEMORY.
 *
 * @example
 * ```ts
 * import { tceIommuDriverOps } from "./vfio_iommu_spapr_tce.ts";
 * const k = { config: { profile: "seed" } } as never; // a Kernel
 * console.log(tceIommuDriverOps.checkExtension(undefined, 7, k)); // 1 (SPAPR_TCE_v2)
 * ```
 * @module
 */
import {
  EBUSY,
  EFAULT,
  EINVAL,
  ENODEV,
  ENOENT,
  ENOSPC,
  ENOTTY,
  ENXIO,
  EPERM,
} from "../../include/uapi/asm-generic/errno.ts";
import {
  VFIO_CHECK_EXTENSION,
  VFIO_EXT,
  VFIO_IOMMU_DISABLE,
  VFIO_IOMMU_ENABLE,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_SPAPR_INFO,
  VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
  vfio_iommu_spapr_register_memory,
  VFIO_IOMMU_SPAPR_TCE_CREATE,
  vfio_iommu_spapr_tce_create,
  VFIO_IOMMU_SPAPR_TCE_GET_INFO,
  vfio_iommu_spapr_tce_info,
  VFIO_IOMMU_SPAPR_TCE_REMOVE,
  vfio_iommu_spapr_tce_remove,
  VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
  vfio_iommu_type1_dma_map,
  vfio_iommu_type1_dma_unmap,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_SPAPR_IOCTLS,
} from "../../include/uapi/linux/vfio.ts";
import { Errno } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import {
  decodeStruct,
  encodeStruct,
  type StructDef,
  type StructValue,
} from "../../kernel/layout.ts";
import { ioctlNumber } from "../../kernel/uapi.ts";
import type { MM } from "../../mm/mm.ts";
import {
  IOMMU_TABLE_GROUP_MAX_TABLES,
  IommuTable,
  type IommuTableGroup,
  tableSizeOk,
} from "../iommu/iommu_table.ts";
import {
  mmIommuGet,
  mmIommuList,
  mmIommuLookup,
  type MmIommuMem,
  mmIommuNew,
  mmIommuPut,
} from "../iommu/mm_iommu.ts";
import { tceIommuDisable, tceIommuEnableLocked } from "./vfio_iommu_spapr_tce_locked.ts";
import {
  type VfioContainer,
  type VfioGroup,
  type VfioIommuDriverOps,
  vfioRegisterIommuDriver,
} from "./vfio.ts";

/** struct tce_container. */
export class TceContainer {
  readonly kernel: Kernel;
  readonly v2: boolean;
  mm: MM | undefined;
  enabled = false;
  /** v1: pages of the DMA32 window accounted by VFIO_IOMMU_ENABLE (locked_pages). */
  lockedPages = 0;
  defWindowPending = false;
  tables: (IommuTable | undefined)[] = [undefined, undefined];
  groups: VfioGroup[] = [];
  prereg: MmIommuMem[] = [];
  readonly vfio: VfioContainer;

  constructor(c: VfioContainer, v2: boolean) {
    this.kernel = c.kernel;
    this.v2 = v2;
    this.vfio = c;
  }

  /** tce_iommu_find_table: index of the window holding a bus address, or -1. */
  findTable(ioba: bigint): number {
    for (let i = 0; i < IOMMU_TABLE_GROUP_MAX_TABLES; i++) {
      if (this.tables[i]?.contains(ioba)) return i;
    }
    return -1;
  }
}

function tg(g: VfioGroup): IommuTableGroup {
  const t = g.iommuGroup.tableGroup;
  if (!t) throw new Errno(ENODEV, "group has no sPAPR table group");
  return t;
}

function copyIn(k: Kernel, def: StructDef, arg: bigint, minsz: number): StructValue {
  try {
    return decodeStruct(def, k.current.mm.read(Number(arg), minsz));
  } catch {
    throw new Errno(EFAULT);
  }
}

/**
 * tce_iommu_mm_set (v4.11+): latch the caller's mm; another mm gets EPERM.
 * The seed era had no latch: every ioctl used current->mm.
 */
function mmSet(c: TceContainer): void {
  const mm = c.kernel.current.mm;
  if (c.kernel.config.profile === "seed") {
    c.mm = mm;
    return;
  }
  if (c.mm && c.mm !== mm) throw new Errno(EPERM, "container belongs to another process");
  c.mm = mm;
}

const PERM_MASK = 3;

/** Undo the accounting of one cleared entry (v2: registered region; v1: page pin). */
function unuseOld(c: TceContainer, tbl: IommuTable, old: number, ua: number): void {
  if (!(old & PERM_MASK)) return;
  if (c.v2) {
    const mem = mmIommuLookup(c.mm!, ua, tbl.pageSize);
    if (mem && mem.mapped > 0) mem.mapped--;
  } else {
    c.mm?.unpin([Math.floor(old - (old % c.kernel.config.pageSize))]);
  }
}

/** tce_iommu_clear: clear `pages` entries from `entry`. */
export function tceIommuClear(
  c: TceContainer,
  tbl: IommuTable,
  entry: number,
  pages: number,
): void {
  for (let i = 0; i < pages; i++) {
    const e = entry + i;
    const ua = tbl.ua(e);
    const old = tbl.xchg(e, 0, 0);
    unuseOld(c, tbl, old, ua);
  }
}

function build(
  c: TceContainer,
  tbl: IommuTable,
  entry: number,
  vaddr: number,
  pages: number,
  perm: number,
): void {
  const ps = tbl.pageSize;
  for (let i = 0; i < pages; i++) {
    const ua = vaddr + i * ps;
    let hpa: number;
    try {
      if (c.v2) {
        const mem = mmIommuLookup(c.mm!, ua, ps);
        if (!mem) {
          throw new Errno(EINVAL, `vaddr 0x${ua.toString(16)} is not in pre-registered memory`);
        }
        // The IOMMU page must be contained in one host page (tce_page_is_contained).
        hpa = mem.uaToHpa(ua, tbl.pageShift);
        // Mainline: mm_iommu_ua_to_hpa refuses pageshift > mem->pageshift and
        // tce_iommu_prereg_ua_to_hpa turns that into EINVAL; 2016 had no such
        // check and tce_page_is_contained answered EPERM.
        if (hpa < 0) {
          throw new Errno(
            c.kernel.config.profile === "seed" ? EPERM : EINVAL,
            "IOMMU page is larger than the backing host page",
          );
        }
        mem.mapped++;
      } else {
        if (tbl.pageShift > Math.log2(c.kernel.config.pageSize)) {
          throw new Errno(EPERM, "IOMMU page larger than host page");
        }
        const pg = ua - (ua % c.kernel.config.pageSize);
        let pa: number;
        try {
          pa = c.mm!.pin(pg, 1, (perm & 2) !== 0)[0]!;
        } catch {
          throw new Errno(EFAULT, "pin failed");
        }
        hpa = pa + (ua - pg);
      }
    } catch (e) {
      tceIommuClear(c, tbl, entry, i);
      throw e;
    }
    const oldUa = tbl.ua(entry + i);
    const old = tbl.xchg(entry + i, hpa + perm, ua);
    unuseOld(c, tbl, old, oldUa);
  }
}

function createWindow(
  c: TceContainer,
  pageShift: number,
  windowSize: bigint,
  levels: number,
): bigint {
  const num = c.tables.findIndex((t) => !t);
  if (num < 0) throw new Errno(ENOSPC, "both DMA windows exist");
  const g0 = tg(c.groups[0]!);
  if (pageShift >= 64 || !(g0.pgsizes & (1n << BigInt(pageShift)))) {
    throw new Errno(EINVAL, `page shift ${pageShift} not in ddw.pgsizes`);
  }
  if (!tableSizeOk(pageShift, windowSize, levels, c.kernel.config.pageSize)) {
    throw new Errno(
      EINVAL,
      "window size must be a power of two ≥ one page, levels 1..5, table < 2^55",
    );
  }
  const tbl = new IommuTable({
    pageShift,
    busStart: g0.busOffsetFor(num),
    windowSize,
    levels,
    hostPageSize: c.kernel.config.pageSize,
    id: g0.allocId(),
  });
  for (const g of c.groups) tg(g).setWindow(num, tbl);
  c.tables[num] = tbl;
  return tbl.busStart;
}

/** tce_iommu_create_default_window: the pending 4K window at tce32_start. */
function createDefaultWindow(c: TceContainer): void {
  if (!c.defWindowPending) return;
  if (c.groups.length === 0) throw new Errno(ENODEV);
  const g0 = tg(c.groups[0]!);
  createWindow(c, 12, g0.tce32Size, 1);
  c.defWindowPending = false;
}

function removeWindow(c: TceContainer, start: bigint): void {
  const num = c.findTable(start);
  if (num < 0) throw new Errno(EINVAL, `no window at 0x${start.toString(16)}`);
  const tbl = c.tables[num]!;
  for (const [e, ua] of tbl.clearAll()) unuseOldRaw(c, tbl, e, ua);
  for (const g of c.groups) tg(g).unsetWindow(num);
  c.tables[num] = undefined;
}

function unuseOldRaw(c: TceContainer, tbl: IommuTable, _e: number, ua: number): void {
  if (c.v2) {
    const mem = mmIommuLookup(c.mm ?? c.kernel.current.mm, ua, tbl.pageSize);
    if (mem && mem.mapped > 0) mem.mapped--;
  }
}

/**
 * A failed iommu_tce_put_param_check / iommu_tce_clear_param_check. Seed era
 * (arch/powerpc/kernel/iommu.c, 2016): functions returning -EINVAL. Mainline
 * (arch/powerpc/include/asm/iommu.h): macros `(iommu_tce_check_ioba(...) || ...)`,
 * so the ioctl returns the boolean 1, not -EINVAL, and maps/unmaps nothing.
 * After tce_iommu_find_table only an unaligned iova can fail them.
 */
function paramCheckFailed(c: TceContainer, why: string): number {
  if (c.kernel.config.profile === "seed") throw new Errno(EINVAL, why);
  return 1;
}

/**
 * 2016 tce_iommu_unregister_pages (v4.6): mm_iommu_find in the process mm
 * (no per-container list) → ENOENT, then mm_iommu_put → EBUSY when this was
 * the last reference and TCEs still point into the region (the reference is
 * kept).
 */
function unregisterSeed(c: TceContainer, vaddr: bigint, size: bigint): number {
  const mm = c.mm ?? c.kernel.current.mm;
  const mem = mmIommuList(mm).find((m) => BigInt(m.ua) === vaddr && BigInt(m.size) === size);
  if (!mem) throw new Errno(ENOENT, "region not registered");
  mmIommuPut(mem);
  const i = c.prereg.indexOf(mem);
  if (i >= 0) c.prereg.splice(i, 1);
  return 0;
}

function ioctl(c: TceContainer, cmd: number, arg: bigint): number {
  const k = c.kernel;
  const a = k.arch;
  if (cmd === ioctlNumber(VFIO_CHECK_EXTENSION, a)) return checkExt(Number(arg));
  if (k.config.profile === "seed") {
    // v4.6: no container->mm; the caller's own mm is the one every ioctl uses.
    if (c.mm) c.mm = k.current.mm;
  } else if (c.mm && c.mm !== k.current.mm) {
    throw new Errno(EPERM, "container belongs to another process");
  }
  const is = (d: typeof VFIO_IOMMU_MAP_DMA) => cmd === ioctlNumber(d, a);

  if (is(VFIO_IOMMU_SPAPR_TCE_GET_INFO)) {
    if (c.groups.length === 0) throw new Errno(ENXIO, "no group attached");
    const t = tg(c.groups[0]!);
    const info = copyIn(k, vfio_iommu_spapr_tce_info, arg, 16);
    const argsz = info.argsz as bigint;
    if (argsz < 16n) throw new Errno(EINVAL, "argsz < 16");
    const ddw = c.v2 && t.maxDynamicWindows > 0;
    const out = encodeStruct(vfio_iommu_spapr_tce_info, {
      argsz,
      flags: ddw ? VFIO_IOMMU_SPAPR_INFO.VFIO_IOMMU_SPAPR_INFO_DDW : 0n,
      dma32_window_start: t.tce32Start,
      dma32_window_size: t.tce32Size,
      ddw: ddw
        ? {
          pgsizes: t.pgsizes,
          max_dynamic_windows_supported: BigInt(t.maxDynamicWindows),
          levels: BigInt(t.maxLevels),
        }
        : {},
    });
    k.current.mm.write(Number(arg), out.subarray(0, argsz >= 32n ? 32 : 16));
    return 0;
  }
  if (is(VFIO_IOMMU_MAP_DMA)) {
    if (!c.enabled) {
      throw new Errno(EPERM, c.v2 ? "no memory pre-registered" : "container not enabled");
    }
    const p = copyIn(k, vfio_iommu_type1_dma_map, arg, 32);
    if ((p.argsz as bigint) < 32n) throw new Errno(EINVAL, "argsz < 32");
    const flags = p.flags as bigint;
    if (flags & ~3n) throw new Errno(EINVAL, "flags other than READ|WRITE");
    createDefaultWindow(c);
    const iova = p.iova as bigint, vaddr = p.vaddr as bigint, size = p.size as bigint;
    const num = c.findTable(iova);
    if (num < 0) throw new Errno(ENXIO, `iova 0x${iova.toString(16)} is in no DMA window`);
    const tbl = c.tables[num]!;
    const mask = BigInt(tbl.pageSize - 1);
    if ((size & mask) || (vaddr & mask)) {
      throw new Errno(EINVAL, "size or vaddr not aligned to the IOMMU page");
    }
    if (!(flags & 3n)) throw new Errno(EINVAL, "neither READ nor WRITE");
    // iommu_tce_put_param_check: iova aligned and its first page inside the window.
    if (iova & mask) return paramCheckFailed(c, "iova not aligned to the IOMMU page");
    const pages = Number(size >> BigInt(tbl.pageShift));
    const entry = Number(iova >> BigInt(tbl.pageShift));
    // Deliberate divergence: iommu_tce_put_param_check checks only the first
    // page (ioba + 1), so the kernel would write TCEs past the window's end
    // (tce_iommu_build*); the simulator refuses the range instead.
    if (entry - tbl.offset + pages > tbl.size) {
      throw new Errno(EINVAL, "range runs past the window");
    }
    if (pages === 0) return 0;
    build(c, tbl, entry, Number(vaddr), pages, Number(flags));
    return 0;
  }
  if (is(VFIO_IOMMU_UNMAP_DMA)) {
    if (!c.enabled) throw new Errno(EPERM, "container not enabled");
    const p = copyIn(k, vfio_iommu_type1_dma_unmap, arg, 24);
    if ((p.argsz as bigint) < 24n) throw new Errno(EINVAL, "argsz < 24");
    if (p.flags !== 0n) throw new Errno(EINVAL, "no unmap flag is supported");
    createDefaultWindow(c);
    const iova = p.iova as bigint, size = p.size as bigint;
    const num = c.findTable(iova);
    if (num < 0) throw new Errno(ENXIO, `iova 0x${iova.toString(16)} is in no DMA window`);
    const tbl = c.tables[num]!;
    const mask = BigInt(tbl.pageSize - 1);
    if (size & mask) throw new Errno(EINVAL, "size not aligned to the IOMMU page");
    if (iova & mask) return paramCheckFailed(c, "iova not aligned to the IOMMU page");
    const pages = Number(size >> BigInt(tbl.pageShift));
    const entry = Number(iova >> BigInt(tbl.pageShift));
    // Seed: iommu_tce_clear_param_check tests ioba + npages → EINVAL. Mainline's
    // iommu_tce_check_ioba ignores npages (ioba + 1), so the kernel would clear
    // past the window's end; the simulator keeps the seed's EINVAL (deliberate).
    if (entry + pages > tbl.offset + tbl.size) {
      throw new Errno(EINVAL, "range runs past the window");
    }
    tceIommuClear(c, tbl, entry, pages);
    return 0;
  }
  if (is(VFIO_IOMMU_ENABLE)) {
    if (c.v2) throw new Errno(ENOTTY);
    if (c.enabled) throw new Errno(EBUSY, "already enabled");
    if (c.groups.length === 0) throw new Errno(ENODEV);
    const size32 = tg(c.groups[0]!).tce32Size;
    if (size32 === 0n) throw new Errno(EPERM);
    mmSet(c);
    tceIommuEnableLocked(c, size32);
    c.enabled = true;
    return 0;
  }
  if (is(VFIO_IOMMU_DISABLE)) {
    if (c.v2) throw new Errno(ENOTTY);
    tceIommuDisable(c);
    return 0;
  }
  if (is(VFIO_IOMMU_SPAPR_REGISTER_MEMORY)) {
    if (!c.v2) throw new Errno(ENOTTY);
    mmSet(c);
    const p = copyIn(k, vfio_iommu_spapr_register_memory, arg, 24);
    if ((p.argsz as bigint) < 24n) throw new Errno(EINVAL, "argsz < 24");
    if (p.flags !== 0n) throw new Errno(EINVAL, "flags must be 0");
    const vaddr = p.vaddr as bigint, size = p.size as bigint;
    const ps = BigInt(k.config.pageSize);
    if (vaddr % ps || size % ps || vaddr + size > 0xffff_ffff_ffff_ffffn) {
      throw new Errno(EINVAL, "vaddr/size not page aligned or wrapping");
    }
    if (vaddr + size > BigInt(Number.MAX_SAFE_INTEGER)) throw new Errno(EFAULT, "range not mapped");
    const entries = Number(size / ps);
    const seed = k.config.profile === "seed";
    let mem = mmIommuGet(c.mm!, Number(vaddr), entries);
    if (mem) {
      // Mainline tce_iommu_register_pages walks container->prereg_list →
      // EBUSY. 2016 (v4.6) had no such list: mm_iommu_get found the region,
      // took one more reference and returned 0.
      if (!seed && c.prereg.includes(mem)) {
        mem.used--;
        throw new Errno(EBUSY, "region already registered by this container");
      }
    } else {
      mem = mmIommuNew(c.mm!, Number(vaddr), entries, !seed, {
        task: k.current,
        profile: k.config.profile,
      });
    }
    c.prereg.push(mem);
    c.enabled = true;
    return 0;
  }
  if (is(VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY)) {
    if (!c.v2) throw new Errno(ENOTTY);
    const seed = k.config.profile === "seed";
    // container->mm (and this EPERM) arrived after 2016; v4.6 used current->mm.
    if (!c.mm && !seed) throw new Errno(EPERM, "no mm latched yet");
    const p = copyIn(k, vfio_iommu_spapr_register_memory, arg, 24);
    if ((p.argsz as bigint) < 24n) throw new Errno(EINVAL, "argsz < 24");
    if (p.flags !== 0n) throw new Errno(EINVAL, "flags must be 0");
    const vaddr = p.vaddr as bigint, size = p.size as bigint;
    const ps = BigInt(k.config.pageSize);
    if (vaddr % ps || size % ps) throw new Errno(EINVAL, "not page aligned");
    if (seed) return unregisterSeed(c, vaddr, size);
    const mem = c.prereg.find((m) => BigInt(m.ua) === vaddr && BigInt(m.size) === size);
    if (!mem) throw new Errno(ENOENT, "region not registered by this container");
    // tce_iommu_unregister_pages takes its own reference (mm_iommu_get), so
    // tce_iommu_prereg_free's mm_iommu_put never drops the last one and
    // returns 0; the final mm_iommu_put's EBUSY (TCEs still point into the
    // region) is ignored: the ioctl succeeds and a still-mapped region stays
    // registered in the mm, owned by no container.
    const i = c.prereg.indexOf(mem);
    c.prereg.splice(i, 1);
    try {
      mmIommuPut(mem);
    } catch {
      // EBUSY ignored, as in the kernel.
    }
    return 0;
  }
  if (is(VFIO_IOMMU_SPAPR_TCE_CREATE)) {
    if (!c.v2) throw new Errno(ENOTTY);
    mmSet(c);
    if (c.groups.length === 0) throw new Errno(ENXIO, "no group attached");
    const p = copyIn(k, vfio_iommu_spapr_tce_create, arg, 40);
    if ((p.argsz as bigint) < 40n) throw new Errno(EINVAL, "argsz < 40");
    if (p.flags !== 0n) throw new Errno(EINVAL, "flags must be 0");
    createDefaultWindow(c);
    const start = createWindow(
      c,
      Number(p.page_shift as bigint),
      p.window_size as bigint,
      Number(p.levels as bigint),
    );
    k.current.mm.write(
      Number(arg),
      encodeStruct(vfio_iommu_spapr_tce_create, { ...p, start_addr: start } as never).subarray(
        0,
        40,
      ),
    );
    return 0;
  }
  if (is(VFIO_IOMMU_SPAPR_TCE_REMOVE)) {
    if (!c.v2) throw new Errno(ENOTTY);
    mmSet(c);
    if (c.groups.length === 0) throw new Errno(ENXIO, "no group attached");
    const p = copyIn(k, vfio_iommu_spapr_tce_remove, arg, 16);
    if ((p.argsz as bigint) < 16n) throw new Errno(EINVAL, "argsz < 16");
    if (p.flags !== 0n) throw new Errno(EINVAL, "flags must be 0");
    if (c.defWindowPending && p.start_addr === 0n) {
      c.defWindowPending = false;
      return 0;
    }
    removeWindow(c, p.start_addr as bigint);
    return 0;
  }
  throw new Errno(ENOTTY);
}

function checkExt(ext: number): number {
  switch (BigInt(ext)) {
    case VFIO_EXT.VFIO_SPAPR_TCE_IOMMU:
    case VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU:
    case VFIO_EXT.VFIO_EEH:
      return 1;
  }
  return 0;
}

/** The backend ops. */
export const tceIommuDriverOps: VfioIommuDriverOps = {
  name: "vfio-iommu-spapr-tce",
  available: (k) => k.arch === "ppc64le",
  checkExtension: (_d, ext) => checkExt(ext),
  open(c, type) {
    if (
      BigInt(type) !== VFIO_EXT.VFIO_SPAPR_TCE_IOMMU &&
      BigInt(type) !== VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU
    ) {
      throw new Errno(EINVAL);
    }
    return new TceContainer(c, BigInt(type) === VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU);
  },
  attachGroup(data, g) {
    const c = data as TceContainer;
    const t = tg(g);
    const ddwOps = t.ops === "ioda2";
    // tce_iommu_attach_group: a second group must have take/release_ownership
    // ops (EBUSY) before the same-group (EBUSY) and create_table (EPERM) checks.
    if (c.groups.length > 0 && !ddwOps) {
      throw new Errno(EBUSY, "a group without DDW ownership ops cannot share a container");
    }
    for (const x of c.groups) {
      if (x === g) throw new Errno(EBUSY, "group already attached");
      if (tg(x).ops !== t.ops) throw new Errno(EPERM, "incompatible TCE table implementation");
    }
    if (!ddwOps) {
      if (c.v2) throw new Errno(EPERM, "v2 needs a DDW-capable platform");
      // v1 reuses the platform's tables.
      t.ownedByUser = true;
      c.tables = [...t.tables];
    } else {
      if (!c.v2) throw new Errno(EPERM, "v1 is refused on a DDW-capable (IODA2) platform");
      t.takeOwnership();
      for (let i = 0; i < IOMMU_TABLE_GROUP_MAX_TABLES; i++) {
        if (c.tables[i]) t.setWindow(i, c.tables[i]!);
      }
      if (c.groups.length === 0 && !c.tables[0]) c.defWindowPending = true;
    }
    c.groups.push(g);
  },
  detachGroup(data, g) {
    const c = data as TceContainer;
    if (!c.groups.includes(g)) return;
    c.groups = c.groups.filter((x) => x !== g);
    const t = tg(g);
    if (t.ops === "ioda2") t.releaseOwnership();
    else {
      for (const tbl of c.tables) if (tbl) tceIommuClear(c, tbl, tbl.offset, tbl.size);
      c.tables = [undefined, undefined];
      t.ownedByUser = false;
    }
  },
  release(data) {
    const c = data as TceContainer;
    for (const g of [...c.groups]) tceIommuDriverOps.detachGroup(c, g);
    for (let i = 0; i < IOMMU_TABLE_GROUP_MAX_TABLES; i++) {
      const tbl = c.tables[i];
      if (!tbl) continue;
      for (const [e, ua] of tbl.clearAll()) unuseOldRaw(c, tbl, e, ua);
      c.tables[i] = undefined;
    }
    for (const m of c.prereg) {
      try {
        mmIommuPut(m);
      } catch {
        // Still mapped by KVM: the region outlives the container (mm_iommu_put → EBUSY).
      }
    }
    c.prereg = [];
    tceIommuDisable(c);
    c.enabled = false;
  },
  ioctl: (data, cmd, arg) => ioctl(data as TceContainer, cmd, arg),
  ioctls: () => VFIO_SPAPR_IOCTLS,
};

vfioRegisterIommuDriver(tceIommuDriverOps);
