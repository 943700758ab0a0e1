/**
 * include/uapi/linux/vfio.h: the VFIO container, group and device ioctls, the
 * IOMMU extension numbers and the structs of the type1 and sPAPR TCE backends.
 * Every VFIO ioctl is a plain _IO (argsz lives inside the struct), so on a
 * ppc64le host they carry the powerpc "none" direction bit (0x20000000).
 * Several numbers are reused by different backends / fd types (+12, +17..+20).
 *
 * @example
 * ```ts
 * import { VFIO_GET_API_VERSION } from "./vfio.ts";
 * import { ioctlNumber } from "../../../kernel/uapi.ts";
 * console.log(ioctlNumber(VFIO_GET_API_VERSION, "ppc64le").toString(16)); // "20003b64"
 * ```
 * @module
 */
import { defineStruct } from "../../../kernel/layout.ts";
import { type ConstGroup, enumOf, flagsOf, IO } from "../../../kernel/uapi.ts";
import { registerUapi } from "../../../kernel/uapi_registry.ts";

/** ';' */
export const VFIO_TYPE = 0x3B;
/** First VFIO ioctl nr. */
export const VFIO_BASE = 100;
export const VFIO_API_VERSION = 0;
const SRC = "include/uapi/linux/vfio.h";
const REF = "spapr-tce-vfio-sva.md";

/** IOMMU types / extensions for VFIO_CHECK_EXTENSION and VFIO_SET_IOMMU (§3.1). */
export const VFIO_EXT = {
  VFIO_TYPE1_IOMMU: 1n,
  VFIO_SPAPR_TCE_IOMMU: 2n,
  VFIO_TYPE1v2_IOMMU: 3n,
  VFIO_DMA_CC_IOMMU: 4n,
  VFIO_EEH: 5n,
  VFIO_TYPE1_NESTING_IOMMU: 6n,
  VFIO_SPAPR_TCE_v2_IOMMU: 7n,
  VFIO_NOIOMMU_IOMMU: 8n,
  VFIO_UNMAP_ALL: 9n,
  VFIO_UPDATE_VADDR: 10n,
} as const;

/** vfio_group_status.flags. */
export const VFIO_GROUP_FLAGS = {
  VFIO_GROUP_FLAGS_VIABLE: 1n,
  VFIO_GROUP_FLAGS_CONTAINER_SET: 2n,
} as const;
/** vfio_iommu_type1_dma_map.flags. */
export const VFIO_DMA_MAP_FLAGS = {
  VFIO_DMA_MAP_FLAG_READ: 1n,
  VFIO_DMA_MAP_FLAG_WRITE: 2n,
  VFIO_DMA_MAP_FLAG_VADDR: 4n,
} as const;
/** vfio_iommu_type1_dma_unmap.flags. */
export const VFIO_DMA_UNMAP_FLAGS = {
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP: 1n,
  VFIO_DMA_UNMAP_FLAG_ALL: 2n,
  VFIO_DMA_UNMAP_FLAG_VADDR: 4n,
} as const;
/** vfio_iommu_type1_info.flags and capability ids. */
export const VFIO_IOMMU_INFO = {
  VFIO_IOMMU_INFO_PGSIZES: 1n,
  VFIO_IOMMU_INFO_CAPS: 2n,
  VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE: 1n,
  VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION: 2n,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL: 3n,
} as const;
/** vfio_iommu_spapr_tce_info.flags. */
export const VFIO_IOMMU_SPAPR_INFO = { VFIO_IOMMU_SPAPR_INFO_DDW: 1n } as const;
/** vfio_device_info.flags (PCI device). */
export const VFIO_DEVICE_FLAGS = {
  VFIO_DEVICE_FLAGS_RESET: 1n,
  VFIO_DEVICE_FLAGS_PCI: 2n,
  VFIO_PCI_NUM_REGIONS: 9n,
  VFIO_PCI_NUM_IRQS: 5n,
} as const;

const EXT_ENUM = enumOf("VFIO_", VFIO_EXT);

export const vfio_group_status = defineStruct("vfio_group_status", [
  ["argsz", "u32"],
  ["flags", "u32", { flags: flagsOf("VFIO_GROUP_FLAGS_", VFIO_GROUP_FLAGS), out: true }],
], { argsz: "argsz", doc: "argsz in; VIABLE / CONTAINER_SET out." });

export const vfio_device_info = defineStruct("vfio_device_info", [
  ["argsz", "u32"],
  ["flags", "u32", {
    flags: flagsOf("VFIO_DEVICE_FLAGS_", {
      VFIO_DEVICE_FLAGS_RESET: 1n,
      VFIO_DEVICE_FLAGS_PCI: 2n,
    }),
    out: true,
  }],
  ["num_regions", "u32", { out: true }],
  ["num_irqs", "u32", { out: true }],
  ["cap_offset", "u32", { out: true }],
  ["pad", "u32"],
], { argsz: "argsz", doc: "Device flags, region and irq counts." });

export const vfio_iommu_type1_info = defineStruct("vfio_iommu_type1_info", [
  ["argsz", "u32"],
  ["flags", "u32", {
    flags: flagsOf("VFIO_IOMMU_INFO_", { VFIO_IOMMU_INFO_PGSIZES: 1n, VFIO_IOMMU_INFO_CAPS: 2n }),
    out: true,
  }],
  ["iova_pgsizes", "u64", { hex: true, out: true }],
  ["cap_offset", "u32", { out: true }],
  ["pad", "u32"],
], {
  argsz: "argsz",
  tail: { name: "caps", elem: "u8" },
  doc: "Supported IOMMU page sizes and a capability chain.",
});

export const vfio_iommu_type1_dma_map = defineStruct("vfio_iommu_type1_dma_map", [
  ["argsz", "u32"],
  ["flags", "u32", { flags: flagsOf("VFIO_DMA_MAP_FLAG_", VFIO_DMA_MAP_FLAGS) }],
  ["vaddr", "u64", { hex: true }],
  ["iova", "u64", { hex: true }],
  ["size", "u64", { hex: true }],
], {
  argsz: "argsz",
  doc: "Map size bytes of the caller's memory at vaddr to the device address iova.",
});

export const vfio_iommu_type1_dma_unmap = defineStruct("vfio_iommu_type1_dma_unmap", [
  ["argsz", "u32"],
  ["flags", "u32", { flags: flagsOf("VFIO_DMA_UNMAP_FLAG_", VFIO_DMA_UNMAP_FLAGS) }],
  ["iova", "u64", { hex: true }],
  ["size", "u64", { hex: true, out: true }],
], {
  argsz: "argsz",
  tail: { name: "data", elem: "u8" },
  doc: "Unmap [iova, iova+size); type1 writes back the bytes unmapped in size.",
});

export const vfio_iommu_spapr_tce_ddw_info = defineStruct("vfio_iommu_spapr_tce_ddw_info", [
  ["pgsizes", "u64", { hex: true }],
  ["max_dynamic_windows_supported", "u32"],
  ["levels", "u32"],
]);

export const vfio_iommu_spapr_tce_info = defineStruct("vfio_iommu_spapr_tce_info", [
  ["argsz", "u32"],
  ["flags", "u32", { flags: flagsOf("VFIO_IOMMU_SPAPR_INFO_", VFIO_IOMMU_SPAPR_INFO), out: true }],
  ["dma32_window_start", "u32", { hex: true, out: true }],
  ["dma32_window_size", "u32", { hex: true, out: true }],
  ["ddw", { struct: vfio_iommu_spapr_tce_ddw_info }, { out: true }],
], { argsz: "argsz", doc: "The default 32-bit window and (v2, argsz ≥ 32) the DDW capabilities." });

export const vfio_iommu_spapr_register_memory = defineStruct("vfio_iommu_spapr_register_memory", [
  ["argsz", "u32"],
  ["flags", "u32"],
  ["vaddr", "u64", { hex: true }],
  ["size", "u64", { hex: true }],
], { argsz: "argsz", doc: "Pre-register (pin) [vaddr, vaddr+size) for sPAPR v2 DMA." });

export const vfio_iommu_spapr_tce_create = defineStruct("vfio_iommu_spapr_tce_create", [
  ["argsz", "u32"],
  ["flags", "u32"],
  ["page_shift", "u32"],
  ["__resv1", "u32"],
  ["window_size", "u64", { hex: true }],
  ["levels", "u32"],
  ["__resv2", "u32"],
  ["start_addr", "u64", { hex: true, out: true }],
], {
  argsz: "argsz",
  doc: "Create a DMA window; the platform picks the bus address (start_addr out).",
});

export const vfio_iommu_spapr_tce_remove = defineStruct("vfio_iommu_spapr_tce_remove", [
  ["argsz", "u32"],
  ["flags", "u32"],
  ["start_addr", "u64", { hex: true }],
], { argsz: "argsz", doc: "Remove the window containing start_addr." });

const C = { fd: "container", source: SRC };
const G = { fd: "group", source: SRC };

export const VFIO_GET_API_VERSION = IO("VFIO_GET_API_VERSION", VFIO_TYPE, VFIO_BASE + 0, {
  kind: "none",
}, {
  ...C,
  doc: "Returns VFIO_API_VERSION (0).",
  errors: [],
});
export const VFIO_CHECK_EXTENSION = IO("VFIO_CHECK_EXTENSION", VFIO_TYPE, VFIO_BASE + 1, {
  kind: "value",
  name: "ext",
  enum: EXT_ENUM,
}, {
  ...C,
  doc:
    "≥1 if the extension / IOMMU type is supported. Before SET_IOMMU every backend is polled; after, only the set one answers.",
  errors: [`(never fails; 0 = unsupported) (${REF} §3.5; drivers/vfio/container.c)`],
});
export const VFIO_SET_IOMMU = IO("VFIO_SET_IOMMU", VFIO_TYPE, VFIO_BASE + 2, {
  kind: "value",
  name: "type",
  enum: EXT_ENUM,
}, {
  ...C,
  doc:
    "Selects the IOMMU backend of the container and attaches every group already in it. There is no unset.",
  errors: [
    `EINVAL: no group in the container, or a backend is already set (${REF} §3.5; drivers/vfio/container.c vfio_ioctl_set_iommu)`,
    `ENODEV: no backend claims this type on this host (${REF} §3.5)`,
    `EPERM: sPAPR v1 on a DDW platform, or v2 without table_group ops (${REF} §3.7)`,
    `EBUSY: sPAPR v1 with a second group (${REF} §3.7)`,
  ],
});
export const VFIO_GROUP_GET_STATUS = IO("VFIO_GROUP_GET_STATUS", VFIO_TYPE, VFIO_BASE + 3, {
  kind: "struct",
  struct: vfio_group_status,
  io: "inout",
}, {
  ...G,
  doc: "flags = VIABLE (no host driver owns DMA for the group) | CONTAINER_SET.",
  errors: [`EINVAL: argsz < 8 (${REF} §3.5; drivers/vfio/group.c)`, "EFAULT: bad pointer"],
});
export const VFIO_GROUP_SET_CONTAINER = IO("VFIO_GROUP_SET_CONTAINER", VFIO_TYPE, VFIO_BASE + 4, {
  kind: "ptr",
  type: "s32",
  io: "in",
  name: "container_fd",
}, {
  ...G,
  doc: "Puts the group into the container whose fd *arg is. A group is in at most one container.",
  errors: [
    `EFAULT: cannot read the int at arg (${REF} §3.5; drivers/vfio/group.c)`,
    `EBADF: the fd is not open (${REF} §3.5)`,
    `EINVAL: the group is already in a container (${REF} §3.5)`,
    `EBADFD: the fd is neither a container nor an iommufd (${REF} §3.5)`,
    `EPERM: a device of the group is bound to a host driver (not viable; iommu_group_claim_dma_owner) (${REF} §3.5)`,
    `EPERM/EBUSY: the container's backend refuses the group (sPAPR: incompatible tables → EPERM, v1 second group → EBUSY) (${REF} §3.7)`,
  ],
});
export const VFIO_GROUP_UNSET_CONTAINER = IO(
  "VFIO_GROUP_UNSET_CONTAINER",
  VFIO_TYPE,
  VFIO_BASE + 5,
  { kind: "none" },
  {
    ...G,
    doc:
      "Takes the group out of its container; the last group leaving releases the backend (mappings, windows, registrations).",
    errors: [
      `EINVAL: the group is not in a container (${REF} §3.5; drivers/vfio/group.c)`,
      `EBUSY: a device fd of the group is open (${REF} §3.5)`,
    ],
  },
);
export const VFIO_GROUP_GET_DEVICE_FD = IO("VFIO_GROUP_GET_DEVICE_FD", VFIO_TYPE, VFIO_BASE + 6, {
  kind: "string",
  name: "device",
}, {
  ...G,
  doc: "Returns a new O_CLOEXEC fd for the named device (its BDF).",
  errors: [
    `ENODEV: no device of that name in the group (${REF} §3.5; drivers/vfio/group.c)`,
    `EINVAL: the group has no container or the container no backend (${REF} §3.5)`,
    "EFAULT: bad string pointer",
  ],
});
export const VFIO_DEVICE_GET_INFO = IO("VFIO_DEVICE_GET_INFO", VFIO_TYPE, VFIO_BASE + 7, {
  kind: "struct",
  struct: vfio_device_info,
  io: "inout",
}, {
  fd: "device",
  source: SRC,
  doc: "Device flags (PCI, RESET), 9 regions, 5 irq types for vfio-pci.",
  errors: ["EINVAL: argsz < 16 (drivers/vfio/pci/vfio_pci_core.c)"],
});
export const VFIO_IOMMU_GET_INFO = IO("VFIO_IOMMU_GET_INFO", VFIO_TYPE, VFIO_BASE + 12, {
  kind: "struct",
  struct: vfio_iommu_type1_info,
  io: "inout",
}, {
  ...C,
  doc:
    "type1: page-size bitmap; mainline adds flags CAPS and a chain MIGRATION, DMA_AVAIL, IOVA_RANGE at offset 24 (argsz too small: argsz raised to the size needed, cap_offset 0); seed (2016) has no chain. Same number as VFIO_IOMMU_SPAPR_TCE_GET_INFO.",
  errors: [
    `EINVAL: argsz < 16 (drivers/vfio/vfio_iommu_type1.c)`,
    "EINVAL: container has no backend (container.c)",
  ],
});
export const VFIO_IOMMU_SPAPR_TCE_GET_INFO = IO(
  "VFIO_IOMMU_SPAPR_TCE_GET_INFO",
  VFIO_TYPE,
  VFIO_BASE + 12,
  {
    kind: "struct",
    struct: vfio_iommu_spapr_tce_info,
    io: "inout",
  },
  {
    ...C,
    doc:
      "sPAPR: default 32-bit window; with v2 and argsz ≥ 32 also DDW page sizes, window count and levels.",
    errors: [
      `ENXIO: no group attached (${REF} §3.7; drivers/vfio/vfio_iommu_spapr_tce.c)`,
      `EINVAL: argsz < 16 (${REF} §3.7)`,
      `EPERM: caller's mm is not the container's (${REF} §3.7)`,
    ],
  },
);
export const VFIO_IOMMU_MAP_DMA = IO("VFIO_IOMMU_MAP_DMA", VFIO_TYPE, VFIO_BASE + 13, {
  kind: "struct",
  struct: vfio_iommu_type1_dma_map,
  io: "in",
}, {
  ...C,
  doc:
    "Map process memory for device DMA. type1 pins and tracks mappings; sPAPR writes TCEs into the window holding iova.",
  errors: [
    `EINVAL: argsz < 32, unknown flags (seed type1: VADDR too), neither READ nor WRITE (${REF} §3.6, §3.7)`,
    `ENOENT: type1 mainline — VADDR with no mapping in range; EINVAL: VADDR not exact or vaddr not invalidated (vfio_iommu_type1.c)`,
    `EINVAL: size 0 or size/iova/vaddr not aligned to the smallest IOMMU page; iova/vaddr wrap (${REF} §3.6)`,
    `EEXIST: type1 — overlaps an existing mapping (${REF} §3.6; vfio_iommu_type1.c)`,
    `ENOSPC: type1 mainline — dma_entry_limit mappings reached (${REF} §3.6)`,
    `EINVAL: type1 mainline — outside the valid IOVA ranges (${REF} §3.6)`,
    `EFAULT: type1 — vaddr range not mapped in the caller (pin failure) (${REF} §3.6)`,
    `EPERM: sPAPR — container not enabled (v2: nothing registered) (${REF} §3.7)`,
    `ENXIO: sPAPR — iova in no window (${REF} §3.7)`,
    `EINVAL: sPAPR — vaddr/size not aligned to the window's IOMMU page, iova past the window, vaddr not in registered memory (${REF} §3.7)`,
    `EPERM: sPAPR — IOMMU page larger than the backing host page (${REF} §3.7)`,
  ],
});
export const VFIO_IOMMU_UNMAP_DMA = IO("VFIO_IOMMU_UNMAP_DMA", VFIO_TYPE, VFIO_BASE + 14, {
  kind: "struct",
  struct: vfio_iommu_type1_dma_unmap,
  io: "inout",
}, {
  ...C,
  doc:
    "Unmap a range. type1 writes the bytes unmapped back into size; v2 refuses to bisect a mapping.",
  errors: [
    `EINVAL: argsz small, unknown flags (seed type1: any flag), size 0 or unaligned, UNMAP_ALL with iova/size ≠ 0 (${REF} §3.6)`,
    `EINVAL: type1 mainline — GET_DIRTY_BITMAP with ALL/VADDR or without dirty tracking; VADDR over an already invalid vaddr (vfio_iommu_type1.c)`,
    `EINVAL: TYPE1v2 — the range bisects a mapping at either end (${REF} §3.6)`,
    `EPERM: sPAPR — container not enabled (${REF} §3.7)`,
    `ENXIO: sPAPR — iova in no window (${REF} §3.7)`,
    `EINVAL: sPAPR — flags ≠ 0, size unaligned, range past the window (${REF} §3.7)`,
  ],
});
export const VFIO_IOMMU_ENABLE = IO("VFIO_IOMMU_ENABLE", VFIO_TYPE, VFIO_BASE + 15, {
  kind: "none",
}, {
  ...C,
  doc: "sPAPR v1 only: enable the container (accounts the default window as locked memory).",
  errors: [
    `EBUSY: already enabled (${REF} §3.7)`,
    `ENODEV: no group (${REF} §3.7)`,
    `ENOTTY: on a v2 container (${REF} §3.7)`,
  ],
});
export const VFIO_IOMMU_DISABLE = IO("VFIO_IOMMU_DISABLE", VFIO_TYPE, VFIO_BASE + 16, {
  kind: "none",
}, {
  ...C,
  doc: "sPAPR v1 only: disable the container.",
  errors: [`ENOTTY: on a v2 container (${REF} §3.7)`],
});
export const VFIO_IOMMU_SPAPR_REGISTER_MEMORY = IO(
  "VFIO_IOMMU_SPAPR_REGISTER_MEMORY",
  VFIO_TYPE,
  VFIO_BASE + 17,
  {
    kind: "struct",
    struct: vfio_iommu_spapr_register_memory,
    io: "in",
  },
  {
    ...C,
    doc:
      "sPAPR v2: pre-register (pin) memory; the first success enables the container. KVM's in-kernel H_PUT_TCE needs it too.",
    errors: [
      `ENOTTY: on a v1 container (${REF} §3.7)`,
      `EINVAL: flags ≠ 0, argsz < 24, vaddr/size not page aligned or wrapping (${REF} §3.7)`,
      `EBUSY: the same region is already registered by this container (${REF} §3.7)`,
      "EINVAL: overlaps a different registered region (mm_iommu_new; arch/powerpc/mm/book3s64/iommu_api.c, unverified)",
      "EFAULT: part of the range is not mapped (pinning fails)",
      "ENOMEM: size 0 (vzalloc(0) in mm_iommu_do_alloc; inferred, unverified)",
      `EPERM: caller's mm is not the container's (${REF} §3.7)`,
    ],
  },
);
export const VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY = IO(
  "VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY",
  VFIO_TYPE,
  VFIO_BASE + 18,
  {
    kind: "struct",
    struct: vfio_iommu_spapr_register_memory,
    io: "in",
  },
  {
    ...C,
    doc: "sPAPR v2: drop a pre-registration made with the same vaddr and size.",
    errors: [
      `EPERM: no mm latched yet (${REF} §3.7)`,
      `ENOENT: region not registered by this container (${REF} §3.7)`,
      `EBUSY: pages of the region are still mapped in a TCE table (${REF} §3.7, unverified)`,
      `EINVAL: flags ≠ 0 or unaligned (${REF} §3.7)`,
    ],
  },
);
export const VFIO_IOMMU_SPAPR_TCE_CREATE = IO(
  "VFIO_IOMMU_SPAPR_TCE_CREATE",
  VFIO_TYPE,
  VFIO_BASE + 19,
  {
    kind: "struct",
    struct: vfio_iommu_spapr_tce_create,
    io: "inout",
  },
  {
    ...C,
    doc:
      "sPAPR v2: create a DMA window (max 2). Window 0 sits at bus 0, window 1 at 1<<59 (IODA2); start_addr comes back.",
    errors: [
      `ENXIO: no group (${REF} §3.7)`,
      `EINVAL: flags ≠ 0, argsz < 40 (${REF} §3.7)`,
      `ENOSPC: both windows exist (IOMMU_TABLE_GROUP_MAX_TABLES = 2) (${REF} §3.7)`,
      `EINVAL: page size not in ddw.pgsizes, window size not a power of two / smaller than a page, levels 0 or > 5, table too deep (${REF} §3.7; platforms/powernv/pci-ioda-tce.c)`,
      `ENOTTY: on a v1 container (${REF} §3.7)`,
    ],
  },
);
export const VFIO_IOMMU_SPAPR_TCE_REMOVE = IO(
  "VFIO_IOMMU_SPAPR_TCE_REMOVE",
  VFIO_TYPE,
  VFIO_BASE + 20,
  {
    kind: "struct",
    struct: vfio_iommu_spapr_tce_remove,
    io: "in",
  },
  {
    ...C,
    doc:
      "sPAPR v2: remove the window containing start_addr (0 while the default window is pending just cancels it).",
    errors: [
      `ENXIO: no group (${REF} §3.7)`,
      `EINVAL: start_addr in no window, flags ≠ 0 (${REF} §3.7)`,
      `ENOTTY: on a v1 container (${REF} §3.7)`,
    ],
  },
);

/** Container ioctls common to all backends. */
export const VFIO_CONTAINER_IOCTLS = [VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU];
/** Group fd ioctls. */
export const VFIO_GROUP_IOCTLS = [
  VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_GROUP_UNSET_CONTAINER,
  VFIO_GROUP_GET_DEVICE_FD,
];
/** type1 backend ioctls. */
export const VFIO_TYPE1_IOCTLS = [VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA];
/** sPAPR TCE backend ioctls. */
export const VFIO_SPAPR_IOCTLS = [
  VFIO_IOMMU_SPAPR_TCE_GET_INFO,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_IOMMU_ENABLE,
  VFIO_IOMMU_DISABLE,
  VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
  VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
  VFIO_IOMMU_SPAPR_TCE_CREATE,
  VFIO_IOMMU_SPAPR_TCE_REMOVE,
];
/** Device fd ioctls. */
export const VFIO_DEVICE_IOCTLS = [VFIO_DEVICE_GET_INFO];

/** Constant groups. */
export const VFIO_CONSTANTS: ConstGroup[] = [
  { group: "VFIO_EXT", source: SRC, doc: "VFIO IOMMU types and extensions", values: VFIO_EXT },
  {
    group: "VFIO_GROUP_FLAGS",
    source: SRC,
    doc: "vfio_group_status.flags",
    values: VFIO_GROUP_FLAGS,
  },
  {
    group: "VFIO_DMA_MAP_FLAG",
    source: SRC,
    doc: "vfio_iommu_type1_dma_map.flags",
    values: VFIO_DMA_MAP_FLAGS,
  },
  {
    group: "VFIO_DMA_UNMAP_FLAG",
    source: SRC,
    doc: "vfio_iommu_type1_dma_unmap.flags",
    values: VFIO_DMA_UNMAP_FLAGS,
  },
  {
    group: "VFIO_IOMMU_INFO",
    source: SRC,
    doc: "type1 info flags and capability ids",
    values: VFIO_IOMMU_INFO,
  },
  {
    group: "VFIO_IOMMU_SPAPR_INFO",
    source: SRC,
    doc: "sPAPR info flags",
    values: VFIO_IOMMU_SPAPR_INFO,
  },
  {
    group: "VFIO_DEVICE_FLAGS",
    source: SRC,
    doc: "vfio_device_info flags and vfio-pci counts",
    values: VFIO_DEVICE_FLAGS,
  },
  { group: "VFIO_MISC", source: SRC, values: { VFIO_API_VERSION: 0n } },
];

registerUapi({
  ioctls: [
    ...VFIO_CONTAINER_IOCTLS,
    ...VFIO_GROUP_IOCTLS,
    ...VFIO_TYPE1_IOCTLS,
    ...VFIO_SPAPR_IOCTLS,
    ...VFIO_DEVICE_IOCTLS,
  ],
  constants: VFIO_CONSTANTS,
  structs: [vfio_iommu_spapr_tce_ddw_info],
});
