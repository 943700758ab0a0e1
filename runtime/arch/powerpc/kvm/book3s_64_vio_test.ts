import assert from "node:assert/strict";
import { boot, fdOf, withGroup } from "../../../drivers/vfio/test_helpers.ts";
import {
  KVM_CREATE_SPAPR_TCE,
  KVM_CREATE_SPAPR_TCE_64,
} from "../include/uapi/asm/kvm_spapr_tce.ts";
import { KVM_CAP, KVM_CHECK_EXTENSION, KVM_ENABLE_CAP } from "../../../include/uapi/linux/kvm.ts";
import { H } from "../include/asm/hvcall.ts";
import { kvmppcFindTable } from "./book3s_64_vio.ts";
import {
  kvmppcHGetTce,
  kvmppcHPutTce,
  kvmppcHPutTceIndirect,
  kvmppcHStuffTce,
} from "./book3s_64_vio_hcalls.ts";
import { VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY } from "../../../include/uapi/linux/vfio.ts";
import type { Kvm } from "../../../virt/kvm/kvm_host.ts";
import { deviceDmaRead } from "../../../drivers/iommu/dma.ts";
import { mmIommuLookup } from "../../../drivers/iommu/mm_iommu.ts";

const S = "spapr-tce-vfio-sva.md";
const PUT = 0x20, GET = 0x1C, STUFF = 0x138, IND = 0x13C;
const L = 0x8000_0000n;

function withTable(profile: "seed" | "mainline" = "seed", pageShift = 12n, size = 1n << 18n) {
  const t = boot(profile);
  const g = t.guest();
  const fd =
    t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, { liobn: L, page_shift: pageShift, offset: 0n, size })
      .ret;
  assert.ok(fd >= 0);
  return { t, g, fd, kvm: t.vmm.proc.fget(g.vmfd).private_data as Kvm };
}

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] caps SPAPR_TCE / TCE_64 / TCE_VFIO / MULTITCE / PPC_ENABLE_HCALL answer 1 on ppc64le, 0 on arm64 (${S} §2.1)`, () => {
    const t = boot(profile);
    for (
      const c of [
        "KVM_CAP_SPAPR_TCE",
        "KVM_CAP_SPAPR_TCE_64",
        "KVM_CAP_SPAPR_TCE_VFIO",
        "KVM_CAP_SPAPR_MULTITCE",
        "KVM_CAP_PPC_ENABLE_HCALL",
      ]
    ) {
      assert.equal(t.ioctl(t.guest().vmfd, KVM_CHECK_EXTENSION, KVM_CAP[c]!).ret, 1, c);
    }
    const a = boot(profile, { arch: "arm64" });
    assert.equal(
      a.ioctl(a.guest().vmfd, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_SPAPR_TCE_64!).ret,
      0,
    );
  });
}

Deno.test(`[mainline] KVM_CREATE_SPAPR_TCE_64: flags ≠ 0, size 0, page_shift < 12 or > 34, offset+size past 2^64 → EINVAL (${S} §2.1; powerpc.c, book3s_64_vio.c)`, () => {
  const { t, g } = withTable("mainline");
  for (
    const bad of [
      { liobn: 1n, page_shift: 12n, flags: 1n, offset: 0n, size: 16n },
      { liobn: 1n, page_shift: 12n, offset: 0n, size: 0n },
      { liobn: 1n, page_shift: 11n, offset: 0n, size: 16n },
      { liobn: 1n, page_shift: 35n, offset: 0n, size: 16n },
      { liobn: 1n, page_shift: 0xffff_ffffn, offset: 0n, size: 16n },
      { liobn: 1n, page_shift: 12n, offset: 1n << 52n, size: 1n },
    ] as Record<string, bigint>[]
  ) assert.equal(t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, bad).ret, -22);
});

Deno.test(`KVM_CREATE_SPAPR_TCE_64: a liobn that already has a table → EBUSY; closing the fd frees the liobn (${S} §2.1)`, () => {
  const { t, g, fd } = withTable();
  assert.equal(
    t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, { liobn: L, page_shift: 12n, offset: 0n, size: 16n })
      .ret,
    -16,
  );
  t.vmm.close(fd);
  assert.ok(
    t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, { liobn: L, page_shift: 12n, offset: 0n, size: 16n })
      .ret >= 0,
  );
});

Deno.test(`KVM_CREATE_SPAPR_TCE_64: a table whose page array exceeds KMALLOC_MAX_SIZE → ENOMEM (${S} §2.1)`, () => {
  const { t, g } = withTable();
  assert.equal(
    t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, {
      liobn: 7n,
      page_shift: 12n,
      offset: 0n,
      size: 1n << 40n,
    }).ret,
    -12,
  );
});

Deno.test(`legacy KVM_CREATE_SPAPR_TCE = 4K pages at 0, window_size < 4K → EINVAL (${S} §2.1; powerpc.c)`, () => {
  const { t, g, kvm } = withTable();
  assert.equal(t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE, { liobn: 5n, window_size: 100n }).ret, -22);
  assert.ok(t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE, { liobn: 5n, window_size: 1n << 20n }).ret >= 0);
  const s = kvmppcFindTable(kvm, 5n)!;
  assert.equal(s.pageShift, 12);
  assert.equal(s.size, 256);
});

Deno.test(`a 64 GiB window with 64K pages costs nothing until written; 1000 entries cost few table pages (${S} §1.4; book3s_64_vio.c lazy pages)`, () => {
  const t = boot("seed");
  const g = t.guest();
  assert.ok(
    t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, {
      liobn: 9n,
      page_shift: 16n,
      offset: 1n << 43n,
      size: 1n << 20n,
    }).ret >= 0,
  );
  const kvm = t.vmm.proc.fget(g.vmfd).private_data as Kvm;
  const s = kvmppcFindTable(kvm, 9n)!;
  assert.equal(s.pagesAllocated(), 0);
  for (let i = 0; i < 1000; i++) {
    assert.equal(
      t.hcall(PUT, [9n, (1n << 59n) + BigInt(i) * 65536n, BigInt(i % 16) * 65536n | 1n]).ret,
      0n,
    );
  }
  assert.equal(s.pagesAllocated(), 1);
});

Deno.test(`H_PUT_TCE / H_GET_TCE on an unknown liobn: KVM says H_TOO_HARD, the VMM answers H_PARAMETER (${S} §1.4, §1.5)`, () => {
  const t = boot("seed");
  const r = t.hcall(PUT, [0x1234n, 0n, 3n]);
  assert.equal(r.where, "user");
  assert.equal(r.ret, H.H_PARAMETER);
  assert.equal(t.hcall(GET, [0x1234n, 0n]).ret, H.H_PARAMETER);
});

Deno.test(`H_PUT_TCE: ioba not aligned to the table page or outside the window → H_PARAMETER in-kernel (${S} §1.4; kvmppc_ioba_validate)`, () => {
  const { t } = withTable("seed", 16n, 16n);
  for (const ioba of [0x800n, 16n * 65536n, 1n << 62n]) {
    const r = t.hcall(PUT, [L, ioba, 0n]);
    assert.equal(r.where, "kernel");
    assert.equal(r.ret, H.H_PARAMETER);
  }
});

Deno.test(`H_PUT_TCE then H_GET_TCE returns the stored TCE; never-written page reads 0 (${S} §1.4)`, () => {
  const { t } = withTable();
  assert.equal(t.hcall(GET, [L, 0x5000n]).rets[0], 0n);
  assert.equal(t.hcall(PUT, [L, 0x5000n, 0x3000n | 1n]).ret, 0n);
  const r = t.hcall(GET, [L, 0x5000n]);
  assert.equal(r.where, "kernel");
  assert.equal(r.rets[0], 0x3001n);
});

Deno.test(`[seed] TCE address with stray bits below the page → H_PARAMETER (2016 validator) (${S} §1.4)`, () => {
  const { t } = withTable("seed");
  const r = t.hcall(PUT, [L, 0x1000n, 0x3800n | 3n]);
  assert.equal(r.where, "kernel");
  assert.equal(r.ret, H.H_PARAMETER);
});

Deno.test(`[mainline] misaligned TCE address → H_TOO_HARD → the VMM masks it and answers H_SUCCESS (${S} §1.4, §1.5)`, () => {
  const t = boot("mainline");
  t.decl("window", "w", { guest: "vm1", liobn: L, size: 1n << 30n });
  const r = t.hcall(PUT, [L, 0x1000n, 0x3800n | 3n]);
  assert.equal(r.where, "user");
  assert.equal(r.ret, H.H_SUCCESS);
  // QEMU wrote the raw TCE through its mmap of the KVM table: KVM's view sees it.
  assert.equal(t.hcall(GET, [L, 0x1000n]).rets[0], 0x3803n);
});

Deno.test(`TCE with no R/W bit is always accepted (clear / poison) (${S} §1.4)`, () => {
  const { t } = withTable();
  assert.equal(t.hcall(PUT, [L, 0x1000n, 0xdead_0000_0000n]).ret, H.H_SUCCESS);
  assert.equal(t.hcall(GET, [L, 0x1000n]).rets[0], 0xdead_0000_0000n);
});

Deno.test(`TCE address outside guest RAM → H_TOO_HARD in KVM (not in a memslot) (${S} §1.4)`, () => {
  const { t } = withTable();
  const r = t.hcall(PUT, [L, 0x1000n, (4n << 30n) | 1n]);
  assert.equal(r.where, "user");
});

Deno.test(`H_STUFF_TCE / H_PUT_TCE_INDIRECT run in-kernel only after KVM_ENABLE_CAP(PPC_ENABLE_HCALL) (${S} §1.4; QEMU kvmppc_spapr_enable_inkernel_multitce)`, () => {
  const { t, g } = withTable();
  // The VMM enabled both at start (MULTITCE); disable STUFF and watch it exit.
  assert.equal(t.hcall(STUFF, [L, 0n, 0n, 4n]).where, "kernel");
  assert.equal(
    t.ioctl(g.vmfd, KVM_ENABLE_CAP, {
      cap: KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL!,
      args: [BigInt(STUFF), 0n, 0n, 0n],
    }).ret,
    0,
  );
  assert.equal(t.hcall(STUFF, [L, 0n, 0n, 4n]).where, "user");
});

Deno.test(`H_STUFF_TCE: tce_value with R or W → H_PARAMETER in-kernel; whole range must be in the window (${S} §1.4)`, () => {
  const { t } = withTable("seed", 12n, 64n);
  assert.equal(t.hcall(STUFF, [L, 0n, 0x1000n | 1n, 1n]).ret, H.H_PARAMETER);
  assert.equal(t.hcall(STUFF, [L, 60n * 4096n, 0n, 5n]).ret, H.H_PARAMETER);
  assert.equal(t.hcall(STUFF, [L, 60n * 4096n, 0n, 4n]).ret, H.H_SUCCESS);
});

Deno.test(`H_PUT_TCE_INDIRECT: npages > 512, unaligned list, range past window → H_PARAMETER; list read big-endian (${S} §1.4)`, () => {
  const { t, g } = withTable("seed", 12n, 1024n);
  const list = 0x10_0000;
  const b = new Uint8Array(16);
  new DataView(b.buffer).setBigUint64(0, 0x4000n | 3n, false);
  new DataView(b.buffer).setBigUint64(8, 0x5000n | 1n, false);
  t.vmm.proc.mm.write(g.ramHva + list, b);
  assert.equal(t.hcall(IND, [L, 0n, BigInt(list), 513n]).ret, H.H_PARAMETER);
  assert.equal(t.hcall(IND, [L, 0n, BigInt(list) + 8n, 2n]).ret, H.H_PARAMETER);
  assert.equal(t.hcall(IND, [L, 1023n * 4096n, BigInt(list), 2n]).ret, H.H_PARAMETER);
  const r = t.hcall(IND, [L, 0x2000n, BigInt(list), 2n]);
  assert.equal(r.where, "kernel");
  assert.equal(r.ret, H.H_SUCCESS);
  assert.equal(t.hcall(GET, [L, 0x3000n]).rets[0], 0x5001n);
});

Deno.test(`H_PUT_TCE_INDIRECT validates all entries before applying any (${S} §1.4)`, () => {
  const { t, g } = withTable("seed");
  const list = 0x10_0000;
  const b = new Uint8Array(16);
  new DataView(b.buffer).setBigUint64(0, 0x4000n | 3n, false);
  new DataView(b.buffer).setBigUint64(8, 0x5800n | 1n, false); // misaligned → H_PARAMETER on seed
  t.vmm.proc.mm.write(g.ramHva + list, b);
  assert.equal(t.hcall(IND, [L, 0n, BigInt(list), 2n]).ret, H.H_PARAMETER);
  assert.equal(t.hcall(GET, [L, 0n]).rets[0], 0n);
});

Deno.test(`H_PUT_TCE_INDIRECT: list outside guest RAM → H_TOO_HARD in KVM; the VMM has no table for this liobn → H_PARAMETER (${S} §1.4, §1.5)`, () => {
  const { t } = withTable("seed");
  const r = t.hcall(IND, [L, 0n, 8n << 30n, 1n]);
  assert.equal(r.where, "user");
  assert.equal(r.ret, H.H_PARAMETER);
});

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] in-kernel H_PUT_TCE programs every linked HW table, several HW entries per guest entry when pages differ (${S} §1.4 step 3)`, () => {
    const t = withGroup(profile);
    // Guest window with 64K pages over a HW window that QEMU gives 64K pages; then a 16M guest window over 64K HW pages.
    t.decl("window", "dma32", { guest: "vm1", group: 12n, liobn: 0x8000_0000n, size: 1n << 30n });
    t.decl("window", "dma64", {
      guest: "vm1",
      group: 12n,
      liobn: 0x8000_0001n,
      offset: 1n << 59n,
      size: 1n << 36n,
      page: 1n << 24n,
    });
    const g = t.guest();
    const ram = 0x100_0000n; // a 16M-aligned guest page
    const r = t.hcall(PUT, [0x8000_0001n, 1n << 59n, ram | 3n]);
    assert.equal(r.where, "kernel");
    assert.equal(r.ret, 0n);
    t.vmm.proc.mm.write(g.ramHva + 0x100_0000 + 0x2_0010, new Uint8Array([7, 8]));
    // Subpage 2 of the 16M guest page (64K HW pages) reaches the same RAM.
    assert.deepEqual(
      deviceDmaRead(t.k, "0001:01:00.0", (1n << 59n) + 0x2_0010n, 2),
      new Uint8Array([7, 8]),
    );
    void fdOf;
  });
}

// ---------------------------------------------------------------- audit additions (§1.4, §2.1)

const VIO = "arch/powerpc/kvm/book3s_64_vio.c";

function inKernel(t: ReturnType<typeof boot>) {
  const g = t.guest();
  return t.vmm.kvmVcpu(g.vcpus[0]!);
}

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] unknown liobn → H_TOO_HARD for all four hcalls, checked before npages > 512 (${S} §1.4; ${VIO} kvmppc_find_table first)`, () => {
    const { t } = withTable(profile);
    const v = inKernel(t);
    const X = 0x1234n;
    assert.equal(kvmppcHPutTce(v, [X, 0n, 0n], []), H.H_TOO_HARD);
    assert.equal(kvmppcHGetTce(v, [X, 0n], []), H.H_TOO_HARD);
    assert.equal(kvmppcHStuffTce(v, [X, 0n, 0n, 1n], []), H.H_TOO_HARD);
    assert.equal(kvmppcHPutTceIndirect(v, [X, 0n, 1n, 1000n], []), H.H_TOO_HARD);
  });

  Deno.test(`[${profile}] ioba validation covers the whole range and u64 wrap: npages 2^64-1 → H_PARAMETER (${S} §1.4; ${VIO} kvmppc_ioba_validate: idx - offset + npages > size || idx + npages < idx)`, () => {
    const { t } = withTable(profile, 12n, 64n);
    const v = inKernel(t);
    assert.equal(kvmppcHStuffTce(v, [L, 0n, 0n, (1n << 64n) - 1n], []), H.H_PARAMETER);
    assert.equal(kvmppcHStuffTce(v, [L, 63n << 12n, 0n, 2n], []), H.H_PARAMETER);
    assert.equal(kvmppcHStuffTce(v, [L, 63n << 12n, 0n, 1n], []), H.H_SUCCESS);
    assert.equal(kvmppcHPutTce(v, [L, (1n << 64n) - 4096n, 0n], []), H.H_PARAMETER);
    assert.equal(kvmppcHGetTce(v, [L, 64n << 12n], []), H.H_PARAMETER);
  });
}

Deno.test(`[seed] a clearing TCE (no R/W) with stray bits below the page → H_PARAMETER; [mainline] accepted and stored (2016 validator: tce & ~(page_mask|R|W); ${S} §1.4)`, () => {
  for (const profile of ["seed", "mainline"] as const) {
    const { t } = withTable(profile);
    const v = inKernel(t);
    const r = kvmppcHPutTce(v, [L, 0x1000n, 0x10_0100n], []);
    assert.equal(r, profile === "seed" ? H.H_PARAMETER : H.H_SUCCESS, profile);
    const rets: bigint[] = [];
    assert.equal(kvmppcHGetTce(v, [L, 0x1000n], rets), H.H_SUCCESS);
    assert.equal(rets[0], profile === "seed" ? 0n : 0x10_0100n, profile);
  }
});

Deno.test(`[mainline] H_PUT_TCE_INDIRECT: a clearing entry whose address is in no memslot → H_PARAMETER from the apply loop, earlier entries stay applied; [seed] accepted (${VIO} kvmppc_h_put_tce_indirect: kvmppc_tce_to_ua → H_PARAMETER; ${S} §1.4)`, () => {
  for (const profile of ["seed", "mainline"] as const) {
    const { t, g } = withTable(profile);
    const v = inKernel(t);
    const list = 0x40_0000;
    const buf = new Uint8Array(16);
    const dv = new DataView(buf.buffer);
    dv.setBigUint64(0, 0x10_0000n | 3n, false);
    dv.setBigUint64(8, 0x10_0000_0000n, false); // clear, but 64 GiB is outside the 1 GiB guest
    t.vmm.proc.mm.write(g.ramHva + list, buf);
    const r = kvmppcHPutTceIndirect(v, [L, 0n, BigInt(list), 2n], []);
    assert.equal(r, profile === "mainline" ? H.H_PARAMETER : H.H_SUCCESS, profile);
    const rets: bigint[] = [];
    kvmppcHGetTce(v, [L, 0n], rets);
    assert.equal(rets[0], 0x10_0000n | 3n, `${profile}: first entry applied`);
  }
});

Deno.test(`[mainline] KVM_CREATE_SPAPR_TCE_64: offset + size is u64 arithmetic — a wrapping sum passes the check as in C; page_shift 0, 63, 200, 2^32-1 → EINVAL (${S} §2.1; ${VIO} kvm_vm_ioctl_create_spapr_tce)`, () => {
  const { t, g } = withTable("mainline");
  for (const ps of [0n, 63n, 200n, 0xffff_ffffn]) {
    assert.equal(
      t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, { liobn: 7n, page_shift: ps, offset: 0n, size: 1n })
        .ret,
      -22,
      `page_shift ${ps}`,
    );
  }
  // (2^64 - 1) + 2 wraps to 1 ≤ (2^64-1) >> 12: the kernel creates the table.
  const fd = t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, {
    liobn: 8n,
    page_shift: 12n,
    offset: (1n << 64n) - 1n,
    size: 2n,
  }).ret;
  assert.ok(fd >= 0, `fd ${fd}`);
  // …and every ioba is below its offset → H_PARAMETER.
  assert.equal(kvmppcHPutTce(inKernel(t), [8n, 0n, 0n], []), H.H_PARAMETER);
  // A "negative" size (u64 wrap of -4096) → EINVAL.
  assert.equal(
    t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, {
      liobn: 9n,
      page_shift: 12n,
      offset: 0n,
      size: BigInt.asUintN(64, -4096n),
    }).ret,
    -22,
  );
});

Deno.test(`the table fd mmaps the TCEs (one u64 per IOMMU page); a page past the end → SIGBUS (EFAULT) (${S} §2.1; api.rst §4.62)`, () => {
  const { t, fd } = withTable("mainline", 12n, 16n);
  const v = inKernel(t);
  assert.equal(kvmppcHPutTce(v, [L, 0x3000n, 0x10_0000n | 1n], []), H.H_SUCCESS);
  const ps = t.k.config.pageSize;
  const hva = t.k.mmap(t.vmm.proc, 0, ps * 2, 3, 1, fd, 0); // PROT_READ|WRITE, MAP_SHARED
  assert.ok(hva > 0);
  const b = t.vmm.proc.mm.read(hva + 3 * 8, 8);
  assert.equal(new DataView(b.buffer, b.byteOffset).getBigUint64(0, true), 0x10_0000n | 1n);
  assert.throws(() => t.vmm.proc.mm.read(hva + ps, 8));
});

Deno.test(`[mainline] H_PUT_TCE with a linked HW table and guest RAM not pre-registered → H_TOO_HARD; nothing stored (${S} §1.4 step 2; ${VIO} kvmppc_tce_validate mm_iommu_lookup)`, () => {
  const t = withGroup("mainline");
  t.decl("window", "dma32", { guest: "vm1", group: 12n, liobn: L, size: 1n << 30n });
  const v = inKernel(t);
  const kvm = t.vmm.proc.fget(t.guest().vmfd).private_data as Kvm;
  const stt = kvmppcFindTable(kvm, L)!;
  assert.equal(stt.iommuTables.length, 1);
  // Drop every pre-registration the VMM made (nothing is mapped yet).
  const c = fdOf(t, "c0");
  const g = t.guest();
  assert.equal(
    t.ioctl(c, VFIO_IOMMU_SPAPR_UNREGISTER_MEMORY, {
      flags: 0n,
      vaddr: BigInt(g.ramHva),
      size: BigInt(g.ramSize),
    }).ret,
    0,
  );
  assert.equal(kvmppcHPutTce(v, [L, 0x1000n, 0x10_0000n | 3n], []), H.H_TOO_HARD);
  assert.equal(stt.get(1), 0n);
});

Deno.test(`[seed] KVM_CREATE_SPAPR_TCE_64: only size 0 → EINVAL (no page_shift or offset check in 2016); a duplicate liobn → EBUSY before the ENOMEM of accounting; [mainline] ENOMEM first (${VIO} kvm_vm_ioctl_create_spapr_tce, v4.6 and mainline)`, () => {
  const { t, g } = withTable("seed");
  const mk = (liobn: bigint, page_shift: bigint, offset: bigint, size: bigint) =>
    t.ioctl(g.vmfd, KVM_CREATE_SPAPR_TCE_64, { liobn, page_shift, offset, size }).ret;
  assert.equal(mk(1n, 12n, 0n, 0n), -22);
  assert.equal(mk(1n, 12n, 0n, 0n), -22);
  assert.ok(mk(2n, 11n, 0n, 16n) >= 0, "page_shift 11 accepted in 2016");
  assert.ok(mk(3n, 35n, 0n, 16n) >= 0, "page_shift 35 accepted in 2016");
  assert.ok(mk(4n, 12n, 1n << 52n, 1n) >= 0, "offset past 2^64 >> shift accepted in 2016");
  // Duplicate liobn with a size the accounting would refuse: EBUSY wins in 2016.
  assert.equal(mk(L, 12n, 0n, 1n << 40n), -16);
  const m = withTable("mainline");
  assert.equal(
    m.t.ioctl(m.g.vmfd, KVM_CREATE_SPAPR_TCE_64, {
      liobn: L,
      page_shift: 12n,
      offset: 0n,
      size: 1n << 40n,
    }).ret,
    -12,
  );
});

Deno.test(`[mainline] H_PUT_TCE_INDIRECT sends a clearing TCE through kvmppc_tce_iommu_map: the HW entry keeps the hpa without R/W and the region's mapped count is not given back; [seed] a clear unmaps (${VIO} kvmppc_h_put_tce_indirect → kvmppc_tce_iommu_do_map, dir DMA_NONE)`, () => {
  for (const profile of ["seed", "mainline"] as const) {
    const t = boot(profile, { memory: 1n << 30n });
    t.decl("container", "c0", { iommu: "spapr-tce-v2" });
    t.decl("group", "12", { container: "c0", device: "0001:01:00.0" });
    t.decl("window", "dma32", { group: 12n, liobn: L, size: 1n << 30n });
    const g = t.guest();
    const v = t.vmm.kvmVcpu(g.vcpus[0]!);
    const kvm = t.vmm.proc.fget(g.vmfd).private_data as Kvm;
    const stt = kvmppcFindTable(kvm, L)!;
    const hw = stt.iommuTables[0]!.tbl;
    const mem = mmIommuLookup(kvm.owner.mm, g.ramHva, 4096)!;
    for (const nr of [STUFF, IND]) {
      t.ioctl(g.vmfd, KVM_ENABLE_CAP, {
        cap: KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL,
        args: [BigInt(nr), 1n, 0n, 0n],
      });
    }
    assert.equal(kvmppcHPutTce(v, [L, 0n, 0x2_0000n | 3n], []), H.H_SUCCESS);
    assert.equal(mem.mapped, 1, `${profile}: one mapping`);
    const list = 0x40_0000;
    const buf = new Uint8Array(8);
    new DataView(buf.buffer).setBigUint64(0, 0x3_0000n, false); // clear, address bits 0x30000
    t.vmm.proc.mm.write(g.ramHva + list, buf);
    assert.equal(kvmppcHPutTceIndirect(v, [L, 0n, BigInt(list), 1n], []), H.H_SUCCESS);
    const rets: bigint[] = [];
    kvmppcHGetTce(v, [L, 0n], rets);
    assert.equal(rets[0], 0x3_0000n, `${profile}: the guest view holds the TCE as written`);
    if (profile === "seed") {
      assert.equal(hw.get(0), 0, "seed: the HW entry is cleared");
      assert.equal(mem.mapped, 0, "seed: the mapping is given back");
    } else {
      assert.equal(hw.get(0) & 3, 0, "mainline: no permission left in the HW entry");
      assert.notEqual(hw.get(0), 0, "mainline: … but the hpa of 0x30000 is written there");
      assert.equal(
        mem.mapped,
        1,
        "mainline: mapped_inc for the clear, nothing decrements it later",
      );
    }
  }
});
