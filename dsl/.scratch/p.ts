import { parse } from "../parser.ts";
const src = Deno.args[0] ?? await Deno.readTextFile("/work/main/dsl/.scratch/ex.vmt");
const r = parse(src, "t.vmt");
console.log(
  JSON.stringify(
    r.program.body,
    (k, v) =>
      k === "span"
        ? undefined
        : typeof v === "bigint"
        ? v.toString() + "n"
        : v instanceof Uint8Array
        ? [...v]
        : v,
    0,
  ),
);
for (const d of r.diagnostics) {
  console.log(d.code, d.span.line + ":" + d.span.col, d.message, d.help ?? "");
}
