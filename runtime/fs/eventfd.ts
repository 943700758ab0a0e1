/**
 * eventfd (fs/eventfd.c): a 64-bit counter behind an fd. write() adds, read()
 * returns and clears it (EAGAIN when zero and non-blocking). Kernel users —
 * vhost kicks and calls, irqfds — hold an EventfdCtx and get woken through
 * `waiters`, which is how a kick reaches a device without a worker thread.
 *
 * @example
 * ```ts
 * import { EventfdCtx } from "./eventfd.ts";
 * const ctx = new EventfdCtx(0n);
 * ctx.signal(1n);
 * ctx.signal1();
 * console.log(ctx.count); // 2n
 * ```
 * @module
 */
import { EAGAIN, EINVAL } from "../include/uapi/asm-generic/errno.ts";
import { Errno } from "../kernel/errno.ts";
import type { File, FileOperations } from "../kernel/file.ts";
import type { Kernel } from "../kernel/kernel.ts";
import type { Process } from "../kernel/process.ts";
import { fmtSyscallRet } from "../kernel/strace.ts";

export const EFD_SEMAPHORE = 1;
export const EFD_NONBLOCK = 0o4000;
export const EFD_CLOEXEC = 0o2000000;

/** The kernel object behind an eventfd. */
export class EventfdCtx {
  /**
   * The counter as a number while it is exact (< 2^53) — the hot path (a kick
   * or call per packet) then adds without allocating a BigInt — and as a
   * bigint only above that.
   */
  #n = 0;
  #big: bigint | undefined;
  /** Total signals ever delivered (for `show` counters). */
  signals = 0;
  waiters = new Set<(ctx: EventfdCtx) => void>();
  constructor(init: bigint) {
    this.count = init;
  }
  /** The 64-bit counter. */
  get count(): bigint {
    return this.#big ?? BigInt(this.#n);
  }
  set count(v: bigint) {
    if (v <= 0x1f_ffff_ffff_ffffn) {
      this.#n = Number(v);
      this.#big = undefined;
    } else this.#big = v;
  }
  /** Whether the counter is non-zero (readable), without building a bigint. */
  get readable(): boolean {
    return this.#big !== undefined ? this.#big !== 0n : this.#n !== 0;
  }
  /** eventfd_signal(): add and wake pollers. */
  signal(n: bigint): void {
    if (this.#big === undefined && n < 0x10_0000_0000n && this.#n < 0x1f_0000_0000_0000) {
      this.#n += Number(n);
    } else this.count = this.count + n;
    this.#wake();
  }

  /**
   * eventfd_signal(ctx) as newer kernels spell it: add 1. The per-packet
   * path (vring call, guest kick) takes this one: no BigInt compare or
   * conversion per signal.
   */
  signal1(): void {
    if (this.#big === undefined && this.#n < 0x1f_0000_0000_0000) this.#n++;
    else this.count = this.count + 1n;
    this.#wake();
  }

  #wake(): void {
    this.signals++;
    const ws = this.waiters;
    if (ws.size === 0) return;
    if (ws.size === 1) {
      // The common case (one poller): no snapshot needed, nothing can be skipped.
      for (const w of ws) {
        w(this);
        break;
      }
      return;
    }
    // A waiter may remove itself or others while we wake: wake a snapshot.
    for (const w of [...ws]) w(this);
  }
}

const eventfdFops: FileOperations = {
  name: "eventfd",
  read(file: File, count: number): Uint8Array {
    if (count < 8) throw new Errno(EINVAL);
    const ctx = file.private_data as EventfdCtx;
    if (!ctx.readable) throw new Errno(EAGAIN);
    const out = new Uint8Array(8);
    new DataView(out.buffer).setBigUint64(0, ctx.count, true);
    ctx.count = 0n;
    return out;
  },
  write(file: File, data: Uint8Array): number {
    if (data.length < 8) throw new Errno(EINVAL);
    const v = new DataView(data.buffer, data.byteOffset, 8).getBigUint64(0, true);
    if (v === 0xffff_ffff_ffff_ffffn) throw new Errno(EINVAL);
    (file.private_data as EventfdCtx).signal(v);
    return 8;
  },
};

/**
 * eventfd2(initval, flags) for process `p`; returns the fd or -errno.
 *
 * @example
 * ```ts
 * // const fd = sysEventfd2(kernel, vmm, 0, EFD_CLOEXEC);
 * ```
 */
export function sysEventfd2(k: Kernel, p: Process, initval: number, flags: number): number {
  let r: number;
  const prev = k.current;
  k.current = p;
  try {
    if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC)) throw new Errno(EINVAL);
    r = k.anonInodeGetfd("[eventfd]", eventfdFops, new EventfdCtx(BigInt(initval)));
  } catch (e) {
    if (!(e instanceof Errno)) throw e;
    r = -e.errno;
  } finally {
    k.current = prev;
  }
  if (k.trace.enabled) {
    const f = [flags & EFD_CLOEXEC ? "EFD_CLOEXEC" : "", flags & EFD_NONBLOCK ? "EFD_NONBLOCK" : ""]
      .filter(Boolean).join("|") || "0";
    k.trace.emit(`eventfd2(${initval}, ${f}) = ${fmtSyscallRet(r)}`);
  }
  return r;
}

/**
 * eventfd_ctx_fdget(): the ctx behind an fd of the current process; EBADF when
 * not open, EINVAL when the file is not an eventfd.
 *
 * @example
 * ```ts
 * // const ctx = eventfdCtxFdget(kernel, 7);
 * ```
 */
export function eventfdCtxFdget(k: Kernel, fd: number): EventfdCtx {
  const f = k.current.fget(fd);
  if (f.fops !== eventfdFops) throw new Errno(EINVAL, "not an eventfd");
  return f.private_data as EventfdCtx;
}

/**
 * Whether a file is an eventfd.
 *
 * @example
 * ```ts
 * // isEventfd(file)
 * ```
 */
export function isEventfd(f: File): boolean {
  return f.fops === eventfdFops;
}
