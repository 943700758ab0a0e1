/**
 * The VMM's KVM accelerator (QEMU's accel/kvm/kvm-all.c and the machine
 * set-up around it): the `guest` declaration opens /dev/kvm, checks the API
 * version, creates the VM, backs guest RAM with anonymous memory and a
 * memslot, creates and maps each vCPU (PAPR mode on POWER, VCPU_INIT on
 * arm64) and starts every vCPU thread in KVM_RUN.
 *
 * @example
 * ```ts
 * import { decls } from "./registry.ts";
 * import "./kvm_all.ts";
 * console.log(decls.has("guest")); // true
 * ```
 * @module
 */
import {
  KVM_CAP,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_ENABLE_CAP,
  KVM_GET_API_VERSION,
  KVM_GET_VCPU_MMAP_SIZE,
  KVM_RUN,
  KVM_SET_USER_MEMORY_REGION,
} from "../include/uapi/linux/kvm.ts";
import { KVM_ARM_PREFERRED_TARGET, KVM_ARM_VCPU_INIT } from "../arch/arm64/include/uapi/asm/kvm.ts";
import { CAP_IPC_LOCK, RLIM_INFINITY } from "../mm/util.ts";
import { type DeclInput, guestHooks, registerDecl, VmmError } from "./registry.ts";
import { mmapVcpu, type Vmm, type VmmGuest, type VmmVcpu } from "./vmm.ts";
import { Obj, type Value } from "./value.ts";

/** Default guest RAM base: 0 on POWER, 1 GiB on arm64 (QEMU virt). */
export function defaultRamBase(arch: string): number {
  return arch === "arm64" ? 0x4000_0000 : 0;
}

function num(v: Value | undefined, dflt: number): number {
  return typeof v === "bigint" ? Number(v) : dflt;
}

/**
 * Bring up a guest as QEMU would. Exposed for builtins that want a guest
 * without a declaration.
 *
 * @example
 * ```ts
 * // createGuest(vmm, { keyword: "guest", name: "vm1", props: new Map([["vcpus", [2n]]]) });
 * ```
 */
export function createGuest(vmm: Vmm, d: DeclInput): VmmGuest {
  const k = vmm.kernel;
  const arch = d.props.get("arch")?.[0];
  if (arch !== undefined && arch !== k.arch) {
    throw new VmmError(
      `guest arch ${String(arch)} cannot run on a ${k.arch} host (KVM does not emulate other ISAs)`,
      {
        prop: "arch",
        help: `declare the host with \`host { arch ${String(arch)} }\``,
      },
    );
  }
  const vcpus = num(d.props.get("vcpus")?.[0], 1);
  const memory = num(d.props.get("memory")?.[0], 256 * 1024 * 1024);
  if (vcpus < 1) throw new VmmError("a guest needs at least one vCPU", { prop: "vcpus" });
  if (memory <= 0 || memory % k.config.pageSize !== 0) {
    throw new VmmError(
      `memory must be a positive multiple of the host page size (${k.config.pageSize})`,
      {
        prop: "memory",
      },
    );
  }
  const kvmfd = vmm.kvm();
  const api = vmm.must(kvmfd, KVM_GET_API_VERSION, 0n);
  if (api.ret !== 12) throw new VmmError(`KVM API version ${api.ret}, expected 12`);
  const type = num(d.props.get("kvm-type")?.[0], 0);
  const vm = vmm.must(kvmfd, KVM_CREATE_VM, BigInt(type)).ret;
  const g: VmmGuest = {
    name: d.name,
    vmfd: vm,
    vcpus: [],
    ramHva: 0,
    ramGpa: 0,
    ramSize: memory,
    ext: {},
  };
  const kvmObj = vmm.proc.fget(vm).private_data as { label: string };
  kvmObj.label = d.name;
  // QEMU kvm_init checks the vCPU limits right after KVM_CREATE_VM: the
  // recommended KVM_CAP_NR_VCPUS (4 when 0) and the hard KVM_CAP_MAX_VCPUS
  // (NR_VCPUS when 0); above the hard one it exits (kvm-nested-timer.md A.4).
  const soft = vmm.must(vm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_NR_VCPUS).ret || 4;
  const hard = vmm.must(vm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_MAX_VCPUS).ret || soft;
  if (vcpus > hard) {
    throw new VmmError(
      `Number of SMP cpus requested (${vcpus}) exceeds the maximum cpus supported by KVM (${hard})`,
      { prop: "vcpus", help: `KVM_CAP_MAX_VCPUS is ${hard} here; ask for at most that many` },
    );
  }
  vmm.must(vm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_USER_MEMORY);
  g.ramGpa = num(d.props.get("ram-base")?.[0], defaultRamBase(k.arch));
  g.ramHva = vmm.mmapAnon(memory);
  vmm.must(vm, KVM_SET_USER_MEMORY_REGION, {
    slot: 0n,
    flags: 0n,
    guest_phys_addr: BigInt(g.ramGpa),
    memory_size: BigInt(memory),
    userspace_addr: BigInt(g.ramHva),
  });
  vmm.guests.set(d.name, g);
  vmm.declare(new Obj("guest", d.name, g));
  for (const h of guestHooks.afterVmCreate) h(vmm, g);
  const mmapSize = vmm.must(kvmfd, KVM_GET_VCPU_MMAP_SIZE, 0n).ret;
  for (let id = 0; id < vcpus; id++) {
    const fd = vmm.must(vm, KVM_CREATE_VCPU, BigInt(id)).ret;
    const runHva = mmapVcpu(vmm, fd, mmapSize);
    const v: VmmVcpu = { guest: g, id, fd, runHva, running: false, handled: new Map() };
    g.vcpus.push(v);
    vmm.declare(new Obj("vcpu", `${d.name}.cpu${id}`, v));
    if (k.arch === "ppc64le") {
      vmm.must(fd, KVM_ENABLE_CAP, { cap: KVM_CAP.KVM_CAP_PPC_PAPR });
    } else if (k.arch === "arm64") {
      const t = vmm.must(vm, KVM_ARM_PREFERRED_TARGET).out as { target: bigint };
      vmm.must(fd, KVM_ARM_VCPU_INIT, { target: t.target });
    }
  }
  for (const h of guestHooks.beforeStart) h(vmm, g);
  if (d.props.get("start")?.[0] !== false) {
    for (const v of g.vcpus) {
      const r = vmm.runVcpu(v, KVM_RUN);
      if (!v.running) throw new VmmError(`KVM_RUN on vCPU ${v.id} failed: ${r}`);
    }
  }
  return g;
}

registerDecl({
  keyword: "guest",
  props: [
    { name: "vcpus", type: "int", doc: "number of vCPUs (KVM_CREATE_VCPU 0..n-1), default 1" },
    { name: "memory", type: "size", doc: "guest RAM size, default 256M (one memslot)" },
    {
      name: "arch",
      type: "ident",
      values: ["ppc64le", "arm64", "x86_64"],
      doc: "must match the host",
    },
    {
      name: "ram-base",
      type: "int",
      doc: "guest physical base of RAM (0 on POWER, 0x40000000 on arm64)",
    },
    {
      name: "kvm-type",
      type: "int",
      doc: "KVM_CREATE_VM type (ppc: 1 = HV; arm64: IPA bits, v4.20+ i.e. kernel mainline)",
    },
    { name: "start", type: "bool", doc: "start the vCPU threads in KVM_RUN (default true)" },
  ],
  doc: "A KVM guest brought up as QEMU does: KVM_CREATE_VM, a RAM memslot, vCPUs, KVM_RUN.",
  instantiate: (vmm, d) => {
    createGuest(vmm, d);
  },
});

registerDecl({
  keyword: "process",
  props: [
    { name: "uid", type: "int", doc: "user id (default 1000)" },
    {
      name: "memlock",
      type: "any",
      doc:
        "RLIMIT_MEMLOCK in bytes (soft = hard), e.g. `64K`, or `unlimited`; default the kernel's MLOCK_LIMIT (64K seed, 8M mainline)",
    },
    {
      name: "cap-ipc-lock",
      type: "bool",
      doc: "holds CAP_IPC_LOCK, which bypasses RLIMIT_MEMLOCK (default: only uid 0)",
    },
  ],
  doc: "Another userspace process, to show what happens when a second mm touches an fd.",
  instantiate(vmm, d) {
    const p = vmm.kernel.spawn(d.name, num(d.props.get("uid")?.[0], 1000));
    const ml = d.props.get("memlock")?.[0];
    if (ml !== undefined) {
      const v = ml === "unlimited" || ml === "infinity" ? RLIM_INFINITY : ml;
      if (typeof v !== "bigint" || v < 0n || v > RLIM_INFINITY) {
        throw new VmmError("memlock takes a size in bytes (e.g. 64K) or `unlimited`", {
          prop: "memlock",
        });
      }
      p.memlock = { cur: v, max: v };
    }
    const cap = d.props.get("cap-ipc-lock")?.[0];
    if (cap === true) p.caps.add(CAP_IPC_LOCK);
    if (cap === false) p.caps.delete(CAP_IPC_LOCK);
    vmm.declare(new Obj("process", d.name, p));
  },
});
