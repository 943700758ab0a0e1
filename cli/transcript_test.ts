import assert from "node:assert/strict";
import { normalizeOutput, outputMatches, parseTranscript, renderTranscript } from "./transcript.ts";

Deno.test("parseTranscript: `vmtopo> ` starts an entry, `...> ` continues it, other lines are output", () => {
  const t = parseTranscript([
    "vmtopo> for i in 0..2 {",
    "...>   i",
    "...> }",
    "0",
    "1",
    "",
    "vmtopo> 7",
    "7",
  ]);
  assert.equal(t.length, 2);
  assert.equal(t[0].input, "for i in 0..2 {\n  i\n}");
  assert.deepEqual(t[0].expected, ["0", "1"]);
  assert.equal(t[0].trailingBlank, 1);
  assert.deepEqual(t[1].expected, ["7"]);
});

Deno.test("parseTranscript: a `...> ` line after output is output, not a continuation", () => {
  const t = parseTranscript(["vmtopo> x", "out", "...> y"]);
  assert.deepEqual(t[0].expected, ["out", "...> y"]);
});

Deno.test("outputMatches trims trailing spaces and trailing blank lines", () => {
  assert.ok(outputMatches(["a  ", "b"], ["a", "b", ""]));
  assert.ok(!outputMatches(["a"], ["a", "b"]));
  assert.deepEqual(normalizeOutput(["x \ny", ""]), ["x", "y"]);
});

Deno.test("outputMatches: `(re)` lines are anchored regular expressions (cram)", () => {
  assert.ok(outputMatches(["fd = \\d+ (re)"], ["fd = 12"]));
  assert.ok(!outputMatches(["fd = \\d+ (re)"], ["fd = 12 extra"]));
  assert.ok(!outputMatches(["[ (re)"], ["["]), "a bad regex never matches");
});

Deno.test("outputMatches: `...` matches any number of lines, including none", () => {
  assert.ok(outputMatches(["a", "...", "z"], ["a", "z"]));
  assert.ok(outputMatches(["a", "...", "z"], ["a", "b", "c", "z"]));
  assert.ok(!outputMatches(["a", "...", "z"], ["a", "b"]));
  assert.ok(outputMatches(["..."], []));
});

Deno.test("renderTranscript round-trips and substitutes actual output per entry", () => {
  const src = ["vmtopo> 1", "1", "", "vmtopo> 2", "...> + 1", "9"];
  const t = parseTranscript(src);
  assert.deepEqual(renderTranscript(t), src);
  assert.deepEqual(renderTranscript(t, [undefined, ["3"]]), [
    "vmtopo> 1",
    "1",
    "",
    "vmtopo> 2",
    "...> + 1",
    "3",
  ]);
});
