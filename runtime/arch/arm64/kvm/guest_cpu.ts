/**
 * The guest's side: what a vCPU's instructions do to the hardware and to KVM.
 * MSR/MRS of the virtual timer go straight to the physical CPU's registers
 * (no exit — that is why KVM must keep the state there while loaded); the
 * physical timer and CNTPCT with a non-zero offset trap and are emulated
 * (sys_regs.c access_arch_timer); WFI traps to kvm_handle_wfx; GIC
 * redistributor MMIO traps; ICC_IAR1/ICC_EOIR1 are direct (GICv3 list
 * registers). No kernel twin: this is the simulated guest CPU.
 *
 * @example
 * ```ts
 * import { guestMrs } from "./guest_cpu.ts";
 * console.log(typeof guestMrs); // "function"
 * ```
 * @module
 */
import type { KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import { kvmExitToUser } from "../../../virt/kvm/kvm_main.ts";
import {
  ARCH_TIMER_CTRL_IT_STAT,
  CNTFRQ_EL0,
  CNTP_CTL_EL0,
  CNTP_CVAL_EL0,
  CNTP_TVAL_EL0,
  CNTPCT_EL0,
  CNTV_CTL_EL0,
  CNTV_CVAL_EL0,
  CNTV_TVAL_EL0,
  CNTVCT_EL0,
  sysRegName,
} from "../include/asm/sysreg.ts";
import {
  ctlFromUser,
  cvalFromTval,
  timerCpu,
  timerEmulate,
  timerNow,
  timerVm,
  tvalOf,
} from "./arch_timer.ts";
import { armHw } from "./pcpu.ts";
import { ensureRunning, kvmHandleWfi, roundTrip, settle } from "./run.ts";
import { vgicGuestAck, vgicGuestEoi, vgicIsPending, vgicPrivate } from "./vgic/vgic.ts";

/** An instruction the architecture makes UNDEFINED at EL1 (or unknown here). */
export class GuestUndef extends Error {}

function trapped<T>(vcpu: KvmVcpu, fn: () => T): T {
  let r!: T;
  roundTrip(vcpu, () => {
    r = fn();
  });
  return r;
}

/**
 * The emulated ptimer's CNTP_TVAL_EL0 as the `seed` profile's kernel
 * computes it (v4.15 arch/arm64/kvm/sys_regs.c access_cntp_tval): a read
 * returns the full 64-bit CVAL − now and a write sets CVAL = now + the
 * 64-bit register value — no 32-bit truncation, no sign extension (mainline's
 * kvm_arm_timer_read/write use lower_32_bits and `(s32)val`).
 */
function seedPtimerTval(cval: bigint, now: bigint): bigint {
  return BigInt.asUintN(64, cval - now);
}

/** See {@link seedPtimerTval}: v4.15 access_cntp_tval's write, CVAL = regval + now. */
function seedPtimerCvalFromTval(now: bigint, regval: bigint): bigint {
  return BigInt.asUintN(64, now + regval);
}

/**
 * The emulated ptimer register access (mainline kvm_arm_timer_read/write_sysreg
 * for an emulated context; v4.15 sys_regs.c access_cntp_* under `kernel seed`,
 * whose TVAL is the raw 64-bit difference).
 */
function ptimerAccess(vcpu: KvmVcpu, enc: bigint, write: boolean, val = 0n): bigint {
  const p = timerCpu(vcpu).ptimer;
  const now = timerNow(vcpu, "ptimer");
  if (vcpu.kvm.kernel.config.profile === "seed" && enc === CNTP_TVAL_EL0) {
    if (!write) return seedPtimerTval(p.cval, now);
    p.cval = seedPtimerCvalFromTval(now, val);
    timerEmulate(vcpu, p);
    return 0n;
  }
  if (!write) {
    if (enc === CNTP_CTL_EL0) return p.ctl | (p.cval <= now ? ARCH_TIMER_CTRL_IT_STAT : 0n);
    if (enc === CNTP_CVAL_EL0) return p.cval;
    if (enc === CNTP_TVAL_EL0) return tvalOf(p.cval, now);
    return now; // CNTPCT_EL0
  }
  if (enc === CNTP_CTL_EL0) p.ctl = ctlFromUser(val);
  else if (enc === CNTP_CVAL_EL0) p.cval = BigInt.asUintN(64, val);
  else if (enc === CNTP_TVAL_EL0) p.cval = cvalFromTval(now, val);
  timerEmulate(vcpu, p);
  return 0n;
}

const PTIMER_REGS = new Set([CNTP_CTL_EL0, CNTP_CVAL_EL0, CNTP_TVAL_EL0]);

/**
 * MRS: the guest reads a timer register.
 *
 * @example
 * ```ts
 * // guestMrs(vcpu, CNTV_TVAL_EL0)
 * ```
 */
export function guestMrs(vcpu: KvmVcpu, enc: bigint): bigint {
  ensureRunning(vcpu);
  const hw = armHw(vcpu.kvm.kernel);
  const cpu = timerCpu(vcpu).cpu!;
  switch (enc) {
    case CNTV_CTL_EL0:
      return cpu.readCtlRaw();
    case CNTV_CVAL_EL0:
      return cpu.cntv_cval;
    case CNTV_TVAL_EL0:
      return tvalOf(cpu.cntv_cval, cpu.vcount());
    case CNTVCT_EL0:
      return BigInt.asUintN(64, cpu.vcount());
    case CNTFRQ_EL0:
      return hw.freq;
    case CNTPCT_EL0:
      // EL1PCTEN is set while the guest runs: a direct read unless a physical offset must be applied.
      if (timerVm(vcpu.kvm).poffset === 0n) return hw.counter();
      return trapped(vcpu, () => ptimerAccess(vcpu, enc, false));
  }
  if (PTIMER_REGS.has(enc)) return trapped(vcpu, () => ptimerAccess(vcpu, enc, false));
  throw new GuestUndef(`MRS ${sysRegName(enc)}: UNDEFINED at EL1`);
}

/**
 * MSR: the guest writes a timer register.
 *
 * @example
 * ```ts
 * // guestMsr(vcpu, CNTV_CTL_EL0, 1n)
 * ```
 */
export function guestMsr(vcpu: KvmVcpu, enc: bigint, val: bigint): void {
  ensureRunning(vcpu);
  const cpu = timerCpu(vcpu).cpu!;
  switch (enc) {
    case CNTV_CTL_EL0:
      cpu.setCtlRaw(val);
      break;
    case CNTV_CVAL_EL0:
      cpu.setCvalRaw(val);
      break;
    case CNTV_TVAL_EL0:
      cpu.setCvalRaw(cvalFromTval(cpu.vcount(), val));
      break;
    default:
      if (!PTIMER_REGS.has(enc)) {
        throw new GuestUndef(`MSR ${sysRegName(enc)}: UNDEFINED or read-only at EL1`);
      }
      trapped(vcpu, () => ptimerAccess(vcpu, enc, true, val));
  }
  settle(vcpu);
}

/**
 * WFI: "blocked" (the vCPU sleeps until its timer or an interrupt wakes it)
 * or "running" (something was already pending).
 *
 * @example
 * ```ts
 * // guestWfi(vcpu)
 * ```
 */
export function guestWfi(vcpu: KvmVcpu): "blocked" | "running" {
  ensureRunning(vcpu);
  return kvmHandleWfi(vcpu);
}

/**
 * ICC_IAR1_EL1: acknowledge the highest-priority pending interrupt (1023 if none).
 * Counts the interrupt as delivered to the guest.
 *
 * @example
 * ```ts
 * // guestAck(vcpu) === 27
 * ```
 */
export function guestAck(vcpu: KvmVcpu): number {
  ensureRunning(vcpu);
  const intid = vgicGuestAck(vcpu);
  if (intid !== 1023) {
    const m = timerCpu(vcpu).irqs;
    m.set(intid, (m.get(intid) ?? 0) + 1);
  }
  return intid;
}

/**
 * ICC_EOIR1_EL1 (EOImode 0): drop priority and deactivate; false if it was not active.
 *
 * @example
 * ```ts
 * // guestEoi(vcpu, 27)
 * ```
 */
export function guestEoi(vcpu: KvmVcpu, intid: number): boolean {
  ensureRunning(vcpu);
  const ok = vgicGuestEoi(vcpu, intid);
  settle(vcpu);
  return ok;
}

/**
 * Read GICR_ISPENDR0 bit `intid` (a trapped redistributor MMIO access).
 *
 * @example
 * ```ts
 * // guestIrqPending(vcpu, 27)
 * ```
 */
export function guestIrqPending(vcpu: KvmVcpu, intid: number): boolean {
  ensureRunning(vcpu);
  const r = trapped(vcpu, () => vgicIsPending(vcpu, intid));
  settle(vcpu);
  return r;
}

/**
 * Write GICR_ISENABLER0/ICENABLER0 bit `intid` (trapped MMIO).
 *
 * @example
 * ```ts
 * // guestIrqEnable(vcpu, 27, false)
 * ```
 */
export function guestIrqEnable(vcpu: KvmVcpu, intid: number, on: boolean): void {
  ensureRunning(vcpu);
  trapped(vcpu, () => {
    vgicPrivate(vcpu)[intid]!.enabled = on;
  });
  settle(vcpu);
}

/**
 * A trap KVM handles without userspace (e.g. an HVC): one exit and entry.
 *
 * @example
 * ```ts
 * // guestTrap(vcpu)
 * ```
 */
export function guestTrap(vcpu: KvmVcpu): void {
  ensureRunning(vcpu);
  trapped(vcpu, () => {});
  settle(vcpu);
}

/** QEMU virt's PL011 UART: an MMIO write there exits to the VMM. */
export const VIRT_UART_BASE = 0x0900_0000;

/**
 * The guest writes a byte to a device KVM does not emulate: KVM_EXIT_MMIO to
 * the VMM, which re-enters — so the vCPU is put and loaded again.
 *
 * @example
 * ```ts
 * // guestExitToUser(vcpu, 0x41)
 * ```
 */
export function guestExitToUser(vcpu: KvmVcpu, byte = 0x41): boolean {
  ensureRunning(vcpu);
  return kvmExitToUser(vcpu, "KVM_EXIT_MMIO", 6, (runPa) => {
    const k = vcpu.kvm.kernel;
    const b = new Uint8Array(24);
    const dv = new DataView(b.buffer);
    dv.setBigUint64(0, BigInt(VIRT_UART_BASE), true); // phys_addr @32
    b[8] = byte; // data[8] @40
    dv.setUint32(16, 1, true); // len @48
    b[20] = 1; // is_write @52
    k.phys.write(runPa + 32, b);
  }, () => {});
}
