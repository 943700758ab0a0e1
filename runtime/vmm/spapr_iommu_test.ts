import assert from "node:assert/strict";
import { boot, withGroup } from "../drivers/vfio/test_helpers.ts";
import { builtins } from "./registry.ts";
import { VmmError } from "./registry.ts";
import { KVM_EXIT } from "../include/uapi/linux/kvm.ts";
import { iommuState } from "../drivers/iommu/iommu.ts";

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

// ---------------------------------------------------------------- audit additions (§1.5)

const QEMU = "qemu/qemu:hw/ppc/spapr_iommu.c";

function userWindow(profile: "seed" | "mainline" = "mainline") {
  const t = withGroup(profile);
  t.decl("window", "dma32", {
    group: 12n,
    liobn: 0x8000_0000n,
    size: 1n << 20n, // 256 × 4K entries
    "in-kernel": false,
  });
  return t;
}

Deno.test(`QEMU h_put_tce: ioba is masked to the page (no alignment error); (ioba - bus_offset) >> shift ≥ nb_table → H_PARAMETER (${S} §1.5; ${QEMU} put_tce_emu)`, () => {
  const t = userWindow();
  const r = t.hcall(0x20, [0x8000_0000n, 0x4123n, 0x10_0000n | 1n]);
  assert.equal(r.where, "user");
  assert.equal(r.ret, 0n);
  assert.equal(t.hcall(0x1C, [0x8000_0000n, 0x4fffn]).rets[0], 0x10_0000n | 1n);
  assert.equal(t.hcall(0x20, [0x8000_0000n, 1n << 20n, 0n]).ret, -4n);
  assert.equal(t.hcall(0x1C, [0x8000_0000n, 1n << 20n]).ret, -4n);
  // Unknown liobn, and one with high 32 bits set → H_PARAMETER (spapr_tce_find_by_liobn).
  assert.equal(t.hcall(0x20, [0x8000_0042n, 0n, 0n]).ret, -4n);
  assert.equal(t.hcall(0x20, [0x1_8000_0000n, 0n, 0n]).ret, -4n);
});

Deno.test(`QEMU h_stuff_tce: npages > nb_table → H_PARAMETER; any tce_value (even R/W) is accepted in userspace (${S} §1.5; ${QEMU} h_stuff_tce)`, () => {
  const t = userWindow();
  // In-kernel STUFF is enabled at guest start but the table is in userspace: unknown to KVM → exits.
  const bad = t.hcall(0x138, [0x8000_0000n, 0n, 0n, 257n]);
  assert.equal(bad.where, "user");
  assert.equal(bad.ret, -4n);
  const ok = t.hcall(0x138, [0x8000_0000n, 0n, 0x20_0000n | 3n, 4n]);
  assert.equal(ok.ret, 0n);
  for (let i = 0n; i < 4n; i++) {
    assert.equal(t.hcall(0x1C, [0x8000_0000n, i << 12n]).rets[0], 0x20_0000n | 3n);
  }
  // The window end: entries past nb_table stop the loop with H_PARAMETER after writing the first ones.
  assert.equal(t.hcall(0x138, [0x8000_0000n, 254n << 12n, 0x7n << 12n, 4n]).ret, -4n);
  assert.equal(t.hcall(0x1C, [0x8000_0000n, 255n << 12n]).rets[0], 0x7n << 12n);
});

Deno.test(`QEMU h_put_tce_indirect: npages > 512 or list not 4K-aligned → H_PARAMETER; stops at the first bad entry, earlier ones stay (${S} §1.5; ${QEMU})`, () => {
  const t = userWindow();
  const g = t.guest();
  const list = 0x30_0000;
  const buf = new Uint8Array(16);
  const dv = new DataView(buf.buffer);
  dv.setBigUint64(0, 0x40_0000n | 3n, false);
  dv.setBigUint64(8, 0x41_0000n | 3n, false);
  t.vmm.proc.mm.write(g.ramHva + list, buf);
  assert.equal(t.hcall(0x13C, [0x8000_0000n, 0n, BigInt(list), 513n]).ret, -4n);
  assert.equal(t.hcall(0x13C, [0x8000_0000n, 0n, BigInt(list + 8), 1n]).ret, -4n);
  // Starts at the last entry of the window: the first is written, the second is past nb_table.
  assert.equal(t.hcall(0x13C, [0x8000_0000n, 255n << 12n, BigInt(list), 2n]).ret, -4n);
  assert.equal(t.hcall(0x1C, [0x8000_0000n, 255n << 12n]).rets[0], 0x40_0000n | 3n);
});

Deno.test(`QEMU h_put_tce_indirect: a list outside guest RAM reads as 0 (ldq_be_phys has no error path) → entries cleared, H_SUCCESS (${S} §1.5; ${QEMU} h_put_tce_indirect)`, () => {
  const t = userWindow();
  assert.equal(t.hcall(0x20, [0x8000_0000n, 0x1000n, 0x10_0000n | 3n]).ret, 0n);
  const r = t.hcall(0x13C, [0x8000_0000n, 0x1000n, 8n << 30n, 1n]);
  assert.equal(r.where, "user");
  assert.equal(r.ret, 0n);
  assert.equal(t.hcall(0x1C, [0x8000_0000n, 0x1000n]).rets[0], 0n);
});

Deno.test(`H_TOO_HARD never reaches the guest: the exit is KVM_EXIT_PAPR_HCALL (19) and r3 is the VMM's answer (${S} §1.2, §1.4; include/uapi/linux/kvm.h)`, () => {
  const t = userWindow();
  t.k.trace.enabled = true;
  const r = t.hcall(0x20, [0x8000_0042n, 0n, 0n]);
  assert.equal(r.where, "user");
  assert.notEqual(r.ret, 9999n);
  assert.ok(t.k.trace.drain().some((l) => l.includes("KVM_EXIT_PAPR_HCALL")));
  assert.equal(KVM_EXIT.KVM_EXIT_PAPR_HCALL, 19n);
});

Deno.test(`a window overlapping an existing host DMA window → QEMU refuses it ("intersections are not allowed"); no second table is linked (${S} §4.2; qemu hw/vfio/spapr.c vfio_spapr_container_add_section_window)`, () => {
  for (const profile of ["seed", "mainline"] as const) {
    const t = withGroup(profile);
    t.decl("window", "dma32", { group: 12n, liobn: 0x8000_0000n, size: 1n << 30n });
    assert.throws(
      () =>
        t.decl("window", "alias", {
          group: 12n,
          liobn: 0x8000_0002n,
          offset: 0x1000_0000n,
          size: 1n << 28n,
          page: 1n << 24n,
        }),
      (e: unknown) =>
        e instanceof VmmError &&
        /region \[0x10000000,0x1fffffff\] overlaps with existing host DMA window \[0x0,0x3fffffff\]/
          .test(e.message),
    );
    // The failing declaration created no second host window and declared nothing.
    const tg = iommuState(t.k).devices.get("0001:01:00.0")!.group.tableGroup!;
    assert.equal(tg.tables.filter((x) => x).length, 1);
    assert.ok(t.vmm.objects.get("dma32"));
    assert.equal(t.vmm.objects.get("alias"), undefined);
  }
});

Deno.test(`a window's liobn must fit 32 bits: QEMU's SpaprTceTable.liobn and the seed struct's liobn are u32 (${S} §1.5 "high 32 bits set", §2.4)`, () => {
  const t = withGroup("seed");
  assert.throws(
    () => t.decl("window", "w", { group: 12n, liobn: 1n << 32n, size: 1n << 30n }),
    (e: unknown) => e instanceof VmmError && /does not fit 32 bits/.test(e.message),
  );
  assert.throws(
    () => t.decl("window", "w", { group: 12n, liobn: -1n, size: 1n << 30n }),
    (e: unknown) =>
      e instanceof VmmError && /0xffffffffffffffff does not fit 32 bits/.test(e.message),
  );
  // 0xffffffff itself is a valid LIOBN.
  t.decl("window", "w", { group: 12n, liobn: 0xffff_ffffn, size: 1n << 30n });
});

Deno.test(`device DMA: a bus address is a u64 — dma_read at -1 is 0xffffffffffffffff, an IOMMU fault "in no DMA window", counted on the group (${S} §1.3; drivers/iommu/dma.ts)`, () => {
  const t = withGroup("mainline");
  t.decl("window", "dma32", { group: 12n, liobn: 0x8000_0000n, size: 1n << 30n });
  const ctx = { vmm: t.vmm, kernel: t.k, print: () => {} };
  assert.throws(
    () => builtins.get("dma_read")!.call(ctx, ["0001:01:00.0", -1n, 1n], new Map()),
    /IOMMU fault: 0001:01:00\.0 DMA read at 0xffffffffffffffff: address is in no DMA window/,
  );
  assert.throws(
    () => builtins.get("dma_write")!.call(ctx, ["group12", -4096n, new Uint8Array([1])], new Map()),
    /DMA write at 0xfffffffffffff000: address is in no DMA window/,
  );
  assert.equal(iommuState(t.k).devices.get("0001:01:00.0")!.group.faults, 2);
});

Deno.test(`QEMU h_put_tce_indirect / h_stuff_tce: npages == 0 → H_PARAMETER (ret starts as H_PARAMETER and the loop never runs) (${S} §1.5; ${QEMU} h_put_tce_indirect, h_stuff_tce)`, () => {
  const t = userWindow();
  const r = t.hcall(0x13C, [0x8000_0000n, 0n, 0x30_0000n, 0n]);
  assert.equal(r.where, "user");
  assert.equal(r.ret, -4n);
  const s = t.hcall(0x138, [0x8000_0000n, 0n, 0n, 0n]);
  assert.equal(s.where, "user");
  assert.equal(s.ret, -4n);
});
