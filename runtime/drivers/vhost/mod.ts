/**
 * The vhost / vDPA subsystem: uapi definitions, the vhost core, the
 * vhost-vdpa char device, the vDPA bus and its simulator, and the VMM and
 * script side (the `device … vdpa-net` declaration, eventfd and IOTLB
 * builtins, the guest virtio-net driver helpers and `show` views).
 *
 * @example
 * ```ts
 * import "./mod.ts";
 * ```
 * @module
 */
import "../../include/uapi/linux/virtio_config.ts";
import "../../include/uapi/linux/virtio_net.ts";
import "../../include/uapi/linux/virtio_ring.ts";
import "../../include/uapi/linux/vhost_types.ts";
import "../../include/uapi/linux/vhost.ts";
import "./vdpa.ts";
import "../vdpa/vdpa_sim/vdpa_sim_net.ts";
import "../../vmm/vhost_vdpa.ts";
import "../../vmm/eventfd_builtins.ts";
import "../../vmm/vhost_vdpa_builtins.ts";
import "../../vmm/vhost_vdpa_views.ts";
import "../../../stdlib/virtio_net_driver.ts";
