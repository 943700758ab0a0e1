/**
 * Values a script computes and hands to the VMM, builtins and declarations:
 * exact integers (bigint), strings, booleans, byte strings, lists, records
 * (struct results) and references to declared objects.
 *
 * @example
 * ```ts
 * import { Rec, showValue } from "./value.ts";
 * console.log(showValue(new Rec({ fd: 5n }))); // "{fd: 5}"
 * ```
 * @module
 */
import type { StructDef } from "../kernel/layout.ts";

/** A record, e.g. the struct an ioctl wrote back. */
export class Rec {
  readonly fields: Record<string, Value>;
  readonly struct: StructDef | undefined;
  constructor(fields: Record<string, Value>, struct?: StructDef) {
    this.fields = fields;
    this.struct = struct;
  }
}

/** A reference to something declared (guest, vCPU, container, device, process…). */
export class Obj {
  readonly kind: string;
  readonly name: string;
  /** The VMM-side state of the object. */
  readonly impl: unknown;
  constructor(kind: string, name: string, impl: unknown) {
    this.kind = kind;
    this.name = name;
    this.impl = impl;
  }
}

/** Any script value. */
export type Value = bigint | string | boolean | Uint8Array | Value[] | Rec | Obj;

/**
 * Print a value as a script would write it.
 *
 * @example
 * ```ts
 * console.log(showValue(255n), showValue(new Uint8Array([1, 2]))); // "255" "x\"01 02\""
 * ```
 */
export function showValue(v: Value): string {
  if (typeof v === "bigint") return v > 0xffffn || v < -0xffffn ? hex(v) : v.toString();
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "boolean") return v ? "true" : "false";
  if (v instanceof Uint8Array) {
    const shown = Array.from(v.subarray(0, 64), (b) => b.toString(16).padStart(2, "0")).join(" ");
    return `x"${shown}${v.length > 64 ? ` …(${v.length} bytes)` : ""}"`;
  }
  if (Array.isArray(v)) return `[${v.map(showValue).join(", ")}]`;
  if (v instanceof Rec) {
    return `{${Object.entries(v.fields).map(([k, x]) => `${k}: ${showValue(x)}`).join(", ")}}`;
  }
  return `${v.kind} ${v.name}`;
}

/**
 * Hex with sign.
 *
 * @example
 * ```ts
 * console.log(hex(-16n)); // "-0x10"
 * ```
 */
export function hex(v: bigint): string {
  return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
}

/**
 * Structural equality used by `expect a == b`.
 *
 * @example
 * ```ts
 * console.log(valuesEqual(new Uint8Array([1]), new Uint8Array([1]))); // true
 * ```
 */
export function valuesEqual(a: Value, b: Value): boolean {
  const scalar = (x: Value): x is bigint | boolean =>
    typeof x === "bigint" || typeof x === "boolean";
  if (scalar(a) && scalar(b)) return BigInt(a) === BigInt(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((x, i) => x === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => valuesEqual(x, b[i]!));
  }
  if (a instanceof Rec && b instanceof Rec) {
    const ka = Object.keys(a.fields), kb = Object.keys(b.fields);
    return ka.length === kb.length &&
      ka.every((k) => k in b.fields && valuesEqual(a.fields[k]!, b.fields[k]!));
  }
  if (a instanceof Obj && b instanceof Obj) return a.impl === b.impl;
  return a === b;
}

/**
 * A value's kind in words, for error messages.
 *
 * @example
 * ```ts
 * console.log(kindOf("x")); // "a string"
 * ```
 */
export function kindOf(v: Value): string {
  if (typeof v === "bigint") return "an integer";
  if (typeof v === "string") return "a string";
  if (typeof v === "boolean") return "a boolean";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return "a list";
  if (v instanceof Rec) return "a record";
  return `${v.kind} \`${v.name}\``;
}
