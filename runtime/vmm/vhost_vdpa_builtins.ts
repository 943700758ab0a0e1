/**
 * Script builtins that write IOTLB messages to a vhost-vdpa fd with real
 * write(2) calls: `iotlb_update`, `iotlb_invalidate`, `iotlb_batch_begin`,
 * `iotlb_batch_end`, and `iotlb_msg` for any (even malformed) message. The
 * target is a declared vdpa-net device (its VMM fd) or a VMM fd number.
 * Each returns what write returned: 72, or -errno (any handler error is
 * -EFAULT, vhost-vdpa.md §4.4).
 *
 * @example
 * ```ts
 * import { builtins } from "./registry.ts";
 * import "./vhost_vdpa_builtins.ts";
 * console.log(builtins.has("iotlb_update")); // true
 * ```
 * @module
 */
import { VHOST_IOTLB } from "../include/uapi/linux/vhost_types.ts";
import { type BuiltinCtx, registerBuiltin } from "./registry.ts";
import { kindOf, Obj, type Value } from "./value.ts";
import { vdpaNetOf } from "./vhost_vdpa.ts";
import { type IotlbMsgInput, writeIotlbMsg } from "./vhost_vdpa_iotlb.ts";

function fdOf(_ctx: BuiltinCtx, v: Value | undefined): number {
  const d = vdpaNetOf(v);
  if (d) {
    if (d.fd === undefined) throw new TypeError(`${d.name}: the VMM has no fd open on ${d.path}`);
    return d.fd;
  }
  if (typeof v === "bigint") return Number(v);
  throw new TypeError(
    `expected a vdpa-net device or an fd, got ${
      v === undefined ? "nothing" : v instanceof Obj ? v.kind : kindOf(v)
    }`,
  );
}

function big(v: Value | undefined, d = 0n): bigint {
  return typeof v === "bigint" ? v : d;
}

function send(ctx: BuiltinCtx, target: Value | undefined, m: IotlbMsgInput, len?: number): bigint {
  return BigInt(writeIotlbMsg(ctx.kernel, ctx.vmm.proc, fdOf(ctx, target), m, len));
}

const T = VHOST_IOTLB;
const SRC =
  "drivers/vhost/vhost.c vhost_chr_write_iter; drivers/vhost/vdpa.c vhost_vdpa_process_iotlb_msg";

registerBuiltin({
  name: "iotlb_update",
  doc:
    "iotlb_update(dev, iova, size, uaddr, perm = VHOST_ACCESS_RW, asid = 0): write a VHOST_IOTLB_UPDATE (vhost_msg_v2); returns 72 or -errno.",
  params: ["dev", "iova", "size", "uaddr", "perm", "asid"],
  fieldFlags: { perm: ["RO", "WO", "RW"] },
  source: SRC,
  call: (ctx, a) =>
    send(ctx, a[0], {
      type: Number(T.VHOST_IOTLB_UPDATE),
      iova: big(a[1]),
      size: big(a[2]),
      uaddr: big(a[3]),
      perm: Number(big(a[4], 3n)),
      asid: Number(big(a[5])),
    }),
});

registerBuiltin({
  name: "iotlb_invalidate",
  doc:
    "iotlb_invalidate(dev, iova, size, asid = 0): write a VHOST_IOTLB_INVALIDATE; returns 72 or -errno.",
  params: ["dev", "iova", "size", "asid"],
  source: SRC,
  call: (ctx, a) =>
    send(ctx, a[0], {
      type: Number(T.VHOST_IOTLB_INVALIDATE),
      iova: big(a[1]),
      size: big(a[2]),
      uaddr: 0n,
      perm: 0,
      asid: Number(big(a[3])),
    }),
});

registerBuiltin({
  name: "iotlb_batch_begin",
  doc:
    "iotlb_batch_begin(dev, asid = 0): VHOST_IOTLB_BATCH_BEGIN — maps are pushed to the device only at BATCH_END.",
  params: ["dev", "asid"],
  source: SRC,
  call: (ctx, a) =>
    send(ctx, a[0], {
      type: Number(T.VHOST_IOTLB_BATCH_BEGIN),
      iova: 0n,
      size: 0n,
      uaddr: 0n,
      perm: 0,
      asid: Number(big(a[1])),
    }),
});

registerBuiltin({
  name: "iotlb_batch_end",
  doc:
    "iotlb_batch_end(dev, asid = 0): VHOST_IOTLB_BATCH_END — the whole table goes to the device's set_map once.",
  params: ["dev", "asid"],
  source: SRC,
  call: (ctx, a) =>
    send(ctx, a[0], {
      type: Number(T.VHOST_IOTLB_BATCH_END),
      iova: 0n,
      size: 0n,
      uaddr: 0n,
      perm: 0,
      asid: Number(big(a[1])),
    }),
});

registerBuiltin({
  name: "iotlb_msg",
  doc:
    "iotlb_msg(dev, type, iova, size, uaddr, perm, asid = 0, version = 2, len = 72): any message, e.g. a MISS from userspace or a short write.",
  params: ["dev", "type", "iova", "size", "uaddr", "perm", "asid", "version", "len"],
  source: SRC,
  call: (ctx, a) =>
    send(ctx, a[0], {
      type: Number(big(a[1])),
      iova: big(a[2]),
      size: big(a[3]),
      uaddr: big(a[4]),
      perm: Number(big(a[5])),
      asid: Number(big(a[6])),
      version: big(a[7], 2n) === 1n ? 1 : 2,
    }, a[8] === undefined ? undefined : Number(big(a[8]))),
});
