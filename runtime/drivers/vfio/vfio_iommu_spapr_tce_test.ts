import assert from "node:assert/strict";
import { boot, fdOf, withGroup } from "./test_helpers.ts";
import {
  VFIO_CHECK_EXTENSION,
  VFIO_EXT,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_IOMMU_ENABLE,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
  VFIO_IOMMU_SPAPR_TCE_CREATE,
  VFIO_IOMMU_SPAPR_TCE_GET_INFO,
  VFIO_IOMMU_SPAPR_TCE_REMOVE,
  VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_SET_IOMMU,
} from "../../include/uapi/linux/vfio.ts";
import { vfioPlatformAddGroup } from "./vfio.ts";
import { iommuGroups } from "../iommu/iommu.ts";
import { deviceDmaRead, deviceDmaWrite } from "../iommu/dma.ts";
import { mmIommuList } from "../iommu/mm_iommu.ts";

const S = "spapr-tce-vfio-sva.md §3.7; drivers/vfio/vfio_iommu_spapr_tce.c";
const E = {
  EINVAL: -22,
  EBUSY: -16,
  EPERM: -1,
  ENODEV: -19,
  ENXIO: -6,
  ENOSPC: -28,
  ENOTTY: -25,
  ENOENT: -2,
  EFAULT: -14,
};

function bare(v2 = true, profile: "seed" | "mainline" = "seed") {
  const p = boot(profile);
  vfioPlatformAddGroup(p.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  const c = p.vmm.open("/dev/vfio/vfio");
  const g = p.vmm.open("/dev/vfio/5");
  p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c);
  assert.equal(
    p.ioctl(
      c,
      VFIO_SET_IOMMU,
      v2 ? VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU : VFIO_EXT.VFIO_SPAPR_TCE_IOMMU,
    ).ret,
    v2 ? 0 : E.EPERM,
  );
  return { ...p, c, g };
}

Deno.test(`v1 (SPAPR_TCE_IOMMU) on a DDW-capable IODA2 PE → EPERM; QEMU falls back the other way (${S})`, () => {
  bare(false);
});

Deno.test(`TCE_GET_INFO: argsz < 16 → EINVAL; DDW part only with argsz ≥ 32 on v2 (${S})`, () => {
  const p = bare();
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, { argsz: 8n }).ret, E.EINVAL);
  const short = p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, { argsz: 16n });
  assert.equal(short.ret, 0);
  assert.equal(short.out.dma32_window_size, 0x8000_0000n);
  assert.equal((short.out.ddw as Record<string, bigint>).pgsizes, 0n);
  const full = p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_GET_INFO, {});
  assert.equal(full.out.flags, 1n);
  assert.equal((full.out.ddw as Record<string, bigint>).max_dynamic_windows_supported, 2n);
  assert.equal((full.out.ddw as Record<string, bigint>).pgsizes, 0x1011000n);
});

Deno.test(`MAP_DMA / UNMAP_DMA before anything is registered (v2 not enabled) → EPERM (${S})`, () => {
  const p = bare();
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: 0n, iova: 0n, size: 4096n }).ret,
    E.EPERM,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_UNMAP_DMA, { flags: 0n, iova: 0n, size: 4096n }).ret,
    E.EPERM,
  );
});

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] REGISTER_MEMORY: flags ≠ 0 / unaligned → EINVAL, same region twice → ${profile === "seed" ? "0 (2016 mm_iommu_get takes one more reference)" : "EBUSY (container->prereg_list)"}, unmapped → EFAULT (${S}; tce_iommu_register_pages, v4.6 and mainline)`, () => {
    const p = bare(true, profile);
    const a = p.vmm.mmapAnon(1 << 20);
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { flags: 1n, vaddr: BigInt(a), size: 65536n })
        .ret,
      E.EINVAL,
    );
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: BigInt(a + 4096), size: 65536n }).ret,
      E.EINVAL,
    );
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: BigInt(a), size: 65536n }).ret,
      0,
    );
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: BigInt(a), size: 65536n }).ret,
      profile === "seed" ? 0 : E.EBUSY,
    );
    assert.equal(mmIommuList(p.vmm.proc.mm)[0]!.used, profile === "seed" ? 2 : 1);
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: 0x1000_0000n, size: 65536n }).ret,
      E.EFAULT,
    );
  });

  Deno.test(`[${profile}] REGISTER_MEMORY overlapping a region AND not mapped → ${profile === "seed" ? "EINVAL (2016: overlap checked before pinning)" : "EFAULT (mainline mm_iommu_do_alloc pins first, checks overlap after)"} (mmu_context_iommu.c mm_iommu_get; book3s64/iommu_api.c mm_iommu_do_alloc)`, () => {
    const p = bare(true, profile);
    const a = p.vmm.mmapAnon(2 << 20);
    const end = a + (1 << 20);
    p.vmm.proc.mm.munmap(end, 1 << 20);
    assert.equal(p.vmm.proc.mm.accessOk(end, 65536, true), false, "precondition: hole after");
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: BigInt(a), size: 1n << 20n }).ret,
      0,
    );
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, {
        vaddr: BigInt(end - 65536),
        size: 131072n,
      }).ret,
      profile === "seed" ? E.EINVAL : E.EFAULT,
    );
  });
}

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] UNREGISTER_MEMORY: not registered → ENOENT; still mapped → ${profile === "seed" ? "EBUSY (2016 mm_iommu_put, the reference is kept)" : "0: the ioctl's own mm_iommu_get reference makes prereg_free's put succeed and the final put's EBUSY is ignored; the region stays registered in the mm"} (${S}; tce_iommu_unregister_pages, mm_iommu_put)`, () => {
    const p = bare(true, profile);
    const a = BigInt(p.vmm.mmapAnon(1 << 20));
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: a, size: 1n << 20n }).ret,
      0,
    );
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, { vaddr: a, size: 65536n }).ret,
      E.ENOENT,
    );
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0n, size: 4096n }).ret,
      0,
    );
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, { vaddr: a, size: 1n << 20n }).ret,
      profile === "seed" ? E.EBUSY : 0,
    );
    // Either way the region is still registered in the mm (still mapped).
    assert.equal(mmIommuList(p.vmm.proc.mm).length, 1);
    assert.equal(p.ioctl(p.c, VFIO_IOMMU_UNMAP_DMA, { iova: 0n, size: 4096n }).ret, 0);
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, { vaddr: a, size: 1n << 20n }).ret,
      profile === "seed" ? 0 : E.ENOENT,
    );
    if (profile === "mainline") {
      // The container no longer owns it: nothing frees the region (the kernel's leak).
      assert.equal(mmIommuList(p.vmm.proc.mm).length, 1);
    } else assert.equal(mmIommuList(p.vmm.proc.mm).length, 0);
  });
}

Deno.test(`MAP_DMA: the pending default window is created lazily (4K at 0); TCE_REMOVE(0) while pending just cancels (${S})`, () => {
  const p = bare();
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, { start_addr: 0n }).ret, 0);
  // Cancelled: nothing to remove any more.
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, { start_addr: 0n }).ret, E.EINVAL);
});

Deno.test(`MAP_DMA: iova in no window → ENXIO; unaligned size/vaddr → EINVAL; past the window → EINVAL; neither R nor W → EINVAL; vaddr not registered → EINVAL (${S})`, () => {
  const p = bare();
  const a = BigInt(p.vmm.mmapAnon(1 << 20));
  p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: a, size: 1n << 20n });
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x1_0000_0000n, size: 4096n })
      .ret,
    E.ENXIO,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0n, size: 100n }).ret,
    E.EINVAL,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a + 8n, iova: 0n, size: 4096n }).ret,
    E.EINVAL,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x7fff_f000n, size: 8192n }).ret,
    E.EINVAL,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 0n, vaddr: a, iova: 0n, size: 4096n }).ret,
    E.EINVAL,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 8n, vaddr: a, iova: 0n, size: 4096n }).ret,
    E.EINVAL,
  );
  const other = BigInt(p.vmm.mmapAnon(65536));
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: other, iova: 0n, size: 4096n }).ret,
    E.EINVAL,
  );
});

Deno.test(`MAP_DMA never returns EEXIST on sPAPR: a second map overwrites the TCE (${S})`, () => {
  const p = bare();
  const a = BigInt(p.vmm.mmapAnon(1 << 20));
  p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: a, size: 1n << 20n });
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0n, size: 4096n }).ret,
    0,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 1n, vaddr: a + 4096n, iova: 0n, size: 4096n }).ret,
    0,
  );
  // Now read-only: the device may read but not write.
  p.vmm.proc.mm.write(Number(a) + 4096, new Uint8Array([9]));
  assert.deepEqual(deviceDmaRead(p.k, "0001:05:00.0", 0n, 1), new Uint8Array([9]));
  assert.throws(() => deviceDmaWrite(p.k, "0001:05:00.0", 0n, new Uint8Array([1])), /IOMMU fault/);
});

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] v2 MAP_DMA: IOMMU page (16M) larger than the backing host page (64K) → ${profile === "seed" ? "EPERM (2016 tce_page_is_contained)" : "EINVAL (mainline mm_iommu_ua_to_hpa pageshift check → tce_iommu_prereg_ua_to_hpa -EINVAL)"} (${S}; tce_iommu_build_v2)`, () => {
    const p = bare(true, profile);
    const a = BigInt(p.vmm.mmapAnon(32 << 20));
    const va = a - (a % (16n << 20n)) + (16n << 20n); // a 16M-aligned 16M inside the mapping
    p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, { start_addr: 0n });
    p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: va, size: 16n << 20n });
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_CREATE, {
        page_shift: 24n,
        window_size: 1n << 30n,
        levels: 1n,
      }).ret,
      0,
    );
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: va, iova: 0n, size: 16n << 20n }).ret,
      profile === "seed" ? E.EPERM : E.EINVAL,
    );
  });
}

Deno.test(`TCE_CREATE: window 0 at bus 0, window 1 at 1<<59, a third → ENOSPC (${S}; IOMMU_TABLE_GROUP_MAX_TABLES)`, () => {
  const p = bare();
  const w0 = p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_CREATE, {
    page_shift: 16n,
    window_size: 1n << 36n,
    levels: 2n,
  });
  // The pending default window took slot 0 first, so the DDW lands at 1<<59.
  assert.equal(w0.ret, 0);
  assert.equal(w0.out.start_addr, 1n << 59n);
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_CREATE, {
      page_shift: 12n,
      window_size: 1n << 30n,
      levels: 1n,
    }).ret,
    E.ENOSPC,
  );
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, { start_addr: 0n }).ret, 0);
  const w1 = p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_CREATE, {
    page_shift: 12n,
    window_size: 1n << 30n,
    levels: 1n,
  });
  assert.equal(w1.out.start_addr, 0n);
});

Deno.test(`TCE_CREATE: page shift not in pgsizes, size not a power of two / < page, levels 0 or > 5 → EINVAL; flags → EINVAL (${S}; pci-ioda-tce.c)`, () => {
  const p = bare();
  p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, { start_addr: 0n });
  for (
    const bad of [
      { page_shift: 13n, window_size: 1n << 30n, levels: 1n },
      { page_shift: 200n, window_size: 1n << 30n, levels: 1n },
      { page_shift: 12n, window_size: 3n << 30n, levels: 1n },
      { page_shift: 16n, window_size: 4096n, levels: 1n },
      { page_shift: 12n, window_size: 0n, levels: 1n },
      { page_shift: 12n, window_size: 1n << 30n, levels: 0n },
      { page_shift: 12n, window_size: 1n << 30n, levels: 6n },
      { page_shift: 12n, window_size: 1n << 30n, levels: 1n, flags: 1n },
    ] as Record<string, bigint>[]
  ) {
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_CREATE, bad).ret,
      E.EINVAL,
      JSON.stringify(bad, (_, v) => typeof v === "bigint" ? String(v) : v),
    );
  }
});

Deno.test(`TCE_REMOVE: start_addr in no window → EINVAL (${S})`, () => {
  const p = bare();
  p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, { start_addr: 0n });
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, { start_addr: 1n << 59n }).ret, E.EINVAL);
});

Deno.test(`ENABLE on a v2 container → ENOTTY; v1-only ioctl numbers (${S})`, () => {
  const p = bare();
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_ENABLE).ret, E.ENOTTY);
});

Deno.test(`an ioctl from another process's mm: mainline → EPERM (tce_iommu_mm_set, v4.11+); the seed era had no mm latch and serves it with current->mm (${S})`, () => {
  for (const profile of ["seed", "mainline"] as const) {
    const t = withGroup(profile);
    const other = t.k.spawn("intruder", 0);
    const c = fdOf(t, "c0");
    other.installFd(t.vmm.proc.fds.get(c)!.get());
    const r = t.vmm.ioctl(3, VFIO_IOMMU_SPAPR_TCE_GET_INFO, {}, other);
    assert.equal(r.ret, profile === "seed" ? 0 : E.EPERM, profile);
  }
});

Deno.test(`groups sharing a v2 container share its tables; a second group without DDW ownership ops (ioda1) → EBUSY (${S} tce_iommu_attach_group)`, () => {
  const t = withGroup();
  t.decl("group", "13", { container: "c0", device: "0001:02:00.0" });
  const a = iommuGroups(t.k).get(12)!.tableGroup!, b = iommuGroups(t.k).get(13)!.tableGroup!;
  const c = fdOf(t, "c0");
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_SPAPR_TCE_CREATE, { page_shift: 16n, window_size: 1n << 32n, levels: 1n })
      .ret,
    0,
  );
  assert.ok(a.tables[0] && a.tables[0] === b.tables[0]);
  vfioPlatformAddGroup(t.k, 20, [{ bdf: "0001:20:00.0", driver: "vfio-pci" }], "ioda1");
  const g20 = t.vmm.open("/dev/vfio/20");
  assert.equal(t.ioctl(g20, VFIO_GROUP_SET_CONTAINER, c).ret, E.EBUSY);
});

// ---------------------------------------------------------------- audit additions

function v1Ioda1() {
  const p = boot("seed", { guest: false });
  vfioPlatformAddGroup(p.k, 30, [{ bdf: "0001:30:00.0", driver: "vfio-pci" }], "ioda1");
  vfioPlatformAddGroup(p.k, 31, [{ bdf: "0001:31:00.0", driver: "vfio-pci" }], "ioda1");
  const c = p.vmm.open("/dev/vfio/vfio");
  const g = p.vmm.open("/dev/vfio/30");
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c).ret, 0);
  return { ...p, c, g };
}

Deno.test(`v2 on a platform without DDW ops (IODA1) → EPERM; v1 there works, one group per container → EBUSY (${S}: "Sharing/attach")`, () => {
  const p = v1Ioda1();
  assert.equal(p.ioctl(p.c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU).ret, E.EPERM);
  assert.equal(p.ioctl(p.c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_IOMMU).ret, 0);
  const g2 = p.vmm.open("/dev/vfio/31");
  assert.equal(p.ioctl(g2, VFIO_GROUP_SET_CONTAINER, p.c).ret, E.EBUSY);
});

Deno.test(`v1: MAP_DMA before ENABLE → EPERM; ENABLE twice → EBUSY; v2-only ioctls (REGISTER_MEMORY, TCE_CREATE, TCE_REMOVE) → ENOTTY (${S})`, () => {
  const p = v1Ioda1();
  assert.equal(p.ioctl(p.c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_IOMMU).ret, 0);
  const buf = BigInt(p.vmm.mmapAnon(1 << 16));
  const map = { flags: 3n, vaddr: buf, iova: 0n, size: 4096n };
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, map).ret, E.EPERM);
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_ENABLE).ret, 0);
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_ENABLE).ret, E.EBUSY);
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, map).ret, 0);
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { flags: 0n, vaddr: buf, size: 65536n }).ret,
    E.ENOTTY,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_CREATE, {
      page_shift: 12n,
      window_size: 1n << 30n,
      levels: 1n,
    })
      .ret,
    E.ENOTTY,
  );
  assert.equal(p.ioctl(p.c, VFIO_IOMMU_SPAPR_TCE_REMOVE, { start_addr: 0n }).ret, E.ENOTTY);
});

Deno.test(`[mainline] UNREGISTER_MEMORY before any ioctl latched the mm → EPERM; [seed] ENOENT (no container->mm in 2016: mm_iommu_find on current->mm) (${S}: "no mm yet"; tce_iommu_ioctl)`, () => {
  for (const [profile, want] of [["mainline", E.EPERM], ["seed", E.ENOENT]] as const) {
    const p = bare(true, profile);
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, { flags: 0n, vaddr: 0n, size: 65536n })
        .ret,
      want,
      profile,
    );
  }
});

Deno.test(`MAP_DMA flags other than READ|WRITE → EINVAL; UNMAP_DMA flags ≠ 0 or unaligned size → EINVAL; iova in no window → ENXIO for UNMAP too (${S})`, () => {
  const p = bare();
  const buf = BigInt(p.vmm.mmapAnon(1 << 20));
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { flags: 0n, vaddr: buf, size: 1n << 20n }).ret,
    0,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 7n, vaddr: buf, iova: 0n, size: 4096n }).ret,
    E.EINVAL,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_UNMAP_DMA, { flags: 1n, iova: 0n, size: 4096n }).ret,
    E.EINVAL,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_UNMAP_DMA, { flags: 0n, iova: 0n, size: 100n }).ret,
    E.EINVAL,
  );
  assert.equal(
    p.ioctl(p.c, VFIO_IOMMU_UNMAP_DMA, { flags: 0n, iova: 1n << 58n, size: 4096n }).ret,
    E.ENXIO,
  );
  // "Negative" sizes are u64: a huge unaligned size is EINVAL, a huge aligned one runs past the window.
  for (const size of [BigInt.asUintN(64, -1n), BigInt.asUintN(64, -4096n)]) {
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: buf, iova: 0n, size }).ret,
      E.EINVAL,
    );
    assert.equal(p.ioctl(p.c, VFIO_IOMMU_UNMAP_DMA, { flags: 0n, iova: 0n, size }).ret, E.EINVAL);
  }
});

Deno.test(`[mainline] CHECK_EXTENSION is answered for any process; other ioctls from a foreign mm → EPERM (${S}: "any but CHECK_EXTENSION")`, () => {
  const t = withGroup("mainline");
  const other = t.k.spawn("intruder", 0);
  other.installFd(t.vmm.proc.fds.get(fdOf(t, "c0"))!.get());
  const r = t.vmm.ioctl(3, VFIO_CHECK_EXTENSION, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU, other);
  assert.equal(r.ret, 1);
  assert.equal(
    t.vmm.ioctl(3, VFIO_IOMMU_SPAPR_TCE_REMOVE, { start_addr: 0n }, other).ret,
    E.EPERM,
  );
});

for (const [profile, want] of [["seed", E.EINVAL], ["mainline", 1]] as const) {
  Deno.test(`[${profile}] MAP_DMA / UNMAP_DMA with an iova not aligned to the IOMMU page → ${want === 1 ? "returns 1 (iommu_tce_put/clear_param_check are `||` macros, arch/powerpc/include/asm/iommu.h)" : "EINVAL (iommu_tce_put/clear_param_check, 2016 arch/powerpc/kernel/iommu.c)"}, nothing mapped (${S} tce_iommu_ioctl)`, () => {
    const p = bare(true, profile);
    const a = BigInt(p.vmm.mmapAnon(1 << 20));
    p.ioctl(p.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: a, size: 1n << 20n });
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x800n, size: 4096n }).ret,
      want,
    );
    assert.equal(p.ioctl(p.c, VFIO_IOMMU_UNMAP_DMA, { iova: 0x800n, size: 4096n }).ret, want);
    assert.equal(
      p.ioctl(p.c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0n, size: 4096n }).ret,
      0,
    );
  });
}
