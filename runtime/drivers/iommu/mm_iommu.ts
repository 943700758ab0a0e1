/**
 * arch/powerpc/mm/book3s64/iommu_api.c: memory pre-registered for sPAPR DMA
 * (struct mm_iommu_table_group_mem_t). Registrations belong to the process mm
 * and are shared by every container of that mm and by KVM, which is what lets
 * the in-kernel H_PUT_TCE turn a guest address into a host physical one.
 *
 * The kernel pins every page at registration; the simulator checks the range
 * is mapped then and resolves (and pins) each page on first use — the same
 * answers without paying for untouched guest RAM.
 *
 * @example
 * ```ts
 * import { MM, PROT_READ, PROT_WRITE, MAP_PRIVATE, MAP_ANONYMOUS } from "../../mm/mm.ts";
 * import { PhysMem } from "../../mm/phys.ts";
 * import { mmIommuNew, mmIommuLookup } from "./mm_iommu.ts";
 * const mm = new MM(new PhysMem(65536));
 * const a = mm.mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, "ram");
 * mmIommuNew(mm, a, 16);
 * console.log(mmIommuLookup(mm, a + 0x1000, 0x1000) !== undefined); // true
 * ```
 * @module
 */
import { EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM } from "../../include/uapi/asm-generic/errno.ts";
import { Errno } from "../../kernel/errno.ts";
import type { Process } from "../../kernel/process.ts";
import type { Profile } from "../../kernel/uapi.ts";
import type { MM } from "../../mm/mm.ts";
import { accountLockedVm } from "../../mm/util.ts";

/** One pre-registered region. */
export class MmIommuMem {
  readonly mm: MM;
  readonly ua: number;
  /** Host pages. */
  readonly entries: number;
  readonly size: number;
  /** Host page shift of the backing pages (no huge pages here). */
  readonly pageShift: number;
  /** Pages accounted to mm->locked_vm (credited back when the region is freed). */
  locked = 0;
  /** Containers holding it (mm_iommu_get/put). */
  used = 1;
  /** TCEs (HW tables) pointing into it. */
  mapped = 0;
  /**
   * Resolved host addresses per host page, in chunks of 4096 pages (-1 /
   * 0-filled = not yet pinned; a chunk is allocated on first touch, so a
   * 64 GiB registration costs nothing until used).
   */
  #chunks: (Float64Array | undefined)[] = [];
  #pinned = 0;
  #lastIdx = -1;
  #lastPa = 0;
  /** False once mm_iommu_put freed the region (lookup cache validation). */
  live = true;
  readonly #ps: number;

  constructor(mm: MM, ua: number, entries: number) {
    this.mm = mm;
    this.ua = ua;
    this.entries = entries;
    this.#ps = mm.pageSize;
    this.size = entries * this.#ps;
    this.pageShift = Math.log2(this.#ps);
  }

  /** Pages resolved (pinned) so far. */
  pinned(): number {
    return this.#pinned;
  }

  /**
   * mm_iommu_ua_to_hpa: host physical address of `ua`; -1 when the IOMMU
   * page (1 << shift) is larger than the backing host page.
   */
  uaToHpa(ua: number, shift: number): number {
    if (shift > this.pageShift) return -1;
    const off = ua - this.ua;
    const idx = Math.floor(off / this.#ps);
    if (idx === this.#lastIdx) return this.#lastPa + (off % this.#ps);
    const ci = Math.floor(idx / 4096), co = idx % 4096;
    let c = this.#chunks[ci];
    if (!c) {
      c = new Float64Array(4096).fill(-1);
      this.#chunks[ci] = c;
    }
    let pa = c[co]!;
    if (pa < 0) {
      pa = this.mm.pin(this.ua + idx * this.#ps, 1, true)[0]!;
      c[co] = pa;
      this.#pinned++;
    }
    this.#lastIdx = idx;
    this.#lastPa = pa;
    return pa + (off % this.#ps);
  }

  /** Unpin everything (region freed). */
  unpinAll(): void {
    const pas: number[] = [];
    for (const c of this.#chunks) if (c) { for (const pa of c) if (pa >= 0) pas.push(pa); }
    this.mm.unpin(pas);
    this.#chunks = [];
    this.#pinned = 0;
    this.#lastIdx = -1;
  }
}

const REGISTRY = new WeakMap<MM, MmIommuMem[]>();

/**
 * Regions registered in an mm.
 *
 * @example
 * ```ts
 * // mmIommuList(mm).length
 * ```
 */
export function mmIommuList(mm: MM): MmIommuMem[] {
  let l = REGISTRY.get(mm);
  if (!l) {
    l = [];
    REGISTRY.set(mm, l);
  }
  return l;
}

/**
 * mm_iommu_get: the region with exactly this ua and size, with a new reference.
 *
 * @example
 * ```ts
 * // mmIommuGet(mm, ua, entries)
 * ```
 */
export function mmIommuGet(mm: MM, ua: number, entries: number): MmIommuMem | undefined {
  const m = mmIommuList(mm).find((x) => x.ua === ua && x.entries === entries);
  if (m) m.used++;
  return m;
}

/**
 * mm_iommu_new: register a new region, accounting its pages to
 * mm->locked_vm against the caller's RLIMIT_MEMLOCK (CAP_IPC_LOCK bypasses
 * the limit); every failure after the accounting credits it back. The order
 * differs by era. 2016 (arch/powerpc/mm/mmu_context_iommu.c mm_iommu_get):
 * overlap → EINVAL, mm_iommu_adjust_locked_vm → ENOMEM, vzalloc(0) →
 * ENOMEM, get_user_pages_fast → EFAULT. Mainline
 * (arch/powerpc/mm/book3s64/iommu_api.c mm_iommu_do_alloc, `pinFirst`):
 * account_locked_vm → ENOMEM, vzalloc(0) → ENOMEM, pin_user_pages → EFAULT,
 * then the overlap check under mem_list_mutex → EINVAL. Without `acct` the
 * pages are accounted with no limit.
 *
 * @example
 * ```ts
 * // mmIommuNew(mm, ua, entries, true, { task: kernel.current, profile: "mainline" })
 * ```
 */
export function mmIommuNew(
  mm: MM,
  ua: number,
  entries: number,
  pinFirst = false,
  acct?: { task: Process; profile: Profile },
): MmIommuMem {
  const size = entries * mm.pageSize;
  const overlap = () => {
    for (const m of mmIommuList(mm)) {
      if (m.ua < ua + size && ua < m.ua + m.size) {
        throw new Errno(EINVAL, "overlaps a registered region");
      }
    }
  };
  if (!pinFirst) overlap();
  if (acct) accountLockedVm(mm, entries, true, acct.task, acct.profile);
  else mm.lockedVm += entries;
  try {
    if (entries === 0) throw new Errno(ENOMEM, "zero-sized registration (vzalloc(0))");
    if (!mm.accessOk(ua, size, true)) {
      throw new Errno(EFAULT, "range not mapped writable (pin_user_pages fails)");
    }
    if (pinFirst) overlap();
  } catch (e) {
    mm.lockedVm -= Math.min(entries, mm.lockedVm);
    throw e;
  }
  const m = new MmIommuMem(mm, ua, entries);
  m.locked = entries;
  mmIommuList(mm).push(m);
  return m;
}

/**
 * mm_iommu_put: drop a reference; the last one frees the region unless TCEs
 * still point into it (EBUSY). Freeing credits locked_vm back
 * (mm_iommu_release: account_locked_vm(mm, entries, false); 2016:
 * mm_iommu_adjust_locked_vm(current->mm, …), the same mm since regions are
 * per current->mm there).
 *
 * @example
 * ```ts
 * // mmIommuPut(mem)
 * ```
 */
export function mmIommuPut(mem: MmIommuMem): void {
  if (mem.used === 0) throw new Errno(ENOENT);
  if (mem.used === 1 && mem.mapped > 0) {
    throw new Errno(EBUSY, "region still mapped in a TCE table");
  }
  mem.used--;
  if (mem.used > 0) return;
  const l = mmIommuList(mem.mm);
  l.splice(l.indexOf(mem), 1);
  mem.live = false;
  mem.mm.lockedVm -= Math.min(mem.locked, mem.mm.lockedVm);
  mem.locked = 0;
  if (lastHit === mem) lastHit = undefined;
  mem.unpinAll();
}

/**
 * mm_iommu_lookup: a region containing [ua, ua + size).
 *
 * @example
 * ```ts
 * // mmIommuLookup(mm, ua, 4096)
 * ```
 */
export function mmIommuLookup(mm: MM, ua: number, size: number): MmIommuMem | undefined {
  // One-entry cache: consecutive TCEs almost always land in the same region.
  const h = lastHit;
  if (h !== undefined && h.mm === mm && ua >= h.ua && ua + size <= h.ua + h.size) return h;
  const l = REGISTRY.get(mm);
  if (!l) return undefined;
  for (let i = 0; i < l.length; i++) {
    const m = l[i]!;
    if (ua >= m.ua && ua + size <= m.ua + m.size) {
      lastHit = m;
      return m;
    }
  }
  return undefined;
}

/** mmIommuLookup's last hit (only live, registered regions; cleared on free). */
let lastHit: MmIommuMem | undefined;
