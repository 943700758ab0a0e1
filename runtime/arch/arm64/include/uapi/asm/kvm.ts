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
export function ARM64_SYS_REG(
  op0: number,
  op1: number,
  crn: number,
  crm: number,
  op2: number,
): bigint {
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
}, {
  fd: "vm",
  source: "include/uapi/linux/kvm.h",
  doc: "The target to pass to KVM_ARM_VCPU_INIT.",
});

/** KVM_ARM_TARGET_GENERIC_V8 */
export const KVM_ARM_TARGET_GENERIC_V8 = 5n;
export { SRC as ARM64_UAPI_SOURCE };

registerUapi({
  ioctls: [KVM_ARM_VCPU_INIT, KVM_ARM_PREFERRED_TARGET],
  constants: [{ group: "KVM_ARM_TARGET", source: SRC, values: { KVM_ARM_TARGET_GENERIC_V8 } }],
});

// ------------------------------------------------------------ arch timer (kvm-nested-timer.md C.3–C.5)

/**
 * Timer ONE_REG ids. The uapi header warns that TIMER_CVAL and TIMER_CNT were
 * swapped by mistake: TIMER_CVAL carries the encoding of CNTVCT_EL0 (3,3,14,0,2)
 * and TIMER_CNT that of CNTV_CVAL_EL0 (3,3,14,3,2). The ids are ABI; userspace
 * must use these constants, never ids derived from the register encodings.
 */
export const KVM_REG_ARM_TIMER_CTL = ARM64_SYS_REG(3, 3, 14, 3, 1);
/** Encodes CNTVCT_EL0 — the swap quirk (arch/arm64/include/uapi/asm/kvm.h). */
export const KVM_REG_ARM_TIMER_CVAL = ARM64_SYS_REG(3, 3, 14, 0, 2);
/** Encodes CNTV_CVAL_EL0 — the swap quirk (arch/arm64/include/uapi/asm/kvm.h). */
export const KVM_REG_ARM_TIMER_CNT = ARM64_SYS_REG(3, 3, 14, 3, 2);
export const KVM_REG_ARM_PTIMER_CTL = ARM64_SYS_REG(3, 3, 14, 2, 1);
export const KVM_REG_ARM_PTIMER_CVAL = ARM64_SYS_REG(3, 3, 14, 2, 2);
export const KVM_REG_ARM_PTIMER_CNT = ARM64_SYS_REG(3, 3, 14, 0, 1);

/** vCPU device-attribute groups (Documentation/virt/kvm/devices/vcpu.rst). */
export const KVM_ARM_VCPU_PMU_V3_CTRL = 0n;
export const KVM_ARM_VCPU_TIMER_CTRL = 1n;
export const KVM_ARM_VCPU_PVTIME_CTRL = 2n;
export const KVM_ARM_VCPU_TIMER_IRQ_VTIMER = 0n;
export const KVM_ARM_VCPU_TIMER_IRQ_PTIMER = 1n;
export const KVM_ARM_VCPU_TIMER_IRQ_HVTIMER = 2n;
export const KVM_ARM_VCPU_TIMER_IRQ_HPTIMER = 3n;

/** GICv3 device-attribute groups (Documentation/virt/kvm/devices/arm-vgic-v3.rst). */
export const KVM_DEV_ARM_VGIC_GRP_ADDR = 0n;
export const KVM_DEV_ARM_VGIC_GRP_NR_IRQS = 3n;
export const KVM_DEV_ARM_VGIC_GRP_CTRL = 4n;
export const KVM_DEV_ARM_VGIC_CTRL_INIT = 0n;
export const KVM_VGIC_V3_ADDR_TYPE_DIST = 2n;
export const KVM_VGIC_V3_ADDR_TYPE_REDIST = 3n;

/** Userspace-irqchip level bits in kvm_run.s.regs.device_irq_level. */
export const KVM_ARM_DEV_EL1_VTIMER = 1n;
export const KVM_ARM_DEV_EL1_PTIMER = 2n;
export const KVM_ARM_DEV_PMU = 4n;

export const kvm_arm_counter_offset = defineStruct("kvm_arm_counter_offset", [
  ["counter_offset", "u64", { hex: true }],
  ["reserved", "u64"],
], {
  doc:
    "VM-wide offset subtracted from both the virtual and the physical counter views; reserved must be 0.",
});

/** _IOW(KVMIO, 0xb5, struct kvm_arm_counter_offset): 0x4010AEB5 on arm64. */
export const KVM_ARM_SET_COUNTER_OFFSET = IOW("KVM_ARM_SET_COUNTER_OFFSET", KVMIO, 0xb5, 16, {
  kind: "struct",
  struct: kvm_arm_counter_offset,
  io: "in",
}, {
  fd: "vm",
  source: "include/uapi/linux/kvm.h; arch/arm64/kvm/arch_timer.c kvm_vm_ioctl_set_counter_offset",
  doc:
    "Sets one VM-wide counter offset for both the virtual and physical timers (voffset = poffset = " +
    "counter_offset), covering vCPUs created later; afterwards SET_ONE_REG of TIMER_CNT/PTIMER_CNT is ignored. " +
    "Advertised by KVM_CAP_COUNTER_OFFSET (227).",
  errors: [
    "EINVAL: reserved ≠ 0 (api.rst §4.138)",
    "EBUSY: a vCPU cannot be locked — its thread is inside a vcpu ioctl such as KVM_RUN (lock_all_vcpus)",
    "EINVAL: always under `kernel seed` — v6.4 added the ioctl; v4.15's kvm_arch_vm_ioctl answers its " +
    "`default: return -EINVAL`",
  ],
});

const ARCH_TIMER_DOC = "kvm-nested-timer.md C.4";
const ATTR_SRC =
  "Documentation/virt/kvm/devices/vcpu.rst; arch/arm64/kvm/arch_timer.c kvm_arm_timer_set_attr";
const ATTR_RULES =
  "SET (addr → int): no in-kernel irqchip → EINVAL, unreadable addr → EFAULT, not a PPI (16 ≤ intid < 32) → " +
  "EINVAL, PPIs frozen by the VM's first KVM_RUN → EBUSY (seed profile: once this vCPU's timer is enabled). " +
  "The PPI applies VM-wide; duplicates fail the first KVM_RUN with EINVAL.";

/** Per-name help for the timer attributes, the attribute group and the counter-offset capability. */
const TIMER_ATTR_DOCS = [
  {
    name: "KVM_ARM_VCPU_TIMER_CTRL",
    doc: "vCPU attribute group 1 (KVM_SET/GET/HAS_DEVICE_ATTR on the vcpu fd): the timers' PPIs. " +
      "Attributes IRQ_VTIMER 0, IRQ_PTIMER 1, IRQ_HVTIMER 2, IRQ_HPTIMER 3 (mainline); unknown → ENXIO. " +
      ATTR_RULES,
    source: ATTR_SRC,
  },
  ...([
    ["VTIMER", "the EL1 virtual timer's PPI, default 27", "mainline and seed"],
    ["PTIMER", "the EL1 physical timer's PPI, default 30", "mainline and seed"],
    [
      "HVTIMER",
      "the EL2 virtual timer's PPI (nested virt), default 28",
      "mainline only; seed → ENXIO",
    ],
    [
      "HPTIMER",
      "the EL2 physical timer's PPI (nested virt), default 26",
      "mainline only; seed → ENXIO",
    ],
  ] as const).map(([n, what, where]) => ({
    name: `KVM_ARM_VCPU_TIMER_IRQ_${n}`,
    doc:
      `Attribute of KVM_ARM_VCPU_TIMER_CTRL: ${what} (${where}). GET returns it, HAS answers 0. ` +
      ATTR_RULES,
    source: ATTR_SRC,
  })),
  {
    name: "KVM_CAP_COUNTER_OFFSET",
    doc:
      "arm64: KVM_ARM_SET_COUNTER_OFFSET is available (one VM-wide offset for the virtual and physical " +
      "counters; afterwards ONE_REG TIMER_CNT/PTIMER_CNT writes are ignored). Since v6.4: answers 0 " +
      "under `kernel seed`.",
    source: "Documentation/virt/kvm/api.rst §4.138; kvm-nested-timer.md C.5",
  },
  {
    name: "KVM_ARM_DEV_EL1_VTIMER",
    doc:
      "kvm_run.s.regs.device_irq_level bit 0: the vtimer's output level (userspace irqchip only).",
    source: "arch/arm64/kvm/arch_timer.c kvm_timer_update_run",
  },
  {
    name: "KVM_ARM_DEV_EL1_PTIMER",
    doc:
      "kvm_run.s.regs.device_irq_level bit 1: the ptimer's output level (userspace irqchip only).",
    source: "arch/arm64/kvm/arch_timer.c kvm_timer_update_run",
  },
];
registerUapi({
  ioctls: [KVM_ARM_SET_COUNTER_OFFSET],
  structs: [kvm_arm_counter_offset],
  constants: [
    {
      group: "KVM_REG_ARM_TIMER",
      source: SRC,
      doc:
        "Timer ONE_REG ids. TIMER_CVAL and TIMER_CNT are swapped relative to their encodings (ABI quirk).",
      values: {
        KVM_REG_ARM_TIMER_CTL,
        KVM_REG_ARM_TIMER_CVAL,
        KVM_REG_ARM_TIMER_CNT,
        KVM_REG_ARM_PTIMER_CTL,
        KVM_REG_ARM_PTIMER_CVAL,
        KVM_REG_ARM_PTIMER_CNT,
      },
    },
    {
      group: "KVM_ARM_VCPU_ATTR_GROUP",
      source: SRC,
      doc: "vCPU device-attribute groups (KVM_SET/GET/HAS_DEVICE_ATTR on the vcpu fd)",
      values: { KVM_ARM_VCPU_PMU_V3_CTRL, KVM_ARM_VCPU_TIMER_CTRL, KVM_ARM_VCPU_PVTIME_CTRL },
    },
    {
      group: "KVM_ARM_VCPU_TIMER_IRQ",
      source: SRC,
      doc:
        "Attributes of KVM_ARM_VCPU_TIMER_CTRL: the PPI (16..31) of each timer; addr points to an int",
      values: {
        KVM_ARM_VCPU_TIMER_IRQ_VTIMER,
        KVM_ARM_VCPU_TIMER_IRQ_PTIMER,
        KVM_ARM_VCPU_TIMER_IRQ_HVTIMER,
        KVM_ARM_VCPU_TIMER_IRQ_HPTIMER,
      },
    },
    {
      group: "KVM_DEV_ARM_VGIC",
      source: SRC,
      doc: "GICv3 device attribute groups and address types",
      values: {
        KVM_DEV_ARM_VGIC_GRP_ADDR,
        KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
        KVM_DEV_ARM_VGIC_GRP_CTRL,
        KVM_DEV_ARM_VGIC_CTRL_INIT,
        KVM_VGIC_V3_ADDR_TYPE_DIST,
        KVM_VGIC_V3_ADDR_TYPE_REDIST,
      },
    },
    {
      group: "KVM_ARM_DEV",
      source: SRC,
      doc: "Bits of kvm_run.s.regs.device_irq_level (userspace irqchip)",
      values: { KVM_ARM_DEV_EL1_VTIMER, KVM_ARM_DEV_EL1_PTIMER, KVM_ARM_DEV_PMU },
    },
  ],
  registers: [
    {
      name: "KVM_REG_ARM_TIMER_CTL",
      id: KVM_REG_ARM_TIMER_CTL,
      source: SRC,
      doc:
        "CNTV_CTL_EL0 of the vCPU. SET strips ISTATUS; GET sets ISTATUS whenever CVAL ≤ now (even if disabled).",
    },
    {
      name: "KVM_REG_ARM_TIMER_CVAL",
      id: KVM_REG_ARM_TIMER_CVAL,
      source: SRC,
      doc:
        `CNTV_CVAL_EL0 — although the id encodes CNTVCT_EL0 (3,3,14,0,2): the swap quirk (${ARCH_TIMER_DOC}).`,
    },
    {
      name: "KVM_REG_ARM_TIMER_CNT",
      id: KVM_REG_ARM_TIMER_CNT,
      source: SRC,
      doc:
        `CNTVCT_EL0 — although the id encodes CNTV_CVAL_EL0 (3,3,14,3,2). SET moves the VM-wide virtual ` +
        `offset (voffset = physical counter − value), for every vCPU; ignored after KVM_ARM_SET_COUNTER_OFFSET.`,
    },
    {
      name: "KVM_REG_ARM_PTIMER_CTL",
      id: KVM_REG_ARM_PTIMER_CTL,
      source: SRC,
      doc: "CNTP_CTL_EL0 of the vCPU.",
    },
    {
      name: "KVM_REG_ARM_PTIMER_CVAL",
      id: KVM_REG_ARM_PTIMER_CVAL,
      source: SRC,
      doc: "CNTP_CVAL_EL0 of the vCPU.",
    },
    {
      name: "KVM_REG_ARM_PTIMER_CNT",
      id: KVM_REG_ARM_PTIMER_CNT,
      source: SRC,
      doc:
        "CNTPCT_EL0 as the guest sees it. SET sets the physical offset (poffset = counter − value); " +
        "ignored after KVM_ARM_SET_COUNTER_OFFSET.",
    },
    ...TIMER_ATTR_DOCS,
  ],
});
