/**
 * include/linux/kvm_host.h, reduced: the VM (struct kvm), the vCPU (struct
 * kvm_vcpu), memslots, and the registration points through which arch code
 * and devices plug into the generic core — extra VM/vCPU ioctls, capability
 * answers, ENABLE_CAP handlers, ONE_REG registers, vCPU attribute groups,
 * KVM_CREATE_DEVICE types and guest-exit handling.
 *
 * @example
 * ```ts
 * import { kvmArch } from "./kvm_host.ts";
 * console.log(typeof kvmArch("arm64").caps); // "object"
 * ```
 * @module
 */
import { ENOENT, ENOTTY } from "../../include/uapi/asm-generic/errno.ts";
import type { File } from "../../kernel/file.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import type { Process } from "../../kernel/process.ts";
import type { Arch, IoctlDef } from "../../kernel/uapi.ts";
import type { StructValue } from "../../kernel/layout.ts";

/** A memory slot. */
export interface Memslot {
  id: number;
  as_id: number;
  flags: number;
  base_gfn: number;
  npages: number;
  userspace_addr: number;
  /** Per-page arch data (e.g. nested rmaps), allocated by whoever needs it. */
  arch?: unknown;
}

/** Per-exit-reason counters and hcall counters, for `show exits`. */
export interface VcpuStats {
  exits: Map<string, number>;
  /** Hypercalls answered in the kernel, by name. */
  hcallsInKernel: Map<string, number>;
  /** Hypercalls that went to userspace, by name. */
  hcallsToUser: Map<string, number>;
  entries: number;
}

/** A virtual CPU. */
export class KvmVcpu {
  readonly kvm: Kvm;
  readonly vcpu_id: number;
  /** Physical address of the kvm_run page (mapped by the VMM via mmap). */
  readonly run_pa: number;
  /** General purpose registers (ppc r0–r31 or arm64 x0–x30). */
  readonly gpr: bigint[] = new Array(32).fill(0n);
  /** Arch-private state. */
  arch: Record<string, unknown> = {};
  readonly stat: VcpuStats = {
    exits: new Map(),
    hcallsInKernel: new Map(),
    hcallsToUser: new Map(),
    entries: 0,
  };
  /** The VMM thread is inside KVM_RUN (the guest is running). */
  inGuest = false;
  /** KVM_RUN has been issued at least once. */
  hasRun = false;
  /** The userspace continuation of the blocked KVM_RUN, taken when we exit. */
  waiter: ((ret: number) => void) | undefined;
  /** An exit whose completion KVM_RUN must apply on re-entry. */
  pendingExit: ((vcpu: KvmVcpu) => void) | undefined;
  file!: File;

  constructor(kvm: Kvm, id: number, run_pa: number) {
    this.kvm = kvm;
    this.vcpu_id = id;
    this.run_pa = run_pa;
  }

  /** Name used in traces and views: `vm1.cpu0` when the VMM named the VM. */
  get label(): string {
    return `${this.kvm.label}.cpu${this.vcpu_id}`;
  }
}

/** A device created with KVM_CREATE_DEVICE. */
export interface KvmDevice {
  kvm: Kvm;
  ops: KvmDeviceOps;
  type: number;
  private: unknown;
}

/** struct kvm_device_ops. */
export interface KvmDeviceOps {
  name: string;
  /** Create hook: throw Errno (EBUSY for a second KVM-VFIO device). */
  create(dev: KvmDevice, type: number): void;
  set_attr?(dev: KvmDevice, attr: StructValue): number;
  get_attr?(dev: KvmDevice, attr: StructValue): number;
  has_attr?(dev: KvmDevice, attr: StructValue): number;
  release?(dev: KvmDevice): void;
  /** For `show`. */
  describe?(dev: KvmDevice): string;
}

/** A VM. */
export class Kvm {
  readonly kernel: Kernel;
  readonly id: number;
  /** The process whose mm backs guest memory (the VMM that created the VM). */
  readonly owner: Process;
  readonly type: number;
  /** Name a VMM gave it (the topology's guest name), for views. */
  label: string;
  readonly vcpus: KvmVcpu[] = [];
  memslots: Memslot[] = [];
  readonly devices: KvmDevice[] = [];
  /** Caps enabled with KVM_ENABLE_CAP on the VM. */
  readonly enabledCaps = new Set<number>();
  arch: Record<string, unknown> = {};
  /** Set once any vCPU has run (freezes some configuration). */
  anyVcpuRan = false;

  constructor(kernel: Kernel, id: number, owner: Process, type: number) {
    this.kernel = kernel;
    this.id = id;
    this.owner = owner;
    this.type = type;
    this.label = `vm${id}`;
  }
}

/** Handler of an extra ioctl on a VM or vCPU fd. */
export type VmIoctlHandler = (kvm: Kvm, arg: bigint) => number;
/** Handler of an extra vCPU ioctl. */
export type VcpuIoctlHandler = (vcpu: KvmVcpu, arg: bigint) => number;
/** A ONE_REG register; values are KVM_REG_SIZE(id) bytes, little-endian. */
export interface OneReg {
  name: string;
  id: bigint;
  get(vcpu: KvmVcpu): bigint;
  /** May throw Errno (arm64 pstate with a bad mode → EINVAL). */
  set(vcpu: KvmVcpu, v: bigint): void;
  doc?: string;
}
/** A vCPU device-attribute group (KVM_SET_DEVICE_ATTR on the vcpu fd). */
export interface VcpuAttrGroup {
  set(vcpu: KvmVcpu, attr: StructValue): number;
  get(vcpu: KvmVcpu, attr: StructValue): number;
  has(vcpu: KvmVcpu, attr: StructValue): number;
}

/** Everything an architecture (and the modules that extend it) provides. */
export interface KvmArchExt {
  /** Validate KVM_CREATE_VM's type and set up kvm.arch; throw Errno. */
  initVm?(kvm: Kvm): void;
  /** kvm_arch_vcpu_create's refusals, before anything is allocated; throw Errno. */
  vcpuCreateCheck?(kvm: Kvm, id: number): void;
  /** Set up vcpu.arch. */
  vcpuCreate?(vcpu: KvmVcpu): void;
  /** Checks at KVM_RUN entry (e.g. arm64 ENOEXEC before VCPU_INIT); throw Errno. */
  vcpuRunCheck?(vcpu: KvmVcpu): void;
  /** vcpu_load / vcpu_put (arm64 timer does its lifecycle here). */
  vcpuLoad: ((vcpu: KvmVcpu) => void)[];
  vcpuPut: ((vcpu: KvmVcpu) => void)[];
  /** Capability answers: cap → (kvm or undefined for /dev/kvm) → value. */
  caps: Map<number, (kvm: Kvm | undefined, kernel: Kernel) => number>;
  /** KVM_ENABLE_CAP handlers. */
  enableCapVm: Map<number, (kvm: Kvm, args: bigint[]) => number>;
  enableCapVcpu: Map<number, (vcpu: KvmVcpu, args: bigint[]) => number>;
  vmIoctls: [IoctlDef, VmIoctlHandler][];
  vcpuIoctls: [IoctlDef, VcpuIoctlHandler][];
  oneRegs: Map<bigint, OneReg>;
  /** Before the kvm_one_reg copy (arm64: ENOEXEC until KVM_ARM_VCPU_INIT); throw Errno. */
  oneRegReady?(vcpu: KvmVcpu): void;
  /** Arch validation of a ONE_REG id before the register lookup; throw Errno. */
  oneRegCheck?(vcpu: KvmVcpu, id: bigint): void;
  /**
   * errno for an id no register answers: EINVAL on powerpc
   * (kvm_vcpu_ioctl_get_one_reg's default), ENOENT on arm64 (sys_regs.c).
   */
  oneRegUnknown: number;
  /**
   * kvm_arch_prepare_memory_region for a created/moved/re-flagged slot
   * (arm64: beyond the VM's IPA space → EFAULT); throw Errno.
   */
  prepareMemoryRegion?(kvm: Kvm, base_gfn: number, npages: number): void;
  vcpuAttrGroups: Map<number, VcpuAttrGroup>;
  maxVcpus: number;
  maxVcpuId: number;
  /** KVM_GET_VCPU_MMAP_SIZE in pages. */
  vcpuMmapPages: number;
  /**
   * What kvm_arch_vm_ioctl answers for an ioctl it does not know: ENOTTY on
   * x86 and Book3S HV (kvm_arch_vm_ioctl_hv), EINVAL on arm64 (arm.c).
   */
  vmIoctlDefault: number;
}

const ARCH = new Map<Arch, KvmArchExt>();

/**
 * The extension table of an architecture, created on first use.
 *
 * @example
 * ```ts
 * kvmArch("ppc64le").caps.set(999, () => 1);
 * ```
 */
export function kvmArch(arch: Arch): KvmArchExt {
  let a = ARCH.get(arch);
  if (!a) {
    a = {
      vcpuLoad: [],
      vcpuPut: [],
      caps: new Map(),
      enableCapVm: new Map(),
      enableCapVcpu: new Map(),
      vmIoctls: [],
      vcpuIoctls: [],
      oneRegs: new Map(),
      oneRegUnknown: ENOENT,
      vcpuAttrGroups: new Map(),
      maxVcpus: 1024,
      maxVcpuId: 1024,
      vcpuMmapPages: 2,
      vmIoctlDefault: ENOTTY,
    };
    ARCH.set(arch, a);
  }
  return a;
}

const DEVICE_OPS = new Map<number, KvmDeviceOps>();

/**
 * kvm_register_device_ops().
 *
 * @example
 * ```ts
 * // kvmRegisterDeviceOps(4, kvmVfioOps);
 * ```
 */
export function kvmRegisterDeviceOps(type: number, ops: KvmDeviceOps): void {
  DEVICE_OPS.set(type, ops);
}

/**
 * The ops registered for a device type.
 *
 * @example
 * ```ts
 * console.log(kvmDeviceOps(12345)); // undefined
 * ```
 */
export function kvmDeviceOps(type: number): KvmDeviceOps | undefined {
  return DEVICE_OPS.get(type);
}

/** Per-kernel KVM state. */
export interface KvmState {
  vms: Kvm[];
  nextVmId: number;
}

/**
 * The KVM state of a kernel.
 *
 * @example
 * ```ts
 * // kvmState(kernel).vms
 * ```
 */
export function kvmState(k: Kernel): KvmState {
  return k.state<KvmState>("kvm", () => ({ vms: [], nextVmId: 1 }));
}
