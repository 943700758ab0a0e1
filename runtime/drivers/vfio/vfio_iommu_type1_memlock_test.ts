import assert from "node:assert/strict";
import { boot, fdOf, withGroup } from "./test_helpers.ts";
import { VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA } from "../../include/uapi/linux/vfio.ts";
import { CAP_IPC_LOCK, RLIM_INFINITY } from "../../mm/util.ts";
import type { Type1Iommu } from "./vfio_iommu_type1.ts";
import type { VfioContainer } from "./vfio.ts";

const S =
  "drivers/vfio/vfio_iommu_type1.c vfio_pin_pages_remote / vfio_lock_acct (2016: vfio_pin_pages)";
const ENOMEM = -12, EFAULT = -14;
const RW = 3n;

/** A type1v2 container (no guest: nothing mapped yet) and a VMM without CAP_IPC_LOCK. */
function limited(profile: "seed" | "mainline", memlock: bigint, cap = false) {
  const t = boot(profile, { arch: "x86_64", guest: false });
  t.decl("container", "c0", { iommu: "type1v2" });
  t.decl("group", "12", { container: "c0", device: "0000:01:00.0" });
  const p = t.vmm.proc;
  if (!cap) p.caps.delete(CAP_IPC_LOCK);
  p.memlock = { cur: memlock, max: memlock };
  const c = fdOf(t, "c0");
  const a = BigInt(t.vmm.mmapAnon(1 << 20));
  return { t, c, a, mm: p.mm };
}

function dmas(t: ReturnType<typeof limited>["t"]): number {
  // The backend's mapping list, reached through the container file.
  const c = t.vmm.proc.fget(fdOf(t, "c0")).private_data as VfioContainer;
  return (c.data as Type1Iommu).dmas.length;
}

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] type1 MAP_DMA over RLIMIT_MEMLOCK → ENOMEM, nothing mapped or accounted (${S})`, () => {
    const { t, c, a, mm } = limited(profile, 64n * 1024n);
    assert.equal(
      t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: RW, vaddr: a, iova: 0n, size: 1n << 20n }).ret,
      ENOMEM,
    );
    assert.equal(mm.lockedVm, 0);
    assert.equal(dmas(t), 0);
    // Exactly the limit (16 pages of 4K = 64K) fits: locked_vm + i + 1 ≤ limit.
    assert.equal(
      t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: RW, vaddr: a, iova: 0n, size: 64n * 1024n }).ret,
      0,
    );
    assert.equal(mm.lockedVm, 16);
    // One more page is over it.
    assert.equal(
      t.ioctl(c, VFIO_IOMMU_MAP_DMA, {
        flags: RW,
        vaddr: a + 0x10000n,
        iova: 0x10000n,
        size: 0x1000n,
      }).ret,
      ENOMEM,
    );
    assert.equal(mm.lockedVm, 16);
  });

  Deno.test(`[${profile}] type1 MAP_DMA: CAP_IPC_LOCK bypasses RLIMIT_MEMLOCK but locked_vm still counts (${S}: lock_cap)`, () => {
    const { t, c, a, mm } = limited(profile, 4096n, true);
    assert.equal(
      t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: RW, vaddr: a, iova: 0n, size: 1n << 20n }).ret,
      0,
    );
    assert.equal(mm.lockedVm, 256);
  });

  Deno.test(`[${profile}] type1 UNMAP_DMA and container release credit locked_vm back (${S}: vfio_unmap_unpin → vfio_lock_acct(-unlocked))`, () => {
    const { t, c, a, mm } = limited(profile, RLIM_INFINITY);
    for (const [off, sz] of [[0n, 0x4000n], [0x4000n, 0x8000n]]) {
      assert.equal(
        t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: RW, vaddr: a + off!, iova: off!, size: sz! }).ret,
        0,
      );
    }
    assert.equal(mm.lockedVm, 12);
    const u = t.ioctl(c, VFIO_IOMMU_UNMAP_DMA, { iova: 0n, size: 0x4000n });
    assert.equal(u.ret, 0);
    assert.equal(mm.lockedVm, 8);
    t.vmm.close(c);
    for (const g of [...t.vmm.proc.fds.keys()]) if (g > 2) t.vmm.close(g);
    assert.equal(mm.lockedVm, 0);
  });

  Deno.test(`[${profile}] type1 MAP_DMA: the first failing page decides — unmapped before the limit → EFAULT, limit before the hole → ENOMEM (${S}: pages pinned in order)`, () => {
    const { t, c, a, mm } = limited(profile, 8n * 4096n);
    t.vmm.proc.mm.munmap(Number(a) + 4 * 4096, 4096); // hole at page 4
    assert.equal(
      t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: RW, vaddr: a, iova: 0n, size: 16n * 4096n }).ret,
      EFAULT,
    );
    t.vmm.proc.memlock = { cur: 2n * 4096n, max: 2n * 4096n };
    assert.equal(
      t.ioctl(c, VFIO_IOMMU_MAP_DMA, { flags: RW, vaddr: a, iova: 0n, size: 16n * 4096n }).ret,
      ENOMEM,
    );
    assert.equal(mm.lockedVm, 0);
  });
}

Deno.test(`default limits: the VMM is root (CAP_IPC_LOCK), so guest RAM mapped at bring-up is accounted without a limit (${S}; include/uapi/linux/resource.h MLOCK_LIMIT)`, () => {
  const t = withGroup("mainline", "x86_64");
  assert.ok(t.vmm.proc.caps.has(CAP_IPC_LOCK));
  assert.equal(t.vmm.proc.mm.lockedVm, (1 << 30) / 4096);
});
