/**
 * strace-style formatting of syscalls: fds with their paths (`-y`), ioctl
 * numbers decoded to names through the file's own ioctl table, struct
 * arguments read from the caller's memory and printed by field, results as
 * `= 0` or `= -1 EBUSY (Device or resource busy)`.
 *
 * @example
 * ```ts
 * import { fmtSyscallRet } from "./strace.ts";
 * console.log(fmtSyscallRet(-16)); // "-1 EBUSY (Device or resource busy)"
 * ```
 * @module
 */
import { errnoName, strerror } from "../include/uapi/asm-generic/errno.ts";
import type { File } from "./file.ts";
import type { Kernel } from "./kernel.ts";
import {
  decodeStruct,
  formatEnum,
  formatFlags,
  formatStruct,
  readScalar,
  scalarSize,
} from "./layout.ts";
import type { Process } from "./process.ts";
import { type IoctlDef, ioctlNumber } from "./uapi.ts";

/**
 * A syscall's return as strace prints it.
 *
 * @example
 * ```ts
 * console.log(fmtSyscallRet(3)); // "3"
 * ```
 */
export function fmtSyscallRet(r: number): string {
  return r < 0 ? `-1 ${errnoName(r)} (${strerror(r)})` : `${r}`;
}

/**
 * Same, for calls whose success value is an address.
 *
 * @example
 * ```ts
 * console.log(fmtRet(0)); // "0"
 * ```
 */
export function fmtRet(r: number): string {
  return r < 0 ? fmtSyscallRet(r) : r > 0xffff ? `0x${r.toString(16)}` : `${r}`;
}

/**
 * openat flags.
 *
 * @example
 * ```ts
 * console.log(fmtOpenFlags(0o2000002)); // "O_RDWR|O_CLOEXEC"
 * ```
 */
export function fmtOpenFlags(flags: number): string {
  const acc = ["O_RDONLY", "O_WRONLY", "O_RDWR"][flags & 3] ?? "O_RDONLY";
  const parts = [acc];
  if (flags & 0o4000) parts.push("O_NONBLOCK");
  if (flags & 0o2000000) parts.push("O_CLOEXEC");
  return parts.join("|");
}

/**
 * mmap line.
 *
 * @example
 * ```ts
 * console.log(fmtMmap(0, 4096, 3, 0x22, -1, 0, 0x7f0000000000));
 * // "mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000000000"
 * ```
 */
export function fmtMmap(
  addr: number,
  len: number,
  prot: number,
  flags: number,
  fd: number,
  off: number,
  r: number,
): string {
  const pr = prot === 0
    ? "PROT_NONE"
    : [[1, "PROT_READ"], [2, "PROT_WRITE"], [4, "PROT_EXEC"]].filter(([b]) => prot & (b as number))
      .map((x) => x[1]).join("|");
  const fl = [[1, "MAP_SHARED"], [2, "MAP_PRIVATE"], [0x10, "MAP_FIXED"], [0x20, "MAP_ANONYMOUS"], [
    0x4000,
    "MAP_NORESERVE",
  ]].filter(([b]) => flags & (b as number)).map((x) => x[1]).join("|");
  const a = addr ? `0x${addr.toString(16)}` : "NULL";
  return `mmap(${a}, ${len}, ${pr}, ${fl}, ${fd}, ${off}) = ${fmtRet(r)}`;
}

/**
 * Which definition a file gives to `cmd`, if any.
 *
 * @example
 * ```ts
 * console.log(ioctlDefFor(undefined, 0, "arm64")); // undefined
 * ```
 */
export function ioctlDefFor(
  f: File | undefined,
  cmd: number,
  arch: Kernel["arch"],
): IoctlDef | undefined {
  const defs = f?.fops.ioctls?.(f) ?? [];
  return defs.find((d) => ioctlNumber(d, arch) === cmd);
}

function fmtArg(
  p: Process,
  d: IoctlDef | undefined,
  arg: bigint,
  when: "before" | "after",
): string {
  const hex = `0x${arg.toString(16)}`;
  if (!d) return hex;
  const a = d.arg;
  try {
    switch (a.kind) {
      case "none":
        return arg.toString();
      case "value":
        return a.flags
          ? formatFlags(a.flags, arg)
          : a.enum
          ? formatEnum(a.enum, arg)
          : arg.toString();
      case "string": {
        const v = p.mm.findVma(Number(arg));
        const raw = p.mm.read(Number(arg), Math.min(64, v ? v.end - Number(arg) : 64));
        const end = raw.indexOf(0);
        return JSON.stringify(new TextDecoder().decode(raw.subarray(0, end < 0 ? 64 : end)));
      }
      case "ptr": {
        if (when === "before" && a.io === "out") return hex;
        const v = readScalar(
          new DataView(p.mm.read(Number(arg), scalarSize(a.type)).buffer),
          0,
          a.type,
        );
        const s = a.flags
          ? formatFlags(a.flags, v)
          : a.enum
          ? formatEnum(a.enum, v)
          : v > 0xffffn
          ? `0x${v.toString(16)}`
          : v.toString();
        return `[${s}]`;
      }
      case "struct": {
        if (when === "before" && a.io === "out") return hex;
        const bytes = p.mm.read(Number(arg), a.struct.size);
        let tail = 0;
        const cf = a.struct.tail?.countField;
        const v0 = decodeStruct(a.struct, bytes);
        if (cf && typeof v0[cf] === "bigint") tail = Math.min(Number(v0[cf]), 16);
        const v = tail
          ? decodeStruct(
            a.struct,
            p.mm.read(Number(arg), a.struct.size + tail * elemSize(a.struct.tail!.elem)),
            tail,
          )
          : v0;
        return formatStruct(a.struct, v);
      }
    }
  } catch {
    return hex;
  }
}

function elemSize(e: NonNullable<import("./layout.ts").StructDef["tail"]>["elem"]): number {
  return typeof e === "string" ? scalarSize(e) : e.size;
}

/**
 * The part of an ioctl line known before the call: `fd<path>, NAME, arg`.
 *
 * @example
 * ```ts
 * // used by Kernel.ioctl
 * ```
 */
export function fmtIoctlBefore(
  k: Kernel,
  p: Process,
  fd: number,
  f: File | undefined,
  cmd: number,
  arg: bigint,
): string {
  const d = ioctlDefFor(f, cmd, k.arch);
  const name = d ? d.name : `_IOC(0x${cmd.toString(16)})`;
  const fdtxt = f ? `${fd}<${f.path}>` : `${fd}`;
  const a = fmtArg(p, d, arg, "before");
  return `ioctl(${fdtxt}, ${name}, ${a}`;
}

/**
 * Finish an ioctl line: for out/inout arguments, print the kernel's answer.
 *
 * @example
 * ```ts
 * // used by Kernel.ioctl
 * ```
 */
export function fmtIoctlAfter(
  k: Kernel,
  p: Process,
  f: File | undefined,
  cmd: number,
  arg: bigint,
  before: string,
  r: number,
): string {
  const d = ioctlDefFor(f, cmd, k.arch);
  let s = before;
  if (d && r >= 0 && (d.arg.kind === "struct" || d.arg.kind === "ptr") && d.arg.io !== "in") {
    const after = fmtArg(p, d, arg, "after");
    if (d.arg.io === "out") {
      const i = s.lastIndexOf(", ");
      s = `${s.slice(0, i)}, ${after}`;
    } else if (!s.endsWith(after)) s += ` => ${after}`;
  }
  return `${s}) = ${fmtSyscallRet(r)}`;
}
