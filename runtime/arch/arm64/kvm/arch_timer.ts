/**
 * arch/arm64/kvm/arch_timer.c (virt/kvm/arm/arch_timer.c at seed 004): the
 * guest's virtual timer (direct: its state lives in the hardware while the
 * vCPU is loaded) and physical timer (emulated with a soft hrtimer), the
 * VM-wide offsets, the seed's lifecycle — vcpu_load / vcpu_put, schedule /
 * unschedule around WFI, sync_hwstate after each exit, the host ISR that
 * injects straight into the vgic — and, selectable with `timer-save legacy`,
 * the pre-seed behaviour (save/restore in hyp on every world switch, the
 * active-cleared-last cache in flush_hwstate).
 *
 * @example
 * ```ts
 * import { Kernel } from "../../../kernel/kernel.ts";
 * import { timerVm } from "./arch_timer.ts";
 * // const vm = timerVm(kvm); vm.ppi.vtimer === 27
 * console.log(typeof timerVm); // "function"
 * ```
 * @module
 */
import type { Timer } from "../../../kernel/clock.ts";
import type { Kvm, KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import {
  ARCH_TIMER_CTRL_ENABLE,
  ARCH_TIMER_CTRL_IT_MASK,
  ARCH_TIMER_CTRL_IT_STAT,
} from "../include/asm/sysreg.ts";
import { kvmTimerSetCntvoff, timerDisableTraps, timerEnableTraps } from "./hyp/timer-sr.ts";
import { type ArmHw, armHw, type CostTable, newCosts, type PCpu } from "./pcpu.ts";
import {
  kvmVgicInjectIrq,
  kvmVgicMapIsActive,
  kvmVgicResetMappedIrq,
  vgicOf,
} from "./vgic/vgic.ts";

/** Which timer context. */
export type TimerKind = "vtimer" | "ptimer";

/** struct arch_timer_context (reduced). */
export interface TimerCtx {
  kind: TimerKind;
  /**
   * CNTx_CTL as KVM stores it (u32 cnt_ctl): ENABLE | IMASK, plus any RES0
   * bits a ONE_REG or trapped write left — only ISTATUS is stripped.
   */
  ctl: bigint;
  cval: bigint;
  /** irq.level: the line KVM drives into the vgic. */
  level: boolean;
  /** Emulation hrtimer (ptimer only). */
  soft: Timer | undefined;
}

/** Where a vCPU thread is, from the timer's point of view. */
export type VcpuRunState = "out" | "queued" | "guest" | "blocked";

/** struct arch_timer_cpu plus the scheduling facts the simulation needs. */
export interface ArchTimerCpu {
  vtimer: TimerCtx;
  ptimer: TimerCtx;
  /** kvm_timer_enable() done (first KVM_RUN). */
  enabled: boolean;
  /** Seed 004: the vtimer state is in the hardware (lazy mode). */
  loaded: boolean;
  /** Pre-seed cache: the physical active state was last written as "clear". */
  activeClearedLast: boolean;
  /** Background hrtimer armed while blocked in WFI. */
  bg: Timer | undefined;
  /** The physical CPU the vCPU is loaded on. */
  cpu: PCpu | undefined;
  /** Where it ran last (the scheduler prefers it). */
  lastCpu: number;
  state: VcpuRunState;
  /** Woken from WFI but not yet loaded: run kvm_timer_unschedule at load. */
  unblockPending: boolean;
  /** Interrupts the guest acknowledged, by INTID. */
  irqs: Map<number, number>;
  /** Host timer ISR runs for this vCPU. */
  hostIrqs: number;
}

/** The VM-wide timer data (struct arch_timer_vm_data). */
export interface ArchTimerVm {
  voffset: bigint;
  poffset: bigint;
  ppi: { vtimer: number; ptimer: number; hvtimer: number; hptimer: number };
  /** KVM_ARCH_FLAG_VM_COUNTER_OFFSET. */
  counterOffset: boolean;
  /** KVM_ARCH_FLAG_TIMER_PPIS_IMMUTABLE: set by the first KVM_RUN. */
  ppisFrozen: boolean;
}

/** Set by run.ts (kept apart to avoid an import cycle): wake a vCPU blocked in WFI. */
export const timerHooks = {
  wake: (_vcpu: KvmVcpu): void => {},
};

/**
 * The VM-wide timer data (kvm_timer_init_vm defaults: PPIs 27/30/28/26).
 *
 * @example
 * ```ts
 * // timerVm(kvm).voffset
 * ```
 */
export function timerVm(kvm: Kvm): ArchTimerVm {
  let t = kvm.arch["timer"] as ArchTimerVm | undefined;
  if (!t) {
    t = {
      voffset: 0n,
      poffset: 0n,
      ppi: { vtimer: 27, ptimer: 30, hvtimer: 28, hptimer: 26 },
      counterOffset: false,
      ppisFrozen: false,
    };
    kvm.arch["timer"] = t;
  }
  return t;
}

/**
 * The vCPU's timer state.
 *
 * @example
 * ```ts
 * // timerCpu(vcpu).vtimer.cval
 * ```
 */
export function timerCpu(vcpu: KvmVcpu): ArchTimerCpu {
  return vcpu.arch["timer"] as ArchTimerCpu;
}

/**
 * kvm_timer_vcpu_init + reset: both CTLs 0; unless the VM has a counter
 * offset, the VM-wide voffset becomes the physical counter (the guest's
 * virtual counter starts near 0).
 *
 * @example
 * ```ts
 * // kvmTimerVcpuInit(vcpu)
 * ```
 */
export function kvmTimerVcpuInit(vcpu: KvmVcpu): void {
  const hw = armHw(vcpu.kvm.kernel);
  const vm = timerVm(vcpu.kvm);
  const mk = (kind: TimerKind): TimerCtx => ({
    kind,
    ctl: 0n,
    cval: 0n,
    level: false,
    soft: undefined,
  });
  const ordinal = vcpu.kvm.vcpus.length;
  vcpu.arch["timer"] = {
    vtimer: mk("vtimer"),
    ptimer: mk("ptimer"),
    enabled: false,
    loaded: false,
    activeClearedLast: false,
    bg: undefined,
    cpu: undefined,
    lastCpu: ordinal % hw.cpus.length,
    state: "out",
    unblockPending: false,
    irqs: new Map(),
    hostIrqs: 0,
  } satisfies ArchTimerCpu;
  vcpu.arch["timerCosts"] = newCosts();
  if (!vm.counterOffset) vm.voffset = hw.counter();
}

/**
 * kvm_timer_vcpu_reset (KVM_ARM_VCPU_INIT → kvm_reset_vcpu): both CTLs back
 * to 0 — disabled and unmasked, the ARMv7 reset value KVM picks although
 * ARMv8 leaves it UNKNOWN; once the timer is enabled the lines drop and,
 * with a vgic, the HW-mapped vtimer interrupt is reset (active, pending and
 * line cleared: kvm_vgic_reset_mapped_irq — virt/kvm/arm/arch_timer.c at
 * v4.15+ and arch/arm64/kvm/arch_timer.c alike); the ptimer's soft timer is
 * cancelled. CVAL and the offsets are kept.
 *
 * @example
 * ```ts
 * // kvmTimerVcpuReset(vcpu)
 * ```
 */
export function kvmTimerVcpuReset(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  // A vcpu ioctl runs with the vCPU put, so the state is in memory; should
  // the vtimer still be in the hardware, disable it there too.
  if (vtimerInHw(vcpu) && t.enabled) t.cpu!.writeCtl(0n);
  t.vtimer.ctl = 0n;
  t.ptimer.ctl = 0n;
  if (t.enabled) {
    kvmTimerUpdateIrq(vcpu, false, t.vtimer);
    kvmTimerUpdateIrq(vcpu, false, t.ptimer);
    if (vgicOf(vcpu.kvm)) kvmVgicResetMappedIrq(vcpu, timerPpi(vcpu, "vtimer"));
  }
  softCancel(t.ptimer, vcpu);
}

/** The offset a context's "now" is taken from. */
export function timerOffset(vcpu: KvmVcpu, kind: TimerKind): bigint {
  const vm = timerVm(vcpu.kvm);
  return kind === "vtimer" ? vm.voffset : vm.poffset;
}

/**
 * A timer's "now": physical counter − that timer's offset (mod 2^64).
 *
 * @example
 * ```ts
 * // timerNow(vcpu, "vtimer")
 * ```
 */
export function timerNow(vcpu: KvmVcpu, kind: TimerKind): bigint {
  return BigInt.asUintN(64, armHw(vcpu.kvm.kernel).counter() - timerOffset(vcpu, kind));
}

/** The PPI a context raises. */
export function timerPpi(vcpu: KvmVcpu, kind: TimerKind): number {
  return timerVm(vcpu.kvm).ppi[kind];
}

/** kvm_timer_irq_can_fire: ENABLE set and IMASK clear. */
export function canFire(ctx: { ctl: bigint }): boolean {
  return (ctx.ctl & (ARCH_TIMER_CTRL_IT_MASK | ARCH_TIMER_CTRL_ENABLE)) === ARCH_TIMER_CTRL_ENABLE;
}

/** Is the vtimer's state in the hardware right now (lazy: loaded; legacy: in the guest)? */
export function vtimerInHw(vcpu: KvmVcpu, hw: ArmHw = armHw(vcpu.kvm.kernel)): boolean {
  const t = timerCpu(vcpu);
  if (!t.cpu) return false;
  return hw.legacy ? t.cpu.inGuest && t.cpu.current === vcpu : t.loaded;
}

/**
 * The vtimer's current CTL/CVAL without charging costs (for views and ONE_REG
 * while loaded): from the hardware when it holds them, else from memory.
 *
 * @example
 * ```ts
 * // const { ctl, cval } = vtimerSnapshot(vcpu);
 * ```
 */
export function vtimerSnapshot(vcpu: KvmVcpu): { ctl: bigint; cval: bigint } {
  const t = timerCpu(vcpu);
  if (vtimerInHw(vcpu) && t.enabled) return { ctl: t.cpu!.cntv_ctl & 3n, cval: t.cpu!.cntv_cval };
  return { ctl: t.vtimer.ctl, cval: t.vtimer.cval };
}

/** CTL/CVAL of a context as currently effective. */
export function ctxState(vcpu: KvmVcpu, kind: TimerKind): { ctl: bigint; cval: bigint } {
  if (kind === "vtimer") return vtimerSnapshot(vcpu);
  const p = timerCpu(vcpu).ptimer;
  return { ctl: p.ctl, cval: p.cval };
}

/**
 * read_timer_ctl: the stored CTL (every bit userspace or the trapped guest
 * wrote except ISTATUS; the hardware keeps only ENABLE|IMASK) with ISTATUS
 * set whenever CVAL ≤ now, even when disabled (a KVM choice).
 *
 * @example
 * ```ts
 * // readTimerCtl(vcpu, "vtimer") & 4n
 * ```
 */
export function readTimerCtl(vcpu: KvmVcpu, kind: TimerKind): bigint {
  const s = ctxState(vcpu, kind);
  return s.ctl | (s.cval <= timerNow(vcpu, kind) ? ARCH_TIMER_CTRL_IT_STAT : 0n);
}

/**
 * A CTL value as KVM stores a userspace (ONE_REG) or trapped-guest write:
 * `value & ~ARCH_TIMER_CTRL_IT_STAT` into the u32 cnt_ctl — other RES0 bits
 * are kept and read back (arch_timer.c kvm_arm_timer_set_reg; v4.15
 * sys_regs.c access_cntp_ctl; mainline kvm_arm_timer_write).
 *
 * @example
 * ```ts
 * console.log(ctlFromUser(0xffn)); // 251n
 * ```
 */
export function ctlFromUser(value: bigint): bigint {
  return BigInt.asUintN(32, value) & ~ARCH_TIMER_CTRL_IT_STAT;
}

/**
 * TVAL as read: the low 32 bits of CVAL − now.
 *
 * @example
 * ```ts
 * console.log(tvalOf(100n, 40n)); // 60n
 * ```
 */
export function tvalOf(cval: bigint, now: bigint): bigint {
  return BigInt.asUintN(32, cval - now);
}

/**
 * CVAL after a TVAL write: now + the sign-extended 32-bit value.
 *
 * @example
 * ```ts
 * console.log(cvalFromTval(1000n, 0xffffffffn)); // 999n
 * ```
 */
export function cvalFromTval(now: bigint, tval: bigint): bigint {
  return BigInt.asUintN(64, now + BigInt.asIntN(32, tval));
}

/**
 * kvm_timer_should_fire. Seed 004: when the state is loaded, snapshot CTL and
 * CVAL from the hardware first (two counted reads).
 *
 * @example
 * ```ts
 * // kvmTimerShouldFire(vcpu, timerCpu(vcpu).vtimer)
 * ```
 */
export function kvmTimerShouldFire(vcpu: KvmVcpu, ctx: TimerCtx): boolean {
  const t = timerCpu(vcpu);
  const hw = armHw(vcpu.kvm.kernel);
  if (ctx.kind === "vtimer" && !hw.legacy && t.loaded && t.cpu) {
    ctx.ctl = t.cpu.readCtl();
    ctx.cval = t.cpu.readCval();
  }
  if (!canFire(ctx)) return false;
  return ctx.cval <= timerNow(vcpu, ctx.kind);
}

/**
 * kvm_timer_update_irq: set the line and tell the vgic.
 *
 * @example
 * ```ts
 * // kvmTimerUpdateIrq(vcpu, true, timerCpu(vcpu).vtimer)
 * ```
 */
export function kvmTimerUpdateIrq(vcpu: KvmVcpu, level: boolean, ctx: TimerCtx): void {
  const t = timerCpu(vcpu);
  t.activeClearedLast = false;
  ctx.level = level;
  const k = vcpu.kvm.kernel;
  if (k.trace.enabled) {
    k.trace.emit(
      `kvm_timer_update_irq: VCPU: ${vcpu.vcpu_id}, IRQ ${timerPpi(vcpu, ctx.kind)}, level ${
        level ? 1 : 0
      }`,
    );
  }
  if (vgicOf(vcpu.kvm)) kvmVgicInjectIrq(vcpu, timerPpi(vcpu, ctx.kind), level);
}

/** kvm_timer_update_state (legacy): bring the line in line with the saved state. */
function kvmTimerUpdateState(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (!t.enabled) return;
  if (kvmTimerShouldFire(vcpu, t.vtimer) !== t.vtimer.level) {
    kvmTimerUpdateIrq(vcpu, !t.vtimer.level, t.vtimer);
  }
}

/** timer_save_state (seed): read back CTL/CVAL, disable the hardware timer, mark not loaded. */
export function timerSaveState(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (!t.loaded || !t.cpu) return;
  const c = t.cpu;
  if (t.enabled) {
    t.vtimer.ctl = c.readCtl();
    t.vtimer.cval = c.readCval();
  }
  c.writeCtl(0n);
  t.loaded = false;
}

/** timer_restore_state (seed): CVAL, isb, CTL into the hardware; mark loaded. */
export function timerRestoreState(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (t.loaded || !t.cpu) return;
  if (t.enabled) {
    t.cpu.writeCval(t.vtimer.cval);
    t.cpu.writeCtl(t.vtimer.ctl);
  }
  t.loaded = true;
}

// ------------------------------------------------------------ the emulated ptimer (mainline timer_emulate)

function softCancel(ctx: TimerCtx, vcpu: KvmVcpu): void {
  vcpu.kvm.kernel.clock.cancel(ctx.soft);
  ctx.soft = undefined;
}

/**
 * timer_emulate: drive the line from the saved state and, if it can fire
 * later, arm the soft hrtimer for the deadline.
 *
 * @example
 * ```ts
 * // timerEmulate(vcpu, timerCpu(vcpu).ptimer)
 * ```
 */
export function timerEmulate(vcpu: KvmVcpu, ctx: TimerCtx): void {
  const sf = kvmTimerShouldFire(vcpu, ctx);
  if (sf !== ctx.level) kvmTimerUpdateIrq(vcpu, sf, ctx);
  softCancel(ctx, vcpu);
  if (sf || !canFire(ctx)) return;
  const hw = armHw(vcpu.kvm.kernel);
  const at = hw.nsOfCount(BigInt.asUintN(64, ctx.cval + timerOffset(vcpu, ctx.kind)));
  if (at === undefined) return;
  ctx.soft = vcpu.kvm.kernel.clock.addTimer(at, () => {
    ctx.soft = undefined;
    // kvm_hrtimer_expire
    if (kvmTimerShouldFire(vcpu, ctx) && !ctx.level) kvmTimerUpdateIrq(vcpu, true, ctx);
  });
}

// ------------------------------------------------------------ load / put (seed 004)

/**
 * kvm_timer_vcpu_load, the vCPU being loaded on `t.cpu`. Lazy: forward the
 * host vtimer IRQ to this vCPU, set the physical active state from the
 * virtual one (one redistributor write), CNTVOFF (hyp call), restore the
 * state, trap config on VHE. Legacy: nothing. Both: start ptimer emulation.
 *
 * @example
 * ```ts
 * // kvmTimerVcpuLoad(vcpu)
 * ```
 */
export function kvmTimerVcpuLoad(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  const hw = armHw(vcpu.kvm.kernel);
  const c = t.cpu!;
  if (!hw.legacy) {
    c.affinity = vcpu;
    const physActive = t.vtimer.level || kvmVgicMapIsActive(vcpu, timerPpi(vcpu, "vtimer"));
    c.setPpiActive(physActive);
    const off = timerVm(vcpu.kvm).voffset;
    hw.hypCall(() => kvmTimerSetCntvoff(c, off));
    timerRestoreState(vcpu);
    if (hw.vhe) timerEnableTraps(c, hw.vhe);
  }
  if (t.enabled) timerEmulate(vcpu, t.ptimer);
}

/**
 * kvm_timer_vcpu_put. Lazy: trap config on VHE, save the state, CNTVOFF = 0
 * (hyp call), drop the IRQ forwarding. Legacy: forget the active-clear cache.
 *
 * @example
 * ```ts
 * // kvmTimerVcpuPut(vcpu)
 * ```
 */
export function kvmTimerVcpuPut(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  const hw = armHw(vcpu.kvm.kernel);
  const c = t.cpu!;
  softCancel(t.ptimer, vcpu);
  if (hw.legacy) {
    t.activeClearedLast = false;
    return;
  }
  if (hw.vhe) timerDisableTraps(c, hw.vhe);
  timerSaveState(vcpu);
  hw.hypCall(() => kvmTimerSetCntvoff(c, 0n));
  c.affinity = undefined;
}

/**
 * kvm_timer_schedule (before kvm_vcpu_block on WFI): save the state (lazy),
 * then arm the background timer for the earliest deadline of the timers that
 * can fire — unless one has already expired (the block returns at once).
 *
 * @example
 * ```ts
 * // kvmTimerSchedule(vcpu)
 * ```
 */
export function kvmTimerSchedule(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  const hw = armHw(vcpu.kvm.kernel);
  if (!hw.legacy) timerSaveState(vcpu);
  softCancel(t.ptimer, vcpu);
  const ctxs = [t.vtimer, t.ptimer].filter((x) => canFire(x));
  if (ctxs.length === 0) return;
  if (ctxs.some((x) => kvmTimerShouldFire(vcpu, x))) return;
  let at = Infinity;
  for (const x of ctxs) {
    const ns = hw.nsOfCount(BigInt.asUintN(64, x.cval + timerOffset(vcpu, x.kind)));
    if (ns !== undefined && ns < at) at = ns;
  }
  if (at === Infinity) return;
  t.bg = vcpu.kvm.kernel.clock.addTimer(at, () => {
    t.bg = undefined;
    // kvm_bg_timer_expire → kvm_vcpu_kick: the vCPU sees the expiry when it runs again.
    timerHooks.wake(vcpu);
  });
}

/**
 * kvm_timer_unschedule: disarm the background timer and restore the state (lazy).
 *
 * @example
 * ```ts
 * // kvmTimerUnschedule(vcpu)
 * ```
 */
export function kvmTimerUnschedule(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  vcpu.kvm.kernel.clock.cancel(t.bg);
  t.bg = undefined;
  if (!armHw(vcpu.kvm.kernel).legacy) timerRestoreState(vcpu);
}

/**
 * Pre-seed kvm_timer_flush_hwstate (legacy, before every entry): update the
 * line from the saved state, then write the physical active state unless the
 * "active cleared last" cache says it is already clear.
 *
 * @example
 * ```ts
 * // kvmTimerFlushHwstateLegacy(vcpu)
 * ```
 */
export function kvmTimerFlushHwstateLegacy(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (!t.enabled) return;
  kvmTimerUpdateState(vcpu);
  const physActive = t.vtimer.level || kvmVgicMapIsActive(vcpu, timerPpi(vcpu, "vtimer"));
  if (t.activeClearedLast && !physActive) return;
  t.cpu!.setPpiActive(physActive);
  t.activeClearedLast = !physActive;
}

/**
 * kvm_timer_sync_hwstate (after every exit). Seed: only if the line was high,
 * re-read CTL/CVAL and lower it if the guest masked, disabled or moved the
 * timer — the timer keeps running across exits. Legacy: update from the state
 * hyp just saved.
 *
 * @example
 * ```ts
 * // kvmTimerSyncHwstate(vcpu)
 * ```
 */
export function kvmTimerSyncHwstate(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (armHw(vcpu.kvm.kernel).legacy) {
    kvmTimerUpdateState(vcpu);
    return;
  }
  if (t.vtimer.level && t.loaded && t.cpu) {
    t.vtimer.ctl = t.cpu.readCtl();
    t.vtimer.cval = t.cpu.readCval();
    if (!kvmTimerShouldFire(vcpu, t.vtimer)) kvmTimerUpdateIrq(vcpu, false, t.vtimer);
  }
}

/**
 * kvm_arch_timer_handler: the host vtimer PPI fired on `cpu`. Seed: if the
 * line is not already high, read CTL and inject into the vgic from the ISR.
 * With the IRQ forwarded, the physical interrupt stays active until the guest
 * deactivates the virtual one. Pre-seed this was "a sure sign of breakage".
 *
 * @example
 * ```ts
 * // kvmArchTimerHandler(cpu)
 * ```
 */
export function kvmArchTimerHandler(cpu: PCpu): void {
  const hw = cpu.hw;
  const vcpu = cpu.affinity;
  hw.event("irq", vcpu);
  hw.inPhase("irq", vcpu, () => {
    if (!vcpu) {
      // Unexpected: the host EOIs and deactivates it.
      if (hw.kernel.trace.enabled) {
        hw.kernel.trace.emit(`kvm: Unexpected interrupt on pcpu${cpu.id}`);
      }
      return;
    }
    const t = timerCpu(vcpu);
    t.hostIrqs++;
    cpu.ppiActive = true; // acknowledged; forwarded, so EOI only drops priority
    cpu.rearm();
    if (!t.vtimer.level) {
      t.vtimer.ctl = cpu.readCtl();
      if (canFire(t.vtimer)) kvmTimerUpdateIrq(vcpu, true, t.vtimer);
    }
  });
}

/** The cost table of a vCPU. */
export function vcpuCosts(vcpu: KvmVcpu): CostTable {
  return vcpu.arch["timerCosts"] as CostTable;
}
