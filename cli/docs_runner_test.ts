import assert from "node:assert/strict";
import { collectBlocks, runBlock, updateMarkdown } from "./docs_runner.ts";
import type { ReplSession } from "./repl_commands.ts";
import type { SessionOptions } from "../dsl/interp/api.ts";

/** A fake session that upper-cases its input, so runner logic is tested apart from the interpreter. */
function fake(seen: SessionOptions[] = []) {
  return (opts: SessionOptions): ReplSession => {
    seen.push(opts);
    return {
      trace: false,
      setTrace() {},
      script: () => "",
      help: (t?: string) => `help for ${t ?? "everything"}`,
      run: (text: string) => ({
        lines: text === "boom" ? ["error: boom"] : [text.toUpperCase()],
        ok: text !== "boom",
        diagnostics: [],
        passed: 0,
        failed: 0,
      }),
    };
  };
}

const MD = [
  "# Title", // 1
  "", // 2
  "```vmtopo", // 3
  "vmtopo> abc", // 4
  "ABC", // 5
  "```", // 6
  "", // 7
  "```sh", // 8
  "vmtopo> not run", // 9
  "```", // 10
  "", // 11
  "1. a list", // 12
  "", // 13
  "   ```vmt", // 14
  "   guest vm1 { vcpus 1 }", // 15
  "   ```", // 16
  "", // 17
  "````vmtopo", // 18
  "vmtopo> x", // 19
  "```", // 20
  "````", // 21
  "",
].join("\n");

Deno.test("collectBlocks finds vmtopo/vmt fences (nested in lists too) with their fence line numbers", () => {
  const bs = collectBlocks(MD, "d.md");
  assert.deepEqual(bs.map((b) => [b.lang, b.line]), [["vmtopo", 3], ["vmt", 14], ["vmtopo", 18]]);
  assert.deepEqual(bs[1].lines, ["guest vm1 { vcpus 1 }"], "fence indentation is removed");
  assert.equal(bs[1].indent, "   ");
  assert.deepEqual(bs[2].lines, ["vmtopo> x", "```"], "a longer fence contains a shorter one");
});

Deno.test("runBlock: a transcript whose output matches passes; echo on, trace off, fresh session per block", () => {
  const seen: SessionOptions[] = [];
  const [b] = collectBlocks(MD, "d.md");
  const r = runBlock(b, fake(seen));
  assert.ok(r.ok, r.report);
  assert.equal(seen.length, 1);
  assert.equal(seen[0].echo, true);
  assert.equal(seen[0].trace, false);
});

Deno.test("runBlock: a mismatch fails with a unified diff located at the doc line", () => {
  const md = "text\n```vmtopo\nvmtopo> abc\nabc\n```\n";
  const [b] = collectBlocks(md, "d.md");
  const r = runBlock(b, fake());
  assert.ok(!r.ok);
  assert.match(r.report, /^--- d\.md:2 \(expected\)/);
  assert.match(r.report, /@@ -3,2 \+3,2 @@/);
  assert.ok(r.report.includes("-abc") && r.report.includes("+ABC"));
});

Deno.test("runBlock: REPL commands (help NAME) behave as in the REPL", () => {
  const [b] = collectBlocks("```vmtopo\nvmtopo> help KVM_RUN\nhelp for KVM_RUN\n```\n", "d.md");
  assert.ok(runBlock(b, fake()).ok);
});

Deno.test("runBlock: a vmt script runs with echo off and stopOnError, and fails when not ok", () => {
  const seen: SessionOptions[] = [];
  const [ok] = collectBlocks("```vmt\nfine\n```\n", "d.md");
  assert.ok(runBlock(ok, fake(seen)).ok);
  assert.equal(seen[0].echo, false);
  assert.equal(seen[0].stopOnError, true);
  const [bad] = collectBlocks("```vmt\nboom\n```\n", "d.md");
  // The fake sees the leading newlines that align lines with the doc, so "boom" is not matched:
  // use a fake that fails on anything instead.
  const failing = () => ({
    ...fake()({}),
    run: () => ({ lines: ["e"], ok: false, diagnostics: [], passed: 0, failed: 1 }),
  });
  const r = runBlock(bad, failing);
  assert.ok(!r.ok);
  assert.match(r.report, /1 expectation\(s\) failed/);
});

Deno.test("updateMarkdown rewrites only the output of mismatching transcripts, keeping indentation", () => {
  const md =
    "- item\n\n  ```vmtopo\n  vmtopo> abc\n  old\n\n  vmtopo> ok\n  OK\n  ```\n\n```vmtopo\nvmtopo> q\nQ\n```\n";
  const results = collectBlocks(md, "d.md").map((b) => runBlock(b, fake()));
  assert.deepEqual(results.map((r) => r.ok), [false, true]);
  const next = updateMarkdown(md, results);
  assert.equal(next, md.replace("  old\n", "  ABC\n"));
  const again = collectBlocks(next, "d.md").map((b) => runBlock(b, fake()));
  assert.ok(again.every((r) => r.ok), "an updated doc passes");
});

Deno.test("runBlock with the real Session: a KVM transcript runs and a wrong answer is reported", () => {
  const md =
    "```vmtopo\nvmtopo> guest vm1 { vcpus 1 }\nvmtopo> ioctl vmm:/dev/kvm KVM_GET_API_VERSION()\n= 12\n```\n";
  const [b] = collectBlocks(md, "d.md");
  const r = runBlock(b);
  assert.ok(r.ok, r.report);
  const [wrong] = collectBlocks(md.replace("= 12", "= 13"), "d.md");
  const r2 = runBlock(wrong);
  assert.ok(!r2.ok);
  assert.ok(r2.report.includes("+= 12"));
});
