/**
 * `show` views of the arm64 timer: every vCPU's virtual and physical timer
 * (CTL decoded, CVAL, TVAL, now, offset, line, where the state lives, the
 * background timer), the physical CPUs (what is loaded, CNTVOFF_EL2,
 * CNTHCTL_EL2, the PPI's active state), the vgic's private interrupts, and
 * the cost counters of seed 004's comparison.
 *
 * @example
 * ```ts
 * import { shows } from "./registry.ts";
 * import "./arm_timer_views.ts";
 * console.log(shows.has("timers"), shows.has("costs")); // true true
 * ```
 * @module
 */
import {
  ctxState,
  readTimerCtl,
  timerCpu,
  timerNow,
  timerOffset,
  timerPpi,
  tvalOf,
  vtimerInHw,
} from "../arch/arm64/kvm/arch_timer.ts";
import { armHw, type CostTable, PHASES } from "../arch/arm64/kvm/pcpu.ts";
import { runQueue } from "../arch/arm64/kvm/run.ts";
import { vgicOf, vgicPrivate } from "../arch/arm64/kvm/vgic/vgic.ts";
import { formatNs } from "../kernel/clock.ts";
import { kvmState, type KvmVcpu } from "../virt/kvm/kvm_host.ts";
import { registerShow, type View } from "./registry.ts";
import { Obj, type Value } from "./value.ts";
import type { Vmm, VmmVcpu } from "./vmm.ts";

const hx = (n: bigint): string => `0x${n.toString(16)}`;

/**
 * CNTx_CTL decoded: ENABLE|IMASK|ISTATUS, or 0.
 *
 * @example
 * ```ts
 * console.log(decodeCtl(5n)); // "ENABLE|ISTATUS"
 * ```
 */
export function decodeCtl(ctl: bigint): string {
  const n = [[1n, "ENABLE"], [2n, "IMASK"], [4n, "ISTATUS"]].filter(([b]) =>
    (ctl & (b as bigint)) !== 0n
  )
    .map(([, s]) => s as string);
  return n.length ? n.join("|") : "0";
}

function vcpusOf(vmm: Vmm, args: Value[]): KvmVcpu[] {
  if (vmm.kernel.arch !== "arm64") return [];
  const a = args[0];
  if (a instanceof Obj && a.kind === "vcpu") return [vmm.kvmVcpu(a.impl as VmmVcpu)];
  if (a instanceof Obj && a.kind === "guest") {
    return (a.impl as { vcpus: VmmVcpu[] }).vcpus.map((v) => vmm.kvmVcpu(v));
  }
  return kvmState(vmm.kernel).vms.flatMap((k) => k.vcpus);
}

function where(v: KvmVcpu): string {
  const t = timerCpu(v);
  if (t.state === "guest") return `guest on pcpu${t.cpu!.id}`;
  if (t.state === "queued") return `runnable, queued (pcpu${t.lastCpu} preferred)`;
  if (t.state === "blocked") return "blocked in WFI";
  return "not in KVM_RUN";
}

function timersView(vmm: Vmm, args: Value[]): View[] {
  const clock = vmm.kernel.clock;
  const rows: string[][] = [];
  for (const v of vcpusOf(vmm, args)) {
    const t = timerCpu(v);
    for (const kind of ["vtimer", "ptimer"] as const) {
      const s = ctxState(v, kind);
      const now = timerNow(v, kind);
      const ctx = kind === "vtimer" ? t.vtimer : t.ptimer;
      const inHw = kind === "vtimer" && vtimerInHw(v);
      rows.push([
        v.label,
        kind,
        String(timerPpi(v, kind)),
        decodeCtl(readTimerCtl(v, kind)),
        hx(s.cval),
        String(BigInt.asIntN(32, tvalOf(s.cval, now))),
        hx(now),
        hx(timerOffset(v, kind)),
        ctx.level ? "high" : "low",
        kind === "vtimer" ? (inHw ? `hw (pcpu${t.cpu!.id})` : "memory") : "emulated",
        t.bg && kind === "vtimer"
          ? `bg @${formatNs(t.bg.deadline)}`
          : ctx.soft
          ? `hrtimer @${formatNs(ctx.soft.deadline)}`
          : "-",
        String(t.irqs.get(timerPpi(v, kind)) ?? 0),
        kind === "vtimer" ? where(v) : "",
      ]);
    }
  }
  return [{
    title: `arch timers at ${formatNs(clock.now)} (physical counter ${
      hx(armHw(vmm.kernel).counter())
    })`,
    columns: [
      "vcpu",
      "timer",
      "PPI",
      "CTL",
      "CVAL",
      "TVAL",
      "now",
      "offset",
      "line",
      "state",
      "timer armed",
      "irqs",
      "vCPU",
    ],
    rows,
  }];
}

registerShow({
  topic: "timers",
  doc:
    "arm64: each vCPU's vtimer/ptimer — CTL decoded, CVAL, TVAL, now, offset, line, loaded or not, background timer",
  render: timersView,
});

registerShow({
  topic: "pcpus",
  doc:
    "arm64: physical CPUs — loaded vCPU, CNTV_CTL/CVAL, CNTVOFF_EL2, CNTHCTL_EL2, the vtimer PPI's active state",
  render: (vmm) => {
    if (vmm.kernel.arch !== "arm64") return [{ text: "no arm64 host" }];
    const hw = armHw(vmm.kernel);
    const q = runQueue(vmm.kernel);
    return [{
      title:
        `${hw.cpus.length} pCPUs, ${hw.vhe ? "VHE" : "non-VHE"}, timer-save ${
          hw.legacy ? "legacy" : "lazy"
        }, ` +
        `cntfrq ${hw.freq} Hz${q.length ? `; run queue: ${q.map((v) => v.label).join(", ")}` : ""}`,
      columns: [
        "pcpu",
        "loaded",
        "mode",
        "CNTV_CTL",
        "CNTV_CVAL",
        "CNTVOFF_EL2",
        "CNTHCTL_EL2",
        "PPI active",
        "forwarded to",
      ],
      rows: hw.cpus.map((c) => [
        String(c.id),
        c.current?.label ?? "-",
        c.current ? (c.inGuest ? "guest" : "host") : "idle",
        decodeCtl(c.readCtlRaw()),
        hx(c.cntv_cval),
        hx(c.cntvoff),
        hx(c.cnthctl),
        c.ppiActive ? "yes" : "no",
        c.affinity?.label ?? "-",
      ]),
    }];
  },
});

registerShow({
  topic: "vgic",
  doc:
    "arm64: the vgic's private interrupts with any state (line, pending in a list register, active, HW-mapped)",
  render: (vmm, args) => {
    const rows: string[][] = [];
    for (const v of vcpusOf(vmm, args)) {
      if (!vgicOf(v.kvm)) {
        rows.push([v.label, "-", "no in-kernel irqchip", "", "", "", ""]);
        continue;
      }
      const t = timerCpu(v);
      const ppis = new Set([timerPpi(v, "vtimer"), timerPpi(v, "ptimer")]);
      for (const i of vgicPrivate(v)) {
        if (!ppis.has(i.intid) && !i.level && !i.active && !i.lrPending && i.enabled) continue;
        rows.push([
          v.label,
          String(i.intid),
          i.level ? "high" : "low",
          i.lrPending ? "yes" : "no",
          i.active ? "yes" : "no",
          i.enabled ? "yes" : "no",
          i.hw ? "yes" : "no",
          String(t.irqs.get(i.intid) ?? 0),
        ]);
      }
    }
    return [{
      columns: ["vcpu", "INTID", "line", "pending (LR)", "active", "enabled", "HW", "taken"],
      rows,
    }];
  },
});

function costRows(t: CostTable): string[][] {
  const per = (n: number, e: number) => (e ? (n / e).toFixed(2) : "-");
  return PHASES.filter((p) => p !== "user" || t.get(p)!.sysreg > 0).map((p) => {
    const r = t.get(p)!;
    return [
      p,
      String(r.events),
      String(r.sysreg),
      String(r.hyp),
      String(r.mmio),
      per(r.sysreg, r.events),
      per(r.hyp, r.events),
      per(r.mmio, r.events),
    ];
  });
}

registerShow({
  topic: "costs",
  doc:
    "arm64: timer work counted per phase (guest entry/exit, load/put, WFI, host timer IRQ): sysreg accesses, " +
    "hyp calls, distributor MMIO, totals and per event (`show costs vm1.cpu0`: one vCPU); `show costs_by_mode` " +
    "compares the four host kinds on one workload",
  render: (vmm, args) => {
    if (vmm.kernel.arch !== "arm64") return [{ text: "no arm64 host" }];
    const hw = armHw(vmm.kernel);
    const a = args[0];
    const t = a instanceof Obj && a.kind === "vcpu"
      ? vmm.kvmVcpu(a.impl as VmmVcpu).arch["timerCosts"] as CostTable
      : hw.costs;
    return [{
      title:
        `timer costs (${hw.vhe ? "VHE" : "non-VHE"}, timer-save ${hw.legacy ? "legacy" : "lazy"})` +
        (a instanceof Obj ? ` of ${a.name}` : ""),
      columns: ["phase", "events", "sysreg", "hyp", "mmio", "sysreg/ev", "hyp/ev", "mmio/ev"],
      rows: costRows(t),
    }];
  },
});
