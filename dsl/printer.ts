/**
 * Prints expressions and single-line statement heads in canonical style:
 * single spaces around binary operators, `name: value` fields, `, `
 * separators, literals as written, and only the parentheses precedence needs.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { printExpr } from "./printer.ts";
 * const s = parse("expect (a|b)&c", "t").program.body[0];
 * if (s.kind === "Expect") console.log(printExpr(s.cond)); // "(a | b) & c"
 * ```
 * @module
 */
import type * as A from "./ast.ts";

const PREC: Record<A.BinaryOp, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 3,
  "<=": 3,
  ">": 3,
  ">=": 3,
  "|": 4,
  "^": 5,
  "&": 6,
  "<<": 7,
  ">>": 7,
  "+": 8,
  "-": 8,
  "*": 9,
};
const UNARY = 10;
/**
 * Precedence a primary expression needs (used for show arguments, ranges, fds).
 *
 * @example
 * ```ts
 * import { PRIMARY } from "./printer.ts";
 * console.log(PRIMARY); // 11
 * ```
 */
export const PRIMARY = 11;

function precOf(e: A.Expr): number {
  if (e.kind === "Binary") return PREC[e.op];
  if (e.kind === "Unary") return UNARY;
  if (e.kind === "Range") return 0;
  return PRIMARY;
}

/**
 * Prints an expression; wraps it in parentheses when its precedence is below `min`.
 *
 * @example
 * ```ts
 * import { printExpr } from "./printer.ts";
 * const one = { kind: "Int", value: 1n, raw: "1", span: { file: "", start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 } } as const;
 * console.log(printExpr({ kind: "Unary", op: "-", operand: one, span: one.span })); // "-1"
 * ```
 */
export function printExpr(e: A.Expr, min = 0): string {
  const s = printInner(e);
  return precOf(e) < min ? `(${s})` : s;
}

function printInner(e: A.Expr): string {
  switch (e.kind) {
    case "Int":
    case "Duration":
    case "String":
    case "Bytes":
    case "Mac":
    case "Bdf":
      return e.raw;
    case "Path":
      return e.value;
    case "Ref":
      return e.parts.map((p) => p.text).join(".");
    case "Unary":
      return e.op + printExpr(e.operand, UNARY);
    case "Binary": {
      const p = PREC[e.op];
      const leftMin = p === 3 ? p + 1 : p;
      return `${printExpr(e.left, leftMin)} ${e.op} ${printExpr(e.right, p + 1)}`;
    }
    case "Range":
      return `${printRangeStart(e.from, PRIMARY)}..${printExpr(e.to, PRIMARY)}`;
    case "Struct":
      return e.fields.length ? `{${e.fields.map(printField).join(", ")}}` : "{}";
    case "List":
      return `[${e.items.map((x) => printExpr(x)).join(", ")}]`;
    case "Call":
      return `${e.callee.text}(${printArgs(e.args)})`;
    case "Ioctl":
      return `ioctl ${printTarget(e.target)} ${e.name.text}(${printArgs(e.args)})`;
    case "Hcall":
      return `hcall ${printExpr(e.vcpu)} ${e.name.text}(${printArgs(e.args)})`;
    case "Open":
      return `open ${e.process.text} ${e.path.kind === "Path" ? e.path.value : e.path.raw}`;
  }
}

/** A path swallows a following `..`, so a range start that ends in a path gets parentheses. */
function endsWithPath(e: A.Expr): boolean {
  if (e.kind === "Path") return true;
  if (e.kind === "Binary") return endsWithPath(e.right);
  if (e.kind === "Unary") return endsWithPath(e.operand);
  if (e.kind === "Open") return e.path.kind === "Path";
  return false;
}

/**
 * Prints the start of a range (`A` in `A..B`).
 *
 * @example
 * ```ts
 * import { printRangeStart } from "./printer.ts";
 * const sp = { file: "", start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
 * console.log(printRangeStart({ kind: "Path", value: "/dev/kvm", span: sp })); // "(/dev/kvm)"
 * ```
 */
export function printRangeStart(e: A.Expr, min = 0): string {
  const s = printExpr(e, min);
  return endsWithPath(e) && precOf(e) >= min ? `(${s})` : s;
}

function printField(f: A.FieldInit): string {
  return `${f.name.text}: ${printExpr(f.value)}`;
}

/**
 * Prints call arguments: positional first, then `name: value`.
 *
 * @example
 * ```ts
 * import { printArgs } from "./printer.ts";
 * console.log(printArgs({ positional: [], named: [], span: { file: "", start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 } })); // ""
 * ```
 */
export function printArgs(a: A.Args): string {
  return [...a.positional.map((x) => printExpr(x)), ...a.named.map(printField)].join(", ");
}

/**
 * Prints an ioctl target: `vm1`, `vmm:/dev/kvm`, `vmm:5`.
 *
 * @example
 * ```ts
 * import { printTarget } from "./printer.ts";
 * const sp = { file: "", start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
 * console.log(printTarget({ kind: "ProcPath", process: { text: "vmm", span: sp },
 *   path: { kind: "Path", value: "/dev/kvm", span: sp }, span: sp })); // "vmm:/dev/kvm"
 * ```
 */
export function printTarget(t: A.Target): string {
  if (t.kind === "RefTarget") return printExpr(t.ref);
  if (t.kind === "ProcPath") return `${t.process.text}:${t.path.value}`;
  return `${t.process.text}:${printExpr(t.fd, PRIMARY)}`;
}

/**
 * Prints one property: `memory 4G`, or the bare name of a flag.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { printProperty } from "./printer.ts";
 * const d = parse("guest vm1 { memory 4G }", "t").program.body[0];
 * if (d.kind === "Decl") console.log(printProperty(d.props[0])); // "memory 4G"
 * ```
 */
export function printProperty(p: A.Property): string {
  return p.value ? `${p.name.text} ${printExpr(p.value)}` : p.name.text;
}

/**
 * The head of a declaration up to (not including) `{`: `device net0 vdpa-net`, `host`.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { declHead } from "./printer.ts";
 * const d = parse("host { arch ppc64le }", "t").program.body[0];
 * if (d.kind === "Decl") console.log(declHead(d)); // "host"
 * ```
 */
export function declHead(d: A.Decl): string {
  const parts = [d.keyword.text];
  if (!(d.keyword.text === "host" && d.name.text === "host")) parts.push(d.name.text);
  if (d.type) parts.push(d.type.text);
  return parts.join(" ");
}

/**
 * Prints a single-line statement (not a multi-line block); `undefined` for
 * declarations and `for` loops, which the formatter lays out itself.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { printSimpleStmt } from "./printer.ts";
 * console.log(printSimpleStmt(parse("let x=1+2", "t").program.body[0])); // "let x = 1 + 2"
 * ```
 */
export function printSimpleStmt(s: A.Stmt): string | undefined {
  switch (s.kind) {
    case "Let":
      return `let ${s.name.text} = ${printExpr(s.value)}`;
    case "Expect":
      return `expect ${printExpr(s.cond)}`;
    case "Advance":
      return `advance ${printExpr(s.amount)}`;
    case "Show":
      return ["show", ...s.args.map((a) => printExpr(a, a.kind === "Range" ? 0 : PRIMARY))].join(
        " ",
      );
    case "Include":
      return `include ${s.path.raw}`;
    case "ExprStmt":
      return s.expected ? `${printExpr(s.expr)} => ${printExpr(s.expected)}` : printExpr(s.expr);
    default:
      return undefined;
  }
}
