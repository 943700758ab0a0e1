/**
 * drivers/vhost/vdpa.c, IOTLB half: the messages a mainline VMM writes to a
 * vhost-vdpa fd (vhost_vdpa_process_iotlb_msg) and the map/unmap paths
 * behind them — vhost_vdpa_pa_map (pin, map each physically contiguous run),
 * vhost_vdpa_va_map (shared file-backed VMAs only) and vhost_vdpa_iotlb_unmap.
 * Mainline keeps all of it in vdpa.c; it lives apart here so vdpa.ts stays the
 * char device and its ioctls. The seed has none of it (no write()).
 *
 * Functions take the `VhostVdpa` and use its public state (`as`, `inBatch`,
 * `batchAsid`, `range`, `skipped`, `dev`, `vdpa`); only a type is imported
 * back from vdpa.ts, so there is no runtime import cycle.
 *
 * @example
 * ```ts
 * import { vhostVdpaProcessIotlbMsg } from "./vdpa_iotlb.ts";
 * console.log(typeof vhostVdpaProcessIotlbMsg); // "function"
 * ```
 * @module
 */
import { EEXIST, EFAULT, EINVAL } from "../../include/uapi/asm-generic/errno.ts";
import { VHOST_IOTLB } from "../../include/uapi/linux/vhost_types.ts";
import { Errno } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { MAP_ANONYMOUS, MAP_SHARED } from "../../mm/mm.ts";
import { VhostIotlb } from "./iotlb.ts";
import { vhostDevCheckOwner, type VhostIotlbMsg } from "./vhost.ts";
import type { VhostVdpa } from "./vdpa.ts";

const U64_MAX = (1n << 64n) - 1n;

/** The IOTLB of an address space, creating it for UPDATE/BATCH_BEGIN. */
function asFor(v: VhostVdpa, asid: number, alloc: boolean): VhostIotlb | undefined {
  let t = v.as.get(asid);
  if (!t && alloc) {
    if (asid >= v.vdpa.nas) return undefined;
    t = new VhostIotlb();
    v.as.set(asid, t);
  }
  return t;
}

/**
 * vhost_vdpa_process_iotlb_msg (mainline): the `msgHandler` of the vhost
 * device, called by vhost_chr_write_iter for every message the VMM writes.
 * Throws Errno (EINVAL, EEXIST, EFAULT, or the device's set_map error).
 *
 * @example
 * ```ts
 * // dev.msgHandler = (k, asid, msg) => vhostVdpaProcessIotlbMsg(v, k, asid, msg);
 * ```
 */
export function vhostVdpaProcessIotlbMsg(
  v: VhostVdpa,
  k: Kernel,
  asid: number,
  msg: VhostIotlbMsg,
): void {
  vhostDevCheckOwner(k, v.dev);
  const T = VHOST_IOTLB;
  const typeName = Object.entries(T).find(([, n]) => Number(n) === msg.type)?.[0] ??
    `type ${msg.type}`;
  v.bump(`iotlb ${typeName.replace("VHOST_IOTLB_", "")}`);
  const alloc = msg.type === Number(T.VHOST_IOTLB_UPDATE) ||
    msg.type === Number(T.VHOST_IOTLB_BATCH_BEGIN);
  const iotlb = asFor(v, asid, alloc);
  if (alloc && !iotlb) throw new Errno(EINVAL, `asid ${asid} ≥ nas ${v.vdpa.nas}`);
  if ((v.inBatch && v.batchAsid !== asid) || !iotlb) {
    throw new Errno(
      EINVAL,
      v.inBatch && v.batchAsid !== asid
        ? `asid ${asid} differs from the batch's ${v.batchAsid}`
        : `no address space ${asid}`,
    );
  }
  const ops = v.vdpa.config;
  switch (msg.type) {
    case Number(T.VHOST_IOTLB_UPDATE):
      iotlbUpdate(v, k, asid, iotlb, msg);
      return;
    case Number(T.VHOST_IOTLB_INVALIDATE):
      unmap(v, asid, iotlb, msg.iova, msg.iova + msg.size - 1n);
      return;
    case Number(T.VHOST_IOTLB_BATCH_BEGIN):
      v.batchAsid = asid;
      v.inBatch = true;
      return;
    case Number(T.VHOST_IOTLB_BATCH_END):
      if (v.inBatch && ops.set_map) ops.set_map(asid, iotlb);
      v.inBatch = false;
      return;
    default:
      throw new Errno(EINVAL, `${typeName} cannot be sent by userspace`);
  }
}

function iotlbUpdate(
  v: VhostVdpa,
  k: Kernel,
  asid: number,
  iotlb: VhostIotlb,
  m: VhostIotlbMsg,
): void {
  const last = m.iova + m.size - 1n;
  if (
    m.iova < v.range.first || m.size === 0n || m.iova > U64_MAX - m.size + 1n ||
    last > v.range.last
  ) {
    throw new Errno(EINVAL, "UPDATE outside the IOVA range, empty or overflowing");
  }
  const hit = iotlb.first(m.iova, last);
  if (hit) {
    throw new Errno(
      EEXIST,
      `overlaps the map at 0x${hit.startB.toString(16)}..0x${hit.lastB.toString(16)}`,
    );
  }
  if (v.vdpa.use_va) vaMap(v, k, asid, iotlb, m);
  else paMap(v, k, asid, iotlb, m);
}

/** vhost_vdpa_map: record, then program the device (set_map unless batching). */
function map(
  v: VhostVdpa,
  asid: number,
  iotlb: VhostIotlb,
  iova: bigint,
  size: bigint,
  addr: bigint,
  perm: number,
  extra: Parameters<VhostIotlb["addRange"]>[4],
): void {
  iotlb.addRange(iova, iova + size - 1n, addr, perm, extra);
  const ops = v.vdpa.config;
  if (ops.set_map && !v.inBatch) {
    const r = ops.set_map(asid, iotlb);
    if (r) {
      iotlb.delRange(iova, iova + size - 1n);
      throw new Errno(-r, "the device's set_map failed");
    }
  }
}

/** vhost_vdpa_iotlb_unmap: drop the maps in [start, last], unpinning PA-mode pages. */
function unmap(v: VhostVdpa, asid: number, iotlb: VhostIotlb, start: bigint, last: bigint): void {
  const mm = v.dev.owner?.mm;
  for (const m of iotlb.delRange(start, last)) if (m.pinned && mm) mm.unpin(m.pinned);
  const ops = v.vdpa.config;
  if (ops.set_map && !v.inBatch) ops.set_map(asid, iotlb);
}

/** vhost_vdpa_va_map: only shared file-backed VMAs are mapped; others are skipped without error. */
function vaMap(v: VhostVdpa, k: Kernel, asid: number, iotlb: VhostIotlb, m: VhostIotlbMsg): void {
  const mm = v.dev.owner!.mm;
  let size = m.size, ua = m.uaddr, iova = m.iova;
  while (size > 0n) {
    const vma = mm.vmas.find((x) => BigInt(x.end) > ua);
    if (!vma) {
      unmap(v, asid, iotlb, m.iova, iova - 1n);
      throw new Errno(EINVAL, `no VMA at or after 0x${ua.toString(16)}`);
    }
    const mapSize = size < BigInt(vma.end) - ua ? size : BigInt(vma.end) - ua;
    const shared = (vma.flags & MAP_SHARED) !== 0 && !vma.fault;
    if (shared) map(v, asid, iotlb, iova, mapSize, ua, m.perm, { mm });
    else {
      v.skipped.push({
        iova,
        size: mapSize,
        uaddr: ua,
        why: `${vma.name}: ${vma.flags & MAP_ANONYMOUS ? "anonymous" : "file"} ${
          vma.flags & MAP_SHARED ? "device" : "private"
        } VMA — vhost_vdpa_va_map maps only shared file-backed memory`,
      });
    }
    size -= mapSize;
    ua += mapSize;
    iova += mapSize;
  }
  void k;
}

/** vhost_vdpa_pa_map: pin the pages and map each physically contiguous run. */
function paMap(
  v: VhostVdpa,
  _k: Kernel,
  asid: number,
  iotlb: VhostIotlb,
  m: VhostIotlbMsg,
): void {
  const mm = v.dev.owner!.mm;
  const ps = mm.pageSize;
  if (m.uaddr % BigInt(ps) !== 0n || m.size % BigInt(ps) !== 0n) {
    // The kernel pins whole pages from uaddr & PAGE_MASK; keep the simple, aligned case exact.
  }
  const start = Number(m.uaddr) - (Number(m.uaddr) % ps);
  const npages = Math.ceil((Number(m.uaddr) + Number(m.size) - start) / ps);
  let pas: number[];
  try {
    pas = mm.pin(start, npages, (m.perm & 2) !== 0);
  } catch (e) {
    if (e instanceof Errno) throw new Errno(EFAULT, `pin_user_pages failed: ${e.message}`);
    throw e;
  }
  let i = 0, iova = m.iova;
  const off = Number(m.uaddr) - start;
  while (i < pas.length) {
    let j = i + 1;
    while (j < pas.length && pas[j] === pas[j - 1]! + ps) j++;
    const runStart = i === 0 ? pas[0]! + off : pas[i]!;
    const runBytes = BigInt(
      Math.min((j - i) * ps - (i === 0 ? off : 0), Number(m.iova + m.size - iova)),
    );
    map(v, asid, iotlb, iova, runBytes, BigInt(runStart), m.perm, { pinned: pas.slice(i, j) });
    iova += runBytes;
    i = j;
  }
}

/**
 * Free every map of every address space, unpinning PA-mode pages, and forget
 * the skipped VA ranges (vhost_vdpa_cleanup / vhost_vdpa_free_domain's iotlb free).
 *
 * @example
 * ```ts
 * // vhostVdpaCleanupMaps(v); // at release of the char device
 * ```
 */
export function vhostVdpaCleanupMaps(v: VhostVdpa): void {
  const mm = v.dev.owner?.mm;
  for (const t of v.as.values()) {
    for (const m of t.maps) if (m.pinned && mm) mm.unpin(m.pinned);
  }
  v.as.clear();
  v.skipped = [];
}
