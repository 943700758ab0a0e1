/**
 * include/uapi/linux/virtio_config.h, virtio_ids.h and the transport bits of
 * virtio_ring.h: device status bits, transport feature bits and device IDs
 * (vhost-vdpa.md §3). Registered as global script constants.
 *
 * @example
 * ```ts
 * import { VIRTIO_CONFIG_S, VIRTIO_F } from "./virtio_config.ts";
 * console.log(VIRTIO_CONFIG_S.VIRTIO_CONFIG_S_FEATURES_OK, VIRTIO_F.VIRTIO_F_VERSION_1); // 8n 32n
 * ```
 * @module
 */
import { type ConstGroup, enumOf, flagsOf } from "../../../kernel/uapi.ts";
import { registerUapi } from "../../../kernel/uapi_registry.ts";

/** Device status bits (virtio_config.h). */
export const VIRTIO_CONFIG_S: Readonly<Record<string, bigint>> = {
  VIRTIO_CONFIG_S_ACKNOWLEDGE: 1n,
  VIRTIO_CONFIG_S_DRIVER: 2n,
  VIRTIO_CONFIG_S_DRIVER_OK: 4n,
  VIRTIO_CONFIG_S_FEATURES_OK: 8n,
  VIRTIO_CONFIG_S_NEEDS_RESET: 0x40n,
  VIRTIO_CONFIG_S_FAILED: 0x80n,
};

/** Status as a FlagSet: scripts write `ACKNOWLEDGE | DRIVER`. */
export const VIRTIO_STATUS_FLAGS = flagsOf("VIRTIO_CONFIG_S_", VIRTIO_CONFIG_S);

/** Transport feature bit numbers (virtio_config.h, virtio_ring.h). */
export const VIRTIO_F: Readonly<Record<string, bigint>> = {
  VIRTIO_F_NOTIFY_ON_EMPTY: 24n,
  VIRTIO_F_ANY_LAYOUT: 27n,
  VIRTIO_RING_F_INDIRECT_DESC: 28n,
  VIRTIO_RING_F_EVENT_IDX: 29n,
  VIRTIO_F_VERSION_1: 32n,
  VIRTIO_F_ACCESS_PLATFORM: 33n,
  VIRTIO_F_IOMMU_PLATFORM: 33n,
  VIRTIO_F_RING_PACKED: 34n,
  VIRTIO_F_IN_ORDER: 35n,
  VIRTIO_F_ORDER_PLATFORM: 36n,
  VIRTIO_F_SR_IOV: 37n,
  VIRTIO_F_NOTIFICATION_DATA: 38n,
  VIRTIO_F_NOTIF_CONFIG_DATA: 39n,
  VIRTIO_F_RING_RESET: 40n,
  VIRTIO_F_ADMIN_VQ: 41n,
  VIRTIO_TRANSPORT_F_START: 28n,
  VIRTIO_TRANSPORT_F_END: 42n,
};

/** Device IDs (virtio_ids.h). */
export const VIRTIO_ID: Readonly<Record<string, bigint>> = {
  VIRTIO_ID_NET: 1n,
  VIRTIO_ID_BLOCK: 2n,
  VIRTIO_ID_CONSOLE: 3n,
  VIRTIO_ID_RNG: 4n,
  VIRTIO_ID_BALLOON: 5n,
  VIRTIO_ID_IOMEM: 6n,
  VIRTIO_ID_RPMSG: 7n,
  VIRTIO_ID_SCSI: 8n,
  VIRTIO_ID_9P: 9n,
  VIRTIO_ID_GPU: 16n,
  VIRTIO_ID_INPUT: 18n,
  VIRTIO_ID_VSOCK: 19n,
  VIRTIO_ID_CRYPTO: 20n,
  VIRTIO_ID_IOMMU: 23n,
  VIRTIO_ID_MEM: 24n,
  VIRTIO_ID_SOUND: 25n,
  VIRTIO_ID_FS: 26n,
  VIRTIO_ID_PMEM: 27n,
  VIRTIO_ID_I2C_ADAPTER: 34n,
  VIRTIO_ID_GPIO: 41n,
};

/** Device IDs as an EnumSet (GET_DEVICE_ID prints `NET`). */
export const VIRTIO_ID_ENUM = enumOf("VIRTIO_ID_", VIRTIO_ID);

/** Bit-number → 1<<n masks for a record of bit numbers. */
export function bitMask(bits: Readonly<Record<string, bigint>>, names: readonly string[]): bigint {
  let m = 0n;
  for (const n of names) {
    const b = bits[n];
    if (b === undefined) throw new RangeError(`unknown feature ${n}`);
    m |= 1n << b;
  }
  return m;
}

const SRC = "include/uapi/linux/virtio_config.h";
const CONSTANTS: ConstGroup[] = [
  {
    group: "VIRTIO_CONFIG_S",
    doc: "virtio device status bits (vhost-vdpa.md §3)",
    source: SRC,
    values: VIRTIO_CONFIG_S,
  },
  {
    group: "VIRTIO_F",
    doc: "virtio transport feature bit NUMBERS (use 1 << VIRTIO_F_VERSION_1)",
    source: `${SRC}, include/uapi/linux/virtio_ring.h`,
    values: VIRTIO_F,
  },
  {
    group: "VIRTIO_ID",
    doc: "virtio device IDs",
    source: "include/uapi/linux/virtio_ids.h",
    values: VIRTIO_ID,
  },
];
registerUapi({ constants: CONSTANTS });
