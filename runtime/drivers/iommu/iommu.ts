/**
 * drivers/iommu/iommu.c, reduced: IOMMU groups with their PCI devices, which
 * driver each device is bound to, DMA ownership (iommu_group_claim_dma_owner)
 * and the translation the group's devices currently go through. Groups are
 * platform hardware: they are created at host set-up, not by ioctls. On a
 * POWER host every group is a PE with an {@link IommuTableGroup}.
 *
 * @example
 * ```ts
 * import { Kernel } from "../../kernel/kernel.ts";
 * import { iommuGroupAdd, iommuGroups } from "./iommu.ts";
 * const k = new Kernel({ name: "h", arch: "ppc64le", profile: "seed", pageSize: 65536, seed: 1, props: {} });
 * iommuGroupAdd(k, 12, [{ bdf: "0001:01:00.0", driver: "vfio-pci" }]);
 * console.log(iommuGroups(k).get(12)!.viable()); // true
 * ```
 * @module
 */
import { EEXIST, EINVAL, EPERM } from "../../include/uapi/asm-generic/errno.ts";
import { Errno } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { IommuTableGroup, type TableOps } from "./iommu_table.ts";

/** A PCI function. */
export interface PciDevice {
  bdf: string;
  /** Bound driver: "vfio-pci", a host driver name, or "" (none). */
  driver: string;
  group: IommuGroup;
}

/** Result of a translation: host physical address, or a fault reason. */
export type Translation = { hpa: number } | { fault: string };

/** An IOMMU domain the group's devices translate through (type1 domain, sPAPR tables). */
export interface IommuDomain {
  name: string;
  /** Translate one byte address for a read or a write. */
  translate(addr: bigint, write: boolean): Translation;
}

/** Drivers that leave DMA to userspace (driver_managed_dma / no DMA API use). */
const USER_DMA_DRIVERS = new Set(["vfio-pci", "pci-stub", ""]);

/** struct iommu_group. */
export class IommuGroup {
  readonly id: number;
  readonly devices: PciDevice[] = [];
  /** DMA owner (the vfio_group) when claimed. */
  owner: unknown;
  /** POWER: the PE's tables. */
  readonly tableGroup: IommuTableGroup | undefined;
  /** Non-sPAPR: the domain attached by the owner (type1), if any. */
  domain: IommuDomain | undefined;
  /** DMA faults seen by devices of this group. */
  faults = 0;

  constructor(id: number, tableGroup: IommuTableGroup | undefined) {
    this.id = id;
    this.tableGroup = tableGroup;
  }

  /** No device is bound to a driver that uses the kernel DMA API. */
  viable(): boolean {
    return this.devices.every((d) => USER_DMA_DRIVERS.has(d.driver));
  }

  /**
   * iommu_group_claim_dma_owner (drivers/iommu/iommu.c): `group->owner_cnt`
   * counts both a bound host driver (iommu_device_use_default_domain) and an
   * earlier claim, and either gives EPERM.
   */
  claimDmaOwner(owner: unknown): void {
    if (this.owner !== undefined && this.owner !== owner) {
      throw new Errno(EPERM, "group already has a DMA owner (owner_cnt)");
    }
    if (!this.viable()) {
      throw new Errno(
        EPERM,
        `a device of group ${this.id} is bound to a host driver (iommu_group_claim_dma_owner)`,
      );
    }
    this.owner = owner;
  }

  /** iommu_group_release_dma_owner. */
  releaseDmaOwner(): void {
    this.owner = undefined;
    this.domain = undefined;
  }
}

/** Per-kernel IOMMU state. */
export interface IommuState {
  groups: Map<number, IommuGroup>;
  devices: Map<string, PciDevice>;
  /** Next hardware TCE table id (views). */
  nextTable: number;
}

/**
 * The IOMMU state of a kernel.
 *
 * @example
 * ```ts
 * // iommuState(kernel).devices.get("0001:01:00.0")
 * ```
 */
export function iommuState(k: Kernel): IommuState {
  return k.state<IommuState>(
    "iommu",
    () => ({ groups: new Map(), devices: new Map(), nextTable: 1 }),
  );
}

/**
 * All IOMMU groups of a kernel, by id.
 *
 * @example
 * ```ts
 * // iommuGroups(kernel).get(12)
 * ```
 */
export function iommuGroups(k: Kernel): Map<number, IommuGroup> {
  return iommuState(k).groups;
}

/** BDF syntax: domain:bus:device.function. */
const BDF_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;

/**
 * Platform set-up: create IOMMU group `id` with its devices (hardware
 * discovery plus driver binding). Throws Errno EINVAL for a malformed BDF or
 * EEXIST for a device or group that already exists.
 *
 * @example
 * ```ts
 * // iommuGroupAdd(kernel, 12, [{ bdf: "0001:01:00.0", driver: "vfio-pci" }]);
 * ```
 */
export function iommuGroupAdd(
  k: Kernel,
  id: number,
  devs: { bdf: string; driver: string }[],
  ops: TableOps = "ioda2",
): IommuGroup {
  const st = iommuState(k);
  if (st.groups.has(id)) throw new Errno(EEXIST, `IOMMU group ${id} already exists`);
  for (const d of devs) {
    if (!BDF_RE.test(d.bdf)) {
      throw new Errno(EINVAL, `"${d.bdf}" is not a PCI address (dddd:bb:dd.f)`);
    }
    if (st.devices.has(d.bdf)) {
      throw new Errno(
        EEXIST,
        `device ${d.bdf} is already in group ${st.devices.get(d.bdf)!.group.id}`,
      );
    }
  }
  const g = new IommuGroup(
    id,
    k.arch === "ppc64le"
      ? new IommuTableGroup(ops, k.config.pageSize, () => st.nextTable++)
      : undefined,
  );
  for (const d of devs) {
    const pd: PciDevice = { bdf: d.bdf, driver: d.driver, group: g };
    g.devices.push(pd);
    st.devices.set(d.bdf, pd);
  }
  st.groups.set(id, g);
  return g;
}
