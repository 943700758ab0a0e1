import assert from "node:assert/strict";
import fc from "fast-check";
import { formatProgram, format } from "../formatter.ts";
import { parse } from "../parser.ts";
import { arbProgram } from "../testdata/arbitrary.ts";
import { stripSpans } from "../testdata/strip.ts";
Deno.test("big", () => {
  fc.assert(fc.property(arbProgram, (p) => {
    const text = formatProgram(p);
    const r = parse(text, "gen.vmt");
    assert.deepEqual(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message), [], text);
    assert.deepEqual(stripSpans(r.program.body), stripSpans(p.body), text);
    const once = format(text, "g").output;
    assert.equal(format(once, "g").output, once);
  }), { numRuns: 5000 });
});
