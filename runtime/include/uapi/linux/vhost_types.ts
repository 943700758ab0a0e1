/**
 * include/uapi/linux/vhost_types.h: the structs vhost ioctls carry and the
 * IOTLB message written to a vhost fd, with their constants
 * (vhost-vdpa.md §2). Layouts are LP64 little-endian; sizes match the
 * compile check in the reference.
 *
 * @example
 * ```ts
 * import { vhost_vring_addr, vhost_msg_v2 } from "./vhost_types.ts";
 * console.log(vhost_vring_addr.size, vhost_msg_v2.size); // 40 72
 * ```
 * @module
 */
import { defineStruct } from "../../../kernel/layout.ts";
import { type ConstGroup, enumOf, flagsOf } from "../../../kernel/uapi.ts";
import { registerUapi } from "../../../kernel/uapi_registry.ts";

/** IOTLB message types, access permissions and envelope types. */
export const VHOST_IOTLB: Readonly<Record<string, bigint>> = {
  VHOST_IOTLB_MISS: 1n,
  VHOST_IOTLB_UPDATE: 2n,
  VHOST_IOTLB_INVALIDATE: 3n,
  VHOST_IOTLB_ACCESS_FAIL: 4n,
  VHOST_IOTLB_BATCH_BEGIN: 5n,
  VHOST_IOTLB_BATCH_END: 6n,
};
export const VHOST_ACCESS: Readonly<Record<string, bigint>> = {
  VHOST_ACCESS_RO: 1n,
  VHOST_ACCESS_WO: 2n,
  VHOST_ACCESS_RW: 3n,
};
export const VHOST_MSG: Readonly<Record<string, bigint>> = {
  VHOST_IOTLB_MSG: 1n,
  VHOST_IOTLB_MSG_V2: 2n,
};
/** Backend feature bit NUMBERS (used as 1 << n). */
export const VHOST_BACKEND_F: Readonly<Record<string, bigint>> = {
  VHOST_BACKEND_F_IOTLB_MSG_V2: 1n,
  VHOST_BACKEND_F_IOTLB_BATCH: 2n,
  VHOST_BACKEND_F_IOTLB_ASID: 3n,
  VHOST_BACKEND_F_SUSPEND: 4n,
  VHOST_BACKEND_F_RESUME: 5n,
  VHOST_BACKEND_F_ENABLE_AFTER_DRIVER_OK: 6n,
  VHOST_BACKEND_F_DESC_ASID: 7n,
  VHOST_BACKEND_F_IOTLB_PERSIST: 8n,
};
export const VHOST_MISC: Readonly<Record<string, bigint>> = {
  VHOST_F_LOG_ALL: 26n,
  VHOST_NET_F_VIRTIO_NET_HDR: 27n,
  VHOST_PAGE_SIZE: 0x1000n,
  VHOST_FILE_UNBIND: -1n,
  VHOST_VRING_F_LOG: 0n,
};

/** Backend features as 1<<n masks, for FlagSets and code. */
export const VHOST_BACKEND_MASKS: Readonly<Record<string, bigint>> = Object.fromEntries(
  Object.entries(VHOST_BACKEND_F).map(([k, v]) => [k, 1n << v]),
);
export const BACKEND_FLAGS = flagsOf("VHOST_BACKEND_F_", VHOST_BACKEND_MASKS);

export const vhost_vring_state = defineStruct("vhost_vring_state", [["index", "u32"], [
  "num",
  "u32",
]]);
export const vhost_vring_file = defineStruct("vhost_vring_file", [["index", "u32"], ["fd", "s32"]]);
export const vhost_vring_addr = defineStruct("vhost_vring_addr", [
  ["index", "u32"],
  ["flags", "u32"],
  ["desc_user_addr", "u64", { hex: true }],
  ["used_user_addr", "u64", { hex: true }],
  ["avail_user_addr", "u64", { hex: true }],
  ["log_guest_addr", "u64", { hex: true }],
]);
export const vhost_memory_region = defineStruct("vhost_memory_region", [
  ["guest_phys_addr", "u64", { hex: true }],
  ["memory_size", "u64", { hex: true }],
  ["userspace_addr", "u64", { hex: true }],
  ["flags_padding", "u64"],
]);
export const vhost_memory = defineStruct(
  "vhost_memory",
  [["nregions", "u32"], ["padding", "u32"]],
  {
    tail: { name: "regions", elem: vhost_memory_region, countField: "nregions" },
  },
);
export const vhost_vdpa_config = defineStruct(
  "vhost_vdpa_config",
  [["off", "u32"], ["len", "u32"]],
  {
    tail: { name: "buf", elem: "u8", countField: "len" },
  },
);
export const vhost_vdpa_iova_range = defineStruct("vhost_vdpa_iova_range", [
  ["first", "u64", { hex: true, out: true }],
  ["last", "u64", { hex: true, out: true }],
]);
export const vhost_iotlb_msg = defineStruct("vhost_iotlb_msg", [
  ["iova", "u64", { hex: true }],
  ["size", "u64", { hex: true }],
  ["uaddr", "u64", { hex: true }],
  ["perm", "u8", { enum: enumOf("VHOST_ACCESS_", VHOST_ACCESS) }],
  ["type", "u8", { enum: enumOf("VHOST_IOTLB_", VHOST_IOTLB) }],
  ["pad", { array: "u8", count: 6 }],
]);
export const vhost_msg_v2 = defineStruct("vhost_msg_v2", [
  ["type", "u32", { enum: enumOf("VHOST_", VHOST_MSG) }],
  ["asid", "u32"],
  ["iotlb", { struct: vhost_iotlb_msg }],
  ["padding", { array: "u8", count: 32 }],
]);
export const vhost_msg = defineStruct("vhost_msg", [
  ["type", "s32", { enum: enumOf("VHOST_", VHOST_MSG) }],
  ["pad0", "u32"],
  ["iotlb", { struct: vhost_iotlb_msg }],
  ["padding", { array: "u8", count: 32 }],
]);

const SRC = "include/uapi/linux/vhost_types.h";
const CONSTANTS: ConstGroup[] = [
  {
    group: "VHOST_IOTLB",
    doc: "IOTLB message types (vhost_iotlb_msg.type)",
    source: SRC,
    values: VHOST_IOTLB,
  },
  {
    group: "VHOST_ACCESS",
    doc: "IOTLB permissions (vhost_iotlb_msg.perm)",
    source: SRC,
    values: VHOST_ACCESS,
  },
  {
    group: "VHOST_MSG",
    doc: "message envelope types written to a vhost fd",
    source: SRC,
    values: VHOST_MSG,
  },
  {
    group: "VHOST_BACKEND_F",
    doc: "backend feature bit NUMBERS (1 << n)",
    source: SRC,
    values: VHOST_BACKEND_F,
  },
  {
    group: "VHOST_MISC",
    doc: "vhost feature bits and other constants",
    source: `${SRC}, include/uapi/linux/vhost.h`,
    values: VHOST_MISC,
  },
];
registerUapi({
  constants: CONSTANTS,
  structs: [
    vhost_vring_state,
    vhost_vring_file,
    vhost_vring_addr,
    vhost_memory_region,
    vhost_memory,
    vhost_vdpa_config,
    vhost_vdpa_iova_range,
    vhost_iotlb_msg,
    vhost_msg_v2,
    vhost_msg,
  ],
});
