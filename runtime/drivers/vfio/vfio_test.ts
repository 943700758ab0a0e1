import assert from "node:assert/strict";
import { boot, fdOf, withGroup } from "./test_helpers.ts";
import {
  VFIO_CHECK_EXTENSION,
  VFIO_EXT,
  VFIO_GET_API_VERSION,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_GROUP_UNSET_CONTAINER,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_SPAPR_TCE_GET_INFO,
  VFIO_SET_IOMMU,
} from "../../include/uapi/linux/vfio.ts";
import { ioctlNumber } from "../../kernel/uapi.ts";
import { vfioPlatformAddGroup } from "./vfio.ts";
import { UserPtr } from "../../vmm/marshal.ts";
import {
  KVM_CREATE_SPAPR_TCE,
  KVM_CREATE_SPAPR_TCE_64,
} from "../../arch/powerpc/include/uapi/asm/kvm_spapr_tce.ts";

const S = "spapr-tce-vfio-sva.md";
const E = {
  EINVAL: -22,
  EBUSY: -16,
  EPERM: -1,
  ENODEV: -19,
  EBADF: -9,
  EBADFD: -77,
  EFAULT: -14,
  ENXIO: -6,
};

Deno.test(`VFIO ioctl numbers: _IO on ppc64le carries 0x20000000 (VFIO_GET_API_VERSION = 0x20003B64), generic 0x3B64 (${S} §3.2, §3.3)`, () => {
  assert.equal(ioctlNumber(VFIO_GET_API_VERSION, "ppc64le"), 0x20003B64);
  assert.equal(ioctlNumber(VFIO_GET_API_VERSION, "x86_64"), 0x3B64);
  assert.equal(ioctlNumber(VFIO_IOMMU_MAP_DMA, "arm64"), 0x3B71);
  assert.equal(ioctlNumber(VFIO_IOMMU_SPAPR_TCE_GET_INFO, "ppc64le"), 0x20003B70);
  assert.equal(ioctlNumber(KVM_CREATE_SPAPR_TCE, "ppc64le") >>> 0, 0x8010AEA8);
  assert.equal(ioctlNumber(KVM_CREATE_SPAPR_TCE_64, "ppc64le") >>> 0, 0x8020AEA8);
  assert.equal(ioctlNumber(KVM_CREATE_SPAPR_TCE_64, "x86_64") >>> 0, 0x4020AEA8);
});

Deno.test(`GET_API_VERSION = 0; CHECK_EXTENSION polls the host's backends (${S} §3.5; drivers/vfio/container.c)`, () => {
  const p = boot("seed", { guest: false });
  const c = p.vmm.open("/dev/vfio/vfio");
  assert.equal(p.ioctl(c, VFIO_GET_API_VERSION).ret, 0);
  assert.equal(p.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU).ret, 1);
  assert.equal(p.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_EXT.VFIO_TYPE1v2_IOMMU).ret, 0);
  const x = boot("seed", { arch: "x86_64", guest: false });
  const cx = x.vmm.open("/dev/vfio/vfio");
  assert.equal(x.ioctl(cx, VFIO_CHECK_EXTENSION, VFIO_EXT.VFIO_TYPE1v2_IOMMU).ret, 1);
  assert.equal(x.ioctl(cx, VFIO_CHECK_EXTENSION, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU).ret, 0);
});

Deno.test(`SET_IOMMU on a container without groups → EINVAL (${S} §3.5; container.c vfio_ioctl_set_iommu)`, () => {
  const p = boot("seed", { guest: false });
  const c = p.vmm.open("/dev/vfio/vfio");
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU).ret, E.EINVAL);
});

Deno.test(`SET_IOMMU twice → EINVAL (no unset) and a type no backend claims → ENODEV (${S} §3.5)`, () => {
  const p = boot("seed", { guest: false });
  vfioPlatformAddGroup(p.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  const c = p.vmm.open("/dev/vfio/vfio");
  const g = p.vmm.open("/dev/vfio/5");
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c).ret, 0);
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_TYPE1v2_IOMMU).ret, E.ENODEV);
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU).ret, 0);
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU).ret, E.EINVAL);
});

Deno.test(`container ioctl other than the core three without a backend → EINVAL (${S} §3.5; container.c vfio_fops_unl_ioctl)`, () => {
  const p = boot("seed", { guest: false });
  const c = p.vmm.open("/dev/vfio/vfio");
  assert.equal(p.ioctl(c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, {}).ret, E.EINVAL);
});

Deno.test(`group node: only one open at a time → EBUSY (${S} §3.5; drivers/vfio/group.c)`, () => {
  const p = boot("seed", { guest: false });
  vfioPlatformAddGroup(p.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  assert.ok(p.vmm.open("/dev/vfio/5") >= 0);
  assert.equal(p.k.open(p.vmm.proc, "/dev/vfio/5"), E.EBUSY);
});

Deno.test(`GET_STATUS: argsz < 8 → EINVAL; VIABLE, then CONTAINER_SET|VIABLE (${S} §3.5)`, () => {
  const p = boot("seed", { guest: false });
  vfioPlatformAddGroup(p.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  const g = p.vmm.open("/dev/vfio/5");
  assert.equal(p.ioctl(g, VFIO_GROUP_GET_STATUS, { argsz: 4n }).ret, E.EINVAL);
  assert.equal(p.ioctl(g, VFIO_GROUP_GET_STATUS, {}).out.flags, 1n);
  const c = p.vmm.open("/dev/vfio/vfio");
  p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c);
  assert.equal(p.ioctl(g, VFIO_GROUP_GET_STATUS, {}).out.flags, 3n);
});

Deno.test(`[mainline] SET_CONTAINER: group with a device bound to a host driver is not viable → EPERM (${S} §3.5; iommu_group_claim_dma_owner)`, () => {
  const p = boot("mainline", { guest: false });
  vfioPlatformAddGroup(p.k, 6, [{ bdf: "0001:06:00.0", driver: "vfio-pci" }, {
    bdf: "0001:06:00.1",
    driver: "e1000e",
  }]);
  const g = p.vmm.open("/dev/vfio/6");
  assert.equal(p.ioctl(g, VFIO_GROUP_GET_STATUS, {}).out.flags, 0n);
  const c = p.vmm.open("/dev/vfio/vfio");
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c).ret, E.EPERM);
});

Deno.test(`SET_CONTAINER: a group is in at most one container → EINVAL (${S} §3.5; group.c)`, () => {
  const t = withGroup();
  const c2 = t.vmm.open("/dev/vfio/vfio");
  assert.equal(t.ioctl(fdOf(t, "group12"), VFIO_GROUP_SET_CONTAINER, c2).ret, E.EINVAL);
});

Deno.test(`[mainline] SET_CONTAINER: closed fd → EBADF, fd of the wrong kind → EBADFD, bad pointer → EFAULT (${S} §3.5)`, () => {
  const p = boot("mainline", { guest: false });
  vfioPlatformAddGroup(p.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  const g = p.vmm.open("/dev/vfio/5");
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, 77).ret, E.EBADF);
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, p.vmm.kvm()).ret, E.EBADFD);
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, new UserPtr(0x10n)).ret, E.EFAULT);
});

Deno.test(`[mainline] UNSET_CONTAINER: not in a container → EINVAL; device fd open → EBUSY (${S} §3.5; group.c)`, () => {
  const t = withGroup("mainline");
  const g = fdOf(t, "group12");
  assert.equal(t.ioctl(g, VFIO_GROUP_UNSET_CONTAINER).ret, E.EBUSY);
  for (const d of (t.vmm.objects.get("group12")!.impl as { devices: { fd: number }[] }).devices) {
    t.vmm.close(d.fd);
  }
  assert.equal(t.ioctl(g, VFIO_GROUP_UNSET_CONTAINER).ret, 0);
  assert.equal(t.ioctl(g, VFIO_GROUP_UNSET_CONTAINER).ret, E.EINVAL);
});

Deno.test(`[mainline] UNSET_CONTAINER of the last group releases the backend: container back to initial state (${S} §3.5)`, () => {
  const t = withGroup("mainline");
  const g = fdOf(t, "group12"), c = fdOf(t, "c0");
  for (const d of (t.vmm.objects.get("group12")!.impl as { devices: { fd: number }[] }).devices) {
    t.vmm.close(d.fd);
  }
  assert.equal(t.ioctl(g, VFIO_GROUP_UNSET_CONTAINER).ret, 0);
  // No backend any more: backend ioctls get the core's EINVAL, and SET_IOMMU needs a group again.
  assert.equal(t.ioctl(c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, {}).ret, E.EINVAL);
  assert.equal(t.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU).ret, E.EINVAL);
});

Deno.test(`[mainline] GET_DEVICE_FD: unknown name → ENODEV; group without container → EINVAL (${S} §3.5)`, () => {
  const p = boot("mainline", { guest: false });
  vfioPlatformAddGroup(p.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  const g = p.vmm.open("/dev/vfio/5");
  assert.equal(p.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0001:05:00.0").ret, E.EINVAL);
  assert.equal(p.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0001:09:00.0").ret, E.ENODEV);
});

// ------------------------------------------------ seed-era group rules (second-pass review)

const V = "2016 drivers/vfio/vfio.c";

Deno.test(`[seed] SET_CONTAINER: fd < 0 → EINVAL; closed fd → EBADF; non-container fd → EINVAL (not EBADFD); bad pointer → EFAULT (${V} vfio_group_fops_unl_ioctl, vfio_group_set_container)`, () => {
  const p = boot("seed", { guest: false });
  vfioPlatformAddGroup(p.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  const g = p.vmm.open("/dev/vfio/5");
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, -1).ret, E.EINVAL);
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, 77).ret, E.EBADF);
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, p.vmm.kvm()).ret, E.EINVAL);
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, new UserPtr(0x10n)).ret, E.EFAULT);
});

for (const [profile, want] of [["seed", E.EINVAL], ["mainline", E.EBADF]] as const) {
  Deno.test(`[${profile}] SET_CONTAINER on a group already in a container with a closed fd → ${want === E.EINVAL ? "EINVAL (container_users checked before fdget)" : "EBADF (fdget before vfio_group_has_iommu)"} (${profile === "seed" ? `${V} vfio_group_set_container` : "group.c vfio_group_ioctl_set_container"})`, () => {
    const t = withGroup(profile);
    assert.equal(t.ioctl(fdOf(t, "group12"), VFIO_GROUP_SET_CONTAINER, 77).ret, want);
  });
}

Deno.test(`[seed] non-viable group: SET_CONTAINER succeeds (no DMA-owner claim), GET_STATUS → CONTAINER_SET without VIABLE, GET_DEVICE_FD → EINVAL (${V} vfio_group_viable, vfio_group_get_device_fd)`, () => {
  const p = boot("seed", { guest: false });
  vfioPlatformAddGroup(p.k, 6, [{ bdf: "0001:06:00.0", driver: "vfio-pci" }, {
    bdf: "0001:06:00.1",
    driver: "e1000e",
  }]);
  const g = p.vmm.open("/dev/vfio/6");
  const c = p.vmm.open("/dev/vfio/vfio");
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c).ret, 0);
  assert.equal(p.ioctl(g, VFIO_GROUP_GET_STATUS, {}).out.flags, 2n);
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU).ret, 0);
  assert.equal(p.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0001:06:00.0").ret, E.EINVAL);
});

Deno.test(`[seed] GET_DEVICE_FD: group without container → EINVAL even for an unknown name (checked before vfio_device_get_from_name) (${V} vfio_group_get_device_fd)`, () => {
  const p = boot("seed", { guest: false });
  vfioPlatformAddGroup(p.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  const g = p.vmm.open("/dev/vfio/5");
  assert.equal(p.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0001:09:00.0").ret, E.EINVAL);
});

Deno.test(`GET_DEVICE_FD: a name with no NUL within PAGE_SIZE → EINVAL (lib/string.c strndup_user; group.c vfio_group_ioctl_get_device_fd)`, () => {
  const t = withGroup("mainline");
  const long = "a".repeat(t.k.config.pageSize);
  assert.equal(t.ioctl(fdOf(t, "group12"), VFIO_GROUP_GET_DEVICE_FD, long).ret, E.EINVAL);
});
