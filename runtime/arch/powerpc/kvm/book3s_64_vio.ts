/**
 * arch/powerpc/kvm/book3s_64_vio.c: guest-view TCE tables
 * (KVM_CREATE_SPAPR_TCE / _64, one per LIOBN, an mmap-able fd), their links
 * to hardware TCE tables of VFIO groups, and the in-kernel TCE hypercalls
 * H_PUT_TCE, H_GET_TCE, H_STUFF_TCE and H_PUT_TCE_INDIRECT. An unknown LIOBN
 * (or anything the kernel cannot do alone) answers H_TOO_HARD, which the
 * hcall dispatcher turns into KVM_EXIT_PAPR_HCALL.
 *
 * Profile `seed` follows the 2016 validator (a TCE address with stray bits
 * below the page → H_PARAMETER); `mainline` returns H_TOO_HARD for it and
 * lets the VMM decide (spapr-tce-vfio-sva.md §1.4).
 *
 * @example
 * ```ts
 * import { kvmSpaprTables } from "./book3s_64_vio.ts";
 * console.log(typeof kvmSpaprTables); // "function"
 * ```
 * @module
 */
import {
  EBADF,
  EBUSY,
  EFAULT,
  EINVAL,
  ENOMEM,
  ENOTTY,
} from "../../../include/uapi/asm-generic/errno.ts";
import { KVM_CAP } from "../../../include/uapi/linux/kvm.ts";
import { Errno } from "../../../kernel/errno.ts";
import type { File, FileOperations } from "../../../kernel/file.ts";
import { decodeStruct } from "../../../kernel/layout.ts";
import { type Kvm, kvmArch, type KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import { gfnToMemslot } from "../../../virt/kvm/kvm_main.ts";
import type { IommuGroup } from "../../../drivers/iommu/iommu.ts";
import {
  IOMMU_TABLE_GROUP_MAX_TABLES,
  type IommuTable,
} from "../../../drivers/iommu/iommu_table.ts";
import { mmIommuLookup } from "../../../drivers/iommu/mm_iommu.ts";
import { H } from "../include/asm/hvcall.ts";
import {
  H_GET_TCE,
  H_PUT_TCE,
  H_PUT_TCE_INDIRECT,
  H_STUFF_TCE,
  KVM_CREATE_SPAPR_TCE,
  kvm_create_spapr_tce,
  KVM_CREATE_SPAPR_TCE_64,
  kvm_create_spapr_tce_64,
} from "../include/uapi/asm/kvm_spapr_tce.ts";
import { kvmppcRegisterHcall } from "./book3s_hv.ts";

const H_SUCCESS = H.H_SUCCESS!, H_PARAMETER = H.H_PARAMETER!, H_TOO_HARD = H.H_TOO_HARD!;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER), MAX_SAFE_N = Number.MAX_SAFE_INTEGER;

/** A hardware table linked to a LIOBN (struct kvmppc_spapr_tce_iommu_table). */
export interface Stit {
  tbl: IommuTable;
  refs: number;
  /** HW entries per guest entry: 2^(guest page shift - HW page shift). */
  sub: number;
}

/** struct kvmppc_spapr_tce_table: the guest view of one LIOBN's window. */
export class SpaprTceTable {
  readonly kvm: Kvm;
  readonly liobn: bigint;
  readonly pageShift: number;
  readonly pageSize: number;
  /** Window start in IOMMU pages. */
  readonly offset: number;
  /** Window size in IOMMU pages. */
  readonly size: number;
  readonly offsetB: bigint;
  readonly sizeB: bigint;
  iommuTables: Stit[] = [];
  /** Entries per table page (host PAGE_SIZE / 8). */
  readonly perPage: number;
  /**
   * stt->pages[]: one BigUint64Array per allocated table page, indexed by
   * page number (an array, not a Map: the H_PUT_TCE hot path indexes it).
   * The page count is bounded by the KMALLOC_MAX_SIZE check at creation.
   */
  #pages: (BigUint64Array | undefined)[];
  /** Table pages faulted into a user mapping: their storage moved to host RAM. */
  #mapped = new Map<number, number>();
  #allocated = 0;
  file: File | undefined;
  /** Counters for views. */
  stats = { puts: 0, hwWrites: 0 };

  constructor(kvm: Kvm, liobn: bigint, pageShift: number, offset: bigint, size: bigint) {
    this.kvm = kvm;
    this.liobn = liobn;
    this.pageShift = pageShift;
    this.pageSize = 2 ** pageShift;
    this.offsetB = offset;
    this.sizeB = size;
    this.offset = Number(offset);
    this.size = Number(size);
    this.perPage = kvm.kernel.config.pageSize / 8;
    this.#pages = new Array(this.tablePages());
  }

  /** Bus address of the window start (offset << page_shift, as a u64). */
  get busStart(): bigint {
    return BigInt.asUintN(64, this.offsetB << BigInt(this.pageShift));
  }

  /** kvmppc_tce_pages: table pages needed. */
  tablePages(): number {
    return Math.ceil((this.size * 8) / this.kvm.kernel.config.pageSize);
  }

  /** Allocated table pages (views, memory accounting). */
  pagesAllocated(): number {
    return this.#allocated + this.#mapped.size;
  }

  /** The guest's TCE at window index `idx` (0-based); 0 if never written. */
  get(idx: number): bigint {
    const p = Math.floor(idx / this.perPage);
    const a = this.#pages[p];
    if (a) return a[idx % this.perPage]!;
    const pa = this.#mapped.get(p);
    if (pa === undefined) return 0n;
    return new DataView(this.kvm.kernel.phys.read(pa + (idx % this.perPage) * 8, 8).buffer)
      .getBigUint64(0, true);
  }

  /** kvmppc_tce_put: store a TCE; writing 0 to an unallocated page allocates nothing. */
  put(idx: number, tce: bigint): void {
    const p = Math.floor(idx / this.perPage);
    let a = this.#pages[p];
    if (!a) {
      const pa = this.#mapped.get(p);
      if (pa !== undefined) {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigUint64(0, tce, true);
        this.kvm.kernel.phys.write(pa + (idx % this.perPage) * 8, b);
        return;
      }
      if (tce === 0n) return;
      a = new BigUint64Array(this.perPage);
      this.#pages[p] = a;
      this.#allocated++;
    }
    a[idx % this.perPage] = tce;
  }

  /** mmap fault: the host page holding table page `p` (moves its storage to host RAM). */
  faultPage(p: number): number {
    if (!(p >= 0 && p < this.tablePages())) {
      throw new Errno(EFAULT, "SIGBUS: past the end of the TCE table");
    }
    let pa = this.#mapped.get(p);
    if (pa !== undefined) return pa;
    pa = this.kvm.kernel.phys.allocPage();
    const a = this.#pages[p];
    if (a) {
      this.kvm.kernel.phys.write(pa, new Uint8Array(a.buffer));
      this.#pages[p] = undefined;
      this.#allocated--;
    }
    this.#mapped.set(p, pa);
    return pa;
  }

  /** Non-zero entries in [from, to) (views). */
  *entries(from = 0, to = this.size): Generator<[number, bigint]> {
    const live: number[] = [];
    this.#pages.forEach((a, i) => {
      if (a) live.push(i);
    });
    const pages = [...new Set([...live, ...this.#mapped.keys()])].sort((a, b) => a - b);
    for (const p of pages) {
      const lo = Math.max(from, p * this.perPage), hi = Math.min(to, (p + 1) * this.perPage);
      for (let i = lo; i < hi; i++) {
        const v = this.get(i);
        if (v !== 0n) yield [i, v];
      }
    }
  }

  /** "liobn 0x80000000 @0x0 4K×262144". */
  describe(): string {
    return `liobn 0x${this.liobn.toString(16)} @0x${
      this.busStart.toString(16)
    } 2^${this.pageShift}×${this.size}`;
  }
}

/**
 * The TCE tables of a VM (kvm->arch.spapr_tce_tables).
 *
 * @example
 * ```ts
 * // kvmSpaprTables(kvm).length
 * ```
 */
export function kvmSpaprTables(kvm: Kvm): SpaprTceTable[] {
  let l = kvm.arch["spaprTceTables"] as SpaprTceTable[] | undefined;
  if (!l) {
    l = [];
    kvm.arch["spaprTceTables"] = l;
  }
  return l;
}

/**
 * kvmppc_find_table.
 *
 * @example
 * ```ts
 * // kvmppcFindTable(kvm, 0x80000000n)
 * ```
 */
export function kvmppcFindTable(kvm: Kvm, liobn: bigint): SpaprTceTable | undefined {
  const l = kvm.arch["spaprTceTables"] as SpaprTceTable[] | undefined;
  if (!l) return undefined;
  for (let i = 0; i < l.length; i++) if (l[i]!.liobn === liobn) return l[i];
  return undefined;
}

function dropLink(stt: SpaprTceTable, s: Stit): void {
  s.refs--;
  if (s.refs <= 0) stt.iommuTables = stt.iommuTables.filter((x) => x !== s);
}

const tceFops: FileOperations = {
  name: "kvm-spapr-tce",
  mmap(file, vma, pgoff) {
    const stt = file.private_data as SpaprTceTable;
    vma.fault = (i) => stt.faultPage(pgoff + i);
  },
  release(file) {
    const stt = file.private_data as SpaprTceTable;
    const l = kvmSpaprTables(stt.kvm);
    const i = l.indexOf(stt);
    if (i >= 0) l.splice(i, 1);
    stt.iommuTables = [];
  },
};

/**
 * Is this file a TCE table fd of `kvm`?
 *
 * @example
 * ```ts
 * // spaprTceTableOfFile(file, kvm)
 * ```
 */
export function spaprTceTableOfFile(f: File, kvm: Kvm): SpaprTceTable | undefined {
  if (f.fops !== tceFops) return undefined;
  const stt = f.private_data as SpaprTceTable;
  return kvmSpaprTables(kvm).includes(stt) ? stt : undefined;
}

const KMALLOC_MAX = (ps: number) => (ps === 65536 ? 2 ** 24 : 2 ** 22);

/**
 * kvm_vm_ioctl_create_spapr_tce with the _64 arguments.
 *
 * @example
 * ```ts
 * // createSpaprTce(kvm, 0x80000000n, 12, 0n, 262144n)
 * ```
 */
export function createSpaprTce(
  kvm: Kvm,
  liobn: bigint,
  pageShift: number,
  offset: bigint,
  size: bigint,
): number {
  if (
    size === 0n || pageShift < 12 || pageShift > 34 ||
    BigInt.asUintN(64, offset + size) > 0xffff_ffff_ffff_ffffn >> BigInt(pageShift)
  ) {
    throw new Errno(EINVAL, "size 0, page_shift outside 12..34, or window past 2^64");
  }
  const ps = kvm.kernel.config.pageSize;
  const npages = (size * 8n + BigInt(ps) - 1n) / BigInt(ps);
  if (npages * 8n + 64n > BigInt(KMALLOC_MAX(ps))) {
    throw new Errno(ENOMEM, "table page array exceeds KMALLOC_MAX_SIZE");
  }
  if (kvmppcFindTable(kvm, liobn)) {
    throw new Errno(EBUSY, `liobn 0x${liobn.toString(16)} already has a table`);
  }
  const stt = new SpaprTceTable(kvm, liobn, pageShift, offset, size);
  const fd = kvm.kernel.anonInodeGetfd("kvm-spapr-tce", tceFops, stt);
  stt.file = kvm.kernel.current.fds.get(fd);
  kvmSpaprTables(kvm).push(stt);
  return fd;
}

function readArg<T>(fn: () => T): T {
  try {
    return fn();
  } catch {
    throw new Errno(EFAULT);
  }
}

// ---------------------------------------------------------------- links

/**
 * Mainline kvm_spapr_tce_attach_iommu_group: link the group's hardware table
 * whose geometry matches the KVM table behind `tablefd`.
 *
 * @example
 * ```ts
 * // kvmSpaprTceAttachIommuGroup(kvm, tablefd, group)
 * ```
 */
export function kvmSpaprTceAttachIommuGroup(kvm: Kvm, tablefd: number, grp: IommuGroup): number {
  const f = kvm.kernel.current.fds.get(tablefd);
  if (!f) throw new Errno(EBADF, `tablefd ${tablefd} is not open`);
  const stt = spaprTceTableOfFile(f, kvm);
  if (!stt) throw new Errno(EINVAL, "tablefd is not a TCE table of this VM");
  const tg = grp.tableGroup;
  if (!tg) throw new Errno(EFAULT, "group has no table group");
  let tbl: IommuTable | undefined;
  for (let i = 0; i < IOMMU_TABLE_GROUP_MAX_TABLES; i++) {
    const t = tg.tables[i];
    if (!t) continue;
    if (
      t.pageShift <= stt.pageShift && t.busStart === stt.busStart &&
      t.windowSize >= stt.sizeB << BigInt(stt.pageShift)
    ) {
      tbl = t;
      break;
    }
  }
  if (!tbl) throw new Errno(EINVAL, "no hardware window of the group matches the table's geometry");
  return linkTable(stt, tbl);
}

function linkTable(stt: SpaprTceTable, tbl: IommuTable): number {
  const s = stt.iommuTables.find((x) => x.tbl === tbl);
  if (s) {
    if (s.refs <= 0) throw new Errno(ENOTTY, "link is being destroyed");
    s.refs++;
    return 0;
  }
  stt.iommuTables.push({ tbl, refs: 1, sub: 2 ** (stt.pageShift - tbl.pageShift) });
  return 0;
}

/**
 * Seed (000) KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE_LIOBN: link the group's
 * hardware window starting at `startAddr` to the KVM table of `liobn`.
 * Errors past the seed's own list (no table for the liobn, no window at
 * start_addr, incompatible geometry) use EINVAL like the merged equivalent.
 *
 * @example
 * ```ts
 * // kvmSpaprTceAttachIommuGroupLiobn(kvm, 0x80000000n, 0n, group)
 * ```
 */
export function kvmSpaprTceAttachIommuGroupLiobn(
  kvm: Kvm,
  liobn: bigint,
  startAddr: bigint,
  grp: IommuGroup,
): number {
  const stt = kvmppcFindTable(kvm, liobn);
  if (!stt) throw new Errno(EINVAL, `no KVM TCE table for liobn 0x${liobn.toString(16)}`);
  const tg = grp.tableGroup;
  if (!tg) throw new Errno(EFAULT, "group has no table group");
  const tbl = tg.tables.find((t) => t && t.busStart === startAddr);
  if (!tbl) {
    throw new Errno(
      EINVAL,
      `no hardware DMA window of group ${grp.id} starts at 0x${startAddr.toString(16)}`,
    );
  }
  if (
    tbl.busStart !== stt.busStart || tbl.pageShift > stt.pageShift ||
    tbl.windowSize < stt.sizeB << BigInt(stt.pageShift)
  ) {
    throw new Errno(EINVAL, "hardware window does not cover the guest window");
  }
  return linkTable(stt, tbl);
}

/**
 * kvm_spapr_tce_release_iommu_group: drop one reference of every link to one
 * of the group's tables (FILE_DEL, device release).
 *
 * @example
 * ```ts
 * // kvmSpaprTceReleaseIommuGroup(kvm, group)
 * ```
 */
export function kvmSpaprTceReleaseIommuGroup(kvm: Kvm, grp: IommuGroup): void {
  const tg = grp.tableGroup;
  if (!tg) return;
  for (const stt of kvmSpaprTables(kvm)) {
    for (const t of tg.tables) {
      if (!t) continue;
      for (const s of [...stt.iommuTables]) if (s.tbl === t) dropLink(stt, s);
    }
  }
}

// ---------------------------------------------------------------- hcalls

/**
 * kvmppc_ioba_validate over the whole range [ioba, ioba + npages pages):
 * aligned, idx ≥ offset, idx - offset + npages ≤ size, no wrap
 * (book3s_64_vio.c; the u64 arithmetic is exact here).
 */
function iobaValidate(stt: SpaprTceTable, ioba: bigint, npages: bigint): bigint {
  if (ioba <= MAX_SAFE && npages <= MAX_SAFE) {
    const io = Number(ioba), n = Number(npages);
    if (io % stt.pageSize !== 0) return H_PARAMETER;
    const idx = io / stt.pageSize;
    if (idx < stt.offset || idx - stt.offset + n > stt.size) return H_PARAMETER;
    return H_SUCCESS;
  }
  const sh = BigInt(stt.pageShift);
  if (BigInt.asUintN(stt.pageShift, ioba) !== 0n) return H_PARAMETER;
  const idx = ioba >> sh;
  if (idx < stt.offsetB || idx - stt.offsetB + npages > stt.sizeB) return H_PARAMETER;
  return H_SUCCESS;
}

/** kvmppc_tce_to_ua: the VMM address backing the TCE's guest page, or -1. */
function tceToUa(kvm: Kvm, tce: bigint): number {
  const gpa = tce & ~3n;
  if (gpa > MAX_SAFE) return -1;
  return gpaToUaN(kvm, Number(gpa));
}

/** Number-only kvmppc_tce_to_ua for gpa < 2^53 (the hot path). */
function gpaToUaN(kvm: Kvm, gpa: number): number {
  const ps = kvm.kernel.config.pageSize;
  const s = gfnToMemslot(kvm, Math.floor(gpa / ps));
  return s ? s.userspace_addr + (gpa - s.base_gfn * ps) : -1;
}

/**
 * kvmppc_tce_validate. `seed` is the 2016 validator: any bit set below the
 * page other than R/W → H_PARAMETER, whatever the permission (book3s_64_vio_hv.c
 * of that era: `if (tce & ~(page_mask | TCE_PCI_WRITE | TCE_PCI_READ))`).
 * Mainline: no R/W → always fine (poison); misaligned, outside guest RAM or
 * outside pre-registered memory of a linked HW table → H_TOO_HARD.
 */
function tceValidate(stt: SpaprTceTable, tce: bigint): bigint {
  const seed = stt.kvm.kernel.config.profile === "seed";
  if (seed && BigInt.asUintN(stt.pageShift, tce) & ~3n) return H_PARAMETER;
  const perm = Number(tce & 3n);
  if (perm === 0) return H_SUCCESS; // clearing / poisoning is always allowed
  if (BigInt.asUintN(stt.pageShift, tce & ~3n) !== 0n) return H_TOO_HARD;
  const ua = tceToUa(stt.kvm, tce);
  if (ua < 0) return H_TOO_HARD;
  return linksCanMap(stt, ua) ? H_SUCCESS : H_TOO_HARD;
}

/** Every linked HW table finds `ua` in pre-registered memory (kvmppc_tce_validate's loop). */
function linksCanMap(stt: SpaprTceTable, ua: number): boolean {
  const links = stt.iommuTables;
  if (links.length === 0) return true;
  const mm = stt.kvm.owner.mm;
  for (let i = 0; i < links.length; i++) {
    const tb = links[i]!.tbl;
    const mem = mmIommuLookup(mm, ua, tb.pageSize);
    if (!mem || mem.uaToHpa(ua, tb.pageShift) < 0) return false;
  }
  return true;
}

/** The VMM address tceValidateN resolved for a mapping TCE (-1 for a clearing one). */
let validUa = -1;

/**
 * Number-only kvmppc_tce_validate for a TCE below 2^53 (same rules as
 * tceValidate, no BigInt arithmetic); leaves the resolved address in validUa.
 */
function tceValidateN(stt: SpaprTceTable, t: number): bigint {
  const perm = t % 4;
  const stray = t % stt.pageSize - perm;
  validUa = -1;
  if (stray !== 0 && stt.kvm.kernel.config.profile === "seed") return H_PARAMETER;
  if (perm === 0) return H_SUCCESS;
  if (stray !== 0) return H_TOO_HARD;
  const ua = gpaToUaN(stt.kvm, t - perm);
  if (ua < 0 || !linksCanMap(stt, ua)) return H_TOO_HARD;
  validUa = ua;
  return H_SUCCESS;
}

/** tce_iommu_unuse_page_v2 twin: drop the mapped count of the old entry's region. */
function hwUnuse(stt: SpaprTceTable, tbl: IommuTable, old: number, oldUa: number): void {
  if (!(old & 3)) return;
  const mem = mmIommuLookup(stt.kvm.owner.mm, oldUa, tbl.pageSize);
  if (mem && mem.mapped > 0) mem.mapped--;
}

/** kvmppc_clear_tce: clear every HW subpage of a guest entry. */
function clearHw(stt: SpaprTceTable, tbl: IommuTable, entry: number): void {
  const sub = 2 ** (stt.pageShift - tbl.pageShift);
  for (let i = 0; i < sub; i++) {
    const e = entry * sub + i;
    const ua = tbl.ua(e);
    hwUnuse(stt, tbl, tbl.xchg(e, 0, 0), ua);
  }
}

/** kvmppc_tce_iommu_map / unmap for one guest entry on one HW table. */
function hwMap(stt: SpaprTceTable, link: Stit, entry: number, ua: number, perm: number): bigint {
  const tbl = link.tbl, sub = link.sub;
  const mm = stt.kvm.owner.mm;
  const tps = tbl.pageSize;
  for (let i = 0; i < sub; i++) {
    const e = entry * sub + i;
    if (perm === 0) {
      const old = tbl.xchg(e, 0, 0);
      if (old & 3) hwUnuse(stt, tbl, old, tbl.prevUa);
      continue;
    }
    const u = ua + i * tps;
    const mem = mmIommuLookup(mm, u, tps);
    if (!mem) return H_TOO_HARD;
    const hpa = mem.uaToHpa(u, tbl.pageShift);
    if (hpa < 0) return H_TOO_HARD;
    mem.mapped++;
    const old = tbl.xchg(e, hpa + perm, u);
    if (old & 3) hwUnuse(stt, tbl, old, tbl.prevUa);
    stt.stats.hwWrites++;
  }
  return H_SUCCESS;
}

/**
 * Apply one validated TCE at absolute window entry `entry`: every linked HW
 * table (on failure that table's entry is cleared and the error returned),
 * then the guest view. `ua` is the backing VMM address (-1: none).
 */
function putOne(stt: SpaprTceTable, entry: number, tce: bigint, perm: number, ua: number): bigint {
  const links = stt.iommuTables;
  for (let i = 0; i < links.length; i++) {
    const r = hwMap(stt, links[i]!, entry, ua, perm);
    if (r !== H_SUCCESS) {
      clearHw(stt, links[i]!.tbl, entry);
      return r;
    }
  }
  stt.put(entry - stt.offset, tce);
  stt.stats.puts++;
  return H_SUCCESS;
}

/**
 * kvmppc_h_put_tce. Arguments that fit in 53 bits take a Number-only path
 * (same checks, no BigInt arithmetic, no allocation); others go through the
 * general one.
 *
 * @example
 * ```ts
 * // kvmppcHPutTce(vcpu, [liobn, ioba, tce], [])
 * ```
 */
export function kvmppcHPutTce(vcpu: KvmVcpu, args: bigint[], _rets: bigint[]): bigint {
  const kvm = vcpu.kvm;
  const stt = kvmppcFindTable(kvm, args[0]!);
  if (!stt) return H_TOO_HARD;
  const ioba = args[1]!, tce = args[2]!;
  // Number() of a BigInt ≥ 2^53 rounds to ≥ 2^53: one compare picks the exact path.
  const io = Number(ioba), t = Number(tce);
  if (!(io >= 0 && io <= MAX_SAFE_N && t >= 0 && t <= MAX_SAFE_N)) {
    return putTceSlow(stt, BigInt.asUintN(64, ioba), BigInt.asUintN(64, tce));
  }
  const ps = stt.pageSize;
  if (io % ps !== 0) return H_PARAMETER;
  const entry = io / ps;
  if (entry < stt.offset || entry - stt.offset >= stt.size) return H_PARAMETER;
  // tceValidateN, inlined by hand: this is the hottest path.
  const perm = t % 4;
  const stray = t % ps - perm;
  if (stray !== 0 && kvm.kernel.config.profile === "seed") return H_PARAMETER;
  let ua = -1;
  if (perm !== 0) {
    if (stray !== 0) return H_TOO_HARD;
    ua = gpaToUaN(kvm, t - perm);
    if (ua < 0 || !linksCanMap(stt, ua)) return H_TOO_HARD;
  }
  return putOne(stt, entry, tce, perm, ua);
}

function putTceSlow(stt: SpaprTceTable, ioba: bigint, tce: bigint): bigint {
  let r = iobaValidate(stt, ioba, 1n);
  if (r !== H_SUCCESS) return r;
  r = tceValidate(stt, tce);
  if (r !== H_SUCCESS) return r;
  const perm = Number(tce & 3n);
  // Mainline: a TCE with R/W whose gpa is in no memslot → H_PARAMETER (already
  // H_TOO_HARD from the validator, kept for fidelity of the order).
  const ua = perm ? tceToUa(stt.kvm, tce) : -1;
  if (perm && ua < 0) return H_PARAMETER;
  return putOne(stt, Number(ioba >> BigInt(stt.pageShift)), tce, perm, ua);
}

/**
 * kvmppc_h_get_tce: r4 = the stored TCE.
 *
 * @example
 * ```ts
 * // kvmppcHGetTce(vcpu, [liobn, ioba], rets)
 * ```
 */
export function kvmppcHGetTce(vcpu: KvmVcpu, args: bigint[], rets: bigint[]): bigint {
  const stt = kvmppcFindTable(vcpu.kvm, args[0]!);
  if (!stt) return H_TOO_HARD;
  const ioba = args[1]!;
  const r = iobaValidate(stt, ioba, 1n);
  if (r !== H_SUCCESS) return r;
  const entry = Number(ioba >> BigInt(stt.pageShift));
  rets[0] = stt.get(entry - stt.offset);
  return H_SUCCESS;
}

/**
 * kvmppc_h_put_tce_indirect: validate every entry, then apply. Mainline's
 * apply loop converts every entry with kvmppc_tce_to_ua — even a clearing one
 * — and answers H_PARAMETER for an address in no memslot, leaving the earlier
 * entries applied (book3s_64_vio.c: `if (kvmppc_tce_to_ua(vcpu->kvm, tce,
 * &ua)) { ret = H_PARAMETER; goto unlock_exit; }`).
 *
 * @example
 * ```ts
 * // kvmppcHPutTceIndirect(vcpu, [liobn, ioba, tce_list, npages], [])
 * ```
 */
export function kvmppcHPutTceIndirect(vcpu: KvmVcpu, args: bigint[], _rets: bigint[]): bigint {
  const kvm = vcpu.kvm;
  const stt = kvmppcFindTable(kvm, args[0]!);
  if (!stt) return H_TOO_HARD;
  const ioba = args[1]!, list = args[2]!, npages = args[3]!;
  if (npages > 512n) return H_PARAMETER;
  if (list & 4095n) return H_PARAMETER;
  const r0 = iobaValidate(stt, ioba, npages);
  if (r0 !== H_SUCCESS) return r0;
  const ua = tceToUa(kvm, list);
  if (ua < 0) return H_TOO_HARD;
  const n = Number(npages);
  let bytes: Uint8Array;
  try {
    bytes = kvm.owner.mm.read(ua, n * 8);
  } catch {
    return H_TOO_HARD;
  }
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Validate every entry first (big-endian u64s); keep the resolved addresses.
  const tces: bigint[] = new Array(n);
  const uas = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const hi = dv.getUint32(i * 8, false);
    tces[i] = dv.getBigUint64(i * 8, false);
    let r: bigint;
    if (hi < 0x20_0000) {
      r = tceValidateN(stt, hi * 2 ** 32 + dv.getUint32(i * 8 + 4, false));
      uas[i] = validUa;
    } else {
      r = tceValidate(stt, tces[i]!);
      uas[i] = -1;
    }
    if (r !== H_SUCCESS) return r;
  }
  const mainline = kvm.kernel.config.profile !== "seed";
  const entry = Number(ioba >> BigInt(stt.pageShift));
  for (let i = 0; i < n; i++) {
    const tce = tces[i]!;
    const perm = Number(tce & 3n);
    let eua = uas[i]!;
    if (eua < 0 && (perm !== 0 || mainline)) eua = tceToUa(kvm, tce);
    if (mainline && eua < 0) return H_PARAMETER;
    const r = putOne(stt, entry + i, tce, perm, eua);
    if (r !== H_SUCCESS) return r;
  }
  return H_SUCCESS;
}

/**
 * kvmppc_h_stuff_tce: only clearing / poisoning values in the kernel.
 *
 * @example
 * ```ts
 * // kvmppcHStuffTce(vcpu, [liobn, ioba, tce_value, npages], [])
 * ```
 */
export function kvmppcHStuffTce(vcpu: KvmVcpu, args: bigint[], _rets: bigint[]): bigint {
  const stt = kvmppcFindTable(vcpu.kvm, args[0]!);
  if (!stt) return H_TOO_HARD;
  const ioba = args[1]!, value = args[2]!, npages = args[3]!;
  const r = iobaValidate(stt, ioba, npages);
  if (r !== H_SUCCESS) return r;
  if (value & 3n) return H_PARAMETER;
  const entry = Number(ioba >> BigInt(stt.pageShift));
  const n = Number(npages);
  for (const s of stt.iommuTables) for (let i = 0; i < n; i++) clearHw(stt, s.tbl, entry + i);
  for (let i = 0; i < n; i++) stt.put(entry + i - stt.offset, value);
  stt.stats.puts += n;
  return H_SUCCESS;
}

// ---------------------------------------------------------------- registration

const ext = kvmArch("ppc64le");
ext.caps.set(Number(KVM_CAP.KVM_CAP_SPAPR_TCE), () => 1);
ext.caps.set(Number(KVM_CAP.KVM_CAP_SPAPR_TCE_64), () => 1);
ext.caps.set(Number(KVM_CAP.KVM_CAP_SPAPR_TCE_VFIO), () => 1);
ext.caps.set(Number(KVM_CAP.KVM_CAP_SPAPR_MULTITCE), () => 1);
ext.vmIoctls.push(
  [KVM_CREATE_SPAPR_TCE, (kvm, arg) => {
    const v = readArg(() =>
      decodeStruct(kvm_create_spapr_tce, kvm.kernel.current.mm.read(Number(arg), 16))
    );
    // powerpc.c converts the legacy call: 4K pages, offset 0, size = window_size >> 12.
    return createSpaprTce(kvm, v.liobn as bigint, 12, 0n, (v.window_size as bigint) >> 12n);
  }],
  [KVM_CREATE_SPAPR_TCE_64, (kvm, arg) => {
    const v = readArg(() =>
      decodeStruct(kvm_create_spapr_tce_64, kvm.kernel.current.mm.read(Number(arg), 32))
    );
    if (v.flags !== 0n) throw new Errno(EINVAL, "flags must be 0");
    const shift = v.page_shift as bigint;
    return createSpaprTce(
      kvm,
      v.liobn as bigint,
      shift > 64n ? 65 : Number(shift),
      v.offset as bigint,
      v.size as bigint,
    );
  }],
);
kvmppcRegisterHcall(H_PUT_TCE.nr, kvmppcHPutTce, true);
kvmppcRegisterHcall(H_GET_TCE.nr, kvmppcHGetTce, true);
kvmppcRegisterHcall(H_PUT_TCE_INDIRECT.nr, kvmppcHPutTceIndirect, false);
kvmppcRegisterHcall(H_STUFF_TCE.nr, kvmppcHStuffTce, false);
