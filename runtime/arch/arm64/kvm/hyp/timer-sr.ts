/**
 * arch/arm64/kvm/hyp/timer-sr.c (virt/kvm/arm/hyp/timer-sr.c at the seed):
 * the EL2 side of the timer. After seed 004 only three things remain here —
 * writing CNTVOFF_EL2 (a hyp call from vcpu_load/put) and the CNTHCTL_EL2
 * trap configuration around each world switch; before it, the whole vtimer
 * was saved and restored here on every exit and entry (kept as the `legacy`
 * mode so both can be measured).
 *
 * @example
 * ```ts
 * import { timerEnableTraps } from "./timer-sr.ts";
 * console.log(typeof timerEnableTraps); // "function"
 * ```
 * @module
 */
import { CNTHCTL_EL1PCEN, CNTHCTL_EL1PCTEN } from "../../include/asm/sysreg.ts";
import type { PCpu } from "../pcpu.ts";

/** The saved vtimer state hyp code reads and writes (arch_timer_cpu's cntv_ctl/cntv_cval). */
export interface SavedVtimer {
  ctl: bigint;
  cval: bigint;
}

/**
 * __kvm_timer_set_cntvoff(low, high): write CNTVOFF_EL2 (called through kvm_call_hyp).
 *
 * @example
 * ```ts
 * // hw.hypCall(() => kvmTimerSetCntvoff(cpu, voffset));
 * ```
 */
export function kvmTimerSetCntvoff(cpu: PCpu, cntvoff: bigint): void {
  cpu.writeCntvoff(cntvoff);
}

/**
 * __timer_enable_traps: guest entry. Non-VHE: clear EL1PCEN (physical timer
 * traps), set EL1PCTEN (the guest may read the physical counter). On VHE the
 * bits were configured once at boot (kvm_timer_init_vhe): nothing to do.
 *
 * @example
 * ```ts
 * // timerEnableTraps(cpu, vhe)
 * ```
 */
export function timerEnableTraps(cpu: PCpu, vhe: boolean): void {
  if (vhe) return;
  let val = cpu.readCnthctl();
  val &= ~CNTHCTL_EL1PCEN;
  val |= CNTHCTL_EL1PCTEN;
  cpu.writeCnthctl(val);
}

/**
 * __timer_disable_traps: guest exit. Non-VHE: give the host back physical
 * timer and counter access (EL1PCTEN | EL1PCEN). Nothing on VHE.
 *
 * @example
 * ```ts
 * // timerDisableTraps(cpu, vhe)
 * ```
 */
export function timerDisableTraps(cpu: PCpu, vhe: boolean): void {
  if (vhe) return;
  let val = cpu.readCnthctl();
  val |= CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN;
  cpu.writeCnthctl(val);
}

/**
 * Pre-seed __timer_save_state (legacy mode, every exit): save CTL/CVAL if the
 * timer is enabled, disable the hardware timer, restore the host's trap bits
 * (non-VHE) and clear CNTVOFF for the host.
 *
 * @example
 * ```ts
 * // legacyTimerSaveState(cpu, vhe, enabled, saved)
 * ```
 */
export function legacyTimerSaveState(
  cpu: PCpu,
  vhe: boolean,
  enabled: boolean,
  saved: SavedVtimer,
): void {
  if (enabled) {
    saved.ctl = cpu.readCtl();
    saved.cval = cpu.readCval();
  }
  cpu.writeCtl(0n);
  timerDisableTraps(cpu, vhe);
  cpu.writeCntvoff(0n);
}

/**
 * Pre-seed __timer_restore_state (legacy mode, every entry): trap bits
 * (non-VHE), then CNTVOFF, CVAL, isb, CTL if the timer is enabled.
 *
 * @example
 * ```ts
 * // legacyTimerRestoreState(cpu, vhe, enabled, saved, voffset)
 * ```
 */
export function legacyTimerRestoreState(
  cpu: PCpu,
  vhe: boolean,
  enabled: boolean,
  saved: SavedVtimer,
  cntvoff: bigint,
): void {
  timerEnableTraps(cpu, vhe);
  if (enabled) {
    cpu.writeCntvoff(cntvoff);
    cpu.writeCval(saved.cval);
    cpu.writeCtl(saved.ctl);
  }
}
