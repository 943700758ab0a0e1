/**
 * include/uapi/linux/vhost.h: the vhost ioctls (type 0xAF, `VHOST_VIRTIO`)
 * that vhost-vdpa answers — the generic vhost ones, the seed's VHOST_VDPA_*
 * (0x70–0x76) and the post-seed ones real clients use. Numbers, sizes and
 * directions are the reference table's (vhost-vdpa.md §1); each definition
 * carries its errno rules with their sources for `help`.
 *
 * @example
 * ```ts
 * import { VHOST_VDPA_SET_STATUS } from "./vhost.ts";
 * import { ioctlNumber } from "../../../kernel/uapi.ts";
 * console.log(ioctlNumber(VHOST_VDPA_SET_STATUS, "x86_64").toString(16)); // "4001af72"
 * ```
 * @module
 */
import { defineStruct } from "../../../kernel/layout.ts";
import { IO, type IoctlDef, IOR, IOW, IOWR } from "../../../kernel/uapi.ts";
import { registerUapi } from "../../../kernel/uapi_registry.ts";
import { VIRTIO_ID_ENUM, VIRTIO_STATUS_FLAGS } from "./virtio_config.ts";
import {
  BACKEND_FLAGS,
  vhost_memory,
  vhost_vdpa_iova_range,
  vhost_vring_addr,
  vhost_vring_file,
  vhost_vring_state,
} from "./vhost_types.ts";

export const VHOST_VIRTIO = 0xAF;
const SRC = "include/uapi/linux/vhost.h";
const SEED = "002 vhost: introduce vDPA based backend (Tiwei Bie, Feb 2020)";
const R = "vhost-vdpa.md";
const FD = "vhost-vdpa";

/**
 * The argument struct scripts use for GET/SET_CONFIG: the 8-byte header the
 * number encodes, plus room for the largest config (24 bytes) so the bytes
 * the kernel writes land in the caller's buffer.
 */
export const vhost_vdpa_config_arg = defineStruct("vhost_vdpa_config", [
  ["off", "u32"],
  ["len", "u32"],
  ["buf", { array: "u8", count: 24 }],
], { doc: "header (off, len) + buf[len]; buf sized for the whole virtio_net_config" });

const OWNER_EPERM =
  `EPERM: no owner, or the caller is not the owner (vhost_dev_check_owner; ${R} §4.1)`;
const IDX_ERRS = [
  `EFAULT: the u32 index at arg is unreadable (get_user in vhost_vdpa_vring_ioctl; ${R} §4.2)`,
  `ENOBUFS: index ≥ nvqs (2 on the seed; the device's count on mainline) (${R} §4.2)`,
  `EBUSY: seed only — before FEATURES_OK or after DRIVER_OK (seed vhost_vdpa_vring_ioctl; dropped before merge, ${R} §4.2)`,
];
const READY_EBUSY =
  `EBUSY: seed only — the vq is ready (SET_VRING_ENABLE 1) (seed vhost_vdpa_vring_ioctl; ${R} §4.2)`;

export const VHOST_GET_FEATURES = IOR("VHOST_GET_FEATURES", VHOST_VIRTIO, 0x00, 8, {
  kind: "ptr",
  type: "u64",
  io: "out",
  name: "features",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc:
    "Device feature bits. Seed and v5.7: the device's features AND the per-type allowlist (net: 0x8000_0017_3901_FFAB); later: the raw device features.",
  errors: [`EFAULT: bad pointer (${R} §4.2)`],
});
export const VHOST_SET_FEATURES = IOW("VHOST_SET_FEATURES", VHOST_VIRTIO, 0x00, 8, {
  kind: "ptr",
  type: "u64",
  io: "in",
  name: "features",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc: "Driver (acked) features. vdpa_sim requires VIRTIO_F_ACCESS_PLATFORM (bit 33).",
  errors: [
    `EBUSY: the device already has FEATURES_OK (vhost_vdpa_set_features; ${R} §4.2)`,
    `EINVAL: seed/v5.7 — a bit outside the allowlist (seed vhost_vdpa_set_features; ${R} §4.2)`,
    `EINVAL: the device refuses (vdpa_sim: ACCESS_PLATFORM missing) (${R} §5)`,
  ],
});
export const VHOST_SET_OWNER = IO("VHOST_SET_OWNER", VHOST_VIRTIO, 0x01, { kind: "none" }, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc: "Make the calling process (its mm) the owner; most other vhost calls then require it.",
  errors: [`EBUSY: there already is an owner (vhost_dev_set_owner; ${R} §4.3)`],
});
export const VHOST_RESET_OWNER = IO("VHOST_RESET_OWNER", VHOST_VIRTIO, 0x02, { kind: "none" }, {
  fd: FD,
  source: SRC,
  doc:
    "Not handled by vhost-vdpa or vhost_dev_ioctl: it falls through to the vring path, which reads a u32 index at arg first.",
  errors: [
    OWNER_EPERM,
    `EFAULT: arg (0) is not a readable pointer (vring path; ${R} §4.1)`,
    `ENOTTY: otherwise (ENOIOCTLCMD → ENOTTY, fs/ioctl.c; ${R} §4.1)`,
  ],
});
export const VHOST_SET_MEM_TABLE = IOW("VHOST_SET_MEM_TABLE", VHOST_VIRTIO, 0x03, 8, {
  kind: "struct",
  struct: vhost_memory,
  io: "in",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc:
    "Guest memory table (GPA → userspace address). Seed: handed to the device's set_map. Merged kernels store it and never use it (IOTLB messages instead).",
  errors: [
    OWNER_EPERM,
    `EOPNOTSUPP: padding ≠ 0 (vhost_set_memory; ${R} §4.3)`,
    `E2BIG: nregions > max_mem_regions (64) (vhost_set_memory; ${R} §4.3)`,
    `EFAULT: regions unreadable, a zero-sized region, or a range userspace cannot access (vhost_set_memory; ${R} §4.3)`,
  ],
});
export const VHOST_SET_LOG_BASE = IOW("VHOST_SET_LOG_BASE", VHOST_VIRTIO, 0x04, 8, {
  kind: "ptr",
  type: "u64",
  io: "in",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc: "Dirty log base. vhost-vdpa answers ENOIOCTLCMD on purpose, so userspace sees ENOTTY.",
  errors: [`ENOTTY: always on vhost-vdpa (seed and every merged version; ${R} §4.1)`],
});
export const VHOST_SET_LOG_FD = IOW("VHOST_SET_LOG_FD", VHOST_VIRTIO, 0x07, 4, {
  kind: "ptr",
  type: "s32",
  io: "in",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc: "Dirty log eventfd. Not supported by vhost-vdpa (ENOTTY).",
  errors: [`ENOTTY: always on vhost-vdpa (${R} §4.1)`],
});
export const VHOST_SET_VRING_NUM = IOW("VHOST_SET_VRING_NUM", VHOST_VIRTIO, 0x10, 8, {
  kind: "struct",
  struct: vhost_vring_state,
  io: "in",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc:
    "Queue size of vq `index`. Not compared with GET_VRING_NUM; the seed-era simulator even ignores it (fixed 256).",
  errors: [
    OWNER_EPERM,
    ...IDX_ERRS,
    READY_EBUSY,
    `EINVAL: num = 0, num > 0xFFFF, or not a power of two (vhost_vring_set_num; ${R} §4.3)`,
  ],
});
export const VHOST_SET_VRING_ADDR = IOW("VHOST_SET_VRING_ADDR", VHOST_VIRTIO, 0x11, 40, {
  kind: "struct",
  struct: vhost_vring_addr,
  io: "in",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc:
    "Ring addresses (IOVAs for vDPA): descriptor table, used ring, available ring. Note used comes before avail in the struct.",
  errors: [
    OWNER_EPERM,
    ...IDX_ERRS,
    READY_EBUSY,
    `EOPNOTSUPP: flags other than VHOST_VRING_F_LOG (vhost_vring_set_addr; ${R} §4.3)`,
    `EINVAL: avail not 2-aligned, used or log not 4-aligned (vhost_vring_set_addr; ${R} §4.3)`,
    `EINVAL: mainline — DRIVER_OK set and not suspended (stored by the core, not pushed) (${R} §4.2 KNOW gate)`,
  ],
});
export const VHOST_SET_VRING_BASE = IOW("VHOST_SET_VRING_BASE", VHOST_VIRTIO, 0x12, 8, {
  kind: "struct",
  struct: vhost_vring_state,
  io: "in",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc: "Next available index the device will read (split ring).",
  errors: [
    OWNER_EPERM,
    ...IDX_ERRS,
    READY_EBUSY,
    `EINVAL: num > 0xFFFF (split ring) (vhost_vring_ioctl; ${R} §4.3)`,
    `EINVAL: mainline — DRIVER_OK set and not suspended (${R} §4.2 KNOW gate)`,
    `EINVAL: seed — the device's set_vq_state failed; mainline returns the device's own error (${R} §4.2)`,
  ],
});
export const VHOST_GET_VRING_BASE = IOWR("VHOST_GET_VRING_BASE", VHOST_VIRTIO, 0x12, 8, {
  kind: "struct",
  struct: vhost_vring_state,
  io: "inout",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc: "The device's next available index (read from the device first, then reported by the core).",
  errors: [OWNER_EPERM, ...IDX_ERRS, READY_EBUSY],
});
export const VHOST_SET_VRING_KICK = IOW("VHOST_SET_VRING_KICK", VHOST_VIRTIO, 0x20, 8, {
  kind: "struct",
  struct: vhost_vring_file,
  io: "in",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc:
    "eventfd the driver signals to kick vq `index`; vhost polls it and calls the device's kick_vq. fd -1 unbinds.",
  errors: [
    OWNER_EPERM,
    ...IDX_ERRS,
    READY_EBUSY,
    `EBADF: fd not open (eventfd_fget; ${R} §4.3)`,
    `EINVAL: fd is not an eventfd (${R} §4.3)`,
  ],
});
export const VHOST_SET_VRING_CALL = IOW("VHOST_SET_VRING_CALL", VHOST_VIRTIO, 0x21, 8, {
  kind: "struct",
  struct: vhost_vring_file,
  io: "in",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc:
    "eventfd the device signals when it used buffers of vq `index`. fd -1 unbinds. QEMU sends it at init, before features — which the seed's gate refuses.",
  errors: [
    OWNER_EPERM,
    ...IDX_ERRS,
    READY_EBUSY,
    `EBADF: fd not open (eventfd_ctx_fdget; ${R} §4.3)`,
    `EINVAL: fd is not an eventfd (${R} §4.3)`,
  ],
});
export const VHOST_SET_VRING_ERR = IOW("VHOST_SET_VRING_ERR", VHOST_VIRTIO, 0x22, 8, {
  kind: "struct",
  struct: vhost_vring_file,
  io: "in",
}, {
  fd: FD,
  source: SRC,
  doc: "Error eventfd of vq `index`; accepted by the core, never signalled by vhost-vdpa.",
  errors: [
    OWNER_EPERM,
    ...IDX_ERRS,
    READY_EBUSY,
    `EBADF / EINVAL: as for SET_VRING_CALL (${R} §4.3)`,
  ],
});
export const VHOST_SET_VRING_BUSYLOOP_TIMEOUT = IOW(
  "VHOST_SET_VRING_BUSYLOOP_TIMEOUT",
  VHOST_VIRTIO,
  0x23,
  8,
  { kind: "struct", struct: vhost_vring_state, io: "in" },
  {
    fd: FD,
    source: SRC,
    doc:
      "Busy-poll timeout (µs) of vq `index`: stored by the vhost core (vhost_vring_ioctl), used only by vhost-net's polling.",
    errors: [OWNER_EPERM, ...IDX_ERRS, READY_EBUSY],
  },
);
export const VHOST_GET_VRING_BUSYLOOP_TIMEOUT = IOW(
  "VHOST_GET_VRING_BUSYLOOP_TIMEOUT",
  VHOST_VIRTIO,
  0x24,
  8,
  { kind: "struct", struct: vhost_vring_state, io: "inout" },
  {
    fd: FD,
    source: SRC,
    doc:
      "The busy-poll timeout of vq `index`. Declared _IOW in the uapi although the kernel writes the answer back.",
    errors: [OWNER_EPERM, ...IDX_ERRS, READY_EBUSY],
  },
);
export const VHOST_SET_BACKEND_FEATURES = IOW("VHOST_SET_BACKEND_FEATURES", VHOST_VIRTIO, 0x25, 8, {
  kind: "ptr",
  type: "u64",
  io: "in",
  flags: BACKEND_FLAGS,
}, {
  fd: FD,
  source: SRC,
  doc:
    "Backend features (1 << VHOST_BACKEND_F_*). Post-seed: handled by vhost-vdpa from ~v5.10; no owner needed.",
  errors: [
    `EOPNOTSUPP: unknown bit, or SUSPEND/RESUME/DESC_ASID/IOTLB_PERSIST the device cannot do (vhost_vdpa_unlocked_ioctl; ${R} §4.2)`,
    `EINVAL: DESC_ASID without IOTLB_ASID (${R} §4.2)`,
    `seed profile: not handled — vhost core path (EPERM without owner, then the vring index read, then ENOTTY)`,
  ],
});
export const VHOST_GET_BACKEND_FEATURES = IOR("VHOST_GET_BACKEND_FEATURES", VHOST_VIRTIO, 0x26, 8, {
  kind: "ptr",
  type: "u64",
  io: "out",
  flags: BACKEND_FLAGS,
}, {
  fd: FD,
  source: SRC,
  doc:
    "Backend features vhost-vdpa offers: MSG_V2, BATCH, ASID plus what the device supports (vdpa_sim: 0x17E).",
  errors: [`seed profile: not handled (see VHOST_SET_BACKEND_FEATURES)`],
});
export const VHOST_VDPA_GET_DEVICE_ID = IOR("VHOST_VDPA_GET_DEVICE_ID", VHOST_VIRTIO, 0x70, 4, {
  kind: "ptr",
  type: "u32",
  io: "out",
  enum: VIRTIO_ID_ENUM,
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc: "virtio device ID (1 = net). No owner needed.",
  errors: [`EFAULT: bad pointer`],
});
export const VHOST_VDPA_GET_STATUS = IOR("VHOST_VDPA_GET_STATUS", VHOST_VIRTIO, 0x71, 1, {
  kind: "ptr",
  type: "u8",
  io: "out",
  flags: VIRTIO_STATUS_FLAGS,
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc: "virtio device status (VIRTIO_CONFIG_S_*). No owner needed.",
  errors: [`EFAULT: bad pointer`],
});
export const VHOST_VDPA_SET_STATUS = IOW("VHOST_VDPA_SET_STATUS", VHOST_VIRTIO, 0x72, 1, {
  kind: "ptr",
  type: "u8",
  io: "in",
  flags: VIRTIO_STATUS_FLAGS,
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc:
    "Set the status. Bits only accumulate; 0 resets the device. DRIVER_OK without FEATURES_OK is accepted.",
  errors: [
    `EINVAL: new ≠ 0 and a current bit is missing from it (seed vhost_vdpa_set_status; ${R} §4.2)`,
    `EFAULT: bad pointer`,
  ],
});
export const VHOST_VDPA_GET_CONFIG = IOR("VHOST_VDPA_GET_CONFIG", VHOST_VIRTIO, 0x73, 8, {
  kind: "struct",
  struct: vhost_vdpa_config_arg,
  io: "inout",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc:
    "Read len bytes of the device config at off into buf. Encoded _IOR, but the kernel also reads off/len from the caller.",
  errors: [
    `EINVAL: len = 0 (vhost_vdpa_config_validate; ${R} §4.2)`,
    `EINVAL: len > size − off — the helper says E2BIG but the caller returns EINVAL (${R} §4.2); size = 17 (seed virtio_net_config) / 24 (mainline)`,
    `EINVAL: mainline — off > size (${R} §4.2)`,
  ],
});
export const VHOST_VDPA_SET_CONFIG = IOW("VHOST_VDPA_SET_CONFIG", VHOST_VIRTIO, 0x74, 8, {
  kind: "struct",
  struct: vhost_vdpa_config_arg,
  io: "in",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc:
    "Write len bytes of buf into the device config at off (the seed-era vdpa_sim ignores writes; the current one stores them).",
  errors: [`EINVAL: same validation as GET_CONFIG (${R} §4.2)`],
});
export const VHOST_VDPA_SET_VRING_ENABLE = IOW(
  "VHOST_VDPA_SET_VRING_ENABLE",
  VHOST_VIRTIO,
  0x75,
  8,
  { kind: "struct", struct: vhost_vring_state, io: "in" },
  {
    fd: FD,
    source: SRC,
    seed: SEED,
    doc: "num ≠ 0 makes vq `index` ready, 0 not ready. No status check on mainline.",
    errors: [OWNER_EPERM, ...IDX_ERRS],
  },
);
export const VHOST_VDPA_GET_VRING_NUM = IOR("VHOST_VDPA_GET_VRING_NUM", VHOST_VIRTIO, 0x76, 2, {
  kind: "ptr",
  type: "u16",
  io: "out",
}, {
  fd: FD,
  source: SRC,
  seed: SEED,
  doc: "The device's maximum queue size (vdpa_sim: 256). No owner needed.",
  errors: [`EFAULT: bad pointer`],
});
export const VHOST_VDPA_SET_CONFIG_CALL = IOW("VHOST_VDPA_SET_CONFIG_CALL", VHOST_VIRTIO, 0x77, 4, {
  kind: "ptr",
  type: "s32",
  io: "in",
}, {
  fd: FD,
  source: SRC,
  doc: "Post-seed: eventfd for config-change interrupts (vdpa_sim never raises one).",
  errors: [
    `EBADF / EINVAL: fd not open / not an eventfd; the eventfd bound before is dropped either way (vhost_vdpa_set_config_call swaps first; ${R} §4.3)`,
  ],
});
export const VHOST_VDPA_GET_IOVA_RANGE = IOR("VHOST_VDPA_GET_IOVA_RANGE", VHOST_VIRTIO, 0x78, 16, {
  kind: "struct",
  struct: vhost_vdpa_iova_range,
  io: "out",
}, {
  fd: FD,
  source: SRC,
  doc: "Post-seed (~v5.10): usable IOVA range, inclusive (vdpa_sim: 0..U64_MAX).",
  errors: [`EFAULT: bad pointer`],
});
export const VHOST_VDPA_GET_CONFIG_SIZE = IOR("VHOST_VDPA_GET_CONFIG_SIZE", VHOST_VIRTIO, 0x79, 4, {
  kind: "ptr",
  type: "u32",
  io: "out",
}, {
  fd: FD,
  source: SRC,
  doc: "Post-seed: size of the device config (vdpa_sim_net: 24).",
  errors: [`EFAULT: bad pointer`],
});
export const VHOST_VDPA_GET_AS_NUM = IOR("VHOST_VDPA_GET_AS_NUM", VHOST_VIRTIO, 0x7A, 4, {
  kind: "ptr",
  type: "u32",
  io: "out",
}, {
  fd: FD,
  source: SRC,
  doc: "Post-seed: number of address spaces (vdpa_sim_net: 2).",
  errors: [],
});
export const VHOST_VDPA_GET_VRING_GROUP = IOWR(
  "VHOST_VDPA_GET_VRING_GROUP",
  VHOST_VIRTIO,
  0x7B,
  8,
  { kind: "struct", struct: vhost_vring_state, io: "inout" },
  {
    fd: FD,
    source: SRC,
    doc: "Post-seed: the group of vq `index` (vdpa_sim_net: data vqs 0, CVQ 1).",
    errors: [
      OWNER_EPERM,
      `ENOBUFS: index ≥ nvqs`,
      `EOPNOTSUPP: no get_vq_group op`,
      `EIO: device answer ≥ ngroups (${R} §4.2)`,
    ],
  },
);
export const VHOST_VDPA_SET_GROUP_ASID = IOW("VHOST_VDPA_SET_GROUP_ASID", VHOST_VIRTIO, 0x7C, 8, {
  kind: "struct",
  struct: vhost_vring_state,
  io: "in",
}, {
  fd: FD,
  source: SRC,
  doc: "Post-seed: bind group `index` to address space `num`.",
  errors: [
    OWNER_EPERM,
    `ENOBUFS: index ≥ nvqs`,
    `EINVAL: num ≥ nas (${R} §4.2)`,
    `EOPNOTSUPP: no set_group_asid op`,
  ],
});
export const VHOST_VDPA_SUSPEND = IO("VHOST_VDPA_SUSPEND", VHOST_VIRTIO, 0x7D, { kind: "none" }, {
  fd: FD,
  source: SRC,
  doc: "Post-seed: stop the datapath keeping state. A no-op without DRIVER_OK.",
  errors: [`EOPNOTSUPP: the device has no suspend op (${R} §4.2)`],
});
export const VHOST_VDPA_RESUME = IO("VHOST_VDPA_RESUME", VHOST_VIRTIO, 0x7E, { kind: "none" }, {
  fd: FD,
  source: SRC,
  doc: "Post-seed: restart after SUSPEND; kicks held while suspended are replayed (vdpa_sim).",
  errors: [`EOPNOTSUPP: the device has no resume op (${R} §4.2)`],
});
export const VHOST_VDPA_GET_VRING_DESC_GROUP = IOWR(
  "VHOST_VDPA_GET_VRING_DESC_GROUP",
  VHOST_VIRTIO,
  0x7F,
  8,
  { kind: "struct", struct: vhost_vring_state, io: "inout" },
  {
    fd: FD,
    source: SRC,
    doc: "Post-seed: descriptor group of vq `index`.",
    errors: [
      OWNER_EPERM,
      `EOPNOTSUPP: DESC_ASID not negotiated or no op (vdpa_sim has none) (${R} §4.2)`,
    ],
  },
);
export const VHOST_VDPA_GET_VQS_COUNT = IOR("VHOST_VDPA_GET_VQS_COUNT", VHOST_VIRTIO, 0x80, 4, {
  kind: "ptr",
  type: "u32",
  io: "out",
}, {
  fd: FD,
  source: SRC,
  doc: "Post-seed: number of virtqueues (vdpa_sim_net: 3 = RX, TX, CVQ).",
  errors: [],
});
export const VHOST_VDPA_GET_GROUP_NUM = IOR("VHOST_VDPA_GET_GROUP_NUM", VHOST_VIRTIO, 0x81, 4, {
  kind: "ptr",
  type: "u32",
  io: "out",
}, {
  fd: FD,
  source: SRC,
  doc: "Post-seed: number of vq groups (vdpa_sim_net: 2).",
  errors: [],
});
export const VHOST_VDPA_GET_VRING_SIZE = IOWR("VHOST_VDPA_GET_VRING_SIZE", VHOST_VIRTIO, 0x82, 8, {
  kind: "struct",
  struct: vhost_vring_state,
  io: "inout",
}, {
  fd: FD,
  source: SRC,
  doc: "Post-seed: the size of vq `index`.",
  errors: [
    OWNER_EPERM,
    `EOPNOTSUPP: no get_vq_size op (vdpa_sim with batch mapping has none) (${R} §5)`,
  ],
});

/** Every vhost ioctl vhost-vdpa knows on the mainline profile. */
export const VHOST_IOCTLS: readonly IoctlDef[] = [
  VHOST_GET_FEATURES,
  VHOST_SET_FEATURES,
  VHOST_SET_OWNER,
  VHOST_RESET_OWNER,
  VHOST_SET_MEM_TABLE,
  VHOST_SET_LOG_BASE,
  VHOST_SET_LOG_FD,
  VHOST_SET_VRING_NUM,
  VHOST_SET_VRING_ADDR,
  VHOST_SET_VRING_BASE,
  VHOST_GET_VRING_BASE,
  VHOST_SET_VRING_KICK,
  VHOST_SET_VRING_CALL,
  VHOST_SET_VRING_ERR,
  VHOST_SET_VRING_BUSYLOOP_TIMEOUT,
  VHOST_GET_VRING_BUSYLOOP_TIMEOUT,
  VHOST_SET_BACKEND_FEATURES,
  VHOST_GET_BACKEND_FEATURES,
  VHOST_VDPA_GET_DEVICE_ID,
  VHOST_VDPA_GET_STATUS,
  VHOST_VDPA_SET_STATUS,
  VHOST_VDPA_GET_CONFIG,
  VHOST_VDPA_SET_CONFIG,
  VHOST_VDPA_SET_VRING_ENABLE,
  VHOST_VDPA_GET_VRING_NUM,
  VHOST_VDPA_SET_CONFIG_CALL,
  VHOST_VDPA_GET_IOVA_RANGE,
  VHOST_VDPA_GET_CONFIG_SIZE,
  VHOST_VDPA_GET_AS_NUM,
  VHOST_VDPA_GET_VRING_GROUP,
  VHOST_VDPA_SET_GROUP_ASID,
  VHOST_VDPA_SUSPEND,
  VHOST_VDPA_RESUME,
  VHOST_VDPA_GET_VRING_DESC_GROUP,
  VHOST_VDPA_GET_VQS_COUNT,
  VHOST_VDPA_GET_GROUP_NUM,
  VHOST_VDPA_GET_VRING_SIZE,
];

/** The ioctls the seed defines (generic vhost ones it answers + 0x70–0x76). */
export const VHOST_SEED_IOCTLS: readonly IoctlDef[] = VHOST_IOCTLS.filter((d) =>
  d.seed !== undefined || d === VHOST_RESET_OWNER || d === VHOST_SET_VRING_ERR ||
  d === VHOST_SET_VRING_BUSYLOOP_TIMEOUT || d === VHOST_GET_VRING_BUSYLOOP_TIMEOUT
);

registerUapi({ ioctls: VHOST_IOCTLS, structs: [vhost_vdpa_config_arg] });
