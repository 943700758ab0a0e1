/**
 * The simulated VMM process (a QEMU stand-in). Declarations are brought up by
 * this process issuing real syscalls through the kernel's one dispatch, in
 * the order QEMU issues them; its vCPU threads sit in KVM_RUN and answer the
 * exits the kernel hands them (KVM_EXIT_PAPR_HCALL, KVM_EXIT_MMIO…).
 *
 * @example
 * ```ts
 * import { Kernel } from "../kernel/kernel.ts";
 * import { Vmm } from "./vmm.ts";
 * import "../virt/kvm/kvm_main.ts";
 * const k = new Kernel({ name: "h", arch: "arm64", profile: "seed", pageSize: 4096, seed: 1, props: {} });
 * const vmm = new Vmm(k);
 * console.log(vmm.proc.comm, vmm.open("/dev/kvm")); // "vmm" 3
 * ```
 * @module
 */
import { KVM_EXIT } from "../include/uapi/linux/kvm.ts";
import { type Kernel, O_CLOEXEC, O_RDWR, SYSCALL_UNFINISHED } from "../kernel/kernel.ts";
import type { Process } from "../kernel/process.ts";
import type { StructValue } from "../kernel/layout.ts";
import type { IoctlDef } from "../kernel/uapi.ts";
import { ioctlNumber } from "../kernel/uapi.ts";
import {
  MAP_ANONYMOUS,
  MAP_NORESERVE,
  MAP_PRIVATE,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
} from "../mm/mm.ts";
import { EFD_CLOEXEC, sysEventfd2 } from "../fs/eventfd.ts";
import { type IoctlInput, marshal } from "./marshal.ts";
import { VmmError } from "./registry.ts";
import { Obj } from "./value.ts";
import type { KvmVcpu } from "../virt/kvm/kvm_host.ts";

/** The VMM's view of a vCPU. */
export interface VmmVcpu {
  guest: VmmGuest;
  id: number;
  fd: number;
  /** Address of the vCPU's kvm_run mapping in the VMM. */
  runHva: number;
  /** The vCPU thread is inside KVM_RUN. */
  running: boolean;
  /** Exits this thread handled, by reason. */
  handled: Map<string, number>;
}

/** The VMM's view of a guest. */
export interface VmmGuest {
  name: string;
  vmfd: number;
  vcpus: VmmVcpu[];
  ramHva: number;
  ramGpa: number;
  ramSize: number;
  /** Subsystems keep per-guest VMM state here (e.g. sPAPR TCE tables). */
  ext: Record<string, unknown>;
}

/** An ioctl result: the return value and what the kernel wrote back. */
export interface IoctlResult {
  ret: number;
  out: StructValue | bigint | undefined;
}

/** A VMM-side handler for a userspace exit reason. */
export type ExitHandler = (vmm: Vmm, vcpu: VmmVcpu) => void;
/** VMM exit handlers by KVM_EXIT number; subsystems add theirs. */
export const exitHandlers = new Map<number, ExitHandler>();

/** The VMM process and its state. */
export class Vmm {
  readonly kernel: Kernel;
  readonly proc: Process;
  kvmfd: number | undefined;
  readonly guests = new Map<string, VmmGuest>();
  /** Every declared object by name (guests, containers, devices, processes…). */
  readonly objects = new Map<string, Obj>();
  /** Per-subsystem VMM state. */
  readonly ext: Record<string, unknown> = {};

  constructor(kernel: Kernel) {
    this.kernel = kernel;
    this.proc = kernel.spawn("vmm", 0);
    this.objects.set("vmm", new Obj("process", "vmm", this.proc));
  }

  /** openat() from the VMM; throws VmmError on failure. */
  open(path: string): number {
    const fd = this.kernel.open(this.proc, path, O_RDWR | O_CLOEXEC);
    if (fd < 0) throw new VmmError(`open("${path}") failed: ${fd}`);
    return fd;
  }

  /** close(). */
  close(fd: number): number {
    return this.kernel.close(this.proc, fd);
  }

  /** eventfd2(0, EFD_CLOEXEC). */
  eventfd(): number {
    return sysEventfd2(this.kernel, this.proc, 0, EFD_CLOEXEC);
  }

  /** Anonymous memory, as QEMU allocates guest RAM. */
  mmapAnon(size: number): number {
    const a = this.kernel.mmap(
      this.proc,
      0,
      size,
      PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
      -1,
      0,
    );
    if (a < 0) throw new VmmError(`mmap of ${size} bytes failed: ${a}`);
    return a;
  }

  /** ioctl() with a marshalled argument, from `proc` (the VMM by default). */
  ioctl(fd: number, def: IoctlDef, input?: IoctlInput, proc: Process = this.proc): IoctlResult {
    const m = marshal(proc, def, input);
    try {
      const ret = this.kernel.ioctl(proc, fd, ioctlNumber(def, this.kernel.arch), m.arg);
      const out = ret >= 0 && ret !== SYSCALL_UNFINISHED ? m.readBack() : undefined;
      return { ret, out };
    } finally {
      m.release();
    }
  }

  /** ioctl that must succeed during bring-up; a failure names the call. */
  must(fd: number, def: IoctlDef, input?: IoctlInput, what?: string): IoctlResult {
    const r = this.ioctl(fd, def, input);
    if (r.ret < 0 && r.ret !== SYSCALL_UNFINISHED) {
      throw new VmmError(`${what ?? def.name} failed: ${errnoText(r.ret)}`);
    }
    return r;
  }

  /** /dev/kvm, opened once as QEMU does. */
  kvm(): number {
    if (this.kvmfd === undefined) this.kvmfd = this.open("/dev/kvm");
    return this.kvmfd;
  }

  /** Register a declared object name. */
  declare(obj: Obj): void {
    this.objects.set(obj.name, obj);
  }

  /** The kernel's vCPU behind a VMM vCPU (the guest side of the simulation). */
  kvmVcpu(v: VmmVcpu): KvmVcpu {
    return this.proc.fget(v.fd).private_data as KvmVcpu;
  }

  /** Start (or restart) a vCPU thread: KVM_RUN, which stays in the guest. */
  runVcpu(v: VmmVcpu, runDef: IoctlDef): number {
    this.kernel.pendingResume = (ret) => this.#onRunReturn(v, ret, runDef);
    const r = this.ioctl(v.fd, runDef, 0n);
    this.kernel.pendingResume = undefined;
    v.running = r.ret === SYSCALL_UNFINISHED;
    return r.ret;
  }

  /** KVM_RUN returned: handle the exit as QEMU's kvm_cpu_exec does, and re-enter. */
  #onRunReturn(v: VmmVcpu, ret: number, runDef: IoctlDef): void {
    v.running = false;
    if (ret < 0) return; // kicked (EINTR): the thread waits for whoever kicked it.
    const reason = Number(
      new DataView(this.proc.mm.read(v.runHva + 8, 4).buffer).getUint32(0, true),
    );
    const name = Object.entries(KVM_EXIT).find(([, n]) => Number(n) === reason)?.[0] ??
      `exit ${reason}`;
    v.handled.set(name, (v.handled.get(name) ?? 0) + 1);
    const h = exitHandlers.get(reason);
    if (h) h(this, v);
    this.runVcpu(v, runDef);
  }
}

/**
 * `-EBUSY (Device or resource busy)` for a negative return.
 *
 * @example
 * ```ts
 * console.log(errnoText(-16)); // "-EBUSY (Device or resource busy)"
 * ```
 */
export function errnoText(r: number): string {
  // Imported lazily to keep this module's imports short.
  return `-${errnoNameOf(r)} (${strerrorOf(r)})`;
}

import {
  errnoName as errnoNameOf,
  strerror as strerrorOf,
} from "../include/uapi/asm-generic/errno.ts";

/** mmap a vCPU fd's kvm_run area into the VMM. */
export function mmapVcpu(vmm: Vmm, fd: number, size: number): number {
  const a = vmm.kernel.mmap(vmm.proc, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (a < 0) throw new VmmError(`mmap of the vCPU fd failed: ${errnoText(a)}`);
  return a;
}
