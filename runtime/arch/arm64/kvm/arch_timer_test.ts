import assert from "node:assert/strict";
import { ARM64_SYS_REG } from "../include/uapi/asm/kvm.ts";
import { ioctlNumber } from "../../../kernel/uapi.ts";
import { KVM_ARM_SET_COUNTER_OFFSET } from "../include/uapi/asm/kvm.ts";
import { KVM_CHECK_EXTENSION, KVM_RUN } from "../../../include/uapi/linux/kvm.ts";
import { bootArm } from "./test_util.ts";
import { timerCpu, timerVm } from "./arch_timer.ts";
import { armHw } from "./pcpu.ts";
import { Rec } from "../../../vmm/value.ts";

const MS = 1_000_000;

Deno.test("TIMER_CVAL/TIMER_CNT ids are swapped relative to their encodings (kvm-nested-timer.md C.4; arch/arm64/include/uapi/asm/kvm.h)", () => {
  const t = bootArm();
  assert.equal(t.c("KVM_REG_ARM_TIMER_CVAL"), 0x603000000013DF02n);
  assert.equal(t.c("KVM_REG_ARM_TIMER_CNT"), 0x603000000013DF1An);
  assert.equal(t.c("KVM_REG_ARM_TIMER_CVAL"), ARM64_SYS_REG(3, 3, 14, 0, 2)); // CNTVCT_EL0's encoding
  assert.equal(t.c("KVM_REG_ARM_TIMER_CTL"), 0x603000000013DF19n);
  assert.equal(t.c("KVM_REG_ARM_PTIMER_CNT"), 0x603000000013DF01n);
  // Behaviour follows the name, not the encoding: TIMER_CVAL reads the compare value.
  t.b("msr", t.cpu(0), t.c("CNTV_CVAL_EL0"), 0x1234567n);
  assert.equal(t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CVAL")), 0x1234567n);
});

Deno.test("KVM_ARM_SET_COUNTER_OFFSET is 0x4010AEB5 on arm64 (kvm-nested-timer.md A.1; include/uapi/linux/kvm.h)", () => {
  assert.equal(ioctlNumber(KVM_ARM_SET_COUNTER_OFFSET, "arm64"), 0x4010aeb5);
});

Deno.test("SET TIMER_CNT moves the VM-wide offset: every vCPU's virtual counter follows (kvm-nested-timer.md C.4; arch_timer.c kvm_arm_timer_set_reg)", () => {
  const t = bootArm({ vcpus: 2 });
  t.kernel.clock.advance(5 * MS);
  assert.equal(t.b("set_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT"), 1000n), 0n);
  const c0 = t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT")) as bigint;
  assert.equal(c0, 1000n);
  // vCPU 1 kept running with the old CNTVOFF in its pCPU; its next vcpu_load writes the new one.
  assert.equal(t.b("mrs", t.cpu(1), t.c("CNTVCT_EL0")), 125_000n);
  t.b("preempt", t.cpu(1));
  assert.equal(t.b("mrs", t.cpu(1), t.c("CNTVCT_EL0")), 1000n);
  t.kernel.clock.advance(1 * MS);
  assert.equal(t.b("get_one_reg", t.cpu(1), t.c("KVM_REG_ARM_TIMER_CNT")), 1000n + 25_000n);
});

Deno.test("the vtimer offset starts at the physical counter at vCPU creation (kvm-nested-timer.md C.4; kvm_timer_vcpu_init)", () => {
  const t = bootArm();
  t.kernel.clock.advance(40 * MS);
  assert.equal(t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT")), 1_000_000n);
  assert.equal(timerVm(t.kv(0).kvm).voffset, 0n); // created at t = 0
  assert.equal(
    t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_PTIMER_CNT")),
    armHw(t.kernel).counter(),
  );
});

Deno.test("KVM_ARM_SET_COUNTER_OFFSET: reserved ≠ 0 → EINVAL; vCPU in KVM_RUN → EBUSY; then CNT writes are ignored (api.rst §4.138)", () => {
  const t = bootArm({ profile: "mainline" });
  assert.equal(t.b("set_counter_offset", t.vmm.objects.get("vm1")!, 5n, 1n), -22n);
  const raw = t.vmm.ioctl(t.vmm.guests.get("vm1")!.vmfd, KVM_ARM_SET_COUNTER_OFFSET, {
    counter_offset: 5n,
    reserved: 0n,
  });
  assert.equal(raw.ret, -16);
  assert.equal(timerVm(t.kv(0).kvm).counterOffset, false);
  t.kernel.clock.advance(4 * MS); // counter 100000
  assert.equal(t.b("set_counter_offset", t.vmm.objects.get("vm1")!, 40_000n), 0n);
  assert.equal(t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT")), 60_000n);
  assert.equal(t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_PTIMER_CNT")), 60_000n);
  assert.equal(t.b("set_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT"), 7n), 0n); // silently ignored
  assert.equal(t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT")), 60_000n);
  assert.equal(t.b("mrs", t.cpu(0), t.c("CNTPCT_EL0")), 60_000n); // trapped, offset applied
});

Deno.test("KVM_CAP_COUNTER_OFFSET (227) is advertised on arm64 (kvm-nested-timer.md C.5)", () => {
  const t = bootArm({ profile: "mainline" });
  const r = t.vmm.ioctl(t.vmm.kvm(), KVM_CHECK_EXTENSION, 227n);
  assert.equal(r.ret, 1);
});

Deno.test("TIMER_CTRL attrs: defaults 27/30; not a PPI → EINVAL; unknown attr → ENXIO; HAS → 0 (devices/vcpu.rst; arch_timer.c)", () => {
  const t = bootArm({ start: false });
  assert.equal(t.b("timer_irq", t.cpu(0), t.c("KVM_ARM_VCPU_TIMER_IRQ_VTIMER")), 27n);
  assert.equal(t.b("timer_irq", t.cpu(0), t.c("KVM_ARM_VCPU_TIMER_IRQ_PTIMER")), 30n);
  assert.equal(t.b("set_timer_irq", t.cpu(0), 0n, 32n), -22n);
  assert.equal(t.b("set_timer_irq", t.cpu(0), 0n, 15n), -22n);
  assert.equal(t.b("set_timer_irq", t.cpu(0), 9n, 20n), -6n);
  assert.equal(t.b("has_timer_irq", t.cpu(0), 1n), 0n);
  assert.equal(t.b("has_timer_irq", t.cpu(0), 4n), -6n);
});

Deno.test("TIMER_CTRL SET applies VM-wide and is refused with EBUSY after the first KVM_RUN (mainline arch_timer.c TIMER_PPIS_IMMUTABLE)", () => {
  const t = bootArm({ vcpus: 2, start: false, profile: "mainline" });
  assert.equal(t.b("set_timer_irq", t.cpu(0), 0n, 20n), 0n);
  assert.equal(t.b("timer_irq", t.cpu(1), 0n), 20n);
  t.vmm.runVcpu(t.vmm.guests.get("vm1")!.vcpus[0]!, KVM_RUN);
  assert.equal(t.b("set_timer_irq", t.cpu(1), 1n, 21n), -16n); // vCPU 1 has not run: still frozen VM-wide
});

Deno.test("duplicate timer PPIs are caught at the first KVM_RUN → EINVAL (kvm-nested-timer.md C.3; timer_irqs_are_valid)", () => {
  const t = bootArm({ start: false });
  assert.equal(t.b("set_timer_irq", t.cpu(0), 1n, 27n), 0n);
  const r = t.vmm.ioctl(t.vmm.guests.get("vm1")!.vcpus[0]!.fd, KVM_RUN, 0n);
  assert.equal(r.ret, -22);
});

Deno.test("TIMER_CTRL without an in-kernel irqchip → EINVAL (kvm-nested-timer.md C.3)", () => {
  const t = bootArm({ irqchip: "off", start: false });
  assert.equal(t.b("set_timer_irq", t.cpu(0), 0n, 20n), -22n);
});

Deno.test("ISTATUS follows CVAL ≤ now regardless of IMASK and ENABLE; the line needs ENABLE && !IMASK (kvm-nested-timer.md C.1; read_timer_ctl)", () => {
  const t = bootArm();
  const v = t.cpu(0);
  const now = t.b("mrs", v, t.c("CNTVCT_EL0")) as bigint;
  t.b("msr", v, t.c("CNTV_CVAL_EL0"), now); // already expired
  t.b("msr", v, t.c("CNTV_CTL_EL0"), 0n);
  assert.equal(t.b("mrs", v, t.c("CNTV_CTL_EL0")), 4n);
  assert.equal(t.b("get_one_reg", v, t.c("KVM_REG_ARM_TIMER_CTL")), 4n);
  t.b("msr", v, t.c("CNTV_CTL_EL0"), 3n); // ENABLE | IMASK
  assert.equal(t.b("mrs", v, t.c("CNTV_CTL_EL0")), 7n);
  assert.equal(timerCpu(t.kv(0)).vtimer.level, false);
  assert.equal(t.b("irq_pending", v, 27n), false);
  t.b("msr", v, t.c("CNTV_CTL_EL0"), 1n); // ENABLE: the output asserts
  assert.equal(t.b("irq_pending", v, 27n), true);
  // SET_ONE_REG of CTL strips ISTATUS.
  assert.equal(t.b("set_one_reg", v, t.c("KVM_REG_ARM_TIMER_CTL"), 7n), 0n);
  assert.equal(timerCpu(t.kv(0)).vtimer.ctl, 3n);
});

Deno.test("TVAL is the signed 32-bit view: write sets CVAL = now + sext(v); read ≤ 0 after expiry (kvm-nested-timer.md C.1)", () => {
  const t = bootArm();
  const v = t.cpu(0);
  t.kernel.clock.advance(MS);
  t.b("msr", v, t.c("CNTV_TVAL_EL0"), 0xffff_ff00n); // −256
  const now = t.b("mrs", v, t.c("CNTVCT_EL0")) as bigint;
  assert.equal(t.b("mrs", v, t.c("CNTV_CVAL_EL0")), now - 256n);
  assert.equal(t.b("s32", t.b("mrs", v, t.c("CNTV_TVAL_EL0"))), -256n);
  t.b("msr", v, t.c("CNTV_TVAL_EL0"), t.b("ticks", BigInt(MS)));
  t.kernel.clock.advance(2 * MS);
  assert.equal(t.b("s32", t.b("mrs", v, t.c("CNTV_TVAL_EL0"))), -25_000n);
});

Deno.test("reset state: both CTLs are 0 (kvm-nested-timer.md C.1; kvm_timer_vcpu_reset)", () => {
  const t = bootArm({ start: false });
  assert.equal(timerCpu(t.kv(0)).vtimer.ctl, 0n);
  assert.equal(timerCpu(t.kv(0)).ptimer.ctl, 0n);
});

Deno.test("timer_costs reports counters as records (seed 004: make the point measurable)", () => {
  const t = bootArm();
  const r = t.b("timer_costs") as Rec;
  assert.ok((r.fields["entry_exit"] as Rec).fields["events"] as bigint >= 1n);
});
