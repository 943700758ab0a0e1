/**
 * arch/powerpc/include/uapi/asm/kvm.h (reduced): the Book3S ONE_REG ids the
 * simulator implements (KVM_REG_PPC | size | index).
 *
 * @example
 * ```ts
 * import { PPC_ONE_REG } from "./kvm.ts";
 * console.log(PPC_ONE_REG.KVM_REG_PPC_DAR.toString(16)); // "103000000000000c"
 * ```
 * @module
 */

export const KVM_REG_PPC = 0x1000_0000_0000_0000n;
export const KVM_REG_SIZE_U64 = 0x0030_0000_0000_0000n;

/** ppc ONE_REG ids. */
export const PPC_ONE_REG: Readonly<Record<string, bigint>> = {
  KVM_REG_PPC_DSCR: KVM_REG_PPC | KVM_REG_SIZE_U64 | 0x9n,
  KVM_REG_PPC_PURR: KVM_REG_PPC | KVM_REG_SIZE_U64 | 0xan,
  KVM_REG_PPC_SPURR: KVM_REG_PPC | KVM_REG_SIZE_U64 | 0xbn,
  KVM_REG_PPC_DAR: KVM_REG_PPC | KVM_REG_SIZE_U64 | 0xcn,
  KVM_REG_PPC_AMR: KVM_REG_PPC | KVM_REG_SIZE_U64 | 0xen,
};
