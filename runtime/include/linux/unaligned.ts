/**
 * Little-endian 32-bit loads and stores at any byte offset of a byte array —
 * the twin of include/linux/unaligned.h's get/put_unaligned_le32, for ring
 * fields read in place from guest memory (vring indexes, descriptors, used
 * entries) without a DataView per access.
 *
 * @example
 * ```ts
 * import { getUnalignedLe32, putUnalignedLe32 } from "./unaligned.ts";
 * const b = new Uint8Array(8);
 * putUnalignedLe32(b, 1, 0xdeadbeef);
 * console.log(getUnalignedLe32(b, 1).toString(16)); // "deadbeef"
 * ```
 * @module
 */

/**
 * get_unaligned_le32: the u32 at `b[o..o+4)`.
 *
 * @example
 * ```ts
 * import { getUnalignedLe32 } from "./unaligned.ts";
 * console.log(getUnalignedLe32(new Uint8Array([1, 0, 0, 0]), 0)); // 1
 * ```
 */
export function getUnalignedLe32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;
}

/**
 * put_unaligned_le32: store `v` as a u32 at `b[o..o+4)`.
 *
 * @example
 * ```ts
 * import { putUnalignedLe32 } from "./unaligned.ts";
 * const b = new Uint8Array(4);
 * putUnalignedLe32(b, 0, 0x0102);
 * console.log([...b]); // [2, 1, 0, 0]
 * ```
 */
export function putUnalignedLe32(b: Uint8Array, o: number, v: number): void {
  b[o] = v & 0xff;
  b[o + 1] = (v >>> 8) & 0xff;
  b[o + 2] = (v >>> 16) & 0xff;
  b[o + 3] = (v >>> 24) & 0xff;
}
