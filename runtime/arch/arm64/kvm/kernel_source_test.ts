/**
 * Rules checked against the kernel's own sources (second-pass review of the
 * arm64 timer): what the `seed` profile's kernel (virt/kvm/arm/arch_timer.c
 * and arch/arm64/kvm/sys_regs.c of the v4.15 era) and mainline
 * (arch/arm64/kvm/arch_timer.c) answer where the simulation used to differ.
 */
import assert from "node:assert/strict";
import { bootArm } from "./test_util.ts";
import { ctlFromUser, timerCpu, timerVm } from "./arch_timer.ts";
import { timerGetReg, timerSetReg } from "./guest.ts";
import { vgicPrivate } from "./vgic/vgic.ts";
import {
  KVM_ARM_SET_COUNTER_OFFSET,
  KVM_ARM_VCPU_INIT,
  KVM_REG_ARM_PTIMER_CTL,
  KVM_REG_ARM_TIMER_CTL,
  KVM_REG_ARM_TIMER_CVAL,
} from "../include/uapi/asm/kvm.ts";
import { KVM_CHECK_EXTENSION, KVM_RUN } from "../../../include/uapi/linux/kvm.ts";
import { kvmVcpuKick } from "../../../virt/kvm/kvm_main.ts";
import type { VmmVcpu } from "../../../vmm/vmm.ts";

const MS = 1_000_000;
const EINVAL = -22;
type T = ReturnType<typeof bootArm>;

/** Run `fn` with vCPU n kicked out of KVM_RUN (put), as QEMU's run_on_cpu does, then re-enter. */
function whilePut<R>(t: T, n: number, fn: (fd: number) => R): R {
  const v = t.cpu(n).impl as VmmVcpu;
  const kicked = kvmVcpuKick(t.vmm.kvmVcpu(v));
  try {
    return fn(v.fd);
  } finally {
    if (kicked) t.vmm.runVcpu(v, KVM_RUN);
  }
}

Deno.test("seed profile: no KVM_CAP_COUNTER_OFFSET, KVM_ARM_SET_COUNTER_OFFSET → EINVAL, TIMER_CNT writes keep moving the offset (v6.4 added both; v4.15 virt/kvm/arm/arch_timer.c kvm_arm_timer_set_reg, arm.c kvm_arch_vm_ioctl default)", () => {
  const t = bootArm({ vcpus: 1, start: false });
  assert.equal(t.vmm.ioctl(t.vmm.kvm(), KVM_CHECK_EXTENSION, 227n).ret, 0);
  const vmfd = t.vmm.guests.get("vm1")!.vmfd;
  // Not EBUSY (no vCPU runs) and not the reserved check: the ioctl does not exist.
  const r = t.vmm.ioctl(vmfd, KVM_ARM_SET_COUNTER_OFFSET, { counter_offset: 5n, reserved: 0n });
  assert.equal(r.ret, EINVAL);
  assert.equal(timerVm(t.kv(0).kvm).counterOffset, false);
  t.kernel.clock.advance(MS); // counter 25000
  assert.equal(t.b("set_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT"), 7n), 0n);
  assert.equal(t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT")), 7n);
  const m = bootArm({ vcpus: 1, start: false, profile: "mainline" });
  assert.equal(m.vmm.ioctl(m.vmm.kvm(), KVM_CHECK_EXTENSION, 227n).ret, 1);
});

Deno.test("seed profile: emulated CNTP_TVAL_EL0 is the raw 64-bit CVAL − now; a write sets CVAL = now + the 64-bit value (v4.15 arch/arm64/kvm/sys_regs.c access_cntp_tval)", () => {
  const t = bootArm({ vcpus: 1 });
  const v = t.cpu(0);
  t.kernel.clock.advance(MS);
  t.b("msr", v, t.c("CNTP_TVAL_EL0"), 0xffff_ffffn);
  const p = timerCpu(t.kv(0)).ptimer;
  const now = t.b("mrs", v, t.c("CNTPCT_EL0")) as bigint;
  assert.equal(p.cval - now, 0xffff_ffffn); // no sign extension: ~172 s ahead
  t.b("msr", v, t.c("CNTP_TVAL_EL0"), -3n); // a 64-bit -1-style register value does go back
  assert.equal(p.cval, now - 3n);
  t.b("msr", v, t.c("CNTP_CVAL_EL0"), now - 5n);
  assert.equal(t.b("mrs", v, t.c("CNTP_TVAL_EL0")), 0xffff_ffff_ffff_fffbn); // not truncated
});

Deno.test("mainline: emulated CNTP_TVAL_EL0 write sign-extends the low 32 bits, read is lower_32_bits (arch/arm64/kvm/arch_timer.c kvm_arm_timer_write/kvm_arm_timer_read TIMER_REG_TVAL)", () => {
  const t = bootArm({ vcpus: 1, profile: "mainline" });
  const v = t.cpu(0);
  t.kernel.clock.advance(MS);
  t.b("msr", v, t.c("CNTP_TVAL_EL0"), 0xffff_ffffn);
  const p = timerCpu(t.kv(0)).ptimer;
  const now = t.b("mrs", v, t.c("CNTPCT_EL0")) as bigint;
  assert.equal(p.cval, now - 1n);
  t.b("msr", v, t.c("CNTP_CVAL_EL0"), now - 5n);
  assert.equal(t.b("mrs", v, t.c("CNTP_TVAL_EL0")), 0xffff_fffbn);
});

Deno.test("CTL writes from userspace and trapped guests keep every bit but ISTATUS, in a u32 (virt/kvm/arm/arch_timer.c kvm_arm_timer_set_reg `value & ~ARCH_TIMER_CTRL_IT_STAT`; v4.15 sys_regs.c access_cntp_ctl; mainline kvm_arm_timer_write)", () => {
  assert.equal(ctlFromUser(0x1_0000_00ffn), 0xfbn);
  for (const profile of ["seed", "mainline"]) {
    const t = bootArm({ vcpus: 1, start: false, profile });
    const vc = t.kv(0);
    timerSetReg(vc, KVM_REG_ARM_TIMER_CTL, 0xf9n);
    timerSetReg(vc, KVM_REG_ARM_TIMER_CVAL, 1n << 40n); // far ahead: no ISTATUS
    assert.equal(timerGetReg(vc, KVM_REG_ARM_TIMER_CTL), 0xf9n, profile);
    timerSetReg(vc, KVM_REG_ARM_PTIMER_CTL, 0xfcn);
    assert.equal(timerGetReg(vc, KVM_REG_ARM_PTIMER_CTL), 0xfcn, profile); // CVAL 0 ≤ now: ISTATUS
  }
  // A trapped guest write to the emulated ptimer keeps them too; the vtimer is hardware, which drops them.
  const t = bootArm({ vcpus: 1 });
  const v = t.cpu(0);
  t.b("msr", v, t.c("CNTP_CVAL_EL0"), 1n << 40n);
  t.b("msr", v, t.c("CNTP_CTL_EL0"), 0x82n);
  assert.equal(t.b("mrs", v, t.c("CNTP_CTL_EL0")), 0x82n);
  t.b("msr", v, t.c("CNTV_CTL_EL0"), 0x82n);
  assert.equal((t.b("mrs", v, t.c("CNTV_CTL_EL0")) as bigint) & 3n, 2n);
  assert.equal((t.b("mrs", v, t.c("CNTV_CTL_EL0")) as bigint) & 0x80n, 0n);
});

Deno.test("the saved vtimer CTL is the raw hardware read, so a stale ISTATUS survives a later CVAL write until the next load (seed timer_save_state `cntv_ctl = read_sysreg_el0(cntv_ctl)`; read_timer_ctl only ever sets ISTATUS)", () => {
  const t = bootArm({ vcpus: 1 });
  const v = t.cpu(0);
  t.kernel.clock.advance(MS);
  const now = t.b("mrs", v, t.c("CNTVCT_EL0")) as bigint;
  t.b("msr", v, t.c("CNTV_CVAL_EL0"), now - 1n);
  t.b("msr", v, t.c("CNTV_CTL_EL0"), 3n); // ENABLE|IMASK, expired: hardware ISTATUS set
  whilePut(t, 0, () => {
    const vc = t.kv(0);
    assert.equal(timerCpu(vc).vtimer.ctl, 7n); // saved with ISTATUS
    timerSetReg(vc, KVM_REG_ARM_TIMER_CVAL, now + (1n << 30n));
    assert.equal(timerGetReg(vc, KVM_REG_ARM_TIMER_CTL), 7n); // stale, as the kernel reports it
  });
  // Loaded again and saved again: the hardware's ISTATUS is now clear.
  whilePut(t, 0, () => assert.equal(timerGetReg(t.kv(0), KVM_REG_ARM_TIMER_CTL), 3n));
});

Deno.test("KVM_ARM_VCPU_INIT resets the HW-mapped vtimer interrupt: an acknowledged, never-EOIed timer IRQ is no longer active (virt/kvm/arm/arch_timer.c and arch/arm64/kvm/arch_timer.c kvm_timer_vcpu_reset → kvm_vgic_reset_mapped_irq)", () => {
  for (const profile of ["seed", "mainline"]) {
    const t = bootArm({ vcpus: 1, profile });
    const v = t.cpu(0);
    t.kernel.clock.advance(MS);
    t.b("msr", v, t.c("CNTV_CVAL_EL0"), (t.b("mrs", v, t.c("CNTVCT_EL0")) as bigint) - 1n);
    t.b("msr", v, t.c("CNTV_CTL_EL0"), 1n);
    assert.equal(t.b("irq_ack", v), 27n);
    const irq = vgicPrivate(t.kv(0))[27]!;
    assert.equal(irq.active, true);
    const ret = whilePut(
      t,
      0,
      (fd) => t.vmm.ioctl(fd, KVM_ARM_VCPU_INIT, { target: 5n, features: [] as never }).ret,
    );
    assert.equal(ret, 0);
    assert.equal(irq.active, false, profile);
    assert.equal(irq.level, false, profile);
    assert.equal(t.b("irq_pending", v, 27n), false, profile);
    assert.equal(t.b("irq_ack", v), 1023n, profile);
  }
});
