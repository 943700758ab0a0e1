/**
 * The locked_vm accounting of the v1 sPAPR TCE container
 * (drivers/vfio/vfio_iommu_spapr_tce.c tce_iommu_enable / tce_iommu_disable).
 * POWER does not account page by page on the hot H_PUT_TCE / MAP_DMA path:
 * VFIO_IOMMU_ENABLE charges the worst case, the whole DMA32 window
 * (`tce32_size >> PAGE_SHIFT`), against RLIMIT_MEMLOCK (ENOMEM over it,
 * CAP_IPC_LOCK bypasses), and DISABLE or release credits it back. 2016:
 * try_increment_locked_vm / decrement_locked_vm on current->mm; mainline:
 * account_locked_vm(container->mm, …).
 *
 * @example
 * ```ts
 * import { tceIommuDisable } from "./vfio_iommu_spapr_tce_locked.ts";
 * const c = { enabled: false, lockedPages: 0, mm: undefined, kernel: {} } as never;
 * tceIommuDisable(c); // not enabled: nothing to credit
 * ```
 * @module
 */
import type { Kernel } from "../../kernel/kernel.ts";
import type { MM } from "../../mm/mm.ts";
import { accountLockedVm } from "../../mm/util.ts";

/** The container fields the accounting reads (struct tce_container). */
export interface TceLocked {
  readonly kernel: Kernel;
  mm: MM | undefined;
  enabled: boolean;
  lockedPages: number;
}

/**
 * tce_iommu_enable's accounting of a DMA32 window of `size32` bytes (mm latched).
 *
 * @example
 * ```ts
 * // tceIommuEnableLocked(container, 0x40000000n) // 1 GiB: 16384 pages of 64K
 * ```
 */
export function tceIommuEnableLocked(c: TceLocked, size32: bigint): void {
  const k = c.kernel;
  const locked = Number(size32 / BigInt(k.config.pageSize));
  const mm = k.config.profile === "seed" ? k.current.mm : c.mm!;
  accountLockedVm(mm, locked, true, k.current, k.config.profile);
  c.lockedPages = locked;
}

/**
 * tce_iommu_disable: clear `enabled` and credit the window back — to
 * container->mm (mainline) or current->mm (2016).
 *
 * @example
 * ```ts
 * // tceIommuDisable(container)
 * ```
 */
export function tceIommuDisable(c: TceLocked): void {
  if (!c.enabled) return;
  c.enabled = false;
  const mm = c.kernel.config.profile === "seed" ? c.kernel.current.mm : c.mm;
  if (mm) mm.lockedVm -= Math.min(c.lockedPages, mm.lockedVm);
  c.lockedPages = 0;
}
