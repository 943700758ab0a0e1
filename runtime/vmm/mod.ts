/**
 * The simulated VMM (a QEMU stand-in) and the registries through which subsystems add declarations, builtins and views.
 *
 * @example
 * ```ts
 * import * as m from "./mod.ts";
 * console.log(typeof m); // "object"
 * ```
 * @module
 */
export * from "./registry.ts";
export * from "./value.ts";
export * from "./vmm.ts";
export * from "./marshal.ts";
export * from "./host.ts";
export * from "./kvm_all.ts";
export * from "./spapr_hcall.ts";
export * from "./views.ts";
export * from "./graph.ts";
