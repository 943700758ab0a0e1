/**
 * virt/kvm/vfio.c: the KVM-VFIO pseudo device (KVM_DEV_TYPE_VFIO). One per
 * VM; userspace adds the VFIO group (or device) files the VM uses
 * (KVM_DEV_VFIO_FILE_ADD/DEL). On POWER, attribute 3 links a group's
 * hardware TCE tables to a KVM TCE table so the in-kernel H_PUT_TCE can
 * program them. Which attribute 3 this kernel implements depends on the host
 * profile: `seed` — KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE_LIOBN {argsz, fd, liobn,
 * pad, start_addr} as proposed in seed 000; `mainline` — the merged
 * KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE {groupfd, tablefd}.
 *
 * @example
 * ```ts
 * import { kvmDeviceOps } from "./kvm_host.ts";
 * import "./vfio.ts";
 * console.log(kvmDeviceOps(4)?.name); // "vfio"
 * ```
 * @module
 */
import {
  EBADF,
  EBUSY,
  EEXIST,
  EFAULT,
  EINVAL,
  EIO,
  ENOENT,
  ENXIO,
} from "../../include/uapi/asm-generic/errno.ts";
import { Errno } from "../../kernel/errno.ts";
import type { File } from "../../kernel/file.ts";
import { decodeStruct } from "../../kernel/layout.ts";
import type { StructValue } from "../../kernel/layout.ts";
import { type Kvm, type KvmDevice, kvmRegisterDeviceOps } from "./kvm_host.ts";
import {
  vfioFileGroup,
  vfioFileIommuGroup,
  vfioFileIsValid,
  vfioFileSetKvm,
  type VfioGroup,
} from "../../drivers/vfio/vfio.ts";
import {
  KVM_DEV_VFIO,
  kvm_vfio_spapr_tce,
  kvm_vfio_spapr_tce_liobn,
} from "../../arch/powerpc/include/uapi/asm/kvm_spapr_tce.ts";
import {
  kvmSpaprTceAttachIommuGroup,
  kvmSpaprTceAttachIommuGroupLiobn,
  kvmSpaprTceReleaseIommuGroup,
} from "../../arch/powerpc/kvm/book3s_64_vio.ts";
import type { IommuGroup } from "../../drivers/iommu/iommu.ts";

/** struct kvm_vfio_file. */
export interface KvmVfioFile {
  file: File;
  iommuGroup: IommuGroup | undefined;
  /** Seed profile: the group whose container user this entry holds. */
  extUser?: VfioGroup | undefined;
}

/** struct kvm_vfio. */
export interface KvmVfio {
  files: KvmVfioFile[];
}

function kvOf(dev: KvmDevice): KvmVfio {
  return dev.private as KvmVfio;
}

function getUserS32(dev: KvmDevice, addr: bigint): number {
  try {
    return new DataView(dev.kvm.kernel.current.mm.read(Number(addr), 4).buffer).getInt32(0, true);
  } catch {
    throw new Errno(EFAULT, "cannot read the int32 fd at addr");
  }
}

/**
 * Seed era vfio_group_get_external_user (drivers/vfio/vfio.c, 2016): a group
 * file (EINVAL otherwise) with container users (EINVAL when in no container),
 * an IOMMU backend and viable (EINVAL otherwise).
 */
function externalUser(f: File): VfioGroup {
  const g = vfioFileGroup(f);
  if (!g || !g.container?.driver || !g.iommuGroup.viable()) {
    throw new Errno(
      EINVAL,
      "vfio_group_get_external_user: not a viable group in a container with an IOMMU set",
    );
  }
  return g;
}

function fileAdd(dev: KvmDevice, fd: number): number {
  const f = dev.kvm.kernel.current.fds.get(fd);
  if (!f) throw new Errno(EBADF, `fd ${fd} is not open`);
  const seed = dev.kvm.kernel.config.profile === "seed";
  let extUser: VfioGroup | undefined;
  if (seed) {
    // 2016: vfio_group_get_external_user — a group file (no device cdevs yet)
    // whose container has an IOMMU backend, else EINVAL; on success it holds a
    // container user (vfio_group_add_container_user), so UNSET_CONTAINER → EBUSY
    // until FILE_DEL / device release (drivers/vfio/vfio.c of that era).
    extUser = externalUser(f);
  } else if (!vfioFileIsValid(f)) throw new Errno(EINVAL, "not a VFIO group or device file");
  const kv = kvOf(dev);
  if (kv.files.some((x) => x.file === f)) throw new Errno(EEXIST, "file already added");
  if (extUser) extUser.containerUsers++;
  kv.files.push({ file: f.get(), iommuGroup: undefined, extUser });
  vfioFileSetKvm(f, dev.kvm);
  return 0;
}

function release(kvm: Kvm, kvf: KvmVfioFile): void {
  const g = kvf.iommuGroup ?? vfioFileIommuGroup(kvf.file);
  if (g && kvm.kernel.arch === "ppc64le") kvmSpaprTceReleaseIommuGroup(kvm, g);
  vfioFileSetKvm(kvf.file, undefined);
  // vfio_group_put_external_user: drop the container user taken at ADD.
  if (kvf.extUser && kvf.extUser.containerUsers > 1) kvf.extUser.containerUsers--;
  kvf.file.put();
}

/**
 * FILE_DEL. Mainline kvm_vfio_file_del: EBADF, then ENOENT. Seed (2016
 * kvm_vfio_set_group GROUP_DEL): EBADF, then vfio_group_get_external_user
 * (EINVAL for a file that is no viable group in a container), then ENOENT.
 */
function fileDel(dev: KvmDevice, fd: number): number {
  const f = dev.kvm.kernel.current.fds.get(fd);
  if (!f) throw new Errno(EBADF, `fd ${fd} is not open`);
  if (dev.kvm.kernel.config.profile === "seed") externalUser(f);
  const kv = kvOf(dev);
  const i = kv.files.findIndex((x) => x.file === f);
  if (i < 0) throw new Errno(ENOENT, "file was not added");
  const [kvf] = kv.files.splice(i, 1);
  release(dev.kvm, kvf!);
  return 0;
}

/** The KVM-VFIO file entry for a group fd, or ENOENT / EBADF. */
function addedGroup(dev: KvmDevice, fd: number): KvmVfioFile {
  const f = dev.kvm.kernel.current.fds.get(fd);
  if (!f) throw new Errno(EBADF, `fd ${fd} is not open`);
  const kvf = kvOf(dev).files.find((x) => x.file === f);
  if (!kvf) throw new Errno(ENOENT, "group was not added with KVM_DEV_VFIO_FILE_ADD");
  if (!kvf.iommuGroup) {
    kvf.iommuGroup = vfioFileIommuGroup(kvf.file);
    if (!kvf.iommuGroup) throw new Errno(EIO, "only group files have an IOMMU group");
  }
  return kvf;
}

/** Mainline: {groupfd, tablefd}. */
function setSpaprTce(dev: KvmDevice, addr: bigint): number {
  const k = dev.kvm.kernel;
  let p: StructValue;
  try {
    p = decodeStruct(kvm_vfio_spapr_tce, k.current.mm.read(Number(addr), kvm_vfio_spapr_tce.size));
  } catch {
    throw new Errno(EFAULT);
  }
  const kvf = addedGroup(dev, Number(p.groupfd as bigint));
  return kvmSpaprTceAttachIommuGroup(dev.kvm, Number(p.tablefd as bigint), kvf.iommuGroup!);
}

/** Seed 000: {argsz, fd, liobn, pad, start_addr}. */
function setSpaprTceLiobn(dev: KvmDevice, addr: bigint): number {
  const k = dev.kvm.kernel;
  const minsz = kvm_vfio_spapr_tce_liobn.size; // offsetofend(start_addr) = 24
  let p: StructValue;
  try {
    p = decodeStruct(kvm_vfio_spapr_tce_liobn, k.current.mm.read(Number(addr), minsz));
  } catch {
    throw new Errno(EFAULT);
  }
  if ((p.argsz as bigint) < BigInt(minsz)) throw new Errno(EINVAL, `argsz < ${minsz}`);
  const fd = Number(p.fd as bigint);
  const f = k.current.fds.get(fd);
  if (!f) throw new Errno(EBADF, `fd ${fd} is not open`);
  // kvm_vfio_group_get_external_user(f.file) before the list walk (ENOENT).
  externalUser(f);
  const kvf = addedGroup(dev, fd);
  return kvmSpaprTceAttachIommuGroupLiobn(
    dev.kvm,
    p.liobn as bigint,
    p.start_addr as bigint,
    kvf.iommuGroup!,
  );
}

kvmRegisterDeviceOps(4, {
  name: "vfio",
  create(dev) {
    // Only one VFIO "device" per VM.
    if (dev.kvm.devices.some((d) => d.ops.name === "vfio")) {
      throw new Errno(EBUSY, "a KVM-VFIO device already exists");
    }
    dev.private = { files: [] } satisfies KvmVfio;
  },
  set_attr(dev, attr) {
    if (attr.group !== KVM_DEV_VFIO.KVM_DEV_VFIO_FILE) throw new Errno(ENXIO);
    const a = attr.attr as bigint;
    const addr = attr.addr as bigint;
    if (a === KVM_DEV_VFIO.KVM_DEV_VFIO_FILE_ADD) return fileAdd(dev, getUserS32(dev, addr));
    if (a === KVM_DEV_VFIO.KVM_DEV_VFIO_FILE_DEL) return fileDel(dev, getUserS32(dev, addr));
    if (a === KVM_DEV_VFIO.KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE && dev.kvm.kernel.arch === "ppc64le") {
      return dev.kvm.kernel.config.profile === "seed"
        ? setSpaprTceLiobn(dev, addr)
        : setSpaprTce(dev, addr);
    }
    throw new Errno(ENXIO);
  },
  has_attr(dev, attr) {
    if (attr.group === KVM_DEV_VFIO.KVM_DEV_VFIO_FILE) {
      const a = attr.attr as bigint;
      if (a === 1n || a === 2n) return 0;
      if (a === 3n && dev.kvm.kernel.arch === "ppc64le") return 0;
    }
    throw new Errno(ENXIO);
  },
  release(dev) {
    for (const kvf of kvOf(dev).files) release(dev.kvm, kvf);
    kvOf(dev).files = [];
  },
  describe(dev) {
    return `vfio: ${kvOf(dev).files.map((f) => f.file.path).join(", ") || "no files"}`;
  },
});

/**
 * The KVM-VFIO device state of a VM, if it has one (views).
 *
 * @example
 * ```ts
 * // kvmVfioOf(kvm)?.files.length
 * ```
 */
export function kvmVfioOf(kvm: Kvm): KvmVfio | undefined {
  const d = kvm.devices.find((x) => x.ops.name === "vfio");
  return d ? kvOf(d) : undefined;
}
