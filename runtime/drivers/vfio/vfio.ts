/**
 * drivers/vfio/container.c, group.c and the device-fd part of vfio_main.c:
 * /dev/vfio/vfio (a new container per open), /dev/vfio/N (one node per IOMMU
 * group with a vfio-bound device, exclusive open), attaching groups to
 * containers, selecting the IOMMU backend, and device fds. Backends
 * (type1, sPAPR TCE) plug in with {@link vfioRegisterIommuDriver}.
 *
 * @example
 * ```ts
 * import { Kernel } from "../../kernel/kernel.ts";
 * import { vfioPlatformAddGroup } from "./vfio.ts";
 * const k = new Kernel({ name: "h", arch: "ppc64le", profile: "seed", pageSize: 65536, seed: 1, props: {} });
 * vfioPlatformAddGroup(k, 12, [{ bdf: "0001:01:00.0", driver: "vfio-pci" }]);
 * console.log(k.devices.has("/dev/vfio/12"), k.devices.has("/dev/vfio/vfio")); // true true
 * ```
 * @module
 */
import {
  EBADF,
  EBADFD,
  EBUSY,
  EFAULT,
  EINVAL,
  ENODEV,
  ENOTTY,
} from "../../include/uapi/asm-generic/errno.ts";
import {
  VFIO_API_VERSION,
  VFIO_CHECK_EXTENSION,
  VFIO_CONTAINER_IOCTLS,
  VFIO_DEVICE_FLAGS,
  VFIO_DEVICE_GET_INFO,
  vfio_device_info,
  VFIO_DEVICE_IOCTLS,
  VFIO_GET_API_VERSION,
  VFIO_GROUP_FLAGS,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_IOCTLS,
  VFIO_GROUP_SET_CONTAINER,
  vfio_group_status,
  VFIO_GROUP_UNSET_CONTAINER,
  VFIO_SET_IOMMU,
} from "../../include/uapi/linux/vfio.ts";
import { Errno } from "../../kernel/errno.ts";
import { File, type FileOperations } from "../../kernel/file.ts";
import { type Kernel, module_init, O_CLOEXEC, O_RDWR } from "../../kernel/kernel.ts";
import { decodeStruct, encodeStruct } from "../../kernel/layout.ts";
import { type IoctlDef, ioctlNumber } from "../../kernel/uapi.ts";
import { type IommuGroup, iommuGroupAdd } from "../iommu/iommu.ts";
import type { TableOps } from "../iommu/iommu_table.ts";

/** struct vfio_iommu_driver_ops. `data` is the backend's per-container state. */
export interface VfioIommuDriverOps {
  name: string;
  /** Is this backend built for the host (type1: x86/arm64; sPAPR: ppc64le)? */
  available(k: Kernel): boolean;
  /** VFIO_CHECK_EXTENSION with data (set backend) or without (polling). */
  checkExtension(data: unknown, ext: number, k: Kernel): number;
  /** open(arg): per-container state, or throw Errno (EINVAL for a type it does not implement). */
  open(c: VfioContainer, type: number): unknown;
  release(data: unknown): void;
  attachGroup(data: unknown, g: VfioGroup): void;
  detachGroup(data: unknown, g: VfioGroup): void;
  /** Unrecognised container ioctls; ENOTTY when unknown. */
  ioctl(data: unknown, cmd: number, arg: bigint): number;
  /** Definitions for the trace. */
  ioctls(data: unknown): readonly IoctlDef[];
}

const DRIVERS: VfioIommuDriverOps[] = [];

/**
 * vfio_register_iommu_driver.
 *
 * @example
 * ```ts
 * // vfioRegisterIommuDriver(tceIommuDriverOps);
 * ```
 */
export function vfioRegisterIommuDriver(ops: VfioIommuDriverOps): void {
  if (!DRIVERS.some((d) => d.name === ops.name)) DRIVERS.push(ops);
}

/** A container (struct vfio_container). */
export class VfioContainer {
  readonly kernel: Kernel;
  readonly id: number;
  groups: VfioGroup[] = [];
  driver: VfioIommuDriverOps | undefined;
  data: unknown;
  /** Open files referring to it (fd refs), for views. */
  open = true;

  constructor(k: Kernel, id: number) {
    this.kernel = k;
    this.id = id;
  }
}

/** A VFIO group (struct vfio_group) over an IOMMU group. */
export class VfioGroup {
  readonly iommuGroup: IommuGroup;
  readonly path: string;
  container: VfioContainer | undefined;
  /** The open group file (one at a time). */
  openedFile: File | undefined;
  /** 1 for the container link plus one per open device fd. */
  containerUsers = 0;
  /** Device fds open, by BDF. */
  deviceFds = new Map<string, number>();
  /** The KVM the group was added to with KVM_DEV_VFIO_FILE_ADD (vfio_file_set_kvm). */
  kvm: unknown;

  readonly kernel: Kernel;

  constructor(k: Kernel, g: IommuGroup) {
    this.kernel = k;
    this.iommuGroup = g;
    this.path = `/dev/vfio/${g.id}`;
  }

  get id(): number {
    return this.iommuGroup.id;
  }
}

interface VfioState {
  containers: VfioContainer[];
  groups: Map<number, VfioGroup>;
  nextContainer: number;
}

/**
 * VFIO state of a kernel.
 *
 * @example
 * ```ts
 * // vfioState(kernel).groups.get(12)
 * ```
 */
export function vfioState(k: Kernel): VfioState {
  return k.state<VfioState>(
    "vfio",
    () => ({ containers: [], groups: new Map(), nextContainer: 1 }),
  );
}

/**
 * Platform set-up: an IOMMU group with devices bound as given; if any is
 * bound to vfio-pci the group gets its /dev/vfio/N node (vfio_register_group_dev).
 *
 * @example
 * ```ts
 * // vfioPlatformAddGroup(kernel, 12, [{ bdf: "0001:01:00.0", driver: "vfio-pci" }]);
 * ```
 */
export function vfioPlatformAddGroup(
  k: Kernel,
  id: number,
  devs: { bdf: string; driver: string }[],
  ops: TableOps = "ioda2",
): VfioGroup | undefined {
  const ig = iommuGroupAdd(k, id, devs, ops);
  if (!devs.some((d) => d.driver === "vfio-pci")) return undefined;
  const vg = new VfioGroup(k, ig);
  vfioState(k).groups.set(id, vg);
  k.registerChrdev(vg.path, {
    fops: groupFops,
    open(file) {
      // vfio_group_fops_open: one opener at a time.
      if (vg.openedFile) throw new Errno(EBUSY, `${vg.path} is already open`);
      vg.openedFile = file;
      file.private_data = vg;
    },
  });
  return vg;
}

/**
 * Is this file a VFIO group file (vfio_file_is_group)?
 *
 * @example
 * ```ts
 * // vfioFileIsGroup(file)
 * ```
 */
export function vfioFileIsGroup(f: File): boolean {
  return f.fops === groupFops;
}

/**
 * Is this a file KVM's VFIO device accepts (group or device file)?
 *
 * @example
 * ```ts
 * // vfioFileIsValid(file)
 * ```
 */
export function vfioFileIsValid(f: File): boolean {
  return f.fops === groupFops || f.fops === deviceFops;
}

/**
 * The IOMMU group behind a VFIO group file (vfio_file_iommu_group); undefined for other files.
 *
 * @example
 * ```ts
 * // vfioFileIommuGroup(file)?.id
 * ```
 */
export function vfioFileIommuGroup(f: File): IommuGroup | undefined {
  return f.fops === groupFops ? (f.private_data as VfioGroup).iommuGroup : undefined;
}

/**
 * The VFIO group of a group file.
 *
 * @example
 * ```ts
 * // vfioFileGroup(file)
 * ```
 */
export function vfioFileGroup(f: File): VfioGroup | undefined {
  return f.fops === groupFops ? (f.private_data as VfioGroup) : undefined;
}

/**
 * vfio_file_set_kvm: tell the group (and its future device opens) which KVM uses it.
 *
 * @example
 * ```ts
 * // vfioFileSetKvm(file, kvm)
 * ```
 */
export function vfioFileSetKvm(f: File, kvm: unknown): void {
  if (f.fops === groupFops) (f.private_data as VfioGroup).kvm = kvm;
}

// ------------------------------------------------------------ container

function checkExtension(c: VfioContainer, ext: number): number {
  if (c.driver) return c.driver.checkExtension(c.data, ext, c.kernel);
  for (const d of DRIVERS) {
    if (!d.available(c.kernel)) continue;
    const r = d.checkExtension(undefined, ext, c.kernel);
    if (r > 0) return r;
  }
  return 0;
}

function setIommu(c: VfioContainer, type: number): number {
  if (c.groups.length === 0 || c.driver) {
    throw new Errno(EINVAL, "container has no group or already has a backend");
  }
  let ret: number = ENODEV;
  for (const d of DRIVERS) {
    if (!d.available(c.kernel)) continue;
    if (d.checkExtension(undefined, type, c.kernel) <= 0) continue;
    let data: unknown;
    try {
      data = d.open(c, type);
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      ret = e.errno;
      continue;
    }
    // __vfio_container_attach_groups: all or nothing.
    const done: VfioGroup[] = [];
    try {
      for (const g of c.groups) {
        d.attachGroup(data, g);
        done.push(g);
      }
    } catch (e) {
      if (!(e instanceof Errno)) throw e;
      for (const g of done.reverse()) d.detachGroup(data, g);
      d.release(data);
      ret = e.errno;
      continue;
    }
    c.driver = d;
    c.data = data;
    return 0;
  }
  throw new Errno(ret);
}

const containerFops: FileOperations = {
  name: "vfio-container",
  ioctls(f) {
    const c = f.private_data as VfioContainer;
    return [...VFIO_CONTAINER_IOCTLS, ...(c.driver ? c.driver.ioctls(c.data) : [])];
  },
  ioctl(file, cmd, arg) {
    const c = file.private_data as VfioContainer;
    const a = c.kernel.arch;
    if (cmd === ioctlNumber(VFIO_GET_API_VERSION, a)) return VFIO_API_VERSION;
    if (cmd === ioctlNumber(VFIO_CHECK_EXTENSION, a)) {
      return checkExtension(c, Number(BigInt.asUintN(32, arg)));
    }
    if (cmd === ioctlNumber(VFIO_SET_IOMMU, a)) return setIommu(c, Number(BigInt.asUintN(32, arg)));
    // Unrecognised ioctls go to the backend; without one: EINVAL (vfio_fops_unl_ioctl's default ret).
    if (!c.driver) throw new Errno(EINVAL, "container has no IOMMU backend yet");
    return c.driver.ioctl(c.data, cmd, arg);
  },
  release(file) {
    (file.private_data as VfioContainer).open = false;
  },
};

// ------------------------------------------------------------ group

function detachContainer(g: VfioGroup): void {
  const c = g.container!;
  c.driver?.detachGroup(c.data, g);
  g.iommuGroup.releaseDmaOwner();
  c.groups = c.groups.filter((x) => x !== g);
  g.container = undefined;
  g.containerUsers = 0;
  // The last group out releases the backend: mappings, windows, registrations.
  if (c.groups.length === 0 && c.driver) {
    c.driver.release(c.data);
    c.driver = undefined;
    c.data = undefined;
  }
}

/**
 * VFIO_GROUP_SET_CONTAINER. `mainline` (group.c vfio_group_ioctl_set_container):
 * EFAULT, fdget → EBADF, group already has a container → EINVAL, neither a
 * container nor an iommufd → EBADFD, then vfio_container_attach_group claims DMA
 * ownership (EPERM). `seed` (2016 drivers/vfio/vfio.c vfio_group_fops_unl_ioctl +
 * vfio_group_set_container): EFAULT, fd < 0 → EINVAL, container_users → EINVAL
 * *before* fdget (EBADF), a non-container fd → EINVAL, and no DMA-ownership claim:
 * a non-viable group attaches and is refused later at GET_DEVICE_FD.
 */
function setContainer(g: VfioGroup, arg: bigint): number {
  const cur = g.kernel.current;
  const seed = g.kernel.config.profile === "seed";
  let fd: number;
  try {
    fd = new DataView(cur.mm.read(Number(arg), 4).buffer).getInt32(0, true);
  } catch {
    throw new Errno(EFAULT);
  }
  if (seed && fd < 0) throw new Errno(EINVAL, "fd < 0");
  if (seed && g.container) throw new Errno(EINVAL, `group ${g.id} is already in a container`);
  const f = cur.fds.get(fd);
  if (!f) throw new Errno(EBADF, `fd ${fd} is not open`);
  if (g.container) throw new Errno(EINVAL, `group ${g.id} is already in a container`);
  if (f.fops !== containerFops) {
    if (seed) throw new Errno(EINVAL, "fd is not a VFIO container");
    throw new Errno(EBADFD, "fd is neither a VFIO container nor an iommufd");
  }
  const c = f.private_data as VfioContainer;
  if (!seed) g.iommuGroup.claimDmaOwner(g);
  if (c.driver) {
    try {
      c.driver.attachGroup(c.data, g);
    } catch (e) {
      if (!seed) g.iommuGroup.releaseDmaOwner();
      throw e;
    }
  }
  g.container = c;
  g.containerUsers = 1;
  c.groups.push(g);
  return 0;
}

/**
 * vfio_group_viable of the seed era: every device unbound, on vfio-pci or on
 * pci-stub. Mainline's equivalent is the DMA-owner claim.
 */
function seedViable(g: VfioGroup): boolean {
  return g.iommuGroup.viable();
}

function vfioKernel(g: VfioGroup): Kernel {
  return g.kernel;
}

/**
 * VFIO_GROUP_GET_DEVICE_FD. strndup_user(arg, PAGE_SIZE): unreadable → EFAULT,
 * no NUL within PAGE_SIZE → EINVAL. `mainline` (group.c
 * vfio_group_ioctl_get_device_fd): name lookup first (ENODEV), then
 * vfio_df_group_open (no container/backend → EINVAL). `seed` (2016
 * vfio_group_get_device_fd): container_users 0, no backend or not viable → EINVAL
 * before the name lookup (ENODEV).
 */
function getDeviceFd(g: VfioGroup, arg: bigint): number {
  const k = vfioKernel(g);
  const pageSize = k.config.pageSize;
  const parts: number[] = [];
  let terminated = false;
  try {
    for (let n = 0; n < pageSize; n++) {
      const b = k.current.mm.read(Number(arg) + n, 1)[0]!;
      if (b === 0) {
        terminated = true;
        break;
      }
      parts.push(b);
    }
  } catch {
    throw new Errno(EFAULT);
  }
  if (!terminated) throw new Errno(EINVAL, `device name longer than PAGE_SIZE (strndup_user)`);
  const raw = new Uint8Array(parts);
  const name = new TextDecoder().decode(raw);
  const noBackend = !g.container || !g.container.driver;
  if (k.config.profile === "seed" && (noBackend || !seedViable(g))) {
    throw new Errno(EINVAL, "group has no container with an IOMMU backend, or is not viable");
  }
  const dev = g.iommuGroup.devices.find((d) => d.bdf === name);
  if (!dev || dev.driver !== "vfio-pci") {
    throw new Errno(ENODEV, `no device "${name}" in group ${g.id}`);
  }
  if (noBackend) {
    throw new Errno(EINVAL, "group has no container with an IOMMU backend");
  }
  g.containerUsers++;
  g.deviceFds.set(name, (g.deviceFds.get(name) ?? 0) + 1);
  const df = new File(`anon_inode:[vfio-device]`, deviceFops, {
    group: g,
    bdf: name,
    groupFile: g.openedFile!.get(),
    kvm: g.kvm,
  });
  df.flags = O_RDWR | O_CLOEXEC;
  return k.current.installFd(df);
}

const groupFops: FileOperations = {
  name: "vfio-group",
  ioctls: () => VFIO_GROUP_IOCTLS,
  ioctl(file, cmd, arg) {
    const g = file.private_data as VfioGroup;
    const k = vfioKernel(g);
    const a = k.arch;
    if (cmd === ioctlNumber(VFIO_GROUP_GET_STATUS, a)) {
      let s;
      try {
        s = decodeStruct(vfio_group_status, k.current.mm.read(Number(arg), 8));
      } catch {
        throw new Errno(EFAULT);
      }
      if ((s.argsz as bigint) < 8n) throw new Errno(EINVAL, "argsz < 8");
      let flags = 0n;
      if (k.config.profile === "seed") {
        // 2016 vfio_group_fops_unl_ioctl: VIABLE and CONTAINER_SET independently.
        if (seedViable(g)) flags |= VFIO_GROUP_FLAGS.VFIO_GROUP_FLAGS_VIABLE;
        if (g.container) flags |= VFIO_GROUP_FLAGS.VFIO_GROUP_FLAGS_CONTAINER_SET;
      } else if (g.container) {
        flags = VFIO_GROUP_FLAGS.VFIO_GROUP_FLAGS_CONTAINER_SET |
          VFIO_GROUP_FLAGS.VFIO_GROUP_FLAGS_VIABLE;
      } else if (
        g.iommuGroup.viable() && (g.iommuGroup.owner === undefined || g.iommuGroup.owner === g)
      ) {
        flags = VFIO_GROUP_FLAGS.VFIO_GROUP_FLAGS_VIABLE;
      }
      k.current.mm.write(
        Number(arg),
        encodeStruct(vfio_group_status, { argsz: s.argsz as bigint, flags }),
      );
      return 0;
    }
    if (cmd === ioctlNumber(VFIO_GROUP_SET_CONTAINER, a)) return setContainer(g, arg);
    if (cmd === ioctlNumber(VFIO_GROUP_UNSET_CONTAINER, a)) {
      if (!g.container) throw new Errno(EINVAL, "group is not in a container");
      if (g.containerUsers !== 1) throw new Errno(EBUSY, "a device fd of the group is open");
      detachContainer(g);
      return 0;
    }
    if (cmd === ioctlNumber(VFIO_GROUP_GET_DEVICE_FD, a)) return getDeviceFd(g, arg);
    throw new Errno(ENOTTY);
  },
  release(file) {
    const g = file.private_data as VfioGroup;
    if (g.container) detachContainer(g);
    g.openedFile = undefined;
  },
};

// ------------------------------------------------------------ device

interface VfioDeviceFile {
  group: VfioGroup;
  bdf: string;
  groupFile: File;
  kvm: unknown;
}

const deviceFops: FileOperations = {
  name: "vfio-device",
  ioctls: () => VFIO_DEVICE_IOCTLS,
  ioctl(file, cmd, arg) {
    const d = file.private_data as VfioDeviceFile;
    const k = vfioKernel(d.group);
    if (cmd === ioctlNumber(VFIO_DEVICE_GET_INFO, k.arch)) {
      const v = decodeStruct(vfio_device_info, k.current.mm.read(Number(arg), 16));
      if ((v.argsz as bigint) < 16n) throw new Errno(EINVAL, "argsz < 16");
      k.current.mm.write(
        Number(arg),
        encodeStruct(vfio_device_info, {
          argsz: v.argsz as bigint,
          flags: VFIO_DEVICE_FLAGS.VFIO_DEVICE_FLAGS_PCI |
            VFIO_DEVICE_FLAGS.VFIO_DEVICE_FLAGS_RESET,
          num_regions: VFIO_DEVICE_FLAGS.VFIO_PCI_NUM_REGIONS,
          num_irqs: VFIO_DEVICE_FLAGS.VFIO_PCI_NUM_IRQS,
        }).subarray(0, 24),
      );
      return 0;
    }
    throw new Errno(ENOTTY);
  },
  release(file) {
    const d = file.private_data as VfioDeviceFile;
    const g = d.group;
    const n = (g.deviceFds.get(d.bdf) ?? 1) - 1;
    if (n <= 0) g.deviceFds.delete(d.bdf);
    else g.deviceFds.set(d.bdf, n);
    if (g.container) g.containerUsers--;
    d.groupFile.put();
  },
};

module_init("vfio", (k: Kernel) => {
  k.registerChrdev("/dev/vfio/vfio", {
    fops: containerFops,
    open(file, kernel) {
      const st = vfioState(kernel);
      const c = new VfioContainer(kernel, st.nextContainer++);
      st.containers.push(c);
      file.private_data = c;
    },
  });
});
