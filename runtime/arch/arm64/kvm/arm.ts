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
import { EFAULT, EINVAL, ENOENT, ENOEXEC } from "../../../include/uapi/asm-generic/errno.ts";
import { KVM_CAP } from "../../../include/uapi/linux/kvm.ts";
import { Errno } from "../../../kernel/errno.ts";
import { type Kvm, kvmArch, type KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import { copyStructFromUser, copyStructToUser, KVM_REG_SIZE } from "../../../virt/kvm/kvm_main.ts";
import {
  KVM_ARM_PREFERRED_TARGET,
  KVM_ARM_TARGET_GENERIC_V8,
  KVM_ARM_VCPU_INIT,
  KVM_REG_ARM64,
  KVM_REG_ARM_CORE,
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
  // Seed era (v4.15 arm.c kvm_arch_init_vm): `if (type) return -EINVAL;` — the
  // IPA-size type bits and KVM_CAP_ARM_VM_IPA_SIZE came in v4.20.
  if (kvm.kernel.config.profile === "seed" && kvm.type !== 0) {
    throw new Errno(EINVAL, "VM type must be 0 before v4.20");
  }
  // Mainline kvm_arch_init_vm → kvm_init_ipa_range: type bits 7:0 = IPA bits.
  if (kvm.type & ~0xff) throw new Errno(EINVAL, "unknown type bits");
  const ipa = kvm.type & 0xff;
  if (ipa !== 0 && (ipa < 32 || ipa > IPA_LIMIT)) throw new Errno(EINVAL, "IPA size out of range");
  kvm.arch["ipa_bits"] = ipa === 0 ? 40 : ipa;
};
ext.vcpuRunCheck = (vcpu) => {
  if (!vcpu.arch["initialized"]) throw new Errno(ENOEXEC, "KVM_ARM_VCPU_INIT not done");
};
ext.caps.set(
  Number(KVM_CAP.KVM_CAP_ARM_VM_IPA_SIZE),
  (_kvm, k) => (k.config.profile === "seed" ? 0 : IPA_LIMIT),
);
// Recommended vCPU count: min(num_online_cpus(), max) (arm.c).
ext.caps.set(
  Number(KVM_CAP.KVM_CAP_NR_VCPUS),
  (_kvm, k) => Math.min(Number(k.config.props["cpus"] ?? 4n), ext.maxVcpus),
);
ext.caps.set(Number(KVM_CAP.KVM_CAP_VCPU_ATTRIBUTES), () => 1);
ext.vmIoctls.push([KVM_ARM_PREFERRED_TARGET, (kvm, arg) => {
  // kvm_vcpu_preferred_target: the target, and features[0] = 1 << KVM_ARM_VCPU_PSCI_0_2.
  copyStructToUser(kvm.kernel, kvm_vcpu_init, arg, {
    target: KVM_ARM_TARGET_GENERIC_V8,
    features: [1n << 2n] as never,
  });
  return 0;
}]);
/**
 * KVM_VCPU_MAX_FEATURES (asm/kvm_host.h): 4 in seed 004's era (v4.15:
 * EL1_32BIT, POWER_OFF, PSCI_0_2, PMU_V3), 8 on mainline (SVE, the two
 * PTRAUTH bits and HAS_EL2 added since).
 */
const maxFeatures = (kvm: Kvm) => (kvm.kernel.config.profile === "seed" ? 4 : 8);
/**
 * Features kvm_reset_vcpu refuses on this host (EINVAL): EL1_32BIT (1, no
 * AArch32 EL1), SVE (4), PTRAUTH_ADDRESS/GENERIC (5, 6) and HAS_EL2 (7) — the
 * host answers 0 to their capabilities.
 */
const UNSUPPORTED_FEATURES = (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7);
/** PSR_MODE_EL1h | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT | PSR_D_BIT (reset.c default_regs_reset). */
export const ARM64_RESET_PSTATE = 0x3c5n;

ext.vcpuIoctls.push([KVM_ARM_VCPU_INIT, (vcpu, arg) => {
  const init = copyStructFromUser(vcpu.kvm.kernel, kvm_vcpu_init, arg);
  const feats = (init.features as { v: bigint }[]).map((x) => Number(x.v));
  const a = vcpu.arch;
  // arm.c kvm_vcpu_set_target: target must be kvm_target_cpu(), and match a previous init.
  if (init.target !== KVM_ARM_TARGET_GENERIC_V8) throw new Errno(EINVAL, "target");
  const prev = a["features"] as number[] | undefined;
  const max = maxFeatures(vcpu.kvm);
  for (let i = 0; i < 32 * feats.length; i++) {
    const set = ((feats[i >> 5]! >>> (i & 31)) & 1) === 1;
    // "-ENOENT for unknown features, -EINVAL for invalid combinations."
    if (set && i >= max) throw new Errno(ENOENT, `unknown feature bit ${i}`);
    if (prev && i < max && (((prev[i >> 5]! >>> (i & 31)) & 1) === 1) !== set) {
      throw new Errno(EINVAL, "re-init with a different feature set");
    }
  }
  // kvm_reset_vcpu (reset.c): unsupported features → EINVAL, target left unset.
  if (feats[0]! & UNSUPPORTED_FEATURES) {
    throw new Errno(EINVAL, "feature not supported by the host");
  }
  a["initialized"] = true;
  a["features"] = feats;
  // memcpy(vcpu_gp_regs(vcpu), &default_regs_reset, …): all core regs 0, pstate EL1h+DAIF.
  vcpu.gpr.fill(0n);
  for (const k of Object.keys(a)) if (k.startsWith("core:")) delete a[k];
  a["pstate"] = ARM64_RESET_PSTATE;
  for (const f of armVcpuReset) f(vcpu);
  return 0;
}]);

// ------------------------------------------------------------ ONE_REG (guest.c)

const KVM_REG_ARM_COPROC_MASK = 0x0fff_0000n;
const KVM_REG_SIZE_MASK = 0x00f0_0000_0000_0000n;
/** sizeof(struct kvm_regs) / sizeof(u32). */
const NR_CORE_REGS = 216;
const VREG0 = 84, FPSR = 212, FPCR = 213;

/** core_reg_size_from_offset: the size in bytes at a 32-bit word offset, or -1. */
function coreRegSize(off: number): number {
  let size: number;
  if (off <= 81) size = 8; // regs[0..30], sp, pc, pstate, sp_el1, elr_el1, spsr[0..4]
  else if (off >= VREG0 && off < VREG0 + 128) size = 16;
  else if (off === FPSR || off === FPCR) size = 4;
  else return -1;
  return off % (size / 4) === 0 ? size : -1;
}

// arm.c kvm_arch_vcpu_ioctl GET/SET_ONE_REG: `r = -ENOEXEC; if (!kvm_vcpu_initialized(vcpu))`.
ext.oneRegReady = (vcpu) => {
  if (!vcpu.arch["initialized"]) throw new Errno(ENOEXEC, "KVM_ARM_VCPU_INIT not done");
};
ext.oneRegCheck = (_vcpu, id) => {
  // guest.c kvm_arm_get_reg: "We currently use nothing arch-specific in upper 32 bits".
  if ((id & ~KVM_REG_SIZE_MASK) >> 32n !== KVM_REG_ARM64 >> 32n) {
    throw new Errno(EINVAL, "not an arm64 register id");
  }
  if ((id & KVM_REG_ARM_COPROC_MASK) !== KVM_REG_ARM_CORE) return;
  // get_core_reg / set_core_reg, then validate_core_offset.
  const off = Number(id & 0xffffn);
  const size = Number(KVM_REG_SIZE(id));
  if (off >= NR_CORE_REGS || off + size / 4 >= NR_CORE_REGS) throw new Errno(ENOENT);
  if (coreRegSize(off) !== size) throw new Errno(EINVAL, "core register offset/size mismatch");
};

const SIZE: Record<number, bigint> = {
  4: 0x0020_0000_0000_0000n,
  8: 0x0030_0000_0000_0000n,
  16: 0x0040_0000_0000_0000n,
};
const core: [string, number, number][] = [
  ...Array.from({ length: 31 }, (_, i) => [`x${i}`, 2 * i, 8] as [string, number, number]),
  ["sp", 62, 8],
  ["pc", 64, 8],
  ["pstate", 66, 8],
  ["sp_el1", 68, 8],
  ["elr_el1", 70, 8],
  ...Array.from({ length: 5 }, (_, i) => [`spsr[${i}]`, 72 + 2 * i, 8] as [string, number, number]),
  ...Array.from(
    { length: 32 },
    (_, i) => [`fp_regs.vregs[${i}]`, VREG0 + 4 * i, 16] as [string, number, number],
  ),
  ["fp_regs.fpsr", FPSR, 4],
  ["fp_regs.fpcr", FPCR, 4],
];
for (const [name, idx, size] of core) {
  const id = KVM_REG_ARM64 | SIZE[size]! | KVM_REG_ARM_CORE | BigInt(idx);
  const isX = /^x\d+$/.test(name);
  const key = name === "pstate" ? "pstate" : `core:${name}`;
  ext.oneRegs.set(id, {
    name: `KVM_REG_ARM_CORE(${name})`,
    id,
    get: (v) => (isX ? v.gpr[idx / 2]! : (v.arch[key] as bigint | undefined) ?? 0n),
    set: (v, x) => {
      if (name === "pstate") {
        // set_core_reg: only AArch64 EL0t/EL1t/EL1h on this host (no AArch32) → else EINVAL.
        const mode = Number(x & 0x1fn);
        if (mode !== 0 && mode !== 4 && mode !== 5) throw new Errno(EINVAL, "pstate mode");
      }
      if (isX) v.gpr[idx / 2] = x;
      else v.arch[key] = x;
    },
  });
}

// mmu.c kvm_arch_prepare_memory_region: a slot beyond the IPA space → EFAULT.
// The seed era tested `>=` (one page short); v5.11 made it `>`.
ext.prepareMemoryRegion = (kvm, base_gfn, npages) => {
  const ipaPages = 2 ** Number(kvm.arch["ipa_bits"]) / kvm.kernel.config.pageSize;
  const end = base_gfn + npages;
  if (kvm.kernel.config.profile === "seed" ? end >= ipaPages : end > ipaPages) {
    throw new Errno(EFAULT, "memslot beyond the VM's IPA space");
  }
};
