import { parse } from "../parser.ts";
import { check } from "../checker.ts";
import { renderDiagnostic } from "../diagnostic.ts";
import { testVocabulary } from "../testdata/vocab.ts";
const src = Deno.args[0] ?? await Deno.readTextFile("/work/main/dsl/.scratch/ex.vmt");
const r = parse(src, "t.vmt");
const ds = [...r.diagnostics, ...check(r.program, testVocabulary())];
for (const d of ds) console.log(renderDiagnostic(d, () => src, { color: false }));
