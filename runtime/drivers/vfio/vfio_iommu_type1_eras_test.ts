/**
 * type1 rules that differ between `kernel seed` (2016) and `kernel mainline`,
 * each test named after its rule and citing drivers/vfio/vfio_iommu_type1.c.
 * @module
 */
import assert from "node:assert/strict";
import { boot, fdOf, withGroup } from "./test_helpers.ts";
import {
  VFIO_CHECK_EXTENSION,
  VFIO_EXT,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_MAP_DMA,
  VFIO_IOMMU_UNMAP_DMA,
  VFIO_SET_IOMMU,
} from "../../include/uapi/linux/vfio.ts";
import { ioctlNumber } from "../../kernel/uapi.ts";
import { deviceDmaRead } from "../iommu/dma.ts";
import { vfioPlatformAddGroup } from "./vfio.ts";

const F = "drivers/vfio/vfio_iommu_type1.c";
const E = { EINVAL: -22, EEXIST: -17, ENOENT: -2, ENODEV: -19 };
type Profile = "seed" | "mainline";

function host(profile: Profile, arch = "arm64") {
  const t = withGroup(profile, arch);
  const c = fdOf(t, "c0");
  const a = BigInt(t.vmm.mmapAnon(1 << 22));
  return { t, c, a };
}

/** Two adjacent 4K mappings at `base` and `base + 4K`, backed by `a` and `a + 4K`. */
function mapTwoPages(t: ReturnType<typeof host>["t"], c: number, a: bigint, base: bigint): void {
  for (let i = 0n; i < 2n; i++) {
    const r = t.ioctl(c, VFIO_IOMMU_MAP_DMA, {
      flags: 3n,
      vaddr: a + i * 0x1000n,
      iova: base + i * 0x1000n,
      size: 0x1000n,
    });
    assert.equal(r.ret, 0);
  }
}

/** A bare container with one group (no backend yet). */
function bare(profile: Profile, arch = "arm64") {
  const p = boot(profile, { arch, guest: false });
  vfioPlatformAddGroup(p.k, 7, [{ bdf: "0000:07:00.0", driver: "vfio-pci" }]);
  const c = p.vmm.open("/dev/vfio/vfio"), g = p.vmm.open("/dev/vfio/7");
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c).ret, 0);
  return { p, c };
}

const X = VFIO_EXT;
const ext = (p: ReturnType<typeof boot>, c: number, e: bigint) =>
  p.ioctl(c, VFIO_CHECK_EXTENSION, e).ret;

Deno.test(`[seed] CHECK_EXTENSION: TYPE1, TYPE1v2, TYPE1_NESTING → 1; UNMAP_ALL, UPDATE_VADDR → 0 (not yet in the 2016 kernel) (${F} vfio_iommu_type1_ioctl)`, () => {
  const { p, c } = bare("seed");
  for (
    const [e, want] of [
      [X.VFIO_TYPE1_IOMMU, 1],
      [X.VFIO_TYPE1v2_IOMMU, 1],
      [X.VFIO_TYPE1_NESTING_IOMMU, 1],
      [X.VFIO_UNMAP_ALL, 0],
      [X.VFIO_UPDATE_VADDR, 0],
    ] as const
  ) {
    assert.equal(ext(p, c, e), want, `ext ${e}`);
  }
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, X.VFIO_TYPE1v2_IOMMU).ret, 0);
  assert.equal(ext(p, c, X.VFIO_UNMAP_ALL), 0);
  assert.equal(ext(p, c, X.VFIO_UPDATE_VADDR), 0);
});

Deno.test(`[mainline] CHECK_EXTENSION: UNMAP_ALL → 1; UPDATE_VADDR → 0 while polling, 1 once the backend is set (no emulated groups); TYPE1_NESTING → 0 (removed) (${F} vfio_iommu_type1_check_extension)`, () => {
  const { p, c } = bare("mainline");
  assert.equal(ext(p, c, X.VFIO_UNMAP_ALL), 1);
  assert.equal(ext(p, c, X.VFIO_UPDATE_VADDR), 0);
  assert.equal(ext(p, c, X.VFIO_TYPE1_NESTING_IOMMU), 0);
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, X.VFIO_TYPE1_NESTING_IOMMU).ret, E.ENODEV);
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, X.VFIO_TYPE1v2_IOMMU).ret, 0);
  assert.equal(ext(p, c, X.VFIO_UPDATE_VADDR), 1);
});

Deno.test(`[seed] SET_IOMMU(TYPE1_NESTING): v2 semantics on arm64 (arm-smmu DOMAIN_ATTR_NESTING); x86 IOMMU drivers cannot set it → EINVAL (${F} vfio_iommu_type1_open, vfio_iommu_type1_attach_group)`, () => {
  const arm = bare("seed", "arm64");
  assert.equal(arm.p.ioctl(arm.c, VFIO_SET_IOMMU, X.VFIO_TYPE1_NESTING_IOMMU).ret, 0);
  const x86 = bare("seed", "x86_64");
  assert.equal(x86.p.ioctl(x86.c, VFIO_SET_IOMMU, X.VFIO_TYPE1_NESTING_IOMMU).ret, E.EINVAL);
});

/** GET_INFO through a raw buffer of `len` bytes whose argsz field is `argsz`. */
function rawInfo(t: ReturnType<typeof boot>, c: number, argsz: number, len = 256) {
  const buf = t.vmm.mmapAnon(4096);
  const b = new Uint8Array(len).fill(0xee);
  new DataView(b.buffer).setUint32(0, argsz, true);
  t.vmm.proc.mm.write(buf, b);
  const ret = t.k.ioctl(t.vmm.proc, c, ioctlNumber(VFIO_IOMMU_GET_INFO, t.k.arch), BigInt(buf));
  return { ret, dv: new DataView(t.vmm.proc.mm.read(buf, len).slice().buffer) };
}

Deno.test(`[seed] GET_INFO: flags PGSIZES, no capability chain, only 16 bytes written, argsz left as given (${F} vfio_iommu_type1_ioctl)`, () => {
  const { t, c } = host("seed");
  const { ret, dv } = rawInfo(t, c, 200);
  assert.equal(ret, 0);
  assert.equal(dv.getUint32(0, true), 200);
  assert.equal(dv.getUint32(4, true), 1);
  assert.equal(dv.getBigUint64(8, true), 0x4020_1000n);
  assert.equal(dv.getUint32(16, true), 0xeeee_eeee, "cap_offset untouched");
});

Deno.test(`[mainline] GET_INFO with argsz too small (16): flags PGSIZES|CAPS and argsz raised to 24 + chain, only 16 bytes written (${F} vfio_iommu_type1_get_info)`, () => {
  const { t, c } = host("mainline");
  const { ret, dv } = rawInfo(t, c, 16);
  assert.equal(ret, 0);
  assert.equal(dv.getUint32(0, true), 24 + 32 + 16 + 16 + 2 * 16);
  assert.equal(dv.getUint32(4, true), 3);
  assert.equal(dv.getUint32(16, true), 0xeeee_eeee, "bytes past argsz untouched");
  const mid = rawInfo(t, c, 24).dv;
  assert.equal(mid.getUint32(16, true), 0, "cap_offset 0 when the chain does not fit");
});

Deno.test(`[mainline] GET_INFO capability chain: MIGRATION then DMA_AVAIL then IOVA_RANGE, each 8-byte aligned, next offsets from the struct start (${F} vfio_iommu_type1_get_info; vfio_main.c vfio_info_cap_add)`, () => {
  const { t, c, a } = host("mainline");
  const base = t.ioctl(c, VFIO_IOMMU_GET_INFO, {});
  assert.equal(base.ret, 0);
  const { ret, dv } = rawInfo(t, c, 200);
  assert.equal(ret, 0);
  assert.equal(dv.getUint32(0, true), 200);
  assert.equal(dv.getUint32(16, true), 24);
  // MIGRATION (id 2): flags 0, pgsize_bitmap = smallest page, max_dirty_bitmap_size 256 MiB.
  assert.deepEqual([dv.getUint16(24, true), dv.getUint16(26, true), dv.getUint32(28, true)], [
    2,
    1,
    56,
  ]);
  assert.equal(dv.getUint32(32, true), 0);
  assert.equal(dv.getBigUint64(40, true), 0x1000n);
  assert.equal(dv.getBigUint64(48, true), 0x1000_0000n);
  // DMA_AVAIL (id 3): 65535 minus the guest-RAM mapping.
  assert.deepEqual([dv.getUint16(56, true), dv.getUint32(60, true)], [3, 72]);
  const avail = dv.getUint32(64, true);
  assert.equal(avail, 65534);
  // IOVA_RANGE (id 1): the aperture minus the arm64 software MSI window.
  assert.deepEqual([dv.getUint16(72, true), dv.getUint32(76, true), dv.getUint32(80, true)], [
    1,
    0,
    2,
  ]);
  assert.equal(dv.getBigUint64(88, true), 0n);
  assert.equal(dv.getBigUint64(96, true), 0x7ff_ffffn);
  t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x1_0000_0000n, size: 0x1000n });
  assert.equal(rawInfo(t, c, 200).dv.getUint32(64, true), avail - 1);
});

Deno.test(`[seed] MAP_DMA: VADDR flag → EINVAL (mask READ|WRITE); no reserved-region check: the MSI window maps (${F} vfio_iommu_type1_ioctl, vfio_dma_do_map)`, () => {
  const { t, c, a } = host("seed");
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 4n, vaddr: a, iova: 0x1_0000_0000n, size: 0x1000n })
      .ret,
    E.EINVAL,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: 0x800_0000n, size: 0x1000n }).ret,
    0,
  );
});

Deno.test(`[seed] UNMAP_DMA: any flag (ALL, VADDR, GET_DIRTY_BITMAP) → EINVAL (flags must be 0) (${F} vfio_iommu_type1_ioctl)`, () => {
  const { t, c } = host("seed");
  for (const flags of [1n, 2n, 4n]) {
    assert.equal(t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags, iova: 0n, size: 0n }).ret, E.EINVAL);
  }
});

Deno.test(`[mainline] UNMAP_DMA(VADDR) invalidates every mapping in range (size = their bytes), the IOMMU still translates; again → EINVAL; MAP_DMA(VADDR): no mapping → ENOENT, not exact → EINVAL, exact → 0 (${F} vfio_dma_do_unmap, vfio_dma_do_map)`, () => {
  const { t, c, a } = host("mainline");
  const base = 0x1_0000_0000n;
  mapTwoPages(t, c, a, base);
  t.vmm.proc.mm.write(Number(a), new Uint8Array([9]));
  // A VADDR map of a still-valid mapping → EINVAL.
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 4n, vaddr: a, iova: base, size: 0x1000n }).ret,
    E.EINVAL,
  );
  const inv = t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 4n, iova: base, size: 0x2000n });
  assert.equal(inv.ret, 0);
  assert.equal(inv.out.size, 0x2000n);
  assert.deepEqual(deviceDmaRead(t.k, "0000:01:00.0", base, 1), new Uint8Array([9]));
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 4n, iova: base, size: 0x2000n }).ret,
    E.EINVAL,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 4n, vaddr: a, iova: base + 0x10_0000n, size: 0x1000n })
      .ret,
    E.ENOENT,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 4n, vaddr: a, iova: base, size: 0x2000n }).ret,
    E.EINVAL,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 4n, vaddr: a, iova: base, size: 0x1000n }).ret,
    0,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr: a, iova: base, size: 0x1000n }).ret,
    E.EEXIST,
  );
});

Deno.test(`[mainline] UNMAP_DMA(VADDR) over a range whose second mapping is already invalid → EINVAL and the first is restored (rollback) (${F} vfio_dma_do_unmap)`, () => {
  const { t, c, a } = host("mainline");
  const base = 0x1_0000_0000n;
  mapTwoPages(t, c, a, base);
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 4n, iova: base + 0x1000n, size: 0x1000n }).ret,
    0,
  );
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 4n, iova: base, size: 0x2000n }).ret,
    E.EINVAL,
  );
  // The first mapping's vaddr is valid again: a VADDR map of it is refused.
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: 4n, vaddr: a, iova: base, size: 0x1000n }).ret,
    E.EINVAL,
  );
});

Deno.test(`[mainline] UNMAP_DMA(GET_DIRTY_BITMAP): with ALL/VADDR → EINVAL; argsz < 24 + sizeof(vfio_bitmap) → EINVAL; tracking not started → EINVAL (${F} vfio_iommu_type1_unmap_dma)`, () => {
  const { t, c } = host("mainline");
  assert.equal(t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 3n, iova: 0n, size: 0n }).ret, E.EINVAL);
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { flags: 1n, iova: 0n, size: 0x1000n }).ret,
    E.EINVAL,
  );
});
