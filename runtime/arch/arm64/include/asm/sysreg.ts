/**
 * arch/arm64/include/asm/sysreg.h and include/clocksource/arm_arch_timer.h,
 * reduced to the generic timer: the MSR/MRS encodings of the timer system
 * registers (sys_reg(op0, op1, CRn, CRm, op2)), the CNTx_CTL bits and the
 * CNTHCTL_EL2 trap bits. Scripts name the registers (`msr(vm1.cpu0,
 * CNTV_CTL_EL0, 1)`); `help CNTV_CTL_EL0` explains each.
 *
 * @example
 * ```ts
 * import { CNTV_CTL_EL0, sysRegName } from "./sysreg.ts";
 * console.log(CNTV_CTL_EL0.toString(16), sysRegName(CNTV_CTL_EL0)); // "1be320" "CNTV_CTL_EL0"
 * ```
 * @module
 */
import { registerUapi } from "../../../../kernel/uapi_registry.ts";

/**
 * sys_reg(): the kernel's packing of an MSR/MRS operand (op0<<19 | op1<<16 |
 * CRn<<12 | CRm<<8 | op2<<5).
 *
 * @example
 * ```ts
 * console.log(sys_reg(3, 3, 14, 3, 1) === CNTV_CTL_EL0); // true
 * ```
 */
export function sys_reg(op0: number, op1: number, crn: number, crm: number, op2: number): bigint {
  return BigInt((op0 << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5));
}

export const CNTFRQ_EL0 = sys_reg(3, 3, 14, 0, 0);
export const CNTPCT_EL0 = sys_reg(3, 3, 14, 0, 1);
export const CNTVCT_EL0 = sys_reg(3, 3, 14, 0, 2);
export const CNTP_TVAL_EL0 = sys_reg(3, 3, 14, 2, 0);
export const CNTP_CTL_EL0 = sys_reg(3, 3, 14, 2, 1);
export const CNTP_CVAL_EL0 = sys_reg(3, 3, 14, 2, 2);
export const CNTV_TVAL_EL0 = sys_reg(3, 3, 14, 3, 0);
export const CNTV_CTL_EL0 = sys_reg(3, 3, 14, 3, 1);
export const CNTV_CVAL_EL0 = sys_reg(3, 3, 14, 3, 2);
export const CNTVOFF_EL2 = sys_reg(3, 4, 14, 0, 3);
export const CNTHCTL_EL2 = sys_reg(3, 4, 14, 1, 0);

/** CNTx_CTL bits (ARCH_TIMER_CTRL_*). */
export const ARCH_TIMER_CTRL_ENABLE = 1n;
export const ARCH_TIMER_CTRL_IT_MASK = 2n;
export const ARCH_TIMER_CTRL_IT_STAT = 4n;

/** CNTHCTL_EL2 bits with E2H = 0; with E2H = 1 the EL1 bits sit 10 higher. */
export const CNTHCTL_EL1PCTEN = 1n;
export const CNTHCTL_EL1PCEN = 2n;
export const CNTHCTL_EVNTEN = 4n;
/** Shift of the EL1 bits when HCR_EL2.E2H = 1 (VHE). */
export const CNTHCTL_EL1_SHIFT_VHE = 10n;

const REGS: Record<string, bigint> = {
  CNTFRQ_EL0,
  CNTPCT_EL0,
  CNTVCT_EL0,
  CNTP_TVAL_EL0,
  CNTP_CTL_EL0,
  CNTP_CVAL_EL0,
  CNTV_TVAL_EL0,
  CNTV_CTL_EL0,
  CNTV_CVAL_EL0,
  CNTVOFF_EL2,
  CNTHCTL_EL2,
};
const BY_ENC = new Map(Object.entries(REGS).map(([k, v]) => [v, k]));

/**
 * The name of a system-register encoding, or a sys_reg(…) spelling.
 *
 * @example
 * ```ts
 * console.log(sysRegName(sys_reg(3, 0, 1, 0, 0))); // "S3_0_C1_C0_0"
 * ```
 */
export function sysRegName(enc: bigint): string {
  const n = BY_ENC.get(enc);
  if (n) return n;
  const e = Number(enc);
  return `S${(e >> 19) & 3}_${(e >> 16) & 7}_C${(e >> 12) & 15}_C${(e >> 8) & 15}_${(e >> 5) & 7}`;
}

const SRC = "arch/arm64/include/asm/sysreg.h";
const TSRC = "include/clocksource/arm_arch_timer.h";
const DOCS: Record<string, string> = {
  CNTFRQ_EL0: "Counter frequency in Hz (the simulated host's `cntfrq`, default 25 MHz).",
  CNTPCT_EL0: "Physical counter. For a guest: physical counter − the VM's poffset (0 unless set).",
  CNTVCT_EL0: "Virtual counter = physical counter − CNTVOFF_EL2. KVM keeps one VM-wide voffset.",
  CNTP_TVAL_EL0:
    "EL1 physical timer TimerValue: signed 32-bit view of CVAL − now. Emulated by KVM here (traps). " +
    "Under `kernel seed` KVM's emulation (v4.15 sys_regs.c access_cntp_tval) is not 32-bit: a read " +
    "returns the whole 64-bit CVAL − now, a write sets CVAL = now + the 64-bit register value.",
  CNTP_CTL_EL0:
    "EL1 physical timer control: ENABLE (bit 0), IMASK (bit 1), ISTATUS (bit 2, read-only).",
  CNTP_CVAL_EL0: "EL1 physical timer compare value: fires when CVAL ≤ CNTPCT.",
  CNTV_TVAL_EL0:
    "Virtual timer TimerValue: reads low 32 bits of CVAL − now; writes CVAL = now + sext(value).",
  CNTV_CTL_EL0:
    "Virtual timer control: ENABLE (bit 0), IMASK (bit 1), ISTATUS (bit 2, read-only, = CVAL ≤ now).",
  CNTV_CVAL_EL0:
    "Virtual timer compare value: the output asserts when ENABLE && !IMASK && CVAL ≤ CNTVCT.",
  CNTVOFF_EL2:
    "Virtual offset (EL2): KVM writes the VM's offset on vcpu_load and 0 on vcpu_put (seed 004).",
  CNTHCTL_EL2:
    "Hyp timer control: EL1PCTEN (bit 0) / EL1PCEN (bit 1) with E2H=0; bits 10/11 with E2H=1. " +
    "Non-VHE: every guest entry clears EL1PCEN and sets EL1PCTEN, every exit sets both " +
    "(__timer_enable/disable_traps). VHE: configured once at boot by kvm_timer_init_vhe " +
    "(EL1PCTEN set, EL1PCEN clear: the emulated ptimer traps).",
};

const BIT_DOCS: Record<string, [string, string]> = {
  ARCH_TIMER_CTRL_ENABLE: ["CNTx_CTL bit 0: the timer is enabled.", TSRC],
  ARCH_TIMER_CTRL_IT_MASK: [
    "CNTx_CTL bit 1 (IMASK): masks the output line; ISTATUS still follows CVAL ≤ now.",
    TSRC,
  ],
  ARCH_TIMER_CTRL_IT_STAT: [
    "CNTx_CTL bit 2 (ISTATUS, read-only): CVAL ≤ now. KVM strips it on write and sets it on read " +
    "whenever CVAL ≤ now, even with ENABLE 0 (read_timer_ctl).",
    TSRC,
  ],
  CNTHCTL_EL1PCTEN: [
    "CNTHCTL_EL2 bit 0 (bit 10 with E2H = 1): EL1 may read the physical counter without trapping.",
    "arch/arm64/kvm/hyp/timer-sr.c",
  ],
  CNTHCTL_EL1PCEN: [
    "CNTHCTL_EL2 bit 1 (bit 11 with E2H = 1): EL1 may access the physical timer without trapping; " +
    "KVM clears it for guests so CNTP_* accesses reach the emulation.",
    "arch/arm64/kvm/hyp/timer-sr.c",
  ],
};

registerUapi({
  constants: [
    {
      group: "ARM64_TIMER_SYSREG",
      source: SRC,
      doc: "MSR/MRS encodings sys_reg(op0, op1, CRn, CRm, op2) of the generic-timer registers",
      values: REGS,
    },
    {
      group: "ARCH_TIMER_CTRL",
      source: TSRC,
      doc: "CNTx_CTL_EL0 bits",
      values: { ARCH_TIMER_CTRL_ENABLE, ARCH_TIMER_CTRL_IT_MASK, ARCH_TIMER_CTRL_IT_STAT },
    },
    {
      group: "CNTHCTL",
      source: "arch/arm64/include/asm/kvm_arm.h",
      doc: "CNTHCTL_EL2 trap bits (E2H = 0 positions)",
      values: { CNTHCTL_EL1PCTEN, CNTHCTL_EL1PCEN, CNTHCTL_EVNTEN },
    },
  ],
  registers: [
    ...Object.entries(REGS).map(([name, id]) => ({
      name,
      id,
      doc: DOCS[name]!,
      source: name === "CNTVOFF_EL2" || name === "CNTHCTL_EL2"
        ? "arch/arm64/kvm/hyp/timer-sr.c"
        : SRC,
      ...(name === "CNTVOFF_EL2" || name === "CNTHCTL_EL2" ? { seed: "004" } : {}),
    })),
    ...Object.entries(BIT_DOCS).map(([name, [doc, source]]) => ({ name, doc, source })),
  ],
});
