/**
 * The topology language's abstract syntax tree. Every node carries the source
 * span of the text it came from, so diagnostics can underline the exact culprit
 * and the formatter can keep comments where they were.
 *
 * @example
 * ```ts
 * import type { Program } from "./ast.ts";
 * const empty: Program = { kind: "Program", file: "x.vmt", body: [], comments: [],
 *   span: { file: "x.vmt", start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 } };
 * console.log(empty.body.length); // 0
 * ```
 * @module
 */

/** A half-open range of source text; lines and columns are 1-based. */
export interface Span {
  file: string;
  /** Offset of the first character. */
  start: number;
  /** Offset one past the last character. */
  end: number;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
}

/** A `#` comment, kept so the formatter can put it back. */
export interface Comment {
  text: string;
  span: Span;
}

/** An identifier as written, with where it was written. */
export interface Name {
  text: string;
  span: Span;
}

// ---------------------------------------------------------------- expressions

/** An integer literal: decimal, hex, binary, with `_` and size suffixes (4K). */
export interface IntLit {
  kind: "Int";
  value: bigint;
  /** The literal's text as written, so `fmt` keeps `0x1000` and `4K`. */
  raw: string;
  span: Span;
}

/** A duration literal such as `10ms`; value in nanoseconds. */
export interface DurationLit {
  kind: "Duration";
  ns: bigint;
  raw: string;
  span: Span;
}

/** A double-quoted string; `value` has escapes resolved. */
export interface StringLit {
  kind: "String";
  value: string;
  raw: string;
  span: Span;
}

/** A byte-string literal `x"de ad be ef"`. */
export interface BytesLit {
  kind: "Bytes";
  value: Uint8Array;
  raw: string;
  span: Span;
}

/** A MAC address literal `52:54:00:12:34:56`. */
export interface MacLit {
  kind: "Mac";
  value: Uint8Array;
  raw: string;
  span: Span;
}

/** A PCI address literal `0001:01:00.0` (domain optional). */
export interface BdfLit {
  kind: "Bdf";
  /** Canonical `dddd:bb:dd.f` form. */
  value: string;
  raw: string;
  span: Span;
}

/** A path such as `vmm:/dev/kvm` or `/dev/vfio/12`. */
export interface PathLit {
  kind: "Path";
  value: string;
  span: Span;
}

/** A name reference, possibly dotted: `vm1`, `vm1.cpu0`, `info.ddw.pgsizes`. */
export interface Ref {
  kind: "Ref";
  parts: Name[];
  span: Span;
}

/** `-x`, `~x`, `!x`. */
export interface Unary {
  kind: "Unary";
  op: "-" | "~" | "!";
  operand: Expr;
  span: Span;
}

/** Binary operators, listed from lowest to highest precedence group. */
export type BinaryOp =
  | "||"
  | "&&"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "|"
  | "^"
  | "&"
  | "<<"
  | ">>"
  | "+"
  | "-"
  | "*";

/** `a OP b`. */
export interface Binary {
  kind: "Binary";
  op: BinaryOp;
  left: Expr;
  right: Expr;
  span: Span;
}

/** One field of a struct literal or one named argument: `flags: READ | WRITE`. */
export interface FieldInit {
  name: Name;
  value: Expr;
  span: Span;
}

/** `{ argsz: 32, flags: READ }`. */
export interface StructLit {
  kind: "Struct";
  fields: FieldInit[];
  span: Span;
}

/** `[1, 2, {…}]`. */
export interface ListLit {
  kind: "List";
  items: Expr[];
  span: Span;
}

/** Arguments of a call: positional, named, or (rarely) both. */
export interface Args {
  positional: Expr[];
  named: FieldInit[];
  span: Span;
}

/** A builtin/stdlib function call `memread(vm1, 0x1000, 16)`. */
export interface Call {
  kind: "Call";
  callee: Name;
  args: Args;
  span: Span;
}

/**
 * `ioctl TARGET NAME(args)`. TARGET is a declared object (`vm1`, `vm1.cpu0`,
 * `c0`), `PROC:PATH` (`vmm:/dev/kvm`), or `PROC:EXPR` (an fd number or variable).
 */
export interface IoctlExpr {
  kind: "Ioctl";
  target: Target;
  name: Name;
  args: Args;
  span: Span;
}

/** `hcall VCPU NAME(args)`. */
export interface HcallExpr {
  kind: "Hcall";
  vcpu: Ref;
  name: Name;
  args: Args;
  span: Span;
}

/** `open PROC PATH` — returns the new fd. */
export interface OpenExpr {
  kind: "Open";
  process: Name;
  path: PathLit | StringLit;
  span: Span;
}

/** Where an ioctl goes. */
export type Target =
  | { kind: "RefTarget"; ref: Ref; span: Span }
  | { kind: "ProcPath"; process: Name; path: PathLit; span: Span }
  | { kind: "ProcFd"; process: Name; fd: Expr; span: Span };

/** `A..B` — a half-open range, written in `show` arguments (`show tce dma32 0..16`). */
export interface RangeExpr {
  kind: "Range";
  from: Expr;
  to: Expr;
  span: Span;
}

/** Any expression. */
export type Expr =
  | IntLit
  | DurationLit
  | StringLit
  | BytesLit
  | MacLit
  | BdfLit
  | PathLit
  | Ref
  | Unary
  | Binary
  | StructLit
  | ListLit
  | Call
  | IoctlExpr
  | HcallExpr
  | OpenExpr
  | RangeExpr;

// ----------------------------------------------------------------- statements

/** One property inside a declaration block: `memory 4G`, `arch ppc64le`. */
export interface Property {
  name: Name;
  /** Absent for a bare flag property. */
  value?: Expr;
  span: Span;
}

/**
 * A declaration: `guest vm1 { vcpus 2 }`, `group 12 { … }`,
 * `device net0 vdpa-net { … }`, `host p9 { … }`.
 */
export interface Decl {
  kind: "Decl";
  /** The keyword: host, guest, process, container, group, window, device. */
  keyword: Name;
  /** The declared name; groups are named by number (`group 12`). */
  name: Name;
  /** `device NAME KIND {}` carries a kind (`vdpa-net`). */
  type?: Name;
  props: Property[];
  span: Span;
}

/** `let x = EXPR`. */
export interface Let {
  kind: "Let";
  name: Name;
  value: Expr;
  span: Span;
}

/** An expression used as a statement, with an optional `=> RESULT`. */
export interface ExprStmt {
  kind: "ExprStmt";
  expr: Expr;
  expected?: Expr;
  span: Span;
}

/** `expect EXPR`. */
export interface Expect {
  kind: "Expect";
  cond: Expr;
  span: Span;
}

/** `show PATH…`: `show vm1`, `show windows`, `show tce dma32 0..16`. */
export interface Show {
  kind: "Show";
  args: Expr[];
  span: Span;
}

/** `advance 10ms`. */
export interface Advance {
  kind: "Advance";
  amount: Expr;
  span: Span;
}

/** `for i in A..B { … }` (B exclusive). */
export interface For {
  kind: "For";
  var: Name;
  from: Expr;
  to: Expr;
  body: Stmt[];
  span: Span;
}

/** `include "file.vmt"`. */
export interface Include {
  kind: "Include";
  path: StringLit;
  span: Span;
}

/** Any statement. */
export type Stmt = Decl | Let | ExprStmt | Expect | Show | Advance | For | Include;

/** A parsed file. */
export interface Program {
  kind: "Program";
  file: string;
  body: Stmt[];
  comments: Comment[];
  span: Span;
}
