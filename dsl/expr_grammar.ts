/**
 * The expression half of the grammar, plus the machinery every rule shares:
 * spans, `ERR_MSG` getters that record an {@link ErrInfo}, and our own wording
 * for Chevrotain's fallback messages. `grammar.ts` extends it with statements.
 *
 * @example
 * ```ts
 * import { ExprGrammar } from "./expr_grammar.ts";
 * console.log(ExprGrammar.name); // "ExprGrammar"
 * ```
 * @module
 */
import { EmbeddedActionsParser, EOF, type IToken, tokenMatcher } from "chevrotain";
import type * as A from "./ast.ts";
import type { Diagnostic } from "./diagnostic.ts";
import {
  canonicalBdf,
  decodeBytes,
  decodeDuration,
  decodeInt,
  decodeMac,
  decodeString,
} from "./literals.ts";
import { joinSpans, tokenSpan } from "./span.ts";
import { describeToken, type ErrInfo, messages } from "./syntax_errors.ts";
import {
  allTokens,
  AnyName,
  Bdf,
  BinOp,
  Bytes,
  Duration,
  Ident,
  Int,
  Kw,
  Mac,
  P,
  Path,
  Str,
  UnaryOp,
} from "./tokens.ts";

const isBinaryOpImage = (img: string) =>
  [
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
    "=",
    "=>",
    ":",
  ]
    .includes(img);

/** Binding strength of each binary operator, by `tokenTypeIdx` (higher binds tighter). */
const PREC: number[] = [];
const AND_PREC = 2;
const CMP_PREC = 3;
for (
  const [prec, types] of [
    [1, [P.OrOr]],
    [AND_PREC, [P.AndAnd]],
    [CMP_PREC, [P.EqEq, P.NotEq, P.Lt, P.LtEq, P.Gt, P.GtEq]],
    [4, [P.Pipe]],
    [5, [P.Caret]],
    [6, [P.Amp]],
    [7, [P.Shl, P.Shr]],
    [8, [P.Plus, P.Minus]],
    [9, [P.Star]],
  ] as const
) {
  for (const t of types) PREC[t.tokenTypeIdx!] = prec;
}

/** Options object whose `ERR_MSG` is computed (and recorded) only when Chevrotain reads it. */
class LazyErr {
  constructor(
    private readonly g: { errInfo: ErrInfo | undefined },
    private readonly fn: () => ErrInfo,
    readonly DEF: unknown,
  ) {}
  get ERR_MSG(): string {
    const info = this.fn();
    this.g.errInfo = info;
    return info.message;
  }
}

/**
 * Expression rules and shared helpers; not instantiated on its own (only the
 * subclass runs `performSelfAnalysis`).
 *
 * @example
 * ```ts
 * import { ExprGrammar } from "./expr_grammar.ts";
 * console.log(typeof ExprGrammar); // "function"
 * ```
 */
export class ExprGrammar extends EmbeddedActionsParser {
  /** File name put into spans. */
  file = "";
  /** Non-fatal syntax diagnostics found while parsing. */
  extra: Diagnostic[] = [];
  /** Set by an `ERR_MSG` getter when the parse fails. */
  errInfo: ErrInfo | undefined;

  constructor() {
    super(allTokens, { recoveryEnabled: false, maxLookahead: 3, errorMessageProvider: messages });
  }

  // ------------------------------------------------------------ helpers

  /** Clears the expression-loop state (a failed parse can leave it mid-expression). */
  protected resetExprState(): void {
    this.opStack.length = 0;
    this.operandStack.length = 0;
    this.cmpSeen = false;
  }

  protected sp(t: IToken): A.Span {
    return tokenSpan(t, this.file);
  }

  protected err<T extends object>(target: T, fn: () => ErrInfo): T & { ERR_MSG: string } {
    // A prototype getter (not defineProperty per call): cheap on the happy path, run only on error.
    return new LazyErr(this, fn, (target as { DEF?: unknown }).DEF) as unknown as T & {
      ERR_MSG: string;
    };
  }

  protected found(): string {
    return describeToken(this.LA(1));
  }

  protected sameLine(a: IToken, b: IToken): boolean {
    return b.tokenType !== EOF && a.endLine === b.startLine;
  }

  protected bin(op: IToken, left: A.Expr, right: A.Expr): A.Binary {
    return {
      kind: "Binary",
      op: op.image as A.BinaryOp,
      left,
      right,
      span: joinSpans(left.span, right.span),
    };
  }

  // ------------------------------------------------------------ expressions

  /**
   * Expr := Unary (BinOp Unary)*, one rule instead of one per precedence level
   * (a rule call per level per operand was most of the parse time). The tree is
   * built by precedence afterwards, left-associative at every level, so it equals
   * the classic ladder `||` < `&&` < cmp < `|` < `^` < `&` < shifts < `+ -` < `*`.
   * Comparisons do not chain: a second comparison since the last `&&`/`||` ends
   * the expression (parser.ts words that), as does a `-` that starts a new line.
   */
  expr = this.RULE("expr", (): A.Expr => {
    const first = this.SUBRULE(this.unary);
    // Loop state lives on the parser (saved and restored around nested expressions),
    // so the MANY options and its closures are built once, not per expression.
    const base = this.opStack.length;
    const savedCmp = this.cmpSeen;
    this.cmpSeen = false;
    this.MANY(this.binOpLoop);
    this.cmpSeen = savedCmp;
    if (this.RECORDING_PHASE || this.opStack.length === base) return first;
    const ops = this.opStack.splice(base);
    const operands = this.operandStack.splice(base);
    operands.unshift(first);
    return this.climb(ops, operands);
  });

  /** Operators and right operands of the expressions being parsed, innermost last. */
  private opStack: IToken[] = [];
  private operandStack: A.Expr[] = [];
  /** A comparison was seen since the last `&&`/`||` of the innermost expression. */
  private cmpSeen = false;

  private readonly binOpLoop = {
    GATE: (): boolean => {
      const next = this.LA(1);
      const prec = PREC[next.tokenType.tokenTypeIdx!];
      // Comparisons do not chain.
      if (prec === CMP_PREC) return !this.cmpSeen;
      // `-` at the start of a new line begins a new statement (`-x`), not a subtraction.
      if (next.tokenType === P.Minus) return this.sameLine(this.LA(0), next);
      return true;
    },
    DEF: (): void => {
      const op = this.CONSUME(BinOp);
      if (!this.RECORDING_PHASE) {
        const prec = PREC[op.tokenType.tokenTypeIdx!];
        if (prec === CMP_PREC) this.cmpSeen = true;
        else if (prec <= AND_PREC) this.cmpSeen = false;
      }
      const r = this.SUBRULE2(this.unary);
      if (!this.RECORDING_PHASE) {
        this.opStack.push(op);
        this.operandStack.push(r);
      }
    },
  };

  /** Builds the left-associative tree of `operands[0] ops[0] operands[1] …` by precedence. */
  private climb(ops: IToken[], operands: A.Expr[]): A.Expr {
    if (ops.length === 1) return this.bin(ops[0], operands[0], operands[1]);
    const out: A.Expr[] = [operands[0]];
    const pending: IToken[] = [];
    for (let i = 0; i < ops.length; i++) {
      const prec = PREC[ops[i].tokenType.tokenTypeIdx!];
      while (pending.length && PREC[pending[pending.length - 1].tokenType.tokenTypeIdx!] >= prec) {
        const r = out.pop()!;
        out.push(this.bin(pending.pop()!, out.pop()!, r));
      }
      pending.push(ops[i]);
      out.push(operands[i + 1]);
    }
    while (pending.length) {
      const r = out.pop()!;
      out.push(this.bin(pending.pop()!, out.pop()!, r));
    }
    return out[0];
  }

  // The alternatives of `unary` and `primary` are built once, not per call
  // (Chevrotain's advice for ORs with several alternatives); they close over nothing local.
  private readonly primaryAltList = [
    { ALT: () => this.lit(this.CONSUME(Int)) },
    { ALT: () => this.lit(this.CONSUME(Duration)) },
    { ALT: () => this.lit(this.CONSUME(Str)) },
    { ALT: () => this.lit(this.CONSUME(Bytes)) },
    { ALT: () => this.lit(this.CONSUME(Mac)) },
    { ALT: () => this.lit(this.CONSUME(Bdf)) },
    { ALT: () => this.lit(this.CONSUME(Path)) },
    { ALT: () => this.SUBRULE(this.paren) },
    { ALT: () => this.SUBRULE(this.struct) },
    { ALT: () => this.SUBRULE(this.list) },
    // call vs ref is decided in a nested OR: a GATE among these alternatives would
    // send Chevrotain's lookahead for all of them down its slow, predicate-checking path.
    { ALT: (): A.Expr => this.OR2(this.callOrRefAlts) },
    { ALT: (): A.Expr => this.SUBRULE(this.ioctl) },
    { ALT: (): A.Expr => this.SUBRULE(this.hcall) },
    { ALT: (): A.Expr => this.SUBRULE(this.open) },
  ];

  private readonly callOrRefAlts = [
    {
      // `f(` with no space is a call; `vm1 (…)` is a name followed by something else.
      GATE: () => {
        const a = this.LA(1);
        const b = this.LA(2);
        return b.tokenType === P.LParen && b.startOffset === a.endOffset! + 1;
      },
      ALT: (): A.Expr => this.SUBRULE(this.call),
    },
    { ALT: (): A.Expr => this.SUBRULE(this.ref) },
  ];

  private readonly primaryAlts = this.err(
    { DEF: this.primaryAltList },
    () => this.valueError(),
  );

  primary = this.RULE("primary", (): A.Expr => this.OR(this.primaryAlts));

  // `unary` repeats primary's alternatives instead of calling the `primary` rule: one
  // rule call less per operand. Its OR fails exactly where the old `unary` OR failed
  // (primary's OR could not fail once entered), with the same message.
  private readonly unaryAlts = this.err({
    DEF: [
      {
        ALT: (): A.Expr => {
          const op = this.CONSUME(UnaryOp);
          const operand = this.SUBRULE(this.unary);
          return this.ACTION((): A.Unary => ({
            kind: "Unary",
            op: op.image as A.Unary["op"],
            operand,
            span: joinSpans(this.sp(op), operand.span),
          }));
        },
      },
      ...this.primaryAltList,
    ],
  }, () => this.valueError());

  unary = this.RULE("unary", (): A.Expr => this.OR(this.unaryAlts));

  protected valueError(): ErrInfo {
    const prev = this.LA(0);
    const after = prev.tokenType !== EOF && (isBinaryOpImage(prev.image) ||
        prev.tokenType.CATEGORIES?.includes(AnyName) || prev.tokenType === P.LParen ||
        prev.tokenType === P.Comma || prev.tokenType === P.DotDot ||
        prev.tokenType.CATEGORIES?.includes(UnaryOp))
      ? ` after ${describeToken(prev)}`
      : "";
    return {
      message: `expected a value${after}, found ${this.found()}`,
      label: "expected a value",
    };
  }

  protected lit(t: IToken): A.Expr {
    // `if (RECORDING_PHASE)` in place of an ACTION closure: this runs for every literal.
    if (this.RECORDING_PHASE) return undefined as unknown as A.Expr;
    {
      const span = this.sp(t);
      const type = t.tokenType;
      if (tokenMatcher(t, Int)) {
        return { kind: "Int", value: decodeInt(t.image).value, raw: t.image, span };
      }
      if (type === Duration) {
        return { kind: "Duration", ns: decodeDuration(t.image).value, raw: t.image, span };
      }
      if (type === Mac) return { kind: "Mac", value: decodeMac(t.image), raw: t.image, span };
      if (type === Bdf) return { kind: "Bdf", value: canonicalBdf(t.image), raw: t.image, span };
      if (type === Path) return { kind: "Path", value: t.image, span };
      if (type.CATEGORIES?.includes(Str)) return this.strLit(t);
      if (type.CATEGORIES?.includes(Bytes)) {
        return { kind: "Bytes", value: decodeBytes(t.image).value, raw: t.image, span };
      }
      return { kind: "Int", value: decodeInt(t.image).value, raw: t.image, span };
    }
  }

  protected strLit(t: IToken): A.StringLit {
    return { kind: "String", value: decodeString(t.image).value, raw: t.image, span: this.sp(t) };
  }

  paren = this.RULE("paren", (): A.Expr => {
    const open = this.CONSUME(P.LParen);
    const e = this.SUBRULE(this.expr);
    this.CONSUME(
      P.RParen,
      this.err({}, () => ({
        message:
          `expected \`)\` to close the \`(\` at ${open.startLine}:${open.startColumn}, found ${this.found()}`,
        label: "expected `)`",
        labels: [{ span: this.sp(open), message: "opened here" }],
      })),
    );
    return e;
  });

  struct = this.RULE("struct", (): A.StructLit => {
    const open = this.CONSUME(P.LCurly);
    const fields: A.FieldInit[] = [];
    this.OPTION(() => {
      const f = this.SUBRULE(this.fieldInit);
      this.ACTION(() => fields.push(f));
      this.MANY({
        GATE: () => this.LA(2).tokenType !== P.RCurly,
        DEF: () => {
          this.CONSUME(P.Comma);
          const g = this.SUBRULE2(this.fieldInit);
          this.ACTION(() => fields.push(g));
        },
      });
      this.OPTION2(() => this.CONSUME2(P.Comma));
    });
    const close = this.CONSUME(
      P.RCurly,
      this.err({}, () => ({
        message:
          `expected \`,\` or \`}\` in the struct opened at ${open.startLine}:${open.startColumn}, found ${this.found()}`,
        label: "expected `,` or `}`",
        labels: [{ span: this.sp(open), message: "struct opened here" }],
      })),
    );
    return this.ACTION(() => ({
      kind: "Struct" as const,
      fields,
      span: joinSpans(this.sp(open), this.sp(close)),
    }));
  });

  fieldInit = this.RULE("fieldInit", (): A.FieldInit => {
    const n = this.CONSUME(
      AnyName,
      this.err({}, () => ({
        message: `expected a field name, found ${this.found()}`,
        label: "expected `name: value`",
      })),
    );
    this.CONSUME(
      P.Colon,
      this.err({}, () => ({
        message: `expected \`:\` after the field name \`${n.image}\`, found ${this.found()}`,
        label: "expected `:`",
      })),
    );
    const value = this.SUBRULE(this.expr);
    return this.ACTION(() => {
      const name = { text: n.image, span: this.sp(n) };
      return { name, value, span: joinSpans(name.span, value.span) };
    });
  });

  list = this.RULE("list", (): A.ListLit => {
    const open = this.CONSUME(P.LBracket);
    const items: A.Expr[] = [];
    this.OPTION(() => {
      const f = this.SUBRULE(this.expr);
      this.ACTION(() => items.push(f));
      this.MANY({
        GATE: () => this.LA(2).tokenType !== P.RBracket,
        DEF: () => {
          this.CONSUME(P.Comma);
          const g = this.SUBRULE2(this.expr);
          this.ACTION(() => items.push(g));
        },
      });
      this.OPTION2(() => this.CONSUME2(P.Comma));
    });
    const close = this.CONSUME(
      P.RBracket,
      this.err({}, () => ({
        message:
          `expected \`,\` or \`]\` in the list opened at ${open.startLine}:${open.startColumn}, found ${this.found()}`,
        label: "expected `,` or `]`",
        labels: [{ span: this.sp(open), message: "list opened here" }],
      })),
    );
    return this.ACTION(() => ({
      kind: "List" as const,
      items,
      span: joinSpans(this.sp(open), this.sp(close)),
    }));
  });

  /** `(` Args `)`; the callee token and a word ("ioctl", "hcall", "function") shape the messages. */
  args = this.RULE("args", (callee?: IToken, what?: string): A.Args => {
    const open = this.CONSUME(
      P.LParen,
      this.err({}, () => ({
        message:
          `expected \`(\` after the ${what} name \`${callee?.image}\`, found ${this.found()}`,
        label: "expected `(`",
        help: `write \`${callee?.image}()\` when there are no arguments`,
      })),
    );
    const positional: A.Expr[] = [];
    const named: A.FieldInit[] = [];
    const push = (a: A.Expr | A.FieldInit) => {
      if ("kind" in a) positional.push(a);
      else named.push(a);
    };
    this.OPTION(() => {
      const a = this.SUBRULE(this.arg);
      this.ACTION(() => push(a));
      this.MANY({
        GATE: () => this.LA(2).tokenType !== P.RParen,
        DEF: () => {
          this.CONSUME(P.Comma);
          const b = this.SUBRULE2(this.arg);
          this.ACTION(() => push(b));
        },
      });
      this.OPTION2(() => this.CONSUME2(P.Comma));
    });
    const close = this.CONSUME(
      P.RParen,
      this.err({}, () => ({
        message:
          `expected \`,\` or \`)\` in the arguments of \`${callee?.image}\`, found ${this.found()}`,
        label: "expected `,` or `)`",
        labels: [{ span: this.sp(open), message: "arguments start here" }],
      })),
    );
    return this.ACTION(() => ({
      positional,
      named,
      span: joinSpans(this.sp(open), this.sp(close)),
    }));
  });

  arg = this.RULE("arg", (): A.Expr | A.FieldInit => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.fieldInit) },
      { ALT: () => this.SUBRULE(this.expr) },
    ]);
  });

  call = this.RULE("call", (): A.Call => {
    const callee = this.CONSUME(Ident);
    const args = this.SUBRULE(this.args, { ARGS: [callee, "function"] });
    return this.ACTION(() => {
      const name = { text: callee.image, span: this.sp(callee) };
      return { kind: "Call" as const, callee: name, args, span: joinSpans(name.span, args.span) };
    });
  });

  /** Ref := Ident (`.` (name | keyword | integer))* ; `ctx` words the error when the Ident is missing. */
  ref = this.RULE("ref", (ctx?: string): A.Ref => {
    const first = this.CONSUME(
      Ident,
      this.err(
        {},
        () => ({
          message: `expected ${ctx ?? "a name"}, found ${this.found()}`,
          label: "expected a name",
        }),
      ),
    );
    const parts: A.Name[] = [];
    this.ACTION(() => parts.push({ text: first.image, span: this.sp(first) }));
    this.MANY(() => {
      const dot = this.CONSUME(P.Dot);
      const p = this.OR(
        this.err({
          DEF: [
            { ALT: () => this.CONSUME2(AnyName) },
            { ALT: () => this.CONSUME2(Int) },
          ],
        }, () => ({
          message: `expected a name after \`${
            [...parts.map((x) => x.text)].join(".")
          }.\`, found ${this.found()}`,
          label: "expected a name",
          span: this.LA(1).tokenType === EOF ? this.sp(dot) : undefined,
        })),
      );
      this.ACTION(() => parts.push({ text: p.image, span: this.sp(p) }));
    });
    return this.ACTION(() => ({
      kind: "Ref" as const,
      parts,
      span: joinSpans(parts[0].span, parts[parts.length - 1].span),
    }));
  });

  target = this.RULE("target", (): A.Target => {
    return this.OR(
      this.err({
        DEF: [
          {
            ALT: () => {
              const p = this.CONSUME(Ident);
              this.CONSUME(P.Colon);
              const x = this.SUBRULE(this.primary);
              return this.ACTION((): A.Target => {
                const process = { text: p.image, span: this.sp(p) };
                const span = joinSpans(process.span, x.span);
                return x.kind === "Path"
                  ? { kind: "ProcPath", process, path: x, span }
                  : { kind: "ProcFd", process, fd: x, span };
              });
            },
          },
          {
            ALT: () => {
              const r = this.SUBRULE(this.ref);
              return this.ACTION((): A.Target => ({ kind: "RefTarget", ref: r, span: r.span }));
            },
          },
        ],
      }, () => ({
        message: `expected an ioctl target after \`ioctl\`, found ${this.found()}`,
        label: "expected a target",
        help:
          "a target is a declared object (`vm1`, `c0`), `PROC:PATH` (`vmm:/dev/kvm`) or `PROC:FD` (`vmm:5`)",
      })),
    );
  });

  ioctl = this.RULE("ioctl", (): A.IoctlExpr => {
    const kw = this.CONSUME(Kw.ioctl);
    const target = this.SUBRULE(this.target);
    const name = this.CONSUME(
      Ident,
      this.err({}, () => ({
        message: `expected an ioctl name after the target \`${
          this.textOf(target)
        }\`, found ${this.found()}`,
        label: "expected an ioctl name",
        help: "write e.g. `ioctl vm1 KVM_CHECK_EXTENSION(KVM_CAP_SPAPR_TCE)`",
      })),
    );
    const args = this.SUBRULE(this.args, { ARGS: [name, "ioctl"] });
    return this.ACTION(() => ({
      kind: "Ioctl" as const,
      target,
      name: { text: name.image, span: this.sp(name) },
      args,
      span: joinSpans(this.sp(kw), args.span),
    }));
  });

  protected textOf(t: A.Target): string {
    if (!t || !t.kind) return "?";
    if (t.kind === "RefTarget") return t.ref.parts.map((p) => p.text).join(".");
    if (t.kind === "ProcPath") return `${t.process.text}:${t.path.value}`;
    return `${t.process.text}:…`;
  }

  hcall = this.RULE("hcall", (): A.HcallExpr => {
    const kw = this.CONSUME(Kw.hcall);
    const vcpu = this.SUBRULE(this.ref, { ARGS: ["a vCPU after `hcall` (e.g. `vm1.cpu0`)"] });
    const name = this.CONSUME(
      Ident,
      this.err({}, () => ({
        message: `expected an hcall name after the vCPU \`${
          vcpu.parts.map((p) => p.text).join(".")
        }\`, found ${this.found()}`,
        label: "expected an hcall name",
        help: "write e.g. `hcall vm1.cpu0 H_PUT_TCE(liobn: 0x80000000, ioba: 0, tce: 0)`",
      })),
    );
    const args = this.SUBRULE(this.args, { ARGS: [name, "hcall"] });
    return this.ACTION(() => ({
      kind: "Hcall" as const,
      vcpu,
      name: { text: name.image, span: this.sp(name) },
      args,
      span: joinSpans(this.sp(kw), args.span),
    }));
  });

  open = this.RULE("open", (): A.OpenExpr => {
    const kw = this.CONSUME(Kw.open);
    const proc = this.CONSUME(
      Ident,
      this.err({}, () => ({
        message: `expected a process name after \`open\`, found ${this.found()}`,
        label: "expected a process",
        help: "write e.g. `open vmm /dev/kvm`",
      })),
    );
    const path = this.OR(
      this.err({
        DEF: [
          { ALT: () => this.lit(this.CONSUME(Path)) as A.PathLit },
          { ALT: () => this.lit(this.CONSUME(Str)) as A.StringLit },
        ],
      }, () => ({
        message: `expected a path after \`open ${proc.image}\`, found ${this.found()}`,
        label: "expected a path",
        help: `write e.g. \`open ${proc.image} /dev/kvm\``,
      })),
    );
    return this.ACTION(() => ({
      kind: "Open" as const,
      process: { text: proc.image, span: this.sp(proc) },
      path,
      span: joinSpans(this.sp(kw), path.span),
    }));
  });
}
