import assert from "node:assert/strict";
import { fdOf, withGroup } from "./test_helpers.ts";
import {
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_UNMAP_DMA,
} from "../../include/uapi/linux/vfio.ts";
import { deviceDmaRead, deviceDmaWrite } from "../iommu/dma.ts";

const S = "spapr-tce-vfio-sva.md §3.6; drivers/vfio/vfio_iommu_type1.c";
const E = { EINVAL: -22, EEXIST: -17, EFAULT: -14 };

function host(arch = "arm64") {
  const t = withGroup("seed", arch);
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

Deno.test(`MAP_DMA: any overlap with an existing mapping → EEXIST; unmapped vaddr → EFAULT; inside the MSI window → EINVAL (${S})`, () => {
  const { t, c, a } = host();
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
