/**
 * arch/powerpc/kvm/book3s_64_vio.c, hypercall half: the in-kernel TCE
 * hypercalls H_PUT_TCE, H_GET_TCE, H_PUT_TCE_INDIRECT and H_STUFF_TCE
 * (kvmppc_h_put_tce and friends) with their validators (kvmppc_ioba_validate,
 * kvmppc_tce_validate, kvmppc_tce_to_ua) and the writes through to linked
 * hardware tables. Mainline keeps these in book3s_64_vio.c beside the tables;
 * the old real-mode twin was book3s_64_vio_hv.c. The tables, KVM_CREATE_SPAPR_TCE
 * and the IOMMU links stay in book3s_64_vio.ts.
 *
 * An unknown LIOBN (or anything the kernel cannot do alone) answers
 * H_TOO_HARD, which the hcall dispatcher turns into KVM_EXIT_PAPR_HCALL.
 * Profile `seed` follows the 2016 validator (a TCE address with stray bits
 * below the page → H_PARAMETER); `mainline` returns H_TOO_HARD for it and
 * lets the VMM decide (spapr-tce-vfio-sva.md §1.4).
 *
 * @example
 * ```ts
 * import { kvmppcHPutTce } from "./book3s_64_vio_hcalls.ts";
 * console.log(typeof kvmppcHPutTce); // "function"
 * ```
 * @module
 */
import type { IommuTable } from "../../../drivers/iommu/iommu_table.ts";
import { mmIommuLookup } from "../../../drivers/iommu/mm_iommu.ts";
import type { Kvm, KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import { gfnToMemslot } from "../../../virt/kvm/kvm_main.ts";
import { H } from "../include/asm/hvcall.ts";
import {
  H_GET_TCE,
  H_PUT_TCE,
  H_PUT_TCE_INDIRECT,
  H_STUFF_TCE,
} from "../include/uapi/asm/kvm_spapr_tce.ts";
import { kvmppcFindTable, type SpaprTceTable, type Stit } from "./book3s_64_vio.ts";
import { kvmppcRegisterHcall } from "./book3s_hv.ts";

const H_SUCCESS = H.H_SUCCESS!, H_PARAMETER = H.H_PARAMETER!, H_TOO_HARD = H.H_TOO_HARD!;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER), MAX_SAFE_N = Number.MAX_SAFE_INTEGER;

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

/**
 * kvmppc_tce_iommu_map / unmap for one guest entry on one HW table.
 * `noneViaMap`: mainline H_PUT_TCE_INDIRECT sends even a clearing TCE
 * (DMA_NONE) through kvmppc_tce_iommu_map, so its address must be in
 * pre-registered memory (else H_TOO_HARD), the HW entry keeps the hpa with
 * no permission, and the region's mapped count goes up with nothing to
 * bring it down again (kvmppc_tce_iommu_do_map: mm_iommu_mapped_inc, then
 * mapped_dec only `if (dir != DMA_NONE)` of the old entry).
 */
function hwMap(
  stt: SpaprTceTable,
  link: Stit,
  entry: number,
  ua: number,
  perm: number,
  noneViaMap = false,
): bigint {
  const tbl = link.tbl, sub = link.sub;
  const mm = stt.kvm.owner.mm;
  const tps = tbl.pageSize;
  for (let i = 0; i < sub; i++) {
    const e = entry * sub + i;
    if (perm === 0 && !noneViaMap) {
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
function putOne(
  stt: SpaprTceTable,
  entry: number,
  tce: bigint,
  perm: number,
  ua: number,
  noneViaMap = false,
): bigint {
  const links = stt.iommuTables;
  for (let i = 0; i < links.length; i++) {
    const r = hwMap(stt, links[i]!, entry, ua, perm, noneViaMap);
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
    const r = putOne(stt, entry + i, tce, perm, eua, mainline);
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

kvmppcRegisterHcall(H_PUT_TCE.nr, kvmppcHPutTce, true);
kvmppcRegisterHcall(H_GET_TCE.nr, kvmppcHGetTce, true);
kvmppcRegisterHcall(H_PUT_TCE_INDIRECT.nr, kvmppcHPutTceIndirect, false);
kvmppcRegisterHcall(H_STUFF_TCE.nr, kvmppcHStuffTce, false);
