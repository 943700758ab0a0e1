/**
 * `help` for every ioctl, hypercall and KVM-VFIO attribute of the sPAPR TCE /
 * VFIO subsystem (issue 3: "`help` for every ioctl and hcall here"): each
 * shows its number in both ioctl encodings or its hcall number, and its rules.
 * @module
 */
import assert from "node:assert/strict";
import "../modules.ts";
import { helpText } from "../../stdlib/help.ts";

const S = "spapr-tce-vfio-sva.md";

const IOCTLS: [string, string, string][] = [
  // name, generic value, powerpc value (§3.2, §3.3: _IO adds 0x20000000 on ppc; _IOW is 0x8… there)
  ["VFIO_GET_API_VERSION", "0x3b64", "0x20003b64"],
  ["VFIO_CHECK_EXTENSION", "0x3b65", "0x20003b65"],
  ["VFIO_SET_IOMMU", "0x3b66", "0x20003b66"],
  ["VFIO_GROUP_GET_STATUS", "0x3b67", "0x20003b67"],
  ["VFIO_GROUP_SET_CONTAINER", "0x3b68", "0x20003b68"],
  ["VFIO_GROUP_UNSET_CONTAINER", "0x3b69", "0x20003b69"],
  ["VFIO_GROUP_GET_DEVICE_FD", "0x3b6a", "0x20003b6a"],
  ["VFIO_IOMMU_GET_INFO", "0x3b70", "0x20003b70"],
  ["VFIO_IOMMU_SPAPR_TCE_GET_INFO", "0x3b70", "0x20003b70"],
  ["VFIO_IOMMU_MAP_DMA", "0x3b71", "0x20003b71"],
  ["VFIO_IOMMU_UNMAP_DMA", "0x3b72", "0x20003b72"],
  ["VFIO_IOMMU_ENABLE", "0x3b73", "0x20003b73"],
  ["VFIO_IOMMU_DISABLE", "0x3b74", "0x20003b74"],
  ["VFIO_IOMMU_SPAPR_REGISTER_MEMORY", "0x3b75", "0x20003b75"],
  ["VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY", "0x3b76", "0x20003b76"],
  ["VFIO_IOMMU_SPAPR_TCE_CREATE", "0x3b77", "0x20003b77"],
  ["VFIO_IOMMU_SPAPR_TCE_REMOVE", "0x3b78", "0x20003b78"],
  ["KVM_CREATE_SPAPR_TCE", "0x4010aea8", "0x8010aea8"],
  ["KVM_CREATE_SPAPR_TCE_64", "0x4020aea8", "0x8020aea8"],
  ["KVM_CREATE_DEVICE", "0xc00caee0", "0xc00caee0"],
  ["KVM_SET_DEVICE_ATTR", "0x4018aee1", "0x8018aee1"],
  ["KVM_HAS_DEVICE_ATTR", "0x4018aee3", "0x8018aee3"],
];

Deno.test(`help for every VFIO / sPAPR TCE / KVM device ioctl gives the generic and the powerpc number (${S} §2.1–§3.3)`, () => {
  for (const [name, generic, ppc] of IOCTLS) {
    const h = helpText(name);
    assert.ok(h.startsWith(`${name} — `), h);
    assert.match(
      h,
      new RegExp(`= ${generic} \\(generic: x86_64, arm64\\)  ${ppc} \\(powerpc\\)`),
      name,
    );
  }
});

Deno.test(`help for the four TCE hypercalls gives number, arguments and the H_PARAMETER / H_TOO_HARD rules (${S} §1.1, §1.4, §1.5)`, () => {
  const cases: [string, string, RegExp][] = [
    ["H_GET_TCE", "0x1c", /H_TOO_HARD \(in KVM, never seen by the guest\)/],
    ["H_PUT_TCE", "0x20", /kernel seed.*2016 validator/],
    ["H_STUFF_TCE", "0x138", /tce_value has TCE_PCI_READ or TCE_PCI_WRITE/],
    ["H_PUT_TCE_INDIRECT", "0x13c", /npages > 512, tce_list not 4K aligned/],
  ];
  for (const [name, nr, rule] of cases) {
    const h = helpText(name);
    assert.ok(h.startsWith(`${name} (hcall ${nr}, ppc64le)`), h);
    assert.match(h, /arguments \(r4…\): liobn, ioba/);
    assert.match(h, rule, name);
    assert.match(h, /H_PARAMETER/);
  }
});

Deno.test(`help for the KVM-VFIO attributes states each profile's struct and errno rules (${S} §2.3, §2.4; virt/kvm/vfio.c)`, () => {
  const liobn = helpText("KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE_LIOBN");
  assert.match(liobn, /= 3 \(0x3\)/);
  assert.match(liobn, /kernel seed: .*\{argsz, fd, liobn, pad\[4\], start_addr\} \(24 bytes\)/);
  assert.match(liobn, /EINVAL argsz < 24; EBADF fd not open; .*ENOENT group not added/);
  assert.match(liobn, /seed: 000_283a6311b43e8a0d/);
  const merged = helpText("KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE");
  assert.match(merged, /kernel mainline: .*\{groupfd, tablefd\} \(8 bytes\)/);
  assert.match(merged, /EIO not a group file/);
  assert.match(merged, /ENOTTY link being destroyed/);
  for (const n of ["KVM_DEV_VFIO_FILE_ADD", "KVM_DEV_VFIO_GROUP_ADD"]) {
    assert.match(helpText(n), /EEXIST already added/, n);
  }
  for (const n of ["KVM_DEV_VFIO_FILE_DEL", "KVM_DEV_VFIO_GROUP_DEL"]) {
    assert.match(helpText(n), /ENOENT the file was not added/, n);
  }
});
