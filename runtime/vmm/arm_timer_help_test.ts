/**
 * `help` for every timer register, ioctl and attribute (issue 5: "help for
 * every register, ioctl, attribute"): each names its own rule, not only its
 * constant group.
 * @module
 */
import assert from "node:assert/strict";
import "../modules.ts";
import { helpText } from "../../stdlib/help.ts";

const CASES: [string, RegExp][] = [
  ["CNTV_CTL_EL0", /ENABLE \(bit 0\), IMASK \(bit 1\), ISTATUS/],
  ["CNTV_CVAL_EL0", /ENABLE && !IMASK && CVAL ≤ CNTVCT/],
  ["CNTV_TVAL_EL0", /sext\(value\)/],
  ["CNTVCT_EL0", /physical counter − CNTVOFF_EL2/],
  ["CNTPCT_EL0", /poffset/],
  ["CNTP_CTL_EL0", /physical timer control/],
  ["CNTP_CVAL_EL0", /physical timer compare/],
  ["CNTP_TVAL_EL0", /signed 32-bit/],
  ["CNTFRQ_EL0", /frequency/],
  ["CNTVOFF_EL2", /vcpu_load and 0 on vcpu_put/],
  ["CNTHCTL_EL2", /every guest entry clears EL1PCEN/],
  ["CNTHCTL_EL1PCEN", /physical timer/],
  ["CNTHCTL_EL1PCTEN", /physical counter/],
  ["ARCH_TIMER_CTRL_IT_STAT", /even with ENABLE 0/],
  ["ARCH_TIMER_CTRL_IT_MASK", /ISTATUS still follows/],
  ["ARCH_TIMER_CTRL_ENABLE", /enabled/],
  ["KVM_REG_ARM_TIMER_CTL", /SET strips ISTATUS/],
  ["KVM_REG_ARM_TIMER_CVAL", /swap quirk/],
  ["KVM_REG_ARM_TIMER_CNT", /although the id encodes CNTV_CVAL_EL0.*VM-wide/],
  ["KVM_REG_ARM_PTIMER_CTL", /CNTP_CTL_EL0/],
  ["KVM_REG_ARM_PTIMER_CVAL", /CNTP_CVAL_EL0/],
  ["KVM_REG_ARM_PTIMER_CNT", /poffset = counter − value/],
  ["KVM_ARM_VCPU_TIMER_CTRL", /vcpu fd.*ENXIO/],
  ["KVM_ARM_VCPU_TIMER_IRQ_VTIMER", /default 27.*EINVAL.*EBUSY/],
  ["KVM_ARM_VCPU_TIMER_IRQ_PTIMER", /default 30.*VM-wide/],
  ["KVM_ARM_VCPU_TIMER_IRQ_HVTIMER", /default 28.*seed → ENXIO/],
  ["KVM_ARM_VCPU_TIMER_IRQ_HPTIMER", /default 26/],
  ["KVM_CAP_COUNTER_OFFSET", /= 227 .*KVM_ARM_SET_COUNTER_OFFSET/s],
  ["KVM_ARM_SET_COUNTER_OFFSET", /EINVAL: reserved ≠ 0.*EBUSY/s],
  ["KVM_ARM_DEV_EL1_VTIMER", /device_irq_level bit 0/],
  ["KVM_ARM_DEV_EL1_PTIMER", /device_irq_level bit 1/],
];

for (const [name, want] of CASES) {
  Deno.test(`help ${name} explains its own rule (kvm-nested-timer.md C.1–C.5)`, () => {
    const h = helpText(name);
    assert.match(h, want, h);
  });
}
