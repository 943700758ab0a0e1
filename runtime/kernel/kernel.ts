/**
 * The simulated host kernel: boot (initcalls), character devices, processes
 * and the system-call layer every caller goes through — declarations issued
 * by the VMM and a user's own statements alike. Each syscall is traced in
 * strace's style when the trace is on.
 *
 * @example
 * ```ts
 * import { Kernel } from "./kernel.ts";
 * const k = new Kernel({ name: "h", arch: "arm64", profile: "seed", pageSize: 4096, seed: 1, props: {} });
 * const p = k.spawn("vmm", 0);
 * console.log(k.open(p, "/dev/nope", 2)); // -2
 * ```
 * @module
 */
import {
  EBADF,
  EINVAL,
  ENODEV,
  ENOENT,
  ENOTTY,
  ESPIPE,
} from "../include/uapi/asm-generic/errno.ts";
import { Clock } from "./clock.ts";
import { Errno } from "./errno.ts";
import { File, type FileOperations } from "./file.ts";
import { Process } from "./process.ts";
import { Prng } from "./random.ts";
import { Trace } from "./trace.ts";
import type { Arch, Profile } from "./uapi.ts";
import { PhysMem } from "../mm/phys.ts";
import { MAP_ANONYMOUS, MAP_FIXED, MAP_SHARED } from "../mm/mm.ts";
import {
  fmtIoctlAfter,
  fmtIoctlBefore,
  fmtMmap,
  fmtOpenFlags,
  fmtRet,
  fmtSyscallRet,
} from "./strace.ts";

/** Host configuration from the topology's `host` declaration. */
export interface HostConfig {
  name: string;
  arch: Arch;
  profile: Profile;
  pageSize: number;
  seed: number;
  /** Other host properties (mmu, vhe, timer-save, cpus…), read by subsystems. */
  props: Record<string, string | bigint | boolean>;
}

/** A character device node: its fops and an optional open hook. */
export interface CharDev {
  fops: FileOperations;
  /** Called at open; may set private_data or throw Errno (EBUSY on exclusive devices). */
  open?(file: File, kernel: Kernel): void;
}

/** A subsystem's boot hook. */
export type Initcall = (k: Kernel) => void;
const INITCALLS: { name: string; fn: Initcall }[] = [];

/**
 * Register a boot-time initcall (module_init). Modules call this at import.
 *
 * @example
 * ```ts
 * module_init("example", (_k) => {});
 * ```
 */
export function module_init(name: string, fn: Initcall): void {
  if (!INITCALLS.some((i) => i.name === name)) INITCALLS.push({ name, fn });
}

/**
 * What a syscall returns while its thread stays blocked in the kernel (the
 * VMM's vCPU thread inside KVM_RUN); the trace prints `<unfinished ...>`.
 */
export const SYSCALL_UNFINISHED = -0x7fff_0000;

export const O_RDONLY = 0;
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;

/** The kernel. */
export class Kernel {
  readonly config: HostConfig;
  readonly clock = new Clock();
  readonly rng: Prng;
  readonly phys: PhysMem;
  readonly trace = new Trace();
  readonly devices = new Map<string, CharDev>();
  readonly procs = new Map<number, Process>();
  /** The process whose syscall is running (Linux's `current`). */
  current!: Process;
  /** Count of syscalls by name (always on; cheap). */
  readonly syscalls = new Map<string, number>();
  #state = new Map<string, unknown>();
  #nextPid = 100;
  /** Depth of nested "resumed" lines, for strace-like unfinished/resumed output. */
  pendingResume: ((ret: number) => void) | undefined;

  constructor(config: HostConfig) {
    this.config = config;
    this.rng = new Prng(config.seed);
    this.phys = new PhysMem(config.pageSize);
    for (const i of INITCALLS) i.fn(this);
  }

  /** Host architecture shorthand. */
  get arch(): Arch {
    return this.config.arch;
  }

  /** Per-kernel state of a subsystem, created on first use. */
  state<T>(key: string, init: () => T): T {
    let v = this.#state.get(key) as T | undefined;
    if (v === undefined) {
      v = init();
      this.#state.set(key, v);
    }
    return v;
  }

  /** Existing subsystem state, if created. */
  peek<T>(key: string): T | undefined {
    return this.#state.get(key) as T | undefined;
  }

  /** Create a device node (misc_register / cdev_add + udev). */
  registerChrdev(path: string, dev: CharDev): void {
    this.devices.set(path, dev);
  }

  /** Remove a device node. */
  unregisterChrdev(path: string): void {
    this.devices.delete(path);
  }

  /** Start a process (fork+exec of a program that never runs on its own). */
  spawn(comm: string, uid: number): Process {
    const p = new Process(this.#nextPid++, comm, uid, this.phys);
    this.procs.set(p.pid, p);
    if (!this.current) this.current = p;
    return p;
  }

  /** Install a new file in `current`'s fd table (anon_inode_getfd). */
  anonInodeGetfd(name: string, fops: FileOperations, priv: unknown): number {
    return this.current.installFd(new File(`anon_inode:${name}`, fops, priv));
  }

  #prefix(p: Process): string {
    return p.comm === "vmm" ? "" : `[pid ${p.pid}] `;
  }

  #enter(p: Process, name: string): Process {
    this.syscalls.set(name, (this.syscalls.get(name) ?? 0) + 1);
    const prev = this.current;
    this.current = p;
    return prev;
  }

  /** Run `fn` as kernel code for process `p`, mapping Errno to -errno. */
  #run(p: Process, name: string, fn: () => number): number {
    const prev = this.#enter(p, name);
    try {
      return fn();
    } catch (e) {
      if (e instanceof Errno) return -e.errno;
      throw e;
    } finally {
      this.current = prev;
    }
  }

  /** openat(AT_FDCWD, path, flags). */
  open(p: Process, path: string, flags = O_RDWR | O_CLOEXEC): number {
    const r = this.#run(p, "openat", () => {
      const dev = this.devices.get(path);
      if (!dev) throw new Errno(ENOENT);
      const f = new File(path, dev.fops, undefined);
      f.flags = flags;
      dev.open?.(f, this);
      return p.installFd(f);
    });
    if (this.trace.enabled) {
      this.trace.emit(
        `${this.#prefix(p)}openat(AT_FDCWD, "${path}", ${fmtOpenFlags(flags)}) = ${
          fmtSyscallRet(r)
        }`,
      );
    }
    return r;
  }

  /** close(fd). */
  close(p: Process, fd: number): number {
    const r = this.#run(p, "close", () => {
      const f = p.fget(fd);
      p.fds.delete(fd);
      f.put();
      return 0;
    });
    if (this.trace.enabled) this.trace.emit(`${this.#prefix(p)}close(${fd}) = ${fmtSyscallRet(r)}`);
    return r;
  }

  /** dup(fd): another fd for the same file. */
  dup(p: Process, fd: number): number {
    const r = this.#run(p, "dup", () => p.installFd(p.fget(fd).get()));
    if (this.trace.enabled) this.trace.emit(`${this.#prefix(p)}dup(${fd}) = ${fmtSyscallRet(r)}`);
    return r;
  }

  /** ioctl(fd, cmd, arg). */
  ioctl(p: Process, fd: number, cmd: number, arg: bigint): number {
    const f = p.fds.get(fd);
    const before = this.trace.enabled ? fmtIoctlBefore(this, p, fd, f, cmd, arg) : undefined;
    const r = this.#run(p, "ioctl", () => {
      if (!f) throw new Errno(EBADF);
      if (!f.fops.ioctl) throw new Errno(ENOTTY);
      const ret = f.fops.ioctl(f, cmd, arg);
      return ret;
    });
    if (before !== undefined) {
      this.trace.emit(
        r === SYSCALL_UNFINISHED
          ? `${this.#prefix(p)}${before} <unfinished ...>`
          : `${this.#prefix(p)}${fmtIoctlAfter(this, p, f, cmd, arg, before, r)}`,
      );
    }
    return r;
  }

  /** read(fd, buf, count): copies into the caller's memory at `buf`. */
  read(p: Process, fd: number, buf: number, count: number): number {
    const r = this.#run(p, "read", () => {
      const f = p.fget(fd);
      if (!f.fops.read) throw new Errno(EINVAL);
      const data = f.fops.read(f, count);
      p.mm.write(buf, data);
      return data.length;
    });
    if (this.trace.enabled) {
      this.trace.emit(
        `${this.#prefix(p)}read(${fd}, 0x${buf.toString(16)}, ${count}) = ${fmtSyscallRet(r)}`,
      );
    }
    return r;
  }

  /** write(fd, buf, count): the driver sees the bytes at `buf`. */
  write(p: Process, fd: number, buf: number, count: number): number {
    let data: Uint8Array | undefined;
    const r = this.#run(p, "write", () => {
      const f = p.fget(fd);
      if (!f.fops.write) throw new Errno(EINVAL);
      data = p.mm.read(buf, count);
      return f.fops.write(f, data);
    });
    if (this.trace.enabled) {
      const f = p.fds.get(fd);
      const shown = data && f?.fops.describeWrite
        ? f.fops.describeWrite(f, data)
        : `0x${buf.toString(16)}`;
      this.trace.emit(
        `${this.#prefix(p)}write(${fd}${fdPath(p, fd)}, ${shown}, ${count}) = ${fmtSyscallRet(r)}`,
      );
    }
    return r;
  }

  /** mmap(addr, len, prot, flags, fd, offset); returns the address or -errno. */
  mmap(
    p: Process,
    addr: number,
    len: number,
    prot: number,
    flags: number,
    fd: number,
    off: number,
  ): number {
    const r = this.#run(p, "mmap", () => {
      if (flags & MAP_ANONYMOUS) return p.mm.mmap(addr, len, prot, flags, "anon");
      const f = p.fget(fd);
      if (!f.fops.mmap) throw new Errno(ENODEV);
      if (off % this.config.pageSize !== 0) throw new Errno(EINVAL);
      const start = p.mm.mmap(addr, len, prot, flags | (flags & MAP_FIXED), f.path);
      const vma = p.mm.findVma(start)!;
      try {
        f.fops.mmap(f, vma, off / this.config.pageSize);
      } catch (e) {
        p.mm.munmap(start, len);
        throw e;
      }
      if (!vma.fault) vma.flags |= MAP_SHARED;
      return start;
    });
    if (this.trace.enabled) {
      this.trace.emit(`${this.#prefix(p)}${fmtMmap(addr, len, prot, flags, fd, off, r)}`);
    }
    return r;
  }

  /** munmap(addr, len). */
  munmap(p: Process, addr: number, len: number): number {
    const r = this.#run(p, "munmap", () => {
      p.mm.munmap(addr, len);
      return 0;
    });
    if (this.trace.enabled) {
      this.trace.emit(`${this.#prefix(p)}munmap(0x${addr.toString(16)}, ${len}) = ${fmtRet(r)}`);
    }
    return r;
  }

  /** lseek is not supported on any of our files. */
  lseek(p: Process, _fd: number): number {
    return this.#run(p, "lseek", () => {
      throw new Errno(ESPIPE);
    });
  }
}

function fdPath(p: Process, fd: number): string {
  const f = p.fds.get(fd);
  return f ? `<${f.path}>` : "";
}
