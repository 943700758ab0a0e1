import assert from "node:assert/strict";
import { check, type CheckOptions } from "./checker.ts";
import { parse } from "./parser.ts";
import { testVocabulary } from "./testdata/vocab.ts";
import { emptyVocabulary } from "./vocabulary.ts";

const vocab = testVocabulary();
function run(src: string, opts?: CheckOptions) {
  const { program, diagnostics } = parse(src, "t.vmt");
  assert.deepEqual(diagnostics.map((d) => d.message), [], "parse errors");
  return check(program, vocab, opts);
}
const brief = (src: string, opts?: CheckOptions) =>
  run(src, opts).map((d) => `${d.code} ${d.message}${d.help ? ` | ${d.help}` : ""}`);

Deno.test("checker: the spapr-ddw example checks cleanly", async () => {
  const src = await Deno.readTextFile(new URL("./testdata/spapr_ddw.vmt", import.meta.url));
  const guest = src.replace("guest vm1 { vcpus 2  memory 4G }", "guest vm1 { vcpus 2  memory 4G }");
  assert.deepEqual(brief(guest, { resolveInclude: () => true }), []);
});

Deno.test("checker: VT0101 unknown name — did-you-mean, related label, first use only", () => {
  const ds = run(
    "guest vm1 { memory 1G }\nioctl vm2 KVM_CREATE_VCPU(0)\nshow vm2\nexpect vm2 == 1",
  );
  assert.equal(ds.length, 1);
  const [d] = ds;
  assert.equal(d.code, "VT0101");
  assert.equal(d.message, "unknown name `vm2`");
  assert.match(d.help ?? "", /`vm1`/);
  assert.equal(d.labels[1].message, "`vm1` declared here");
  assert.deepEqual(d.notes, ["also used at lines 3, 4"]);
});

Deno.test("checker: an ioctl or hcall name used as a value says how to issue it", () => {
  assert.deepEqual(brief("expect KVM_CREATE_VCPU == 1\nlet t = H_PUT_TCE"), [
    "VT0101 unknown name `KVM_CREATE_VCPU` | `KVM_CREATE_VCPU` is an ioctl: issue it with `ioctl TARGET KVM_CREATE_VCPU(…)`",
    "VT0101 unknown name `H_PUT_TCE` | `H_PUT_TCE` is a hypercall: issue it with `hcall VCPU H_PUT_TCE(…)`",
  ]);
});

Deno.test("checker: dashed names get the subtraction help", () => {
  assert.deepEqual(brief("let a = 1\nlet b = 2\nexpect a-b == 0"), [
    "VT0101 unknown name `a-b` | write `a - b` with spaces to subtract",
  ]);
});

Deno.test("checker: scopes — let after its statement, for var in its body, REPL known names", () => {
  assert.deepEqual(brief("expect x == 1\nlet x = 1"), ["VT0101 unknown name `x`"]);
  assert.deepEqual(
    brief("for i in 0..4 { expect i < 4 }\nexpect i == 0").map((s) => s.split(" |")[0]),
    [
      "VT0101 unknown name `i`",
    ],
  );
  assert.deepEqual(brief("expect fd > 0", { known: new Map([["fd", undefined]]) }), []);
  assert.deepEqual(brief("ioctl vmm:/dev/kvm KVM_CREATE_VM(0)\nshow host"), []);
});

Deno.test("checker: VT0102 / VT0103 / VT0110 unknown ioctl, hcall, function", () => {
  assert.deepEqual(brief("ioctl vmm:/dev/kvm KVM_CREAT_VM(0)"), [
    "VT0102 unknown ioctl `KVM_CREAT_VM` | did you mean `KVM_CREATE_VM`?",
  ]);
  assert.deepEqual(
    brief("guest vm1 { memory 1G }\nhcall vm1.cpu0 H_PUT_TC(liobn: 1, tce: TCE_READ)"),
    [
      "VT0103 unknown hcall `H_PUT_TC` | did you mean `H_PUT_TCE`?",
    ],
  );
  assert.deepEqual(brief("memrd(vmm, 0)"), [
    "VT0110 unknown function `memrd` | did you mean `memread`?",
  ]);
});

Deno.test("checker: VT0104 fields and short flags", () => {
  const pre = "container c0 { iommu type1 }\n";
  assert.deepEqual(
    brief(pre + "ioctl c0 VFIO_IOMMU_MAP_DMA({flags: READ | WRITE, vaddr: 0, iova: 0, size: 1M})"),
    [],
  );
  assert.deepEqual(brief(pre + "ioctl c0 VFIO_IOMMU_MAP_DMA({flag: READ})"), [
    "VT0104 `VFIO_IOMMU_MAP_DMA` has no field `flag` | did you mean `flags`?",
  ]);
  // flags are only names inside their field
  assert.deepEqual(
    brief(pre + "ioctl c0 VFIO_IOMMU_MAP_DMA({iova: READ})").map((s) => s.split(" |")[0]),
    [
      "VT0101 unknown name `READ`",
    ],
  );
  assert.deepEqual(brief("ioctl vmm:/dev/x VHOST_VDPA_SET_STATUS(DRIVER_OK | FEATURES_OK)"), []);
  assert.deepEqual(
    brief("guest vm1 { memory 1G }\nhcall vm1.cpu0 H_PUT_TCE(liobn: 1, iova: 0, tce: TCE_WRITE)"),
    [
      "VT0104 `H_PUT_TCE` has no field `iova` | did you mean `ioba`?",
    ],
  );
});

Deno.test("checker: VT0105 / VT0107 / VT0108 / VT0113 properties", () => {
  assert.deepEqual(brief("guest vm1 { vcpus 2  memroy 4G }"), [
    "VT0105 unknown property `memroy` for guest | did you mean `memory`?",
  ]);
  assert.deepEqual(brief("guest vm1 { vcpus 2 }"), [
    "VT0107 guest `vm1` is missing the required property `memory` | add `memory 4G` inside the block",
  ]);
  assert.deepEqual(brief("guest vm1 { memory }"), [
    "VT0108 expected a value after `memory`, found `}` | write e.g. `memory 4G`",
  ]);
  assert.deepEqual(brief('guest vm1 { memory "big" }').map((s) => s.split(" |")[0]), [
    "VT0108 `memory` takes a size (e.g. `4G`)",
  ]);
  assert.deepEqual(brief("host p9 { arch ppc64 }"), [
    "VT0108 `ppc64` is not a valid `arch` | did you mean `ppc64le`?",
  ]);
  assert.deepEqual(brief("guest vm1 { memory 1G  memory 2G }").map((s) => s.split(" |")[0]), [
    "VT0113 property `memory` is set twice in guest `vm1`",
  ]);
  assert.deepEqual(brief('group 1 { device "0000:01:00.0"  device 01:00.1 }'), []);
  assert.deepEqual(brief("device n0 vdpa-net { mac 1 }").map((s) => s.split(" |")[0]), [
    "VT0108 `mac` takes a MAC address (e.g. `52:54:00:12:34:56`)",
  ]);
});

Deno.test("checker: object references inside declarations", () => {
  assert.deepEqual(
    brief("container c0 {}\ngroup 12 { container c1 }").map((s) => s.split(" |")[0]),
    [
      "VT0101 unknown name `c1`",
    ],
  );
  assert.deepEqual(
    brief("guest vm1 { memory 1G }\nwindow w { guest vm1  group 13  size 1G }").map((s) =>
      s.split(" |")[0]
    ),
    [
      "VT0101 unknown name `13`",
    ],
  );
});

Deno.test("checker: VT0106 duplicate declarations, also against earlier REPL declarations", () => {
  const ds = run("guest vm1 { memory 1G }\ncontainer vm1 {}");
  assert.deepEqual(ds.map((d) => d.code), ["VT0106"]);
  assert.equal(ds[0].labels[1].message, "first declared here");
  assert.equal(ds[0].labels[1].span.line, 1);
  const earlier = new Map([["vm1", { keyword: "guest" }]]);
  assert.deepEqual(run("guest vm1 { memory 1G }", { declared: earlier }).map((d) => d.code), [
    "VT0106",
  ]);
});

Deno.test("checker: VT0109 device kinds", () => {
  assert.deepEqual(brief("device n0 vdpa-nett {}"), [
    "VT0109 unknown device kind `vdpa-nett` | did you mean `vdpa-net`?",
  ]);
  assert.deepEqual(brief("device n0 {}").map((s) => s.split(" |")[0]), [
    "VT0109 device `n0` needs a kind",
  ]);
});

Deno.test("checker: VT0111 include, VT0112 show topic", () => {
  assert.deepEqual(
    brief('include "nope.vmt"', { resolveInclude: () => false }).map((s) => s.split(" |")[0]),
    [
      "VT0111 cannot find the included file `nope.vmt`",
    ],
  );
  assert.deepEqual(brief('include "nope.vmt"'), []);
  assert.deepEqual(brief("show windws").map((s) => s.split(" |")[0]), [
    "VT0112 unknown show topic `windws`",
  ]);
  assert.deepEqual(
    brief(
      "guest vm1 { memory 1G }\nwindow dma32 { guest vm1  size 1G }\nshow tce dma32 0..16\nshow dma32",
    ),
    [],
  );
});

Deno.test("checker: names that may come from an include are warnings", () => {
  const ds = run('include "common.vmt"\nexpect vm9 == 1', { resolveInclude: () => true });
  assert.deepEqual(ds.map((d) => [d.code, d.severity]), [["VT0101", "warning"]]);
});

Deno.test("checker: with includeSource, the names an include declares or binds are in scope after it, nested includes too", () => {
  const files: Record<string, string> = {
    "common.vmt": 'guest vm9 { vcpus 1 }\ninclude "sub/more.vmt"',
    "sub/more.vmt": 'for i in 0..2 {\n  let last = i\n}\ninclude "deep.vmt"',
    "sub/deep.vmt": "container c0 { iommu spapr-tce-v2 }",
    "broken.vmt": "guest {",
  };
  // Relative to the including file's directory, as the session resolves it.
  const includeSource = (p: string, from: string) => {
    const file = from.includes("/") ? `${from.slice(0, from.lastIndexOf("/"))}/${p}` : p;
    return file in files ? { file, text: files[file]! } : undefined;
  };
  const clean = run(
    'include "common.vmt"\nexpect vm9.cpu0 == vm9.cpu0\nexpect last == 1\nshow c0',
    {
      includeSource,
    },
  );
  assert.deepEqual(clean.map((d) => d.message), []);
  // Before the include, or a name no include defines: still an error.
  assert.deepEqual(
    run('expect vm9 == 1\ninclude "common.vmt"\nexpect nine == 9', { includeSource }).map((
      d,
    ) => [d.code, d.severity, d.message]),
    [["VT0101", "error", "unknown name `vm9`"], ["VT0101", "error", "unknown name `nine`"]],
  );
  // An include that cannot be parsed may define anything: its names are warnings.
  assert.deepEqual(
    run('include "broken.vmt"\nexpect vm1 == 1', { includeSource }).map((d) => d.severity),
    ["warning"],
  );
  assert.deepEqual(
    brief('include "missing.vmt"', { includeSource }).map((s) => s.split(" |")[0]),
    ["VT0111 cannot find the included file `missing.vmt`"],
  );
});

Deno.test("checker: a `let` in a loop body is visible after the loop, the loop variable is not (as at run time)", () => {
  assert.deepEqual(brief("for i in 0..3 {\n  let x = i\n}\nexpect x == 2"), []);
  assert.deepEqual(
    brief("for i in 0..3 {\n  let x = i\n}\nexpect i == 2").map((s) => s.split(" |")[0]),
    [
      "VT0101 unknown name `i`",
    ],
  );
});

Deno.test("checker: one root cause — arguments of an unknown call are not checked", () => {
  assert.deepEqual(
    brief("ioctl vmm:/dev/kvm NOPE_NOPE(flags: WHATEVER)").map((s) => s.split(" ")[0]),
    ["VT0102"],
  );
});

Deno.test("checker: with an empty vocabulary, declarations are not judged", () => {
  const { program } = parse("guest vm1 { anything 1 }\nshow vm1", "t.vmt");
  assert.deepEqual(check(program, emptyVocabulary()), []);
});
