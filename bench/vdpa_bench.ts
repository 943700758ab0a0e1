/**
 * vDPA loopback throughput: 64-byte and 1500-byte frames through the full
 * ring path (the guest driver posts RX buffers and TX chains in guest RAM,
 * kicks through the eventfds, vdpa_sim_net translates every ring and buffer
 * access through its IOTLB and copies TX into RX, the driver reaps both used
 * rings), compared with a raw Uint8Array copy of the same bytes in the same
 * run. Prints packets/s and the ratio (goal ≥ 0.1 for 1500 B).
 *
 * Run: `deno bench --allow-all bench/vdpa_bench.ts`
 *
 * @module
 */
import "../runtime/virt/kvm/kvm_main.ts";
import "../runtime/vmm/kvm_all.ts";
import "../runtime/drivers/vhost/mod.ts";
import { Kernel } from "../runtime/kernel/kernel.ts";
import { hostConfig } from "../runtime/vmm/host.ts";
import { decls } from "../runtime/vmm/registry.ts";
import type { Value } from "../runtime/vmm/value.ts";
import { Vmm } from "../runtime/vmm/vmm.ts";
import type { VdpaNetDev } from "../runtime/vmm/vhost_vdpa.ts";

const BATCH = 128;

function setup(profile: "seed" | "mainline"): VdpaNetDev {
  const props = new Map<string, Value[]>([["arch", ["x86_64"]], ["kernel", [profile]], [
    "vdpa-sim-use-va",
    [false],
  ]]);
  const k = new Kernel(hostConfig("bench", props));
  const vmm = new Vmm(k);
  decls.get("guest")!.instantiate(vmm, {
    keyword: "guest",
    name: "vm1",
    props: new Map([["memory", [128n << 20n]]]),
  });
  decls.get("device:vdpa-net")!.instantiate(vmm, {
    keyword: "device",
    name: "net0",
    type: "vdpa-net",
    props: new Map<string, Value[]>([["mac", ["52:54:00:12:34:56"]], ["guest", ["vm1"]]]),
  });
  return vmm.objects.get("net0")!.impl as VdpaNetDev;
}

function frame(len: number): Uint8Array {
  const f = new Uint8Array(12 + len);
  f.set([0x52, 0x54, 0, 0x12, 0x34, 0x56], 12);
  for (let i = 18; i < f.length; i++) f[i] = i & 0xff;
  return f;
}

/** One batch through the ring path; returns packets received. */
function ringBatch(dev: VdpaNetDev, f: Uint8Array): number {
  const d = dev.driver!;
  for (let i = 0; i < BATCH; i++) d.post(0, [], [f.length]);
  for (let i = 0; i < BATCH; i++) d.post(1, [f]);
  d.kick(0);
  d.kick(1);
  d.reap(1);
  return d.reap(0).length;
}

function measure(_label: string, fn: () => number, ms = 400): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    n += fn();
    t = performance.now();
  }
  return (n / (t - t0)) * 1000;
}

function compare(
  profile: "seed" | "mainline",
  size: number,
): { pps: number; raw: number; ratio: number } {
  const dev = setup(profile);
  const f = frame(size);
  const dst = new Uint8Array(f.length);
  const pps = measure(`${profile} ${size}`, () => ringBatch(dev, f));
  const raw = measure("raw", () => {
    for (let i = 0; i < BATCH; i++) dst.set(f);
    return BATCH;
  });
  if (dev.sim.errors.length) throw new Error(`device error: ${dev.sim.errors[0]!.message}`);
  return { pps, raw, ratio: pps / raw };
}

const report: string[] = [];
for (const profile of ["seed", "mainline"] as const) {
  for (const size of [64, 1500]) {
    const r = compare(profile, size);
    report.push(
      `vdpa loopback ${profile.padEnd(8)} ${String(size).padStart(4)} B: ${
        Math.round(r.pps).toLocaleString("en")
      } pkt/s; raw copy ${Math.round(r.raw).toLocaleString("en")}/s; ratio ${r.ratio.toFixed(3)}${
        size === 1500 ? (r.ratio >= 0.1 ? " (goal ≥ 0.1 met)" : " (goal ≥ 0.1 NOT met)") : ""
      }`,
    );
  }
}
console.log(report.join("\n"));

for (const size of [64, 1500]) {
  const dev = setup("mainline");
  const f = frame(size);
  Deno.bench(`vdpa loopback ${size} B × ${BATCH} (mainline ring path)`, {
    group: `vdpa-${size}`,
    baseline: false,
  }, () => {
    ringBatch(dev, f);
  });
  const dst = new Uint8Array(f.length);
  Deno.bench(
    `raw Uint8Array copy ${size} B × ${BATCH}`,
    { group: `vdpa-${size}`, baseline: true },
    () => {
      for (let i = 0; i < BATCH; i++) dst.set(f);
    },
  );
}
