/**
 * mm/util.c's account_locked_vm / __account_locked_vm and the two inputs
 * every locked-memory check reads: the caller's RLIMIT_MEMLOCK
 * (`rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT`) and `capable(CAP_IPC_LOCK)`,
 * which bypasses the limit but not the accounting. The counter itself is
 * `mm->locked_vm` (MM.lockedVm, in pages).
 *
 * A process's limit is `undefined` until set: it then inherits init's
 * default, MLOCK_LIMIT of the booted kernel — `max(PAGE_SIZE, 64 KiB)`
 * before v5.16 (`kernel seed`), 8 MiB since (commit 9dcc38e2813e,
 * `kernel mainline`). Root (uid 0, as the VMM runs) holds CAP_IPC_LOCK.
 *
 * @example
 * ```ts
 * import { accountLockedVm, mlockLimit } from "./util.ts";
 * import { Process } from "../kernel/process.ts";
 * import { PhysMem } from "./phys.ts";
 * const p = new Process(100, "qemu", 1000, new PhysMem(4096));
 * p.memlock = { cur: 16384n, max: 16384n };
 * accountLockedVm(p.mm, 4, true, p, "seed"); // 4 pages of 4K: fits in 16 KiB
 * console.log(p.mm.lockedVm, mlockLimit("mainline", 4096)); // 4 8388608n
 * ```
 * @module
 */
import { EINVAL, ENOMEM, EPERM } from "../include/uapi/asm-generic/errno.ts";
import { Errno } from "../kernel/errno.ts";
import type { Process } from "../kernel/process.ts";
import type { Profile } from "../kernel/uapi.ts";
import type { MM } from "./mm.ts";

/** RLIMIT_MEMLOCK (include/uapi/asm-generic/resource.h). */
export const RLIMIT_MEMLOCK = 8;
/** RLIM_INFINITY on 64-bit: ~0UL. */
export const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
/** CAP_IPC_LOCK (include/uapi/linux/capability.h). */
export const CAP_IPC_LOCK = 14;
/** CAP_SYS_RESOURCE: raising a hard rlimit. */
export const CAP_SYS_RESOURCE = 24;

/** One rlimit: soft (`rlim_cur`, what the checks read) and hard. */
export interface Rlimit {
  cur: bigint;
  max: bigint;
}

/**
 * MLOCK_LIMIT (include/uapi/linux/resource.h), init's RLIMIT_MEMLOCK:
 * `(PAGE_SIZE > 64*1024) ? PAGE_SIZE : 64*1024` up to v5.15, 8 MiB since v5.16.
 *
 * @example
 * ```ts
 * console.log(mlockLimit("seed", 65536)); // 65536n
 * ```
 */
export function mlockLimit(profile: Profile, pageSize: number): bigint {
  if (profile === "seed") return BigInt(Math.max(pageSize, 64 * 1024));
  return 8n * 1024n * 1024n;
}

/**
 * The process's RLIMIT_MEMLOCK (its own, or init's default for `profile`).
 *
 * @example
 * ```ts
 * // rlimitMemlock(proc, "mainline").cur
 * ```
 */
export function rlimitMemlock(p: Process, profile: Profile): Rlimit {
  const d = mlockLimit(profile, p.mm.pageSize);
  return p.memlock ?? { cur: d, max: d };
}

/**
 * `rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT` of a process.
 *
 * @example
 * ```ts
 * // lockLimitPages(proc, "seed") // 1 on a 64K-page host
 * ```
 */
export function lockLimitPages(p: Process, profile: Profile): number {
  return Number(rlimitMemlock(p, profile).cur >> BigInt(Math.log2(p.mm.pageSize)));
}

/**
 * capable(cap) for the simulated capabilities (CAP_IPC_LOCK, CAP_SYS_RESOURCE).
 *
 * @example
 * ```ts
 * // capable(proc, CAP_IPC_LOCK)
 * ```
 */
export function capable(p: Process, cap: number): boolean {
  return p.caps.has(cap);
}

/**
 * __account_locked_vm(mm, pages, inc, task, bypass_rlim): on increase,
 * `locked_vm + pages > limit` → ENOMEM (nothing added) unless bypassed; on
 * decrease, subtract (clamped at 0: WARN_ON_ONCE(pages > locked_vm)).
 * `limit` is in pages (rlimit >> PAGE_SHIFT); the 2016 helpers
 * (try_increment_locked_vm, mm_iommu_adjust_locked_vm,
 * kvmppc_account_memlimit) test the same `locked > lock_limit &&
 * !capable(CAP_IPC_LOCK)`.
 *
 * @example
 * ```ts
 * // accountLockedVmRaw(mm, 16, true, 1, false) // throws Errno(ENOMEM)
 * ```
 */
export function accountLockedVmRaw(
  mm: MM,
  pages: number,
  inc: boolean,
  limit: number,
  bypass: boolean,
): void {
  if (pages === 0) return;
  if (inc) {
    if (!bypass && mm.lockedVm + pages > limit) {
      throw new Errno(
        ENOMEM,
        `RLIMIT_MEMLOCK exceeded: locked_vm ${mm.lockedVm} + ${pages} > ${limit} pages`,
      );
    }
    mm.lockedVm += pages;
  } else mm.lockedVm -= Math.min(pages, mm.lockedVm);
}

/**
 * account_locked_vm(mm, pages, inc) with `task` as current: its
 * RLIMIT_MEMLOCK and capable(CAP_IPC_LOCK).
 *
 * @example
 * ```ts
 * // accountLockedVm(mm, 32, true, kernel.current, kernel.config.profile)
 * ```
 */
export function accountLockedVm(
  mm: MM,
  pages: number,
  inc: boolean,
  task: Process,
  profile: Profile,
): void {
  accountLockedVmRaw(
    mm,
    pages,
    inc,
    lockLimitPages(task, profile),
    capable(task, CAP_IPC_LOCK),
  );
}

/**
 * setrlimit(RLIMIT_MEMLOCK) / prlimit64 (kernel/sys.c do_prlimit): cur >
 * max → EINVAL; raising the hard limit without CAP_SYS_RESOURCE → EPERM.
 * Returns 0 or -errno.
 *
 * @example
 * ```ts
 * // setrlimitMemlock(proc, "seed", 65536n, 65536n) // 0
 * ```
 */
export function setrlimitMemlock(p: Process, profile: Profile, cur: bigint, max: bigint): number {
  if (cur > max) return -EINVAL;
  const old = rlimitMemlock(p, profile);
  if (max > old.max && !capable(p, CAP_SYS_RESOURCE)) return -EPERM;
  p.memlock = { cur, max };
  return 0;
}

/**
 * A byte count as `ulimit -l` and /proc/PID/limits show it ("unlimited", "64K").
 *
 * @example
 * ```ts
 * console.log(fmtLimit(65536n), fmtLimit(RLIM_INFINITY)); // 64K unlimited
 * ```
 */
export function fmtLimit(v: bigint): string {
  if (v === RLIM_INFINITY) return "unlimited";
  for (const [s, n] of [["G", 30n], ["M", 20n], ["K", 10n]] as const) {
    if (v >= 1n << n && v % (1n << n) === 0n) return `${v >> n}${s}`;
  }
  return String(v);
}
