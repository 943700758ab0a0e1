import assert from "node:assert/strict";
import { bootArm } from "./test_util.ts";
import { timerCpu } from "./arch_timer.ts";
import { armHw, type CostTable } from "./pcpu.ts";
import type { Rec } from "../../../vmm/value.ts";

const MS = 1_000_000;

function arm(t: ReturnType<typeof bootArm>, n: number, ns: number): void {
  t.b("msr", t.cpu(n), t.c("CNTV_TVAL_EL0"), t.b("ticks", BigInt(ns)));
  t.b("msr", t.cpu(n), t.c("CNTV_CTL_EL0"), 1n);
}

function row(t: CostTable, p: "entry/exit" | "load/put" | "wfi" | "irq") {
  return t.get(p)!;
}

for (const vhe of ["on", "off"]) {
  Deno.test(`vcpu_load writes CNTVOFF from the VM offset, vcpu_put clears it (vhe ${vhe}; seed 004 kvm_timer_vcpu_load/put)`, () => {
    const t = bootArm({ vhe, vcpus: 1 });
    t.b("set_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT"), 0n); // pauses/resumes: voffset = counter now
    t.kernel.clock.advance(MS);
    t.b("set_one_reg", t.cpu(0), t.c("KVM_REG_ARM_TIMER_CNT"), 5n);
    const hw = armHw(t.kernel);
    const cpu = timerCpu(t.kv(0)).cpu!;
    assert.equal(cpu.cntvoff, 25_000n - 5n);
    t.b("msr", t.cpu(0), t.c("CNTV_CTL_EL0"), 2n);
    assert.equal(t.b("wfi", t.cpu(0)), "blocked"); // masked: cannot fire, put without a bg timer
    assert.equal(cpu.cntvoff, 0n);
    assert.equal(cpu.current, undefined);
    assert.equal(timerCpu(t.kv(0)).bg, undefined);
    assert.equal(hw.cpus.every((c) => c.cntv_ctl === 0n), true); // the hardware timer is disabled on put
  });
}

Deno.test("WFI arms the background timer unless already expired; it wakes the vCPU at the deadline and the ISR injects (seed 004 kvm_timer_schedule; ISR)", () => {
  const t = bootArm();
  arm(t, 0, 10 * MS);
  assert.equal(t.b("wfi", t.cpu(0)), "blocked");
  const tc = timerCpu(t.kv(0));
  assert.equal(tc.bg?.deadline, 10 * MS);
  assert.equal(tc.loaded, false);
  t.kernel.clock.advance(10 * MS - 1);
  assert.equal(t.b("vcpu_state", t.cpu(0)), "blocked");
  t.kernel.clock.advance(1);
  assert.equal(t.b("vcpu_state", t.cpu(0)), "guest");
  assert.equal(tc.loaded, true);
  assert.equal(tc.hostIrqs, 1); // restored hardware fired: the host ISR injected into the vgic
  assert.equal(t.b("irq_ack", t.cpu(0)), 27n);
  assert.equal(t.b("irq_ack", t.cpu(0)), 1023n);
  // Expired and still enabled: WFI does not block.
  assert.equal(t.b("wfi", t.cpu(0)), "running");
  assert.equal(tc.bg, undefined);
});

Deno.test("sync_hwstate lowers the line only after an exit, and only because the guest masked the timer (seed 004 kvm_timer_sync_hwstate)", () => {
  const t = bootArm();
  arm(t, 0, MS);
  t.kernel.clock.advance(MS);
  const tc = timerCpu(t.kv(0));
  assert.equal(tc.vtimer.level, true);
  assert.equal(t.b("irq_ack", t.cpu(0)), 27n);
  t.b("msr", t.cpu(0), t.c("CNTV_CTL_EL0"), 3n); // mask: a direct write, no exit
  t.b("irq_eoi", t.cpu(0), 27n);
  assert.equal(tc.vtimer.level, true); // KVM has not looked yet
  t.b("guest_trap", t.cpu(0));
  assert.equal(tc.vtimer.level, false);
  assert.equal(t.b("irq_ack", t.cpu(0)), 1023n); // exactly one interrupt
});

Deno.test("lazy: the physical active state is written on load from the virtual line, not per entry (seed 004; kvm_timer_vcpu_load)", () => {
  const t = bootArm({ vhe: "on" });
  arm(t, 0, MS);
  t.kernel.clock.advance(MS);
  const cpu = timerCpu(t.kv(0)).cpu!;
  assert.equal(cpu.ppiActive, true); // forwarded IRQ stays active until the guest deactivates
  t.b("reset_costs");
  t.b("migrate", t.cpu(0), 2n);
  const hw = armHw(t.kernel);
  assert.equal(hw.cpus[2]!.ppiActive, true); // line still high → active set on the new pCPU
  assert.equal(row(hw.costs, "load/put").mmio, 1);
  for (let i = 0; i < 3; i++) t.b("guest_trap", t.cpu(0));
  assert.equal(row(hw.costs, "entry/exit").mmio, 0);
});

Deno.test("legacy: flush_hwstate writes the active state per entry unless cached clear; cache dropped on put (pre-seed active_cleared_last)", () => {
  const t = bootArm({ timerSave: "legacy" });
  const hw = armHw(t.kernel);
  t.b("reset_costs");
  for (let i = 0; i < 4; i++) t.b("guest_trap", t.cpu(0));
  assert.equal(row(hw.costs, "entry/exit").mmio, 0); // cached clear since the first entry
  t.b("preempt", t.cpu(0));
  t.b("guest_trap", t.cpu(0));
  assert.equal(row(hw.costs, "entry/exit").mmio, 1); // the entry after the reload writes it again
});

const PER_TRIP: Record<string, { sysreg: number; hyp: number }> = {
  "on/lazy": { sysreg: 0, hyp: 0 },
  "off/lazy": { sysreg: 4, hyp: 1 },
  "on/legacy": { sysreg: 7, hyp: 0 },
  "off/legacy": { sysreg: 11, hyp: 1 },
};
for (const [key, want] of Object.entries(PER_TRIP)) {
  const [vhe, mode] = key.split("/");
  Deno.test(`cost of one entry/exit round trip, vhe ${vhe}, ${mode}: ${want.sysreg} sysreg, ${want.hyp} hyp (seed 004 diff of timer-sr.c/switch.c)`, () => {
    const t = bootArm({ vhe, timerSave: mode });
    t.b("reset_costs");
    for (let i = 0; i < 10; i++) t.b("guest_trap", t.cpu(0));
    const r = row(armHw(t.kernel).costs, "entry/exit");
    assert.equal(r.events, 10);
    assert.equal(r.sysreg, 10 * want.sysreg);
    assert.equal(r.hyp, 10 * want.hyp);
  });
}

Deno.test("lazy load/put pair: 1 MMIO, CNTVOFF twice through hyp on non-VHE, none on VHE (seed 004 set_cntvoff)", () => {
  for (const [vhe, hyp] of [["on", 0], ["off", 2]] as const) {
    const t = bootArm({ vhe });
    t.b("reset_costs");
    t.b("preempt", t.cpu(0));
    const r = row(armHw(t.kernel).costs, "load/put");
    assert.equal(r.events, 1);
    assert.equal(r.mmio, 1);
    assert.equal(r.hyp, hyp);
    assert.equal(r.sysreg, 2 + 3 + 2 * 1 * 1); // restore 2, save 3 (enabled), CNTVOFF ×2
  }
});

Deno.test("non-VHE: CNTHCTL EL1PCEN cleared and EL1PCTEN set in the guest, both set in the host (kvm-nested-timer.md C.2)", () => {
  const t = bootArm({ vhe: "off" });
  const cpu = timerCpu(t.kv(0)).cpu!;
  assert.equal(cpu.inGuest, true);
  assert.equal(cpu.cnthctl & 3n, 1n);
  t.b("msr", t.cpu(0), t.c("CNTV_CTL_EL0"), 2n);
  t.b("wfi", t.cpu(0));
  assert.equal(cpu.cnthctl & 3n, 3n);
});

Deno.test("VHE: CNTHCTL keeps the boot configuration (EL1PCTEN << 10 set, EL1PCEN << 10 clear); no per-entry trap writes (kvm-nested-timer.md C.2; v4.11–v5.0 arch_timer.c kvm_timer_init_vhe)", () => {
  const t = bootArm({ vhe: "on" });
  const cpu = timerCpu(t.kv(0)).cpu!;
  assert.equal(cpu.cnthctl, 0x403n); // the host's EL0 bits 1:0 from boot, EL1PCTEN at bit 10
  t.b("guest_trap", t.cpu(0));
  assert.equal(cpu.cnthctl, 0x403n);
});

Deno.test("legacy: a timer interrupt in the guest is handled by the exit's save + sync, never by the ISR (pre-seed timer-sr.c)", () => {
  const t = bootArm({ timerSave: "legacy" });
  arm(t, 0, MS);
  t.kernel.clock.advance(MS);
  assert.equal(timerCpu(t.kv(0)).hostIrqs, 0);
  assert.equal(t.b("irq_ack", t.cpu(0)), 27n);
});

Deno.test("exactly one interrupt per period with a periodic guest, across migrations, both modes (selftest rule)", () => {
  for (const mode of ["lazy", "legacy"]) {
    const t = bootArm({ timerSave: mode, vcpus: 2 });
    t.b("timer_tick", t.cpu(0), BigInt(MS));
    t.b("timer_tick", t.cpu(1), BigInt(MS), "ptimer");
    for (let i = 0; i < 20; i++) {
      t.kernel.clock.advance(MS / 2);
      t.b("migrate", t.cpu(i % 2), BigInt((i * 3) % 4));
    }
    assert.equal(t.b("irq_count", t.cpu(0), 27n), 10n);
    assert.equal(t.b("irq_count", t.cpu(1), 30n), 10n);
  }
});

Deno.test("more vCPU threads than pCPUs: the rest wait in the run queue until a pCPU is freed (host scheduler)", () => {
  const t = bootArm({ vcpus: 3, cpus: 2 });
  assert.equal(t.b("vcpu_state", t.cpu(2)), "queued");
  t.b("msr", t.cpu(0), t.c("CNTV_CTL_EL0"), 2n);
  t.b("wfi", t.cpu(0));
  assert.equal(t.b("vcpu_state", t.cpu(2)), "guest");
  assert.equal(t.b("pcpu", t.cpu(2)), 0n);
});

Deno.test("guest_exit: KVM_EXIT_MMIO to the VMM puts and reloads the vCPU (kvm_arch_vcpu_put/load around the return to userspace)", () => {
  const t = bootArm();
  t.b("reset_costs");
  t.b("guest_exit", t.cpu(0));
  assert.equal(row(armHw(t.kernel).costs, "load/put").events, 1);
  assert.equal(t.kv(0).stat.exits.get("KVM_EXIT_MMIO"), 1);
  assert.equal(t.b("vcpu_state", t.cpu(0)), "guest");
});

// ---------------------------------------------------------------- ports of the kernel's own tests

for (const mode of ["lazy", "legacy"]) {
  for (const vhe of ["on", "off"]) {
    Deno.test(`selftest arm64/arch_timer: 4 stages, one interrupt per period, counter ≥ CVAL, ISTATUS, right PPI, with migration (${mode}, vhe ${vhe}; tools/testing/selftests/kvm/arm64/arch_timer.c)`, () => {
      const t = bootArm({ timerSave: mode, vhe, vcpus: 4 });
      const r = t.b("timer_selftest", t.vmm.objects.get("vm1")!) as Rec;
      assert.deepEqual(r.fields["failures"], []);
      assert.equal(r.fields["interrupts"], 80n);
      assert.ok((r.fields["migrations"] as bigint) > 0n);
    });
  }
}

Deno.test("selftest with -o (KVM_ARM_SET_COUNTER_OFFSET) passes (arch_timer.c -o; api.rst §4.138)", () => {
  const t = bootArm({ vcpus: 2, profile: "mainline" });
  const r = t.b(
    "timer_selftest",
    t.vmm.objects.get("vm1")!,
    2n,
    5_000_000n,
    100_000n,
    1_000_000n,
    1n << 40n,
  ) as Rec;
  assert.equal(r.fields["passed"], true);
  assert.equal(r.fields["interrupts"], 16n);
});

Deno.test("selftest check fails when the interrupt never arrives (vtimer PPI disabled at the GIC): 'config_iter + 1' (arch_timer.c guest_run_stage)", () => {
  const t = bootArm({ vcpus: 1 });
  t.b("irq_enable", t.cpu(0), 27n, false);
  const r = t.b("timer_selftest", t.vmm.objects.get("vm1")!, 1n, 10_000_000n, 100_000n, 0n) as Rec;
  assert.equal(r.fields["passed"], false);
  assert.equal((r.fields["failures"] as string[]).length, 2); // both vtimer stages
  assert.match((r.fields["failures"] as string[])[0]!, /config_iter \+ 1 = 1, irq_iter = 0/);
});

for (const kind of ["vtimer", "ptimer"] as const) {
  const R = kind === "vtimer"
    ? {
      ctl: "CNTV_CTL_EL0",
      cval: "CNTV_CVAL_EL0",
      tval: "CNTV_TVAL_EL0",
      cnt: "CNTVCT_EL0",
      ppi: 27n,
    }
    : {
      ctl: "CNTP_CTL_EL0",
      cval: "CNTP_CVAL_EL0",
      tval: "CNTP_TVAL_EL0",
      cnt: "CNTPCT_EL0",
      ppi: 30n,
    };
  Deno.test(`kvm-unit-tests timer pending signal (${kind}): masked → ISTATUS but not pending (arm/timer.c test_timer_pending)`, () => {
    const t = bootArm();
    const v = t.cpu(0);
    t.kernel.clock.advance(MS);
    t.b("irq_enable", v, R.ppi, false); // disabled at the GIC: sample the state, take nothing
    const now = () => t.b("mrs", v, t.c(R.cnt)) as bigint;
    t.b("msr", v, t.c(R.cval), now() + (t.b("ticks", 10_000_000_000n) as bigint));
    t.b("msr", v, t.c(R.ctl), 1n);
    assert.equal(t.b("irq_pending", v, R.ppi), false);
    t.b("msr", v, t.c(R.cval), now() - 1n);
    assert.equal(t.b("irq_pending", v, R.ppi), true);
    assert.equal((t.b("mrs", v, t.c(R.ctl)) as bigint) & 4n, 4n);
    t.b("msr", v, t.c(R.ctl), 0n);
    assert.equal(t.b("irq_pending", v, R.ppi), false);
    t.b("msr", v, t.c(R.cval), now() - 1n);
    t.b("msr", v, t.c(R.ctl), 3n); // ENABLE | IMASK
    assert.equal((t.b("mrs", v, t.c(R.ctl)) as bigint) & 4n, 4n);
    assert.equal(t.b("irq_pending", v, R.ppi), false);
    assert.equal(t.b("irq_count", v), 0n);
  });

  Deno.test(`kvm-unit-tests timer TVAL/WFI (${kind}): interrupt received after TVAL/WFI, TVAL ≤ 0 (arm/timer.c test_timer_tval)`, () => {
    const t = bootArm();
    const v = t.cpu(0);
    t.b("msr", v, t.c(R.tval), t.b("ticks", 10_000_000n));
    t.b("msr", v, t.c(R.ctl), 1n);
    assert.equal(t.b("wfi", v), "blocked");
    t.kernel.clock.advance(10 * MS);
    assert.equal(t.b("vcpu_state", v), "guest");
    assert.equal(t.b("irq_ack", v), R.ppi);
    assert.ok((t.b("s32", t.b("mrs", v, t.c(R.tval))) as bigint) <= 0n);
    t.b("msr", v, t.c(R.ctl), 3n);
    t.b("irq_eoi", v, R.ppi);
    assert.equal(t.b("irq_count", v, R.ppi), 1n);
  });

  Deno.test(`kvm-unit-tests timer CVAL latency (${kind}): not early, not late (arm/timer.c test_timer_cval)`, () => {
    const t = bootArm();
    const v = t.cpu(0);
    const start = t.b("mrs", v, t.c(R.cnt)) as bigint;
    t.b("msr", v, t.c(R.cval), start + (t.b("ticks", 10_000_000n) as bigint));
    t.b("msr", v, t.c(R.ctl), 1n);
    t.kernel.clock.advance(10 * MS - 40);
    assert.equal(t.b("irq_ack", v), 1023n); // not early
    t.kernel.clock.advance(40);
    assert.equal(t.b("irq_ack", v), R.ppi);
  });
}

function vcpuTotal(t: ReturnType<typeof bootArm>, n: number): { sysreg: number; hyp: number } {
  const r = { sysreg: 0, hyp: 0 };
  for (const row of (t.kv(n).arch["timerCosts"] as CostTable).values()) {
    r.sysreg += row.sysreg;
    r.hyp += row.hyp;
  }
  return r;
}

for (const vhe of ["on", "off"]) {
  Deno.test(`the seed's trade-off, vhe ${vhe}: a trapping vCPU gets cheaper, a vCPU blocking in WFI every period dearer (seed 004 commit message; docs/arm-timer.md cost table)`, () => {
    const run = (mode: string) => {
      const t = bootArm({ vhe, timerSave: mode, vcpus: 2 });
      t.b("reset_costs");
      t.b("timer_tick", t.cpu(0), BigInt(MS));
      t.b("guest_trap", t.cpu(1), 50n);
      t.b("guest_exit", t.cpu(1));
      t.kernel.clock.advance(20 * MS);
      assert.equal(t.b("irq_count", t.cpu(0), 27n), 20n);
      return { wfi: vcpuTotal(t, 0), trap: vcpuTotal(t, 1) };
    };
    const legacy = run("legacy"), lazy = run("lazy");
    assert.ok(lazy.trap.sysreg < legacy.trap.sysreg / 2, JSON.stringify({ legacy, lazy }));
    assert.ok(lazy.wfi.sysreg > legacy.wfi.sysreg, JSON.stringify({ legacy, lazy }));
    if (vhe === "off") assert.ok(lazy.wfi.hyp > legacy.wfi.hyp); // CNTVOFF via kvm_call_hyp at load and put
  });
}
