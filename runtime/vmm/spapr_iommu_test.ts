import assert from "node:assert/strict";
import { boot, withGroup } from "../drivers/vfio/test_helpers.ts";
import { builtins } from "./registry.ts";
import { VmmError } from "./registry.ts";

const S = "spapr-tce-vfio-sva.md";

function names(lines: string[]): string[] {
  return lines.map((l) => l.match(/^(?:ioctl\(\d+<[^>]*>, (\w+)|(openat|mmap))/)).filter((m) => m)
    .map((m) => m![1] ?? m![2]!);
}

Deno.test(`container + group + window instantiate with QEMU's ioctl order (${S} §4.1, §4.2)`, () => {
  const t = boot("seed");
  t.k.trace.enabled = true;
  t.k.trace.drain();
  t.decl("container", "c0", { iommu: "spapr-tce-v2" });
  t.decl("group", "12", { container: "c0", device: "0001:01:00.0" });
  t.decl("window", "dma32", { guest: "vm1", group: 12n, liobn: 0x8000_0000n, size: 1n << 30n });
  const seq = names(t.k.trace.drain());
  assert.deepEqual(seq, [
    "openat",
    "VFIO_GET_API_VERSION",
    "VFIO_CHECK_EXTENSION",
    "openat",
    "VFIO_GROUP_GET_STATUS",
    "VFIO_GROUP_SET_CONTAINER",
    "VFIO_SET_IOMMU",
    "VFIO_IOMMU_SPAPR_REGISTER_MEMORY",
    "VFIO_IOMMU_SPAPR_TCE_GET_INFO",
    "VFIO_IOMMU_SPAPR_TCE_REMOVE",
    "KVM_CREATE_DEVICE",
    "KVM_SET_DEVICE_ATTR",
    "VFIO_GROUP_GET_DEVICE_FD",
    "KVM_CHECK_EXTENSION",
    "KVM_CHECK_EXTENSION",
    "KVM_CREATE_SPAPR_TCE_64",
    "mmap",
    "VFIO_IOMMU_SPAPR_TCE_CREATE",
    "KVM_SET_DEVICE_ATTR",
  ]);
});

Deno.test(`a group with a device on a host driver is not viable: the declaration fails as QEMU does (${S} §4.1)`, () => {
  const t = boot("seed");
  t.decl("container", "c0", { iommu: "spapr-tce-v2" });
  assert.throws(
    () =>
      t.decl("group", "7", {
        container: "c0",
        device: "0001:07:00.0",
        "host-device": "0001:07:00.1",
      }),
    /not viable/,
  );
});

Deno.test(`type1v2 on a ppc64le host: no backend (CHECK_EXTENSION = 0) — the declaration says so (${S} §3.5)`, () => {
  const t = boot("seed");
  assert.throws(() => t.decl("container", "c0", { iommu: "type1v2" }), VmmError);
});

Deno.test(`a 64-bit window declared before the 32-bit one lands at bus 0: QEMU removes it and fails "Host doesn't support DMA window" (${S} §4.2)`, () => {
  const t = withGroup();
  assert.throws(
    () =>
      t.decl("window", "dma64", {
        group: 12n,
        liobn: 0x8000_0001n,
        offset: 1n << 59n,
        size: 1n << 36n,
        page: 65536n,
      }),
    /Host doesn't support DMA window at 0x800000000000000/,
  );
});

Deno.test(`end to end: guest maps a buffer with H_PUT_TCE (in-kernel), the device writes it, the guest reads the bytes (${S} §4.3)`, () => {
  const t = withGroup("mainline");
  t.decl("window", "dma32", { group: 12n, liobn: 0x8000_0000n, size: 1n << 30n });
  const r = t.hcall(0x20, [0x8000_0000n, 0x4000n, 0x10_0000n | 2n]);
  assert.equal(r.where, "kernel");
  assert.equal(r.ret, 0n);
  const ctx = { vmm: t.vmm, kernel: t.k, print: () => {} };
  builtins.get("dma_write")!.call(
    ctx,
    ["0001:01:00.0", 0x4010n, new Uint8Array([0xca, 0xfe])],
    new Map(),
  );
  assert.deepEqual(
    t.vmm.proc.mm.read(t.guest().ramHva + 0x10_0010, 2),
    new Uint8Array([0xca, 0xfe]),
  );
  // Write-only TCE: the device may not read it back.
  assert.throws(
    () => builtins.get("dma_read")!.call(ctx, ["group12", 0x4010n, 2n], new Map()),
    /^Error: IOMMU fault:|IOMMU fault:/,
  );
});

Deno.test(`window in-kernel false: every H_PUT_TCE exits; QEMU's notifier issues VFIO_IOMMU_MAP_DMA / UNMAP_DMA (${S} §1.5, §4.3)`, () => {
  const t = withGroup("seed");
  t.decl("window", "dma32", {
    group: 12n,
    liobn: 0x8000_0000n,
    size: 1n << 30n,
    "in-kernel": false,
  });
  t.k.trace.enabled = true;
  const r = t.hcall(0x20, [0x8000_0000n, 0x4000n, 0x10_0000n | 3n]);
  assert.equal(r.where, "user");
  assert.equal(r.ret, 0n);
  assert.ok(
    t.k.trace.drain().some((l) => l.includes("VFIO_IOMMU_MAP_DMA") && l.includes("iova=0x4000")),
  );
  t.vmm.proc.mm.write(t.guest().ramHva + 0x10_0000, new Uint8Array([42]));
  const ctx = { vmm: t.vmm, kernel: t.k, print: () => {} };
  assert.deepEqual(
    builtins.get("dma_read")!.call(ctx, ["0001:01:00.0", 0x4000n, 1n], new Map()),
    new Uint8Array([42]),
  );
  assert.equal(t.hcall(0x20, [0x8000_0000n, 0x4000n, 0n]).ret, 0n);
  assert.ok(t.k.trace.drain().some((l) => l.includes("VFIO_IOMMU_UNMAP_DMA")));
  assert.throws(
    () => builtins.get("dma_read")!.call(ctx, ["0001:01:00.0", 0x4000n, 1n], new Map()),
    /IOMMU fault/,
  );
  // H_GET_TCE from QEMU's own table; liobn with high bits → H_PARAMETER.
  assert.equal(t.hcall(0x1C, [0x8000_0000n, 0x4000n]).rets[0], 0n);
  assert.equal(t.hcall(0x1C, [0x1_8000_0000n, 0x4000n]).ret, -4n);
});

Deno.test(`guest start enables in-kernel H_PUT_TCE_INDIRECT and H_STUFF_TCE when KVM has MULTITCE (QEMU kvmppc_spapr_enable_inkernel_multitce; ${S} §1.4)`, () => {
  const t = boot("seed");
  t.k.trace.enabled = true;
  t.decl("guest", "vm2", { vcpus: 1n, memory: 1n << 28n });
  const lines = t.k.trace.drain().filter((l) => l.includes("KVM_CAP_PPC_ENABLE_HCALL"));
  assert.equal(lines.length, 2);
  assert.ok(lines[0]!.includes("args=[316, 1"));
  assert.ok(lines[1]!.includes("args=[312, 1"));
});
