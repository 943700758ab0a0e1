/**
 * The host half of the KVM selftest tools/testing/selftests/kvm/arm64/arch_timer.c
 * as a builtin: `timer_selftest(vm1)` runs the guest program on every vCPU
 * (four stages, `iterations` each, `period` + `margin` windows) while a
 * migration "thread" moves each vCPU thread to a random pCPU every `migrate`
 * (0 disables it), optionally after KVM_ARM_SET_COUNTER_OFFSET (`-o`), and
 * returns what the test would report.
 *
 * @example
 * ```ts
 * import { builtins } from "./registry.ts";
 * import "./arm_timer_selftest.ts";
 * console.log(builtins.has("timer_selftest")); // true
 * ```
 * @module
 */
import {
  KVM_ARM_SET_COUNTER_OFFSET,
  KVM_ARM_VCPU_TIMER_CTRL,
  KVM_ARM_VCPU_TIMER_IRQ_PTIMER,
  KVM_ARM_VCPU_TIMER_IRQ_VTIMER,
} from "../arch/arm64/include/uapi/asm/kvm.ts";
import { timerCpu } from "../arch/arm64/kvm/arch_timer.ts";
import {
  SELFTEST_STAGES,
  SelftestProgram,
  setGuestProgram,
} from "../arch/arm64/kvm/guest_programs.ts";
import { armHw } from "../arch/arm64/kvm/pcpu.ts";
import { migrate } from "../arch/arm64/kvm/run.ts";
import { KVM_GET_DEVICE_ATTR, KVM_RUN } from "../include/uapi/linux/kvm.ts";
import type { Timer } from "../kernel/clock.ts";
import { kvmVcpuKick } from "../virt/kvm/kvm_main.ts";
import { registerBuiltin } from "./registry.ts";
import { kindOf, Obj, Rec, type Value } from "./value.ts";
import type { Vmm, VmmGuest } from "./vmm.ts";

function num(v: Value | undefined, d: bigint): bigint {
  if (v === undefined) return d;
  if (typeof v === "bigint") return v;
  throw new RangeError(`expected an integer, got ${kindOf(v)}`);
}

/** Read a timer PPI from vCPU 0 through KVM_GET_DEVICE_ATTR, as the selftest does. */
function readPpi(vmm: Vmm, g: VmmGuest, attr: bigint): bigint {
  const v = g.vcpus[0]!;
  const addr = vmm.mmapAnon(4096);
  kvmVcpuKick(vmm.kvmVcpu(v));
  try {
    vmm.must(v.fd, KVM_GET_DEVICE_ATTR, {
      flags: 0n,
      group: KVM_ARM_VCPU_TIMER_CTRL,
      attr,
      addr: BigInt(addr),
    });
    return BigInt(new DataView(vmm.proc.mm.read(addr, 4).buffer).getInt32(0, true));
  } finally {
    vmm.runVcpu(v, KVM_RUN);
  }
}

registerBuiltin({
  name: "timer_selftest",
  doc:
    "timer_selftest(vm, iterations?, period?, margin?, migrate?, offset?): the KVM selftest arm64/arch_timer " +
    "(defaults 5, 10ms, 100us, 2ms; offset applies KVM_ARM_SET_COUNTER_OFFSET first like `-o`). Returns " +
    "{passed, interrupts, migrations, failures, vtimer_irq, ptimer_irq}.",
  params: ["vm", "iterations", "period", "margin", "migrate", "offset"],
  source: "tools/testing/selftests/kvm/arm64/arch_timer.c; include/timer_test.h",
  call(ctx, args) {
    const vmm = ctx.vmm, k = ctx.kernel;
    const a0 = args[0];
    if (!(a0 instanceof Obj) || a0.kind !== "guest") {
      throw new RangeError("timer_selftest(vm…) needs a guest");
    }
    if (k.arch !== "arm64") throw new RangeError("timer_selftest needs an arm64 host");
    const g = a0.impl as VmmGuest;
    const iterations = Number(num(args[1], 5n));
    const periodNs = Number(num(args[2], 10_000_000n));
    const marginNs = Number(num(args[3], 100_000n));
    const migrateNs = Number(num(args[4], 2_000_000n));
    if (args[5] !== undefined) {
      for (const v of g.vcpus) kvmVcpuKick(vmm.kvmVcpu(v));
      const r = vmm.ioctl(g.vmfd, KVM_ARM_SET_COUNTER_OFFSET, {
        counter_offset: num(args[5], 0n),
        reserved: 0n,
      });
      for (const v of g.vcpus) vmm.runVcpu(v, KVM_RUN);
      if (r.ret < 0) throw new RangeError(`KVM_ARM_SET_COUNTER_OFFSET failed: ${r.ret}`);
    }
    const vtimerIrq = readPpi(vmm, g, KVM_ARM_VCPU_TIMER_IRQ_VTIMER);
    const ptimerIrq = readPpi(vmm, g, KVM_ARM_VCPU_TIMER_IRQ_PTIMER);
    const progs = g.vcpus.map((v) => {
      const kv = vmm.kvmVcpu(v);
      const p = new SelftestProgram(kv, { iterations, periodNs, marginNs });
      setGuestProgram(kv, p);
      return p;
    });
    const hw = armHw(k);
    let migrations = 0;
    let mig: Timer | undefined;
    const migrateAll = () => {
      // test_vcpu_migration: every vCPU thread to a random pCPU, then sleep.
      for (const v of g.vcpus) {
        migrate(vmm.kvmVcpu(v), k.rng.below(hw.cpus.length));
        migrations++;
      }
      mig = k.clock.addTimer(k.clock.now + migrateNs, migrateAll);
    };
    if (migrateNs > 0) mig = k.clock.addTimer(k.clock.now + migrateNs, migrateAll);
    for (const p of progs) p.start();
    const budget = (periodNs + marginNs) * iterations * SELFTEST_STAGES.length * 2 + 1_000_000_000;
    const step = Math.max(1_000_000, Math.floor(periodNs / 2));
    let spent = 0;
    while (!progs.every((p) => p.done) && spent < budget) {
      k.clock.advance(step);
      spent += step;
    }
    k.clock.cancel(mig);
    for (const p of progs) {
      p.cancel();
      setGuestProgram(p.vcpu, undefined);
    }
    const failures: Value[] = progs.flatMap((p) => p.failures.map((f) => `${p.vcpu.label}: ${f}`));
    for (const p of progs) {
      if (!p.done) failures.push(`${p.vcpu.label}: did not finish (stage ${p.stage})`);
    }
    return new Rec({
      passed: failures.length === 0,
      interrupts: BigInt(progs.reduce((s, p) => s + p.irqs, 0)),
      expected: BigInt(g.vcpus.length * iterations * SELFTEST_STAGES.length),
      migrations: BigInt(migrations),
      failures,
      vtimer_irq: vtimerIrq,
      ptimer_irq: ptimerIrq,
      taken: BigInt(
        g.vcpus.reduce(
          (s, v) => s + [...timerCpu(vmm.kvmVcpu(v)).irqs.values()].reduce((a, b) => a + b, 0),
          0,
        ),
      ),
    });
  },
});
