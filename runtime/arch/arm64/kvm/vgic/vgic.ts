/**
 * arch/arm64/kvm/vgic/ (vgic.c, vgic-init.c, vgic-kvm-device.c), reduced to
 * what the timer needs: a GICv3 device (KVM_DEV_TYPE_ARM_VGIC_V3) whose
 * presence makes the irqchip "in kernel", and per-vCPU private interrupts
 * (SGIs/PPIs 0–31) with a line level, an active state, a list-register copy
 * the running guest sees, and the HW mapping that lets the guest's
 * deactivation of the virtual timer IRQ deactivate the physical one.
 *
 * The list registers are filled at guest entry (vgic flush) and folded back
 * at exit (vgic sync): a line that rises while the guest runs becomes visible
 * only after an exit — which is why KVM kicks the vCPU when it injects.
 *
 * @example
 * ```ts
 * import { VGIC_NR_PRIVATE_IRQS } from "./vgic.ts";
 * console.log(VGIC_NR_PRIVATE_IRQS); // 32
 * ```
 * @module
 */
import {
  EBUSY,
  EEXIST,
  EFAULT,
  EINVAL,
  ENXIO,
} from "../../../../include/uapi/asm-generic/errno.ts";
import { KVM_DEV_TYPE } from "../../../../include/uapi/linux/kvm.ts";
import { Errno } from "../../../../kernel/errno.ts";
import type { StructValue } from "../../../../kernel/layout.ts";
import {
  type Kvm,
  type KvmDevice,
  kvmRegisterDeviceOps,
  type KvmVcpu,
} from "../../../../virt/kvm/kvm_host.ts";
import { getUserU64, putUserU64 } from "../../../../virt/kvm/kvm_main.ts";
import {
  KVM_DEV_ARM_VGIC_CTRL_INIT,
  KVM_DEV_ARM_VGIC_GRP_ADDR,
  KVM_DEV_ARM_VGIC_GRP_CTRL,
  KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
  KVM_VGIC_V3_ADDR_TYPE_DIST,
  KVM_VGIC_V3_ADDR_TYPE_REDIST,
} from "../../include/uapi/asm/kvm.ts";

/** SGIs + PPIs. */
export const VGIC_NR_PRIVATE_IRQS = 32;
/** The GIC's "no pending interrupt" INTID (ICC_IAR1_EL1). */
export const ICC_IAR1_SPURIOUS = 1023;
const VGIC_MAX_RESERVED = 1023;
const SZ_64K = 0x10000n;

/** One private interrupt of one vCPU (struct vgic_irq, reduced). */
export interface VgicIrq {
  intid: number;
  /** line_level (level-sensitive PPIs). */
  level: boolean;
  active: boolean;
  enabled: boolean;
  /** Mapped to a physical interrupt (the HW bit in the list register). */
  hw: boolean;
  /** In a list register as pending: what the running guest can acknowledge. */
  lrPending: boolean;
}

/** The distributor state of a VM (struct vgic_dist, reduced). */
export interface VgicDist {
  version: 3;
  initialized: boolean;
  nr_spis: number;
  dist_base: bigint | undefined;
  redist_base: bigint | undefined;
}

/** What the rest of KVM supplies: kick a running vCPU / wake a blocked one, deactivate a physical IRQ. */
export const vgicHooks = {
  kick: (_vcpu: KvmVcpu): void => {},
  deactivatePhys: (_vcpu: KvmVcpu, _intid: number): void => {},
};

/**
 * The VM's vgic, or undefined with no in-kernel irqchip (irqchip_in_kernel()).
 *
 * @example
 * ```ts
 * // if (!vgicOf(kvm)) throw new Errno(EINVAL);
 * ```
 */
export function vgicOf(kvm: Kvm): VgicDist | undefined {
  return kvm.arch["vgic"] as VgicDist | undefined;
}

/**
 * The private interrupts of a vCPU, created on first use.
 *
 * @example
 * ```ts
 * // vgicPrivate(vcpu)[27].level
 * ```
 */
export function vgicPrivate(vcpu: KvmVcpu): VgicIrq[] {
  let a = vcpu.arch["vgicIrqs"] as VgicIrq[] | undefined;
  if (!a) {
    // Enabled at reset here: the simulated guest's firmware enables its PPIs (GICR_ISENABLER0) at boot.
    a = Array.from({ length: VGIC_NR_PRIVATE_IRQS }, (_, intid) => ({
      intid,
      level: false,
      active: false,
      enabled: true,
      hw: false,
      lrPending: false,
    }));
    vcpu.arch["vgicIrqs"] = a;
  }
  return a;
}

/**
 * kvm_vgic_inject_irq(kvm, vcpu, intid, level): set a PPI's line level; a
 * newly deliverable interrupt kicks the vCPU (or wakes it from WFI).
 *
 * @example
 * ```ts
 * // kvmVgicInjectIrq(vcpu, 27, true)
 * ```
 */
export function kvmVgicInjectIrq(vcpu: KvmVcpu, intid: number, level: boolean): void {
  const irq = vgicPrivate(vcpu)[intid]!;
  if (irq.level === level) return;
  irq.level = level;
  if (level && irq.enabled && !irq.active) vgicHooks.kick(vcpu);
}

/**
 * kvm_vgic_map_phys_irq: the virtual PPI is backed by a physical interrupt.
 *
 * @example
 * ```ts
 * // kvmVgicMapPhysIrq(vcpu, 27)
 * ```
 */
export function kvmVgicMapPhysIrq(vcpu: KvmVcpu, intid: number): void {
  vgicPrivate(vcpu)[intid]!.hw = true;
}

/**
 * kvm_vgic_reset_mapped_irq (vgic.c; called by kvm_timer_vcpu_reset): a
 * HW-mapped interrupt forgets its active, pending and line state, so a
 * vCPU reset in the middle of a timer interrupt starts clean. Unmapped
 * interrupts are left alone.
 *
 * @example
 * ```ts
 * // kvmVgicResetMappedIrq(vcpu, 27)
 * ```
 */
export function kvmVgicResetMappedIrq(vcpu: KvmVcpu, intid: number): void {
  const irq = vgicPrivate(vcpu)[intid]!;
  if (!irq.hw) return;
  irq.active = false;
  irq.lrPending = false;
  irq.level = false;
}

/**
 * kvm_vgic_map_is_active: is the mapped virtual interrupt active in the vgic?
 *
 * @example
 * ```ts
 * // kvmVgicMapIsActive(vcpu, 27)
 * ```
 */
export function kvmVgicMapIsActive(vcpu: KvmVcpu, intid: number): boolean {
  return vgicPrivate(vcpu)[intid]!.active;
}

/**
 * kvm_vgic_vcpu_pending_irq: something would be delivered if the vCPU ran.
 *
 * @example
 * ```ts
 * // if (kvmVgicVcpuPendingIrq(vcpu)) return; // do not block
 * ```
 */
export function kvmVgicVcpuPendingIrq(vcpu: KvmVcpu): boolean {
  return vgicPrivate(vcpu).some((i) => i.enabled && !i.active && (i.level || i.lrPending));
}

/**
 * Guest entry (kvm_vgic_flush_hwstate): put deliverable interrupts in list registers.
 *
 * @example
 * ```ts
 * // vgicFlush(vcpu)
 * ```
 */
export function vgicFlush(vcpu: KvmVcpu): void {
  for (const i of vgicPrivate(vcpu)) if (i.level && i.enabled && !i.active) i.lrPending = true;
}

/**
 * Guest exit (kvm_vgic_sync_hwstate): a level interrupt whose line fell before
 * the guest took it is no longer pending (pruned from the ap_list).
 *
 * @example
 * ```ts
 * // vgicSync(vcpu)
 * ```
 */
export function vgicSync(vcpu: KvmVcpu): void {
  for (const i of vgicPrivate(vcpu)) if (i.lrPending && !i.level) i.lrPending = false;
}

/**
 * The guest reads ICC_IAR1_EL1: the lowest pending INTID in the list
 * registers becomes active; 1023 when nothing is pending.
 *
 * @example
 * ```ts
 * // const intid = vgicGuestAck(vcpu);
 * ```
 */
export function vgicGuestAck(vcpu: KvmVcpu): number {
  const irq = vgicPrivate(vcpu).find((i) => i.lrPending && i.enabled);
  if (!irq) return ICC_IAR1_SPURIOUS;
  irq.lrPending = false;
  irq.active = true;
  return irq.intid;
}

/**
 * The guest writes ICC_EOIR1_EL1 (EOImode 0: drop and deactivate). A HW-mapped
 * interrupt also deactivates its physical interrupt.
 *
 * @example
 * ```ts
 * // vgicGuestEoi(vcpu, 27)
 * ```
 */
export function vgicGuestEoi(vcpu: KvmVcpu, intid: number): boolean {
  const irq = vgicPrivate(vcpu)[intid];
  if (!irq || !irq.active) return false;
  irq.active = false;
  if (irq.hw) vgicHooks.deactivatePhys(vcpu, intid);
  return true;
}

/**
 * GICR_ISPENDR0 as the guest reads it: pending = line level or in an LR as pending.
 *
 * @example
 * ```ts
 * // vgicIsPending(vcpu, 27)
 * ```
 */
export function vgicIsPending(vcpu: KvmVcpu, intid: number): boolean {
  const i = vgicPrivate(vcpu)[intid]!;
  return i.level || i.lrPending;
}

/**
 * vgic lazy init on the first KVM_RUN (kvm_vgic_map_resources).
 *
 * @example
 * ```ts
 * // vgicLazyInit(kvm)
 * ```
 */
export function vgicLazyInit(kvm: Kvm): void {
  const d = vgicOf(kvm);
  if (d) d.initialized = true;
}

function readU32(dev: KvmDevice, addr: bigint): number {
  try {
    return new DataView(dev.kvm.kernel.current.mm.read(Number(addr), 4).buffer).getUint32(0, true);
  } catch {
    throw new Errno(EFAULT);
  }
}

function vgicSetAttr(dev: KvmDevice, attr: StructValue): number {
  const d = dev.private as VgicDist;
  const group = attr.group as bigint, a = attr.attr as bigint, addr = attr.addr as bigint;
  switch (group) {
    case KVM_DEV_ARM_VGIC_GRP_NR_IRQS: {
      const val = readU32(dev, addr);
      // vgic_set_common_attr: ≥ 32 SPIs beyond the private ones, ≤ 1023, a multiple of 32.
      if (val < VGIC_NR_PRIVATE_IRQS + 32 || val > VGIC_MAX_RESERVED || (val & 31)) {
        throw new Errno(EINVAL, "nr_irqs must be 64..1023 and a multiple of 32");
      }
      if (d.initialized || d.nr_spis) {
        throw new Errno(EBUSY, "nr_irqs already set or vgic initialised");
      }
      d.nr_spis = val - VGIC_NR_PRIVATE_IRQS;
      return 0;
    }
    case KVM_DEV_ARM_VGIC_GRP_ADDR: {
      const v = getUserU64(dev.kvm.kernel, addr);
      if (a !== KVM_VGIC_V3_ADDR_TYPE_DIST && a !== KVM_VGIC_V3_ADDR_TYPE_REDIST) {
        throw new Errno(ENXIO);
      }
      if (v % SZ_64K !== 0n) throw new Errno(EINVAL, "base not 64K aligned");
      const key = a === KVM_VGIC_V3_ADDR_TYPE_DIST ? "dist_base" : "redist_base";
      if (d[key] !== undefined) throw new Errno(EEXIST, "base already set");
      d[key] = v;
      return 0;
    }
    case KVM_DEV_ARM_VGIC_GRP_CTRL:
      if (a !== KVM_DEV_ARM_VGIC_CTRL_INIT) throw new Errno(ENXIO);
      d.initialized = true;
      return 0;
  }
  throw new Errno(ENXIO);
}

function vgicGetAttr(dev: KvmDevice, attr: StructValue): number {
  const d = dev.private as VgicDist;
  const group = attr.group as bigint, a = attr.attr as bigint, addr = attr.addr as bigint;
  const k = dev.kvm.kernel;
  if (group === KVM_DEV_ARM_VGIC_GRP_NR_IRQS) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, d.nr_spis + VGIC_NR_PRIVATE_IRQS, true);
    k.current.mm.write(Number(addr), b);
    return 0;
  }
  if (
    group === KVM_DEV_ARM_VGIC_GRP_ADDR &&
    (a === KVM_VGIC_V3_ADDR_TYPE_DIST || a === KVM_VGIC_V3_ADDR_TYPE_REDIST)
  ) {
    putUserU64(k, addr, (a === KVM_VGIC_V3_ADDR_TYPE_DIST ? d.dist_base : d.redist_base) ?? 0n);
    return 0;
  }
  throw new Errno(ENXIO);
}

function vgicHasAttr(_dev: KvmDevice, attr: StructValue): number {
  const group = attr.group as bigint, a = attr.attr as bigint;
  if (group === KVM_DEV_ARM_VGIC_GRP_NR_IRQS) return 0;
  if (group === KVM_DEV_ARM_VGIC_GRP_CTRL && a === KVM_DEV_ARM_VGIC_CTRL_INIT) return 0;
  if (
    group === KVM_DEV_ARM_VGIC_GRP_ADDR &&
    (a === KVM_VGIC_V3_ADDR_TYPE_DIST || a === KVM_VGIC_V3_ADDR_TYPE_REDIST)
  ) {
    return 0;
  }
  throw new Errno(ENXIO);
}

kvmRegisterDeviceOps(Number(KVM_DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3), {
  name: "arm-vgic-v3",
  create(dev: KvmDevice) {
    const kvm = dev.kvm;
    // kvm_vgic_create: one vgic per VM; not after a vCPU has run.
    if (vgicOf(kvm)) throw new Errno(EEXIST, "the VM already has a vgic");
    if (kvm.vcpus.some((v) => v.hasRun)) throw new Errno(EBUSY, "a vCPU has already run");
    const d: VgicDist = {
      version: 3,
      initialized: false,
      nr_spis: 0,
      dist_base: undefined,
      redist_base: undefined,
    };
    dev.private = d;
    kvm.arch["vgic"] = d;
  },
  set_attr: vgicSetAttr,
  get_attr: vgicGetAttr,
  has_attr: vgicHasAttr,
  describe(dev) {
    const d = dev.private as VgicDist;
    return `GICv3, ${d.nr_spis + VGIC_NR_PRIVATE_IRQS} IRQs, ${
      d.initialized ? "initialised" : "not initialised"
    }`;
  },
});
