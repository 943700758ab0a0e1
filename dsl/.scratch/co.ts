import { complete } from "../complete.ts";
import { testVocabulary } from "../testdata/vocab.ts";
const v = testVocabulary();
for (const l of ["", "gu", "ioctl vm1 KVM_C", "ioctl vmm:/dev/kvm ", "hcall vm1.cpu0 H_", "hcall vm1.cpu0 H_PUT_TCE(", "hcall vm1.cpu0 H_PUT_TCE(liobn: 1, t", "hcall vm1.cpu0 H_PUT_TCE(liobn: 1, tce: TCE_R", "hcall vm1.cpu0 H_PUT_TCE(liobn: 1, tce: 1 | ", "show ", "show w", "guest vm1 { ", "guest vm1 { memory 4G v", "host p9 { arch ", "ioctl c0 VFIO_IOMMU_MAP_DMA({fl", "ioctl c0 VFIO_IOMMU_MAP_DMA({flags: R", "ioctl vmm:/dev/vhost-vdpa-0 VHOST_VDPA_SET_STATUS(AC", "let x = mem", "device n0 ", "expect v"]) {
  console.log(JSON.stringify(l), JSON.stringify(complete(l, l.length, v, ["vm1", "c0", "dma32"])));
}
