import assert from "node:assert/strict";
import "../../../modules.ts";
import { Kernel } from "../../../kernel/kernel.ts";
import { hostConfig } from "../../../vmm/host.ts";
import type { Value } from "../../../vmm/value.ts";
import { VdpaSimNet } from "./vdpa_sim_net.ts";

/** A mainline sim with CTRL_VQ negotiated and vq 2 laid out in host RAM (the IOTLB starts as passthrough). */
function cvqSim() {
  const k = new Kernel(
    hostConfig("h", new Map<string, Value[]>([["arch", ["x86_64"]], ["kernel", ["mainline"]]])),
  );
  const sim = new VdpaSimNet(k, { name: "t", mac: new Uint8Array(6), useVa: false });
  const base = k.phys.allocPage();
  for (let i = 1; i < 4; i++) k.phys.allocPage();
  const desc = base, avail = base + 0x1000, used = base + 0x2000, bufs = base + 0x3000;
  const ops = sim.ops;
  assert.equal(ops.set_driver_features((1n << 33n) | (1n << 32n) | (1n << 17n)), 0);
  ops.set_status(1 | 2 | 8 | 4);
  ops.set_vq_num(2, 8);
  ops.set_vq_address(2, BigInt(desc), BigInt(avail), BigInt(used));
  ops.set_vq_ready(2, true);
  let n = 0;
  const dv = (len: number) => new DataView(new ArrayBuffer(len));
  /** Post one request (2-byte header + data, then a 1-byte ack) and kick; returns the ack. */
  const request = (cls: number, cmd: number, data: number[], kick = true): () => number => {
    const d0 = 2 * (n % 4), d1 = d0 + 1, out = bufs + 0x100 * d0, ack = bufs + 0x100 * d1;
    k.phys.write(out, new Uint8Array([cls, cmd, ...data]));
    for (
      const [i, addr, len, flags, next] of [[d0, out, 2 + data.length, 1, d1], [d1, ack, 1, 2, 0]]
    ) {
      const e = dv(16);
      e.setBigUint64(0, BigInt(addr!), true);
      e.setUint32(8, len!, true);
      e.setUint16(12, flags!, true);
      e.setUint16(14, next!, true);
      k.phys.write(desc + 16 * i!, new Uint8Array(e.buffer));
    }
    k.phys.write(avail + 4 + 2 * (n % 8), new Uint8Array([d0, 0]));
    n++;
    k.phys.write(avail + 2, new Uint8Array([n & 0xff, n >> 8]));
    if (kick) ops.kick_vq(2);
    return () => k.phys.read(ack, 1)[0]!;
  };
  return { sim, request, kick: () => ops.kick_vq(2) };
}

Deno.test("mainline CVQ: MAC_ADDR_SET answers OK and writes config.mac; MAC class other cmd answers ERR (vdpasim_handle_ctrl_mac; vhost-vdpa.md §5 CVQ)", () => {
  const { sim, request } = cvqSim();
  assert.equal(request(1, 1, [2, 0, 0, 0, 0, 7])(), 0);
  assert.deepEqual([...sim.config.subarray(0, 6)], [2, 0, 0, 0, 0, 7]);
  assert.equal(request(1, 2, [])(), 1);
  assert.equal(sim.counters.get("cvq successes"), 1);
  assert.equal(sim.counters.get("cvq errors"), 1);
});

Deno.test("mainline CVQ: within one work run a non-MAC class keeps the previous answer — `status` is set once before the loop (Kingxukai/linux drivers/vdpa/vdpa_sim/vdpa_sim_net.c vdpasim_handle_cvq)", () => {
  const { request, kick } = cvqSim();
  assert.equal(request(0, 0, [1])(), 1); // VIRTIO_NET_CTRL_RX alone: the initial ERR
  // ADDR_SET then RX in one run of the work function: RX is answered with the OK left over.
  const a = request(1, 1, [2, 0, 0, 0, 0, 8], false), b = request(0, 0, [1], false);
  kick();
  assert.equal(a(), 0);
  assert.equal(b(), 0);
  // A new run starts from ERR again.
  assert.equal(request(0, 0, [1])(), 1);
});
