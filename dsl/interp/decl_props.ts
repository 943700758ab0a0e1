/**
 * Evaluating a declaration's properties for the runtime: identifiers stay
 * words (`arch ppc64le`, `iommu spapr-tce-v2`), booleans accept on/off,
 * numbers are checked, names of declared objects become references.
 *
 * @example
 * ```ts
 * import { declProps } from "./decl_props.ts";
 * console.log(typeof declProps); // "function"
 * ```
 * @module
 */
import type { Decl } from "../ast.ts";
import type { PropSpec } from "../vocabulary.ts";
import { RuntimeError } from "./errors.ts";
import type { Evaluator } from "./eval.ts";
import { kindOf, type Value } from "../../runtime/vmm/value.ts";

/**
 * The values of a declaration's properties, by name (repeatable ones in order).
 * `isName(word)` tells whether a bare word names a variable or object.
 *
 * @example
 * ```ts
 * // declProps(decl, spec, evaluator, (w) => vars.has(w))
 * ```
 */
export function declProps(
  d: Decl,
  spec: readonly PropSpec[],
  ev: Evaluator,
  isName: (word: string) => boolean,
): Map<string, Value[]> {
  const out = new Map<string, Value[]>();
  for (const p of d.props) {
    const ps = spec.find((s) => s.name === p.name.text);
    let v: Value = true;
    if (p.value) {
      const e = p.value;
      const word = e.kind === "Ref" && e.parts.length === 1 ? e.parts[0]!.text : undefined;
      if (ps?.type === "bool" && word !== undefined) {
        if (!["on", "off", "true", "false", "yes", "no"].includes(word)) {
          throw new RuntimeError(
            "VT0108",
            `\`${p.name.text}\` takes on or off, found \`${word}\``,
            e.span,
          );
        }
        v = ["on", "true", "yes"].includes(word);
      } else if (ps?.type === "ident" && word !== undefined) v = word;
      else if (word !== undefined && !isName(word)) v = word;
      else v = ev.eval(e);
      if ((ps?.type === "int" || ps?.type === "size") && typeof v !== "bigint") {
        throw new RuntimeError(
          "VT0108",
          `\`${p.name.text}\` takes a number, found ${kindOf(v)}`,
          e.span,
        );
      }
    }
    const list = out.get(p.name.text) ?? [];
    list.push(v);
    out.set(p.name.text, list);
  }
  return out;
}
