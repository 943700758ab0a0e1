/**
 * Builtins for the guest's virtio-net driver side of a vdpa-net device:
 * build a frame, post RX buffers, post a TX chain, kick, reap the used ring
 * — so a script sends a packet through the simulated device and reads it
 * back byte for byte.
 *
 * ```
 * net_send(net0, eth_frame(52:54:00:12:34:56, 52:54:00:00:00:01, 0x88b5, x"01 02 03"))
 * let f = net_recv(net0)
 * ```
 *
 * @example
 * ```ts
 * import { builtins } from "../runtime/vmm/registry.ts";
 * import "./virtio_net_driver.ts";
 * console.log(builtins.has("vq_post_rx")); // true
 * ```
 * @module
 */
import { registerBuiltin } from "../runtime/vmm/registry.ts";
import { kindOf, Obj, Rec, type Value } from "../runtime/vmm/value.ts";
import { type VdpaNetDev, vdpaNetOf, virtioNetSetup } from "../runtime/vmm/vhost_vdpa.ts";
import type { GuestVirtioNet } from "../runtime/vmm/virtio_net_guest.ts";

const SRC = "include/uapi/linux/virtio_ring.h (split ring); virtio 1.x §2.7, §5.1.6";

function dev(v: Value | undefined): VdpaNetDev {
  const d = vdpaNetOf(v);
  if (!d) {
    throw new TypeError(
      `expected a vdpa-net device, got ${
        v === undefined ? "nothing" : v instanceof Obj ? v.kind : kindOf(v)
      }`,
    );
  }
  return d;
}

function drv(v: Value | undefined): GuestVirtioNet {
  const d = dev(v);
  if (!d.driver) {
    throw new TypeError(
      `${d.name}: the guest driver is not set up (call virtio_net_setup(${d.name}))`,
    );
  }
  return d.driver;
}

function int(v: Value | undefined, what: string, dflt?: bigint): bigint {
  if (typeof v === "bigint") return v;
  if (v === undefined && dflt !== undefined) return dflt;
  throw new TypeError(`${what} must be an integer, got ${v === undefined ? "nothing" : kindOf(v)}`);
}

function bytes(v: Value | undefined, what: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return new TextEncoder().encode(v);
  throw new TypeError(`${what} must be bytes, got ${v === undefined ? "nothing" : kindOf(v)}`);
}

function mac(v: Value | undefined, what: string): Uint8Array {
  if (v instanceof Uint8Array && v.length === 6) return v;
  if (typeof v === "string" && /^([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}$/i.test(v)) {
    return new Uint8Array(v.split(":").map((x) => parseInt(x, 16)));
  }
  if (typeof v === "bigint") {
    return new Uint8Array(
      Array.from({ length: 6 }, (_, i) => Number((v >> BigInt(40 - 8 * i)) & 0xffn)),
    );
  }
  throw new TypeError(`${what} must be a MAC (6 bytes, "52:54:00:12:34:56" or an integer)`);
}

/** Frame with a zeroed virtio_net_hdr_v1 in front (what the guest driver puts on TX). */
function withHdr(d: GuestVirtioNet, frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(d.hdrLen + frame.length);
  out.set(frame, d.hdrLen);
  return out;
}

registerBuiltin({
  name: "eth_frame",
  doc:
    "eth_frame(dst_mac, src_mac, ethertype, payload): an Ethernet II frame (no FCS), padded to 60 bytes.",
  params: ["dst", "src", "ethertype", "payload"],
  source: "IEEE 802.3",
  call(_c, a) {
    const p = a[3] === undefined ? new Uint8Array(0) : bytes(a[3], "payload");
    const len = Math.max(60, 14 + p.length);
    const f = new Uint8Array(len);
    f.set(mac(a[0], "dst_mac"), 0);
    f.set(mac(a[1], "src_mac"), 6);
    const et = Number(int(a[2], "ethertype"));
    f[12] = (et >> 8) & 0xff;
    f[13] = et & 0xff;
    f.set(p, 14);
    return f;
  },
});

registerBuiltin({
  name: "virtio_net_setup",
  doc:
    "virtio_net_setup(dev, rings_gpa?, num?): the guest driver places its rings in guest RAM and sets DRIVER_OK; the VMM then starts the vhost-vdpa backend (for `start false` devices).",
  params: ["dev", "rings", "num"],
  source: "QEMU vhost_dev_start; " + SRC,
  call(_c, a) {
    const d = dev(a[0]);
    virtioNetSetup(
      d,
      a[1] === undefined ? undefined : Number(int(a[1], "rings")),
      a[2] === undefined ? undefined : Number(int(a[2], "num")),
    );
    return BigInt(d.driver!.vqs[0]!.num);
  },
});

registerBuiltin({
  name: "vq_post_rx",
  doc:
    "vq_post_rx(dev, count = 1, len = 1526): post count device-writable buffers on the RX queue (vq 0); returns how many.",
  params: ["dev", "count", "len"],
  source: SRC,
  call(_c, a) {
    const d = drv(a[0]);
    const n = Number(int(a[1], "count", 1n)), len = Number(int(a[2], "len", 1526n));
    for (let i = 0; i < n; i++) d.post(0, [], [len]);
    return BigInt(n);
  },
});

registerBuiltin({
  name: "vq_post_tx",
  doc:
    "vq_post_tx(dev, frame | [segments…], raw = false): post a TX chain on vq 1 — a zeroed 12-byte virtio-net header then the frame, or the given segments as separate descriptors (raw: no header added); returns the head.",
  params: ["dev", "frame", "raw"],
  source: SRC,
  call(_c, a) {
    const d = drv(a[0]);
    const segs = Array.isArray(a[1])
      ? a[1].map((x) => bytes(x, "segment"))
      : [bytes(a[1], "frame")];
    if (a[2] !== true) {
      if (segs.length === 1) segs[0] = withHdr(d, segs[0]!);
      else segs.unshift(new Uint8Array(d.hdrLen));
    }
    return BigInt(d.post(1, segs));
  },
});

registerBuiltin({
  name: "vq_kick",
  doc:
    "vq_kick(dev, q): the guest notifies vq q (KVM's ioeventfd signals the kick eventfd; vhost calls the device's kick_vq).",
  params: ["dev", "q"],
  source: "drivers/vhost/vhost.c vhost_poll_wakeup; drivers/vhost/vdpa.c handle_vq_kick",
  call(_c, a) {
    drv(a[0]).kick(Number(int(a[1], "q")));
    return 0n;
  },
});

registerBuiltin({
  name: "vq_reap",
  doc:
    "vq_reap(dev, q): the used elements since the last reap, as records {id, len, data} (data: the bytes written, virtio-net header included).",
  params: ["dev", "q"],
  source: SRC,
  call: (_c, a) =>
    drv(a[0]).reap(Number(int(a[1], "q"))).map((r) =>
      new Rec({ id: BigInt(r.id), len: BigInt(r.len), data: r.data })
    ),
});

registerBuiltin({
  name: "net_send",
  doc:
    "net_send(dev, frame): post one RX buffer, post the frame on TX and kick both queues; returns the TX head.",
  params: ["dev", "frame"],
  source: SRC,
  call(_c, a) {
    const d = drv(a[0]);
    d.post(0, [], [d.hdrLen + 1514]);
    d.kick(0);
    const h = d.post(1, [withHdr(d, bytes(a[1], "frame"))]);
    d.kick(1);
    return BigInt(h);
  },
});

registerBuiltin({
  name: "net_recv",
  doc:
    'net_recv(dev): reap TX, then the oldest received frame with its virtio-net header removed (x"" when nothing arrived).',
  params: ["dev"],
  source: SRC,
  call(_c, a) {
    const d = drv(a[0]);
    d.reap(1);
    const got = d.reap(0);
    const first = got.find((r) => r.len > 0);
    return first ? first.data.slice(d.hdrLen) : new Uint8Array(0);
  },
});
