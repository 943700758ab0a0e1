/**
 * `show costs_by_mode`: one workload on the four host kinds (issue 5: "`show
 * costs` compares both on the same workload, on VHE and non-VHE").
 * @module
 */
import assert from "node:assert/strict";
import { bootArm } from "../arch/arm64/kvm/test_util.ts";
import { compareTimerCosts } from "./arm_timer_compare.ts";
import { shows } from "./registry.ts";

Deno.test("costs_by_mode: legacy saves/restores in every world switch (7 VHE / 11 non-VHE sysreg per round trip), lazy moves it to load/put (seed 004 timer-sr.c/switch.c diff)", () => {
  const rows = compareTimerCosts({});
  const key = (r: { vhe: boolean; legacy: boolean }) =>
    `${r.vhe ? "vhe" : "nvhe"}/${r.legacy ? "legacy" : "lazy"}`;
  const by = new Map(rows.map((r) => [key(r), r]));
  assert.deepEqual([...by.keys()], ["vhe/legacy", "vhe/lazy", "nvhe/legacy", "nvhe/lazy"]);
  for (const r of rows) {
    assert.equal(r.interrupts, 20); // exactly one per 1 ms period
    assert.equal(r.roundTrips, 71);
    assert.equal(r.loads, 21);
  }
  // Legacy entry/exit: 71 round trips × 7 (VHE) / × 11 (non-VHE) sysreg; lazy: only sync_hwstate's 4 reads per interrupt (+ CNTHCTL toggling on non-VHE).
  // (+ the exit half of the entry made before reset_costs: 4 legacy save, 2 CNTHCTL on non-VHE)
  assert.equal(by.get("vhe/legacy")!.entrySysreg, 71 * 7 + 4);
  assert.equal(by.get("nvhe/legacy")!.entrySysreg, 71 * 11 + 4 + 2);
  assert.equal(by.get("vhe/lazy")!.entrySysreg, 20 * 4);
  assert.equal(by.get("nvhe/lazy")!.entrySysreg, 20 * 4 + 71 * 4 + 2);
  // Hyp calls: one __kvm_vcpu_run per round trip on non-VHE; lazy adds CNTVOFF at each load and put.
  assert.equal(by.get("nvhe/legacy")!.hyp, 71);
  assert.equal(by.get("nvhe/lazy")!.hyp, 71 + 21 + 22);
  assert.equal(by.get("vhe/lazy")!.hyp, 0);
  assert.ok(by.get("vhe/lazy")!.sysreg < by.get("vhe/legacy")!.sysreg);
  assert.ok(by.get("nvhe/lazy")!.sysreg < by.get("nvhe/legacy")!.sysreg);
});

Deno.test("costs_by_mode runs on fresh hosts and leaves the session's host alone (Principle 3: deterministic; no side effects of a view)", () => {
  const t = bootArm({ vcpus: 1 });
  t.kernel.clock.advance(5_000_000);
  const before = t.kernel.clock.now;
  const view = shows.get("costs_by_mode")!.render(t.vmm, []);
  assert.equal(t.kernel.clock.now, before);
  assert.equal((view[0] as { rows: string[][] }).rows.length, 4);
  assert.equal(t.b("vcpu_state", t.cpu(0)), "guest");
});
