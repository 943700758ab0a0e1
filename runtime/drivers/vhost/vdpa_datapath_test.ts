import assert from "node:assert/strict";
import { boot } from "./testutil.ts";
import * as V from "../../include/uapi/linux/vhost.ts";
import { ERRNO } from "../../include/uapi/asm-generic/errno.ts";
import { writeIotlbMsg } from "../../vmm/vhost_vdpa_iotlb.ts";
import { MAP_ANONYMOUS, MAP_SHARED, PROT_READ, PROT_WRITE } from "../../mm/mm.ts";
import type { EventfdCtx } from "../../fs/eventfd.ts";

const E = (n: string) => -ERRNO[n]!;
const UPDATE = 2, INVALIDATE = 3, MISS = 1, BEGIN = 5, END = 6;
const MAC = [0x52, 0x54, 0, 0x12, 0x34, 0x56];

function frame(dst: number[], len = 60, fill = 0xab): Uint8Array {
  const f = new Uint8Array(12 + len).fill(fill);
  f.fill(0, 0, 12);
  f.set(dst, 12);
  return f;
}

function shared(t: ReturnType<typeof boot>, len: number): number {
  return t.k.mmap(t.vmm.proc, 0, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}

Deno.test("seed: write() on vhost-vdpa → EINVAL: the seed has no IOTLB messages (seed fops; vfs_write)", () => {
  const t = boot("seed");
  t.io(V.VHOST_SET_OWNER);
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, {
      type: UPDATE,
      iova: 0n,
      size: 4096n,
      uaddr: 0x10000n,
      perm: 3,
    }),
    E("EINVAL"),
  );
});

Deno.test("mainline: IOTLB write without owner → EFAULT (handler EPERM reported as EFAULT; vhost_chr_write_iter)", () => {
  const t = boot("mainline");
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, {
      type: UPDATE,
      iova: 0n,
      size: 4096n,
      uaddr: 0x10000n,
      perm: 3,
    }),
    E("EFAULT"),
  );
});

Deno.test("mainline: UPDATE → 72; an overlapping UPDATE is EEXIST in the handler, EFAULT for write() (vhost_vdpa_process_iotlb_update)", () => {
  const t = boot("mainline");
  t.io(V.VHOST_SET_OWNER);
  const a = shared(t, 0x4000);
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, {
      type: UPDATE,
      iova: 0x1000n,
      size: 0x2000n,
      uaddr: BigInt(a),
      perm: 3,
    }),
    72,
  );
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, {
      type: UPDATE,
      iova: 0x2000n,
      size: 0x1000n,
      uaddr: BigInt(a),
      perm: 3,
    }),
    E("EFAULT"),
  );
  assert.throws(
    () =>
      t.v.dev.msgHandler!(t.k, 0, {
        type: UPDATE,
        iova: 0x2000n,
        size: 0x1000n,
        uaddr: BigInt(a),
        perm: 3,
      }),
    (e: { errno: number }) => e.errno === ERRNO.EEXIST,
  );
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, {
      type: INVALIDATE,
      iova: 0x1000n,
      size: 0x2000n,
      uaddr: 0n,
      perm: 0,
    }),
    72,
  );
  assert.equal(t.v.as.get(0)!.nmaps, 0);
});

Deno.test("mainline: short write, unknown envelope, UPDATE of size 0 → EINVAL; MISS from userspace or asid ≥ nas → EFAULT (vhost_chr_write_iter)", () => {
  const t = boot("mainline");
  t.io(V.VHOST_SET_OWNER);
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, {
      type: UPDATE,
      iova: 0n,
      size: 4096n,
      uaddr: 0n,
      perm: 3,
    }, 39),
    E("EINVAL"),
  );
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, { type: UPDATE, iova: 0n, size: 0n, uaddr: 0n, perm: 3 }),
    E("EINVAL"),
  );
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, { type: MISS, iova: 0n, size: 1n, uaddr: 0n, perm: 3 }),
    E("EFAULT"),
  );
  t.io(V.VHOST_SET_BACKEND_FEATURES, 0b1110); // MSG_V2 | BATCH | ASID: the asid field counts
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, {
      type: BEGIN,
      iova: 0n,
      size: 0n,
      uaddr: 0n,
      perm: 0,
      asid: 2,
    }),
    E("EFAULT"),
  );
});

Deno.test("mainline: in a batch, maps reach the device only at BATCH_END (set_map once; vhost_vdpa_process_iotlb_msg)", () => {
  const t = boot("mainline", { useVa: false });
  t.io(V.VHOST_SET_OWNER);
  const a = t.vmm.mmapAnon(0x4000);
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, { type: BEGIN, iova: 0n, size: 0n, uaddr: 0n, perm: 0 }),
    72,
  );
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, {
      type: UPDATE,
      iova: 0n,
      size: 0x4000n,
      uaddr: BigInt(a),
      perm: 3,
    }),
    72,
  );
  assert.equal(t.dev.sim.iommu[0]!.maps[0]!.note, "passthrough", "still the identity map");
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, { type: END, iova: 0n, size: 0n, uaddr: 0n, perm: 0 }),
    72,
  );
  assert.ok(t.dev.sim.iommu[0]!.maps.length >= 1);
  assert.equal(t.dev.sim.iommu[0]!.maps[0]!.note, undefined);
});

Deno.test("mainline VA mode: an UPDATE over anonymous private memory succeeds but maps nothing (vhost_vdpa_va_map skips it)", () => {
  const t = boot("mainline");
  t.io(V.VHOST_SET_OWNER);
  const a = t.vmm.mmapAnon(0x4000);
  assert.equal(
    writeIotlbMsg(t.k, t.vmm.proc, t.fd, {
      type: UPDATE,
      iova: 0n,
      size: 0x4000n,
      uaddr: BigInt(a),
      perm: 3,
    }),
    72,
  );
  assert.equal(t.v.as.get(0)!.nmaps, 0);
  assert.equal(t.v.skipped.length, 1);
});

for (const p of ["seed", "mainline"] as const) {
  Deno.test(`${p}: a TX frame comes back in an RX buffer byte for byte, used rings updated, call eventfds signalled (vdpa_sim loopback; vhost-vdpa.md §5)`, () => {
    const t = boot(p, { guest: true, useVa: false });
    const d = t.dev.driver!;
    const f = frame(MAC, 1500);
    for (let i = 12; i < f.length; i++) if (i >= 18) f[i] = i & 0xff;
    d.post(0, [], [12 + 1514]);
    d.kick(0);
    d.post(1, [f]);
    d.kick(1);
    const rx = d.reap(0), tx = d.reap(1);
    assert.equal(rx.length, 1);
    assert.equal(rx[0]!.len, f.length);
    assert.deepEqual(rx[0]!.data, f);
    assert.deepEqual(tx.map((r) => r.len), [0]);
    const calls = [0, 1].map((i) => (t.dev.callCtx(i) as EventfdCtx).signals);
    assert.deepEqual(calls, [1, 1]);
  });

  Deno.test(`${p}: no RX buffer → TX completes with length 0 and the frame is lost (vdpa_sim work loop)`, () => {
    const t = boot(p, { guest: true, useVa: false });
    const d = t.dev.driver!;
    d.post(1, [frame(MAC)]);
    d.kick(1);
    assert.deepEqual(d.reap(1).map((r) => r.len), [0]);
    assert.equal(d.reap(0).length, 0);
  });

  Deno.test(`${p}: a ring address outside every mapping is a device error — NEEDS_RESET, reported, never silent`, () => {
    const t = boot(p, { guest: true, useVa: false });
    const d = t.dev.driver!;
    d.post(0, [], [1526]);
    // Point TX descriptor 0 at an IOVA beyond guest RAM.
    const vq = d.vqs[1]!;
    d.post(1, [frame(MAC)]);
    const desc = new Uint8Array(8);
    new DataView(desc.buffer).setBigUint64(0, 0x4000_0000_0000n, true);
    d.write(vq.desc, desc);
    d.kick(1);
    assert.ok(t.dev.sim.status & 0x40, "NEEDS_RESET");
    assert.equal(t.dev.sim.errors.length, 1);
    assert.match(t.dev.sim.errors[0]!.message, /not mapped|failed/);
  });
}

Deno.test("mainline: the receive filter drops a unicast frame for another MAC; broadcast passes (vdpa_sim_net receive_filter)", () => {
  const t = boot("mainline", { guest: true, useVa: false });
  const d = t.dev.driver!;
  d.post(0, [], [1526]);
  d.post(0, [], [1526]);
  d.kick(0);
  d.post(1, [frame([2, 0, 0, 0, 0, 9])]);
  d.post(1, [frame([0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]);
  d.kick(1);
  assert.equal(d.reap(0).length, 1);
  assert.equal(t.dev.sim.counters.get("rx_drops"), 1);
});

Deno.test("mainline: the receive filter compares the MAC with strncmp — it stops at the first shared NUL byte, so 52:54:00:00:00:09 passes for 52:54:00:12:34:56 (Kingxukai/linux drivers/vdpa/vdpa_sim/vdpa_sim_net.c receive_filter)", () => {
  const t = boot("mainline", { guest: true, useVa: false });
  const d = t.dev.driver!;
  d.post(0, [], [1526]);
  d.post(0, [], [1526]);
  d.kick(0);
  // Bytes 0..2 equal (52 54 00): strncmp ends at the NUL and reports a match.
  const same = frame([0x52, 0x54, 0, 0, 0, 9]);
  d.post(1, [same]);
  // Differs at byte 1, before any NUL: dropped.
  d.post(1, [frame([0x52, 0x55, 0, 0x12, 0x34, 0x56])]);
  d.kick(1);
  const rx = d.reap(0);
  assert.equal(rx.length, 1);
  assert.deepEqual(rx[0]!.data, same);
  assert.equal(t.dev.sim.counters.get("rx_drops"), 1);
  assert.equal(t.dev.sim.counters.get("rx_pkts"), 1);
});

Deno.test("seed: no receive filter — a unicast frame for another MAC loops back (~v5.10 vdpa_sim)", () => {
  const t = boot("seed", { guest: true });
  const d = t.dev.driver!;
  d.post(0, [], [1526]);
  d.post(1, [frame([2, 0, 0, 0, 0, 9])]);
  d.kick(1);
  assert.equal(d.reap(0).length, 1);
});

Deno.test("mainline default VA mode: guest RAM is anonymous private, so QEMU's UPDATE is skipped and DMA misses visibly (vhost_vdpa_va_map; vdpa_sim use_va)", () => {
  const t = boot("mainline", { guest: true });
  const d = t.dev.driver!;
  d.post(0, [], [1526]);
  d.post(1, [frame(MAC)]);
  d.kick(1);
  assert.ok(t.dev.sim.status & 0x40);
  assert.ok(t.v.skipped.length >= 1);
});

Deno.test("QEMU's sequence (vhost-vdpa.md §6) fails on the seed at SET_VRING_CALL with EBUSY and runs on mainline", () => {
  assert.throws(
    () => boot("seed", { guest: true, props: [["client", ["qemu"]]] }),
    /SET_VRING_CALL failed: -EBUSY/,
  );
  const t = boot("mainline", { guest: true, useVa: false, props: [["client", ["qemu"]]] });
  assert.equal(t.dev.phase, "running");
});

Deno.test("mainline: SUSPEND holds kicks and RESUME replays them (vdpasim suspend/resume)", () => {
  const t = boot("mainline", { guest: true, useVa: false });
  const d = t.dev.driver!;
  assert.equal(t.io(V.VHOST_VDPA_SUSPEND), 0);
  d.post(0, [], [1526]);
  d.post(1, [frame(MAC)]);
  d.kick(1);
  assert.equal(d.reap(0).length, 0);
  assert.equal(t.io(V.VHOST_VDPA_RESUME), 0);
  assert.equal(d.reap(0).length, 1);
});

Deno.test("seed-era simulator uses ring size 256 whatever SET_VRING_NUM said (vdpa_sim ~v5.10 queue_ready)", () => {
  const t = boot("seed", { guest: true });
  assert.equal(t.dev.sim.vqs[0]!.vring!.num, 256);
});
