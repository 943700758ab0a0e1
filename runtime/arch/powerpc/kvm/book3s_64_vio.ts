/**
 * arch/powerpc/kvm/book3s_64_vio.c: guest-view TCE tables
 * (KVM_CREATE_SPAPR_TCE / _64, one per LIOBN, an mmap-able fd) and their
 * links to hardware TCE tables of VFIO groups (the KVM-VFIO device's attach /
 * release). The in-kernel TCE hypercalls that read and write these tables
 * (H_PUT_TCE, H_GET_TCE, H_STUFF_TCE, H_PUT_TCE_INDIRECT) are in
 * book3s_64_vio_hcalls.ts; mainline keeps both halves in book3s_64_vio.c.
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
import { type Kvm, kvmArch } from "../../../virt/kvm/kvm_host.ts";
import type { MM } from "../../../mm/mm.ts";
import { accountLockedVm } from "../../../mm/util.ts";
import type { IommuGroup } from "../../../drivers/iommu/iommu.ts";
import {
  IOMMU_TABLE_GROUP_MAX_TABLES,
  type IommuTable,
} from "../../../drivers/iommu/iommu_table.ts";
import {
  KVM_CREATE_SPAPR_TCE,
  kvm_create_spapr_tce,
  KVM_CREATE_SPAPR_TCE_64,
  kvm_create_spapr_tce_64,
} from "../include/uapi/asm/kvm_spapr_tce.ts";

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
  /** Pages accounted to locked_vm at creation (kvmppc_stt_pages), and to which mm. */
  locked = 0;
  lockedMm: MM | undefined;
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
    // kvm_spapr_tce_release: account_locked_vm(kvm->mm, …, false); 2016:
    // kvmppc_account_memlimit(…, false) on current->mm (whoever closes it).
    const k = stt.kvm.kernel;
    const mm = k.config.profile === "seed" ? k.current.mm : stt.lockedMm;
    if (mm) mm.lockedVm -= Math.min(stt.locked, mm.lockedVm);
    stt.locked = 0;
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
 * sizeof(struct kvmppc_spapr_tce_table) on ppc64: mainline 120 (list, kvm,
 * liobn, rcu, page_shift, offset, size, iommu_tables, alloc_lock); the
 * seed's 2016 struct 88 (no alloc_lock mutex).
 */
const STT_STRUCT = (seed: boolean) => (seed ? 88n : 120n);

/**
 * kvmppc_stt_pages(kvmppc_tce_pages(size)): the TCE pages plus the pages
 * of the struct with its page-pointer array — what is charged to locked_vm.
 *
 * @example
 * ```ts
 * console.log(kvmppcSttPages(262144n, 65536, false)); // 33 (1 GiB of 4K TCEs)
 * ```
 */
export function kvmppcSttPages(size: bigint, pageSize: number, seed: boolean): number {
  const ps = BigInt(pageSize);
  const tcePages = (size * 8n + ps - 1n) / ps;
  const sttBytes = STT_STRUCT(seed) + tcePages * 8n;
  return Number(tcePages + (sttBytes + ps - 1n) / ps);
}

/**
 * kvm_vm_ioctl_create_spapr_tce with the _64 arguments. Mainline: size 0,
 * page_shift outside 12..34 or a window past 2^64 → EINVAL, then ENOMEM, then
 * a duplicate LIOBN → EBUSY. Seed (2016): size 0 → EINVAL, duplicate → EBUSY,
 * then ENOMEM; any page shift and offset are taken. The ENOMEM comes first
 * from the locked-memory accounting of kvmppcSttPages: mainline
 * account_locked_vm(kvm->mm, …) with current's RLIMIT_MEMLOCK, 2016
 * kvmppc_account_memlimit on current->mm (CAP_IPC_LOCK bypasses both); a
 * later failure (KMALLOC_MAX_SIZE, mainline's EBUSY) credits it back.
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
  const seed = kvm.kernel.config.profile === "seed";
  if (seed) {
    // 2016 (book3s_64_vio.c of v4.6 and the seed series): only `!args->size`
    // is refused, then a duplicate LIOBN, before any accounting. A page shift
    // ≥ 64 would be undefined behaviour in C; the simulator refuses it.
    if (size === 0n || pageShift > 63) {
      throw new Errno(EINVAL, pageShift > 63 ? "page_shift ≥ 64" : "size 0");
    }
    if (kvmppcFindTable(kvm, liobn)) {
      throw new Errno(EBUSY, `liobn 0x${liobn.toString(16)} already has a table`);
    }
  } else if (
    size === 0n || pageShift < 12 || pageShift > 34 ||
    BigInt.asUintN(64, offset + size) > 0xffff_ffff_ffff_ffffn >> BigInt(pageShift)
  ) {
    throw new Errno(EINVAL, "size 0, page_shift outside 12..34, or window past 2^64");
  }
  const k = kvm.kernel;
  const ps = k.config.pageSize;
  const npages = (size * 8n + BigInt(ps) - 1n) / BigInt(ps);
  const locked = kvmppcSttPages(size, ps, seed);
  const mm = seed ? k.current.mm : kvm.owner.mm;
  accountLockedVm(mm, locked, true, k.current, k.config.profile);
  try {
    if (npages * 8n + 64n > BigInt(KMALLOC_MAX(ps))) {
      throw new Errno(ENOMEM, "table page array exceeds KMALLOC_MAX_SIZE");
    }
    // Mainline checks the LIOBN under kvm->lock, after the accounting.
    if (!seed && kvmppcFindTable(kvm, liobn)) {
      throw new Errno(EBUSY, `liobn 0x${liobn.toString(16)} already has a table`);
    }
  } catch (e) {
    mm.lockedVm -= Math.min(locked, mm.lockedVm);
    throw e;
  }
  const stt = new SpaprTceTable(kvm, liobn, pageShift, offset, size);
  stt.locked = locked;
  stt.lockedMm = mm;
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
