/**
 * The timer's userspace rules at the raw-ioctl level (kvm-nested-timer.md
 * C.3–C.5): attribute errno order and profiles, EFAULT, counter-offset
 * corners, offsets at vCPU creation, the reset on KVM_ARM_VCPU_INIT and the
 * userspace-irqchip level bits in kvm_run.
 */
import assert from "node:assert/strict";
import { bootArm } from "./test_util.ts";
import { timerCpu, timerVm } from "./arch_timer.ts";
import { KVM_RUN_DEVICE_IRQ_LEVEL } from "./guest.ts";
import {
  KVM_ARM_SET_COUNTER_OFFSET,
  KVM_ARM_VCPU_INIT,
  KVM_ARM_VCPU_TIMER_CTRL,
} from "../include/uapi/asm/kvm.ts";
import {
  KVM_CREATE_VCPU,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_RUN,
  KVM_SET_DEVICE_ATTR,
} from "../../../include/uapi/linux/kvm.ts";
import { kvmVcpuKick } from "../../../virt/kvm/kvm_main.ts";
import type { VmmVcpu } from "../../../vmm/vmm.ts";

const MS = 1_000_000;
const EINVAL = -22, EBUSY = -16, ENXIO = -6, EFAULT = -14;

type T = ReturnType<typeof bootArm>;

function vv(t: T, n: number): VmmVcpu {
  return t.cpu(n).impl as VmmVcpu;
}

/** A raw vcpu ioctl the way QEMU issues it: kick the vCPU thread out, ioctl, re-enter. */
function vcpuIoctl(t: T, n: number, fn: (fd: number) => number): number {
  const v = vv(t, n);
  const kicked = kvmVcpuKick(t.vmm.kvmVcpu(v));
  try {
    return fn(v.fd);
  } finally {
    if (kicked) t.vmm.runVcpu(v, KVM_RUN);
  }
}

/** KVM_{SET,GET,HAS}_DEVICE_ATTR(KVM_ARM_VCPU_TIMER_CTRL, attr) with an int at a user pointer. */
function timerAttr(
  t: T,
  n: number,
  op: "set" | "get" | "has",
  attr: bigint,
  irq = 0,
  addr?: bigint,
): { ret: number; irq: number } {
  const buf = t.vmm.mmapAnon(4096);
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, irq, true);
  t.vmm.proc.mm.write(buf, b);
  const def = op === "set"
    ? KVM_SET_DEVICE_ATTR
    : op === "get"
    ? KVM_GET_DEVICE_ATTR
    : KVM_HAS_DEVICE_ATTR;
  const ret = vcpuIoctl(
    t,
    n,
    (fd) =>
      t.vmm.ioctl(fd, def, {
        flags: 0n,
        group: KVM_ARM_VCPU_TIMER_CTRL,
        attr,
        addr: addr ?? BigInt(buf),
      }).ret,
  );
  const out = new DataView(t.vmm.proc.mm.read(buf, 4).buffer).getInt32(0, true);
  return { ret, irq: out };
}

Deno.test("seed profile: only the VTIMER/PTIMER attributes exist; HVTIMER/HPTIMER → ENXIO on SET/GET/HAS (kvm-nested-timer.md C.3; v5.x arch_timer.c kvm_arm_timer_*_attr)", () => {
  const t = bootArm({ start: false });
  for (const attr of [2n, 3n]) {
    assert.equal(timerAttr(t, 0, "has", attr).ret, ENXIO);
    assert.equal(timerAttr(t, 0, "get", attr).ret, ENXIO);
    assert.equal(timerAttr(t, 0, "set", attr, 20).ret, ENXIO);
  }
  assert.equal(timerAttr(t, 0, "has", 1n).ret, 0);
});

Deno.test("mainline: HAS is 0 for all four timer attributes; the EL2 timers default to PPI 28 (hvtimer) and 26 (hptimer) (kvm-nested-timer.md C.3; arch_timer.c)", () => {
  const t = bootArm({ start: false, profile: "mainline" });
  for (const attr of [0n, 1n, 2n, 3n]) assert.equal(timerAttr(t, 0, "has", attr).ret, 0);
  assert.equal(timerAttr(t, 0, "has", 4n).ret, ENXIO);
  assert.deepEqual(timerAttr(t, 0, "get", 2n), { ret: 0, irq: 28 });
  assert.deepEqual(timerAttr(t, 0, "get", 3n), { ret: 0, irq: 26 });
});

Deno.test("seed profile: EBUSY once *this* vCPU's timer is enabled; another vCPU may still set the VM-wide PPI (kvm-nested-timer.md C.3 'older kernels'; v4.15 arch_timer.c timer_cpu.enabled)", () => {
  const t = bootArm({ vcpus: 2, start: false });
  t.vmm.runVcpu(vv(t, 0), KVM_RUN);
  assert.equal(timerAttr(t, 0, "set", 1n, 29).ret, EBUSY);
  assert.equal(timerAttr(t, 1, "set", 1n, 29).ret, 0);
  assert.equal(timerAttr(t, 0, "get", 1n).irq, 29); // VM-wide
});

Deno.test("SET errno order: irqchip → EFAULT → not a PPI (EINVAL) → frozen (EBUSY) → unknown attr (ENXIO) (kvm-nested-timer.md C.3; mainline arch_timer.c kvm_arm_timer_set_attr)", () => {
  const t = bootArm({ vcpus: 1, start: false, profile: "mainline" });
  assert.equal(timerAttr(t, 0, "set", 9n, 40).ret, EINVAL); // the PPI check comes before the attr switch
  assert.equal(timerAttr(t, 0, "set", 9n, 20).ret, ENXIO);
  t.vmm.runVcpu(vv(t, 0), KVM_RUN);
  assert.equal(timerAttr(t, 0, "set", 0n, 40).ret, EINVAL); // not a PPI wins over frozen
  assert.equal(timerAttr(t, 0, "set", 9n, 20).ret, EBUSY); // frozen wins over unknown attr
  assert.equal(timerAttr(t, 0, "set", 0n, 20, 0x10n).ret, EFAULT); // get_user on an unmapped address
  assert.equal(timerAttr(t, 0, "get", 0n, 0, 0x10n).ret, EFAULT); // put_user
});

Deno.test("TIMER_CTRL without an in-kernel irqchip → EINVAL even for an unknown attr (kvm-nested-timer.md C.3; irqchip_in_kernel is checked first)", () => {
  const t = bootArm({ irqchip: "off", start: false, profile: "mainline" });
  assert.equal(timerAttr(t, 0, "set", 9n, 20).ret, EINVAL);
});

Deno.test("a vCPU created later resets the VM-wide vtimer offset to the physical counter (kvm-nested-timer.md C.4; kvm_timer_vcpu_init → timer_set_offset)", () => {
  const t = bootArm({ vcpus: 1 });
  t.kernel.clock.advance(8 * MS);
  assert.equal(t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT")), 200_000n);
  const vmfd = t.vmm.guests.get("vm1")!.vmfd;
  assert.ok(t.vmm.ioctl(vmfd, KVM_CREATE_VCPU, 1n).ret >= 0);
  assert.equal(timerVm(t.kv(0).kvm).voffset, 200_000n);
  assert.equal(t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT")), 0n);
});

Deno.test("after KVM_ARM_SET_COUNTER_OFFSET a new vCPU keeps the offset, and PTIMER_CNT writes are ignored too (api.rst §4.138; kvm-nested-timer.md C.5)", () => {
  const t = bootArm({ vcpus: 1, profile: "mainline" });
  t.kernel.clock.advance(4 * MS); // counter 100000
  assert.equal(t.b("set_counter_offset", t.vmm.objects.get("vm1")!, 30_000n), 0n);
  assert.ok(t.vmm.ioctl(t.vmm.guests.get("vm1")!.vmfd, KVM_CREATE_VCPU, 1n).ret >= 0);
  const vm = timerVm(t.kv(0).kvm);
  assert.equal(vm.voffset, 30_000n);
  assert.equal(vm.poffset, 30_000n);
  assert.equal(t.b("set_one_reg", t.cpu(0), t.c("KVM_REG_ARM_PTIMER_CNT"), 5n), 0n);
  assert.equal(t.b("get_one_reg", t.cpu(0), t.c("KVM_REG_ARM_PTIMER_CNT")), 70_000n);
});

Deno.test("KVM_ARM_SET_COUNTER_OFFSET checks reserved before locking the vCPUs: reserved ≠ 0 → EINVAL even while they run (kvm-nested-timer.md C.5; kvm_vm_ioctl_set_counter_offset)", () => {
  const t = bootArm({ vcpus: 2, profile: "mainline" });
  const vmfd = t.vmm.guests.get("vm1")!.vmfd;
  const r = (reserved: bigint) =>
    t.vmm.ioctl(vmfd, KVM_ARM_SET_COUNTER_OFFSET, { counter_offset: 1n, reserved }).ret;
  assert.equal(r(1n), EINVAL);
  assert.equal(r(0n), EBUSY);
  assert.equal(timerVm(t.kv(0).kvm).counterOffset, false); // a failed ioctl changes nothing
});

Deno.test("KVM_ARM_VCPU_INIT resets both timer CTLs to 0 and drops the line; CVAL is kept (kvm-nested-timer.md C.1 Reset; arch_timer.c kvm_timer_vcpu_reset)", () => {
  const t = bootArm({ vcpus: 1 });
  const v = t.cpu(0);
  t.kernel.clock.advance(MS);
  const now = t.b("mrs", v, t.c("CNTVCT_EL0")) as bigint;
  t.b("msr", v, t.c("CNTV_CVAL_EL0"), now - 1n);
  t.b("msr", v, t.c("CNTV_CTL_EL0"), 1n);
  t.b("msr", v, t.c("CNTP_CVAL_EL0"), (t.b("mrs", v, t.c("CNTPCT_EL0")) as bigint) + 1_000_000n);
  t.b("msr", v, t.c("CNTP_CTL_EL0"), 1n);
  const tc = timerCpu(t.kv(0));
  assert.equal(tc.vtimer.level, true);
  assert.ok(tc.ptimer.soft !== undefined);
  const ret = vcpuIoctl(
    t,
    0,
    (fd) => t.vmm.ioctl(fd, KVM_ARM_VCPU_INIT, { target: 5n, features: [] as never }).ret,
  );
  assert.equal(ret, 0);
  assert.equal(tc.vtimer.level, false);
  assert.equal(t.b("get_one_reg", v, t.c("KVM_REG_ARM_TIMER_CTL")), 4n); // CTL 0, ISTATUS: CVAL ≤ now
  assert.equal(t.b("get_one_reg", v, t.c("KVM_REG_ARM_TIMER_CVAL")), now - 1n);
  assert.equal(tc.ptimer.ctl, 0n);
  assert.equal(tc.ptimer.soft, undefined);
  assert.equal(t.b("irq_pending", v, 27n), false);
});

Deno.test("userspace irqchip: timer levels appear in kvm_run.s.regs.device_irq_level on return to userspace (kvm-nested-timer.md C.3; arch_timer.c kvm_timer_update_run)", () => {
  for (const irqchip of ["off", "on"]) {
    const t = bootArm({ vcpus: 1, irqchip });
    const v = t.cpu(0);
    const level = () =>
      new DataView(
        t.vmm.proc.mm.read(vv(t, 0).runHva + KVM_RUN_DEVICE_IRQ_LEVEL, 8).buffer,
      ).getBigUint64(0, true);
    t.kernel.clock.advance(MS);
    t.b("guest_exit", v);
    assert.equal(level(), 0n);
    t.b("msr", v, t.c("CNTV_CVAL_EL0"), (t.b("mrs", v, t.c("CNTVCT_EL0")) as bigint) - 1n);
    t.b("msr", v, t.c("CNTV_CTL_EL0"), 1n);
    t.b("msr", v, t.c("CNTP_CVAL_EL0"), 0n);
    t.b("msr", v, t.c("CNTP_CTL_EL0"), 1n);
    t.b("guest_exit", v);
    assert.equal(level(), irqchip === "off" ? 3n : 0n); // EL1_VTIMER | EL1_PTIMER; nothing with a vgic
    t.b("msr", v, t.c("CNTV_CTL_EL0"), 3n); // masked: the line is low, ISTATUS still set
    t.b("guest_exit", v);
    assert.equal(level(), irqchip === "off" ? 2n : 0n);
  }
});
