/**
 * The timer's userspace interface, as arch/arm64/kvm/guest.c and the uapi
 * half of arch_timer.c define it: the timer ONE_REG registers (with the
 * TIMER_CVAL/TIMER_CNT id swap), the KVM_ARM_VCPU_TIMER_CTRL vCPU attributes,
 * KVM_CAP_COUNTER_OFFSET / KVM_ARM_SET_COUNTER_OFFSET, and the arm.c glue
 * that calls the timer at vCPU creation, first run, load and put.
 *
 * @example
 * ```ts
 * import "./guest.ts";
 * import { kvmArch } from "../../../virt/kvm/kvm_host.ts";
 * import { KVM_REG_ARM_TIMER_CNT } from "../include/uapi/asm/kvm.ts";
 * console.log(kvmArch("arm64").oneRegs.get(KVM_REG_ARM_TIMER_CNT)?.name); // "KVM_REG_ARM_TIMER_CNT"
 * ```
 * @module
 */
import { EBUSY, EFAULT, EINVAL, ENXIO } from "../../../include/uapi/asm-generic/errno.ts";
import { KVM_CAP } from "../../../include/uapi/linux/kvm.ts";
import { Errno } from "../../../kernel/errno.ts";
import type { StructValue } from "../../../kernel/layout.ts";
import { type Kvm, kvmArch, type KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import { copyStructFromUser, getUserS32 } from "../../../virt/kvm/kvm_main.ts";
import {
  kvm_arm_counter_offset,
  KVM_ARM_DEV_EL1_PTIMER,
  KVM_ARM_DEV_EL1_VTIMER,
  KVM_ARM_SET_COUNTER_OFFSET,
  KVM_ARM_VCPU_TIMER_CTRL,
  KVM_ARM_VCPU_TIMER_IRQ_HPTIMER,
  KVM_ARM_VCPU_TIMER_IRQ_HVTIMER,
  KVM_ARM_VCPU_TIMER_IRQ_PTIMER,
  KVM_ARM_VCPU_TIMER_IRQ_VTIMER,
  KVM_REG_ARM_PTIMER_CNT,
  KVM_REG_ARM_PTIMER_CTL,
  KVM_REG_ARM_PTIMER_CVAL,
  KVM_REG_ARM_TIMER_CNT,
  KVM_REG_ARM_TIMER_CTL,
  KVM_REG_ARM_TIMER_CVAL,
} from "../include/uapi/asm/kvm.ts";
import { armVcpuReset } from "./arm.ts";
import {
  ctlFromUser,
  kvmTimerShouldFire,
  kvmTimerUpdateIrq,
  kvmTimerVcpuInit,
  kvmTimerVcpuReset,
  readTimerCtl,
  timerCpu,
  timerEmulate,
  type TimerKind,
  timerNow,
  timerVm,
  vtimerInHw,
} from "./arch_timer.ts";
import { armHw } from "./pcpu.ts";
import { onRunEnter, onRunExit } from "./run.ts";
import { kvmVgicMapPhysIrq, vgicLazyInit, vgicOf } from "./vgic/vgic.ts";

const ext = kvmArch("arm64");
const SRC_TIMER = "arch/arm64/kvm/arch_timer.c";

// ------------------------------------------------------------ ONE_REG (kvm_arm_timer_get_reg / set_reg)

/** Bring a loaded vtimer's hardware state into memory before userspace touches it. */
function syncFromHw(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (vtimerInHw(vcpu) && t.enabled) {
    armHw(vcpu.kvm.kernel).inPhase("user", vcpu, () => {
      t.vtimer.ctl = t.cpu!.readCtl();
      t.vtimer.cval = t.cpu!.readCval();
    });
  }
}

/** After userspace changed a loaded vtimer, write it back to the hardware. */
function syncToHw(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (vtimerInHw(vcpu) && t.enabled) {
    armHw(vcpu.kvm.kernel).inPhase("user", vcpu, () => {
      t.cpu!.writeCval(t.vtimer.cval);
      t.cpu!.writeCtl(t.vtimer.ctl);
    });
  }
}

/**
 * kvm_arm_timer_get_reg.
 *
 * @example
 * ```ts
 * // timerGetReg(vcpu, KVM_REG_ARM_TIMER_CNT)
 * ```
 */
export function timerGetReg(vcpu: KvmVcpu, id: bigint): bigint {
  const t = timerCpu(vcpu);
  syncFromHw(vcpu);
  switch (id) {
    case KVM_REG_ARM_TIMER_CTL:
      return readTimerCtl(vcpu, "vtimer");
    case KVM_REG_ARM_TIMER_CVAL:
      return t.vtimer.cval;
    case KVM_REG_ARM_TIMER_CNT:
      return timerNow(vcpu, "vtimer");
    case KVM_REG_ARM_PTIMER_CTL:
      return readTimerCtl(vcpu, "ptimer");
    case KVM_REG_ARM_PTIMER_CVAL:
      return t.ptimer.cval;
    case KVM_REG_ARM_PTIMER_CNT:
      return timerNow(vcpu, "ptimer");
  }
  throw new Errno(EINVAL);
}

/**
 * kvm_arm_timer_set_reg: CTL drops ISTATUS (other bits are stored and read
 * back, see ctlFromUser); CNT moves the VM-wide offset
 * (offset = physical counter − value) unless KVM_ARM_SET_COUNTER_OFFSET was
 * used, in which case the write is silently ignored.
 *
 * @example
 * ```ts
 * // timerSetReg(vcpu, KVM_REG_ARM_TIMER_CNT, 0n)
 * ```
 */
export function timerSetReg(vcpu: KvmVcpu, id: bigint, value: bigint): void {
  const t = timerCpu(vcpu);
  const vm = timerVm(vcpu.kvm);
  const phys = armHw(vcpu.kvm.kernel).counter();
  syncFromHw(vcpu);
  let kind: TimerKind = "vtimer";
  switch (id) {
    case KVM_REG_ARM_TIMER_CTL:
      t.vtimer.ctl = ctlFromUser(value);
      break;
    case KVM_REG_ARM_TIMER_CVAL:
      t.vtimer.cval = value;
      break;
    case KVM_REG_ARM_TIMER_CNT:
      if (!vm.counterOffset) vm.voffset = BigInt.asUintN(64, phys - value);
      break;
    case KVM_REG_ARM_PTIMER_CTL:
      kind = "ptimer";
      t.ptimer.ctl = ctlFromUser(value);
      break;
    case KVM_REG_ARM_PTIMER_CVAL:
      kind = "ptimer";
      t.ptimer.cval = value;
      break;
    case KVM_REG_ARM_PTIMER_CNT:
      kind = "ptimer";
      if (!vm.counterOffset) vm.poffset = BigInt.asUintN(64, phys - value);
      break;
    default:
      throw new Errno(EINVAL);
  }
  syncToHw(vcpu);
  // kvm_timer_update_state/timer_emulate: the line follows the new state.
  if (t.enabled && kind === "ptimer") timerEmulate(vcpu, t.ptimer);
  if (t.enabled && kind === "vtimer" && !vtimerInHw(vcpu)) {
    const sf = (t.vtimer.ctl & 3n) === 1n && t.vtimer.cval <= timerNow(vcpu, "vtimer");
    if (sf !== t.vtimer.level) kvmTimerUpdateIrq(vcpu, sf, t.vtimer);
  }
}

const REGS: [string, bigint, string][] = [
  ["KVM_REG_ARM_TIMER_CTL", KVM_REG_ARM_TIMER_CTL, "CNTV_CTL_EL0"],
  [
    "KVM_REG_ARM_TIMER_CVAL",
    KVM_REG_ARM_TIMER_CVAL,
    "CNTV_CVAL_EL0 (id encodes CNTVCT_EL0: swap quirk)",
  ],
  [
    "KVM_REG_ARM_TIMER_CNT",
    KVM_REG_ARM_TIMER_CNT,
    "CNTVCT_EL0 (id encodes CNTV_CVAL_EL0: swap quirk)",
  ],
  ["KVM_REG_ARM_PTIMER_CTL", KVM_REG_ARM_PTIMER_CTL, "CNTP_CTL_EL0"],
  ["KVM_REG_ARM_PTIMER_CVAL", KVM_REG_ARM_PTIMER_CVAL, "CNTP_CVAL_EL0"],
  ["KVM_REG_ARM_PTIMER_CNT", KVM_REG_ARM_PTIMER_CNT, "CNTPCT_EL0"],
];
for (const [name, id, doc] of REGS) {
  ext.oneRegs.set(id, {
    name,
    id,
    doc,
    get: (v) => timerGetReg(v, id),
    set: (v, x) => timerSetReg(v, id, x),
  });
}

// ------------------------------------------------------------ KVM_ARM_VCPU_TIMER_CTRL

type PpiKey = keyof ReturnType<typeof timerVm>["ppi"];
const ATTR_KEY: Record<string, PpiKey> = {
  [String(KVM_ARM_VCPU_TIMER_IRQ_VTIMER)]: "vtimer",
  [String(KVM_ARM_VCPU_TIMER_IRQ_PTIMER)]: "ptimer",
  [String(KVM_ARM_VCPU_TIMER_IRQ_HVTIMER)]: "hvtimer",
  [String(KVM_ARM_VCPU_TIMER_IRQ_HPTIMER)]: "hptimer",
};

/**
 * The timer attribute an `attr` value names, or undefined (→ ENXIO). The EL2
 * timers' attributes (HVTIMER/HPTIMER) came with nested virt; the `seed`
 * profile's kernel knows only VTIMER and PTIMER (v4.15–v6.x
 * kvm_arm_timer_set/get/has_attr switch on those two).
 */
function attrKey(kvm: Kvm, attr: bigint): PpiKey | undefined {
  const key = ATTR_KEY[String(attr)];
  if (kvm.kernel.config.profile === "seed" && (key === "hvtimer" || key === "hptimer")) {
    return undefined;
  }
  return key;
}

/** irq_is_ppi: 16 ≤ intid < 32. */
export function irqIsPpi(irq: number): boolean {
  return irq >= 16 && irq < 32;
}

/**
 * kvm_arm_timer_set_attr: no in-kernel irqchip → EINVAL; not a PPI → EINVAL;
 * PPIs frozen → EBUSY (mainline: the VM's first KVM_RUN; seed profile: this
 * vCPU's timer enabled); unknown attr → ENXIO. The PPI applies VM-wide.
 *
 * @example
 * ```ts
 * // timerSetAttr(vcpu, { group: 1n, attr: 0n, addr })
 * ```
 */
export function timerSetAttr(vcpu: KvmVcpu, attr: StructValue): number {
  const kvm = vcpu.kvm;
  if (!vgicOf(kvm)) throw new Errno(EINVAL, "no in-kernel irqchip");
  let irq: number;
  try {
    irq = getUserS32(kvm.kernel, attr.addr as bigint);
  } catch {
    throw new Errno(EFAULT);
  }
  if (!irqIsPpi(irq)) throw new Errno(EINVAL, `${irq} is not a PPI (16..31)`);
  const vm = timerVm(kvm);
  const frozen = kvm.kernel.config.profile === "seed" ? timerCpu(vcpu).enabled : vm.ppisFrozen;
  if (frozen) throw new Errno(EBUSY, "timer PPIs are immutable once a vCPU has run");
  const key = attrKey(kvm, attr.attr as bigint);
  if (!key) throw new Errno(ENXIO, "unknown timer attribute");
  vm.ppi[key] = irq;
  return 0;
}

function timerGetAttr(vcpu: KvmVcpu, attr: StructValue): number {
  const key = attrKey(vcpu.kvm, attr.attr as bigint);
  if (!key) throw new Errno(ENXIO);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, timerVm(vcpu.kvm).ppi[key], true);
  try {
    vcpu.kvm.kernel.current.mm.write(Number(attr.addr as bigint), b);
  } catch {
    throw new Errno(EFAULT);
  }
  return 0;
}

ext.vcpuAttrGroups.set(Number(KVM_ARM_VCPU_TIMER_CTRL), {
  set: timerSetAttr,
  get: timerGetAttr,
  has: (v, attr) => {
    if (!attrKey(v.kvm, attr.attr as bigint)) throw new Errno(ENXIO);
    return 0;
  },
});

// ------------------------------------------------------------ KVM_ARM_SET_COUNTER_OFFSET

/**
 * kvm_vm_ioctl_set_counter_offset: reserved ≠ 0 → EINVAL; a vCPU whose
 * mutex is held (its thread in KVM_RUN) → EBUSY; else voffset = poffset =
 * counter_offset and the VM_COUNTER_OFFSET flag is set.
 *
 * @example
 * ```ts
 * // setCounterOffset(kvm, 1000n, 0n)
 * ```
 */
export function setCounterOffset(kvm: Kvm, offset: bigint, reserved: bigint): number {
  if (reserved !== 0n) throw new Errno(EINVAL, "reserved must be 0");
  const busy = kvm.vcpus.find((v) => v.inGuest);
  if (busy) throw new Errno(EBUSY, `${busy.label} is in KVM_RUN (lock_all_vcpus fails)`);
  const vm = timerVm(kvm);
  vm.counterOffset = true;
  vm.voffset = offset;
  vm.poffset = offset;
  return 0;
}

/**
 * KVM_CAP_COUNTER_OFFSET and KVM_ARM_SET_COUNTER_OFFSET came with v6.4. The
 * `seed` profile's kernel (v4.15: virt/kvm/arm/arch_timer.c, whose
 * kvm_arm_timer_set_reg moves cntvoff on every TIMER_CNT write) has neither:
 * the cap answers 0 and the ioctl falls to kvm_arch_vm_ioctl's `default:
 * return -EINVAL` before its argument is read.
 *
 * @example
 * ```ts
 * // hasCounterOffset(kvm.kernel) === false under `kernel seed`
 * ```
 */
export function hasCounterOffset(k: { config: { profile: string } }): boolean {
  return k.config.profile !== "seed";
}

ext.vmIoctls.push([KVM_ARM_SET_COUNTER_OFFSET, (kvm, arg) => {
  if (!hasCounterOffset(kvm.kernel)) {
    throw new Errno(
      EINVAL,
      "no KVM_ARM_SET_COUNTER_OFFSET before v6.4 (kvm_arch_vm_ioctl default)",
    );
  }
  const o = copyStructFromUser(kvm.kernel, kvm_arm_counter_offset, arg);
  return setCounterOffset(kvm, o.counter_offset as bigint, o.reserved as bigint);
}]);
ext.caps.set(Number(KVM_CAP.KVM_CAP_COUNTER_OFFSET), (_kvm, k) => hasCounterOffset(k) ? 1 : 0);
ext.caps.set(Number(KVM_CAP.KVM_CAP_IRQCHIP), () => 1);

// ------------------------------------------------------------ arm.c glue

/**
 * kvm_timer_enable (first KVM_RUN of a vCPU): with a vgic, the PPIs must be
 * distinct (else EINVAL), become immutable VM-wide, and the vtimer PPI is
 * mapped to the physical one.
 *
 * @example
 * ```ts
 * // kvmTimerEnable(vcpu)
 * ```
 */
export function kvmTimerEnable(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (t.enabled) return;
  const kvm = vcpu.kvm;
  if (vgicOf(kvm)) {
    vgicLazyInit(kvm);
    const p = timerVm(kvm).ppi;
    // timer_irqs_are_valid: each context's PPI must differ from the others'.
    if (p.vtimer === p.ptimer) throw new Errno(EINVAL, "vtimer and ptimer share a PPI");
    timerVm(kvm).ppisFrozen = true;
    kvmVgicMapPhysIrq(vcpu, p.vtimer);
  }
  t.enabled = true;
}

const prevCreate = ext.vcpuCreate;
ext.vcpuCreate = (vcpu) => {
  prevCreate?.(vcpu);
  kvmTimerVcpuInit(vcpu);
};
const prevRunCheck = ext.vcpuRunCheck;
ext.vcpuRunCheck = (vcpu) => {
  prevRunCheck?.(vcpu);
  kvmTimerEnable(vcpu);
};
ext.vcpuLoad.push(onRunEnter);
ext.vcpuPut.push(onRunExit);
ext.vcpuPut.push(kvmTimerUpdateRun);
armVcpuReset.push(kvmTimerVcpuReset);

/** Offset of kvm_run.s.regs.device_irq_level (the arm64 kvm_sync_regs start at 304). */
export const KVM_RUN_DEVICE_IRQ_LEVEL = 304;

/**
 * kvm_timer_update_run (on every return from KVM_RUN, after vcpu_put): with a
 * userspace irqchip the timers' output levels go to
 * kvm_run.s.regs.device_irq_level — bit 0 KVM_ARM_DEV_EL1_VTIMER, bit 1
 * KVM_ARM_DEV_EL1_PTIMER; the PMU bit (2) is left as it was. With an
 * in-kernel vgic nothing is written.
 *
 * @example
 * ```ts
 * // kvmTimerUpdateRun(vcpu)
 * ```
 */
export function kvmTimerUpdateRun(vcpu: KvmVcpu): void {
  if (vgicOf(vcpu.kvm)) return;
  const t = timerCpu(vcpu);
  if (!t) return;
  const k = vcpu.kvm.kernel;
  const pa = vcpu.run_pa + KVM_RUN_DEVICE_IRQ_LEVEL;
  const dv = new DataView(k.phys.read(pa, 8).slice().buffer);
  let lvl = dv.getBigUint64(0, true) & ~(KVM_ARM_DEV_EL1_VTIMER | KVM_ARM_DEV_EL1_PTIMER);
  if (kvmTimerShouldFire(vcpu, t.vtimer)) lvl |= KVM_ARM_DEV_EL1_VTIMER;
  if (kvmTimerShouldFire(vcpu, t.ptimer)) lvl |= KVM_ARM_DEV_EL1_PTIMER;
  dv.setBigUint64(0, lvl, true);
  k.phys.write(pa, new Uint8Array(dv.buffer));
}

export { SRC_TIMER };
