/**
 * The arm64 architected-timer subsystem (issue 5, seed 004), imported once by
 * runtime/modules.ts: the timer system registers and uapi, the simulated
 * hardware, the minimal vgic, the timer itself with its load/put lifecycle,
 * the run loop, the guest CPU, and the VMM side (host properties, the vgic
 * bring-up hook, builtins and `show` views).
 *
 * @example
 * ```ts
 * import "./mod.ts";
 * ```
 * @module
 */
import "../include/asm/sysreg.ts";
import "../include/uapi/asm/kvm.ts";
import "./vgic/vgic.ts";
import "./arch_timer.ts";
import "./run.ts";
import "./guest.ts";
import "./guest_cpu.ts";
import "../../../vmm/arm64_timer.ts";
import "../../../vmm/arm_timer_views.ts";
import "../../../vmm/arm_timer_selftest.ts";
import "../../../vmm/arm_timer_compare.ts";
