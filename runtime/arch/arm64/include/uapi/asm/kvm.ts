/**
 * arch/arm64/include/uapi/asm/kvm.h (reduced): vCPU init, the ONE_REG id
 * layout for core and system registers.
 *
 * @example
 * ```ts
 * import { ARM64_SYS_REG, ARM64_CORE_REG } from "./kvm.ts";
 * console.log(ARM64_SYS_REG(3, 3, 14, 3, 1).toString(16), ARM64_CORE_REG(0).toString(16));
 * // "603000000013df19" "6030000000100000"
 * ```
 * @module
 */
import { defineStruct } from "../../../../../kernel/layout.ts";
import { IOR, IOW } from "../../../../../kernel/uapi.ts";
import { KVMIO } from "../../../../../include/uapi/linux/kvm.ts";
import { registerUapi } from "../../../../../kernel/uapi_registry.ts";

export const KVM_REG_ARM64 = 0x6000_0000_0000_0000n;
export const KVM_REG_SIZE_U64 = 0x0030_0000_0000_0000n;
export const KVM_REG_ARM_CORE = 0x0010_0000n;
export const KVM_REG_ARM64_SYSREG = 0x0013_0000n;

/**
 * ONE_REG id of a system register: ARM64_SYS_REG(op0, op1, CRn, CRm, op2).
 *
 * @example
 * ```ts
 * console.log(ARM64_SYS_REG(3, 3, 14, 0, 2).toString(16)); // "603000000013df02"
 * ```
 */
export function ARM64_SYS_REG(op0: number, op1: number, crn: number, crm: number, op2: number): bigint {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM64_SYSREG |
    BigInt((op0 << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2);
}

/**
 * ONE_REG id of core register `index` in 32-bit words of struct kvm_regs
 * (x_n = 2n, sp = 62, pc = 64, pstate = 66).
 *
 * @example
 * ```ts
 * console.log(ARM64_CORE_REG(64).toString(16)); // "6030000000100040"
 * ```
 */
export function ARM64_CORE_REG(index: number): bigint {
  return KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | BigInt(index);
}

export const kvm_vcpu_init = defineStruct("kvm_vcpu_init", [
  ["target", "u32"],
  ["features", { array: "u32", count: 7 }],
], { doc: "Target CPU type and feature bitmap for KVM_ARM_VCPU_INIT." });

const SRC = "arch/arm64/include/uapi/asm/kvm.h";
export const KVM_ARM_VCPU_INIT = IOW("KVM_ARM_VCPU_INIT", KVMIO, 0xae, 32, {
  kind: "struct",
  struct: kvm_vcpu_init,
  io: "in",
}, {
  fd: "vcpu",
  source: "include/uapi/linux/kvm.h",
  doc: "Initialises an arm64 vCPU; KVM_RUN before it fails with ENOEXEC.",
  errors: ["EINVAL: target is not the preferred target or unknown feature bits"],
});
export const KVM_ARM_PREFERRED_TARGET = IOR("KVM_ARM_PREFERRED_TARGET", KVMIO, 0xaf, 32, {
  kind: "struct",
  struct: kvm_vcpu_init,
  io: "out",
}, { fd: "vm", source: "include/uapi/linux/kvm.h", doc: "The target to pass to KVM_ARM_VCPU_INIT." });

/** KVM_ARM_TARGET_GENERIC_V8 */
export const KVM_ARM_TARGET_GENERIC_V8 = 5n;
export { SRC as ARM64_UAPI_SOURCE };

registerUapi({
  ioctls: [KVM_ARM_VCPU_INIT, KVM_ARM_PREFERRED_TARGET],
  constants: [{ group: "KVM_ARM_TARGET", source: SRC, values: { KVM_ARM_TARGET_GENERIC_V8 } }],
});
