import assert from "node:assert/strict";
import { check } from "./checker.ts";
import { allCodes, codeTitle, registerCode } from "./codes.ts";
import { colorWanted, type Diagnostic, diagnosticToJSON, renderDiagnostic } from "./diagnostic.ts";
import { parse } from "./parser.ts";
import { editDistance, suggest } from "./suggest.ts";
import { testVocabulary } from "./testdata/vocab.ts";

function diagnose(src: string, file = "topo.vmt"): Diagnostic[] {
  const { program, diagnostics } = parse(src, file);
  return [...diagnostics, ...check(program, testVocabulary())];
}
const render = (src: string, d: Diagnostic) => renderDiagnostic(d, () => src, { color: false });

Deno.test("render: unknown name with a related declaration", () => {
  const src =
    "guest vm1 { vcpus 1  memory 1G }\nlet a = 1\nhcall vm2.cpu0 H_PUT_TCE(liobn: 1, ioba: 0, tce: 0)";
  const [d] = diagnose(src);
  assert.equal(
    render(src, d),
    [
      "error[VT0101]: unknown name `vm2`",
      "  --> topo.vmt:3:7",
      "   |",
      " 3 | hcall vm2.cpu0 H_PUT_TCE(liobn: 1, ioba: 0, tce: 0)",
      "   |       ^^^ not declared",
      "   |",
      " ::: topo.vmt:1:7",
      " 1 | guest vm1 { vcpus 1  memory 1G }",
      "   |       --- `vm1` declared here",
      "   = help: did you mean one of `vm1`, `vmm`?",
    ].join("\n"),
  );
});

Deno.test("render: syntax error at the end of input", () => {
  const src = "guest vm1 {\n  vcpus 2\n";
  const [d] = diagnose(src);
  assert.equal(
    render(src, d),
    [
      "error[VT0003]: unclosed `{` — the block of guest `vm1` opened here",
      "  --> topo.vmt:2:10",
      "   |",
      " 2 |   vcpus 2",
      "   |          ^ expected `}` before the end of input",
      "   |",
      " ::: topo.vmt:1:11",
      " 1 | guest vm1 {",
      "   |           - the block of guest `vm1` opened here",
      "   = help: add `}` to close the block",
    ].join("\n"),
  );
});

Deno.test("render: unknown ioctl, caret under the whole name, wide gutter", () => {
  const src = "\n\n\n\n\n\n\n\n\nioctl vmm:/dev/kvm KVM_CREAT_VM(0)";
  const [d] = diagnose(src);
  assert.equal(
    render(src, d),
    [
      "error[VT0102]: unknown ioctl `KVM_CREAT_VM`",
      "   --> topo.vmt:10:20",
      "    |",
      " 10 | ioctl vmm:/dev/kvm KVM_CREAT_VM(0)",
      "    |                    ^^^^^^^^^^^^ no such ioctl",
      "    = help: did you mean `KVM_CREATE_VM`?",
    ].join("\n"),
  );
});

Deno.test("render: notes, and no source available", () => {
  const src = "expect x == 1\nexpect x == 2";
  const [d] = diagnose(src);
  assert.equal(
    renderDiagnostic(d, () => undefined, { color: false }),
    ["error[VT0101]: unknown name `x`", "  --> topo.vmt:1:8", "   = note: also used at line 2"]
      .join("\n"),
  );
  assert.ok(renderDiagnostic(d, () => src, { color: true }).includes("\u001b["));
});

Deno.test("render: multi-line span underlines to the end of its first line", () => {
  const span = { file: "f", start: 0, end: 20, line: 1, col: 3, endLine: 2, endCol: 4 };
  const d: Diagnostic = {
    code: "VT0003",
    severity: "warning",
    message: "m",
    span,
    labels: [{ span, message: "x" }],
  };
  const out = renderDiagnostic(d, () => "a bcdef\nxyz", { color: false }).split("\n");
  assert.equal(out[0], "warning[VT0003]: m");
  assert.equal(out[4], "   |   ^^^^^ x");
});

Deno.test("diagnosticToJSON is plain data", () => {
  const [d] = diagnose("show windws");
  const j = diagnosticToJSON(d);
  assert.deepEqual(
    { ...j, notes: undefined },
    {
      code: "VT0112",
      severity: "error",
      message: "unknown show topic `windws`",
      file: "topo.vmt",
      line: 1,
      col: 6,
      endLine: 1,
      endCol: 12,
      labels: [{
        file: "topo.vmt",
        line: 1,
        col: 6,
        endLine: 1,
        endCol: 12,
        message: "not a topic or a name",
      }],
      help: "did you mean `windows`?",
      notes: undefined,
    },
  );
  assert.doesNotThrow(() => JSON.stringify(j));
});

Deno.test("codes: table, titles, registration", () => {
  assert.equal(codeTitle("VT0101"), "unknown name");
  assert.equal(codeTitle("VT0299"), undefined);
  registerCode("VT0299", "test runtime code");
  assert.equal(codeTitle("VT0299"), "test runtime code");
  assert.ok(allCodes().length >= 19);
});

Deno.test("colorWanted never throws", () => {
  assert.equal(typeof colorWanted(), "boolean");
});

Deno.test("suggest: Damerau-Levenshtein, case-insensitive, at most three", () => {
  assert.equal(editDistance("ab", "ba"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.deepEqual(suggest("memroy", ["memory", "vcpus", "nested"]), ["memory"]);
  assert.deepEqual(suggest("KVM_CREAT_VM", ["KVM_CREATE_VM", "KVM_CREATE_VCPU", "KVM_RUN"]), [
    "KVM_CREATE_VM",
  ]);
  assert.deepEqual(suggest("Vm1", ["vm1"]), ["vm1"]);
  assert.deepEqual(suggest("zzz", ["vm1", "c0"]), []);
  assert.ok(suggest("a", ["b", "c", "d", "e"]).length <= 3);
});
