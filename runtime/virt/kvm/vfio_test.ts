import assert from "node:assert/strict";
import { boot, fdOf, type TestHost, withGroup } from "../../drivers/vfio/test_helpers.ts";
import {
  KVM_CREATE_DEVICE,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
} from "../../include/uapi/linux/kvm.ts";
import {
  KVM_CREATE_SPAPR_TCE_64,
  kvm_vfio_spapr_tce,
  kvm_vfio_spapr_tce_liobn,
} from "../../arch/powerpc/include/uapi/asm/kvm_spapr_tce.ts";
import { VFIO_IOMMU_SPAPR_TCE_CREATE } from "../../include/uapi/linux/vfio.ts";
import { encodeStruct } from "../../kernel/layout.ts";
import { int32, kvmVfioDevice, setDeviceAttr } from "../../vmm/vfio.ts";
import { kvmppcFindTable } from "../../arch/powerpc/kvm/book3s_64_vio.ts";
import type { Kvm } from "./kvm_host.ts";
import { deviceDmaRead } from "../../drivers/iommu/dma.ts";

const S = "spapr-tce-vfio-sva.md §2.3";
const SEED = "seed 000; spapr-tce-vfio-sva.md §2.4";

function dev(t: TestHost): number {
  return kvmVfioDevice(t.vmm, t.guest());
}
const attr = (t: TestHost, a: bigint, payload: Uint8Array) =>
  setDeviceAttr(t.vmm, dev(t), 1n, a, payload);

Deno.test(`KVM_CREATE_DEVICE(VFIO): a second one in the same VM → EBUSY (${S}; virt/kvm/vfio.c kvm_vfio_create)`, () => {
  const t = boot("seed");
  dev(t);
  assert.equal(t.ioctl(t.guest().vmfd, KVM_CREATE_DEVICE, { type: 4n }).ret, -16);
});

Deno.test(`FILE_ADD: unreadable addr → EFAULT, closed fd → EBADF, non-VFIO fd → EINVAL, same file twice → EEXIST (${S})`, () => {
  const t = withGroup();
  const d = dev(t);
  assert.equal(t.vmm.ioctl(d, KVM_SET_DEVICE_ATTR, { group: 1n, attr: 1n, addr: 0x10n }).ret, -14);
  assert.equal(attr(t, 1n, int32(99)), -9);
  assert.equal(attr(t, 1n, int32(t.vmm.kvm())), -22);
  assert.equal(attr(t, 1n, int32(fdOf(t, "group12"))), -17); // the VMM added it at group bring-up
});

Deno.test(`FILE_DEL: fd not added → ENOENT; unknown attribute or group → ENXIO (${S})`, () => {
  const t = withGroup();
  assert.equal(attr(t, 2n, int32(t.vmm.kvm())), -2);
  assert.equal(attr(t, 9n, int32(0)), -6);
  assert.equal(setDeviceAttr(t.vmm, dev(t), 7n, 1n, int32(0)), -6);
});

Deno.test(`GET_ATTR on the VFIO device (no accessor) → EPERM; HAS_ATTR: ADD/DEL/SET_SPAPR_TCE → 0, others ENXIO; attr 3 absent off ppc (${S})`, () => {
  const t = withGroup();
  const d = dev(t);
  assert.equal(t.ioctl(d, KVM_GET_DEVICE_ATTR, { group: 1n, attr: 1n }).ret, -1);
  for (const a of [1n, 2n, 3n]) {
    assert.equal(t.ioctl(d, KVM_HAS_DEVICE_ATTR, { group: 1n, attr: a }).ret, 0);
  }
  assert.equal(t.ioctl(d, KVM_HAS_DEVICE_ATTR, { group: 1n, attr: 4n }).ret, -6);
  const x = boot("seed", { arch: "arm64" });
  assert.equal(x.ioctl(dev(x), KVM_HAS_DEVICE_ATTR, { group: 1n, attr: 3n }).ret, -6);
});

function hwWindow(t: TestHost, shift = 12n, size = 1n << 30n): bigint {
  const r = t.ioctl(fdOf(t, "c0"), VFIO_IOMMU_SPAPR_TCE_CREATE, {
    page_shift: shift,
    window_size: size,
    levels: 1n,
  });
  assert.equal(r.ret, 0);
  return r.out.start_addr as bigint;
}

Deno.test(`[seed] SET_SPAPR_TCE_LIOBN: argsz < minsz (24) → EINVAL; closed fd → EBADF; group not added → ENOENT (${SEED})`, () => {
  const t = withGroup("seed");
  const g = fdOf(t, "group12");
  assert.equal(
    attr(t, 3n, encodeStruct(kvm_vfio_spapr_tce_liobn, { argsz: 16n, fd: BigInt(g), liobn: 1n })),
    -22,
  );
  assert.equal(attr(t, 3n, encodeStruct(kvm_vfio_spapr_tce_liobn, { fd: 99n, liobn: 1n })), -9);
  assert.equal(attr(t, 2n, int32(g)), 0); // DEL it
  assert.equal(
    attr(t, 3n, encodeStruct(kvm_vfio_spapr_tce_liobn, { fd: BigInt(g), liobn: 1n })),
    -2,
  );
});

Deno.test(`[seed] SET_SPAPR_TCE_LIOBN twice per group: 32-bit and 64-bit windows found by start_addr (${SEED})`, () => {
  const t = withGroup("seed");
  const g = fdOf(t, "group12"), vm = t.guest().vmfd;
  const s0 = hwWindow(t), s1 = hwWindow(t, 16n, 1n << 36n);
  assert.equal(s1, 1n << 59n);
  t.ioctl(vm, KVM_CREATE_SPAPR_TCE_64, {
    liobn: 0x8000_0000n,
    page_shift: 12n,
    offset: 0n,
    size: 1n << 18n,
  });
  t.ioctl(vm, KVM_CREATE_SPAPR_TCE_64, {
    liobn: 0x8000_0001n,
    page_shift: 16n,
    offset: s1 >> 16n,
    size: 1n << 20n,
  });
  assert.equal(
    attr(
      t,
      3n,
      encodeStruct(kvm_vfio_spapr_tce_liobn, {
        fd: BigInt(g),
        liobn: 0x8000_0000n,
        start_addr: s0,
      }),
    ),
    0,
  );
  assert.equal(
    attr(
      t,
      3n,
      encodeStruct(kvm_vfio_spapr_tce_liobn, {
        fd: BigInt(g),
        liobn: 0x8000_0001n,
        start_addr: s1,
      }),
    ),
    0,
  );
  const kvm = t.vmm.proc.fget(vm).private_data as Kvm;
  assert.equal(kvmppcFindTable(kvm, 0x8000_0000n)!.iommuTables.length, 1);
  assert.equal(kvmppcFindTable(kvm, 0x8000_0001n)!.iommuTables.length, 1);
  // No KVM table for the liobn / no HW window at start_addr → EINVAL (inferred from the merged equivalent).
  assert.equal(
    attr(
      t,
      3n,
      encodeStruct(kvm_vfio_spapr_tce_liobn, { fd: BigInt(g), liobn: 0x42n, start_addr: s0 }),
    ),
    -22,
  );
  assert.equal(
    attr(
      t,
      3n,
      encodeStruct(kvm_vfio_spapr_tce_liobn, {
        fd: BigInt(g),
        liobn: 0x8000_0000n,
        start_addr: 0x1000n,
      }),
    ),
    -22,
  );
});

Deno.test(`[mainline] SET_SPAPR_TCE: groupfd closed → EBADF, not added → ENOENT, tablefd closed → EBADF, not a table → EINVAL, geometry mismatch → EINVAL (${S})`, () => {
  const t = withGroup("mainline");
  const g = fdOf(t, "group12"), vm = t.guest().vmfd;
  hwWindow(t, 16n, 1n << 28n);
  const tf = t.ioctl(vm, KVM_CREATE_SPAPR_TCE_64, {
    liobn: 0x8000_0000n,
    page_shift: 12n,
    offset: 0n,
    size: 1n << 18n,
  }).ret;
  const p = (groupfd: number, tablefd: number) =>
    encodeStruct(kvm_vfio_spapr_tce, { groupfd: BigInt(groupfd), tablefd: BigInt(tablefd) });
  assert.equal(attr(t, 3n, p(99, tf)), -9);
  assert.equal(attr(t, 3n, p(g, 99)), -9);
  assert.equal(attr(t, 3n, p(g, t.vmm.kvm())), -22);
  // HW page (64K) larger than the guest page (4K): no match.
  assert.equal(attr(t, 3n, p(g, tf)), -22);
  const tf2 = t.ioctl(vm, KVM_CREATE_SPAPR_TCE_64, {
    liobn: 0x8000_0002n,
    page_shift: 16n,
    offset: 0n,
    size: 1n << 12n,
  }).ret;
  assert.equal(attr(t, 3n, p(g, tf2)), 0);
  assert.equal(attr(t, 2n, int32(g)), 0);
  assert.equal(attr(t, 3n, p(g, tf2)), -2);
});

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] the review's question: a LIOBN maps to a table — two groups in one container share one HW table, one link with refcount 2; DEL of one group keeps the other's DMA working (${SEED}; ${S})`, () => {
    const t = withGroup(profile);
    t.decl("group", "13", { container: "c0", device: "0001:02:00.0" });
    t.decl("window", "dma32", { guest: "vm1", group: 12n, liobn: 0x8000_0000n, size: 1n << 30n });
    const kvm = t.vmm.proc.fget(t.guest().vmfd).private_data as Kvm;
    const stt = kvmppcFindTable(kvm, 0x8000_0000n)!;
    assert.equal(stt.iommuTables.length, 1);
    assert.equal(stt.iommuTables[0]!.refs, 2);
    assert.equal(attr(t, 2n, int32(fdOf(t, "group12"))), 0);
    assert.equal(stt.iommuTables[0]!.refs, 1);
    assert.equal(t.hcall(0x20, [0x8000_0000n, 0x1000n, 0x2_0000n | 3n]).where, "kernel");
    t.vmm.proc.mm.write(t.guest().ramHva + 0x2_0000, new Uint8Array([0xab]));
    assert.deepEqual(deviceDmaRead(t.k, "0001:02:00.0", 0x1000n, 1), new Uint8Array([0xab]));
  });
}
