/**
 * The generic ioctl number layout (include/uapi/asm-generic/ioctl.h), used by
 * x86_64 and arm64: nr 8 bits, type 8 bits, size 14 bits at 16, dir 2 bits at
 * 30 with NONE 0, WRITE 1, READ 2.
 *
 * @example
 * ```ts
 * import { genericIoc } from "./ioctl.ts";
 * console.log(genericIoc("w", 0xAE, 0x46, 32).toString(16)); // "4020ae46"
 * ```
 * @module
 */

/** Transfer direction as named by the _IO/_IOR/_IOW/_IOWR macros. */
export type IocDir = "none" | "r" | "w" | "rw";

/** Bit layout of one encoding. */
export interface IocLayout {
  sizeBits: number;
  dirShift: number;
  none: number;
  read: number;
  write: number;
}

/** The asm-generic layout. */
export const GENERIC_LAYOUT: IocLayout = { sizeBits: 14, dirShift: 30, none: 0, read: 2, write: 1 };

/**
 * _IOC(dir, type, nr, size) for a layout; returns an unsigned 32-bit number.
 *
 * @example
 * ```ts
 * console.log(ioc(GENERIC_LAYOUT, "none", 0xAE, 0, 0)); // 44544
 * ```
 */
export function ioc(
  layout: IocLayout,
  dir: IocDir,
  type: number,
  nr: number,
  size: number,
): number {
  const d = dir === "none"
    ? layout.none
    : dir === "r"
    ? layout.read
    : dir === "w"
    ? layout.write
    : layout.read | layout.write;
  if (size >= 1 << layout.sizeBits) throw new RangeError(`ioctl size ${size} does not fit`);
  return ((d << layout.dirShift) >>> 0) + ((size << 16) >>> 0) + (type << 8) + nr;
}

/**
 * Generic encoding shortcut.
 *
 * @example
 * ```ts
 * console.log(genericIoc("none", 0xAE, 0x01, 0)); // 44545
 * ```
 */
export function genericIoc(dir: IocDir, type: number, nr: number, size: number): number {
  return ioc(GENERIC_LAYOUT, dir, type, nr, size);
}
