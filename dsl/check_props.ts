/**
 * The shape a declaration property's value must have, kept apart from the
 * name resolution of checker.ts: `memory` takes a size, `mac` a MAC address,
 * `device` a PCI address, `start` a boolean.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { propShapeMismatch } from "./check_props.ts";
 * const d = parse('guest vm1 { memory "lots" }', "t.vmt").program.body[0] as import("./ast.ts").Decl;
 * console.log(propShapeMismatch({ name: "memory", type: "size" }, d.props[0]!.value!)); // "a size (e.g. `4G`)"
 * ```
 * @module
 */
import type * as A from "./ast.ts";
import type { PropSpec } from "./vocabulary.ts";

/** The words a boolean property takes. */
export const BOOL_WORDS: ReadonlySet<string> = new Set(["true", "false", "on", "off", "yes", "no"]);

const NOT_A_NUMBER = new Set([
  "String",
  "Bytes",
  "Mac",
  "Bdf",
  "Path",
  "Duration",
  "Struct",
  "List",
  "Range",
]);
const BDF = /^(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;

/**
 * What the value of property `ps` should have been ("a number", "a MAC
 * address (…)", …), or undefined when its shape fits. Names (`ident`) and
 * flags are the checker's to judge.
 *
 * @example
 * ```ts
 * import { propShapeMismatch } from "./check_props.ts";
 * const on = { kind: "Ref", parts: [{ text: "on" }] } as never;
 * console.log(propShapeMismatch({ name: "start", type: "bool" }, on)); // undefined
 * ```
 */
export function propShapeMismatch(ps: PropSpec, v: A.Expr): string | undefined {
  const single = v.kind === "Ref" && v.parts.length === 1 ? v.parts[0]!.text : undefined;
  switch (ps.type) {
    case "int":
    case "size":
      if (!NOT_A_NUMBER.has(v.kind)) return undefined;
      return ps.type === "size" ? "a size (e.g. `4G`)" : "a number";
    case "string":
      return v.kind === "String" || v.kind === "Path" ? undefined : "a string";
    case "mac":
      return v.kind === "Mac" ? undefined : "a MAC address (e.g. `52:54:00:12:34:56`)";
    case "bdf":
      return v.kind === "Bdf" || (v.kind === "String" && BDF.test(v.value))
        ? undefined
        : "a PCI address (e.g. `0000:01:00.0`)";
    case "bool":
      return (single && BOOL_WORDS.has(single)) || (v.kind === "Int" && v.value <= 1n)
        ? undefined
        : "`true` or `false`";
    default:
      return undefined;
  }
}
