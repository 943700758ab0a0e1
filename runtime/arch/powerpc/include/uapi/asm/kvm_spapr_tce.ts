/**
 * The sPAPR TCE parts of the KVM uapi: KVM_CREATE_SPAPR_TCE(_64) and their
 * structs (arch/powerpc/include/uapi/asm/kvm.h, include/uapi/linux/kvm.h),
 * the KVM-VFIO device attributes — both the seed's
 * KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE_LIOBN and the merged
 * KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE —, the TCE permission bits
 * (arch/powerpc/include/asm/tce.h) and the four PAPR TCE hypercalls.
 *
 * @example
 * ```ts
 * import { KVM_CREATE_SPAPR_TCE_64 } from "./kvm_spapr_tce.ts";
 * import { ioctlNumber } from "../../../../../kernel/uapi.ts";
 * console.log(ioctlNumber(KVM_CREATE_SPAPR_TCE_64, "ppc64le").toString(16)); // "8020aea8"
 * ```
 * @module
 */
import { defineStruct } from "../../../../../kernel/layout.ts";
import { type ConstGroup, flagsOf, IOW } from "../../../../../kernel/uapi.ts";
import { type RegisterDoc, registerUapi } from "../../../../../kernel/uapi_registry.ts";
import { defineHcall } from "../../asm/hvcall.ts";

const REF = "spapr-tce-vfio-sva.md";
const SEED = "000_283a6311b43e8a0d (KVM: PPC: VFIO device: support SPAPR TCE, 2016)";

/** TCE permission bits and shifts (arch/powerpc/include/asm/tce.h). */
export const TCE = { TCE_PCI_READ: 1n, TCE_PCI_WRITE: 2n, TCE_SHIFT: 12n } as const;
/** IOMMU page shifts the IODA2 PHB supports. */
export const IOMMU_PAGE_SHIFT = { IOMMU_PAGE_SHIFT_4K: 12n } as const;
/** Bus address of the second (64-bit) window on PowerNV IODA2: TVE #1 selected by bit 59. */
export const TCE_BYPASS_BASE = 1n << 59n;

/** KVM-VFIO device attributes (include/uapi/linux/kvm.h; §2.3, §2.4). */
export const KVM_DEV_VFIO = {
  KVM_DEV_VFIO_FILE: 1n,
  KVM_DEV_VFIO_GROUP: 1n,
  KVM_DEV_VFIO_FILE_ADD: 1n,
  KVM_DEV_VFIO_FILE_DEL: 2n,
  KVM_DEV_VFIO_GROUP_ADD: 1n,
  KVM_DEV_VFIO_GROUP_DEL: 2n,
  KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE: 3n,
  KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE_LIOBN: 3n,
} as const;

export const kvm_create_spapr_tce = defineStruct("kvm_create_spapr_tce", [
  ["liobn", "u64", { hex: true }],
  ["window_size", "u32", { hex: true }],
], { doc: "Legacy: a 4K-page window at bus 0 of window_size bytes." });

export const kvm_create_spapr_tce_64 = defineStruct("kvm_create_spapr_tce_64", [
  ["liobn", "u64", { hex: true }],
  ["page_shift", "u32"],
  ["flags", "u32"],
  ["offset", "u64", { hex: true, doc: "in IOMMU pages" }],
  ["size", "u64", { hex: true, doc: "in IOMMU pages" }],
], { doc: "A guest-view TCE table: liobn, IOMMU page shift, window offset and size in pages." });

/** The merged interface: which TCE table (fd) the group's hardware tables serve. */
export const kvm_vfio_spapr_tce = defineStruct("kvm_vfio_spapr_tce", [
  ["groupfd", "s32"],
  ["tablefd", "s32"],
], { doc: "KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE (mainline): group fd and KVM TCE table fd." });

/** The seed's interface: a LIOBN and the bus start of the hardware window. */
export const kvm_vfio_spapr_tce_liobn = defineStruct("kvm_vfio_spapr_tce_liobn", [
  ["argsz", "u32"],
  ["fd", "s32"],
  ["liobn", "u32", { hex: true }],
  ["pad", { array: "u8", count: 4 }],
  ["start_addr", "u64", { hex: true }],
], {
  argsz: "argsz",
  doc: "KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE_LIOBN (seed 000): group fd, LIOBN, DMA window bus offset.",
});

const KSRC = "include/uapi/linux/kvm.h";
export const KVM_CREATE_SPAPR_TCE = IOW("KVM_CREATE_SPAPR_TCE", 0xAE, 0xA8, 16, {
  kind: "struct",
  struct: kvm_create_spapr_tce,
  io: "in",
}, {
  fd: "vm",
  source: KSRC,
  doc:
    "Legacy form of KVM_CREATE_SPAPR_TCE_64 (page_shift 12, offset 0, size = window_size >> 12). Returns a table fd.",
  errors: [
    `EINVAL: window_size < 4K (size 0) (${REF} §2.1; arch/powerpc/kvm/powerpc.c)`,
    `EBUSY: the liobn already has a table in this VM (${REF} §2.1; book3s_64_vio.c)`,
  ],
});
export const KVM_CREATE_SPAPR_TCE_64 = IOW("KVM_CREATE_SPAPR_TCE_64", 0xAE, 0xA8, 32, {
  kind: "struct",
  struct: kvm_create_spapr_tce_64,
  io: "in",
}, {
  fd: "vm",
  source: KSRC,
  doc:
    "Creates the guest view of a TCE table for a LIOBN; returns an mmap-able fd (anon_inode:kvm-spapr-tce). H_PUT_TCE on it is handled in the kernel.",
  errors: [
    `EINVAL: flags ≠ 0 (${REF} §2.1; arch/powerpc/kvm/powerpc.c)`,
    `EINVAL: size 0, page_shift < 12 or > 34, offset+size (u64 sum, wraps as in C) > U64_MAX >> page_shift (${REF} §2.1; book3s_64_vio.c kvm_vm_ioctl_create_spapr_tce)`,
    `ENOMEM: the table's page array cannot be allocated (> KMALLOC_MAX_SIZE) (${REF} §2.1)`,
    `EBUSY: the liobn already has a table in this VM (${REF} §2.1)`,
  ],
});

/** TCE hypercalls (§1.1). */
const TCE_ARG_FLAGS = flagsOf("TCE_PCI_", { TCE_PCI_READ: 1n, TCE_PCI_WRITE: 2n });
const HSRC =
  "arch/powerpc/include/asm/hvcall.h; arch/powerpc/kvm/book3s_64_vio.c; qemu hw/ppc/spapr_iommu.c";
export const H_GET_TCE = defineHcall({
  name: "H_GET_TCE",
  nr: 0x1C,
  args: [{ name: "liobn", hex: true }, { name: "ioba", hex: true }],
  rets: ["tce"],
  doc:
    "Read the TCE at ioba of the window liobn (r4). 0 if that part of the table was never written.",
  source: HSRC,
  errors: [
    `H_TOO_HARD (in KVM, never seen by the guest): no KVM table for liobn → exits to the VMM (${REF} §1.4)`,
    `H_PARAMETER: ioba not aligned to the table page, or outside the window (${REF} §1.4)`,
    `H_PARAMETER (VMM): unknown liobn or liobn with high 32 bits set; ioba outside the window (${REF} §1.5)`,
  ],
  seed: SEED,
  arch: "ppc64le",
});
export const H_PUT_TCE = defineHcall({
  name: "H_PUT_TCE",
  nr: 0x20,
  args: [{ name: "liobn", hex: true }, { name: "ioba", hex: true }, {
    name: "tce",
    hex: true,
    flags: TCE_ARG_FLAGS,
  }],
  doc:
    "Write one TCE: map the guest page tce & ~3 at ioba with READ/WRITE permission (no bit: unmap). In KVM this also programs every linked hardware table.",
  source: HSRC,
  errors: [
    `H_TOO_HARD (in KVM): unknown liobn; address not in a memslot or not pre-registered for a linked HW table → exits to the VMM (${REF} §1.4)`,
    `H_PARAMETER: ioba misaligned or outside the window (${REF} §1.4)`,
    `H_PARAMETER (kernel seed): any bit below the table page other than R/W, even in a clearing TCE (2016 validator); mainline: misaligned R/W TCE → H_TOO_HARD → VMM, clearing TCE always accepted (${REF} §1.4)`,
    `H_PARAMETER (VMM): unknown liobn, ioba outside the window (${REF} §1.5)`,
  ],
  seed: SEED,
  arch: "ppc64le",
});
export const H_STUFF_TCE = defineHcall({
  name: "H_STUFF_TCE",
  nr: 0x138,
  args: [{ name: "liobn", hex: true }, { name: "ioba", hex: true }, {
    name: "tce_value",
    hex: true,
    flags: TCE_ARG_FLAGS,
  }, {
    name: "npages",
  }],
  doc:
    "Write tce_value into npages consecutive entries (in KVM: only clearing/poisoning). In-kernel only after KVM_ENABLE_CAP(KVM_CAP_PPC_ENABLE_HCALL).",
  source: HSRC,
  errors: [
    `H_TOO_HARD (in KVM): unknown liobn → VMM (${REF} §1.4)`,
    `H_PARAMETER: ioba misaligned, or [ioba, ioba + npages pages) not inside the window (${REF} §1.4)`,
    `H_PARAMETER (in KVM): tce_value has TCE_PCI_READ or TCE_PCI_WRITE (${REF} §1.4)`,
    `H_PARAMETER (VMM): npages > window entries, unknown liobn (${REF} §1.5)`,
  ],
  seed: SEED,
  arch: "ppc64le",
});
export const H_PUT_TCE_INDIRECT = defineHcall({
  name: "H_PUT_TCE_INDIRECT",
  nr: 0x13C,
  args: [
    { name: "liobn", hex: true },
    { name: "ioba", hex: true },
    { name: "tce_list", hex: true },
    { name: "npages" },
  ],
  doc:
    "Write npages TCEs read (big-endian u64) from the 4K-aligned guest page tce_list. KVM validates all, then applies. In-kernel only after KVM_ENABLE_CAP(KVM_CAP_PPC_ENABLE_HCALL).",
  source: HSRC,
  errors: [
    `H_PARAMETER: npages > 512, tce_list not 4K aligned, ioba range outside the window (${REF} §1.4)`,
    `H_TOO_HARD (in KVM): unknown liobn, tce_list not in a memslot, an entry failing validation that needs help → VMM (${REF} §1.4)`,
    `H_PARAMETER (kernel mainline): an entry — even a clearing one — whose address is in no memslot, found while applying; earlier entries stay applied (book3s_64_vio.c kvmppc_h_put_tce_indirect: kvmppc_tce_to_ua)`,
    `H_PARAMETER (VMM): unknown liobn; stops at the first bad entry; a list outside guest RAM reads as 0 (clears) (${REF} §1.5; qemu hw/ppc/spapr_iommu.c ldq_be_phys)`,
  ],
  seed: SEED,
  arch: "ppc64le",
});

/** Constant groups for scripts and help. */
export const SPAPR_TCE_CONSTANTS: ConstGroup[] = [
  {
    group: "TCE",
    source: "arch/powerpc/include/asm/tce.h",
    doc: "TCE permission bits",
    values: TCE,
  },
  {
    group: "KVM_DEV_VFIO",
    source: KSRC,
    doc: "KVM-VFIO device attribute groups and attributes",
    values: KVM_DEV_VFIO,
  },
  {
    group: "SPAPR_TCE_MISC",
    source: "arch/powerpc/platforms/powernv/pci-ioda.c",
    doc: "sPAPR TCE numbers",
    values: {
      ...IOMMU_PAGE_SHIFT,
      TCE_BYPASS_BASE,
      IOMMU_TABLE_GROUP_MAX_TABLES: 2n,
      POWERNV_IOMMU_MAX_LEVELS: 5n,
    },
  },
];

/** `help` for the KVM-VFIO attributes: argument, profile and errno rules (§2.3, §2.4). */
export const KVM_DEV_VFIO_ATTR_DOCS: RegisterDoc[] = [
  {
    name: "KVM_DEV_VFIO_FILE_ADD",
    doc: [
      "KVM_SET_DEVICE_ATTR(group 1, attr 1) on the KVM-VFIO device: addr → int32 fd of a VFIO group (mainline: or device cdev) file.",
      `  EFAULT addr unreadable; EBADF fd not open; EINVAL not a VFIO file (kernel seed: also a group without a container/IOMMU — vfio_group_get_external_user); EEXIST already added (${REF} §2.3)`,
    ].join("\n"),
    source: "virt/kvm/vfio.c kvm_vfio_file_add",
  },
  {
    name: "KVM_DEV_VFIO_FILE_DEL",
    doc: [
      "KVM_SET_DEVICE_ATTR(group 1, attr 2): addr → int32 fd; unlinks the group's hardware TCE tables from every LIOBN.",
      `  EFAULT; EBADF; ENOENT the file was not added (${REF} §2.3)`,
    ].join("\n"),
    source: "virt/kvm/vfio.c kvm_vfio_file_del",
  },
  {
    name: "KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE_LIOBN",
    doc: [
      "kernel seed: attr 3, addr → struct kvm_vfio_spapr_tce_liobn {argsz, fd, liobn, pad[4], start_addr} (24 bytes): link the KVM table of liobn to the group's hardware table whose window starts at start_addr; called once per window per group (32- and 64-bit).",
      `  EFAULT copy fails; EINVAL argsz < 24; EBADF fd not open; EINVAL not a group with an IOMMU; ENOENT group not added; EINVAL no KVM table for liobn or no hardware window at start_addr (${REF} §2.4)`,
      `  seed: ${SEED}`,
    ].join("\n"),
    source: "virt/kvm/vfio.c (seed 000 patch 9/9)",
  },
  {
    name: "KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE",
    doc: [
      "kernel mainline: attr 3, addr → struct kvm_vfio_spapr_tce {groupfd, tablefd} (8 bytes): link the table fd from KVM_CREATE_SPAPR_TCE(_64) to the group's hardware table of matching geometry (same bus offset, HW page ≤ guest page, HW size ≥ guest size); a second link of the same table bumps a refcount.",
      `  EFAULT; EBADF groupfd or tablefd not open; ENOENT group not added; EIO not a group file (a device cdev); EINVAL tablefd not a TCE table of this VM, or no hardware window matches; ENOTTY link being destroyed (${REF} §2.3)`,
    ].join("\n"),
    source: "virt/kvm/vfio.c kvm_vfio_file_set_spapr_tce; arch/powerpc/kvm/book3s_64_vio.c",
  },
];

// The GROUP names are aliases of the FILE attributes (§2.3).
for (const [alias, of] of [["KVM_DEV_VFIO_GROUP_ADD", 0], ["KVM_DEV_VFIO_GROUP_DEL", 1]] as const) {
  KVM_DEV_VFIO_ATTR_DOCS.push({ ...KVM_DEV_VFIO_ATTR_DOCS[of]!, name: alias });
}

registerUapi({
  ioctls: [KVM_CREATE_SPAPR_TCE, KVM_CREATE_SPAPR_TCE_64],
  constants: SPAPR_TCE_CONSTANTS,
  structs: [kvm_vfio_spapr_tce, kvm_vfio_spapr_tce_liobn],
  registers: KVM_DEV_VFIO_ATTR_DOCS,
});
