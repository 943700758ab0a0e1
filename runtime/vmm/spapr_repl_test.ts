// The sPAPR TCE subsystem as a REPL user sees it: echo lines of hypercalls
// with the trace on, and the `show tce` view's range handling.
import assert from "node:assert/strict";
import { Session } from "../../dsl/interp/session.ts";

const S = "spapr-tce-vfio-sva.md";
const TOPO = `host p9 { arch ppc64le  kernel mainline }
guest vm2 { vcpus 1  memory 1G }
container c1 { iommu spapr-tce-v2 }
group 22 { container c1  device "0002:01:00.0" }
window w32 { guest vm2  group 22  liobn 0x80000000  size 1G }
`;

Deno.test(`with the trace on, an hcall is shown once (the trace line) and the echo is its answer, as for an ioctl (${S} §1.4; DESIGN.md "Traces")`, () => {
  const s = new Session({ echo: true });
  const lines: string[] = [];
  const step = (src: string) => {
    const r = s.run(src, "t.vmt");
    assert.ok(r.ok, r.lines.join("\n"));
    lines.push(...r.lines);
  };
  step(TOPO);
  s.setTrace(true);
  step("hcall vm2.cpu0 H_PUT_TCE(liobn: 0x80000000, ioba: 0x2000, tce: 0x20003) => H_SUCCESS\n");
  s.setTrace(false);
  step("hcall vm2.cpu0 H_PUT_TCE(liobn: 0x80000000, ioba: 0x3000, tce: 0x20003)\n");
  const r = { lines };
  const calls = r.lines.filter((l) => l.startsWith("vm2.cpu0: H_PUT_TCE"));
  assert.deepEqual(calls, [
    "vm2.cpu0: H_PUT_TCE(liobn=0x80000000, ioba=0x2000, tce=0x20003) = H_SUCCESS  (handled in KVM)",
    "vm2.cpu0: H_PUT_TCE(liobn=0x80000000, ioba=0x3000, tce=0x20003) = H_SUCCESS  (handled in KVM)",
  ]);
  const i = r.lines.indexOf(calls[0]!);
  assert.equal(r.lines[i + 1], "= H_SUCCESS");
});

Deno.test(`show tce with an empty range (FROM ≥ TO) says so instead of showing another range (${S} §1.3)`, () => {
  const s = new Session({ echo: true });
  const r = s.run(
    TOPO +
      "hcall vm2.cpu0 H_PUT_TCE(liobn: 0x80000000, ioba: 0x2000, tce: 0x20003) => H_SUCCESS\n" +
      "show tce w32 5..1\nshow tce w32 2..3\n",
    "t.vmt",
  );
  assert.ok(r.ok, r.lines.join("\n"));
  const text = r.lines.join("\n");
  assert.match(text, /empty range: write FROM\.\.TO with FROM < TO/);
  assert.doesNotMatch(text, /0\.\.16/);
  assert.match(text, /TCEs of w32 \(liobn 0x80000000\) 2\.\.3/);
  assert.match(text, /│ 2 +│ 0x2000 │ 0x20003 +│ RW/);
});
