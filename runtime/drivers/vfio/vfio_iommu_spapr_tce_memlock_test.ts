import assert from "node:assert/strict";
import { boot } from "./test_helpers.ts";
import {
  VFIO_EXT,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_IOMMU_DISABLE,
  VFIO_IOMMU_ENABLE,
  VFIO_IOMMU_SPAPR_REGISTER_MEMORY,
  VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY,
  VFIO_SET_IOMMU,
} from "../../include/uapi/linux/vfio.ts";
import { vfioPlatformAddGroup } from "./vfio.ts";
import { CAP_IPC_LOCK } from "../../mm/util.ts";

const P =
  "arch/powerpc/mm/book3s64/iommu_api.c mm_iommu_do_alloc (2016: mmu_context_iommu.c mm_iommu_get → mm_iommu_adjust_locked_vm)";
const V1 = "drivers/vfio/vfio_iommu_spapr_tce.c tce_iommu_enable / tce_iommu_disable";
const ENOMEM = -12, EINVAL = -22;
const PS = 65536n;

/** A v2 (IODA2) or v1 (IODA1) container with one group, the VMM without CAP_IPC_LOCK. */
function limited(profile: "seed" | "mainline", pages: bigint, v2 = true) {
  const p = boot(profile, { guest: false });
  vfioPlatformAddGroup(
    p.k,
    5,
    [{ bdf: "0001:05:00.0", driver: "vfio-pci" }],
    v2 ? "ioda2" : "ioda1",
  );
  const c = p.vmm.open("/dev/vfio/vfio");
  const g = p.vmm.open("/dev/vfio/5");
  assert.equal(p.ioctl(g, VFIO_GROUP_SET_CONTAINER, c).ret, 0);
  const type = v2 ? VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU : VFIO_EXT.VFIO_SPAPR_TCE_IOMMU;
  assert.equal(p.ioctl(c, VFIO_SET_IOMMU, type).ret, 0);
  p.vmm.proc.caps.delete(CAP_IPC_LOCK);
  p.vmm.proc.memlock = { cur: pages * PS, max: pages * PS };
  const a = BigInt(p.vmm.mmapAnon(Number(64n * PS)));
  return { ...p, c, a, mm: p.vmm.proc.mm };
}

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] REGISTER_MEMORY over RLIMIT_MEMLOCK → ENOMEM, nothing registered; UNREGISTER credits locked_vm back (${P})`, () => {
    const t = limited(profile, 16n);
    const R = VFIO_IOMMU_SPAPR_REGISTER_MEMORY;
    assert.equal(t.ioctl(t.c, R, { vaddr: t.a, size: 17n * PS }).ret, ENOMEM);
    assert.equal(t.mm.lockedVm, 0);
    assert.equal(t.ioctl(t.c, R, { vaddr: t.a, size: 16n * PS }).ret, 0);
    assert.equal(t.mm.lockedVm, 16);
    assert.equal(t.ioctl(t.c, R, { vaddr: t.a + 16n * PS, size: PS }).ret, ENOMEM);
    const U = VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY;
    assert.equal(t.ioctl(t.c, U, { vaddr: t.a, size: 16n * PS }).ret, 0);
    assert.equal(t.mm.lockedVm, 0);
  });

  Deno.test(`[${profile}] REGISTER_MEMORY overlapping and over the limit → ${profile === "seed" ? "EINVAL (overlap checked before mm_iommu_adjust_locked_vm)" : "ENOMEM (account_locked_vm first)"} (${P})`, () => {
    const t = limited(profile, 16n);
    const R = VFIO_IOMMU_SPAPR_REGISTER_MEMORY;
    assert.equal(t.ioctl(t.c, R, { vaddr: t.a, size: 8n * PS }).ret, 0);
    assert.equal(
      t.ioctl(t.c, R, { vaddr: t.a + 4n * PS, size: 16n * PS }).ret,
      profile === "seed" ? EINVAL : ENOMEM,
    );
    assert.equal(t.mm.lockedVm, 8);
  });

  Deno.test(`[${profile}] REGISTER_MEMORY: CAP_IPC_LOCK bypasses the limit, the pages are still accounted (${P})`, () => {
    const t = limited(profile, 1n);
    t.vmm.proc.caps.add(CAP_IPC_LOCK);
    assert.equal(
      t.ioctl(t.c, VFIO_IOMMU_SPAPR_REGISTER_MEMORY, { vaddr: t.a, size: 32n * PS }).ret,
      0,
    );
    assert.equal(t.mm.lockedVm, 32);
  });

  Deno.test(`[${profile}] v1 ENABLE accounts the whole DMA32 window: over RLIMIT_MEMLOCK → ENOMEM and not enabled; DISABLE credits it back (${V1})`, () => {
    // The DMA32 window: 2 GiB at bus 0 (tce32_size) → 32768 pages of 64K.
    const t = limited(profile, 32767n, false);
    assert.equal(t.ioctl(t.c, VFIO_IOMMU_ENABLE).ret, ENOMEM);
    assert.equal(t.mm.lockedVm, 0);
    t.vmm.proc.memlock = { cur: 32768n * PS, max: 32768n * PS };
    assert.equal(t.ioctl(t.c, VFIO_IOMMU_ENABLE).ret, 0);
    assert.equal(t.mm.lockedVm, 32768);
    assert.equal(t.ioctl(t.c, VFIO_IOMMU_DISABLE).ret, 0);
    assert.equal(t.mm.lockedVm, 0);
    assert.equal(t.ioctl(t.c, VFIO_IOMMU_ENABLE).ret, 0);
    t.vmm.close(t.c);
    for (const fd of [...t.vmm.proc.fds.keys()]) if (fd > 2) t.vmm.close(fd);
    assert.equal(t.mm.lockedVm, 0, "container release → tce_iommu_disable");
  });
}
