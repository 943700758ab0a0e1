/**
 * The VMM side of IOTLB messages: marshal a vhost_msg_v2 (or the V1
 * vhost_msg) into the caller's own memory and write(2) it to the vhost fd,
 * as QEMU's vhost_vdpa_dma_map / vhost_vdpa_iotlb_batch_begin_once do.
 *
 * @example
 * ```ts
 * import { encodeIotlbMsg } from "./vhost_vdpa_iotlb.ts";
 * console.log(encodeIotlbMsg({ type: 2, iova: 0n, size: 4096n, uaddr: 0n, perm: 3 }).length); // 72
 * ```
 * @module
 */
import type { Kernel } from "../kernel/kernel.ts";
import type { Process } from "../kernel/process.ts";
import { encodeStruct } from "../kernel/layout.ts";
import { vhost_msg, vhost_msg_v2 } from "../include/uapi/linux/vhost_types.ts";
import { stackAlloc } from "./marshal.ts";

/** One message as a VMM or script builds it. */
export interface IotlbMsgInput {
  type: number;
  iova: bigint;
  size: bigint;
  uaddr: bigint;
  perm: number;
  asid?: number;
  /** 1 = struct vhost_msg (VHOST_IOTLB_MSG), 2 = vhost_msg_v2 (default). */
  version?: 1 | 2;
}

/**
 * The 72 bytes of the message.
 *
 * @example
 * ```ts
 * console.log(encodeIotlbMsg({ type: 5, iova: 0n, size: 0n, uaddr: 0n, perm: 0 })[33]); // 5
 * ```
 */
export function encodeIotlbMsg(m: IotlbMsgInput): Uint8Array {
  const iotlb = {
    iova: m.iova,
    size: m.size,
    uaddr: m.uaddr,
    perm: BigInt(m.perm),
    type: BigInt(m.type),
  };
  if (m.version === 1) return encodeStruct(vhost_msg, { type: 1n, iotlb });
  return encodeStruct(vhost_msg_v2, { type: 2n, asid: BigInt(m.asid ?? 0), iotlb });
}

/**
 * write(fd, &msg, sizeof msg) from process `p`; returns what write returned.
 *
 * @example
 * ```ts
 * // const r = writeIotlbMsg(kernel, vmm.proc, fd, { type: 2, iova, size, uaddr, perm: 3 });
 * ```
 */
export function writeIotlbMsg(
  k: Kernel,
  p: Process,
  fd: number,
  m: IotlbMsgInput,
  len?: number,
): number {
  const bytes = encodeIotlbMsg(m);
  const s = stackAlloc(p, bytes.length);
  try {
    p.mm.write(s.addr, bytes);
    return k.write(p, fd, s.addr, len ?? bytes.length);
  } finally {
    s.release();
  }
}
