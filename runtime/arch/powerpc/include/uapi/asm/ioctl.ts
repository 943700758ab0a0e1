/**
 * The powerpc ioctl layout (arch/powerpc/include/uapi/asm/ioctl.h): 13 size
 * bits, 3 direction bits at 29 with NONE 1, READ 2, WRITE 4. So a plain _IO on
 * powerpc carries 0x20000000 and _IOW carries 0x80000000.
 *
 * @example
 * ```ts
 * import { POWERPC_LAYOUT } from "./ioctl.ts";
 * import { ioc } from "../../../../../include/uapi/asm-generic/ioctl.ts";
 * console.log(ioc(POWERPC_LAYOUT, "none", 0x3B, 0x64, 0).toString(16)); // "20003b64"
 * ```
 * @module
 */
import type { IocLayout } from "../../../../../include/uapi/asm-generic/ioctl.ts";

/** The powerpc layout. */
export const POWERPC_LAYOUT: IocLayout = { sizeBits: 13, dirShift: 29, none: 1, read: 2, write: 4 };
