/**
 * The VFIO / sPAPR TCE subsystem, imported once by runtime/modules.ts: the
 * uapi, the VFIO core and its two IOMMU backends, KVM's TCE tables and
 * hypercalls, the KVM-VFIO device, and the VMM side (declarations,
 * QEMU-side hypercalls, builtins and views).
 *
 * @example
 * ```ts
 * import "./mod.ts";
 * ```
 * @module
 */
import "../../include/uapi/linux/vfio.ts";
import "../../arch/powerpc/include/uapi/asm/kvm_spapr_tce.ts";
import "./vfio.ts";
import "./vfio_iommu_spapr_tce.ts";
import "./vfio_iommu_type1.ts";
import "../../arch/powerpc/kvm/book3s_64_vio.ts";
import "../../arch/powerpc/kvm/book3s_64_vio_hcalls.ts";
import "../../virt/kvm/vfio.ts";
import "../../vmm/vfio.ts";
import "../../vmm/spapr_iommu.ts";
import "../../vmm/spapr_vfio_views.ts";
