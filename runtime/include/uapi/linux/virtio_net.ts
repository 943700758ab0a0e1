/**
 * include/uapi/linux/virtio_net.h: feature bits, the device config space
 * (17 bytes at seed time, 24 with the RSS fields added later in 2020), the
 * per-packet header and the control-queue commands vdpa_sim_net answers
 * (vhost-vdpa.md §3, §5).
 *
 * @example
 * ```ts
 * import { virtio_net_config_seed, virtio_net_config, VIRTIO_NET_HDR_V1_LEN } from "./virtio_net.ts";
 * console.log(virtio_net_config_seed.size, virtio_net_config.size, VIRTIO_NET_HDR_V1_LEN); // 17 24 12
 * ```
 * @module
 */
import { defineStruct } from "../../../kernel/layout.ts";
import { type ConstGroup } from "../../../kernel/uapi.ts";
import { registerUapi } from "../../../kernel/uapi_registry.ts";

/** Net feature bit numbers. */
export const VIRTIO_NET_F: Readonly<Record<string, bigint>> = {
  VIRTIO_NET_F_CSUM: 0n,
  VIRTIO_NET_F_GUEST_CSUM: 1n,
  VIRTIO_NET_F_CTRL_GUEST_OFFLOADS: 2n,
  VIRTIO_NET_F_MTU: 3n,
  VIRTIO_NET_F_MAC: 5n,
  VIRTIO_NET_F_GSO: 6n,
  VIRTIO_NET_F_GUEST_TSO4: 7n,
  VIRTIO_NET_F_GUEST_TSO6: 8n,
  VIRTIO_NET_F_GUEST_ECN: 9n,
  VIRTIO_NET_F_GUEST_UFO: 10n,
  VIRTIO_NET_F_HOST_TSO4: 11n,
  VIRTIO_NET_F_HOST_TSO6: 12n,
  VIRTIO_NET_F_HOST_ECN: 13n,
  VIRTIO_NET_F_HOST_UFO: 14n,
  VIRTIO_NET_F_MRG_RXBUF: 15n,
  VIRTIO_NET_F_STATUS: 16n,
  VIRTIO_NET_F_CTRL_VQ: 17n,
  VIRTIO_NET_F_CTRL_RX: 18n,
  VIRTIO_NET_F_CTRL_VLAN: 19n,
  VIRTIO_NET_F_CTRL_RX_EXTRA: 20n,
  VIRTIO_NET_F_GUEST_ANNOUNCE: 21n,
  VIRTIO_NET_F_MQ: 22n,
  VIRTIO_NET_F_CTRL_MAC_ADDR: 23n,
  VIRTIO_NET_F_HASH_REPORT: 57n,
  VIRTIO_NET_F_RSS: 60n,
  VIRTIO_NET_F_RSC_EXT: 61n,
  VIRTIO_NET_F_STANDBY: 62n,
  VIRTIO_NET_F_SPEED_DUPLEX: 63n,
};

/** Config status bits and control-queue values. */
export const VIRTIO_NET_MISC: Readonly<Record<string, bigint>> = {
  VIRTIO_NET_S_LINK_UP: 1n,
  VIRTIO_NET_S_ANNOUNCE: 2n,
  VIRTIO_NET_OK: 0n,
  VIRTIO_NET_ERR: 1n,
  VIRTIO_NET_CTRL_MAC: 1n,
  VIRTIO_NET_CTRL_MAC_TABLE_SET: 0n,
  VIRTIO_NET_CTRL_MAC_ADDR_SET: 1n,
};

/** struct virtio_net_config as of the seed (Feb 2020): mac..duplex, 17 bytes packed. */
export const virtio_net_config_seed = defineStruct("virtio_net_config", [
  ["mac", { array: "u8", count: 6 }],
  ["status", "u16"],
  ["max_virtqueue_pairs", "u16"],
  ["mtu", "u16"],
  ["speed", "u32"],
  ["duplex", "u8"],
], { packed: true, doc: "seed-era layout (17 bytes)" });

/** struct virtio_net_config today (24 bytes, with the RSS fields). */
export const virtio_net_config = defineStruct("virtio_net_config", [
  ["mac", { array: "u8", count: 6 }],
  ["status", "u16"],
  ["max_virtqueue_pairs", "u16"],
  ["mtu", "u16"],
  ["speed", "u32"],
  ["duplex", "u8"],
  ["rss_max_key_size", "u8"],
  ["rss_max_indirection_table_length", "u16"],
  ["supported_hash_types", "u32"],
], { packed: true });

/** sizeof(struct virtio_net_hdr_v1) (VERSION_1: has num_buffers). */
export const VIRTIO_NET_HDR_V1_LEN = 12;
/** sizeof(struct virtio_net_hdr) (legacy). */
export const VIRTIO_NET_HDR_LEN = 10;

const SRC = "include/uapi/linux/virtio_net.h";
const CONSTANTS: ConstGroup[] = [
  {
    group: "VIRTIO_NET_F",
    doc: "virtio-net feature bit NUMBERS (vhost-vdpa.md §3)",
    source: SRC,
    values: VIRTIO_NET_F,
  },
  {
    group: "VIRTIO_NET_MISC",
    doc: "virtio-net config status and control-queue values",
    source: SRC,
    values: VIRTIO_NET_MISC,
  },
];
registerUapi({ constants: CONSTANTS, structs: [virtio_net_config] });
