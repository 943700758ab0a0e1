/**
 * The generic KVM core (virt/kvm): VMs, vCPUs, memslots, devices, KVM_RUN, and the KVM-VFIO device.
 *
 * @example
 * ```ts
 * import * as m from "./mod.ts";
 * console.log(typeof m); // "object"
 * ```
 * @module
 */
export * from "./kvm_host.ts";
export * from "./kvm_main.ts";
export * from "./vfio.ts";
