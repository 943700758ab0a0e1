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
import {
  VFIO_EXT,
  VFIO_GROUP_SET_CONTAINER,
  VFIO_GROUP_UNSET_CONTAINER,
  VFIO_IOMMU_SPAPR_TCE_CREATE,
  VFIO_SET_IOMMU,
} from "../../include/uapi/linux/vfio.ts";
import { vfioPlatformAddGroup } from "../../drivers/vfio/vfio.ts";
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

Deno.test(`[mainline] FILE_DEL: fd not added → ENOENT; unknown attribute or group → ENXIO (${S}; virt/kvm/vfio.c kvm_vfio_file_del)`, () => {
  const t = withGroup("mainline");
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

// ---------------------------------------------------------------- audit additions

Deno.test(`[mainline] FILE_ADD accepts a group that is in no container (kvm_vfio_file_is_valid only checks the fops) (${S}; virt/kvm/vfio.c kvm_vfio_file_add)`, () => {
  const t = boot("mainline");
  vfioPlatformAddGroup(t.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  const g = t.vmm.open("/dev/vfio/5");
  assert.equal(attr(t, 1n, int32(g)), 0);
  assert.equal(attr(t, 2n, int32(g)), 0);
});

Deno.test(`[seed] GROUP_ADD of a group without a container/IOMMU → EINVAL (vfio_group_get_external_user → vfio_group_add_container_user, drivers/vfio/vfio.c 2016; ${SEED})`, () => {
  const t = boot("seed");
  vfioPlatformAddGroup(t.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
  const g = t.vmm.open("/dev/vfio/5");
  assert.equal(attr(t, 1n, int32(g)), -22);
  const c = t.vmm.open("/dev/vfio/vfio");
  assert.equal(t.ioctl(g, VFIO_GROUP_SET_CONTAINER, c).ret, 0);
  assert.equal(attr(t, 1n, int32(g)), -22); // container but no IOMMU backend yet
  assert.equal(t.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU).ret, 0);
  assert.equal(attr(t, 1n, int32(g)), 0);
});

for (const profile of ["seed", "mainline"] as const) {
  Deno.test(`[${profile}] UNSET_CONTAINER while the KVM-VFIO device holds the group: seed → EBUSY (external user holds a container user), mainline → 0 (${SEED}; drivers/vfio/vfio.c vfio_group_get_external_user; ${S})`, () => {
    const t = boot(profile);
    vfioPlatformAddGroup(t.k, 5, [{ bdf: "0001:05:00.0", driver: "vfio-pci" }]);
    const g = t.vmm.open("/dev/vfio/5");
    const c = t.vmm.open("/dev/vfio/vfio");
    t.ioctl(g, VFIO_GROUP_SET_CONTAINER, c);
    t.ioctl(c, VFIO_SET_IOMMU, VFIO_EXT.VFIO_SPAPR_TCE_v2_IOMMU);
    assert.equal(attr(t, 1n, int32(g)), 0);
    assert.equal(t.ioctl(g, VFIO_GROUP_UNSET_CONTAINER).ret, profile === "seed" ? -16 : 0);
    if (profile === "seed") {
      assert.equal(attr(t, 2n, int32(g)), 0); // GROUP_DEL puts the external user
      assert.equal(t.ioctl(g, VFIO_GROUP_UNSET_CONTAINER).ret, 0);
    }
  });
}

Deno.test(`[mainline] FILE_ADD of a device fd works; SET_SPAPR_TCE with it → EIO ("only group files") (${S}; virt/kvm/vfio.c kvm_vfio_file_set_spapr_tce)`, () => {
  const t = withGroup("mainline");
  const devFd =
    (t.vmm.objects.get("group12")!.impl as { devices: { fd: number }[] }).devices[0]!.fd;
  assert.equal(attr(t, 1n, int32(devFd)), 0);
  const vm = t.guest().vmfd;
  const tfd = t.ioctl(vm, KVM_CREATE_SPAPR_TCE_64, {
    liobn: 0x42n,
    page_shift: 12n,
    offset: 0n,
    size: 16n,
  }).ret;
  assert.equal(
    attr(t, 3n, encodeStruct(kvm_vfio_spapr_tce, { groupfd: BigInt(devFd), tablefd: BigInt(tfd) })),
    -5,
  );
});

Deno.test(`[mainline] SET_SPAPR_TCE: bad addr → EFAULT; tablefd of the wrong kind (eventfd, /dev/kvm, a vcpu fd, the group fd) → EINVAL; a table of another VM → EINVAL (${S}; book3s_64_vio.c kvm_spapr_tce_attach_iommu_group)`, () => {
  const t = withGroup("mainline");
  const g = BigInt(fdOf(t, "group12"));
  const d = dev(t);
  assert.equal(t.vmm.ioctl(d, KVM_SET_DEVICE_ATTR, { group: 1n, attr: 3n, addr: 0x10n }).ret, -14);
  const vg = t.guest();
  const wrong = [t.vmm.eventfd(), t.vmm.kvm(), vg.vcpus[0]!.fd, Number(g), vg.vmfd];
  for (const fd of wrong) {
    assert.equal(
      attr(t, 3n, encodeStruct(kvm_vfio_spapr_tce, { groupfd: g, tablefd: BigInt(fd) })),
      -22,
      `tablefd ${fd}`,
    );
  }
  t.decl("guest", "vm2", { vcpus: 1n, memory: 1n << 28n });
  const other = t.ioctl(t.guest("vm2").vmfd, KVM_CREATE_SPAPR_TCE_64, {
    liobn: 0x8000_0000n,
    page_shift: 12n,
    offset: 0n,
    size: 16n,
  }).ret;
  assert.ok(other >= 0);
  assert.equal(
    attr(t, 3n, encodeStruct(kvm_vfio_spapr_tce, { groupfd: g, tablefd: BigInt(other) })),
    -22,
  );
});

Deno.test(`[seed] GROUP_ADD / SET_SPAPR_TCE_LIOBN with an fd of the wrong kind (eventfd, /dev/kvm, vcpu, container) → EINVAL (vfio_group_get_external_user: f_op != &vfio_group_fops; ${SEED})`, () => {
  const t = withGroup("seed");
  const vg = t.guest();
  for (const fd of [t.vmm.eventfd(), t.vmm.kvm(), vg.vcpus[0]!.fd, fdOf(t, "c0")]) {
    assert.equal(attr(t, 1n, int32(fd)), -22, `ADD fd ${fd}`);
    assert.equal(
      attr(t, 3n, encodeStruct(kvm_vfio_spapr_tce_liobn, { fd: BigInt(fd), liobn: 1n })),
      -22,
      `LIOBN fd ${fd}`,
    );
  }
});

Deno.test(`[mainline] the seed's 24-byte LIOBN struct on a mainline kernel is read as {groupfd, tablefd}: argsz=24 → groupfd 24 not open → EBADF (${SEED}; ${S})`, () => {
  const t = withGroup("mainline");
  const payload = encodeStruct(kvm_vfio_spapr_tce_liobn, {
    fd: BigInt(fdOf(t, "group12")),
    liobn: 0x8000_0000n,
  });
  assert.equal(new DataView(payload.buffer).getUint32(0, true), 24);
  assert.equal(attr(t, 3n, payload), -9);
});

Deno.test(`[mainline] FILE_DEL unlinks the group's HW tables from every liobn (${S}: "DEL and device release unlink")`, () => {
  const t = withGroup("mainline");
  t.decl("window", "dma32", { guest: "vm1", group: 12n, liobn: 0x8000_0000n, size: 1n << 30n });
  const vm = t.guest().vmfd;
  const kvm = t.vmm.proc.fget(vm).private_data as Kvm;
  const stt = kvmppcFindTable(kvm, 0x8000_0000n)!;
  assert.equal(stt.iommuTables.length, 1);
  assert.equal(attr(t, 2n, int32(fdOf(t, "group12"))), 0);
  assert.equal(stt.iommuTables.length, 0);
});

// ------------------------------------------------ seed-era external-user rules (second-pass review)

Deno.test(`[seed] FILE_DEL: a non-group fd → EINVAL before ENOENT (vfio_group_get_external_user) (2016 virt/kvm/vfio.c kvm_vfio_set_group GROUP_DEL)`, () => {
  const t = withGroup("seed");
  assert.equal(attr(t, 2n, int32(t.vmm.kvm())), -22);
});

Deno.test(`[seed] SET_SPAPR_TCE_LIOBN: a group in no container → EINVAL (vfio_group_get_external_user) before ENOENT (${SEED}; 2016 drivers/vfio/vfio.c vfio_group_get_external_user)`, () => {
  const t = withGroup("seed");
  vfioPlatformAddGroup(t.k, 40, [{ bdf: "0001:40:00.0", driver: "vfio-pci" }]);
  const g = t.vmm.open("/dev/vfio/40");
  assert.equal(
    attr(t, 3n, encodeStruct(kvm_vfio_spapr_tce_liobn, { argsz: 24n, fd: BigInt(g), liobn: 1n })),
    -22,
  );
  assert.equal(attr(t, 1n, int32(g)), -22); // ADD refuses it the same way
});

Deno.test(`closing the KVM-VFIO fd: seed keeps the device and its groups until the VM goes (no ->release; kvm_vfio_destroy at VM teardown), mainline releases it (kvm_device_release → kvm_vfio_release) (virt/kvm/kvm_main.c kvm_device_release; virt/kvm/vfio.c)`, () => {
  for (const profile of ["seed", "mainline"] as const) {
    const t = withGroup(profile);
    const g = t.guest();
    const d = dev(t);
    const kvm = t.vmm.proc.fget(g.vmfd).private_data as Kvm;
    assert.equal(t.vmm.close(d), 0);
    const again = t.ioctl(g.vmfd, KVM_CREATE_DEVICE, { type: 4n }).ret;
    if (profile === "seed") {
      assert.equal(again, -16, "seed: the first device still exists → EBUSY");
      assert.equal(kvm.devices.length, 1);
    } else {
      assert.equal(again, 0, "mainline: released at close, a new one can be made");
      assert.equal(kvm.devices.length, 1);
    }
  }
});
