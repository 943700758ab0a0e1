import assert from "node:assert/strict";
import { diffLines, unifiedDiff } from "./diff.ts";

Deno.test("diffLines keeps common lines and marks removed/added ones (diff -u semantics)", () => {
  const ops = diffLines(["a", "b", "c"], ["a", "x", "c"]).map((e) => e.op + e.line);
  assert.deepEqual(ops, [" a", "-b", "+x", " c"]);
});

Deno.test("unifiedDiff is empty for equal inputs and has a hunk header otherwise", () => {
  assert.equal(unifiedDiff(["a"], ["a"]), "");
  const d = unifiedDiff(["1", "2", "3", "4", "5", "6", "7", "8"], [
    "1",
    "2",
    "3",
    "4",
    "X",
    "6",
    "7",
    "8",
  ]);
  const lines = d.split("\n");
  assert.equal(lines[0], "--- expected");
  assert.equal(lines[1], "+++ actual");
  assert.equal(lines[2], "@@ -2,7 +2,7 @@");
  assert.ok(lines.includes("-5") && lines.includes("+X"));
  assert.ok(!lines.includes(" 1"), "only 3 lines of context");
});

Deno.test("unifiedDiff shifts hunk line numbers by aStart (doc line numbers)", () => {
  const d = unifiedDiff(["a"], ["b"], "x", "y", 3, 10);
  assert.match(d, /@@ -10,1 \+10,1 @@/);
});

Deno.test("unifiedDiff separates distant changes into two hunks", () => {
  const a = Array.from({ length: 20 }, (_, i) => String(i));
  const b = [...a];
  b[1] = "X";
  b[18] = "Y";
  assert.equal(unifiedDiff(a, b).split("\n").filter((l) => l.startsWith("@@")).length, 2);
});
