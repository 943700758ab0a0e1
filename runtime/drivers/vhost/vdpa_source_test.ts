/**
 * Rules checked line by line against the kernel sources (second review):
 * drivers/vhost/vhost.c, drivers/vhost/iotlb.c, drivers/vhost/vdpa.c and
 * drivers/vdpa/vdpa_sim/vdpa_sim.c. Each test names the function it follows.
 */
import assert from "node:assert/strict";
import { boot } from "./testutil.ts";
import * as V from "../../include/uapi/linux/vhost.ts";
import { ERRNO } from "../../include/uapi/asm-generic/errno.ts";
import { writeIotlbMsg } from "../../vmm/vhost_vdpa_iotlb.ts";
import { Errno } from "../../kernel/errno.ts";
import { VHOST_IOTLB_FLAG_RETIRE, VHOST_MAP_RW, VhostIotlb } from "./iotlb.ts";

const E = (n: string) => -ERRNO[n]!;
const ACK = 1, DRV = 2, DOK = 4, FOK = 8;
const FEAT = Number((1n << 33n) | (1n << 32n));
const UPDATE = 2, BEGIN = 5, END = 6;
const MAC = [0x52, 0x54, 0, 0x12, 0x34, 0x56];

function negotiated(p: "seed" | "mainline") {
  const t = boot(p);
  t.io(V.VHOST_SET_OWNER);
  t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV);
  assert.equal(t.io(V.VHOST_SET_FEATURES, FEAT), 0);
  assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV | FOK), 0);
  return t;
}

function frame(dst: number[], fill: number): Uint8Array {
  const f = new Uint8Array(12 + 60).fill(fill);
  f.fill(0, 0, 12);
  f.set(dst, 12);
  return f;
}

Deno.test("mainline: SET_STATUS 0 clears the suspended flag — after SUSPEND, reset and a new DRIVER_OK, SET_VRING_ADDR is EINVAL again (torvalds/linux drivers/vhost/vdpa.c _compat_vdpa_reset)", () => {
  const t = negotiated("mainline");
  assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV | FOK | DOK), 0);
  assert.equal(t.io(V.VHOST_VDPA_SUSPEND), 0);
  assert.equal(t.v.suspended, true);
  assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, 0), 0);
  assert.equal(t.v.suspended, false);
  t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV);
  t.io(V.VHOST_SET_FEATURES, FEAT);
  t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV | FOK | DOK);
  const addr = { index: 0n, flags: 0n, desc_user_addr: 0n, used_user_addr: 0n };
  assert.equal(t.io(V.VHOST_SET_VRING_ADDR, { ...addr, avail_user_addr: 0n }), E("EINVAL"));
});

Deno.test("mainline: SET_STATUS 0 leaves an open IOTLB batch open (it calls _compat_vdpa_reset, not vhost_vdpa_reset, which alone clears in_batch) (drivers/vhost/vdpa.c vhost_vdpa_set_status)", () => {
  const t = boot("mainline", { useVa: false });
  t.io(V.VHOST_SET_OWNER);
  const a = t.vmm.mmapAnon(0x4000);
  const msg = { iova: 0n, size: 0n, uaddr: 0n, perm: 0 };
  assert.equal(writeIotlbMsg(t.k, t.vmm.proc, t.fd, { ...msg, type: BEGIN }), 72);
  assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, 0), 0);
  assert.equal(t.v.inBatch, true);
  const up = { type: UPDATE, iova: 0n, size: 0x4000n, uaddr: BigInt(a), perm: 3 };
  assert.equal(writeIotlbMsg(t.k, t.vmm.proc, t.fd, up), 72);
  assert.equal(t.dev.sim.iommu[0]!.maps[0]!.note, "passthrough", "the batch holds the map back");
  assert.equal(writeIotlbMsg(t.k, t.vmm.proc, t.fd, { ...msg, type: END }), 72);
  assert.equal(t.dev.sim.iommu[0]!.maps[0]!.note, undefined);
});

Deno.test("vhost_iotlb: the entry limit is enforced only with RETIRE, evicting the oldest insertion; last < start → EFAULT (torvalds/linux drivers/vhost/iotlb.c vhost_iotlb_add_range_ctx)", () => {
  const plain = new VhostIotlb(2);
  for (let i = 0n; i < 3n; i++) plain.addRange(i * 0x1000n, i * 0x1000n + 0xfffn, 0n, VHOST_MAP_RW);
  assert.equal(plain.nmaps, 3, "vdpa_sim's iommu (limit 2048, flags 0) never refuses a range");
  const retire = new VhostIotlb(2, VHOST_IOTLB_FLAG_RETIRE);
  retire.addRange(0x5000n, 0x5fffn, 0n, VHOST_MAP_RW);
  retire.addRange(0x1000n, 0x1fffn, 0n, VHOST_MAP_RW);
  retire.addRange(0x9000n, 0x9fffn, 0n, VHOST_MAP_RW);
  assert.deepEqual(retire.maps.map((m) => m.start), [0x1000, 0x9000], "0x5000 was inserted first");
  assert.throws(
    () => plain.addRange(0x2000n, 0x1fffn, 0n, VHOST_MAP_RW),
    (e: unknown) => e instanceof Errno && e.errno === ERRNO.EFAULT,
  );
});

Deno.test("mainline: more than max_iotlb_entries (2048) UPDATEs all succeed — vdpa_sim's IOTLB has no RETIRE flag, so its limit never refuses (drivers/vdpa/vdpa_sim/vdpa_sim.c vdpasim_set_map; drivers/vhost/iotlb.c)", () => {
  const t = boot("mainline", { useVa: false });
  t.io(V.VHOST_SET_OWNER);
  const a = t.vmm.mmapAnon(0x1000);
  for (let i = 0; i < 2050; i++) {
    const up = {
      type: UPDATE,
      iova: BigInt(i) * 0x2000n,
      size: 0x1000n,
      uaddr: BigInt(a),
      perm: 3,
    };
    assert.equal(writeIotlbMsg(t.k, t.vmm.proc, t.fd, up), 72, `UPDATE ${i}`);
  }
  assert.equal(t.dev.sim.iommu[0]!.nmaps, 2050);
});

for (const p of ["seed", "mainline"] as const) {
  Deno.test(`${p}: SET_MEM_TABLE — a region of size 0 at gpa 0 is [0, U64_MAX] (u64 wrap), and userspace_addr is not range-checked: memory_access_ok skips vqs without a backend (torvalds/linux drivers/vhost/vhost.c vhost_set_memory, memory_access_ok)`, () => {
    const t = boot(p);
    t.io(V.VHOST_SET_OWNER);
    const region = { guest_phys_addr: 0n, memory_size: 0n, userspace_addr: 0x10000n };
    assert.equal(t.io(V.VHOST_SET_MEM_TABLE, { nregions: 1n, regions: [region] }), 0);
    assert.equal(t.v.dev.umem!.maps[0]!.lastB, (1n << 64n) - 1n);
    const high = {
      guest_phys_addr: 0n,
      memory_size: 0x1000n,
      userspace_addr: 0xffff_ffff_0000_0000n,
    };
    assert.equal(t.io(V.VHOST_SET_MEM_TABLE, { nregions: 1n, regions: [high] }), 0);
    const wrap = {
      guest_phys_addr: 0x1000n,
      memory_size: (1n << 64n) - 0x800n,
      userspace_addr: 0n,
    };
    assert.equal(t.io(V.VHOST_SET_MEM_TABLE, { nregions: 1n, regions: [wrap] }), E("EFAULT"));
  });
}

Deno.test("seed: SET_VRING_BASE before the enable is lost — vdpasim_queue_ready's vringh_init_iotlb zeroes last_avail_idx (~v5.10 drivers/vdpa/vdpa_sim/vdpa_sim.c; drivers/vhost/vringh.c vringh_init_kern)", () => {
  const t = negotiated("seed");
  assert.equal(t.io(V.VHOST_SET_VRING_BASE, { index: 0n, num: 5n }), 0);
  assert.equal(
    t.rec(V.VHOST_GET_VRING_BASE, { index: 0n }).num,
    5n,
    "stored in the vring before enable",
  );
  assert.equal(t.io(V.VHOST_VDPA_SET_VRING_ENABLE, { index: 0n, num: 1n }), 0);
  assert.equal(t.dev.sim.vqs[0]!.vring!.lastAvailIdx, 0);
});

Deno.test("mainline: SET_VRING_BASE before the enable carries over; used idx starts equal to it (Kingxukai/linux drivers/vdpa/vdpa_sim/vdpa_sim.c vdpasim_queue_ready)", () => {
  const t = negotiated("mainline");
  t.io(V.VHOST_SET_VRING_NUM, { index: 0n, num: 64n });
  assert.equal(t.io(V.VHOST_SET_VRING_BASE, { index: 0n, num: 5n }), 0);
  assert.equal(t.io(V.VHOST_VDPA_SET_VRING_ENABLE, { index: 0n, num: 1n }), 0);
  const vr = t.dev.sim.vqs[0]!.vring!;
  assert.deepEqual([vr.lastAvailIdx, vr.lastUsedIdx, vr.num], [5, 5, 64]);
});

Deno.test('mainline: enabling a vq that never got SET_VRING_NUM keeps the ring\'s reset state — vringh_init_iotlb refuses num 0, so 256 entries at IOVA 0 (vdpasim_queue_ready; vdpasim_vq_reset; vringh_init_kern "Bad ring size")', () => {
  const t = negotiated("mainline");
  const a = { index: 0n, flags: 0n, desc_user_addr: 0x1000n, used_user_addr: 0x3000n };
  assert.equal(t.io(V.VHOST_SET_VRING_ADDR, { ...a, avail_user_addr: 0x2000n }), 0);
  assert.equal(t.io(V.VHOST_VDPA_SET_VRING_ENABLE, { index: 0n, num: 1n }), 0);
  const vr = t.dev.sim.vqs[0]!.vring!;
  assert.deepEqual([vr.num, vr.desc, vr.avail, vr.used], [256, 0, 0, 0]);
  assert.equal(t.dev.sim.counters.get("bad ring size (vringh_init_iotlb failed)"), 1);
});

Deno.test("mainline: SET_GROUP_ASID on a running vq switches its IOTLB and keeps the ring indexes (Kingxukai/linux drivers/vdpa/vdpa_sim/vdpa_sim.c vdpasim_set_group_asid → vringh_set_iotlb)", () => {
  const t = boot("mainline", { guest: true, useVa: false });
  const d = t.dev.driver!;
  d.post(0, [], [1526]);
  d.kick(0);
  d.post(1, [frame(MAC, 1)]);
  d.kick(1);
  assert.equal(d.reap(0).length, 1);
  d.reap(1);
  assert.equal(t.io(V.VHOST_VDPA_SET_GROUP_ASID, { index: 0n, num: 0n }), 0);
  const tx = t.dev.sim.vqs[1]!.vring!;
  assert.deepEqual([tx.lastAvailIdx, tx.lastUsedIdx + tx.completed], [1, 1], "indexes kept");
  d.post(0, [], [1526]);
  d.kick(0);
  const f = frame(MAC, 2);
  d.post(1, [f]);
  d.kick(1);
  const rx = d.reap(0);
  assert.equal(rx.length, 1, "exactly the new frame, no replay of the old one");
  assert.deepEqual(rx[0]!.data, f);
});

Deno.test("VHOST_SET/GET_VRING_BUSYLOOP_TIMEOUT reach the core's vhost_vring_ioctl: stored per vq and read back, owner and index rules first; the seed's gates apply (drivers/vhost/vhost.c vhost_vring_ioctl; drivers/vhost/vdpa.c vhost_vdpa_vring_ioctl)", () => {
  const m = boot("mainline");
  assert.equal(m.io(V.VHOST_SET_VRING_BUSYLOOP_TIMEOUT, { index: 0n, num: 50n }), E("EPERM"));
  m.io(V.VHOST_SET_OWNER);
  assert.equal(m.io(V.VHOST_SET_VRING_BUSYLOOP_TIMEOUT, { index: 1n, num: 50n }), 0);
  assert.equal(m.rec(V.VHOST_GET_VRING_BUSYLOOP_TIMEOUT, { index: 1n }).num, 50n);
  assert.equal(m.rec(V.VHOST_GET_VRING_BUSYLOOP_TIMEOUT, { index: 0n }).num, 0n);
  assert.equal(m.io(V.VHOST_GET_VRING_BUSYLOOP_TIMEOUT, { index: 99n }), E("ENOBUFS"));
  const s = boot("seed");
  s.io(V.VHOST_SET_OWNER);
  assert.equal(s.io(V.VHOST_SET_VRING_BUSYLOOP_TIMEOUT, { index: 0n, num: 5n }), E("EBUSY"));
  const n = negotiated("seed");
  assert.equal(n.io(V.VHOST_SET_VRING_BUSYLOOP_TIMEOUT, { index: 0n, num: 5n }), 0);
});
