/**
 * sPAPR TCE benchmarks: H_PUT_TCE through the runtime API (the guest's
 * `sc 1` into KVM's in-kernel handler, programming a linked hardware table)
 * against a raw typed-array store loop of the same count; H_PUT_TCE_INDIRECT
 * with 512 entries per call; and the memory of a declared 64 GiB DDW window
 * before and after 1,000 entries (printed at load).
 *
 * Run: `deno bench -A bench/spapr_tce_bench.ts` (ratios: see the summary
 * "x times slower than raw"; goal: raw/API ≥ 0.1).
 *
 * @module
 */
import { boot } from "../runtime/drivers/vfio/test_helpers.ts";
import { kvmppcGuestHcall } from "../runtime/arch/powerpc/kvm/book3s_hv.ts";
import { kvmppcFindTable } from "../runtime/arch/powerpc/kvm/book3s_64_vio.ts";
import type { Kvm } from "../runtime/virt/kvm/kvm_host.ts";

const N = 10_000;
const L32 = 0x8000_0000n, L64 = 0x8000_0001n;

function host() {
  const t = boot("seed", { memory: 1n << 30n });
  t.decl("container", "c0", { iommu: "spapr-tce-v2" });
  t.decl("group", "12", { container: "c0", device: "0001:01:00.0" });
  t.decl("window", "dma32", { group: 12n, liobn: L32, size: 1n << 30n });
  t.decl("window", "dma64", {
    group: 12n,
    liobn: L64,
    offset: 1n << 59n,
    size: 64n << 30n,
    page: 65536n,
  });
  const g = t.guest();
  return {
    t,
    g,
    vcpu: t.vmm.kvmVcpu(g.vcpus[0]!),
    kvm: t.vmm.proc.fget(g.vmfd).private_data as Kvm,
  };
}

// ---- memory of a declared 64 GiB DDW window, before and after 1,000 entries
{
  const { t, vcpu, kvm } = host();
  const stt = kvmppcFindTable(kvm, L64)!;
  const hw = stt.iommuTables[0]!.tbl;
  const before = {
    kvm: stt.pagesAllocated() * t.k.config.pageSize,
    hwSim: hw.bytesSimulated(),
    resident: t.k.phys.bytesResident(),
  };
  for (let i = 0; i < 1000; i++) {
    kvmppcGuestHcall(vcpu, 0x20, [
      L64,
      (1n << 59n) + BigInt(i) * 65536n,
      BigInt(i % 16384) * 65536n | 3n,
    ]);
  }
  const after = {
    kvm: stt.pagesAllocated() * t.k.config.pageSize,
    hwSim: hw.bytesSimulated(),
    resident: t.k.phys.bytesResident(),
  };
  console.log(
    `64 GiB DDW window (64K pages, 1M entries): KVM table bytes ${before.kvm} -> ${after.kvm}; ` +
      `HW table simulated bytes ${before.hwSim} -> ${after.hwSim} (kernel would hold ${hw.bytesAllocated()} for a 1-level table); ` +
      `host RAM resident ${before.resident} -> ${after.resident}`,
  );
}

const raw = new BigUint64Array(N);
Deno.bench(
  { name: "raw BigUint64Array store loop", group: "H_PUT_TCE x10000", baseline: true },
  () => {
    for (let i = 0; i < N; i++) raw[i] = BigInt(i * 4096) | 3n;
  },
);

const a = host();
Deno.bench({
  name: "H_PUT_TCE via kvmppcGuestHcall (in-kernel, linked HW table)",
  group: "H_PUT_TCE x10000",
}, () => {
  for (let i = 0; i < N; i++) {
    kvmppcGuestHcall(a.vcpu, 0x20, [L32, BigInt(i * 4096), BigInt(i * 4096) | 3n]);
  }
});

const b = host();
const LIST = 0x20_0000;
{
  const buf = new Uint8Array(512 * 8);
  const dv = new DataView(buf.buffer);
  for (let i = 0; i < 512; i++) dv.setBigUint64(i * 8, BigInt(i * 4096) | 3n, false);
  b.t.vmm.proc.mm.write(b.g.ramHva + LIST, buf);
}
const calls = Math.ceil(N / 512);
Deno.bench({
  name: "H_PUT_TCE_INDIRECT 512 TCEs per call (≈10000 TCEs)",
  group: "H_PUT_TCE x10000",
}, () => {
  for (let c = 0; c < calls; c++) {
    kvmppcGuestHcall(b.vcpu, 0x13C, [L32, BigInt((c % 8) * 512 * 4096), BigInt(LIST), 512n]);
  }
});

// ---- H_PUT_TCE issued by a DSL `for` loop against the same count through the API
import { Session } from "../dsl/interp/session.ts";
const DSL_SETUP = `host p9 { arch ppc64le  kernel seed }
guest vm1 { vcpus 1  memory 1G }
container c0 { iommu spapr-tce-v2 }
group 12 { container c0  device "0001:01:00.0" }
window dma32 { guest vm1  group 12  liobn 0x80000000  offset 0  size 1G  page 4K }
`;
const dsl = new Session({});
if (!dsl.run(DSL_SETUP, "bench.vmt").ok) throw new Error("bench set-up failed");
const LOOP =
  `for i in 0..${N} { hcall vm1.cpu0 H_PUT_TCE(liobn: 0x80000000, ioba: i << 12, tce: (i << 12) | 3) }`;
const api = host();
Deno.bench({
  name: "H_PUT_TCE x10000 through the runtime API",
  group: "DSL for loop vs API",
  baseline: true,
}, () => {
  for (let i = 0; i < N; i++) {
    kvmppcGuestHcall(api.vcpu, 0x20, [L32, BigInt(i * 4096), BigInt(i * 4096) | 3n]);
  }
});
Deno.bench({ name: "H_PUT_TCE x10000 from a DSL for loop", group: "DSL for loop vs API" }, () => {
  dsl.run(LOOP, "<bench>");
});
