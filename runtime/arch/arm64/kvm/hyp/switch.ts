/**
 * arch/arm64/kvm/hyp/switch.c (__kvm_vcpu_run), reduced to the timer's part
 * of a world switch. Seed 004 replaced `__timer_restore_state` /
 * `__timer_save_state` here with `__timer_enable_traps` /
 * `__timer_disable_traps`; `timer-save legacy` keeps the old pair.
 *
 * @example
 * ```ts
 * import { kvmVcpuRunEnter } from "./switch.ts";
 * console.log(typeof kvmVcpuRunEnter); // "function"
 * ```
 * @module
 */
import type { KvmVcpu } from "../../../../virt/kvm/kvm_host.ts";
import { timerCpu, timerVm } from "../arch_timer.ts";
import type { ArmHw, PCpu } from "../pcpu.ts";
import {
  legacyTimerRestoreState,
  legacyTimerSaveState,
  timerDisableTraps,
  timerEnableTraps,
} from "./timer-sr.ts";

/**
 * The entry half of __kvm_vcpu_run: timer trap config (or the legacy restore),
 * then the CPU runs guest code.
 *
 * @example
 * ```ts
 * // hw.hypCall(() => kvmVcpuRunEnter(hw, cpu, vcpu));
 * ```
 */
export function kvmVcpuRunEnter(hw: ArmHw, cpu: PCpu, vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (hw.legacy) {
    legacyTimerRestoreState(cpu, hw.vhe, t.enabled, t.vtimer, timerVm(vcpu.kvm).voffset);
  } else timerEnableTraps(cpu, hw.vhe);
  cpu.inGuest = true;
}

/**
 * The exit half: the CPU leaves the guest; timer trap config (or the legacy save).
 *
 * @example
 * ```ts
 * // kvmVcpuRunExit(hw, cpu, vcpu);
 * ```
 */
export function kvmVcpuRunExit(hw: ArmHw, cpu: PCpu, vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  cpu.inGuest = false;
  if (hw.legacy) legacyTimerSaveState(cpu, hw.vhe, t.enabled, t.vtimer);
  else timerDisableTraps(cpu, hw.vhe);
}
