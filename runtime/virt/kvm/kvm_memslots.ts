/**
 * The memslot half of virt/kvm/kvm_main.c: KVM_SET_USER_MEMORY_REGION
 * (kvm_vm_ioctl_set_memory_region → __kvm_set_memory_region with
 * check_memory_region_flags, then kvm_arch_prepare_memory_region) and the
 * guest-memory accessors built on the slots (gfn_to_memslot, gfn_to_hva,
 * kvm_read_guest, kvm_write_guest).
 *
 * Era differences (profile `seed` = the v5.4-era kernel the seeds run on):
 * KVM_USER_MEM_SLOTS is 512 on powerpc and arm64 in `seed` and SHRT_MAX
 * (32767) in `mainline` ("KVM: Raise the maximum number of user memslots",
 * v5.12); arm64's IPA-range check was `>=` (one page short) until v5.11.
 *
 * @example
 * ```ts
 * import { kvmUserMemSlots } from "./kvm_memslots.ts";
 * console.log(kvmUserMemSlots("seed"), kvmUserMemSlots("mainline")); // 512 32767
 * ```
 * @module
 */
import { EEXIST, EFAULT, EINVAL } from "../../include/uapi/asm-generic/errno.ts";
import { Errno } from "../../kernel/errno.ts";
import type { StructValue } from "../../kernel/layout.ts";
import type { Arch, Profile } from "../../kernel/uapi.ts";
import { type Kvm, kvmArch, type Memslot } from "./kvm_host.ts";

/**
 * KVM_USER_MEM_SLOTS: 512 per arch (arch/{powerpc,arm64}/include/asm/kvm_host.h)
 * before v5.12, SHRT_MAX minus private slots (none off x86) after.
 *
 * @example
 * ```ts
 * console.log(kvmUserMemSlots("mainline")); // 32767
 * ```
 */
export function kvmUserMemSlots(profile: Profile): number {
  return profile === "seed" ? 512 : 32767;
}

/** KVM_MEM_MAX_NR_PAGES ((1UL << 31) - 1, include/linux/kvm_host.h). */
export const KVM_MEM_MAX_NR_PAGES = 2 ** 31 - 1;

const KVM_MEM_LOG_DIRTY_PAGES = 1n;
const KVM_MEM_READONLY = 2n;

/**
 * The top of the user address space that access_ok() checks against (it checks
 * the range, not that it is mapped): arm64 TASK_SIZE_64 = 1 << VA_BITS (48);
 * Book3S-64 with 64K pages TASK_SIZE_USER64 = TASK_SIZE_4PB (1 << 52,
 * asm/task_size_64.h); x86_64 TASK_SIZE_MAX = (1 << 47) − PAGE_SIZE.
 *
 * @example
 * ```ts
 * console.log(userAddrMax("arm64") === 2 ** 48); // true
 * ```
 */
export function userAddrMax(arch: Arch): number {
  return arch === "arm64" ? 2 ** 48 : arch === "ppc64le" ? 2 ** 52 : 2 ** 47 - 4096;
}

/**
 * check_memory_region_flags: LOG_DIRTY_PAGES always; READONLY only where the
 * uapi defines __KVM_HAVE_READONLY_MEM (x86, arm64 — not powerpc).
 */
function validMemFlags(arch: Arch): bigint {
  return arch === "ppc64le" ? KVM_MEM_LOG_DIRTY_PAGES : KVM_MEM_LOG_DIRTY_PAGES | KVM_MEM_READONLY;
}

/**
 * KVM_SET_USER_MEMORY_REGION, in the kernel's order (all EINVAL unless noted):
 * (u16)slot ≥ KVM_USER_MEM_SLOTS; flags outside check_memory_region_flags;
 * size / GPA / HVA not page aligned; HVA range beyond the user address space
 * (access_ok); as_id ≠ 0; GPA + size wraps; npages > KVM_MEM_MAX_NR_PAGES;
 * delete of an empty slot; a modify that changes HVA or size or flips
 * READONLY; identical → 0; CREATE/MOVE overlapping another slot → EEXIST;
 * then kvm_arch_prepare_memory_region (arm64: beyond the IPA space → EFAULT).
 *
 * @example
 * ```ts
 * // setMemoryRegion(kvm, copyStructFromUser(k, kvm_userspace_memory_region, arg))
 * ```
 */
export function setMemoryRegion(kvm: Kvm, m: StructValue): number {
  const k = kvm.kernel;
  const ps = BigInt(k.config.pageSize);
  const slot = Number(m.slot as bigint);
  const flags = m.flags as bigint;
  const gpa = m.guest_phys_addr as bigint;
  const size = m.memory_size as bigint;
  const hva = m.userspace_addr as bigint;
  const as_id = slot >>> 16, id = slot & 0xffff;
  // kvm_vm_ioctl_set_memory_region
  if (id >= kvmUserMemSlots(k.config.profile)) {
    throw new Errno(EINVAL, "slot id ≥ KVM_USER_MEM_SLOTS");
  }
  // __kvm_set_memory_region: check_memory_region_flags
  if ((flags & ~validMemFlags(k.arch)) !== 0n) throw new Errno(EINVAL, "unknown flags");
  if (size % ps !== 0n || gpa % ps !== 0n || hva % ps !== 0n) {
    throw new Errno(EINVAL, "not page aligned");
  }
  // access_ok() is a range check against the user address limit, not a VMA walk.
  if (hva + size > BigInt(userAddrMax(k.arch))) {
    throw new Errno(EINVAL, "userspace_addr range beyond the user address space (access_ok)");
  }
  if (as_id !== 0) throw new Errno(EINVAL, "as_id ≥ KVM_ADDRESS_SPACE_NUM");
  if (gpa + size > 0xffff_ffff_ffff_ffffn) throw new Errno(EINVAL, "GPA + size wraps");
  if (size / ps > BigInt(KVM_MEM_MAX_NR_PAGES)) {
    throw new Errno(EINVAL, "npages > KVM_MEM_MAX_NR_PAGES");
  }
  const old = kvm.memslots.find((s) => s.id === id && s.as_id === as_id);
  const npages = Number(size / ps), base_gfn = Number(gpa / ps);
  if (size === 0n) {
    if (!old) throw new Errno(EINVAL, "delete of a slot that does not exist");
    kvm.memslots = kvm.memslots.filter((s) => s !== old);
    return 0;
  }
  if (old) {
    if (
      BigInt(old.userspace_addr) !== hva || old.npages !== npages ||
      ((BigInt(old.flags) ^ flags) & KVM_MEM_READONLY) !== 0n
    ) {
      throw new Errno(EINVAL, "modify may change only the GPA or LOG_DIRTY_PAGES");
    }
    if (old.base_gfn === base_gfn && BigInt(old.flags) === flags) return 0;
  }
  const moving = !old || old.base_gfn !== base_gfn;
  if (moving) {
    for (const s of kvm.memslots) {
      if (s === old || s.as_id !== as_id) continue;
      if (base_gfn < s.base_gfn + s.npages && s.base_gfn < base_gfn + npages) {
        throw new Errno(EEXIST, `overlaps slot ${s.id}`);
      }
    }
  }
  kvmArch(k.arch).prepareMemoryRegion?.(kvm, base_gfn, npages);
  const ns: Memslot = {
    id,
    as_id,
    flags: Number(flags),
    base_gfn,
    npages,
    userspace_addr: Number(hva),
  };
  kvm.memslots = [...kvm.memslots.filter((s) => s !== old), ns].sort((a, b) =>
    a.base_gfn - b.base_gfn
  );
  return 0;
}

/**
 * Read guest physical memory through the memslots (kvm_read_guest).
 *
 * @example
 * ```ts
 * // const bytes = kvmReadGuest(kvm, 0x1000, 16);
 * ```
 */
export function kvmReadGuest(kvm: Kvm, gpa: number, len: number): Uint8Array {
  const out = new Uint8Array(len);
  forGuestRange(kvm, gpa, len, (hva, off, n) => out.set(kvm.owner.mm.read(hva, n), off));
  return out;
}

/**
 * Write guest physical memory (kvm_write_guest).
 *
 * @example
 * ```ts
 * // kvmWriteGuest(kvm, 0x1000, bytes);
 * ```
 */
export function kvmWriteGuest(kvm: Kvm, gpa: number, data: Uint8Array): void {
  forGuestRange(kvm, gpa, data.length, (hva, off, n) => {
    kvm.owner.mm.write(hva, data.subarray(off, off + n));
  });
}

/**
 * The memslot holding a guest frame, if any (gfn_to_memslot).
 *
 * @example
 * ```ts
 * // gfnToMemslot(kvm, 0x10)
 * ```
 */
export function gfnToMemslot(kvm: Kvm, gfn: number): Memslot | undefined {
  for (const s of kvm.memslots) if (gfn >= s.base_gfn && gfn < s.base_gfn + s.npages) return s;
  return undefined;
}

/**
 * Host virtual address of a guest physical address, or undefined (gfn_to_hva).
 *
 * @example
 * ```ts
 * // gpaToHva(kvm, 0x2000)
 * ```
 */
export function gpaToHva(kvm: Kvm, gpa: number): number | undefined {
  const ps = kvm.kernel.config.pageSize;
  const s = gfnToMemslot(kvm, Math.floor(gpa / ps));
  return s ? s.userspace_addr + (gpa - s.base_gfn * ps) : undefined;
}

function forGuestRange(
  kvm: Kvm,
  gpa: number,
  len: number,
  fn: (hva: number, off: number, n: number) => void,
): void {
  const ps = kvm.kernel.config.pageSize;
  let done = 0;
  while (done < len) {
    const a = gpa + done;
    const s = gfnToMemslot(kvm, Math.floor(a / ps));
    if (!s) throw new Errno(EFAULT, `no memslot for GPA 0x${a.toString(16)}`);
    const slotEnd = (s.base_gfn + s.npages) * ps;
    const n = Math.min(len - done, slotEnd - a);
    fn(s.userspace_addr + (a - s.base_gfn * ps), done, n);
    done += n;
  }
}
