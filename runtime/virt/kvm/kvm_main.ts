/**
 * virt/kvm/kvm_main.c: /dev/kvm, the VM and vCPU file operations, memslots
 * (KVM_SET_USER_MEMORY_REGION with the mainline check order), KVM_RUN with
 * exits to userspace, ONE_REG, ENABLE_CAP and the device-control API.
 *
 * KVM_RUN models the VMM's vCPU thread: once entered, the thread stays in the
 * guest (the trace shows `<unfinished ...>`) until the guest does something
 * userspace must answer; then the ioctl returns (`<... ioctl resumed>`) with
 * kvm_run filled in, and the VMM re-enters.
 *
 * @example
 * ```ts
 * import { Kernel } from "../../kernel/kernel.ts";
 * import "./kvm_main.ts";
 * const k = new Kernel({ name: "h", arch: "arm64", profile: "seed", pageSize: 4096, seed: 1, props: {} });
 * console.log(k.devices.has("/dev/kvm")); // true
 * ```
 * @module
 */
import {
  EBUSY,
  EEXIST,
  EINVAL,
  EIO,
  ENODEV,
  ENOTTY,
  ENXIO,
  EPERM,
} from "../../include/uapi/asm-generic/errno.ts";
import {
  KVM_API_VERSION,
  KVM_CAP,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_DEVICE,
  kvm_create_device,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  kvm_device_attr,
  KVM_DEVICE_IOCTLS,
  KVM_ENABLE_CAP,
  kvm_enable_cap,
  KVM_GET_API_VERSION,
  KVM_GET_DEVICE_ATTR,
  KVM_GET_ONE_REG,
  KVM_GET_VCPU_MMAP_SIZE,
  KVM_HAS_DEVICE_ATTR,
  kvm_one_reg,
  KVM_RUN,
  KVM_SET_DEVICE_ATTR,
  KVM_SET_ONE_REG,
  KVM_SET_USER_MEMORY_REGION,
  KVM_SYS_IOCTLS,
  kvm_userspace_memory_region,
  KVM_VCPU_IOCTLS,
  KVM_VM_IOCTLS,
} from "../../include/uapi/linux/kvm.ts";
import { Errno } from "../../kernel/errno.ts";
import type { File, FileOperations } from "../../kernel/file.ts";
import { type Kernel, module_init, SYSCALL_UNFINISHED } from "../../kernel/kernel.ts";
import {
  decodeStruct,
  encodeStruct,
  type StructDef,
  type StructValue,
} from "../../kernel/layout.ts";
import { kvmUserMemSlots, setMemoryRegion } from "./kvm_memslots.ts";
import { ioctlNumber } from "../../kernel/uapi.ts";
import { Kvm, kvmArch, type KvmDevice, kvmDeviceOps, kvmState, KvmVcpu } from "./kvm_host.ts";

export {
  gfnToMemslot,
  gpaToHva,
  kvmReadGuest,
  kvmUserMemSlots,
  kvmWriteGuest,
  setMemoryRegion,
} from "./kvm_memslots.ts";

/** Result of KVM_RUN while the vCPU thread stays in the guest. */
export const IOCTL_UNFINISHED = SYSCALL_UNFINISHED;

/**
 * copy_from_user of a struct at a user address of `current`.
 *
 * @example
 * ```ts
 * // const v = copyStructFromUser(kernel, kvm_one_reg, arg);
 * ```
 */
export function copyStructFromUser(
  k: Kernel,
  def: StructDef,
  arg: bigint,
  len = def.size,
): StructValue {
  return decodeStruct(def, k.current.mm.read(Number(arg), len));
}

/**
 * copy_to_user of a struct.
 *
 * @example
 * ```ts
 * // copyStructToUser(kernel, kvm_create_device, arg, value);
 * ```
 */
export function copyStructToUser(k: Kernel, def: StructDef, arg: bigint, v: StructValue): void {
  k.current.mm.write(Number(arg), encodeStruct(def, v as never));
}

/**
 * get_user of a u64 at a user address.
 *
 * @example
 * ```ts
 * // const v = getUserU64(kernel, addr);
 * ```
 */
export function getUserU64(k: Kernel, addr: bigint): bigint {
  return new DataView(k.current.mm.read(Number(addr), 8).buffer).getBigUint64(0, true);
}

/**
 * put_user of a u64.
 *
 * @example
 * ```ts
 * // putUserU64(kernel, addr, 5n);
 * ```
 */
export function putUserU64(k: Kernel, addr: bigint, v: bigint): void {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  k.current.mm.write(Number(addr), b);
}

/**
 * KVM_REG_SIZE(id): the register's size in bytes, 1 << bits 55:52 of the id
 * (include/uapi/linux/kvm.h).
 *
 * @example
 * ```ts
 * console.log(KVM_REG_SIZE(0x6030_0000_0010_0000n)); // 8n
 * ```
 */
export function KVM_REG_SIZE(id: bigint): bigint {
  return 1n << ((id >> 52n) & 0xfn);
}

function getUserBytes(k: Kernel, addr: bigint, n: number): bigint {
  const b = k.current.mm.read(Number(addr), n);
  let v = 0n;
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  return v;
}

function putUserBytes(k: Kernel, addr: bigint, v: bigint, n: number): void {
  const b = new Uint8Array(n);
  let x = BigInt.asUintN(n * 8, v);
  for (let i = 0; i < n; i++, x >>= 8n) b[i] = Number(x & 0xffn);
  k.current.mm.write(Number(addr), b);
}

/**
 * Read a 32-bit signed int from user memory.
 *
 * @example
 * ```ts
 * // const fd = getUserS32(kernel, arg);
 * ```
 */
export function getUserS32(k: Kernel, addr: bigint): number {
  return new DataView(k.current.mm.read(Number(addr), 4).buffer).getInt32(0, true);
}

// ------------------------------------------------------------ /dev/kvm

function checkExtension(k: Kernel, kvm: Kvm | undefined, cap: number): number {
  const ext = kvmArch(k.arch);
  switch (BigInt(cap)) {
    case KVM_CAP.KVM_CAP_USER_MEMORY:
    case KVM_CAP.KVM_CAP_CHECK_EXTENSION_VM:
    case KVM_CAP.KVM_CAP_ENABLE_CAP_VM:
    case KVM_CAP.KVM_CAP_DEVICE_CTRL:
    case KVM_CAP.KVM_CAP_ONE_REG:
    case KVM_CAP.KVM_CAP_IRQFD:
    case KVM_CAP.KVM_CAP_IOEVENTFD:
      return 1;
    case KVM_CAP.KVM_CAP_NR_MEMSLOTS:
      // kvm_vm_ioctl_check_extension_generic: KVM_USER_MEM_SLOTS (per era).
      return kvmUserMemSlots(k.config.profile);
    case KVM_CAP.KVM_CAP_COALESCED_MMIO:
      return 1;
    case KVM_CAP.KVM_CAP_MAX_VCPUS:
      return ext.maxVcpus;
    case KVM_CAP.KVM_CAP_MAX_VCPU_ID:
      return ext.maxVcpuId;
  }
  const f = ext.caps.get(cap);
  return f ? f(kvm, k) : 0;
}

const kvmDevFops: FileOperations = {
  name: "kvm",
  ioctls: () => KVM_SYS_IOCTLS,
  ioctl(file: File, cmd: number, arg: bigint): number {
    const k = file.private_data as Kernel;
    const a = k.arch;
    if (cmd === ioctlNumber(KVM_GET_API_VERSION, a)) {
      if (arg !== 0n) throw new Errno(EINVAL);
      return KVM_API_VERSION;
    }
    if (cmd === ioctlNumber(KVM_CREATE_VM, a)) return createVm(k, arg);
    if (cmd === ioctlNumber(KVM_CHECK_EXTENSION, a)) {
      return checkExtension(k, undefined, Number(arg));
    }
    if (cmd === ioctlNumber(KVM_GET_VCPU_MMAP_SIZE, a)) {
      if (arg !== 0n) throw new Errno(EINVAL);
      return kvmArch(a).vcpuMmapPages * k.config.pageSize;
    }
    throw new Errno(EINVAL);
  },
};

function createVm(k: Kernel, type: bigint): number {
  const st = kvmState(k);
  const kvm = new Kvm(k, st.nextVmId, k.current, Number(BigInt.asUintN(32, type)));
  kvmArch(k.arch).initVm?.(kvm);
  const fd = k.anonInodeGetfd("kvm-vm", vmFops, kvm);
  st.nextVmId++;
  st.vms.push(kvm);
  return fd;
}

// ------------------------------------------------------------ VM fd

const vmFops: FileOperations = {
  name: "kvm-vm",
  ioctls: (
    f,
  ) => [...KVM_VM_IOCTLS, ...kvmArch((f.private_data as Kvm).kernel.arch).vmIoctls.map(([d]) => d)],
  ioctl(file: File, cmd: number, arg: bigint): number {
    const kvm = file.private_data as Kvm;
    const k = kvm.kernel;
    const a = k.arch;
    if (k.current.mm !== kvm.owner.mm) throw new Errno(EIO_FOREIGN_MM);
    if (cmd === ioctlNumber(KVM_CHECK_EXTENSION, a)) return checkExtension(k, kvm, Number(arg));
    if (cmd === ioctlNumber(KVM_CREATE_VCPU, a)) return createVcpu(kvm, arg);
    if (cmd === ioctlNumber(KVM_SET_USER_MEMORY_REGION, a)) {
      return setMemoryRegion(kvm, copyStructFromUser(k, kvm_userspace_memory_region, arg));
    }
    if (cmd === ioctlNumber(KVM_ENABLE_CAP, a)) {
      const c = copyStructFromUser(k, kvm_enable_cap, arg);
      if (c.flags !== 0n) throw new Errno(EINVAL);
      const h = kvmArch(a).enableCapVm.get(Number(c.cap));
      if (!h) throw new Errno(EINVAL);
      const r = h(kvm, (c.args as { v: bigint }[]).map((x) => x.v));
      kvm.enabledCaps.add(Number(c.cap));
      return r;
    }
    if (cmd === ioctlNumber(KVM_CREATE_DEVICE, a)) return createDevice(kvm, arg);
    const ext = kvmArch(a);
    for (const [d, h] of ext.vmIoctls) if (cmd === ioctlNumber(d, a)) return h(kvm, arg);
    // kvm_vm_ioctl default → kvm_arch_vm_ioctl's own default.
    throw new Errno(ext.vmIoctlDefault);
  },
};

/** The kernel refuses VM, vCPU and device ioctls from another mm with EIO (kvm_vm_ioctl). */
const EIO_FOREIGN_MM = EIO;

function createVcpu(kvm: Kvm, arg: bigint): number {
  const ext = kvmArch(kvm.kernel.arch);
  // kvm_vm_ioctl_create_vcpu(kvm, u32 id): the unsigned long arg is truncated.
  const id = Number(BigInt.asUintN(32, arg));
  if (id >= ext.maxVcpuId) throw new Errno(EINVAL, "id ≥ KVM_MAX_VCPU_IDS");
  if (kvm.vcpus.length >= ext.maxVcpus) throw new Errno(EINVAL, "max_vcpus reached");
  ext.vcpuCreateCheck?.(kvm, id);
  if (kvm.vcpus.some((v) => v.vcpu_id === id)) throw new Errno(EEXIST);
  const vcpu = new KvmVcpu(kvm, id, kvm.kernel.phys.allocPage());
  ext.vcpuCreate?.(vcpu);
  const fd = kvm.kernel.anonInodeGetfd(`kvm-vcpu:${id}`, vcpuFops, vcpu);
  vcpu.file = kvm.kernel.current.fds.get(fd)!;
  kvm.vcpus.push(vcpu);
  return fd;
}

function createDevice(kvm: Kvm, arg: bigint): number {
  const k = kvm.kernel;
  const cd = copyStructFromUser(k, kvm_create_device, arg);
  const type = Number(cd.type as bigint);
  const ops = kvmDeviceOps(type);
  if (!ops || !deviceTypeOnArch(type, k.arch)) throw new Errno(ENODEV);
  if ((cd.flags as bigint) & 1n) return 0;
  const dev: KvmDevice = { kvm, ops, type, private: undefined };
  ops.create(dev, type);
  const fd = k.anonInodeGetfd(`kvm-${ops.name}`, deviceFops, dev);
  kvm.devices.push(dev);
  copyStructToUser(k, kvm_create_device, arg, { ...cd, fd: BigInt(fd) });
  return 0;
}

/** Which device types exist on which host (the VFIO pseudo device is everywhere). */
const ARCH_DEVICE_TYPES: Record<string, readonly number[]> = {
  ppc64le: [1, 2, 3, 4, 9],
  arm64: [4, 5, 7, 8, 10],
  x86_64: [4],
};

function deviceTypeOnArch(type: number, arch: string): boolean {
  return (ARCH_DEVICE_TYPES[arch] ?? []).includes(type);
}

const deviceFops: FileOperations = {
  name: "kvm-device",
  ioctls: () => KVM_DEVICE_IOCTLS,
  ioctl(file: File, cmd: number, arg: bigint): number {
    const dev = file.private_data as KvmDevice;
    const k = dev.kvm.kernel;
    const a = k.arch;
    if (k.current.mm !== dev.kvm.owner.mm) throw new Errno(EIO_FOREIGN_MM);
    const which = cmd === ioctlNumber(KVM_SET_DEVICE_ATTR, a)
      ? "set_attr"
      : cmd === ioctlNumber(KVM_GET_DEVICE_ATTR, a)
      ? "get_attr"
      : cmd === ioctlNumber(KVM_HAS_DEVICE_ATTR, a)
      ? "has_attr"
      : undefined;
    if (!which) throw new Errno(ENOTTY);
    const fn = dev.ops[which];
    if (!fn) throw new Errno(EPERM);
    const attr = copyStructFromUser(k, kvm_device_attr, arg);
    return fn.call(dev.ops, dev, attr);
  },
  release(file: File): void {
    const dev = file.private_data as KvmDevice;
    // kvm_device_release: closing the fd drops the VM reference; only a device
    // with ops->release (mainline's kvm-vfio) goes with it. In the seed era no
    // device had one: kvm_vfio_destroy ran when the VM was torn down, so its
    // groups and LIOBN links outlive the fd.
    if (!dev.ops.release || dev.kvm.kernel.config.profile === "seed") return;
    const i = dev.kvm.devices.indexOf(dev);
    if (i >= 0) dev.kvm.devices.splice(i, 1);
    dev.ops.release(dev);
  },
};

// ------------------------------------------------------------ vCPU fd

const vcpuFops: FileOperations = {
  name: "kvm-vcpu",
  ioctls: (f) => [
    ...KVM_VCPU_IOCTLS,
    ...kvmArch((f.private_data as KvmVcpu).kvm.kernel.arch).vcpuIoctls.map(([d]) => d),
  ],
  ioctl(file: File, cmd: number, arg: bigint): number {
    const vcpu = file.private_data as KvmVcpu;
    const k = vcpu.kvm.kernel;
    const a = k.arch;
    const ext = kvmArch(a);
    if (k.current.mm !== vcpu.kvm.owner.mm) throw new Errno(EIO_FOREIGN_MM);
    if (cmd === ioctlNumber(KVM_RUN, a)) {
      // kvm_vcpu_ioctl KVM_RUN: `r = -EINVAL; if (arg) goto out;`
      if (arg !== 0n) throw new Errno(EINVAL, "KVM_RUN takes no argument");
      return kvmVcpuRun(vcpu);
    }
    if (cmd === ioctlNumber(KVM_GET_ONE_REG, a) || cmd === ioctlNumber(KVM_SET_ONE_REG, a)) {
      // Arch checks first (arm64: ENOEXEC before VCPU_INIT, then the id's
      // arch/coproc/offset/size; powerpc: size > sizeof(union kvmppc_one_reg)).
      ext.oneRegReady?.(vcpu);
      const r = copyStructFromUser(k, kvm_one_reg, arg);
      const id = r.id as bigint;
      ext.oneRegCheck?.(vcpu, id);
      const reg = ext.oneRegs.get(id);
      if (!reg) throw new Errno(ext.oneRegUnknown, "no such register");
      const size = Number(KVM_REG_SIZE(id));
      if (cmd === ioctlNumber(KVM_GET_ONE_REG, a)) {
        putUserBytes(k, r.addr as bigint, reg.get(vcpu), size);
      } else reg.set(vcpu, getUserBytes(k, r.addr as bigint, size));
      return 0;
    }
    if (cmd === ioctlNumber(KVM_ENABLE_CAP, a)) {
      const c = copyStructFromUser(k, kvm_enable_cap, arg);
      if (c.flags !== 0n) throw new Errno(EINVAL);
      const h = ext.enableCapVcpu.get(Number(c.cap));
      if (!h) throw new Errno(EINVAL);
      return h(vcpu, (c.args as { v: bigint }[]).map((x) => x.v));
    }
    const attrOp = cmd === ioctlNumber(KVM_SET_DEVICE_ATTR, a)
      ? "set"
      : cmd === ioctlNumber(KVM_GET_DEVICE_ATTR, a)
      ? "get"
      : cmd === ioctlNumber(KVM_HAS_DEVICE_ATTR, a)
      ? "has"
      : undefined;
    if (attrOp) {
      const attr = copyStructFromUser(k, kvm_device_attr, arg);
      const g = ext.vcpuAttrGroups.get(Number(attr.group as bigint));
      if (!g) throw new Errno(ENXIO);
      return g[attrOp](vcpu, attr);
    }
    for (const [d, h] of ext.vcpuIoctls) if (cmd === ioctlNumber(d, a)) return h(vcpu, arg);
    // kvm_vcpu_ioctl: a non-KVMIO type is EINVAL up front, and every
    // kvm_arch_vcpu_ioctl (powerpc.c, arm.c, x86.c) ends in `default: r = -EINVAL`.
    throw new Errno(EINVAL);
  },
  mmap(file, vma, pgoff) {
    const vcpu = file.private_data as KvmVcpu;
    if (pgoff !== 0) throw new Errno(EINVAL);
    const extra = new Map<number, number>();
    vma.fault = (i) => {
      if (i === 0) return vcpu.run_pa;
      let pa = extra.get(i);
      if (pa === undefined) {
        pa = vcpu.kvm.kernel.phys.allocPage();
        extra.set(i, pa);
      }
      return pa;
    };
  },
};

function kvmVcpuRun(vcpu: KvmVcpu): number {
  const k = vcpu.kvm.kernel;
  const ext = kvmArch(k.arch);
  // A second KVM_RUN would wait on vcpu->mutex; the interpreter never issues one.
  if (vcpu.inGuest) throw new Errno(EBUSY, "vCPU already running");
  ext.vcpuRunCheck?.(vcpu);
  for (const f of ext.vcpuLoad) f(vcpu);
  const done = vcpu.pendingExit;
  vcpu.pendingExit = undefined;
  done?.(vcpu);
  vcpu.hasRun = true;
  vcpu.kvm.anyVcpuRan = true;
  vcpu.inGuest = true;
  vcpu.stat.entries++;
  vcpu.waiter = k.pendingResume;
  k.pendingResume = undefined;
  return IOCTL_UNFINISHED;
}

/**
 * Exit from the guest to the VMM: fill kvm_run, wake the VMM thread blocked in
 * KVM_RUN (which handles the exit and re-enters), then run `complete` when
 * KVM_RUN is re-entered. Returns false when no VMM thread was waiting.
 *
 * @example
 * ```ts
 * // kvmExitToUser(vcpu, "KVM_EXIT_PAPR_HCALL", (run) => {...}, (v) => {...});
 * ```
 */
export function kvmExitToUser(
  vcpu: KvmVcpu,
  reason: string,
  exitReason: number,
  fill: (runPa: number) => void,
  complete: (vcpu: KvmVcpu) => void,
): boolean {
  const k = vcpu.kvm.kernel;
  const w = vcpu.waiter;
  if (!vcpu.inGuest || !w) return false;
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, exitReason, true);
  k.phys.write(vcpu.run_pa + 8, b.subarray(0, 4));
  fill(vcpu.run_pa);
  vcpu.stat.exits.set(reason, (vcpu.stat.exits.get(reason) ?? 0) + 1);
  vcpu.inGuest = false;
  vcpu.waiter = undefined;
  vcpu.pendingExit = complete;
  for (const f of kvmArch(k.arch).vcpuPut) f(vcpu);
  if (k.trace.enabled) k.trace.emit(`<... ioctl resumed>) = 0  (${reason} on ${vcpu.label})`);
  w(0);
  return true;
}

/**
 * Kick a running vCPU out to userspace (a signal to its thread): KVM_RUN
 * returns -EINTR. The VMM does this before it touches a vCPU from another
 * thread (QEMU's run_on_cpu). Returns false if the vCPU was not in the guest.
 *
 * @example
 * ```ts
 * // kvmVcpuKick(vcpu)
 * ```
 */
export function kvmVcpuKick(vcpu: KvmVcpu): boolean {
  const k = vcpu.kvm.kernel;
  const w = vcpu.waiter;
  if (!vcpu.inGuest || !w) return false;
  vcpu.inGuest = false;
  vcpu.waiter = undefined;
  vcpu.stat.exits.set("EINTR", (vcpu.stat.exits.get("EINTR") ?? 0) + 1);
  for (const f of kvmArch(k.arch).vcpuPut) f(vcpu);
  if (k.trace.enabled) {
    k.trace.emit(`<... ioctl resumed>) = -1 EINTR (Interrupted system call)  (kick ${vcpu.label})`);
  }
  w(-4);
  return true;
}

module_init("kvm", (k: Kernel) => {
  if (k.arch === "x86_64" && k.config.props["kvm"] === false) return;
  k.registerChrdev("/dev/kvm", {
    fops: kvmDevFops,
    open(file: File, kernel: Kernel) {
      file.private_data = kernel;
    },
  });
});
