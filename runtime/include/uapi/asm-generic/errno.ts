/**
 * errno numbers, as in include/uapi/asm-generic/errno-base.h and errno.h
 * (shared by x86_64, arm64 and powerpc, which use the generic table for these).
 * ENOIOCTLCMD and ENOTSUPP are kernel-internal (include/linux/errno.h).
 *
 * @example
 * ```ts
 * import { errnoName, EBUSY } from "./errno.ts";
 * console.log(errnoName(EBUSY)); // "EBUSY"
 * ```
 * @module
 */

/** errno name → number. */
export const ERRNO: Readonly<Record<string, number>> = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  ECHILD: 10,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  ENOTTY: 25,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  ERANGE: 34,
  ENOSYS: 38,
  ELOOP: 40,
  EPROTO: 71,
  EOVERFLOW: 75,
  EBADFD: 77,
  EOPNOTSUPP: 95,
  EADDRNOTAVAIL: 99,
  ENOBUFS: 105,
  ENOIOCTLCMD: 515,
  ENOTSUPP: 524,
};

/** One-line strerror texts (glibc's wording). */
const STRERROR: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  ESRCH: "No such process",
  EINTR: "Interrupted system call",
  EIO: "Input/output error",
  ENXIO: "No such device or address",
  E2BIG: "Argument list too long",
  ENOEXEC: "Exec format error",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Cannot allocate memory",
  EACCES: "Permission denied",
  EFAULT: "Bad address",
  EBUSY: "Device or resource busy",
  EEXIST: "File exists",
  ENODEV: "No such device",
  EINVAL: "Invalid argument",
  EMFILE: "Too many open files",
  ENOTTY: "Inappropriate ioctl for device",
  ENOSPC: "No space left on device",
  ERANGE: "Numerical result out of range",
  ENOSYS: "Function not implemented",
  ELOOP: "Too many levels of symbolic links",
  EPROTO: "Protocol error",
  EOVERFLOW: "Value too large for defined data type",
  EBADFD: "File descriptor in bad state",
  EOPNOTSUPP: "Operation not supported",
  ENOBUFS: "No buffer space available",
  // Kernel-internal numbers have no glibc text; userspace sees this.
  ENOIOCTLCMD: "Unknown error 515",
  ENOTSUPP: "Unknown error 524",
};

const BY_NUMBER = new Map<number, string>(Object.entries(ERRNO).map(([k, v]) => [v, k]));

export const EPERM = 1;
export const ENOENT = 2;
export const ESRCH = 3;
export const EINTR = 4;
export const EIO = 5;
export const ENXIO = 6;
export const E2BIG = 7;
export const ENOEXEC = 8;
export const EBADF = 9;
export const EAGAIN = 11;
export const ENOMEM = 12;
export const EACCES = 13;
export const EFAULT = 14;
export const EBUSY = 16;
export const EEXIST = 17;
export const ENODEV = 19;
export const EINVAL = 22;
export const EMFILE = 24;
export const ENOTTY = 25;
export const ENOSPC = 28;
export const ESPIPE = 29;
export const ERANGE = 34;
export const ENOSYS = 38;
export const ELOOP = 40;
export const EPROTO = 71;
export const EOVERFLOW = 75;
export const EBADFD = 77;
export const EOPNOTSUPP = 95;
export const EADDRNOTAVAIL = 99;
export const ENOBUFS = 105;
export const ENOIOCTLCMD = 515;
export const ENOTSUPP = 524;

/**
 * The name of an errno number (positive or negative), or `E?<n>` when unknown.
 *
 * @example
 * ```ts
 * console.log(errnoName(-22)); // "EINVAL"
 * ```
 */
export function errnoName(n: number): string {
  return BY_NUMBER.get(Math.abs(n)) ?? `E?${Math.abs(n)}`;
}

/**
 * strerror() for an errno number.
 *
 * @example
 * ```ts
 * console.log(strerror(16)); // "Device or resource busy"
 * ```
 */
export function strerror(n: number): string {
  return STRERROR[errnoName(n)] ?? "Unknown error";
}
