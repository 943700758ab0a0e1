/**
 * Script surface of the VFIO / sPAPR TCE subsystem: `show containers`,
 * `show groups`, `show windows`, `show tce WINDOW FROM..TO`, `show links`,
 * object views of containers, groups and windows, and the device-DMA
 * builtins `dma_write(dev, iova, bytes)` / `dma_read(dev, iova, len)` that
 * make a PCI function of a group access bus addresses through its IOMMU.
 *
 * @example
 * ```ts
 * import { builtins, shows } from "./registry.ts";
 * import "./spapr_vfio_views.ts";
 * console.log(builtins.has("dma_write"), shows.has("windows")); // true true
 * ```
 * @module
 */
import { deviceDmaRead, deviceDmaWrite, IommuFault } from "../drivers/iommu/dma.ts";
import { iommuGroups } from "../drivers/iommu/iommu.ts";
import { fmtPage } from "../drivers/iommu/iommu_table.ts";
import { type IommuTable } from "../drivers/iommu/iommu_table.ts";
import { vfioState } from "../drivers/vfio/vfio.ts";
import { TceContainer } from "../drivers/vfio/vfio_iommu_spapr_tce.ts";
import { Type1Iommu } from "../drivers/vfio/vfio_iommu_type1.ts";
import { kvmSpaprTables, type SpaprTceTable } from "../arch/powerpc/kvm/book3s_64_vio.ts";
import { kvmState } from "../virt/kvm/kvm_host.ts";
import { registerBuiltin, registerObjectView, registerShow, type View } from "./registry.ts";
import { Obj, type Value } from "./value.ts";
import type { VmmTceTable } from "./spapr_iommu.ts";
import { type VmmContainer, type VmmGroup, vmmVfio } from "./vfio.ts";
import type { Vmm } from "./vmm.ts";

const hx = (v: bigint | number): string => `0x${v.toString(16)}`;
const TYPE_NAMES: Record<string, string> = {
  "1": "TYPE1",
  "2": "SPAPR_TCE",
  "3": "TYPE1v2",
  "7": "SPAPR_TCE_v2",
};

function containerRows(vmm: Vmm, only?: VmmContainer): string[][] {
  const st = vmmVfio(vmm);
  const rows: string[][] = [];
  for (const c of st.containers.values()) {
    if (only && c !== only) continue;
    const kc = vmm.proc.fds.get(c.fd)?.private_data as { data: unknown } | undefined;
    const data = kc?.data;
    let state = "no backend";
    if (data instanceof TceContainer) {
      const wins = data.tables.filter((t) => t).length;
      state = `${data.enabled ? "enabled" : "disabled"}, ${wins} window(s)${
        data.defWindowPending ? " + default pending" : ""
      }, ${data.prereg.length} prereg`;
    } else if (data instanceof Type1Iommu) {
      state = `${data.dmas.length} mapping(s), ${data.pinnedPages} page(s) pinned`;
    }
    rows.push([
      c.name,
      String(c.fd),
      c.type === undefined ? "-" : TYPE_NAMES[String(c.type)] ?? String(c.type),
      c.groups.map((g) => String(g.id)).join(", ") || "-",
      state,
    ]);
  }
  return rows;
}

registerShow({
  topic: "containers",
  doc: "VFIO containers: backend, groups, windows / mappings",
  render: (
    vmm,
  ) => [{ columns: ["container", "fd", "iommu", "groups", "state"], rows: containerRows(vmm) }],
});

function groupRows(vmm: Vmm): string[][] {
  const vs = vfioState(vmm.kernel);
  const vg = vmmVfio(vmm);
  return [...iommuGroups(vmm.kernel).values()].map((g) => {
    const v = vs.groups.get(g.id);
    const m = vg.groups.get(g.id);
    const tabs = g.tableGroup
      ? g.tableGroup.tables.map((t) => (t ? `tbl#${t.id}` : "-")).join(" ")
      : "-";
    return [
      String(g.id),
      g.devices.map((d) => `${d.bdf} (${d.driver})`).join(", "),
      g.viable() ? "yes" : "no",
      m ? m.container.name : v?.container ? `container#${v.container.id}` : "-",
      m ? String(m.fd) : "-",
      v && v.kvm ? (v.kvm as { label: string }).label : "-",
      tabs,
      String(g.faults),
    ];
  });
}

registerShow({
  topic: "groups",
  doc: "IOMMU groups: devices and drivers, viability, container, KVM, hardware tables, DMA faults",
  render: (
    vmm,
  ) => [{
    columns: ["group", "devices", "viable", "container", "fd", "kvm", "hw tables", "faults"],
    rows: groupRows(vmm),
  }],
});

function allHwTables(vmm: Vmm): IommuTable[] {
  const seen = new Set<IommuTable>();
  for (const g of iommuGroups(vmm.kernel).values()) {
    for (const t of g.tableGroup?.tables ?? []) if (t) seen.add(t);
  }
  for (const kvm of kvmState(vmm.kernel).vms) {
    for (const s of kvmSpaprTables(kvm)) {
      for (const l of s.iommuTables) seen.add(l.tbl);
    }
  }
  return [...seen].sort((a, b) => a.id - b.id);
}

function windowViews(vmm: Vmm, only?: VmmTceTable): View[] {
  const rows: string[][] = [];
  for (const kvm of kvmState(vmm.kernel).vms) {
    for (const s of kvmSpaprTables(kvm)) {
      const vt = [...vmm.guests.values()].flatMap((
        g,
      ) => [...((g.ext["spaprTce"] as Map<bigint, VmmTceTable>) ?? new Map()).values()]).find((t) =>
        t.fd >= 0 && vmm.proc.fds.get(t.fd)?.private_data === s
      );
      if (only && vt !== only) continue;
      const used = [...s.entries()].length;
      rows.push([
        vt?.name ?? "-",
        kvm.label,
        hx(s.liobn),
        hx(s.busStart),
        fmtPage(s.pageShift),
        String(s.size),
        String(used),
        `${s.pagesAllocated() * vmm.kernel.config.pageSize}`,
        "KVM",
      ]);
    }
  }
  for (const g of vmm.guests.values()) {
    for (const t of ((g.ext["spaprTce"] as Map<bigint, VmmTceTable>) ?? new Map()).values()) {
      if (t.fd >= 0 || (only && t !== only)) continue;
      rows.push([
        t.name,
        g.name,
        hx(t.liobn),
        hx(t.busOffset),
        fmtPage(t.pageShift),
        String(t.nbTable),
        String(t.table.size),
        "-",
        "VMM",
      ]);
    }
  }
  const hw = allHwTables(vmm).filter((t) =>
    !only || (only.container && t.busStart === only.busOffset)
  );
  return [
    {
      title: "guest windows (TCE tables by LIOBN)",
      columns: [
        "window",
        "guest",
        "liobn",
        "bus start",
        "page",
        "entries",
        "used",
        "table bytes",
        "table in",
      ],
      rows,
    },
    {
      title: "hardware windows",
      columns: ["table", "bus start", "page", "entries", "levels", "used", "kernel bytes", "PEs"],
      rows: hw.map((
        t,
      ) => [
        `tbl#${t.id}`,
        hx(t.busStart),
        fmtPage(t.pageShift),
        String(t.size),
        String(t.levels),
        String(t.used),
        String(t.bytesAllocated()),
        String(t.groups.size),
      ]),
    },
  ];
}

registerShow({
  topic: "windows",
  doc: "guest TCE tables and hardware DMA windows with occupancy",
  render: (vmm) => windowViews(vmm),
});

function linkRows(vmm: Vmm): string[][] {
  const rows: string[][] = [];
  for (const kvm of kvmState(vmm.kernel).vms) {
    for (const s of kvmSpaprTables(kvm)) {
      if (s.iommuTables.length === 0) {
        rows.push([kvm.label, hx(s.liobn), "-", "-", "-", String(s.stats.puts), "0"]);
      }
      for (const l of s.iommuTables) {
        const groups = [...iommuGroups(vmm.kernel).values()].filter((g) =>
          g.tableGroup?.tables.includes(l.tbl)
        ).map((g) => String(g.id));
        rows.push([
          kvm.label,
          hx(s.liobn),
          l.tbl.describe(),
          String(l.refs),
          groups.join(", ") || "(none)",
          String(s.stats.puts),
          String(s.stats.hwWrites),
        ]);
      }
    }
  }
  return rows;
}

registerShow({
  topic: "links",
  doc:
    "LIOBN ↔ hardware table links made through the KVM-VFIO device (refcount, groups sharing the table)",
  render: (
    vmm,
  ) => [{
    columns: [
      "vm",
      "liobn",
      "hw table",
      "refs",
      "groups using it",
      "in-kernel puts",
      "hw TCEs written",
    ],
    rows: linkRows(vmm),
  }],
});

function rangeOf(args: Value[]): [number, number] {
  const r = args[1];
  if (Array.isArray(r) && r.length) {
    const xs = r.filter((x): x is bigint => typeof x === "bigint").map(Number);
    return [Math.min(...xs), Math.max(...xs) + 1];
  }
  if (typeof r === "bigint") {
    return [Number(r), typeof args[2] === "bigint" ? Number(args[2]) : Number(r) + 16];
  }
  return [0, 16];
}

registerShow({
  topic: "tce",
  doc:
    "TCE entries of a window: `show tce dma32 0..16` (window indexes); guest view and every hardware entry",
  render(vmm, args) {
    const w = args[0];
    if (!(w instanceof Obj) || w.kind !== "window") {
      return [{ text: "usage: show tce WINDOW FROM..TO" }];
    }
    const t = w.impl as VmmTceTable;
    if (Array.isArray(args[1]) && args[1].length === 0) {
      return [{ text: "empty range: write FROM..TO with FROM < TO (window indexes)" }];
    }
    const [from, to] = rangeOf(args);
    const kvm = vmm.proc.fds.get(t.guest.vmfd)?.private_data;
    const stt = kvm
      ? kvmSpaprTables(kvm as never).find((s) => s.liobn === t.liobn) as SpaprTceTable | undefined
      : undefined;
    const hw = stt?.iommuTables.map((l) => l.tbl) ?? [];
    const rows: string[][] = [];
    const ps = 1n << BigInt(t.pageShift);
    for (let i = from; i < Math.min(to, t.nbTable); i++) {
      const guest = stt ? stt.get(i) : t.table.get(i) ?? 0n;
      const ioba = t.busOffset + BigInt(i) * ps;
      const hwTxt = hw.map((tbl) => {
        const sub = 2 ** (t.pageShift - tbl.pageShift);
        const e0 = Number(ioba >> BigInt(tbl.pageShift));
        const vals = Array.from({ length: Math.min(sub, 4) }, (_, j) => tbl.get(e0 + j)).map((
          v,
        ) => (v ? hx(v) : "0"));
        return `tbl#${tbl.id}: ${vals.join(" ")}${sub > 4 ? ` …(${sub})` : ""}`;
      }).join("; ");
      if (guest === 0n && !hwTxt.match(/0x/)) continue;
      rows.push([
        String(i),
        hx(ioba),
        hx(guest),
        ["-", "R", "W", "RW"][Number(guest & 3n)]!,
        hwTxt || "-",
      ]);
    }
    return [{
      title: `TCEs of ${t.name} (liobn ${hx(t.liobn)}) ${from}..${to}`,
      columns: ["index", "ioba", "guest TCE", "perm", "hardware"],
      rows,
    }];
  },
});

registerObjectView(
  "container",
  (
    vmm,
    impl,
  ) => [{
    columns: ["container", "fd", "iommu", "groups", "state"],
    rows: containerRows(vmm, impl as VmmContainer),
  }],
);
registerObjectView("group", (vmm, impl) => {
  const id = String((impl as VmmGroup).id);
  return [{
    columns: ["group", "devices", "viable", "container", "fd", "kvm", "hw tables", "faults"],
    rows: groupRows(vmm).filter((r) => r[0] === id),
  }];
});
registerObjectView("window", (vmm, impl) => windowViews(vmm, impl as VmmTceTable));

function bdfOf(vmm: Vmm, v: Value | undefined): string {
  if (typeof v === "string") {
    const o = vmm.objects.get(v);
    if (!o) return v;
    v = o;
  }
  if (v instanceof Obj && v.kind === "group") {
    const g = v.impl as VmmGroup;
    if (!g.devices[0]) throw new Error(`group ${g.id} has no device`);
    return g.devices[0].bdf;
  }
  throw new Error('dma_*: the first argument is a device BDF ("0001:01:00.0") or a group');
}

function dmaErr(e: unknown): never {
  if (e instanceof IommuFault) throw new Error(e.message);
  throw e;
}

registerBuiltin({
  name: "dma_write",
  doc:
    "dma_write(dev, iova, bytes): the PCI device writes bytes at bus address iova through its IOMMU; an untranslatable or read-only page is an IOMMU fault (nothing written).",
  params: ["dev", "iova", "bytes"],
  source: "spapr-tce-vfio-sva.md §1.3 (TCE permissions), §3.6–3.7",
  call(ctx, args) {
    const bdf = bdfOf(ctx.vmm, args[0]);
    const iova = args[1], data = args[2];
    if (typeof iova !== "bigint" || !(data instanceof Uint8Array)) {
      throw new Error("dma_write(dev, iova, bytes)");
    }
    try {
      // A bus address is a u64: -1 is 0xffffffffffffffff (in no window), as for ioctl arguments.
      deviceDmaWrite(ctx.kernel, bdf, BigInt.asUintN(64, iova), data);
    } catch (e) {
      dmaErr(e);
    }
    return BigInt(data.length);
  },
});

registerBuiltin({
  name: "dma_read",
  doc:
    "dma_read(dev, iova, len): the PCI device reads len bytes at bus address iova through its IOMMU; returns the bytes or raises an IOMMU fault.",
  params: ["dev", "iova", "len"],
  source: "spapr-tce-vfio-sva.md §1.3, §3.6–3.7",
  call(ctx, args) {
    const bdf = bdfOf(ctx.vmm, args[0]);
    const iova = args[1], len = args[2];
    if (typeof iova !== "bigint" || typeof len !== "bigint") {
      throw new Error("dma_read(dev, iova, len)");
    }
    if (len < 0n || len > 1n << 24n) throw new Error("dma_read: len must be 0..16M");
    try {
      return deviceDmaRead(ctx.kernel, bdf, BigInt.asUintN(64, iova), Number(len));
    } catch (e) {
      return dmaErr(e);
    }
  },
});
