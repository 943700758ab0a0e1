import { format } from "../formatter.ts";
const src = Deno.args[0] ?? await Deno.readTextFile("/work/main/dsl/.scratch/ex.vmt");
const r = format(src, "t.vmt");
console.log(r.output + "-----");
const r2 = format(r.output, "t.vmt");
console.log(r2.output === r.output ? "IDEMPOTENT" : "NOT IDEMPOTENT:\n" + r2.output);
for (const d of r.diagnostics) console.log(d.message);
