import assert from "node:assert/strict";
import { unfinishedEntry } from "./entry.ts";

Deno.test("REPL entries: an open bracket continues, an unclosed string does not swallow later lines", () => {
  assert.equal(unfinishedEntry("for i in 0..2 {"), true);
  assert.equal(unfinishedEntry('let s = "{'), false);
  assert.equal(unfinishedEntry('"abc'), false);
  assert.equal(unfinishedEntry("1 # ("), false);
});
