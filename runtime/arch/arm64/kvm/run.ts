/**
 * The arm64 run loop (kvm_arch_vcpu_ioctl_run and kvm_arch_vcpu_load/put in
 * arch/arm64/kvm/arm.c) together with the host scheduler that places vCPU
 * threads on physical CPUs. A vCPU in KVM_RUN is loaded on a pCPU and runs
 * guest code; it leaves the guest only for an event — a host interrupt, a
 * trap, WFI, an exit to the VMM, preemption or migration — and each such
 * round trip goes through exit → sync_hwstate → (host IRQs on: the ISR) →
 * flush → entry, exactly the sequence whose cost seed 004 reduces.
 *
 * More vCPU threads than pCPUs wait in a FIFO run queue (not loaded); a pCPU
 * freed by a WFI block or an exit to the VMM takes the next one.
 *
 * @example
 * ```ts
 * import { runQueue } from "./run.ts";
 * console.log(typeof runQueue); // "function"
 * ```
 * @module
 */
import type { Kernel } from "../../../kernel/kernel.ts";
import type { KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import {
  kvmArchTimerHandler,
  kvmTimerFlushHwstateLegacy,
  kvmTimerSchedule,
  kvmTimerShouldFire,
  kvmTimerSyncHwstate,
  kvmTimerUnschedule,
  kvmTimerVcpuLoad,
  kvmTimerVcpuPut,
  timerCpu,
  timerHooks,
} from "./arch_timer.ts";
import { kvmVcpuRunEnter, kvmVcpuRunExit } from "./hyp/switch.ts";
import { armHw, hwHooks, type PCpu } from "./pcpu.ts";
import { kvmVgicVcpuPendingIrq, vgicFlush, vgicHooks, vgicPrivate, vgicSync } from "./vgic/vgic.ts";

/** A guest program: what the simulated guest does when it takes an interrupt. */
export interface GuestProgram {
  /** An interrupt is pending in the list registers of the running vCPU. */
  onIrq(vcpu: KvmVcpu): void;
}

/**
 * The run queue of a kernel (runnable vCPU threads not on a pCPU).
 *
 * @example
 * ```ts
 * // runQueue(kernel).length
 * ```
 */
export function runQueue(k: Kernel): KvmVcpu[] {
  return k.state("arm64-runqueue", () => [] as KvmVcpu[]);
}

/** The guest program of a vCPU, if any. */
export function guestProgram(vcpu: KvmVcpu): GuestProgram | undefined {
  return vcpu.arch["guestProgram"] as GuestProgram | undefined;
}

/**
 * Guest entry: (legacy flush_hwstate), vgic flush, __kvm_vcpu_run (a hyp call on non-VHE).
 *
 * @example
 * ```ts
 * // enterGuest(vcpu)
 * ```
 */
export function enterGuest(vcpu: KvmVcpu): void {
  const hw = armHw(vcpu.kvm.kernel);
  const t = timerCpu(vcpu);
  const cpu = t.cpu!;
  hw.event("entry/exit", vcpu);
  hw.inPhase("entry/exit", vcpu, () => {
    if (hw.legacy) kvmTimerFlushHwstateLegacy(vcpu);
    vgicFlush(vcpu);
    hw.hypCall(() => kvmVcpuRunEnter(hw, cpu, vcpu));
  });
  t.state = "guest";
}

/**
 * Guest exit: the end of __kvm_vcpu_run, kvm_timer_sync_hwstate (IRQs still
 * off), vgic sync, then host IRQs on — a pending physical timer IRQ runs the ISR.
 *
 * @example
 * ```ts
 * // exitGuest(vcpu)
 * ```
 */
export function exitGuest(vcpu: KvmVcpu): void {
  const hw = armHw(vcpu.kvm.kernel);
  const cpu = timerCpu(vcpu).cpu!;
  hw.inPhase("entry/exit", vcpu, () => {
    kvmVcpuRunExit(hw, cpu, vcpu);
    kvmTimerSyncHwstate(vcpu);
    vgicSync(vcpu);
  });
  hostIrqWindow(cpu);
}

/** Host context with interrupts enabled: take a deliverable physical vtimer IRQ. */
function hostIrqWindow(cpu: PCpu): void {
  if (cpu.irqDeliverable()) kvmArchTimerHandler(cpu);
}

/**
 * One exit and re-entry with `handle` run in between (a trap handled in the kernel).
 *
 * @example
 * ```ts
 * // roundTrip(vcpu, () => {});
 * ```
 */
export function roundTrip(vcpu: KvmVcpu, handle?: () => void): void {
  exitGuest(vcpu);
  handle?.();
  const t = timerCpu(vcpu);
  if (t.state === "guest" && t.cpu) enterGuest(vcpu);
}

/**
 * Let the running guest react until nothing is left to do: a physical timer
 * IRQ in the guest exits to the host; a guest program takes pending virtual
 * interrupts. A guest that never quiesces is an interrupt storm.
 *
 * @example
 * ```ts
 * // settle(vcpu)
 * ```
 */
export function settle(vcpu: KvmVcpu): void {
  for (let n = 0; n < 10_000; n++) {
    const t = timerCpu(vcpu);
    if (t.state !== "guest" || !t.cpu?.inGuest) return;
    if (t.cpu.irqDeliverable()) {
      roundTrip(vcpu);
      continue;
    }
    const prog = guestProgram(vcpu);
    if (prog && vgicPrivate(vcpu).some((i) => i.lrPending && i.enabled)) {
      prog.onIrq(vcpu);
      continue;
    }
    return;
  }
  throw new Error(`interrupt storm on ${vcpu.label}: the guest never quiesces`);
}

/**
 * Load a vCPU on a pCPU (preempting whoever is there), finish an interrupted
 * block, and enter the guest.
 *
 * @example
 * ```ts
 * // loadOn(vcpu, armHw(k).cpus[1])
 * ```
 */
export function loadOn(vcpu: KvmVcpu, cpu: PCpu): void {
  const hw = cpu.hw;
  const t = timerCpu(vcpu);
  const q = runQueue(hw.kernel);
  const qi = q.indexOf(vcpu);
  if (qi >= 0) q.splice(qi, 1);
  if (cpu.current && cpu.current !== vcpu) preemptOut(cpu.current);
  hw.event("load/put", vcpu);
  hw.inPhase("load/put", vcpu, () => {
    cpu.current = vcpu;
    t.cpu = cpu;
    t.lastCpu = cpu.id;
    kvmTimerVcpuLoad(vcpu);
  });
  if (t.unblockPending) {
    t.unblockPending = false;
    hw.inPhase("wfi", vcpu, () => kvmTimerUnschedule(vcpu));
  }
  hostIrqWindow(cpu);
  enterGuest(vcpu);
  settle(vcpu);
}

/**
 * vcpu_put: leave the guest if in it, save the timer, free the pCPU.
 *
 * @example
 * ```ts
 * // putFrom(vcpu)
 * ```
 */
export function putFrom(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  const cpu = t.cpu;
  if (!cpu) return;
  if (cpu.inGuest) exitGuest(vcpu);
  cpu.hw.inPhase("load/put", vcpu, () => kvmTimerVcpuPut(vcpu));
  cpu.current = undefined;
  t.cpu = undefined;
}

function preemptOut(vcpu: KvmVcpu): void {
  putFrom(vcpu);
  timerCpu(vcpu).state = "queued";
  runQueue(vcpu.kvm.kernel).push(vcpu);
}

/**
 * Give every idle pCPU the next runnable vCPU (preferring one that ran there).
 *
 * @example
 * ```ts
 * // dispatch(kernel)
 * ```
 */
export function dispatch(k: Kernel): void {
  const hw = armHw(k);
  const q = runQueue(k);
  for (const cpu of hw.cpus) {
    if (cpu.current || q.length === 0) continue;
    const pick = q.find((v) => timerCpu(v).lastCpu === cpu.id) ?? q[0]!;
    loadOn(pick, cpu);
  }
}

/**
 * Make a runnable vCPU run: its last pCPU if idle, else any idle one, else the queue.
 *
 * @example
 * ```ts
 * // place(vcpu)
 * ```
 */
export function place(vcpu: KvmVcpu): void {
  const hw = armHw(vcpu.kvm.kernel);
  const t = timerCpu(vcpu);
  t.state = "queued";
  const pref = hw.cpus[t.lastCpu];
  const cpu = pref && !pref.current ? pref : hw.cpus.find((c) => !c.current);
  if (cpu) loadOn(vcpu, cpu);
  else if (!runQueue(hw.kernel).includes(vcpu)) runQueue(hw.kernel).push(vcpu);
}

/**
 * The guest must be executing for it to run an instruction: a queued vCPU is
 * scheduled in on its last pCPU (preempting the occupant).
 *
 * @example
 * ```ts
 * // ensureRunning(vcpu)
 * ```
 */
export function ensureRunning(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (t.state === "guest") return;
  if (t.state === "queued") {
    loadOn(vcpu, armHw(vcpu.kvm.kernel).cpus[t.lastCpu]!);
    return;
  }
  if (t.state === "blocked") {
    throw new Error(`${vcpu.label} is halted in WFI: advance the clock until it wakes`);
  }
  throw new Error(`${vcpu.label} is not in KVM_RUN`);
}

/**
 * WFI trapped (kvm_handle_wfx → kvm_vcpu_block): schedule the timer, check
 * whether the block returns at once (vgic pending or a timer already
 * expired), else sleep — the thread is put and its pCPU freed.
 *
 * @example
 * ```ts
 * // kvmHandleWfi(vcpu) === "blocked"
 * ```
 */
export function kvmHandleWfi(vcpu: KvmVcpu): "blocked" | "running" {
  const hw = armHw(vcpu.kvm.kernel);
  const t = timerCpu(vcpu);
  exitGuest(vcpu);
  hw.event("wfi", vcpu);
  const runnable = hw.inPhase("wfi", vcpu, () => {
    kvmTimerSchedule(vcpu);
    // kvm_vcpu_check_block: kvm_arch_vcpu_runnable / kvm_cpu_has_pending_timer
    if (
      kvmVgicVcpuPendingIrq(vcpu) || kvmTimerShouldFire(vcpu, t.vtimer) ||
      kvmTimerShouldFire(vcpu, t.ptimer)
    ) {
      kvmTimerUnschedule(vcpu);
      return true;
    }
    return false;
  });
  if (runnable) {
    hostIrqWindow(t.cpu!);
    enterGuest(vcpu);
    settle(vcpu);
    return "running";
  }
  t.state = "blocked";
  putFrom(vcpu);
  dispatch(vcpu.kvm.kernel);
  return "blocked";
}

/**
 * Wake a vCPU blocked in WFI (background timer or an injected interrupt).
 *
 * @example
 * ```ts
 * // wake(vcpu)
 * ```
 */
export function wake(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (t.state !== "blocked") return;
  t.unblockPending = true;
  place(vcpu);
}

/**
 * Kick: a newly pending interrupt for a vCPU running guest code forces an
 * exit so the next entry's flush shows it; a blocked vCPU is woken.
 *
 * @example
 * ```ts
 * // kick(vcpu)
 * ```
 */
export function kick(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (t.state === "blocked") wake(vcpu);
  else if (t.state === "guest" && t.cpu?.inGuest) {
    roundTrip(vcpu);
    settle(vcpu);
  }
}

/**
 * Host preemption of the vCPU thread: put, requeue at the back, reschedule.
 *
 * @example
 * ```ts
 * // preempt(vcpu)
 * ```
 */
export function preempt(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (t.state !== "guest") return;
  preemptOut(vcpu);
  dispatch(vcpu.kvm.kernel);
}

/**
 * Move the vCPU thread to pCPU `id` (sched_setaffinity): a loaded vCPU is put
 * and loaded there; a blocked or queued one will run there next.
 *
 * @example
 * ```ts
 * // migrate(vcpu, 2)
 * ```
 */
export function migrate(vcpu: KvmVcpu, id: number): void {
  const hw = armHw(vcpu.kvm.kernel);
  const cpu = hw.cpus[id];
  if (!cpu) throw new RangeError(`no pCPU ${id} (the host has ${hw.cpus.length})`);
  const t = timerCpu(vcpu);
  t.lastCpu = id;
  if (t.state !== "guest" || t.cpu === cpu) return;
  putFrom(vcpu);
  t.state = "queued";
  loadOn(vcpu, cpu);
  dispatch(vcpu.kvm.kernel);
}

/**
 * KVM_RUN entry (the vcpuLoad hook): the thread becomes runnable.
 *
 * @example
 * ```ts
 * // onRunEnter(vcpu)
 * ```
 */
export function onRunEnter(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  if (t.state !== "out") return;
  place(vcpu);
}

/**
 * KVM_RUN returns to userspace (the vcpuPut hook): leave the guest, put, free the pCPU.
 *
 * @example
 * ```ts
 * // onRunExit(vcpu)
 * ```
 */
export function onRunExit(vcpu: KvmVcpu): void {
  const t = timerCpu(vcpu);
  const k = vcpu.kvm.kernel;
  if (t.state === "guest") putFrom(vcpu);
  else if (t.state === "queued") {
    const q = runQueue(k);
    const i = q.indexOf(vcpu);
    if (i >= 0) q.splice(i, 1);
  } else if (t.state === "blocked") {
    // A signal ends the block: the background timer goes.
    k.clock.cancel(t.bg);
    t.bg = undefined;
  }
  t.state = "out";
  dispatch(k);
}

timerHooks.wake = wake;
vgicHooks.kick = kick;
vgicHooks.deactivatePhys = (vcpu) => {
  const t = timerCpu(vcpu);
  // The HW bit: deactivating the virtual IRQ deactivates the physical one on the CPU running the guest.
  if (t.cpu) t.cpu.deactivatePpi();
};

hwHooks.physIrq = (cpu) => {
  // The timer output asserted: in the guest it forces an exit (the ISR runs once host IRQs are on).
  if (!cpu.irqDeliverable() || !cpu.current) return;
  const v = cpu.current;
  if (cpu.inGuest) {
    roundTrip(v);
    settle(v);
  } else hostIrqWindow(cpu);
};
