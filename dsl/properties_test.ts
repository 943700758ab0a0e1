import assert from "node:assert/strict";
import fc from "fast-check";
import { check } from "./checker.ts";
import { complete } from "./complete.ts";
import { format, formatProgram } from "./formatter.ts";
import { parse } from "./parser.ts";
import { arbProgram } from "./testdata/arbitrary.ts";
import { stripSpans } from "./testdata/strip.ts";
import { testVocabulary } from "./testdata/vocab.ts";
import { KEYWORDS } from "./tokens.ts";

const vocab = testVocabulary();
const RUNS = { numRuns: 250 };

Deno.test("property: formatProgram(ast) parses back to the same AST", () => {
  fc.assert(
    fc.property(arbProgram, (p) => {
      const text = formatProgram(p);
      const r = parse(text, "gen.vmt");
      assert.deepEqual(
        r.diagnostics.filter((d) => d.severity === "error").map((d) => d.message),
        [],
        text,
      );
      assert.deepEqual(stripSpans(r.program.body), stripSpans(p.body), text);
    }),
    RUNS,
  );
});

Deno.test("property: format is idempotent on generated programs", () => {
  fc.assert(
    fc.property(arbProgram, (p) => {
      const once = format(formatProgram(p), "gen.vmt").output;
      assert.equal(format(once, "gen.vmt").output, once);
    }),
    RUNS,
  );
});

const soup = fc.array(
  fc.constantFrom(
    ...KEYWORDS,
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    ";",
    ".",
    "..",
    "=>",
    "=",
    "==",
    "<",
    "<<",
    "|",
    "&",
    "-",
    "!",
    "vm1",
    "x",
    "0x10",
    "4K",
    "10ms",
    '"s"',
    '"open',
    'x"de"',
    "52:54:00:12:34:56",
    "01:00.0",
    "/dev/kvm",
    "# c",
    "\n",
    " ",
    "@",
    "H_PUT_TCE",
    "vmm:5",
  ),
  { maxLength: 40 },
).map((xs) => xs.join(" "));

Deno.test("property: parse, check, format and complete never throw", () => {
  fc.assert(
    fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), soup), (text) => {
      const r = parse(text, "f.vmt");
      check(r.program, vocab, { resolveInclude: () => false });
      format(text, "f.vmt");
      complete(text, text.length, vocab, ["vm1"]);
      for (const d of r.diagnostics) {
        assert.doesNotMatch(d.message, /Expecting|token of type|-->/);
        assert.ok(d.span.line >= 1 && d.span.col >= 1);
      }
    }),
    { numRuns: 300 },
  );
});

Deno.test("property: formatting parsed token soups keeps their AST", () => {
  fc.assert(
    fc.property(soup, (text) => {
      const r = parse(text, "f.vmt");
      if (r.diagnostics.some((d) => d.severity === "error")) return;
      const out = format(text, "f.vmt").output;
      assert.deepEqual(
        stripSpans(parse(out, "f.vmt").program.body),
        stripSpans(r.program.body),
        out,
      );
      assert.equal(format(out, "f.vmt").output, out);
    }),
    { numRuns: 300 },
  );
});
