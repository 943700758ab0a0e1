/**
 * Expression evaluation: exact 64-bit integer arithmetic on bigint, names
 * resolved as variables, declared objects, field-scoped flag names and global
 * constants; ioctl, hcall, open and builtin calls go through the same kernel
 * dispatch as everything else.
 *
 * @example
 * ```ts
 * import { fitsU64 } from "./eval.ts";
 * console.log(fitsU64(1n << 64n)); // false
 * ```
 * @module
 */
import type { Args, Expr, HcallExpr, IoctlExpr, Ref, Span } from "../ast.ts";
import { suggest } from "../suggest.ts";
import { RuntimeError } from "./errors.ts";
import { constantValue, shortNames } from "../../stdlib/vocabulary.ts";
import { errnoName, strerror } from "../../runtime/include/uapi/asm-generic/errno.ts";
import type {
  EnumSet,
  FieldInputRecord,
  FlagSet,
  StructDef,
  StructValue,
} from "../../runtime/kernel/layout.ts";
import { hex, kindOf, Rec, type Value, valuesEqual } from "../../runtime/vmm/value.ts";
import type { Vmm } from "../../runtime/vmm/vmm.ts";

/** Short-name maps of flag/enum sets, built once per set. */
const SCOPES = new WeakMap<FlagSet | EnumSet, Map<string, bigint>>();

/**
 * The short names of a flag or enum set in scope while evaluating its field
 * (`READ | WRITE` for a flags field), built once per set.
 *
 * @example
 * ```ts
 * import { scopeNames } from "./eval.ts";
 * console.log(scopeNames({ values: [["ONE", 1n]] } as never).get("ONE")); // 1n
 * ```
 */
export function scopeNames(set: FlagSet | EnumSet): Map<string, bigint> {
  let names = SCOPES.get(set);
  if (!names) {
    names = new Map(("bits" in set ? set.bits : set.values).map(([n, v]) => [n, v]));
    SCOPES.set(set, names);
  }
  return names;
}

/** What the evaluator needs from its session. */
export interface Env {
  vmm(span: Span | undefined): Vmm;
  vars: Map<string, Value>;
  print(line: string): void;
  echo: boolean;
}

/** The evaluation of calls: ioctl, hcall, open, builtins. */
export interface CallHandlers {
  ioctl(ev: Evaluator, e: IoctlExpr): CallOutcome;
  hcall(ev: Evaluator, e: HcallExpr): CallOutcome;
  open(ev: Evaluator, procName: string, path: string, pspan: Span, span: Span): Value;
  call(ev: Evaluator, name: string, args: Args, span: Span, nameSpan: Span): Value;
}

/** The outcome of an ioctl or hcall: the raw return and the expression's value. */
export interface CallOutcome {
  kind: "ioctl" | "hcall";
  ret: bigint;
  value: Value;
  /** How to print the return (errno or hcall names). */
  retText: string;
  /** A one-line echo of the call for the transcript (built on demand). */
  echo: () => string;
}

const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);

/**
 * Whether a value fits the language's 64-bit range [-2^63, 2^64).
 *
 * @example
 * ```ts
 * console.log(fitsU64(-1n)); // true
 * ```
 */
export function fitsU64(v: bigint): boolean {
  return v >= S64_MIN && v <= U64_MAX;
}

/**
 * Text of an ioctl return value: `0`, `4`, `-EBUSY (Device or resource busy)`.
 *
 * @example
 * ```ts
 * console.log(ioctlRetText(-16n)); // "-EBUSY (Device or resource busy)"
 * ```
 */
export function ioctlRetText(r: bigint): string {
  return r < 0n ? `-${errnoName(Number(r))} (${strerror(Number(r))})` : r.toString();
}

// `a`, `a.b`, `a.b.c` of a dotted reference, computed once per AST node:
// object lookups such as `vm1.cpu0` run in hot loops.
const PREFIXES = new WeakMap<Ref, string[]>();
function dottedPrefixes(e: Ref): string[] {
  let p = PREFIXES.get(e);
  if (!p) {
    p = e.parts.map((_, i) => e.parts.slice(0, i + 1).map((q) => q.text).join("."));
    PREFIXES.set(e, p);
  }
  return p;
}

/** Evaluates expressions against a session. */
export class Evaluator {
  readonly env: Env;
  /** Short flag names visible while evaluating a field (`flags: READ | WRITE`). */
  #scope: Map<string, bigint> | undefined;
  /** The outcome of the last ioctl/hcall evaluated (for `=> RESULT`). */
  last: CallOutcome | undefined;

  /** How calls are carried out (calls.ts; injected to keep imports one-way). */
  readonly calls: CallHandlers;

  constructor(env: Env, calls: CallHandlers) {
    this.env = env;
    this.calls = calls;
  }

  /** Evaluate one expression. */
  eval(e: Expr): Value {
    switch (e.kind) {
      case "Int":
        return e.value;
      case "Duration":
        return e.ns;
      case "String":
        return e.value;
      case "Bytes":
      case "Mac":
        return e.value;
      case "Bdf":
        return e.value;
      case "Path":
        return e.value;
      case "Ref":
        return this.ref(e);
      case "Unary":
        return this.unary(e.op, this.eval(e.operand), e.span);
      case "Binary":
        return this.binary(e);
      case "Struct":
        return new Rec(Object.fromEntries(e.fields.map((f) => [f.name.text, this.eval(f.value)])));
      case "List":
        return e.items.map((i) => this.eval(i));
      case "Range": {
        const a = this.int(this.eval(e.from), e.from.span),
          b = this.int(this.eval(e.to), e.to.span);
        if (b - a > 1_000_000n) {
          throw new RuntimeError("VT0211", "range too long (over 1,000,000 values)", e.span);
        }
        const out: bigint[] = [];
        for (let i = a; i < b; i++) out.push(i);
        return out;
      }
      case "Call":
        return this.call(e.callee.text, e.args, e.span, e.callee.span);
      case "Ioctl": {
        const o = this.ioctl(e);
        this.last = o;
        return o.value;
      }
      case "Hcall": {
        const o = this.hcall(e);
        this.last = o;
        return o.value;
      }
      case "Open":
        return this.open(e.process.text, e.path.value, e.process.span, e.span);
    }
  }

  /** Evaluate to an integer (booleans count as 0/1). */
  int(v: Value, span: Span | undefined): bigint {
    if (typeof v === "bigint") return v;
    if (typeof v === "boolean") return v ? 1n : 0n;
    throw new RuntimeError("VT0204", `expected an integer, found ${kindOf(v)}`, span);
  }

  #checked(v: bigint, span: Span): bigint {
    if (!fitsU64(v)) {
      throw new RuntimeError("VT0211", `result ${hex(v)} does not fit in 64 bits`, span, {
        help: "values range from -2^63 to 2^64-1",
      });
    }
    return v;
  }

  unary(op: string, v: Value, span: Span): Value {
    if (op === "!") return !truthy(v);
    const x = this.int(v, span);
    if (op === "-") return this.#checked(-x, span);
    return BigInt.asUintN(64, ~x);
  }

  binary(e: Extract<Expr, { kind: "Binary" }>): Value {
    if (e.op === "&&") return truthy(this.eval(e.left)) && truthy(this.eval(e.right));
    if (e.op === "||") return truthy(this.eval(e.left)) || truthy(this.eval(e.right));
    const l = this.eval(e.left), r = this.eval(e.right);
    if (e.op === "==") return valuesEqual(l, r);
    if (e.op === "!=") return !valuesEqual(l, r);
    const a = this.int(l, e.left.span), b = this.int(r, e.right.span);
    switch (e.op) {
      case "<":
        return a < b;
      case "<=":
        return a <= b;
      case ">":
        return a > b;
      case ">=":
        return a >= b;
      case "|":
        return BigInt.asUintN(64, a) | BigInt.asUintN(64, b);
      case "&":
        return BigInt.asUintN(64, a) & BigInt.asUintN(64, b);
      case "^":
        return BigInt.asUintN(64, a) ^ BigInt.asUintN(64, b);
      case "<<":
        if (b < 0n || b > 63n) {
          throw new RuntimeError("VT0211", `shift by ${b} (must be 0..63)`, e.right.span);
        }
        return this.#checked(a << b, e.span);
      case ">>":
        if (b < 0n || b > 63n) {
          throw new RuntimeError("VT0211", `shift by ${b} (must be 0..63)`, e.right.span);
        }
        return a >> b;
      case "+":
        return this.#checked(a + b, e.span);
      case "-":
        return this.#checked(a - b, e.span);
      case "*":
        return this.#checked(a * b, e.span);
    }
    throw new RuntimeError("VT0207", `operator ${e.op}`, e.span);
  }

  /** Resolve a (dotted) name. */
  ref(e: Ref): Value {
    // Fast path: a plain variable or short name (loop counters in hot loops);
    // the scope's short names come first, as below.
    if (e.parts.length === 1) {
      const name = e.parts[0]!.text;
      const sv = this.#scope?.get(name);
      if (sv !== undefined) return sv;
      const v = this.env.vars.get(name);
      if (v !== undefined) return v;
    }
    const parts = e.parts;
    const first = parts[0]!.text;
    let v: Value | undefined;
    let used = 1;
    if (this.#scope?.has(first)) v = this.#scope.get(first);
    else if (this.env.vars.has(first)) v = this.env.vars.get(first);
    else {
      const objs = this.env.vmm(e.span).objects;
      const prefixes = dottedPrefixes(e);
      for (let n = parts.length; n >= 1 && v === undefined; n--) {
        const o = objs.get(prefixes[n - 1]!);
        if (o) {
          v = o;
          used = n;
        }
      }
      if (v === undefined) {
        const c = constantValue(first);
        if (c !== undefined) v = c;
      }
    }
    if (v === undefined) {
      const cands = [
        ...this.env.vars.keys(),
        ...this.env.vmm(e.span).objects.keys(),
        ...(this.#scope?.keys() ?? []),
      ];
      const s = suggest(first, cands);
      throw new RuntimeError("VT0205", `unknown name \`${first}\``, e.parts[0]!.span, {
        ...(s.length ? { help: `did you mean \`${s[0]}\`?` } : {}),
      });
    }
    for (let i = used; i < parts.length; i++) {
      const f = parts[i]!.text;
      if (v instanceof Rec && f in v.fields) v = v.fields[f]!;
      else {
        const fields = v instanceof Rec ? Object.keys(v.fields) : [];
        const s = suggest(f, fields);
        throw new RuntimeError("VT0205", `${kindOf(v!)} has no field \`${f}\``, e.parts[i]!.span, {
          ...(s.length
            ? { help: `did you mean \`${s[0]}\`?` }
            : fields.length
            ? { help: `fields: ${fields.join(", ")}` }
            : {}),
        });
      }
    }
    return v!;
  }

  /** Evaluate with the short names of a flag/enum set in scope. */
  withScope<T>(set: FlagSet | EnumSet | undefined, f: () => T): T {
    return set ? this.withNames(scopeNames(set), f) : f();
  }

  /**
   * Evaluate `e` as an integer with `names` (from scopeNames) in scope:
   * `withScope` without a closure, for argument lists of hot-loop calls.
   */
  intIn(names: Map<string, bigint> | undefined, e: Expr): bigint {
    if (!names) return this.int(this.eval(e), e.span);
    const prev = this.#scope;
    this.#scope = names;
    try {
      return this.int(this.eval(e), e.span);
    } finally {
      this.#scope = prev;
    }
  }

  /** Evaluate with extra short names in scope. */
  withNames<T>(names: Map<string, bigint>, f: () => T): T {
    const prev = this.#scope;
    this.#scope = names;
    try {
      return f();
    } finally {
      this.#scope = prev;
    }
  }

  ioctl(e: IoctlExpr): CallOutcome {
    return this.calls.ioctl(this, e);
  }

  hcall(e: HcallExpr): CallOutcome {
    return this.calls.hcall(this, e);
  }

  open(procName: string, path: string, pspan: Span, span: Span): Value {
    return this.calls.open(this, procName, path, pspan, span);
  }

  call(name: string, args: Args, span: Span, nameSpan: Span): Value {
    return this.calls.call(this, name, args, span, nameSpan);
  }
}

/**
 * Truthiness for `!`, `&&`, `||` and `expect`.
 *
 * @example
 * ```ts
 * console.log(truthy(0n)); // false
 * ```
 */
export function truthy(v: Value): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "string" || v instanceof Uint8Array || Array.isArray(v)) return v.length > 0;
  return true;
}

/** A script value as a struct field input. */
export function toFieldInput(v: Value, span: Span): FieldInputRecord[string] {
  if (typeof v === "bigint" || typeof v === "string" || v instanceof Uint8Array) return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (Array.isArray(v)) return v.map((x) => toFieldInput(x, span));
  if (v instanceof Rec) {
    return Object.fromEntries(Object.entries(v.fields).map(([k, x]) => [k, toFieldInput(x, span)]));
  }
  throw new RuntimeError("VT0204", `a struct field cannot hold ${kindOf(v)}`, span);
}

/**
 * A decoded struct as a script record (arrays of one-field records become lists).
 *
 * @example
 * ```ts
 * // structToRec({argsz: 8n}, def)
 * ```
 */
export function structToRec(v: StructValue, def?: StructDef): Rec {
  const conv = (x: StructValue[string]): Value => {
    if (typeof x === "bigint" || x instanceof Uint8Array) return x;
    if (Array.isArray(x)) {
      return x.map((
        e,
      ) => ("v" in e && Object.keys(e).length === 1 ? e.v as bigint : structToRec(e)));
    }
    return structToRec(x);
  };
  return new Rec(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, conv(x)])), def);
}

export { shortNames };
