/**
 * include/uapi/linux/kvm.h: the generic KVM ioctls, capability numbers, exit
 * reasons, device types and the structs they carry. Numbers are those of
 * mainline (they never change once merged).
 *
 * @example
 * ```ts
 * import { KVM_CREATE_VM, KVM_CAP } from "./kvm.ts";
 * import { ioctlNumber } from "../../../kernel/uapi.ts";
 * console.log(ioctlNumber(KVM_CREATE_VM, "arm64").toString(16), KVM_CAP.KVM_CAP_SPAPR_TCE); // "ae01" 63n
 * ```
 * @module
 */
import { defineStruct } from "../../../kernel/layout.ts";
import type { EnumSet } from "../../../kernel/layout.ts";
import { type ConstGroup, flagsOf, IO, IOR, IOW, IOWR } from "../../../kernel/uapi.ts";
import { registerUapi } from "../../../kernel/uapi_registry.ts";

export const KVMIO = 0xAE;
export const KVM_API_VERSION = 12;
const SRC = "include/uapi/linux/kvm.h";

/** KVM_CAP_* numbers (kvm-nested-timer.md A.3, spapr-tce-vfio-sva.md 2.1). */
export const KVM_CAP: Readonly<Record<string, bigint>> = {
  KVM_CAP_IRQCHIP: 0n,
  KVM_CAP_USER_MEMORY: 3n,
  KVM_CAP_NR_VCPUS: 9n,
  KVM_CAP_NR_MEMSLOTS: 10n,
  KVM_CAP_COALESCED_MMIO: 15n,
  KVM_CAP_IRQFD: 32n,
  KVM_CAP_IOEVENTFD: 36n,
  KVM_CAP_ENABLE_CAP: 54n,
  KVM_CAP_PPC_PAPR: 68n,
  KVM_CAP_SPAPR_TCE: 63n,
  KVM_CAP_MAX_VCPUS: 66n,
  KVM_CAP_ONE_REG: 70n,
  KVM_CAP_DEVICE_CTRL: 89n,
  KVM_CAP_SPAPR_MULTITCE: 94n,
  KVM_CAP_ENABLE_CAP_VM: 98n,
  KVM_CAP_PPC_ENABLE_HCALL: 104n,
  KVM_CAP_CHECK_EXTENSION_VM: 105n,
  KVM_CAP_SPAPR_TCE_64: 125n,
  KVM_CAP_VCPU_ATTRIBUTES: 127n,
  KVM_CAP_MAX_VCPU_ID: 128n,
  KVM_CAP_PPC_MMU_RADIX: 134n,
  KVM_CAP_SPAPR_TCE_VFIO: 142n,
  KVM_CAP_PPC_NESTED_HV: 160n,
  KVM_CAP_ARM_VM_IPA_SIZE: 165n,
  KVM_CAP_PPC_RPT_INVALIDATE: 202n,
  KVM_CAP_COUNTER_OFFSET: 227n,
};

/** KVM_EXIT_* reasons (kvm-nested-timer.md A.6). */
export const KVM_EXIT: Readonly<Record<string, bigint>> = {
  KVM_EXIT_UNKNOWN: 0n,
  KVM_EXIT_EXCEPTION: 1n,
  KVM_EXIT_IO: 2n,
  KVM_EXIT_HYPERCALL: 3n,
  KVM_EXIT_DEBUG: 4n,
  KVM_EXIT_HLT: 5n,
  KVM_EXIT_MMIO: 6n,
  KVM_EXIT_SHUTDOWN: 8n,
  KVM_EXIT_FAIL_ENTRY: 9n,
  KVM_EXIT_INTR: 10n,
  KVM_EXIT_INTERNAL_ERROR: 17n,
  KVM_EXIT_OSI: 18n,
  KVM_EXIT_PAPR_HCALL: 19n,
  KVM_EXIT_WATCHDOG: 21n,
  KVM_EXIT_EPR: 23n,
  KVM_EXIT_SYSTEM_EVENT: 24n,
  KVM_EXIT_ARM_NISV: 28n,
  KVM_EXIT_MEMORY_FAULT: 39n,
};

/** KVM_DEV_TYPE_* (kvm-nested-timer.md A.7). */
export const KVM_DEV_TYPE: Readonly<Record<string, bigint>> = {
  KVM_DEV_TYPE_FSL_MPIC_20: 1n,
  KVM_DEV_TYPE_FSL_MPIC_42: 2n,
  KVM_DEV_TYPE_XICS: 3n,
  KVM_DEV_TYPE_VFIO: 4n,
  KVM_DEV_TYPE_ARM_VGIC_V2: 5n,
  KVM_DEV_TYPE_FLIC: 6n,
  KVM_DEV_TYPE_ARM_VGIC_V3: 7n,
  KVM_DEV_TYPE_ARM_VGIC_ITS: 8n,
  KVM_DEV_TYPE_XIVE: 9n,
  KVM_DEV_TYPE_ARM_PV_TIME: 10n,
};

/** Memory region flags. */
export const KVM_MEM: Readonly<Record<string, bigint>> = {
  KVM_MEM_LOG_DIRTY_PAGES: 1n,
  KVM_MEM_READONLY: 2n,
};

/** Misc. */
export const KVM_MISC: Readonly<Record<string, bigint>> = {
  KVM_API_VERSION: 12n,
  KVM_CREATE_DEVICE_TEST: 1n,
};

const fullEnum = (values: Readonly<Record<string, bigint>>): EnumSet => ({
  prefix: "",
  values: Object.entries(values),
});

/** Printing sets. */
export const CAP_ENUM: EnumSet = fullEnum(KVM_CAP);
export const EXIT_ENUM: EnumSet = fullEnum(KVM_EXIT);
export const DEV_TYPE_ENUM: EnumSet = fullEnum(KVM_DEV_TYPE);

export const kvm_userspace_memory_region = defineStruct("kvm_userspace_memory_region", [
  ["slot", "u32"],
  ["flags", "u32", { flags: flagsOf("KVM_MEM_", KVM_MEM) }],
  ["guest_phys_addr", "u64", { hex: true }],
  ["memory_size", "u64", { hex: true }],
  ["userspace_addr", "u64", { hex: true }],
], { doc: "A guest-physical range backed by the VMM's memory at userspace_addr." });

export const kvm_one_reg = defineStruct("kvm_one_reg", [
  ["id", "u64", { hex: true }],
  ["addr", "u64", { hex: true }],
], { doc: "Register id and the user address of its value." });

export const kvm_enable_cap = defineStruct("kvm_enable_cap", [
  ["cap", "u32", { enum: CAP_ENUM }],
  ["flags", "u32"],
  ["args", { array: "u64", count: 4 }],
  ["pad", { array: "u8", count: 64 }],
], { doc: "Capability to enable, flags (must be 0) and up to four arguments." });

export const kvm_create_device = defineStruct("kvm_create_device", [
  ["type", "u32", { enum: DEV_TYPE_ENUM }],
  ["fd", "u32", { out: true }],
  ["flags", "u32", { flags: { prefix: "KVM_CREATE_DEVICE_", bits: [["TEST", 1n]] } }],
], { doc: "Device type in, new device fd out." });

export const kvm_device_attr = defineStruct("kvm_device_attr", [
  ["flags", "u32"],
  ["group", "u32"],
  ["attr", "u64"],
  ["addr", "u64", { hex: true }],
], { doc: "Attribute group and id; addr is a user pointer to the value." });

const VM = { fd: "vm", source: SRC };
const SYS = { fd: "/dev/kvm", source: SRC };
const VCPU = { fd: "vcpu", source: SRC };

export const KVM_GET_API_VERSION = IO("KVM_GET_API_VERSION", KVMIO, 0x00, { kind: "value" }, {
  ...SYS,
  doc: "Returns KVM_API_VERSION (12). Userspace must refuse any other value.",
  errors: ["EINVAL: arg is not 0 (virt/kvm/kvm_main.c kvm_dev_ioctl)"],
});
export const KVM_CREATE_VM = IO("KVM_CREATE_VM", KVMIO, 0x01, { kind: "value", name: "type" }, {
  ...SYS,
  doc:
    "Creates a VM and returns its fd. arm64: type bits 7:0 = IPA size (0 = 40). ppc: 1 = HV, 2 = PR.",
  errors: ["EINVAL: unsupported machine type or IPA size (kvm_main.c, arch kvm_arch_init_vm)"],
});
export const KVM_CHECK_EXTENSION = IO("KVM_CHECK_EXTENSION", KVMIO, 0x03, {
  kind: "value",
  name: "cap",
  enum: CAP_ENUM,
}, {
  fd: "/dev/kvm, vm",
  source: SRC,
  doc: "0 = unsupported, ≥1 = supported (or a quantity). The VM-fd form answers for that VM.",
});
export const KVM_GET_VCPU_MMAP_SIZE = IO("KVM_GET_VCPU_MMAP_SIZE", KVMIO, 0x04, { kind: "value" }, {
  ...SYS,
  doc: "Size of the vcpu fd's mmap area (struct kvm_run plus extra pages).",
  errors: ["EINVAL: arg is not 0"],
});
export const KVM_CREATE_VCPU = IO("KVM_CREATE_VCPU", KVMIO, 0x41, { kind: "value", name: "id" }, {
  ...VM,
  doc: "Creates vCPU `id` and returns its fd (anon_inode:kvm-vcpu:<id>).",
  errors: [
    "EINVAL: id ≥ KVM_MAX_VCPU_IDS (kvm_vm_ioctl_create_vcpu)",
    "EINVAL: created vCPUs already at max_vcpus",
    "EEXIST: a vCPU with this id exists",
  ],
});
export const KVM_SET_USER_MEMORY_REGION = IOW(
  "KVM_SET_USER_MEMORY_REGION",
  KVMIO,
  0x46,
  32,
  { kind: "struct", struct: kvm_userspace_memory_region, io: "in" },
  {
    ...VM,
    doc: "Creates, moves, changes flags of, or deletes (memory_size 0) a memory slot.",
    errors: [
      "EINVAL: slot id ≥ KVM_USER_MEM_SLOTS (512 seed, 32767 mainline) or unknown flags (READONLY: arm64 only)",
      "EINVAL: size, guest_phys_addr or userspace_addr not page aligned, or HVA range past the user address limit (access_ok)",
      "EINVAL: GPA + size wraps, or more than 2^31-1 pages",
      "EINVAL: deleting a slot that does not exist",
      "EINVAL: modify changes userspace_addr or size, or flips READONLY",
      "EEXIST: create/move overlaps another slot",
      "(kvm-nested-timer.md A.5; virt/kvm/kvm_main.c kvm_set_memory_region)",
    ],
  },
);
export const KVM_RUN = IO("KVM_RUN", KVMIO, 0x80, { kind: "value" }, {
  ...VCPU,
  doc: "Runs the vCPU until an exit needs userspace; kvm_run (mmap of the vcpu fd) says why.",
  errors: ["EINTR: signal pending", "ENOEXEC: arm64 vCPU not initialised with KVM_ARM_VCPU_INIT"],
});
export const KVM_ENABLE_CAP = IOW("KVM_ENABLE_CAP", KVMIO, 0xA3, 104, {
  kind: "struct",
  struct: kvm_enable_cap,
  io: "in",
}, {
  fd: "vm, vcpu",
  source: SRC,
  doc: "Enables a capability on the VM or the vCPU.",
  errors: ["EINVAL: flags ≠ 0 or the capability cannot be enabled here"],
});
export const KVM_GET_ONE_REG = IOW("KVM_GET_ONE_REG", KVMIO, 0xAB, 16, {
  kind: "struct",
  struct: kvm_one_reg,
  io: "in",
}, {
  ...VCPU,
  doc: "Reads one register into *addr.",
  errors: [
    "ENOEXEC: arm64 vCPU before KVM_ARM_VCPU_INIT (arm.c)",
    "ENOENT: arm64 id with no register (guest.c, sys_regs.c)",
    "EINVAL: powerpc id with no register, or size > 16 (powerpc.c); arm64 id of another arch or core offset/size mismatch",
  ],
});
export const KVM_SET_ONE_REG = IOW("KVM_SET_ONE_REG", KVMIO, 0xAC, 16, {
  kind: "struct",
  struct: kvm_one_reg,
  io: "in",
}, {
  ...VCPU,
  doc: "Writes one register from *addr.",
  errors: [
    "ENOEXEC: arm64 vCPU before KVM_ARM_VCPU_INIT (arm.c)",
    "ENOENT: arm64 id with no register (guest.c, sys_regs.c)",
    "EINVAL: powerpc id with no register, or size > 16 (powerpc.c); arm64 id of another arch or core offset/size mismatch",
  ],
});
export const KVM_CREATE_DEVICE = IOWR("KVM_CREATE_DEVICE", KVMIO, 0xE0, 12, {
  kind: "struct",
  struct: kvm_create_device,
  io: "inout",
}, {
  ...VM,
  doc:
    "Creates an in-kernel device; its fd comes back in `fd`. KVM_CREATE_DEVICE_TEST only probes.",
  errors: [
    "ENODEV: unknown or unregistered type",
    "EBUSY: device-specific (e.g. a second KVM-VFIO device)",
  ],
});
const attrErrors = [
  "EPERM: the device has no accessor for this operation",
  "ENXIO: unknown group or attribute",
  "EFAULT: addr not readable/writable",
];
export const KVM_SET_DEVICE_ATTR = IOW("KVM_SET_DEVICE_ATTR", KVMIO, 0xE1, 24, {
  kind: "struct",
  struct: kvm_device_attr,
  io: "in",
}, { fd: "device, vcpu", source: SRC, doc: "Sets a device attribute.", errors: attrErrors });
export const KVM_GET_DEVICE_ATTR = IOW("KVM_GET_DEVICE_ATTR", KVMIO, 0xE2, 24, {
  kind: "struct",
  struct: kvm_device_attr,
  io: "in",
}, {
  fd: "device, vcpu",
  source: SRC,
  doc: "Reads a device attribute into *addr.",
  errors: attrErrors,
});
export const KVM_HAS_DEVICE_ATTR = IOW("KVM_HAS_DEVICE_ATTR", KVMIO, 0xE3, 24, {
  kind: "struct",
  struct: kvm_device_attr,
  io: "in",
}, {
  fd: "device, vcpu",
  source: SRC,
  doc: "0 if the attribute exists, else ENXIO.",
  errors: attrErrors,
});

/** Marker so unused-import lint stays quiet where only IOR is needed elsewhere. */
export const _IOR = IOR;

/** System ioctls (on /dev/kvm). */
export const KVM_SYS_IOCTLS = [
  KVM_GET_API_VERSION,
  KVM_CREATE_VM,
  KVM_CHECK_EXTENSION,
  KVM_GET_VCPU_MMAP_SIZE,
];
/** Generic VM ioctls. */
export const KVM_VM_IOCTLS = [
  KVM_CHECK_EXTENSION,
  KVM_CREATE_VCPU,
  KVM_SET_USER_MEMORY_REGION,
  KVM_ENABLE_CAP,
  KVM_CREATE_DEVICE,
  KVM_SET_DEVICE_ATTR,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
];
/** Generic vCPU ioctls. */
export const KVM_VCPU_IOCTLS = [
  KVM_RUN,
  KVM_ENABLE_CAP,
  KVM_GET_ONE_REG,
  KVM_SET_ONE_REG,
  KVM_SET_DEVICE_ATTR,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
];
/** Device-fd ioctls. */
export const KVM_DEVICE_IOCTLS = [KVM_SET_DEVICE_ATTR, KVM_GET_DEVICE_ATTR, KVM_HAS_DEVICE_ATTR];

/** Constant groups for scripts and help. */
export const KVM_CONSTANTS: ConstGroup[] = [
  {
    group: "KVM_CAP",
    source: SRC,
    doc: "Capability numbers for KVM_CHECK_EXTENSION/KVM_ENABLE_CAP",
    values: KVM_CAP,
  },
  { group: "KVM_EXIT", source: SRC, doc: "kvm_run.exit_reason values", values: KVM_EXIT },
  { group: "KVM_DEV_TYPE", source: SRC, doc: "KVM_CREATE_DEVICE types", values: KVM_DEV_TYPE },
  { group: "KVM_MEM", source: SRC, doc: "Memory region flags", values: KVM_MEM },
  { group: "KVM_MISC", source: SRC, values: KVM_MISC },
];

/** kvm_run field offsets (non-s390; kvm-nested-timer.md A.6). */
export const KVM_RUN_OFFSETS = {
  request_interrupt_window: 0,
  immediate_exit: 1,
  exit_reason: 8,
  flags: 14,
  exit: 32,
  mmio: { phys_addr: 32, data: 40, len: 48, is_write: 52 },
  hypercall: { nr: 32, args: 40, ret: 88 },
  papr_hcall: { nr: 32, ret: 40, args: 48 },
} as const;

registerUapi({
  ioctls: [...new Set([...KVM_SYS_IOCTLS, ...KVM_VM_IOCTLS, ...KVM_VCPU_IOCTLS])],
  constants: KVM_CONSTANTS,
});
