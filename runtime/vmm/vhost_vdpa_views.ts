/**
 * `show` views of vhost-vdpa devices: `show net0` (or `show vdpa`) prints the
 * device status and negotiated features decoded, each virtqueue (size,
 * addresses, last avail/used, ready, kicks, calls), the IOTLB entries
 * (vhost-vdpa's per-AS tables, the device's own, and ranges VA mode
 * skipped), counters, and device errors.
 *
 * @example
 * ```ts
 * import { shows } from "./registry.ts";
 * import "./vhost_vdpa_views.ts";
 * console.log(shows.has("vdpa")); // true
 * ```
 * @module
 */
import { VIRTIO_F, VIRTIO_STATUS_FLAGS } from "../include/uapi/linux/virtio_config.ts";
import { VIRTIO_NET_F } from "../include/uapi/linux/virtio_net.ts";
import { formatFlags } from "../kernel/layout.ts";
import type { VhostIotlb } from "../drivers/vhost/iotlb.ts";
import { registerObjectView, registerShow, type View } from "./registry.ts";
import type { VdpaNetDev } from "./vhost_vdpa.ts";
import type { Vmm } from "./vmm.ts";

const hx = (n: number | bigint): string => `0x${n.toString(16)}`;

/**
 * Feature bits by name (`VERSION_1|ACCESS_PLATFORM|MAC`).
 *
 * @example
 * ```ts
 * console.log(featureNames(1n << 32n)); // "VERSION_1"
 * ```
 */
export function featureNames(f: bigint): string {
  const names: string[] = [];
  const all = { ...VIRTIO_NET_F, ...VIRTIO_F };
  const seen = new Set<bigint>();
  for (const [n, b] of Object.entries(all)) {
    if (/TRANSPORT_F|IOMMU_PLATFORM/.test(n) || seen.has(b)) continue;
    seen.add(b);
    if ((f >> b) & 1n) names.push(n.replace(/^VIRTIO_(NET_)?(F_|RING_F_)/, ""));
  }
  return names.join("|") || "0";
}

function tlbRows(name: string, t: VhostIotlb): string[][] {
  return t.maps.map((m) => [
    name,
    `${hx(m.startB)}..${hx(m.lastB)}`,
    m.note === "passthrough" ? "identity" : hx(m.addr),
    ["-", "RO", "WO", "RW"][m.perm] ?? String(m.perm),
    m.note ?? (m.pinned ? `pinned ${m.pinned.length} pages` : m.mm ? "user VA" : "host PA"),
  ]);
}

function deviceViews(d: VdpaNetDev): View[] {
  const sim = d.sim, v = d.vhost;
  const views: View[] = [{
    title: `vdpa-net ${d.name}`,
    columns: ["property", "value"],
    rows: [
      ["node", `${d.path}${v.opened ? " (open)" : ""}`],
      [
        "bus",
        `vdpa${v.vdpa.index} (vdpa_sim_net, ${sim.profile === "seed" ? "seed-era" : "mainline"})`,
      ],
      [
        "client / phase",
        `${
          d.guest ? `${d.client} for ${d.guest.name}` : "none (walk the ioctls by hand)"
        } — ${d.phase}`,
      ],
      ["status", `${hx(sim.status)} ${formatFlags(VIRTIO_STATUS_FLAGS, BigInt(sim.status))}`],
      ["device features", featureNames(sim.attr.supportedFeatures)],
      ["negotiated", featureNames(sim.features)],
      ["backend features", hx(v.dev.vqs[0]?.ackedBackendFeatures ?? 0n)],
      ["owner", v.dev.owner ? `pid ${v.dev.owner.pid} (${v.dev.owner.comm})` : "-"],
      ["mode", sim.useVa ? "VA (use_va)" : "PA (pinned pages)"],
      [
        "mac / mtu",
        `${Array.from(sim.mac, (b) => b.toString(16).padStart(2, "0")).join(":")} / ${sim.mtu}`,
      ],
    ],
  }, {
    title: "virtqueues",
    columns: [
      "vq",
      "ready",
      "num",
      "desc",
      "avail",
      "used",
      "last avail",
      "last used",
      "kicks",
      "calls",
    ],
    rows: sim.vqs.map((q, i) => [
      String(i) + (i === 0 ? " rx" : i === 1 ? " tx" : " cvq"),
      q.ready ? "yes" : "no",
      String(q.vring?.num ?? q.num),
      hx(q.descAddr),
      hx(q.driverAddr),
      hx(q.deviceAddr),
      String(q.vring?.lastAvailIdx ?? q.lastAvail),
      String(q.vring ? (q.vring.lastUsedIdx + q.vring.completed) & 0xffff : 0),
      String(v.dev.vqs[i]?.kicks ?? 0),
      String(q.calls),
    ]),
  }];
  const tlb: string[][] = [];
  for (const [asid, t] of v.as) tlb.push(...tlbRows(`vhost-vdpa AS ${asid}`, t));
  if (v.dev.umem) tlb.push(...tlbRows("vhost umem (SET_MEM_TABLE)", v.dev.umem));
  sim.iommu.forEach((t, i) => tlb.push(...tlbRows(`device AS ${i}`, t)));
  for (const s of v.skipped) {
    tlb.push([
      "skipped (VA mode)",
      `${hx(s.iova)}..${hx(s.iova + s.size - 1n)}`,
      hx(s.uaddr),
      "-",
      s.why,
    ]);
  }
  views.push({ title: "IOTLB", columns: ["table", "iova", "addr", "perm", "what"], rows: tlb });
  const counters = [...sim.counters].map(([k, n]) => [k, String(n)]);
  views.push({
    title: "counters",
    columns: ["counter", "value"],
    rows: counters.length ? counters : [["packets", "0"]],
  });
  if (sim.errors.length) {
    views.push({
      title: "device errors (NEEDS_RESET)",
      columns: ["where", "errno", "message"],
      rows: sim.errors.map((e) => [e.where, String(e.errno), e.message]),
    });
  }
  return views;
}

registerObjectView("vdpa-net", (_vmm, impl) => deviceViews(impl as VdpaNetDev));

registerShow({
  topic: "vdpa",
  doc: "every vdpa-net device: status, features, virtqueues, IOTLB, counters",
  render: (vmm: Vmm) =>
    [...vmm.objects.values()].filter((o) => o.kind === "vdpa-net").flatMap((o) =>
      deviceViews(o.impl as VdpaNetDev)
    ),
});
