import assert from "node:assert/strict";
import { format, formatProgram } from "./formatter.ts";
import { parse } from "./parser.ts";
import { stripSpans } from "./testdata/strip.ts";

const fmt = (src: string) => {
  const r = format(src, "t.vmt");
  assert.deepEqual(r.diagnostics, []);
  return r.output;
};

Deno.test("format: canonical spacing, one statement per line", () => {
  assert.equal(
    fmt(
      "let x=1|2;expect x==1|2   \nhcall vm1.cpu0 H_PUT_TCE(liobn:1,ioba:i<<12,tce:0)=>H_SUCCESS",
    ),
    "let x = 1 | 2\nexpect x == 1 | 2\nhcall vm1.cpu0 H_PUT_TCE(liobn: 1, ioba: i << 12, tce: 0) => H_SUCCESS\n",
  );
  assert.equal(fmt("let m = f({a:1,b:[1,2,],})"), "let m = f({a: 1, b: [1, 2]})\n");
  assert.equal(fmt("expect (a|b)&c == -(1+2)*3"), "expect (a | b) & c == -(1 + 2) * 3\n");
  assert.equal(fmt("show   tce dma32   0..16"), "show tce dma32 0..16\n");
});

Deno.test("format: declarations keep their one-line or multi-line shape", () => {
  assert.equal(fmt("guest vm1 {vcpus 2 memory 4G}"), "guest vm1 { vcpus 2  memory 4G }\n");
  assert.equal(
    fmt("guest vm1 {\n vcpus 2; memory 4G\n    nested }"),
    "guest vm1 {\n  vcpus 2\n  memory 4G\n  nested\n}\n",
  );
  assert.equal(fmt("guest vm1 { nested; vcpus 1 }"), "guest vm1 { nested;  vcpus 1 }\n");
  assert.equal(
    fmt("host {arch ppc64le}\ncontainer c0 { }"),
    "host { arch ppc64le }\ncontainer c0 {}\n",
  );
  assert.equal(
    fmt("device net0 vdpa-net { mac 52:54:00:12:34:56 }"),
    "device net0 vdpa-net { mac 52:54:00:12:34:56 }\n",
  );
});

Deno.test("format: for bodies are indented", () => {
  assert.equal(
    fmt("for i in 0..16 { hcall vm1.cpu0 H_PUT_TCE(liobn: 1, ioba: i, tce: 0) ; show i }"),
    "for i in 0..16 {\n  hcall vm1.cpu0 H_PUT_TCE(liobn: 1, ioba: i, tce: 0)\n  show i\n}\n",
  );
  assert.equal(fmt("for i in 0..1 {}"), "for i in 0..1 {}\n");
});

Deno.test("format: comments kept — own-line, trailing, inside blocks; blank lines collapsed", () => {
  const src =
    "# head\n\n\n\nguest vm1 {   # the guest\n  vcpus 2   # two\n\n\n  # mem\n  memory 4G\n  # end\n}  # after\nlet x = 1 # one\n# tail\n";
  const want =
    "# head\n\nguest vm1 {  # the guest\n  vcpus 2  # two\n\n  # mem\n  memory 4G\n  # end\n}  # after\nlet x = 1  # one\n# tail\n";
  assert.equal(fmt(src), want);
  assert.equal(fmt(want), want);
});

Deno.test("format: literals keep their raw text", () => {
  const src =
    'let a = [0x1_000, 0b11, 4K, 10ms, "a\\tb", x"de ad", 52:54:00:12:34:56, 01:00.0, /dev/kvm]\n';
  assert.equal(fmt(src), src);
});

Deno.test("format: input with syntax errors comes back unchanged", () => {
  const r = format("guest vm1 {  vcpus", "t.vmt");
  assert.equal(r.output, "guest vm1 {  vcpus");
  assert.equal(r.diagnostics.length, 1);
});

Deno.test("format: the spapr-ddw example round-trips and is idempotent", async () => {
  const src = await Deno.readTextFile(new URL("./testdata/spapr_ddw.vmt", import.meta.url));
  const once = fmt(src);
  assert.equal(fmt(once), once);
  assert.deepEqual(
    stripSpans(parse(once, "t").program.body),
    stripSpans(parse(src, "t").program.body),
  );
  assert.equal(formatProgram(parse(src, "t").program), once);
});
