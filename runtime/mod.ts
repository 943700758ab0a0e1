/**
 * The simulated host: importing this registers every subsystem (KVM, VFIO and
 * the sPAPR TCE IOMMU, vhost-vdpa and vdpa_sim, the arm64 timer) and exposes
 * the kernel and the VMM to boot one.
 *
 * @example
 * ```ts
 * import { hostConfig, Kernel, Vmm } from "./mod.ts";
 * const k = new Kernel(hostConfig("p9", new Map()));
 * console.log(new Vmm(k).proc.comm, k.arch); // "vmm" "ppc64le"
 * ```
 * @module
 */
import "./modules.ts";
export { Kernel } from "./kernel/kernel.ts";
export { Vmm } from "./vmm/vmm.ts";
export { hostConfig } from "./vmm/host.ts";
