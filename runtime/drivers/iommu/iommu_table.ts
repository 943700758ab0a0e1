/**
 * The sPAPR/PowerNV hardware TCE table (struct iommu_table, arch/powerpc/kernel/iommu.c
 * and platforms/powernv/pci-ioda-tce.c) and the per-PE table group (struct
 * iommu_table_group, up to IOMMU_TABLE_GROUP_MAX_TABLES = 2 windows).
 *
 * Entries are indexed by absolute bus page number (it_offset included), hold
 * a host physical address plus TCE_PCI_READ/WRITE, and live in sparse level
 * pages allocated on first write: a 64 GiB window costs nothing until used.
 * Values are JS numbers (host physical addresses stay below 2^53), so the hot
 * path never touches BigInt.
 *
 * @example
 * ```ts
 * import { IommuTable } from "./iommu_table.ts";
 * const t = new IommuTable({ pageShift: 12, busStart: 0n, windowSize: 1n << 30n, levels: 1, hostPageSize: 65536 });
 * t.xchg(t.offset + 1, 0x2000_0000 + 3, 0);
 * console.log(t.get(t.offset + 1).toString(16), t.bytesAllocated()); // "20000003" 65536
 * ```
 * @module
 */

/** IOMMU_TABLE_GROUP_MAX_TABLES (arch/powerpc/include/asm/iommu.h). */
export const IOMMU_TABLE_GROUP_MAX_TABLES = 2;
/** POWERNV_IOMMU_MAX_LEVELS (platforms/powernv/pci.h). */
export const POWERNV_IOMMU_MAX_LEVELS = 5;

/** Parameters of a new table. */
export interface IommuTableParams {
  pageShift: number;
  busStart: bigint;
  windowSize: bigint;
  levels: number;
  hostPageSize: number;
  /** Per-kernel id (views); allocated by the creator. */
  id?: number;
}

let fallbackId = 1;

/** A hardware TCE table. */
export class IommuTable {
  /** For views: "tbl#3". */
  readonly id: number;
  readonly pageShift: number;
  readonly pageSize: number;
  /** it_offset: first bus page number. */
  readonly offset: number;
  /** it_size: entries. */
  readonly size: number;
  readonly levels: number;
  readonly busStart: bigint;
  readonly windowSize: bigint;
  /** Entries per level page (host PAGE_SIZE / 8). */
  readonly #perPage: number;
  readonly #hostPageSize: number;
  /** Level pages of TCEs (hpa | perm) and of the userspace addresses (it_userspace). */
  #tces = new Map<number, Float64Array>();
  #uas = new Map<number, Float64Array>();
  /** Last page touched (index, TCEs, user addresses): skips the Map on runs of entries. */
  #lp = -1;
  #lt: Float64Array | undefined;
  #lu: Float64Array | undefined;
  /** Number of valid (R or W) entries. */
  used = 0;
  /** The user address the last xchg() replaced (it_userspace of the old entry). */
  prevUa = 0;
  /** Still programmed in some PE (unset_window clears this). */
  groups = new Set<unknown>();
  /** Who created it, for views: "vfio" or "platform". */
  owner: string;

  constructor(p: IommuTableParams, owner = "vfio") {
    this.id = p.id ?? fallbackId++;
    this.pageShift = p.pageShift;
    this.pageSize = 2 ** p.pageShift;
    this.busStart = p.busStart;
    this.windowSize = p.windowSize;
    this.offset = Number(p.busStart >> BigInt(p.pageShift));
    this.size = Number(p.windowSize >> BigInt(p.pageShift));
    this.levels = p.levels;
    this.#hostPageSize = p.hostPageSize;
    this.#perPage = p.hostPageSize / 8;
    this.owner = owner;
  }

  /** Entry `entry` (absolute bus page number): hpa | perm, 0 when clear. */
  get(entry: number): number {
    const i = entry - this.offset;
    const p = Math.floor(i / this.#perPage);
    const pg = p === this.#lp ? this.#lt : this.#tces.get(p);
    return pg ? pg[i % this.#perPage]! : 0;
  }

  /** The userspace address recorded with an entry (it_userspace), 0 if none. */
  ua(entry: number): number {
    const i = entry - this.offset;
    const p = Math.floor(i / this.#perPage);
    const pg = p === this.#lp ? this.#lu : this.#uas.get(p);
    return pg ? pg[i % this.#perPage]! : 0;
  }

  /**
   * iommu_tce_xchg: store hpa|perm (perm 0 clears) and the userspace address;
   * returns the old value. Clearing a never-written level page allocates nothing.
   */
  xchg(entry: number, value: number, ua: number): number {
    const i = entry - this.offset;
    const pi = Math.floor(i / this.#perPage);
    const o = i % this.#perPage;
    let pg: Float64Array | undefined, us: Float64Array;
    if (pi === this.#lp) {
      pg = this.#lt!;
      us = this.#lu!;
    } else {
      pg = this.#tces.get(pi);
      if (!pg) {
        this.prevUa = 0;
        if (value === 0) return 0;
        pg = new Float64Array(this.#perPage);
        this.#tces.set(pi, pg);
        this.#uas.set(pi, new Float64Array(this.#perPage));
      }
      us = this.#uas.get(pi)!;
      this.#lp = pi;
      this.#lt = pg;
      this.#lu = us;
    }
    const old = pg[o]!;
    this.prevUa = us[o]!;
    pg[o] = value;
    us[o] = value === 0 ? 0 : ua;
    if ((old & 3) === 0 && (value & 3) !== 0) this.used++;
    else if ((old & 3) !== 0 && (value & 3) === 0) this.used--;
    return old;
  }

  /** Does the window contain this bus address? */
  contains(addr: bigint): boolean {
    return addr >= this.busStart && addr < this.busStart + this.windowSize;
  }

  /** Memory the kernel holds for this table: one level-1 table is allocated whole, deeper ones on demand. */
  bytesAllocated(): number {
    if (this.levels <= 1) return Math.max(this.size * 8, this.#hostPageSize);
    return this.#tces.size * this.#hostPageSize;
  }

  /** Memory the simulator actually uses (sparse in every case). */
  bytesSimulated(): number {
    return this.#tces.size * this.#perPage * 16;
  }

  /** Valid entries in [from, to) as [entry, value] pairs (views). */
  *entries(from = this.offset, to = this.offset + this.size): Generator<[number, number]> {
    for (const [pi, pg] of [...this.#tces].sort((a, b) => a[0] - b[0])) {
      const base = this.offset + pi * this.#perPage;
      if (base + this.#perPage <= from || base >= to) continue;
      for (let o = 0; o < this.#perPage; o++) {
        const e = base + o;
        if (e >= from && e < to && pg[o] !== 0) yield [e, pg[o]!];
      }
    }
  }

  /** Clear everything (tce_iommu_clear over the whole window); returns the cleared (entry, ua) pairs. */
  clearAll(): [number, number][] {
    const out: [number, number][] = [];
    for (const [pi, pg] of this.#tces) {
      const uas = this.#uas.get(pi)!;
      for (let o = 0; o < this.#perPage; o++) {
        if (pg[o]! & 3) out.push([this.offset + pi * this.#perPage + o, uas[o]!]);
      }
    }
    this.#tces.clear();
    this.#uas.clear();
    this.#lp = -1;
    this.#lt = this.#lu = undefined;
    this.used = 0;
    return out;
  }

  /** "tbl#3 @0x0 4K×262144 L1". */
  describe(): string {
    return `tbl#${this.id} @0x${this.busStart.toString(16)} ${
      fmtPage(this.pageShift)
    }×${this.size} L${this.levels}`;
  }
}

/**
 * "4K", "64K", "16M" for a page shift.
 *
 * @example
 * ```ts
 * console.log(fmtPage(16)); // "64K"
 * ```
 */
export function fmtPage(shift: number): string {
  if (shift >= 30) return `${2 ** (shift - 30)}G`;
  if (shift >= 20) return `${2 ** (shift - 20)}M`;
  if (shift >= 10) return `${2 ** (shift - 10)}K`;
  return `${2 ** shift}`;
}

/** Which table implementation a PE has (QEMU/VFIO compare create_table ops). */
export type TableOps = "ioda2" | "ioda1";

/**
 * struct iommu_table_group of a PowerNV PE: the default 32-bit window, the
 * DDW capabilities and the (at most two) tables programmed into the PE.
 */
export class IommuTableGroup {
  tce32Start = 0n;
  /** Default 32-bit window size: up to the 32-bit MMIO base (2 GiB here). */
  tce32Size = 0x8000_0000n;
  /** 4K | 64K | 16M. */
  pgsizes = (1n << 12n) | (1n << 16n) | (1n << 24n);
  maxDynamicWindows = IOMMU_TABLE_GROUP_MAX_TABLES;
  maxLevels = POWERNV_IOMMU_MAX_LEVELS;
  /** IODA2 bypass base: window 1 lives at 1<<59. */
  tceBypassBase = 1n << 59n;
  readonly ops: TableOps;
  tables: (IommuTable | undefined)[] = [undefined, undefined];
  /** A userspace driver (VFIO) owns the PE's tables. */
  ownedByUser = false;
  readonly hostPageSize: number;
  /** Allocates per-kernel table ids. */
  readonly allocId: () => number;

  constructor(ops: TableOps, hostPageSize: number, allocId: () => number = () => fallbackId++) {
    this.ops = ops;
    this.hostPageSize = hostPageSize;
    this.allocId = allocId;
    if (ops === "ioda1") this.maxDynamicWindows = 0;
    this.setupDefaultConfig();
  }

  /** pnv_pci_ioda2_setup_default_config: the kernel's own 4K window at tce32_start. */
  setupDefaultConfig(): void {
    const t = new IommuTable({
      pageShift: 12,
      busStart: this.tce32Start,
      windowSize: this.tce32Size,
      levels: 1,
      hostPageSize: this.hostPageSize,
      id: this.allocId(),
    }, "platform");
    this.setWindow(0, t);
  }

  /** take_ownership: drop the platform's tables, VFIO will program its own. */
  takeOwnership(): void {
    for (let i = 0; i < IOMMU_TABLE_GROUP_MAX_TABLES; i++) this.unsetWindow(i);
    this.ownedByUser = true;
  }

  /** release_ownership: back to the kernel's default configuration. */
  releaseOwnership(): void {
    for (let i = 0; i < IOMMU_TABLE_GROUP_MAX_TABLES; i++) this.unsetWindow(i);
    this.ownedByUser = false;
    this.setupDefaultConfig();
  }

  /** set_window(num, tbl). */
  setWindow(num: number, tbl: IommuTable): void {
    this.tables[num] = tbl;
    tbl.groups.add(this);
  }

  /** unset_window(num). */
  unsetWindow(num: number): void {
    this.tables[num]?.groups.delete(this);
    this.tables[num] = undefined;
  }

  /** Bus start a new table `num` gets (pnv_pci_ioda2_create_table). */
  busOffsetFor(num: number): bigint {
    return num ? this.tceBypassBase : this.tce32Start;
  }

  /** The table whose window holds a bus address (the PHB's TVT lookup). */
  tableFor(addr: bigint): IommuTable | undefined {
    for (const t of this.tables) if (t && t.contains(addr)) return t;
    return undefined;
  }
}

/**
 * get_table_size / pnv_pci_create_table checks: 0 = refused (→ EINVAL).
 * Levels must be 1..5, the window a power of two of at least one page, and
 * the indexing bits must fit below bit 55.
 *
 * @example
 * ```ts
 * console.log(tableSizeOk(12, 1n << 30n, 1, 65536), tableSizeOk(12, 3n << 30n, 1, 65536)); // true false
 * ```
 */
export function tableSizeOk(
  pageShift: number,
  windowSize: bigint,
  levels: number,
  hostPageSize: number,
): boolean {
  if (!levels || levels > POWERNV_IOMMU_MAX_LEVELS) return false;
  if (windowSize <= 0n || (windowSize & (windowSize - 1n)) !== 0n) return false;
  const ws = windowSize.toString(2).length - 1;
  const entriesShift0 = ws - pageShift;
  if (entriesShift0 < 0) return false;
  const entriesShift = Math.floor((entriesShift0 + levels - 1) / levels);
  const levelShift = Math.max(entriesShift + 3, Math.log2(hostPageSize));
  return (levelShift - 3) * levels + pageShift < 55;
}
