/**
 * Test helper: an AST with every `span` removed, for structural comparison.
 *
 * @example
 * ```ts
 * import { stripSpans } from "./strip.ts";
 * console.log(stripSpans({ kind: "Int", span: 1 })); // { kind: "Int" }
 * ```
 * @module
 */
export function stripSpans(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripSpans);
  if (v instanceof Uint8Array) return [...v];
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== "span") out[k] = stripSpans(x);
    return out;
  }
  return v;
}
