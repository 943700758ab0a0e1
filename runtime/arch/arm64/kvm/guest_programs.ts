/**
 * Guest programs that run on simulated vCPUs: a periodic tick (program the
 * next deadline, WFI, take the interrupt, mask, EOI, repeat — a tickless
 * kernel's timer in miniature, used by the benchmark and examples) and the
 * guest half of the KVM selftest tools/testing/selftests/kvm/arm64/arch_timer.c
 * (four stages: vtimer CVAL, vtimer TVAL, ptimer CVAL, ptimer TVAL; each
 * iteration arms now + period, busy-waits period + margin and asserts exactly
 * one new interrupt; the handler checks INTID, counter ≥ CVAL and ISTATUS).
 *
 * @example
 * ```ts
 * import { TickProgram } from "./guest_programs.ts";
 * console.log(typeof TickProgram); // "function"
 * ```
 * @module
 */
import type { Timer } from "../../../kernel/clock.ts";
import type { KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import {
  ARCH_TIMER_CTRL_ENABLE,
  ARCH_TIMER_CTRL_IT_MASK,
  ARCH_TIMER_CTRL_IT_STAT,
  CNTP_CTL_EL0,
  CNTP_CVAL_EL0,
  CNTP_TVAL_EL0,
  CNTPCT_EL0,
  CNTV_CTL_EL0,
  CNTV_CVAL_EL0,
  CNTV_TVAL_EL0,
  CNTVCT_EL0,
} from "../include/asm/sysreg.ts";
import { type TimerKind, timerPpi } from "./arch_timer.ts";
import { guestAck, guestEoi, guestMrs, guestMsr, guestWfi } from "./guest_cpu.ts";
import { armHw } from "./pcpu.ts";
import type { GuestProgram } from "./run.ts";

/** The four registers of one timer as the guest names them. */
export interface TimerRegs {
  ctl: bigint;
  cval: bigint;
  tval: bigint;
  cnt: bigint;
}

/**
 * Register encodings of the guest's virtual or physical timer.
 *
 * @example
 * ```ts
 * import { CNTV_CTL_EL0 } from "../include/asm/sysreg.ts";
 * console.log(timerRegs("vtimer").ctl === CNTV_CTL_EL0); // true
 * ```
 */
export function timerRegs(kind: TimerKind): TimerRegs {
  return kind === "vtimer"
    ? { ctl: CNTV_CTL_EL0, cval: CNTV_CVAL_EL0, tval: CNTV_TVAL_EL0, cnt: CNTVCT_EL0 }
    : { ctl: CNTP_CTL_EL0, cval: CNTP_CVAL_EL0, tval: CNTP_TVAL_EL0, cnt: CNTPCT_EL0 };
}

/**
 * Install a program on a vCPU (its interrupt handler runs whenever an
 * interrupt is pending in the list registers while it runs).
 *
 * @example
 * ```ts
 * // setGuestProgram(vcpu, new TickProgram(vcpu, "vtimer", 25_000n));
 * ```
 */
export function setGuestProgram(vcpu: KvmVcpu, p: GuestProgram | undefined): void {
  if (p) vcpu.arch["guestProgram"] = p;
  else delete vcpu.arch["guestProgram"];
}

/** A periodic timer: CVAL += period after each interrupt, WFI in between. */
export class TickProgram implements GuestProgram {
  readonly vcpu: KvmVcpu;
  readonly kind: TimerKind;
  readonly period: bigint;
  readonly regs: TimerRegs;
  ticks = 0;
  /** Interrupts that failed the handler's checks. */
  errors: string[] = [];
  #next = 0n;

  constructor(vcpu: KvmVcpu, kind: TimerKind, periodTicks: bigint) {
    this.vcpu = vcpu;
    this.kind = kind;
    this.period = periodTicks;
    this.regs = timerRegs(kind);
  }

  /** Arm the first deadline and wait. */
  start(): void {
    const v = this.vcpu;
    this.#next = guestMrs(v, this.regs.cnt) + this.period;
    guestMsr(v, this.regs.cval, this.#next);
    guestMsr(v, this.regs.ctl, ARCH_TIMER_CTRL_ENABLE);
    guestWfi(v);
  }

  onIrq(v: KvmVcpu): void {
    const intid = guestAck(v);
    if (intid === 1023) return;
    if (intid !== timerPpi(v, this.kind)) {
      this.errors.push(`unexpected INTID ${intid}`);
      guestEoi(v, intid);
      return;
    }
    const ctl = guestMrs(v, this.regs.ctl);
    if (!(ctl & ARCH_TIMER_CTRL_IT_STAT)) {
      this.errors.push(`ISTATUS clear in the handler (ctl ${ctl})`);
    }
    guestMsr(v, this.regs.ctl, ARCH_TIMER_CTRL_IT_MASK);
    guestEoi(v, intid);
    this.ticks++;
    this.#next += this.period;
    guestMsr(v, this.regs.cval, this.#next);
    guestMsr(v, this.regs.ctl, ARCH_TIMER_CTRL_ENABLE);
    guestWfi(v);
  }
}

/** The selftest's stages, in order. */
export const SELFTEST_STAGES = [
  "vtimer-cval",
  "vtimer-tval",
  "ptimer-cval",
  "ptimer-tval",
] as const;

/** Parameters of the selftest (include/timer_test.h defaults). */
export interface SelftestArgs {
  iterations: number;
  periodNs: number;
  marginNs: number;
}

/** The guest half of tools/testing/selftests/kvm/arm64/arch_timer.c for one vCPU. */
export class SelftestProgram implements GuestProgram {
  readonly vcpu: KvmVcpu;
  readonly args: SelftestArgs;
  stage = 0;
  iter = 0;
  /** shared_data->nr_iter: interrupts counted by the handler in this stage. */
  nrIter = 0;
  irqs = 0;
  failures: string[] = [];
  done = false;
  #wait: Timer | undefined;

  constructor(vcpu: KvmVcpu, args: SelftestArgs) {
    this.vcpu = vcpu;
    this.args = args;
  }

  #kind(): TimerKind {
    return this.stage < 2 ? "vtimer" : "ptimer";
  }

  /** guest_code prologue: mask both timers, then the first stage. */
  start(): void {
    const v = this.vcpu;
    guestMsr(v, CNTV_CTL_EL0, ARCH_TIMER_CTRL_IT_MASK);
    guestMsr(v, CNTP_CTL_EL0, ARCH_TIMER_CTRL_IT_MASK);
    this.#configure();
  }

  /** guest_configure_timer_action, then udelay(period + margin). */
  #configure(): void {
    const v = this.vcpu;
    const r = timerRegs(this.#kind());
    const hw = armHw(v.kvm.kernel);
    const cycles = (BigInt(this.args.periodNs) * hw.freq) / 1_000_000_000n;
    if (this.stage % 2 === 0) {
      const xcnt = guestMrs(v, r.cnt);
      guestMsr(v, r.cval, xcnt + cycles);
    } else {
      guestMsr(v, r.tval, cycles);
    }
    guestMsr(v, r.ctl, ARCH_TIMER_CTRL_ENABLE);
    const k = v.kvm.kernel;
    this.#wait = k.clock.addTimer(
      k.clock.now + this.args.periodNs + this.args.marginNs,
      () => this.#check(),
    );
  }

  /** After the busy-wait: exactly one new interrupt (config_iter + 1 == irq_iter). */
  #check(): void {
    this.#wait = undefined;
    if (this.nrIter !== this.iter + 1) {
      this.failures.push(
        `${SELFTEST_STAGES[this.stage]} iter ${this.iter}: config_iter + 1 = ${
          this.iter + 1
        }, irq_iter = ${this.nrIter}` +
          " (Guest timer interrupt was not triggered within the specified interval, try to increase the error margin)",
      );
    }
    this.iter++;
    if (this.iter >= this.args.iterations) {
      this.stage++;
      this.iter = 0;
      this.nrIter = 0;
      if (this.stage >= SELFTEST_STAGES.length) {
        this.done = true;
        return;
      }
    }
    this.#configure();
  }

  /** guest_irq_handler. */
  onIrq(v: KvmVcpu): void {
    const intid = guestAck(v);
    if (intid === 1023) return;
    const kind = this.#kind();
    const r = timerRegs(kind);
    const ctl = guestMrs(v, r.ctl);
    const cval = guestMrs(v, r.cval);
    const cnt = guestMrs(v, r.cnt);
    if (!(ctl & ARCH_TIMER_CTRL_ENABLE) || (ctl & ARCH_TIMER_CTRL_IT_MASK)) {
      guestEoi(v, intid); // a masked or disabled timer: not ours to count
      return;
    }
    guestMsr(v, r.ctl, ARCH_TIMER_CTRL_IT_MASK); // stop the timer
    if (intid !== timerPpi(v, kind)) {
      this.failures.push(`INTID ${intid} ≠ ${kind} PPI ${timerPpi(v, kind)}`);
    }
    if (cnt < cval) this.failures.push(`counter ${cnt} < CVAL ${cval}`);
    if (!(ctl & ARCH_TIMER_CTRL_IT_STAT)) this.failures.push(`ISTATUS clear (ctl ${ctl})`);
    this.nrIter++;
    this.irqs++;
    guestEoi(v, intid);
  }

  /** Stop waiting (the test is torn down). */
  cancel(): void {
    this.vcpu.kvm.kernel.clock.cancel(this.#wait);
  }
}
