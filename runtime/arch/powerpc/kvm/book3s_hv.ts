/**
 * arch/powerpc/kvm/book3s_hv.c and powerpc.c, reduced to what the simulator
 * needs: the VM types, the capability answers, KVM_CAP_PPC_PAPR and
 * KVM_CAP_PPC_ENABLE_HCALL, ONE_REG, and hypercall dispatch
 * (kvmppc_pseries_do_hcall): an enabled in-kernel handler answers, otherwise —
 * or when it answers H_TOO_HARD — the hcall exits to the VMM as
 * KVM_EXIT_PAPR_HCALL and the VMM's r3 is what the guest sees.
 *
 * @example
 * ```ts
 * import { kvmppcRegisterHcall } from "./book3s_hv.ts";
 * console.log(typeof kvmppcRegisterHcall); // "function"
 * ```
 * @module
 */
import { EINVAL } from "../../../include/uapi/asm-generic/errno.ts";
import { KVM_CAP, KVM_EXIT } from "../../../include/uapi/linux/kvm.ts";
import { Errno } from "../../../kernel/errno.ts";
import { type Kvm, kvmArch, type KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import { KVM_REG_SIZE, kvmExitToUser } from "../../../virt/kvm/kvm_main.ts";
import { H, hcallByNr, MAX_HCALL_OPCODE } from "../include/asm/hvcall.ts";
import { PPC_ONE_REG } from "../include/uapi/asm/kvm.ts";

/** An in-kernel hcall handler: returns r3, and may set r4… in `rets`. */
export type HcallHandler = (vcpu: KvmVcpu, args: bigint[], rets: bigint[]) => bigint;

interface InKernel {
  handler: HcallHandler;
  /** Enabled by default (default_hcall_list), else needs KVM_CAP_PPC_ENABLE_HCALL. */
  defaultOn: boolean;
  /** r3 as a BigInt and the name for exit counters (computed once, on first use: the hot path). */
  nrB: bigint;
  name: string;
}

const IN_KERNEL = new Map<number, InKernel>();

/**
 * Register an in-kernel hypercall implementation.
 *
 * @example
 * ```ts
 * // kvmppcRegisterHcall(0x20, handler, true);
 * ```
 */
export function kvmppcRegisterHcall(nr: number, handler: HcallHandler, defaultOn: boolean): void {
  IN_KERNEL.set(nr, { handler, defaultOn, nrB: BigInt(nr), name: "" });
}

/** Where a hypercall was answered. */
export interface HcallOutcome {
  ret: bigint;
  rets: bigint[];
  where: "kernel" | "user";
}

interface PpcVm {
  enabledHcalls: Set<number>;
  radix: boolean;
}

function ppcVm(kvm: Kvm): PpcVm {
  return kvm.arch as unknown as PpcVm;
}

/**
 * Is in-kernel handling enabled for this hcall on this VM?
 *
 * @example
 * ```ts
 * // hcallEnabled(kvm, 0x20)
 * ```
 */
export function hcallEnabled(kvm: Kvm, nr: number): boolean {
  return ppcVm(kvm).enabledHcalls.has(nr);
}

const H_TOO_HARD = H.H_TOO_HARD!;

function hname(nr: number): string {
  return hcallByNr(nr)?.name ?? `hcall 0x${nr.toString(16)}`;
}

/**
 * The guest executes `sc 1` with r3 = nr and r4… = args.
 *
 * @example
 * ```ts
 * // const out = kvmppcGuestHcall(vcpu, 0x20, [liobn, ioba, tce]);
 * ```
 */
export function kvmppcGuestHcall(vcpu: KvmVcpu, nr: number, args: bigint[]): HcallOutcome {
  const k = vcpu.kvm.kernel;
  const gpr = vcpu.gpr;
  const ik = IN_KERNEL.get(nr);
  gpr[3] = ik ? ik.nrB : BigInt(nr);
  for (let i = 0; i < args.length; i++) gpr[4 + i] = args[i]!;
  const name = ik ? (ik.name || (ik.name = hname(nr))) : hname(nr);
  if (ik && hcallEnabled(vcpu.kvm, nr)) {
    const rets: bigint[] = [];
    const ret = ik.handler(vcpu, args, rets);
    if (ret !== H_TOO_HARD) {
      const st = vcpu.stat.hcallsInKernel;
      st.set(name, (st.get(name) ?? 0) + 1);
      gpr[3] = ret;
      for (let i = 0; i < rets.length; i++) gpr[4 + i] = rets[i]!;
      return { ret, rets, where: "kernel" };
    }
  }
  // Exit to userspace: KVM_EXIT_PAPR_HCALL with nr and args in kvm_run.
  vcpu.stat.hcallsToUser.set(name, (vcpu.stat.hcallsToUser.get(name) ?? 0) + 1);
  const ok = kvmExitToUser(
    vcpu,
    "KVM_EXIT_PAPR_HCALL",
    Number(KVM_EXIT.KVM_EXIT_PAPR_HCALL),
    (pa) => {
      const b = new Uint8Array(8 + 8 + 9 * 8);
      const dv = new DataView(b.buffer);
      dv.setBigUint64(0, BigInt(nr), true);
      dv.setBigUint64(8, 0n, true);
      args.slice(0, 9).forEach((a, i) => dv.setBigUint64(16 + i * 8, BigInt.asUintN(64, a), true));
      k.phys.write(pa + 32, b);
    },
    (v) => {
      // On re-entry the VMM's answer in papr_hcall.ret (and args[0..] for
      // returned values) becomes r3, r4…
      const b = k.phys.read(v.run_pa + 32, 8 + 8 + 9 * 8);
      const dv = new DataView(b.buffer);
      v.gpr[3] = BigInt.asIntN(64, dv.getBigUint64(8, true));
      for (let i = 0; i < 9; i++) v.gpr[4 + i] = dv.getBigUint64(16 + i * 8, true);
    },
  );
  if (!ok) throw new Errno(EINVAL, "vCPU is not running (no VMM thread in KVM_RUN)");
  const def = hcallByNr(nr);
  const rets = (def?.rets ?? []).map((_, i) => vcpu.gpr[4 + i]!);
  return { ret: vcpu.gpr[3]!, rets, where: "user" };
}

/** NR_CPUS of the simulated host kernel (KVM_MAX_VCPUS = KVM_MAX_VCORES = NR_CPUS). */
const NR_CPUS = 2048;
/** MAX_SMT_THREADS (asm/kvm_book3s_asm.h). */
const MAX_SMT_THREADS = 8;
const ext = kvmArch("ppc64le");
ext.maxVcpus = NR_CPUS;
// asm/kvm_host.h: KVM_MAX_VCPU_ID(S) = MAX_SMT_THREADS * KVM_MAX_VCORES (KVM_CAP_MAX_VCPU_ID).
ext.maxVcpuId = MAX_SMT_THREADS * NR_CPUS;
ext.vcpuMmapPages = 1;
// kvmppc_core_vcpu_create_hv: core = id / smt_mode (1 on POWER9 until
// KVM_CAP_PPC_SMT is enabled); core ≥ KVM_MAX_VCORES → EINVAL.
ext.vcpuCreateCheck = (_kvm, id) => {
  if (id >= NR_CPUS) throw new Errno(EINVAL, "vcore id ≥ KVM_MAX_VCORES");
};
// powerpc.c kvm_vcpu_ioctl_get/set_one_reg: size > sizeof(union kvmppc_one_reg)
// (16) → EINVAL; an id neither book3s.c nor book3s_hv.c knows → EINVAL.
ext.oneRegUnknown = EINVAL;
ext.oneRegCheck = (_vcpu, id) => {
  if (KVM_REG_SIZE(id) > 16n) throw new Errno(EINVAL, "register size > 16 bytes");
};
// powerpc.c kvm_vm_ioctl_check_extension lists KVM_CAP_ENABLE_CAP (vCPU ENABLE_CAP exists here).
ext.caps.set(Number(KVM_CAP.KVM_CAP_ENABLE_CAP), () => 1);
ext.initVm = (kvm) => {
  // KVM_CREATE_VM type: 0 or KVM_VM_PPC_HV (1); PR (2) needs kvm-pr, not loaded here.
  if (kvm.type !== 0 && kvm.type !== 1) throw new Errno(EINVAL, "VM type (only HV is available)");
  const enabled = new Set<number>();
  for (const [nr, ik] of IN_KERNEL) if (ik.defaultOn) enabled.add(nr);
  const radix = String(kvm.kernel.config.props["mmu"] ?? "radix") === "radix";
  Object.assign(kvm.arch, { enabledHcalls: enabled, radix } satisfies PpcVm);
};
ext.caps.set(Number(KVM_CAP.KVM_CAP_PPC_PAPR), () => 1);
ext.caps.set(Number(KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL), () => 1);
// Recommended vCPU count: the host's online CPUs (hardware threads here; powerpc.c).
ext.caps.set(Number(KVM_CAP.KVM_CAP_NR_VCPUS), (_kvm, k) => Number(k.config.props["cpus"] ?? 4n));
ext.caps.set(
  Number(KVM_CAP.KVM_CAP_PPC_MMU_RADIX),
  (kvm) => (kvm ? (ppcVm(kvm).radix ? 1 : 0) : 1),
);
ext.enableCapVm.set(Number(KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL), (kvm, args) => {
  // powerpc.c: hcall must be a valid opcode with an in-kernel implementation.
  const nr = Number(args[0]);
  if (nr & 3 || nr > MAX_HCALL_OPCODE || args[1]! > 1n || !IN_KERNEL.has(nr)) {
    throw new Errno(EINVAL);
  }
  if (args[1]) ppcVm(kvm).enabledHcalls.add(nr);
  else ppcVm(kvm).enabledHcalls.delete(nr);
  return 0;
});
ext.enableCapVcpu.set(Number(KVM_CAP.KVM_CAP_PPC_PAPR), (vcpu) => {
  vcpu.arch["papr"] = true;
  return 0;
});
const sprIndex: Record<string, string> = {};
for (const [name, id] of Object.entries(PPC_ONE_REG)) {
  sprIndex[name] = name;
  ext.oneRegs.set(id, {
    name,
    id,
    get: (v) => (v.arch[name] as bigint | undefined) ?? 0n,
    set: (v, x) => {
      v.arch[name] = x;
    },
  });
}
