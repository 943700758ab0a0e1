/**
 * Every simulated subsystem, imported once so its initcalls, ioctl tables,
 * declarations, builtins and views are registered. Order is boot order.
 *
 * @example
 * ```ts
 * import "./modules.ts";
 * ```
 * @module
 */
import "./virt/kvm/kvm_main.ts";
import "./arch/powerpc/kvm/book3s_hv.ts";
import "./arch/arm64/kvm/arm.ts";
import "./vmm/kvm_all.ts";
import "./vmm/spapr_hcall.ts";
import "./vmm/views.ts";
import "./vmm/graph.ts";
import "./drivers/vfio/mod.ts";
import "./drivers/vhost/mod.ts";
import "./arch/arm64/kvm/mod.ts";
