/**
 * Rules of the EL2 half of the timer (hyp/timer-sr.c) and of what the world
 * switch costs: the CNTHCTL_EL2 trap bits per host kind, and the reads
 * sync_hwstate makes when the line was high.
 * @module
 */
import assert from "node:assert/strict";
import { bootArm } from "../test_util.ts";
import { timerCpu } from "../arch_timer.ts";
import { armHw, vheBootCnthctl } from "../pcpu.ts";
import {
  CNTHCTL_EL1_SHIFT_VHE,
  CNTHCTL_EL1PCEN,
  CNTHCTL_EL1PCTEN,
} from "../../include/asm/sysreg.ts";

const MS = 1_000_000;

/** The EL1 trap bits of CNTHCTL_EL2 at the position the host's E2H puts them. */
function el1Bits(cnthctl: bigint, vhe: boolean): { pcten: boolean; pcen: boolean } {
  const v = vhe ? cnthctl >> CNTHCTL_EL1_SHIFT_VHE : cnthctl;
  return { pcten: (v & CNTHCTL_EL1PCTEN) !== 0n, pcen: (v & CNTHCTL_EL1PCEN) !== 0n };
}

Deno.test("kvm_timer_init_vhe: EL1PCTEN << 10 set, EL1PCEN << 10 cleared, the low (EL0) bits kept (v4.11–v5.0 arch/arm64/kvm/arch_timer.c 'Disallow physical timer access for the guest')", () => {
  assert.equal(vheBootCnthctl(3n), 0x403n);
  assert.equal(vheBootCnthctl(0xc03n), 0x403n); // read-modify-write: EL1PCEN << 10 is cleared
  for (const c of armHw(bootArm({ vhe: "on" }).kernel).cpus) assert.equal(c.cnthctl, 0x403n);
});

for (const vhe of [true, false]) {
  Deno.test(`guest context, vhe ${vhe ? "on" : "off"}: physical counter direct, physical timer trapped — what the emulated ptimer relies on (kvm-nested-timer.md C.2; hyp/timer-sr.c __timer_enable_traps)`, () => {
    const t = bootArm({ vhe: vhe ? "on" : "off" });
    const cpu = timerCpu(t.kv(0)).cpu!;
    assert.equal(cpu.inGuest, true);
    assert.deepEqual(el1Bits(cpu.cnthctl, vhe), { pcten: true, pcen: false });
    // A CNTP_* access is a trap: one exit/entry round trip, the emulation answers.
    t.b("reset_costs");
    t.b("msr", t.cpu(0), t.c("CNTP_CTL_EL0"), 1n);
    assert.equal(armHw(t.kernel).costs.get("entry/exit")!.events, 1);
    assert.equal(timerCpu(t.kv(0)).ptimer.ctl, 1n);
    // A CNTV_* access is not.
    t.b("msr", t.cpu(0), t.c("CNTV_CTL_EL0"), 2n);
    assert.equal(armHw(t.kernel).costs.get("entry/exit")!.events, 1);
  });
}

Deno.test("non-VHE host context: __timer_disable_traps gives the host EL1PCTEN | EL1PCEN back on every exit (kvm-nested-timer.md C.2; hyp/timer-sr.c)", () => {
  const t = bootArm({ vhe: "off", cpus: 1 });
  const cpu = timerCpu(t.kv(0)).cpu!;
  t.b("msr", t.cpu(0), t.c("CNTV_CTL_EL0"), 2n);
  t.b("wfi", t.cpu(0)); // masked: blocks, the pCPU goes back to the host
  assert.equal(cpu.current, undefined);
  assert.deepEqual(el1Bits(cpu.cnthctl, false), { pcten: true, pcen: true });
});

for (const vhe of ["on", "off"]) {
  Deno.test(`sync_hwstate with the line high: CTL and CVAL re-read, then kvm_timer_should_fire snapshots the loaded state again — 4 sysreg reads (vhe ${vhe}; seed 004 kvm_timer_sync_hwstate + kvm_timer_should_fire)`, () => {
    const t = bootArm({ vhe });
    t.b("msr", t.cpu(0), t.c("CNTV_TVAL_EL0"), t.b("ticks", BigInt(MS)));
    t.b("msr", t.cpu(0), t.c("CNTV_CTL_EL0"), 1n);
    t.kernel.clock.advance(MS);
    assert.equal(timerCpu(t.kv(0)).vtimer.level, true);
    t.b("reset_costs");
    t.b("guest_trap", t.cpu(0)); // line high at the exit: still firing, stays high
    const trapBits = vhe === "on" ? 0 : 4; // CNTHCTL read-modify-write at exit and entry
    assert.equal(armHw(t.kernel).costs.get("entry/exit")!.sysreg, 4 + trapBits);
    assert.equal(timerCpu(t.kv(0)).vtimer.level, true);
    // Line low: sync_hwstate reads nothing.
    t.b("irq_ack", t.cpu(0));
    t.b("msr", t.cpu(0), t.c("CNTV_CTL_EL0"), 3n);
    t.b("irq_eoi", t.cpu(0), 27n);
    t.b("guest_trap", t.cpu(0)); // lowers the line (4 reads)
    t.b("reset_costs");
    t.b("guest_trap", t.cpu(0));
    assert.equal(armHw(t.kernel).costs.get("entry/exit")!.sysreg, trapBits);
  });
}
