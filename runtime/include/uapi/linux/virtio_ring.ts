/**
 * include/uapi/linux/virtio_ring.h: split-virtqueue layout (descriptor
 * table, available and used rings) and their flag bits (vhost-vdpa.md §3).
 *
 * @example
 * ```ts
 * import { vringSizes } from "./virtio_ring.ts";
 * console.log(vringSizes(256)); // { desc: 4096, avail: 518, used: 2054 }
 * ```
 * @module
 */
import { type ConstGroup } from "../../../kernel/uapi.ts";
import { registerUapi } from "../../../kernel/uapi_registry.ts";

export const VRING_DESC_F_NEXT = 1;
export const VRING_DESC_F_WRITE = 2;
export const VRING_DESC_F_INDIRECT = 4;
export const VRING_AVAIL_F_NO_INTERRUPT = 1;
export const VRING_USED_F_NO_NOTIFY = 1;
/** Alignments of the three parts. */
export const VRING_DESC_ALIGN_SIZE = 16;
export const VRING_AVAIL_ALIGN_SIZE = 2;
export const VRING_USED_ALIGN_SIZE = 4;
/** Largest split queue size (num is a u16 power of two). */
export const VIRTQUEUE_MAX_SIZE = 32768;
/** sizeof(struct vring_desc). */
export const VRING_DESC_SIZE = 16;

/**
 * Bytes of each part for queue size q (without EVENT_IDX trailers).
 *
 * @example
 * ```ts
 * console.log(vringSizes(8).desc); // 128
 * ```
 */
export function vringSizes(q: number): { desc: number; avail: number; used: number } {
  return { desc: 16 * q, avail: 6 + 2 * q, used: 6 + 8 * q };
}

const RING: Readonly<Record<string, bigint>> = {
  VRING_DESC_F_NEXT: 1n,
  VRING_DESC_F_WRITE: 2n,
  VRING_DESC_F_INDIRECT: 4n,
  VRING_AVAIL_F_NO_INTERRUPT: 1n,
  VRING_USED_F_NO_NOTIFY: 1n,
};
const CONSTANTS: ConstGroup[] = [
  {
    group: "VRING",
    doc: "split-ring flag bits",
    source: "include/uapi/linux/virtio_ring.h",
    values: RING,
  },
];
registerUapi({ constants: CONSTANTS });
