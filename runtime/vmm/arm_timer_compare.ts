/**
 * `show costs_by_mode`: seed 004's comparison in one table. The same
 * workload — two vCPUs, vCPU 0 a periodic 1 ms vtimer guest (arm, WFI, take
 * the interrupt, mask, EOI, re-arm), vCPU 1 doing 50 in-kernel traps and one
 * exit to the VMM, over 20 ms — runs on four fresh hosts (VHE and non-VHE,
 * `timer-save legacy` and `lazy`) with the current host's `cpus` and
 * `cntfrq`, and the counted timer work of each is shown side by side.
 *
 * @example
 * ```ts
 * import "../modules.ts";
 * import { compareTimerCosts } from "./arm_timer_compare.ts";
 * console.log(compareTimerCosts({}).length); // 4
 * ```
 * @module
 */
import { Kernel } from "../kernel/kernel.ts";
import { armHw, type CostTable, PHASES } from "../arch/arm64/kvm/pcpu.ts";
import { timerCpu } from "../arch/arm64/kvm/arch_timer.ts";
import { hostConfig } from "./host.ts";
import { builtins, decls, registerShow, type View } from "./registry.ts";
import type { Obj, Value } from "./value.ts";
import { Vmm } from "./vmm.ts";

/** One host's totals for the comparison workload. */
export interface CostCompareRow {
  vhe: boolean;
  legacy: boolean;
  interrupts: number;
  roundTrips: number;
  loads: number;
  sysreg: number;
  hyp: number;
  mmio: number;
  /** sysreg accesses charged to the entry/exit phase. */
  entrySysreg: number;
}

function sum(t: CostTable): { sysreg: number; hyp: number; mmio: number } {
  const r = { sysreg: 0, hyp: 0, mmio: 0 };
  for (const p of PHASES) {
    const x = t.get(p)!;
    r.sysreg += x.sysreg;
    r.hyp += x.hyp;
    r.mmio += x.mmio;
  }
  return r;
}

/**
 * Run the comparison workload on the four host kinds.
 *
 * @example
 * ```ts
 * // compareTimerCosts({ cpus: 4n }).map((r) => r.sysreg)
 * ```
 */
export function compareTimerCosts(base: { cpus?: bigint; cntfrq?: bigint }): CostCompareRow[] {
  const rows: CostCompareRow[] = [];
  for (const vhe of [true, false]) {
    for (const legacy of [true, false]) {
      const props = new Map<string, Value[]>([
        ["arch", ["arm64"]],
        ["vhe", [vhe ? "on" : "off"]],
        ["timer-save", [legacy ? "legacy" : "lazy"]],
      ]);
      if (base.cpus !== undefined) props.set("cpus", [base.cpus]);
      if (base.cntfrq !== undefined) props.set("cntfrq", [base.cntfrq]);
      const kernel = new Kernel(hostConfig("compare", props));
      const vmm = new Vmm(kernel);
      decls.get("guest")!.instantiate(vmm, {
        keyword: "guest",
        name: "vm1",
        props: new Map([["vcpus", [2n]]]),
      });
      const ctx = { vmm, kernel, print: () => {} };
      const b = (n: string, ...a: Value[]) => builtins.get(n)!.call(ctx, a, new Map());
      const cpu = (n: number) => vmm.objects.get(`vm1.cpu${n}`)! as Obj;
      b("reset_costs");
      b("timer_tick", cpu(0), 1_000_000n);
      b("guest_trap", cpu(1), 50n);
      b("guest_exit", cpu(1));
      kernel.clock.advance(20_000_000);
      const hw = armHw(kernel);
      const kv = vmm.kvmVcpu(cpu(0).impl as never);
      rows.push({
        vhe,
        legacy,
        interrupts: timerCpu(kv).irqs.get(27) ?? 0,
        roundTrips: hw.costs.get("entry/exit")!.events,
        loads: hw.costs.get("load/put")!.events,
        ...sum(hw.costs),
        entrySysreg: hw.costs.get("entry/exit")!.sysreg,
      });
    }
  }
  return rows;
}

/**
 * The comparison as a `show` view.
 *
 * @example
 * ```ts
 * // compareView({ cpus: 4n })
 * ```
 */
export function compareView(base: { cpus?: bigint; cntfrq?: bigint }): View[] {
  const rows = compareTimerCosts(base);
  return [{
    title:
      "timer costs of one workload on four hosts (vCPU 0: 1 ms vtimer tick with WFI; vCPU 1: 50 traps + 1 VMM exit; 20 ms)",
    columns: [
      "host",
      "timer-save",
      "irqs",
      "entry/exit",
      "load/put",
      "sysreg",
      "hyp",
      "mmio",
      "sysreg per entry/exit",
    ],
    rows: rows.map((r) => [
      r.vhe ? "VHE" : "non-VHE",
      r.legacy ? "legacy" : "lazy",
      String(r.interrupts),
      String(r.roundTrips),
      String(r.loads),
      String(r.sysreg),
      String(r.hyp),
      String(r.mmio),
      (r.entrySysreg / Math.max(1, r.roundTrips)).toFixed(2),
    ]),
  }];
}

registerShow({
  topic: "costs_by_mode",
  doc:
    "arm64: one workload (a 1 ms vtimer tick with WFI, a trapping vCPU) on VHE/non-VHE × timer-save " +
    "legacy/lazy hosts — seed 004's trade-off in one table",
  render: (vmm) => {
    if (vmm.kernel.arch !== "arm64") return [{ text: "no arm64 host" }];
    const p = vmm.kernel.config.props;
    return compareView({
      cpus: typeof p["cpus"] === "bigint" ? p["cpus"] : undefined,
      cntfrq: typeof p["cntfrq"] === "bigint" ? p["cntfrq"] : undefined,
    });
  },
});
