/**
 * arch/arm64/kvm/arm.c and reset.c, reduced: VM creation with the IPA size in
 * the type, KVM_ARM_PREFERRED_TARGET / KVM_ARM_VCPU_INIT (KVM_RUN before it
 * → ENOEXEC), capability answers and the core ONE_REG registers.
 *
 * @example
 * ```ts
 * import "./arm.ts";
 * import { kvmArch, type KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
 * console.log(kvmArch("arm64").vcpuIoctls.length > 0); // true
 * ```
 * @module
 */
import { EINVAL, ENOEXEC } from "../../../include/uapi/asm-generic/errno.ts";
import { KVM_CAP } from "../../../include/uapi/linux/kvm.ts";
import { Errno } from "../../../kernel/errno.ts";
import { kvmArch, type KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import { copyStructFromUser, copyStructToUser } from "../../../virt/kvm/kvm_main.ts";
import {
  ARM64_CORE_REG,
  KVM_ARM_PREFERRED_TARGET,
  KVM_ARM_TARGET_GENERIC_V8,
  KVM_ARM_VCPU_INIT,
  kvm_vcpu_init,
} from "../include/uapi/asm/kvm.ts";

/** Largest IPA size the simulated host supports (KVM_CAP_ARM_VM_IPA_SIZE). */
export const IPA_LIMIT = 48;

/**
 * kvm_reset_vcpu's per-subsystem resets, run on every successful
 * KVM_ARM_VCPU_INIT (the timer adds kvm_timer_vcpu_reset).
 *
 * @example
 * ```ts
 * // armVcpuReset.push((vcpu) => { … });
 * ```
 */
export const armVcpuReset: ((vcpu: KvmVcpu) => void)[] = [];

const ext = kvmArch("arm64");
ext.maxVcpus = 512;
ext.maxVcpuId = 512;
ext.vcpuMmapPages = 2;
// arch/arm64/kvm/arm.c kvm_arch_vm_ioctl: `default: return -EINVAL;`
ext.vmIoctlDefault = EINVAL;
ext.initVm = (kvm) => {
  // arm.c kvm_arch_init_vm → kvm_init_ipa_range: type bits 7:0 = IPA bits.
  if (kvm.type & ~0xff) throw new Errno(EINVAL, "unknown type bits");
  const ipa = kvm.type & 0xff;
  if (ipa !== 0 && (ipa < 32 || ipa > IPA_LIMIT)) throw new Errno(EINVAL, "IPA size out of range");
  kvm.arch["ipa_bits"] = ipa === 0 ? 40 : ipa;
};
ext.vcpuRunCheck = (vcpu) => {
  if (!vcpu.arch["initialized"]) throw new Errno(ENOEXEC, "KVM_ARM_VCPU_INIT not done");
};
ext.caps.set(Number(KVM_CAP.KVM_CAP_ARM_VM_IPA_SIZE), () => IPA_LIMIT);
// Recommended vCPU count: min(num_online_cpus(), max) (arm.c).
ext.caps.set(
  Number(KVM_CAP.KVM_CAP_NR_VCPUS),
  (_kvm, k) => Math.min(Number(k.config.props["cpus"] ?? 4n), ext.maxVcpus),
);
ext.caps.set(Number(KVM_CAP.KVM_CAP_VCPU_ATTRIBUTES), () => 1);
ext.vmIoctls.push([KVM_ARM_PREFERRED_TARGET, (kvm, arg) => {
  copyStructToUser(kvm.kernel, kvm_vcpu_init, arg, {
    target: KVM_ARM_TARGET_GENERIC_V8,
    features: [] as never,
  });
  return 0;
}]);
ext.vcpuIoctls.push([KVM_ARM_VCPU_INIT, (vcpu, arg) => {
  const init = copyStructFromUser(vcpu.kvm.kernel, kvm_vcpu_init, arg);
  if (init.target !== KVM_ARM_TARGET_GENERIC_V8) throw new Errno(EINVAL, "target");
  vcpu.arch["initialized"] = true;
  vcpu.arch["features"] = init.features;
  // kvm_arch_vcpu_ioctl_vcpu_init → kvm_reset_vcpu: every (re-)init resets the vCPU.
  for (const f of armVcpuReset) f(vcpu);
  return 0;
}]);
const core: [string, number][] = [
  ...Array.from({ length: 31 }, (_, i) => [`x${i}`, 2 * i] as [string, number]),
  ["sp", 62],
  ["pc", 64],
  ["pstate", 66],
];
for (const [name, idx] of core) {
  const id = ARM64_CORE_REG(idx);
  ext.oneRegs.set(id, {
    name: `KVM_REG_ARM_CORE(${name})`,
    id,
    get: (
      v,
    ) => (name.startsWith("x") ? v.gpr[idx / 2]! : (v.arch[name] as bigint | undefined) ?? 0n),
    set: (v, x) => {
      if (name.startsWith("x")) v.gpr[idx / 2] = x;
      else v.arch[name] = x;
    },
  });
}
