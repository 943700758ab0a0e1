/**
 * Helpers for the KVM core tests.
 *
 * @example
 * ```ts
 * import { region } from "./test_util.ts";
 * console.log(region(1, 0x1000, 0x10000, 0x7f0000000000).slot); // 1n
 * ```
 * @module
 */

/**
 * A struct kvm_userspace_memory_region input, by field.
 *
 * @example
 * ```ts
 * import { region } from "./test_util.ts";
 * console.log(region(0, 0, 4096, 0x1000, 2).flags); // 2n (KVM_MEM_READONLY)
 * ```
 */
export const region = (slot: number, gpa: number, size: number, hva: number, flags = 0) => ({
  slot: BigInt(slot),
  flags: BigInt(flags),
  guest_phys_addr: BigInt(gpa),
  memory_size: BigInt(size),
  userspace_addr: BigInt(hva),
});
