import assert from "node:assert/strict";
import { complete } from "./complete.ts";
import { testVocabulary } from "./testdata/vocab.ts";

const v = testVocabulary();
const known = ["vm1", "c0", "dma32"];
const at = (line: string) => complete(line, line.length, v, known);

Deno.test("complete: statement keywords at the start of a line", () => {
  assert.deepEqual(at("gu"), { from: 0, items: ["guest"] });
  assert.ok(at("").items.includes("ioctl"));
  assert.deepEqual(at("mem").items, ["memread", "memwrite"]);
});

Deno.test("complete: ioctl and hcall names after their target", () => {
  assert.deepEqual(at("ioctl vm1 KVM_C"), {
    from: 10,
    items: ["KVM_CHECK_EXTENSION", "KVM_CREATE_VCPU", "KVM_CREATE_VM"],
  });
  assert.ok(at("ioctl vmm:/dev/kvm ").items.includes("KVM_CREATE_VM"));
  assert.ok(at("ioctl vmm:5 ").items.includes("KVM_CREATE_VM"));
  assert.deepEqual(at("hcall vm1.cpu0 H_P").items, ["H_PUT_TCE"]);
  assert.deepEqual(at("hcall vm1.cpu0 h_p").items, ["H_PUT_TCE"]);
});

Deno.test("complete: argument names, then the field's flags", () => {
  assert.deepEqual(at("hcall vm1.cpu0 H_PUT_TCE(").items, ["ioba: ", "liobn: ", "tce: "]);
  assert.deepEqual(at("hcall vm1.cpu0 H_PUT_TCE(liobn: 1, t").items, ["tce: "]);
  assert.deepEqual(at("hcall vm1.cpu0 H_PUT_TCE(liobn: 1, tce: TCE_").items, [
    "TCE_READ",
    "TCE_WRITE",
  ]);
  assert.deepEqual(at("ioctl c0 VFIO_IOMMU_MAP_DMA({fl").items, ["flags: "]);
  assert.deepEqual(at("ioctl c0 VFIO_IOMMU_MAP_DMA({flags: READ | W").items, ["WRITE"]);
  assert.deepEqual(at("ioctl vmm:/dev/vhost-vdpa-0 VHOST_VDPA_SET_STATUS(DRIVER").items, [
    "DRIVER",
    "DRIVER_OK",
  ]);
});

Deno.test("complete: show topics and names", () => {
  assert.deepEqual(at("show w").items, ["windows"]);
  assert.ok(at("show ").items.includes("dma32"));
});

Deno.test("complete: property names and values in declaration blocks", () => {
  assert.deepEqual(at("guest vm1 { ").items, ["memory", "nested", "vcpus"]);
  assert.deepEqual(at("guest vm1 { memory 4G v").items, ["vcpus"]);
  assert.deepEqual(at("host p9 { arch pp").items, ["ppc64le"]);
  assert.deepEqual(at("device n0 vd").items, ["vdpa-net"]);
});

Deno.test("complete: otherwise names, constants and builtins; never throws", () => {
  assert.deepEqual(at("let x = H_S").items, ["H_SUCCESS"]);
  assert.deepEqual(at("expect v").items, ["vm1", "vmm"]);
  assert.deepEqual(complete("\u0000(({{[[", 7, v, known).from, 7);
  assert.deepEqual(complete("guest vm1", 3, v, known), { from: 0, items: ["guest"] });
});
