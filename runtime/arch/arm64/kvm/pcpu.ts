/**
 * The simulated arm64 hardware under KVM: per physical CPU, the EL1 virtual
 * timer registers (CNTV_CTL/CVAL), CNTVOFF_EL2 and CNTHCTL_EL2, the banked
 * redistributor state of the host's vtimer PPI (pending/active), and the
 * counter driven by the virtual clock (counter = ⌊ns · cntfrq / 10⁹⌋). There
 * is no kernel twin: this is what the kernel code runs *on*.
 *
 * Every access KVM makes goes through the counted accessors here, so the cost
 * of a code path (seed 004's point) is measured, not asserted: system-register
 * reads/writes, hyp calls (kvm_call_hyp on non-VHE) and distributor MMIO,
 * attributed to the phase that issued them (entry/exit, load/put, wfi, irq).
 *
 * @example
 * ```ts
 * import { Kernel } from "../../../kernel/kernel.ts";
 * import { armHw } from "./pcpu.ts";
 * const k = new Kernel({ name: "h", arch: "arm64", profile: "seed", pageSize: 4096, seed: 1, props: { cpus: 2n } });
 * k.clock.advance(1_000_000);
 * console.log(armHw(k).cpus.length, armHw(k).counter()); // 2 25000n
 * ```
 * @module
 */
import type { Kernel } from "../../../kernel/kernel.ts";
import type { Timer } from "../../../kernel/clock.ts";
import type { KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import {
  ARCH_TIMER_CTRL_ENABLE,
  ARCH_TIMER_CTRL_IT_MASK,
  ARCH_TIMER_CTRL_IT_STAT,
  CNTHCTL_EL1_SHIFT_VHE,
  CNTHCTL_EL1PCEN,
  CNTHCTL_EL1PCTEN,
} from "../include/asm/sysreg.ts";

/** Where a cost is attributed. */
export type Phase = "entry/exit" | "load/put" | "wfi" | "irq" | "user";
/** The phases, in display order. */
export const PHASES: readonly Phase[] = ["entry/exit", "load/put", "wfi", "irq", "user"];

/** Counted operations of one phase. */
export interface CostRow {
  /** Events of the phase: round trips, load+put pairs (counted at load), WFIs, host timer IRQs. */
  events: number;
  sysreg: number;
  hyp: number;
  mmio: number;
}

/** A cost table: per phase. */
export type CostTable = Map<Phase, CostRow>;

/**
 * A fresh cost table.
 *
 * @example
 * ```ts
 * console.log(newCosts().get("wfi")); // { events: 0, sysreg: 0, hyp: 0, mmio: 0 }
 * ```
 */
export function newCosts(): CostTable {
  return new Map(PHASES.map((p) => [p, { events: 0, sysreg: 0, hyp: 0, mmio: 0 }]));
}

/** One physical CPU. */
export class PCpu {
  readonly id: number;
  readonly hw: ArmHw;
  /** Hardware CNTV_CTL_EL0 (ENABLE | IMASK; ISTATUS is computed). */
  cntv_ctl = 0n;
  cntv_cval = 0n;
  cntvoff = 0n;
  cnthctl: bigint;
  /** Redistributor state of the host vtimer PPI (banked per CPU). */
  ppiActive = false;
  /** irq_set_vcpu_affinity(host_vtimer_irq, vcpu): the IRQ is forwarded to this vCPU. */
  affinity: KvmVcpu | undefined;
  /** The vCPU loaded here (vcpu_load … vcpu_put), if any. */
  current: KvmVcpu | undefined;
  /** The loaded vCPU is executing guest code (between entry and exit). */
  inGuest = false;
  /** Clock timer at which the hardware output would assert. */
  #deadline: Timer | undefined;

  constructor(hw: ArmHw, id: number) {
    this.hw = hw;
    this.id = id;
    // Host boots with EL1 physical counter/timer access enabled (non-VHE host runs at EL1).
    this.cnthctl = CNTHCTL_EL1PCTEN | CNTHCTL_EL1PCEN;
  }

  /** The virtual counter this CPU's hardware sees (physical − CNTVOFF). */
  vcount(): bigint {
    return BigInt.asUintN(64, this.hw.counter() - this.cntvoff);
  }

  /** Timer condition of the hardware vtimer (ISTATUS). */
  condition(): boolean {
    return this.cntv_cval <= this.vcount();
  }

  /** The timer output line: ENABLE && !IMASK && condition. */
  outputAsserted(): boolean {
    return (this.cntv_ctl & (ARCH_TIMER_CTRL_ENABLE | ARCH_TIMER_CTRL_IT_MASK)) ===
        ARCH_TIMER_CTRL_ENABLE &&
      this.condition();
  }

  /** CTL as the hardware returns it: ISTATUS reflects the condition. */
  readCtlRaw(): bigint {
    return (this.cntv_ctl & 3n) | (this.condition() ? ARCH_TIMER_CTRL_IT_STAT : 0n);
  }

  // ---- counted accessors (KVM's read_sysreg/write_sysreg on this CPU)

  /** read_sysreg_el0(cntv_ctl). */
  readCtl(): bigint {
    this.hw.count("sysreg");
    return this.readCtlRaw();
  }
  /** read_sysreg_el0(cntv_cval). */
  readCval(): bigint {
    this.hw.count("sysreg");
    return this.cntv_cval;
  }
  /** write_sysreg_el0(v, cntv_ctl). */
  writeCtl(v: bigint): void {
    this.hw.count("sysreg");
    this.setCtlRaw(v);
  }
  /** write_sysreg_el0(v, cntv_cval). */
  writeCval(v: bigint): void {
    this.hw.count("sysreg");
    this.setCvalRaw(v);
  }
  /** write_sysreg(v, cntvoff_el2). */
  writeCntvoff(v: bigint): void {
    this.hw.count("sysreg");
    this.cntvoff = BigInt.asUintN(64, v);
    this.rearm();
  }
  /** read_sysreg(cnthctl_el2). */
  readCnthctl(): bigint {
    this.hw.count("sysreg");
    return this.cnthctl;
  }
  /** write_sysreg(v, cnthctl_el2). */
  writeCnthctl(v: bigint): void {
    this.hw.count("sysreg");
    this.cnthctl = v;
  }
  /** irq_set_irqchip_state(host_vtimer_irq, IRQCHIP_STATE_ACTIVE, v): a GICR_I[SC]ACTIVER0 write. */
  setPpiActive(v: boolean): void {
    this.hw.count("mmio");
    this.ppiActive = v;
    this.rearm();
  }

  // ---- uncounted: the guest's own accesses and the hardware itself

  /** The guest (or hardware) writes CTL: ISTATUS is read-only. */
  setCtlRaw(v: bigint): void {
    this.cntv_ctl = v & 3n;
    this.rearm();
  }
  /** The guest writes CVAL. */
  setCvalRaw(v: bigint): void {
    this.cntv_cval = BigInt.asUintN(64, v);
    this.rearm();
  }
  /** The guest's deactivation through a HW-bit list register deactivates the physical IRQ. */
  deactivatePpi(): void {
    this.ppiActive = false;
    this.rearm();
  }

  /** Arm a clock timer at the moment the output will assert (if enabled, unmasked, in the future). */
  rearm(): void {
    const clock = this.hw.kernel.clock;
    clock.cancel(this.#deadline);
    this.#deadline = undefined;
    if ((this.cntv_ctl & 3n) !== ARCH_TIMER_CTRL_ENABLE || this.ppiActive) return;
    const target = BigInt.asUintN(64, this.cntv_cval + this.cntvoff); // physical count at which it fires
    const at = this.hw.nsOfCount(target);
    if (at === undefined || at <= clock.now) return; // already due: callers check at their safe points
    this.#deadline = clock.addTimer(at, () => {
      this.#deadline = undefined;
      this.hw.onPhysIrq(this);
    });
  }

  /** A physical vtimer interrupt is deliverable now (asserted and not active). */
  irqDeliverable(): boolean {
    return !this.ppiActive && this.outputAsserted();
  }
}

/** Installed by run.ts (kept apart to avoid an import cycle). */
export const hwHooks = {
  physIrq: (_cpu: PCpu): void => {},
};

/** Per-kernel hardware state. */
export class ArmHw {
  readonly kernel: Kernel;
  readonly cpus: PCpu[];
  readonly freq: bigint;
  readonly vhe: boolean;
  readonly legacy: boolean;
  /** Costs of the whole host, and the vCPU they are currently charged to. */
  readonly costs: CostTable = newCosts();
  phase: Phase = "user";
  charge: KvmVcpu | undefined;
  /** A physical vtimer IRQ is signalled on `cpu` (run.ts installs the handler in hwHooks). */
  onPhysIrq(cpu: PCpu): void {
    hwHooks.physIrq(cpu);
  }

  constructor(k: Kernel) {
    this.kernel = k;
    const p = k.config.props;
    const n = Number(p["cpus"] ?? 4n);
    this.freq = typeof p["cntfrq"] === "bigint" ? p["cntfrq"] : 25_000_000n;
    this.vhe = !(p["vhe"] === "off" || p["vhe"] === false);
    this.legacy = p["timer-save"] === "legacy";
    this.cpus = Array.from({ length: Math.max(1, n) }, (_, i) => new PCpu(this, i));
    if (this.vhe) { for (const c of this.cpus) c.cnthctl = vheBootCnthctl(c.cnthctl); }
  }

  /** The physical counter now: ⌊ns · freq / 10⁹⌋. */
  counter(): bigint {
    return (BigInt(Math.floor(this.kernel.clock.now)) * this.freq) / 1_000_000_000n;
  }

  /** The first nanosecond at which the physical counter reaches `count` (undefined if beyond the clock). */
  nsOfCount(count: bigint): number | undefined {
    if (count <= 0n) return 0;
    const ns = (count * 1_000_000_000n + this.freq - 1n) / this.freq;
    return ns > 2n ** 53n ? undefined : Number(ns);
  }

  /** Nanoseconds until the counter advances by `ticks` (for hrtimers). */
  ticksToNs(ticks: bigint): number {
    return Number((ticks * 1_000_000_000n + this.freq - 1n) / this.freq);
  }

  /** Count one operation in the current phase (and on the charged vCPU). */
  count(kind: "sysreg" | "hyp" | "mmio"): void {
    this.costs.get(this.phase)![kind]++;
    const v = this.charge;
    const t = v?.arch["timerCosts"] as CostTable | undefined;
    if (t) t.get(this.phase)![kind]++;
  }

  /** kvm_call_hyp(fn): a hyp call on non-VHE; on VHE a plain function call (not counted). */
  hypCall(fn: () => void): void {
    if (!this.vhe) this.count("hyp");
    fn();
  }

  /** Count an event of a phase. */
  event(phase: Phase, vcpu: KvmVcpu | undefined): void {
    this.costs.get(phase)!.events++;
    const t = vcpu?.arch["timerCosts"] as CostTable | undefined;
    if (t) t.get(phase)!.events++;
  }

  /** Run `fn` with costs charged to `phase` and `vcpu`; phases nest. */
  inPhase<T>(phase: Phase, vcpu: KvmVcpu | undefined, fn: () => T): T {
    const p = this.phase, c = this.charge;
    this.phase = phase;
    this.charge = vcpu;
    try {
      return fn();
    } finally {
      this.phase = p;
      this.charge = c;
    }
  }
}

/**
 * kvm_timer_init_vhe() of the kernels whose ptimer is emulated (v4.11–v5.0,
 * the scheme simulated here): with E2H = 1 the EL1 bits sit 10 higher; set
 * once at boot, since with TGE = 1 they do not affect the host. It sets
 * EL1PCTEN (the guest reads the physical counter directly) and clears
 * EL1PCEN ("Disallow physical timer access for the guest"), so guest
 * CNTP_* accesses trap to the emulation. (v5.x set both bits because its
 * VHE ptimer was direct — kvm-nested-timer.md C.2 — which is not simulated.)
 *
 * @example
 * ```ts
 * console.log(vheBootCnthctl(3n)); // 1027n
 * ```
 */
export function vheBootCnthctl(val: bigint): bigint {
  const shift = CNTHCTL_EL1_SHIFT_VHE;
  return (val & ~(CNTHCTL_EL1PCEN << shift)) | (CNTHCTL_EL1PCTEN << shift);
}

/**
 * The hardware of a kernel (created on first use from the host properties
 * `cpus`, `cntfrq`, `vhe`, `timer-save`).
 *
 * @example
 * ```ts
 * // armHw(kernel).cpus[0].cntvoff
 * ```
 */
export function armHw(k: Kernel): ArmHw {
  return k.state("arm64-hw", () => new ArmHw(k));
}
