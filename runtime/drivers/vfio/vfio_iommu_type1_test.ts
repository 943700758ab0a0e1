import assert from "node:assert/strict";
import { boot, fdOf, withGroup } from "./test_helpers.ts";
import {
  VFIO_CHECK_EXTENSION,
  VFIO_EXT,
  VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_GROUP_UNSET_CONTAINER,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_SET_IOMMU,
} from "../../include/uapi/linux/vfio.ts";
import { deviceDmaRead, deviceDmaWrite } from "../iommu/dma.ts";
import { vfioPlatformAddGroup } from "./vfio.ts";
import { O_CLOEXEC } from "../../kernel/kernel.ts";

const S = "spapr-tce-vfio-sva.md §3.6; drivers/vfio/vfio_iommu_type1.c";
const E = { EINVAL: -22, EEXIST: -17, EFAULT: -14 };

function host(arch = "arm64", profile: "seed" | "mainline" = "seed") {
  const t = withGroup(profile, arch);
  const c = fdOf(t, "c0");
  const a = BigInt(t.vmm.mmapAnon(1 << 22));
  return { t, c, a };
}

Deno.test(`type1v2 container maps guest RAM at its GPA (QEMU memory listener); GET_INFO reports 4K|2M|1G (${S}; spapr-tce-vfio-sva.md §4.1)`, () => {
  const { t, c } = host();
  const info = t.ioctl(c, VFIO_IOMMU_GET_INFO, {});
  assert.equal(info.ret, 0);
  assert.equal(info.out.iova_pgsizes, 0x4020_1000n);
  const g = t.guest();
  t.vmm.proc.mm.write(g.ramHva + 0x1000, new Uint8Array([5]));
  assert.deepEqual(
    deviceDmaRead(t.k, "0000:01:00.0", BigInt(g.ramGpa) + 0x1000n, 1),
    new Uint8Array([5]),
  );
});

Deno.test(`MAP_DMA: argsz < 32, unknown flags, neither READ nor WRITE, size 0, unaligned → EINVAL (${S})`, () => {
  const { t, c, a } = host();
  const base = { flags: 3n, vaddr: a, iova: 0x1_0000_0000n, size: 0x1000n };
  assert.equal(t.ioctl(c, VFIO_IOMMU_MAP_DMA, { ...base, argsz: 16n }).ret, E.EINVAL);
  assert.equal(t.ioctl(c, VFIO_IOMMU_MAP_DMA, { ...base, flags: 0x10n }).ret, E.EINVAL);
  assert.equal(t.ioctl(c, VFIO_IOMMU_MAP_DMA, { ...base, flags: 0n }).ret, E.EINVAL);
  assert.equal(t.ioctl(c, VFIO_IOMMU_MAP_DMA, { ...base, size: 0n }).ret, E.EINVAL);
  assert.equal(t.ioctl(c, VFIO_IOMMU_MAP_DMA, { ...base, iova: 0x1_0000_0800n }).ret, E.EINVAL);
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { ...base, size: 0xffff_ffff_ffff_f000n }).ret,
    E.EINVAL,
  );
});

Deno.test(`[mainline] MAP_DMA: any overlap with an existing mapping → EEXIST; unmapped vaddr → EFAULT; inside the MSI window → EINVAL (vfio_iommu_iova_dma_valid) (${S})`, () => {
  const { t, c, a } = host("arm64", "mainline");
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x1_0000_0000n, size: 0x4000n })
      .ret,
    0,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x1_0000_3000n, size: 0x2000n })
      .ret,
    E.EEXIST,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, {
      flags: 3n,
      vaddr: 0x1000_0000n,
      iova: 0x2_0000_0000n,
      size: 0x1000n,
    }).ret,
    E.EFAULT,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x800_0000n, size: 0x1000n }).ret,
    E.EINVAL,
  );
});

Deno.test(`UNMAP_DMA v2: bisecting a mapping → EINVAL; bytes unmapped written back in size; nothing mapped → success with 0 (${S})`, () => {
  const { t, c, a } = host();
  t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x1_0000_0000n, size: 0x4000n });
  t.ioctl(c, VFIO_IOMMU_MAP_DMA, {
    flags: 1n,
    vaddr: a + 0x4000n,
    iova: 0x1_0000_4000n,
    size: 0x2000n,
  });
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { iova: 0x1_0000_1000n, size: 0x3000n }).ret,
    E.EINVAL,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { iova: 0x1_0000_0000n, size: 0x5000n }).ret,
    E.EINVAL,
  );
  const r = t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { iova: 0x1_0000_0000n, size: 0x6000n });
  assert.equal(r.ret, 0);
  assert.equal(r.out.size, 0x6000n);
  const z = t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { iova: 0x1_0000_0000n, size: 0x6000n });
  assert.equal(z.out.size, 0n);
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 2n, iova: 0x1000n, size: 0n }).ret,
    E.EINVAL,
  );
});

Deno.test(`device DMA through type1: a read-only mapping refuses writes (IOMMU fault, nothing written) (${S})`, () => {
  const { t, c, a } = host("x86_64");
  t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 1n, vaddr: a, iova: 0x1_0000_0000n, size: 0x1000n });
  assert.throws(
    () => deviceDmaWrite(t.k, "0000:01:00.0", 0x1_0000_0000n, new Uint8Array([1])),
    /IOMMU fault/,
  );
  assert.throws(() => deviceDmaRead(t.k, "0000:01:00.0", 0x1_0000_1000n, 1), /IOMMU fault/);
  assert.deepEqual(t.vmm.proc.mm.read(Number(a), 1), new Uint8Array([0]));
});

// ---------------------------------------------------------------- audit additions

Deno.test(`MAP_DMA: iova or vaddr range wraps past 2^64 → EINVAL; "negative" (u64-wrapped) size → EINVAL (${S})`, () => {
  const { t, c, a } = host();
  const top = (1n << 64n) - 0x1000n;
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: top, size: 0x2000n }).ret,
    E.EINVAL,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: top, iova: 0x1_0000_0000n, size: 0x2000n })
      .ret,
    E.EINVAL,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, {
      flags: 3n,
      vaddr: a,
      iova: 0x1_0000_0000n,
      size: BigInt.asUintN(64, -4096n),
    }).ret,
    E.EINVAL,
  );
});

Deno.test(`[mainline] UNMAP_DMA: size 0 or unaligned → EINVAL; UNMAP_ALL needs iova = size = 0 → EINVAL otherwise, then unmaps everything (${S} vfio_dma_do_unmap)`, () => {
  const { t, c, a } = host("arm64", "mainline");
  const base = 0x1_0000_0000n;
  assert.equal(t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 0n, iova: base, size: 0n }).ret, E.EINVAL);
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 0n, iova: base, size: 0x800n }).ret,
    E.EINVAL,
  );
  for (let i = 0n; i < 3n; i++) {
    assert.equal(
      t.ioctl(c, VFIO_IOMMU_MAP_DMA, {
        flags: 3n,
        vaddr: a + i * 0x1000n,
        iova: base + i * 0x1000n,
        size: 0x1000n,
      }).ret,
      0,
    );
  }
  assert.equal(t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 2n, iova: base, size: 0n }).ret, E.EINVAL);
  const all = t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 2n, iova: 0n, size: 0n });
  assert.equal(all.ret, 0);
  // Guest RAM (mapped by the VMM listener) + our three pages.
  assert.equal(all.out.size, BigInt(t.guest().ramSize) + 0x3000n);
});

Deno.test(`type1 (v1) UNMAP: a request starting inside a mapping → success, 0 unmapped; covering a mapping's first iova removes the whole mapping (${S})`, () => {
  const p = boot("seed", { arch: "arm64", guest: false });
  vfioPlatformAddGroup(p.k, 7, [{ bdf: "0000:07:00.0", driver: "vfio-pci" }]);
  const c = p.vmm.open("/dev/vfio/vfio"), g = p.vmm.open("/dev/vfio/7");
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c).ret, 0);
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_TYPE1_IOMMU).ret, 0);
  const a = BigInt(p.vmm.mmapAnon(1 << 20));
  const base = 0x1_0000_0000n;
  assert.equal(
    p.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: base, size: 0x4000n }).ret,
    0,
  );
  const inside = p.ioctl(c, VFIO_IOMMU_UNMAP_DMA, {
    flags: 0n,
    iova: base + 0x1000n,
    size: 0x1000n,
  });
  assert.equal(inside.ret, 0);
  assert.equal(inside.out.size, 0n);
  const first = p.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 0n, iova: base, size: 0x1000n });
  assert.equal(first.ret, 0);
  assert.equal(first.out.size, 0x4000n);
});

Deno.test(`CHECK_EXTENSION: without a backend all backends are polled; once set only the set backend answers (DMA_CC_IOMMU 0 → 1) (spapr-tce-vfio-sva.md §3.5; drivers/vfio/container.c)`, () => {
  const p = boot("seed", { arch: "arm64", guest: false });
  vfioPlatformAddGroup(p.k, 7, [{ bdf: "0000:07:00.0", driver: "vfio-pci" }]);
  const c = p.vmm.open("/dev/vfio/vfio"), g = p.vmm.open("/dev/vfio/7");
  assert.equal(p.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_EXT.VFIO_DMA_CC_IOMMU).ret, 0);
  assert.equal(p.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_EXT.VFIO_SPAPR_TCE_IOMMU).ret, 0);
  p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c);
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_TYPE1v2_IOMMU).ret, 0);
  assert.equal(p.ioctl(c, VFIO_CHECK_EXTENSION, VFIO_EXT.VFIO_DMA_CC_IOMMU).ret, 1);
});

Deno.test(`the last group leaving a type1 container unmaps everything; GET_DEVICE_FD returns an O_CLOEXEC fd (spapr-tce-vfio-sva.md §3.5, §3.6)`, () => {
  const p = boot("seed", { arch: "arm64", guest: false });
  vfioPlatformAddGroup(p.k, 7, [{ bdf: "0000:07:00.0", driver: "vfio-pci" }]);
  const c = p.vmm.open("/dev/vfio/vfio"), g = p.vmm.open("/dev/vfio/7");
  p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c);
  p.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_TYPE1v2_IOMMU);
  const d = p.ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:07:00.0").ret;
  assert.ok(d >= 0);
  assert.ok((p.vmm.proc.fget(d).flags & O_CLOEXEC) !== 0);
  const a = BigInt(p.vmm.mmapAnon(1 << 16));
  assert.equal(
    p.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x1_0000_0000n, size: 0x1000n })
      .ret,
    0,
  );
  p.vmm.close(d);
  assert.equal(p.ioctl(g, VFIO_GROUP_UNSET_CONTAINER).ret, 0);
  assert.throws(() => deviceDmaRead(p.k, "0000:07:00.0", 0x1_0000_0000n, 1));
});
