/**
 * A process address space (struct mm_struct): VMAs from mmap, a sparse page
 * table filled on first touch, and get_user_pages() for drivers that pin
 * memory (VFIO, sPAPR pre-registration, vhost). Accesses outside a VMA or
 * against its protection fail with EFAULT, as copy_{from,to}_user do.
 *
 * @example
 * ```ts
 * import { MM, PROT_READ, PROT_WRITE, MAP_PRIVATE, MAP_ANONYMOUS } from "./mm.ts";
 * import { PhysMem } from "./phys.ts";
 * const mm = new MM(new PhysMem(4096));
 * const a = mm.mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, "anon");
 * mm.write(a + 4090, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
 * console.log(mm.read(a + 4094, 2)); // Uint8Array(2) [ 5, 6 ]
 * ```
 * @module
 */
import { EFAULT, EINVAL, ENOMEM } from "../include/uapi/asm-generic/errno.ts";
import { Errno } from "../kernel/errno.ts";
import type { PhysMem } from "./phys.ts";

export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const PROT_EXEC = 4;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_NORESERVE = 0x4000;

/** One mapping. `fault` supplies the physical page for file mappings. */
export interface Vma {
  start: number;
  end: number;
  prot: number;
  flags: number;
  name: string;
  /** For device/file mappings: physical address of page `index` of the mapping. */
  fault?: (index: number) => number;
}

const TOP = 0x7fff_0000_0000;
const HUGE = 2 * 1024 * 1024;
/** Page numbers are kept relative to this so Map keys stay small integers (fast). */
const PT_BASE = 0x7f00_0000_0000;

/** An address space. */
export class MM {
  readonly phys: PhysMem;
  readonly pageSize: number;
  vmas: Vma[] = [];
  /**
   * Bumped whenever a translation may go away (munmap, MAP_FIXED over a
   * range), the way an MMU notifier fires: caches of VA → physical frame kept
   * outside the mm (DMA engines, the guest's stage-2 view) drop on a change.
   */
  generation = 0;
  /**
   * mm->locked_vm, in pages: memory accounted against RLIMIT_MEMLOCK by
   * VFIO type1 pinning, sPAPR pre-registration and v1 windows, KVM TCE
   * tables (mm/util.ts account_locked_vm).
   */
  lockedVm = 0;
  #pt = new Map<number, number>();
  #pins = new Map<number, number>();
  #base = TOP;
  #last: Vma | undefined;
  /** One-entry TLB: the last translated page. */
  #tlbKey = NaN;
  #tlbPa = 0;
  #tlbWrite = false;

  constructor(phys: PhysMem) {
    this.phys = phys;
    this.pageSize = phys.pageSize;
  }

  /** mmap(): returns the start address, or throws Errno. */
  mmap(
    addr: number,
    len: number,
    prot: number,
    flags: number,
    name: string,
    fault?: Vma["fault"],
  ): number {
    if (len <= 0 || !Number.isSafeInteger(len)) throw new Errno(EINVAL, "bad length");
    const ps = this.pageSize;
    const size = Math.ceil(len / ps) * ps;
    let start: number;
    if (flags & MAP_FIXED) {
      if (addr % ps !== 0) throw new Errno(EINVAL, "unaligned MAP_FIXED address");
      start = addr;
      this.munmap(start, size);
    } else {
      const align = size >= HUGE ? HUGE : ps;
      start = Math.floor((this.#base - size) / align) * align;
      if (start < 0x1000_0000) throw new Errno(ENOMEM);
      this.#base = start;
    }
    const v: Vma = { start, end: start + size, prot, flags, name, ...(fault ? { fault } : {}) };
    this.vmas.push(v);
    this.vmas.sort((a, b) => a.start - b.start);
    return start;
  }

  /** munmap(): drops VMAs (or parts) and their pages. */
  munmap(addr: number, len: number): void {
    const end = addr + len;
    const keep: Vma[] = [];
    for (const v of this.vmas) {
      if (v.end <= addr || v.start >= end) {
        keep.push(v);
        continue;
      }
      if (v.start < addr) keep.push({ ...v, end: addr });
      if (v.end > end) keep.push({ ...v, start: end });
    }
    for (let a = addr; a < end; a += this.pageSize) this.#pt.delete((a - PT_BASE) / this.pageSize);
    this.vmas = keep.sort((a, b) => a.start - b.start);
    this.#last = undefined;
    this.#tlbKey = NaN;
    this.generation++;
  }

  /** The VMA containing `addr`, if any. */
  findVma(addr: number): Vma | undefined {
    const l = this.#last;
    if (l && addr >= l.start && addr < l.end) return l;
    let lo = 0, hi = this.vmas.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.vmas[mid]!;
      if (addr < v.start) hi = mid - 1;
      else if (addr >= v.end) lo = mid + 1;
      else {
        this.#last = v;
        return v;
      }
    }
    return undefined;
  }

  /**
   * Physical address backing `addr`, faulting the page in. Throws EFAULT when
   * unmapped or when the protection forbids the access. A read of a never
   * written anonymous page returns -1 (the zero page) without allocating.
   */
  translate(addr: number, write: boolean, populate = write): number {
    const ps = this.pageSize;
    const off = addr - Math.floor(addr / ps) * ps; // not %: a double % is a libm call
    const key = (addr - off - PT_BASE) / ps;
    if (key === this.#tlbKey && (this.#tlbWrite || !write)) return this.#tlbPa + off;
    const v = this.findVma(addr);
    if (!v) throw new Errno(EFAULT, `no mapping at 0x${addr.toString(16)}`);
    if (write ? !(v.prot & PROT_WRITE) : !(v.prot & (PROT_READ | PROT_WRITE))) {
      throw new Errno(EFAULT, `protection at 0x${addr.toString(16)}`);
    }
    let pa = this.#pt.get(key);
    if (pa === undefined) {
      if (v.fault) pa = v.fault(Math.floor((addr - v.start) / ps));
      else if (!populate) return -1;
      else pa = this.phys.allocPage();
      this.#pt.set(key, pa);
    }
    this.#tlbKey = key;
    this.#tlbPa = pa;
    this.#tlbWrite = (v.prot & PROT_WRITE) !== 0;
    return pa + off;
  }

  /** copy_from_user. */
  read(addr: number, len: number): Uint8Array {
    const out = new Uint8Array(len);
    this.readInto(addr, out, 0, len);
    return out;
  }

  /** copy_from_user into `dst` at `dstOff` (no allocation). */
  readInto(addr: number, dst: Uint8Array, dstOff: number, len: number): void {
    const ps = this.pageSize;
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const n = Math.min(len - done, ps - (a - Math.floor(a / ps) * ps));
      const pa = this.translate(a, false);
      if (pa >= 0) this.phys.readInto(pa, dst, dstOff + done, n);
      else dst.fill(0, dstOff + done, dstOff + done + n);
      done += n;
    }
  }

  /** copy_to_user. */
  write(addr: number, data: Uint8Array): void {
    this.writeFrom(addr, data, 0, data.length);
  }

  /** copy_to_user of `len` bytes of `src` from `srcOff` (no allocation). */
  writeFrom(addr: number, src: Uint8Array, srcOff: number, len: number): void {
    const ps = this.pageSize;
    let done = 0;
    while (done < len) {
      const a = addr + done;
      const n = Math.min(len - done, ps - (a - Math.floor(a / ps) * ps));
      this.phys.writeFrom(this.translate(a, true), src, srcOff + done, n);
      done += n;
    }
  }

  /** Check that a range is mapped with the needed protection (access_ok + VMA walk). */
  accessOk(addr: number, len: number, write: boolean): boolean {
    for (let a = addr; a < addr + len;) {
      const v = this.findVma(a);
      if (!v || (write && !(v.prot & PROT_WRITE))) return false;
      a = v.end;
    }
    return true;
  }

  /**
   * Bytes from `addr` (up to `len`) that are mapped with the needed
   * protection: where a page-by-page get_user_pages() would stop.
   */
  accessOkPrefix(addr: number, len: number, write: boolean): number {
    let a = addr;
    while (a < addr + len) {
      const v = this.findVma(a);
      if (!v || (write && !(v.prot & PROT_WRITE))) break;
      a = v.end;
    }
    return Math.min(a, addr + len) - addr;
  }

  /** get_user_pages(): pin pages, returning the physical address of each. */
  pin(addr: number, npages: number, write: boolean): number[] {
    const ps = this.pageSize;
    const out: number[] = [];
    for (let i = 0; i < npages; i++) {
      const a = addr + i * ps;
      const pa = this.translate(a, write, true) - (a % ps);
      out.push(pa);
    }
    for (const pa of out) this.#pins.set(pa, (this.#pins.get(pa) ?? 0) + 1);
    return out;
  }

  /** put_page() for pinned pages. */
  unpin(pas: readonly number[]): void {
    for (const pa of pas) {
      const n = (this.#pins.get(pa) ?? 0) - 1;
      if (n <= 0) this.#pins.delete(pa);
      else this.#pins.set(pa, n);
    }
  }

  /** Pages currently pinned. */
  pinnedPages(): number {
    return this.#pins.size;
  }

  /** Pages present in the page table. */
  residentPages(): number {
    return this.#pt.size;
  }
}
