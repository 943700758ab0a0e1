/**
 * fast-check arbitraries that generate well-formed topology programs as ASTs
 * (with dummy spans), for print → parse round-trip properties.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { arbProgram } from "./arbitrary.ts";
 * console.log(fc.sample(arbProgram, 1)[0].kind); // "Program"
 * ```
 * @module
 */
import fc from "fast-check";
import type * as A from "../ast.ts";
import { canonicalBdf } from "../literals.ts";

const S: A.Span = { file: "gen.vmt", start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 };
const nm = (text: string): A.Name => ({ text, span: S });

const IDENTS = ["a", "b", "vm1", "cpu0", "x_y", "vdpa-net", "dma32", "READ", "H_SUCCESS", "_t"];
const KEYWORDS = ["host", "guest", "group", "device", "in", "for", "show", "ioctl", "let", "open"];
const ident = fc.constantFrom(...IDENTS);
const anyName = fc.constantFrom(...IDENTS, ...KEYWORDS);

const hex2 = (n: number) => n.toString(16).padStart(2, "0");

const intLit: fc.Arbitrary<A.Expr> = fc.oneof(
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v): A.Expr => ({
    kind: "Int",
    value: v,
    raw: v.toString(),
    span: S,
  })),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((v): A.Expr => ({
    kind: "Int",
    value: v,
    raw: "0x" + v.toString(16),
    span: S,
  })),
  fc.integer({ min: 0, max: 4096 }).map((n): A.Expr => ({
    kind: "Int",
    value: BigInt(n) << 10n,
    raw: `${n}K`,
    span: S,
  })),
  fc.integer({ min: 0, max: 15 }).map((n): A.Expr => ({
    kind: "Int",
    value: BigInt(n),
    raw: "0b" + n.toString(2),
    span: S,
  })),
);
const stringLit = fc.array(fc.constantFrom("a", "Z", " ", '"', "\\", "\n", "\t", "é", "#", "{"), {
  maxLength: 6,
})
  .map((cs): A.StringLit => {
    const value = cs.join("");
    const raw = '"' +
      value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n").replace(
        /\t/g,
        "\\t",
      ) + '"';
    return { kind: "String", value, raw, span: S };
  });
const pathLit = fc.constantFrom("/dev/kvm", "/dev/vhost-vdpa-0", "/dev/vfio/12", "/x.y")
  .map((value): A.PathLit => ({ kind: "Path", value, span: S }));
const leafNoPath: fc.Arbitrary<A.Expr> = fc.oneof(
  intLit,
  stringLit,
  fc.integer({ min: 0, max: 5000 }).map((n): A.Expr => ({
    kind: "Duration",
    ns: BigInt(n) * 1_000_000n,
    raw: `${n}ms`,
    span: S,
  })),
  fc.uint8Array({ maxLength: 4 }).map((b): A.Expr => ({
    kind: "Bytes",
    value: b,
    raw: `x"${[...b].map(hex2).join(" ")}"`,
    span: S,
  })),
  fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b): A.Expr => ({
    kind: "Mac",
    value: b,
    raw: [...b].map(hex2).join(":"),
    span: S,
  })),
  fc.tuple(
    fc.integer({ min: 0, max: 255 }),
    fc.integer({ min: 0, max: 31 }),
    fc.integer({ min: 0, max: 7 }),
  )
    .map(([b, d, f]): A.Expr => {
      const raw = `${hex2(b)}:${hex2(d)}.${f}`;
      return { kind: "Bdf", value: canonicalBdf(raw), raw, span: S };
    }),
  fc.tuple(ident, fc.array(fc.oneof(anyName, fc.constantFrom("0", "12")), { maxLength: 2 }))
    .map(([h, t]): A.Ref => ({ kind: "Ref", parts: [h, ...t].map(nm), span: S })),
);
const leaf: fc.Arbitrary<A.Expr> = fc.oneof({ weight: 6, arbitrary: leafNoPath }, {
  weight: 1,
  arbitrary: pathLit,
});
const refArb = fc.tuple(ident, fc.array(anyName, { maxLength: 2 }))
  .map(([h, t]): A.Ref => ({ kind: "Ref", parts: [h, ...t].map(nm), span: S }));

const BINOPS: A.BinaryOp[] = [
  "||",
  "&&",
  "==",
  "!=",
  "<",
  "<=",
  ">",
  ">=",
  "|",
  "^",
  "&",
  "<<",
  ">>",
  "+",
  "-",
  "*",
];

/**
 * Expressions (no Range), depth-limited.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { arbExpr } from "./arbitrary.ts";
 * console.log(typeof fc.sample(arbExpr, 1)[0].kind); // "string"
 * ```
 */
export const arbExpr: fc.Arbitrary<A.Expr> = fc.letrec<{ e: A.Expr; args: A.Args }>((tie) => ({
  e: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.tuple(fc.constantFrom<A.Unary["op"]>("-", "~", "!"), tie("e"))
      .map(([op, operand]): A.Expr => ({ kind: "Unary", op, operand, span: S })),
    fc.tuple(fc.constantFrom(...BINOPS), tie("e"), tie("e")).filter(([op, l, r]) => {
      // comparisons do not chain: a comparison operand that is itself a comparison needs parens, which
      // the printer adds; nothing to filter.
      return !!op && !!l && !!r;
    }).map(([op, left, right]): A.Expr => ({ kind: "Binary", op, left, right, span: S })),
    fc.array(fc.tuple(anyName, tie("e")), { maxLength: 3 })
      .map((fs): A.Expr => ({
        kind: "Struct",
        fields: fs.map(([n, value]) => ({ name: nm(n), value, span: S })),
        span: S,
      })),
    fc.array(tie("e"), { maxLength: 3 }).map((items): A.Expr => ({ kind: "List", items, span: S })),
    fc.tuple(ident, tie("args")).map(([c, args]): A.Expr => ({
      kind: "Call",
      callee: nm(c),
      args,
      span: S,
    })),
    fc.tuple(
      fc.oneof(
        refArb.map((ref): A.Target => ({ kind: "RefTarget", ref, span: S })),
        fc.tuple(fc.constantFrom("vmm", "qemu"), pathLit)
          .map(([p, path]): A.Target => ({ kind: "ProcPath", process: nm(p), path, span: S })),
        fc.tuple(fc.constantFrom("vmm", "qemu"), fc.oneof(intLit, refArb))
          .map(([p, fd]): A.Target => ({ kind: "ProcFd", process: nm(p), fd, span: S })),
      ),
      fc.constantFrom("KVM_RUN", "VFIO_IOMMU_MAP_DMA"),
      tie("args"),
    ).map(([target, n, args]): A.Expr => ({ kind: "Ioctl", target, name: nm(n), args, span: S })),
    fc.tuple(refArb, fc.constantFrom("H_PUT_TCE"), tie("args"))
      .map(([vcpu, n, args]): A.Expr => ({ kind: "Hcall", vcpu, name: nm(n), args, span: S })),
    fc.tuple(fc.constantFrom("vmm"), fc.oneof(pathLit, stringLit))
      .map(([p, path]): A.Expr => ({ kind: "Open", process: nm(p), path, span: S })),
  ),
  args: fc.tuple(
    fc.array(tie("e"), { maxLength: 2 }),
    fc.array(fc.tuple(anyName, tie("e")), { maxLength: 2 }),
  )
    .map(([positional, named]): A.Args => ({
      positional,
      named: named.map(([n, value]) => ({ name: nm(n), value, span: S })),
      span: S,
    })),
})).e;

function leftmost(e: A.Expr): A.Expr {
  return e.kind === "Binary" ? leftmost(e.left) : e;
}

const propValue = arbExpr.filter((e) => leftmost(e).kind !== "Struct");

const arbDecl: fc.Arbitrary<A.Stmt> = fc.tuple(
  fc.constantFrom("host", "guest", "process", "container", "group", "window", "device"),
  ident,
  fc.integer({ min: 0, max: 99 }),
  fc.option(fc.constantFrom("vdpa-net", "vfio-pci"), { nil: undefined }),
  fc.array(fc.tuple(anyName, fc.option(propValue, { nil: undefined })), { maxLength: 4 }),
  fc.boolean(),
).map(([kw, id, num, type, props, unnamed]): A.Stmt => {
  const name = kw === "host" && unnamed ? "host" : kw === "group" ? String(num) : id;
  const d: A.Decl = {
    kind: "Decl",
    keyword: nm(kw),
    name: nm(name),
    props: props.map((
      [n, value],
    ) => (value ? { name: nm(n), value, span: S } : { name: nm(n), span: S })),
    span: S,
  };
  if (kw === "device" && type) d.type = nm(type);
  return d;
});

const simpleStmt: fc.Arbitrary<A.Stmt> = fc.oneof(
  arbDecl,
  fc.tuple(ident, arbExpr).map(([n, value]): A.Stmt => ({
    kind: "Let",
    name: nm(n),
    value,
    span: S,
  })),
  arbExpr.map((cond): A.Stmt => ({ kind: "Expect", cond, span: S })),
  arbExpr.map((amount): A.Stmt => ({ kind: "Advance", amount, span: S })),
  fc.array(
    fc.oneof(
      { weight: 3, arbitrary: arbExpr },
      {
        weight: 1,
        arbitrary: fc.tuple(arbExpr, arbExpr).map(([from, to]): A.Expr => ({
          kind: "Range",
          from,
          to,
          span: S,
        })),
      },
    ),
    { maxLength: 3 },
  ).map((args): A.Stmt => ({ kind: "Show", args, span: S })),
  stringLit.map((path): A.Stmt => ({ kind: "Include", path, span: S })),
  fc.tuple(arbExpr, fc.option(arbExpr, { nil: undefined })).map(([expr, expected]): A.Stmt =>
    expected ? { kind: "ExprStmt", expr, expected, span: S } : { kind: "ExprStmt", expr, span: S }
  ),
);

/**
 * Statements, with `for` loops one level deep.
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { arbStmt } from "./arbitrary.ts";
 * console.log(typeof fc.sample(arbStmt, 1)[0].kind); // "string"
 * ```
 */
export const arbStmt: fc.Arbitrary<A.Stmt> = fc.oneof(
  { weight: 6, arbitrary: simpleStmt },
  {
    weight: 1,
    arbitrary: fc.tuple(ident, arbExpr, arbExpr, fc.array(simpleStmt, { maxLength: 3 }))
      .map(([v, from, to, body]): A.Stmt => ({ kind: "For", var: nm(v), from, to, body, span: S })),
  },
);

/**
 * Whole programs (no comments).
 *
 * @example
 * ```ts
 * import fc from "fast-check";
 * import { arbProgram } from "./arbitrary.ts";
 * console.log(fc.sample(arbProgram, 1)[0].comments.length); // 0
 * ```
 */
export const arbProgram: fc.Arbitrary<A.Program> = fc.array(arbStmt, { maxLength: 6 })
  .map((body): A.Program => ({ kind: "Program", file: "gen.vmt", body, comments: [], span: S }));
