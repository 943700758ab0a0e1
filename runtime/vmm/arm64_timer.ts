/**
 * The VMM and script side of the arm64 timer: host properties (`vhe`,
 * `timer-save`, `cntfrq`, `kernel-irqchip`), QEMU's GICv3 bring-up before the
 * vCPUs first run, and the builtins through which a script acts as the guest
 * (msr/mrs/wfi/irq_ack/irq_eoi…), as the host scheduler (preempt/migrate) and
 * as the VMM (ONE_REG, timer PPIs, counter offset — each pausing the vCPUs
 * first, as QEMU's run_on_cpu does).
 *
 * @example
 * ```ts
 * import { builtins } from "./registry.ts";
 * import "./arm64_timer.ts";
 * console.log(builtins.has("msr"), builtins.has("wfi")); // true true
 * ```
 * @module
 */
import {
  KVM_ARM_SET_COUNTER_OFFSET,
  KVM_ARM_VCPU_TIMER_CTRL,
  KVM_DEV_ARM_VGIC_CTRL_INIT,
  KVM_DEV_ARM_VGIC_GRP_ADDR,
  KVM_DEV_ARM_VGIC_GRP_CTRL,
  KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
  KVM_VGIC_V3_ADDR_TYPE_DIST,
  KVM_VGIC_V3_ADDR_TYPE_REDIST,
} from "../arch/arm64/include/uapi/asm/kvm.ts";
import { timerCpu } from "../arch/arm64/kvm/arch_timer.ts";
import {
  guestAck,
  guestEoi,
  guestExitToUser,
  guestIrqEnable,
  guestIrqPending,
  guestMrs,
  guestMsr,
  guestTrap,
  guestWfi,
} from "../arch/arm64/kvm/guest_cpu.ts";
import { setGuestProgram, TickProgram } from "../arch/arm64/kvm/guest_programs.ts";
import { armHw, type CostTable, PHASES } from "../arch/arm64/kvm/pcpu.ts";
import { migrate, preempt } from "../arch/arm64/kvm/run.ts";
import {
  KVM_CREATE_DEVICE,
  KVM_DEV_TYPE,
  KVM_GET_DEVICE_ATTR,
  KVM_GET_ONE_REG,
  KVM_HAS_DEVICE_ATTR,
  KVM_RUN,
  KVM_SET_DEVICE_ATTR,
  KVM_SET_ONE_REG,
} from "../include/uapi/linux/kvm.ts";
import { Errno } from "../kernel/errno.ts";
import type { Kvm, KvmVcpu } from "../virt/kvm/kvm_host.ts";
import { kvmVcpuKick } from "../virt/kvm/kvm_main.ts";
import { type BuiltinCtx, guestHooks, registerBuiltin, registerHostProp } from "./registry.ts";
import { kindOf, Obj, Rec, type Value } from "./value.ts";
import type { Vmm, VmmGuest, VmmVcpu } from "./vmm.ts";

registerHostProp({
  name: "vhe",
  type: "ident",
  values: ["on", "off"],
  doc: "arm64: kernel runs at EL2 (VHE), default on",
});
registerHostProp({
  name: "timer-save",
  type: "ident",
  values: ["lazy", "legacy"],
  doc:
    "arm64 vtimer save/restore: lazy = at vcpu load/put (seed 004, default); legacy = in hyp on every entry/exit",
});
registerHostProp({
  name: "cntfrq",
  type: "int",
  doc: "arm64 counter frequency in Hz (default 25000000)",
});
registerHostProp({
  name: "kernel-irqchip",
  type: "ident",
  values: ["on", "off"],
  doc:
    "arm64: the VMM creates an in-kernel GICv3 before the vCPUs run (QEMU kernel_irqchip=on, default)",
});

/** QEMU virt's GICv3 layout. */
export const VIRT_GIC_DIST = 0x0800_0000n;
export const VIRT_GIC_REDIST = 0x080a_0000n;
/** QEMU virt: 256 SPIs + 32 private. */
export const VIRT_GIC_NR_IRQS = 288n;

/** A scratch word in the VMM for pointer arguments (int/u64 attributes, ONE_REG values). */
function scratch(vmm: Vmm): number {
  let a = vmm.ext["armScratch"] as number | undefined;
  if (a === undefined) {
    a = vmm.mmapAnon(4096);
    vmm.ext["armScratch"] = a;
  }
  return a;
}

function writeScratch(vmm: Vmm, v: bigint): bigint {
  const a = scratch(vmm);
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  vmm.proc.mm.write(a, b);
  return BigInt(a);
}

function readScratch(vmm: Vmm, bytes: 4 | 8): bigint {
  const b = vmm.proc.mm.read(scratch(vmm), 8);
  const dv = new DataView(b.buffer);
  return bytes === 4 ? BigInt(dv.getInt32(0, true)) : dv.getBigUint64(0, true);
}

/** kvm_arm_gicv3 realize: KVM_CREATE_DEVICE(GICv3), NR_IRQS, the two bases, CTRL_INIT. */
function createVgic(vmm: Vmm, g: VmmGuest): void {
  const out = vmm.must(g.vmfd, KVM_CREATE_DEVICE, {
    type: KVM_DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3,
    flags: 0n,
  })
    .out as { fd: bigint };
  const fd = Number(out.fd);
  g.ext["vgicFd"] = fd;
  const set = (group: bigint, attr: bigint, v: bigint) =>
    vmm.must(fd, KVM_SET_DEVICE_ATTR, { flags: 0n, group, attr, addr: writeScratch(vmm, v) });
  set(KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0n, VIRT_GIC_NR_IRQS);
  set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, VIRT_GIC_DIST);
  set(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, VIRT_GIC_REDIST);
  set(KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, 0n);
}

guestHooks.beforeStart.push((vmm, g) => {
  if (vmm.kernel.arch !== "arm64") return;
  const irqchip = vmm.kernel.config.props["kernel-irqchip"];
  if (irqchip === "off" || irqchip === false) return;
  createVgic(vmm, g);
});

// ------------------------------------------------------------ argument helpers

function vcpuArg(ctx: BuiltinCtx, v: Value | undefined): { vv: VmmVcpu; kv: KvmVcpu } {
  if (ctx.kernel.arch !== "arm64") {
    throw new RangeError("the arm64 timer builtins need `host { arch arm64 }`");
  }
  if (v instanceof Obj && v.kind === "vcpu") {
    const vv = v.impl as VmmVcpu;
    return { vv, kv: ctx.vmm.kvmVcpu(vv) };
  }
  throw new RangeError(
    `expected a vCPU (e.g. vm1.cpu0), got ${v === undefined ? "nothing" : kindOf(v)}`,
  );
}

function guestArg(ctx: BuiltinCtx, v: Value | undefined): { g: VmmGuest; kvm: Kvm } {
  if (v instanceof Obj && v.kind === "guest") {
    const g = v.impl as VmmGuest;
    return { g, kvm: ctx.vmm.proc.fget(g.vmfd).private_data as Kvm };
  }
  throw new RangeError(`expected a guest, got ${v === undefined ? "nothing" : kindOf(v)}`);
}

function int(v: Value | undefined, what: string): bigint {
  if (typeof v === "bigint") return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  throw new RangeError(
    `${what} must be an integer, got ${v === undefined ? "nothing" : kindOf(v)}`,
  );
}

/** Guest-side errors become diagnostics. */
function guest<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Errno || e instanceof RangeError) throw e;
    if (e instanceof Error) throw new RangeError(e.message);
    throw e;
  }
}

/** Pause a vCPU thread (kick out of KVM_RUN), run `fn` from the VMM, resume it. */
function paused<T>(vmm: Vmm, vcpus: VmmVcpu[], fn: () => T): T {
  const stopped = vcpus.filter((v) => kvmVcpuKick(vmm.kvmVcpu(v)));
  try {
    return fn();
  } finally {
    for (const v of stopped) vmm.runVcpu(v, KVM_RUN);
  }
}

const SEED = "seed 004; kvm-nested-timer.md C";

// The checker applies a builtin's `*` flags to positional arguments and the
// per-parameter ones to named arguments, so each list is given under both.

/** Short names for the CNTx_CTL bits (`msr(vm1.cpu0, CNTV_CTL_EL0, ENABLE | IT_MASK)`). */
const CTL_SHORT = ["ENABLE", "IT_MASK", "IT_STAT"];
/** Short names for the ONE_REG ids (`get_one_reg(vm1.cpu0, TIMER_CNT)` = KVM_REG_ARM_TIMER_CNT). */
const TIMER_REG_SHORT = [
  "TIMER_CTL",
  "TIMER_CVAL",
  "TIMER_CNT",
  "PTIMER_CTL",
  "PTIMER_CVAL",
  "PTIMER_CNT",
];
/** Short names for the TIMER_CTRL attributes (`timer_irq(vm1.cpu0, PTIMER)` = KVM_ARM_VCPU_TIMER_IRQ_PTIMER). */
const TIMER_ATTR_SHORT = ["VTIMER", "PTIMER", "HVTIMER", "HPTIMER"];

// ------------------------------------------------------------ the guest's instructions

registerBuiltin({
  name: "msr",
  doc:
    "msr(vcpu, REG, value): the guest writes a timer system register (CNTV_CTL_EL0, CNTV_CVAL_EL0, " +
    "CNTV_TVAL_EL0, CNTP_*). vtimer writes go straight to the hardware; ptimer writes trap to KVM.",
  params: ["vcpu", "reg", "value"],
  fieldFlags: { "*": CTL_SHORT, value: CTL_SHORT },
  source: "arch/arm64/kvm/arch_timer.c; " + SEED,
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    guest(() => guestMsr(kv, int(args[1], "reg"), int(args[2], "value")));
    return 0n;
  },
});

registerBuiltin({
  name: "mrs",
  doc:
    "mrs(vcpu, REG): the guest reads a timer register (CTL shows ISTATUS; TVAL is the low 32 bits — use s32()).",
  params: ["vcpu", "reg"],
  source: SEED,
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    return guest(() => guestMrs(kv, int(args[1], "reg")));
  },
});

registerBuiltin({
  name: "s32",
  doc: "s32(x): the low 32 bits of x as a signed number (how software reads TVAL).",
  params: ["x"],
  call: (_ctx, args) => BigInt.asIntN(32, int(args[0], "x")),
});

registerBuiltin({
  name: "ticks",
  doc:
    "ticks(duration): counter ticks in a duration at the host's cntfrq (ticks(1ms) = 25000 at 25 MHz).",
  params: ["duration"],
  call: (ctx, args) => (int(args[0], "duration") * armHw(ctx.kernel).freq) / 1_000_000_000n,
});

registerBuiltin({
  name: "wfi",
  doc:
    'wfi(vcpu): the guest executes WFI. "blocked": it sleeps (timer state saved, background timer armed) ' +
    'until `advance` reaches its deadline; "running": an interrupt or an expired timer was already pending.',
  params: ["vcpu"],
  source: "kvm_handle_wfx → kvm_vcpu_block; kvm_timer_schedule/unschedule (" + SEED + ")",
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    return guest(() => guestWfi(kv));
  },
});

registerBuiltin({
  name: "irq_ack",
  doc:
    "irq_ack(vcpu): the guest reads ICC_IAR1_EL1 — the INTID it takes (1023 = spurious, nothing pending).",
  params: ["vcpu"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    return guest(() => BigInt(guestAck(kv)));
  },
});

registerBuiltin({
  name: "irq_eoi",
  doc:
    "irq_eoi(vcpu, intid): the guest writes ICC_EOIR1_EL1; for the HW-mapped vtimer PPI this also " +
    "deactivates the physical interrupt. false if it was not active.",
  params: ["vcpu", "intid"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    return guest(() => guestEoi(kv, Number(int(args[1], "intid"))));
  },
});

registerBuiltin({
  name: "irq_pending",
  doc:
    "irq_pending(vcpu, intid): the guest samples GICR_ISPENDR0 (a trapped MMIO read; the exit runs sync_hwstate).",
  params: ["vcpu", "intid"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    return guest(() => guestIrqPending(kv, Number(int(args[1], "intid"))));
  },
});

registerBuiltin({
  name: "irq_enable",
  doc:
    "irq_enable(vcpu, intid, on): the guest enables/disables a PPI at the redistributor (trapped MMIO).",
  params: ["vcpu", "intid", "on"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    guest(() =>
      guestIrqEnable(kv, Number(int(args[1], "intid")), args[2] !== false && args[2] !== 0n)
    );
    return 0n;
  },
});

registerBuiltin({
  name: "irq_count",
  doc:
    "irq_count(vcpu, intid?): interrupts the guest has taken (acknowledged), all or of one INTID.",
  params: ["vcpu", "intid"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    const m = timerCpu(kv).irqs;
    if (args[1] === undefined) return BigInt([...m.values()].reduce((a, b) => a + b, 0));
    return BigInt(m.get(Number(int(args[1], "intid"))) ?? 0);
  },
});

registerBuiltin({
  name: "guest_trap",
  doc:
    "guest_trap(vcpu, count?): traps KVM handles in the kernel (HVCs): one guest exit and entry each. " +
    "Returns the count.",
  params: ["vcpu", "count"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    const n = args[1] === undefined ? 1n : int(args[1], "count");
    for (let i = 0n; i < n; i++) guest(() => guestTrap(kv));
    return n;
  },
});

registerBuiltin({
  name: "guest_exit",
  doc:
    "guest_exit(vcpu): the guest writes to QEMU's UART: KVM_EXIT_MMIO to the VMM and back (vcpu_put, vcpu_load).",
  params: ["vcpu"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    guest(() => guestExitToUser(kv));
    return 0n;
  },
});

registerBuiltin({
  name: "timer_tick",
  doc:
    'timer_tick(vcpu, period, timer?): run a periodic guest on the vtimer (or "ptimer"): arm now + period, ' +
    "WFI, and on each interrupt mask, EOI, re-arm CVAL += period. Returns the guest's tick count so far.",
  params: ["vcpu", "period", "timer"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    const kind = args[2] === "ptimer" ? "ptimer" : "vtimer";
    const p = new TickProgram(
      kv,
      kind,
      (int(args[1], "period") * armHw(ctx.kernel).freq) / 1_000_000_000n,
    );
    setGuestProgram(kv, p);
    guest(() => p.start());
    return 0n;
  },
});

// ------------------------------------------------------------ the host scheduler

registerBuiltin({
  name: "preempt",
  doc:
    "preempt(vcpu): the host preempts the vCPU thread (vcpu_put) and schedules it again (vcpu_load).",
  params: ["vcpu"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    guest(() => preempt(kv));
    return 0n;
  },
});

registerBuiltin({
  name: "migrate",
  doc: "migrate(vcpu, pcpu): move the vCPU thread to another physical CPU (put here, load there).",
  params: ["vcpu", "pcpu"],
  call(ctx, args) {
    const { kv } = vcpuArg(ctx, args[0]);
    guest(() => migrate(kv, Number(int(args[1], "pcpu"))));
    return 0n;
  },
});

registerBuiltin({
  name: "vcpu_state",
  doc:
    'vcpu_state(vcpu): "guest" (loaded, running), "blocked" (WFI), "queued" (runnable, no pCPU) or "out".',
  params: ["vcpu"],
  call(ctx, args) {
    return timerCpu(vcpuArg(ctx, args[0]).kv).state;
  },
});

registerBuiltin({
  name: "pcpu",
  doc: "pcpu(vcpu): the physical CPU the vCPU is loaded on, or -1.",
  params: ["vcpu"],
  call(ctx, args) {
    return BigInt(timerCpu(vcpuArg(ctx, args[0]).kv).cpu?.id ?? -1);
  },
});

// ------------------------------------------------------------ the VMM's ioctls

registerBuiltin({
  name: "get_one_reg",
  doc:
    "get_one_reg(vcpu, ID): KVM_GET_ONE_REG (the VMM pauses the vCPU first). Use the uapi ids: " +
    "KVM_REG_ARM_TIMER_CVAL/TIMER_CNT are swapped relative to their encodings.",
  params: ["vcpu", "id"],
  fieldFlags: { "*": TIMER_REG_SHORT, id: TIMER_REG_SHORT },
  source: "arch/arm64/include/uapi/asm/kvm.h; " + SEED,
  call(ctx, args) {
    const { vv } = vcpuArg(ctx, args[0]);
    const id = int(args[1], "id");
    return paused(ctx.vmm, [vv], () => {
      const r = ctx.vmm.ioctl(vv.fd, KVM_GET_ONE_REG, { id, addr: writeScratch(ctx.vmm, 0n) });
      return r.ret < 0 ? BigInt(r.ret) : readScratch(ctx.vmm, 8);
    });
  },
});

registerBuiltin({
  name: "set_one_reg",
  doc:
    "set_one_reg(vcpu, ID, value): KVM_SET_ONE_REG; returns 0 or -errno. TIMER_CNT moves the VM-wide offset.",
  params: ["vcpu", "id", "value"],
  fieldFlags: { "*": TIMER_REG_SHORT, id: TIMER_REG_SHORT },
  source: "arch/arm64/kvm/arch_timer.c kvm_arm_timer_set_reg",
  call(ctx, args) {
    const { vv } = vcpuArg(ctx, args[0]);
    const id = int(args[1], "id"), val = int(args[2], "value");
    return paused(
      ctx.vmm,
      [vv],
      () =>
        BigInt(ctx.vmm.ioctl(vv.fd, KVM_SET_ONE_REG, { id, addr: writeScratch(ctx.vmm, val) }).ret),
    );
  },
});

function attrCall(ctx: BuiltinCtx, args: Value[], which: "get" | "set" | "has"): bigint {
  const { vv } = vcpuArg(ctx, args[0]);
  const attr = int(args[1], "attr");
  const def = which === "get"
    ? KVM_GET_DEVICE_ATTR
    : which === "set"
    ? KVM_SET_DEVICE_ATTR
    : KVM_HAS_DEVICE_ATTR;
  const v = which === "set" ? int(args[2], "irq") : 0n;
  const run = () => {
    const r = ctx.vmm.ioctl(vv.fd, def, {
      flags: 0n,
      group: KVM_ARM_VCPU_TIMER_CTRL,
      attr,
      addr: writeScratch(ctx.vmm, v),
    });
    return which === "get" && r.ret === 0 ? readScratch(ctx.vmm, 4) : BigInt(r.ret);
  };
  return paused(ctx.vmm, [vv], run);
}

registerBuiltin({
  name: "timer_irq",
  doc:
    "timer_irq(vcpu, ATTR): KVM_GET_DEVICE_ATTR(KVM_ARM_VCPU_TIMER_CTRL, ATTR) — the timer's PPI (or -errno).",
  params: ["vcpu", "attr"],
  fieldFlags: { "*": TIMER_ATTR_SHORT, attr: TIMER_ATTR_SHORT },
  source: "Documentation/virt/kvm/devices/vcpu.rst",
  call: (ctx, args) => attrCall(ctx, args, "get"),
});

registerBuiltin({
  name: "set_timer_irq",
  doc:
    "set_timer_irq(vcpu, ATTR, intid): KVM_SET_DEVICE_ATTR on the vcpu fd; 0 or -EINVAL (no vgic / not a PPI), " +
    "-EBUSY (a vCPU has run), -ENXIO (unknown attribute). The PPI applies to the whole VM.",
  params: ["vcpu", "attr", "irq"],
  fieldFlags: { "*": TIMER_ATTR_SHORT, attr: TIMER_ATTR_SHORT },
  source: "arch/arm64/kvm/arch_timer.c kvm_arm_timer_set_attr",
  call: (ctx, args) => attrCall(ctx, args, "set"),
});

registerBuiltin({
  name: "has_timer_irq",
  doc:
    "has_timer_irq(vcpu, ATTR): KVM_HAS_DEVICE_ATTR — 0 for the four timer attributes, else -ENXIO.",
  params: ["vcpu", "attr"],
  fieldFlags: { "*": TIMER_ATTR_SHORT, attr: TIMER_ATTR_SHORT },
  call: (ctx, args) => attrCall(ctx, args, "has"),
});

registerBuiltin({
  name: "set_counter_offset",
  doc:
    "set_counter_offset(vm, offset, reserved?): pause every vCPU (as QEMU does), KVM_ARM_SET_COUNTER_OFFSET, " +
    "resume. 0, or -EINVAL if reserved ≠ 0. (A raw `ioctl vm1 KVM_ARM_SET_COUNTER_OFFSET(…)` while vCPUs run → -EBUSY.)",
  params: ["vm", "offset", "reserved"],
  source: "Documentation/virt/kvm/api.rst §4.138",
  call(ctx, args) {
    const { g } = guestArg(ctx, args[0]);
    const input = {
      counter_offset: int(args[1], "offset"),
      reserved: args[2] === undefined ? 0n : int(args[2], "reserved"),
    };
    return paused(
      ctx.vmm,
      g.vcpus,
      () => BigInt(ctx.vmm.ioctl(g.vmfd, KVM_ARM_SET_COUNTER_OFFSET, input).ret),
    );
  },
});

// ------------------------------------------------------------ costs

function costRec(t: CostTable): Rec {
  const f: Record<string, Value> = {};
  for (const p of PHASES) {
    const r = t.get(p)!;
    f[p.replace("/", "_")] = new Rec({
      events: BigInt(r.events),
      sysreg: BigInt(r.sysreg),
      hyp: BigInt(r.hyp),
      mmio: BigInt(r.mmio),
    });
  }
  return new Rec(f);
}

registerBuiltin({
  name: "timer_costs",
  doc:
    "timer_costs(vcpu?): counted timer work by phase (entry_exit, load_put, wfi, irq, user): events, " +
    "sysreg accesses, hyp calls, distributor MMIO — for the host or one vCPU.",
  params: ["vcpu"],
  source: SEED,
  call(ctx, args) {
    if (args[0] === undefined) return costRec(armHw(ctx.kernel).costs);
    return costRec(timerCpuCosts(vcpuArg(ctx, args[0]).kv));
  },
});

function timerCpuCosts(kv: KvmVcpu): CostTable {
  return kv.arch["timerCosts"] as CostTable;
}

registerBuiltin({
  name: "reset_costs",
  doc: "reset_costs(): zero the host's and every vCPU's cost counters (measure one workload).",
  params: [],
  call(ctx) {
    const zero = (t: CostTable) => {
      for (const r of t.values()) {
        r.events =
          r.sysreg =
          r.hyp =
          r.mmio =
            0;
      }
    };
    zero(armHw(ctx.kernel).costs);
    for (const g of ctx.vmm.guests.values()) {
      for (const v of g.vcpus) zero(timerCpuCosts(ctx.vmm.kvmVcpu(v)));
    }
    return 0n;
  },
});
