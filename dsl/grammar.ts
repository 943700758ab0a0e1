/**
 * The Chevrotain grammar of the topology language, as one embedded-actions
 * parser class that builds the AST of ast.ts directly. Use {@link grammar} to
 * get the single shared instance; `parser.ts` drives it (statement-level
 * resynchronisation and domain-worded diagnostics).
 *
 * Syntax errors carry our own wording: every `CONSUME`/`OR` that can fail gets
 * an `ERR_MSG` getter that, only when the error happens, records an
 * {@link ErrInfo} (message, labels, help) on the parser.
 *
 * @example
 * ```ts
 * import { lex } from "./lexer.ts";
 * import { grammar } from "./grammar.ts";
 * const g = grammar();
 * g.begin(lex("let x = 1", "t.vmt").tokens, "t.vmt");
 * g.program();
 * console.log(g.body[0].kind); // "Let"
 * ```
 * @module
 */
import {
  EmbeddedActionsParser,
  EOF,
  type IParserErrorMessageProvider,
  type IToken,
  type TokenType,
} from "chevrotain";
import type * as A from "./ast.ts";
import type { Diagnostic, Label } from "./diagnostic.ts";
import {
  canonicalBdf,
  decodeBytes,
  decodeDuration,
  decodeInt,
  decodeMac,
  decodeString,
} from "./literals.ts";
import { joinSpans, tokenSpan } from "./span.ts";
import {
  allTokens,
  AnyName,
  Bdf,
  Bytes,
  CmpOp,
  DeclKw,
  Duration,
  Ident,
  Int,
  Kw,
  Mac,
  P,
  Path,
  ShiftOp,
  Str,
  UnaryOp,
} from "./tokens.ts";

/** Details of a syntax error, recorded when an `ERR_MSG` getter fires. */
export interface ErrInfo {
  message: string;
  /** Primary label text. */
  label?: string;
  /** Primary span; defaults to the offending token. */
  span?: A.Span;
  labels?: Label[];
  help?: string;
}

/**
 * Describes a token for "found …" in messages.
 *
 * @example
 * ```ts
 * import { describeToken } from "./grammar.ts";
 * import { lex } from "./lexer.ts";
 * console.log(describeToken(lex("}", "f").tokens[0])); // "`}`"
 * ```
 */
export function describeToken(tok: IToken | undefined): string {
  if (!tok || tok.tokenType === EOF) return "the end of input";
  const img = tok.image.length > 24 ? tok.image.slice(0, 21) + "…" : tok.image;
  return "`" + img + "`";
}

const RULE_WORDS: Record<string, string> = {
  statement: "a statement",
  primary: "a value",
  unary: "a value",
  target: "an ioctl target",
  arg: "an argument",
  showArg: "a `show` argument",
};

function tokenLabel(t: TokenType): string {
  return t.LABEL ?? t.name;
}

/** Fallback wording for errors that have no `ERR_MSG` (never Chevrotain's raw text). */
const messages: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: (o) =>
    `expected ${tokenLabel(o.expected)}, found ${describeToken(o.actual)}`,
  buildNotAllInputParsedMessage: (o) =>
    `expected a statement, found ${describeToken(o.firstRedundant)}`,
  buildNoViableAltMessage: (o) =>
    o.customUserDescription ??
      `expected ${RULE_WORDS[o.ruleName] ?? "something else"}, found ${describeToken(o.actual[0])}`,
  buildEarlyExitMessage: (o) =>
    o.customUserDescription ??
      `expected ${RULE_WORDS[o.ruleName] ?? "something else"}, found ${describeToken(o.actual[0])}`,
};

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

/** The grammar class; see {@link grammar} for the shared instance. */
export class TopoGrammar extends EmbeddedActionsParser {
  /** File name put into spans. */
  file = "";
  /** Top-level statements parsed so far (kept when a later statement fails). */
  body: A.Stmt[] = [];
  /** Non-fatal syntax diagnostics found while parsing. */
  extra: Diagnostic[] = [];
  /** Set by an `ERR_MSG` getter when the parse fails. */
  errInfo: ErrInfo | undefined;
  /** First token of the top-level statement being parsed. */
  stmtStart: IToken | undefined;
  private lastProp: { name: IToken; hasValue: boolean } | undefined;

  constructor() {
    super(allTokens, { recoveryEnabled: false, maxLookahead: 3, errorMessageProvider: messages });
    this.performSelfAnalysis();
  }

  /** Resets state and sets the input for a new parse. */
  begin(tokens: IToken[], file: string): void {
    this.file = file;
    this.body = [];
    this.extra = [];
    this.errInfo = undefined;
    this.stmtStart = undefined;
    this.lastProp = undefined;
    this.input = tokens;
  }

  /** The next unconsumed token (EOF token at the end). */
  peek(): IToken {
    return this.LA(1);
  }

  // ------------------------------------------------------------ helpers

  private sp(t: IToken): A.Span {
    return tokenSpan(t, this.file);
  }

  private err<T extends object>(target: T, fn: () => ErrInfo): T & { ERR_MSG: string } {
    Object.defineProperty(target, "ERR_MSG", {
      enumerable: true,
      get: () => {
        const info = fn();
        this.errInfo = info;
        return info.message;
      },
    });
    return target as T & { ERR_MSG: string };
  }

  private found(): string {
    return describeToken(this.LA(1));
  }

  private sameLine(a: IToken, b: IToken): boolean {
    return b.tokenType !== EOF && a.endLine === b.startLine;
  }

  private bin(op: IToken, left: A.Expr, right: A.Expr): A.Binary {
    return {
      kind: "Binary",
      op: op.image as A.BinaryOp,
      left,
      right,
      span: joinSpans(left.span, right.span),
    };
  }

  private blockWhat(kw: IToken, name: IToken | undefined): string {
    return name ? `${kw.image} \`${name.image}\`` : kw.image;
  }

  // ------------------------------------------------------------ statements

  /** Program := (Stmt | `;`)* */
  program = this.RULE("program", () => {
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(P.Semi) },
        {
          ALT: () => {
            this.ACTION(() => {
              this.stmtStart = this.LA(1);
            });
            const s = this.SUBRULE(this.statement);
            this.ACTION(() => this.body.push(s));
          },
        },
      ]);
    });
  });

  statement = this.RULE("statement", (): A.Stmt => {
    return this.OR([
      { ALT: () => this.SUBRULE(this.decl) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.expectStmt) },
      { ALT: () => this.SUBRULE(this.showStmt) },
      { ALT: () => this.SUBRULE(this.advanceStmt) },
      { ALT: () => this.SUBRULE(this.forStmt) },
      { ALT: () => this.SUBRULE(this.includeStmt) },
      { ALT: () => this.SUBRULE(this.exprStmt) },
    ]);
  });

  decl = this.RULE("decl", (): A.Decl => {
    const kw = this.CONSUME(DeclKw);
    const name = this.OPTION(() =>
      this.OR1([
        { ALT: () => this.CONSUME1(Ident) },
        { ALT: () => this.CONSUME1(Int) },
      ])
    );
    const type = this.OPTION2({
      GATE: () => kw.image === "device",
      DEF: () => this.CONSUME2(Ident),
    });
    const open = this.CONSUME(
      P.LCurly,
      this.err({}, () => {
        const what = this.blockWhat(kw, name);
        const noName = !name && kw.image !== "host";
        return {
          message: noName
            ? `expected a name after \`${kw.image}\`, found ${this.found()}`
            : `expected \`{\` to open the block of ${what}, found ${this.found()}`,
          label: noName ? "expected a name" : "expected `{`",
          help: noName
            ? `write e.g. \`${kw.image} ${kw.image === "group" ? "12" : "x1"} { … }\``
            : undefined,
        };
      }),
    );
    const props: A.Property[] = [];
    this.ACTION(() => {
      this.lastProp = undefined;
      if (!name && kw.image !== "host") {
        const span = this.sp(kw);
        this.extra.push({
          code: "VT0003",
          severity: "error",
          message: `expected a name after \`${kw.image}\`, found \`{\``,
          span,
          labels: [{ span, message: `this ${kw.image} needs a name` }],
          help: `write e.g. \`${kw.image} ${kw.image === "group" ? "12" : "x1"} { … }\``,
        });
      }
    });
    this.MANY(() =>
      this.OR2([
        {
          ALT: () => {
            const p = this.SUBRULE(this.property);
            this.ACTION(() => props.push(p));
          },
        },
        { ALT: () => this.CONSUME(P.Semi) },
        { ALT: () => this.CONSUME(P.Comma) },
      ])
    );
    const close = this.CONSUME(
      P.RCurly,
      this.err({}, () => this.blockCloseError(kw, name, open)),
    );
    return this.ACTION(() => {
      const kwSpan = this.sp(kw);
      const d: A.Decl = {
        kind: "Decl",
        keyword: { text: kw.image, span: kwSpan },
        name: name ? { text: name.image, span: this.sp(name) } : { text: kw.image, span: kwSpan },
        props,
        span: joinSpans(kwSpan, this.sp(close)),
      };
      if (type) d.type = { text: type.image, span: this.sp(type) };
      return d;
    });
  });

  private blockCloseError(kw: IToken, name: IToken | undefined, open: IToken): ErrInfo {
    const what = this.blockWhat(kw, name);
    const tok = this.LA(1);
    const openLabel = { span: this.sp(open), message: `the block of ${what} opened here` };
    if (tok.tokenType === EOF || tok.tokenType === P.LCurly) {
      return {
        message: `unclosed \`{\` — the block of ${what} opened here`,
        label: tok.tokenType === EOF
          ? "expected `}` before the end of input"
          : "expected `}` before this",
        labels: [openLabel],
        help: "add `}` to close the block",
      };
    }
    const lp = this.lastProp;
    if (lp && !lp.hasValue && this.sameLine(lp.name, tok)) {
      return {
        message: `expected a value after \`${lp.name.image}\`, found ${this.found()}`,
        label: "expected a value",
      };
    }
    return {
      message: `expected a property name or \`}\` in the block of ${what}, found ${this.found()}`,
      label: "expected a property",
      labels: [openLabel],
    };
  }

  property = this.RULE("property", (): A.Property => {
    const n = this.CONSUME(AnyName);
    const value = this.OPTION({
      GATE: () => this.sameLine(n, this.LA(1)) && this.LA(1).tokenType !== P.LCurly,
      DEF: () => this.SUBRULE(this.expr),
    });
    return this.ACTION(() => {
      this.lastProp = { name: n, hasValue: value !== undefined };
      const name = { text: n.image, span: this.sp(n) };
      const p: A.Property = { name, span: value ? joinSpans(name.span, value.span) : name.span };
      if (value) p.value = value;
      return p;
    });
  });

  letStmt = this.RULE("letStmt", (): A.Let => {
    const kw = this.CONSUME(Kw.let);
    const name = this.CONSUME(
      Ident,
      this.err({}, () => ({
        message: `expected a variable name after \`let\`, found ${this.found()}`,
        label: "expected a name",
      })),
    );
    this.CONSUME(
      P.Eq,
      this.err({}, () => ({
        message: `expected \`=\` after \`let ${name.image}\`, found ${this.found()}`,
        label: "expected `=`",
      })),
    );
    const value = this.SUBRULE(this.expr);
    return this.ACTION(() => ({
      kind: "Let" as const,
      name: { text: name.image, span: this.sp(name) },
      value,
      span: joinSpans(this.sp(kw), value.span),
    }));
  });

  expectStmt = this.RULE("expectStmt", (): A.Expect => {
    const kw = this.CONSUME(Kw.expect);
    const cond = this.SUBRULE(this.expr);
    return this.ACTION(() => ({
      kind: "Expect" as const,
      cond,
      span: joinSpans(this.sp(kw), cond.span),
    }));
  });

  advanceStmt = this.RULE("advanceStmt", (): A.Advance => {
    const kw = this.CONSUME(Kw.advance);
    const amount = this.SUBRULE(this.expr);
    return this.ACTION(() => ({
      kind: "Advance" as const,
      amount,
      span: joinSpans(this.sp(kw), amount.span),
    }));
  });

  includeStmt = this.RULE("includeStmt", (): A.Include => {
    const kw = this.CONSUME(Kw.include);
    const s = this.CONSUME(
      Str,
      this.err({}, () => ({
        message: `expected a quoted file name after \`include\`, found ${this.found()}`,
        label: "expected a string",
        help: 'write e.g. `include "common.vmt"`',
      })),
    );
    return this.ACTION(() => ({
      kind: "Include" as const,
      path: this.strLit(s),
      span: joinSpans(this.sp(kw), this.sp(s)),
    }));
  });

  showStmt = this.RULE("showStmt", (): A.Show => {
    const kw = this.CONSUME(Kw.show);
    const args: A.Expr[] = [];
    this.MANY({
      GATE: () => this.sameLine(kw, this.LA(1)),
      DEF: () => {
        const a = this.SUBRULE(this.showArg);
        this.ACTION(() => args.push(a));
      },
    });
    return this.ACTION(() => ({
      kind: "Show" as const,
      args,
      span: args.length ? joinSpans(this.sp(kw), args[args.length - 1].span) : this.sp(kw),
    }));
  });

  showArg = this.RULE("showArg", (): A.Expr => {
    const from = this.OR([
      { ALT: () => this.SUBRULE(this.primary) },
      {
        ALT: () => {
          const k = this.CONSUME(DeclKw);
          return this.ACTION((): A.Expr => {
            const span = this.sp(k);
            return { kind: "Ref", parts: [{ text: k.image, span }], span };
          });
        },
      },
    ]);
    const to = this.OPTION(() => {
      this.CONSUME(P.DotDot);
      return this.SUBRULE2(this.primary);
    });
    return this.ACTION((): A.Expr =>
      to ? { kind: "Range", from, to, span: joinSpans(from.span, to.span) } : from
    );
  });

  forStmt = this.RULE("forStmt", (): A.For => {
    const kw = this.CONSUME(Kw.for);
    const v = this.CONSUME(
      Ident,
      this.err({}, () => ({
        message: `expected a loop variable after \`for\`, found ${this.found()}`,
        label: "expected a name",
        help: "write e.g. `for i in 0..16 { … }`",
      })),
    );
    this.CONSUME(
      Kw.in,
      this.err({}, () => ({
        message: `expected \`in\` after \`for ${v.image}\`, found ${this.found()}`,
        label: "expected `in`",
        help: `write e.g. \`for ${v.image} in 0..16 { … }\``,
      })),
    );
    const from = this.SUBRULE(this.expr);
    this.CONSUME(
      P.DotDot,
      this.err({}, () => ({
        message: `expected \`..\` in the range of \`for ${v.image}\`, found ${this.found()}`,
        label: "expected `..`",
        help: `write e.g. \`for ${v.image} in 0..16 { … }\``,
      })),
    );
    const to = this.SUBRULE2(this.expr);
    const open = this.CONSUME(
      P.LCurly,
      this.err({}, () => ({
        message: `expected \`{\` to open the body of \`for ${v.image}\`, found ${this.found()}`,
        label: "expected `{`",
      })),
    );
    const body: A.Stmt[] = [];
    this.MANY(() =>
      this.OR([
        { ALT: () => this.CONSUME(P.Semi) },
        {
          ALT: () => {
            const s = this.SUBRULE(this.statement);
            this.ACTION(() => body.push(s));
          },
        },
      ])
    );
    const close = this.CONSUME(
      P.RCurly,
      this.err({}, () => {
        const eof = this.LA(1).tokenType === EOF;
        const openLabel = {
          span: this.sp(open),
          message: `the body of \`for ${v.image}\` opened here`,
        };
        return eof
          ? {
            message: `unclosed \`{\` — the body of \`for ${v.image}\` opened here`,
            label: "expected `}` before the end of input",
            labels: [openLabel],
            help: "add `}` to close the loop body",
          }
          : {
            message:
              `expected a statement or \`}\` in the body of \`for ${v.image}\`, found ${this.found()}`,
            label: "expected a statement",
            labels: [openLabel],
          };
      }),
    );
    return this.ACTION(() => ({
      kind: "For" as const,
      var: { text: v.image, span: this.sp(v) },
      from,
      to,
      body,
      span: joinSpans(this.sp(kw), this.sp(close)),
    }));
  });

  exprStmt = this.RULE("exprStmt", (): A.ExprStmt => {
    const expr = this.SUBRULE(this.expr);
    const expected = this.OPTION(() => {
      this.CONSUME(P.Arrow);
      return this.SUBRULE2(this.expr);
    });
    return this.ACTION(() => {
      const s: A.ExprStmt = {
        kind: "ExprStmt",
        expr,
        span: expected ? joinSpans(expr.span, expected.span) : expr.span,
      };
      if (expected) s.expected = expected;
      return s;
    });
  });

  // ------------------------------------------------------------ expressions

  expr = this.RULE("expr", (): A.Expr => {
    let l = this.SUBRULE(this.andExpr);
    this.MANY(() => {
      const op = this.CONSUME(P.OrOr);
      const r = this.SUBRULE2(this.andExpr);
      l = this.ACTION(() => this.bin(op, l, r));
    });
    return l;
  });

  andExpr = this.RULE("andExpr", (): A.Expr => {
    let l = this.SUBRULE(this.cmpExpr);
    this.MANY(() => {
      const op = this.CONSUME(P.AndAnd);
      const r = this.SUBRULE2(this.cmpExpr);
      l = this.ACTION(() => this.bin(op, l, r));
    });
    return l;
  });

  cmpExpr = this.RULE("cmpExpr", (): A.Expr => {
    let l = this.SUBRULE(this.orBits);
    this.OPTION(() => {
      const op = this.CONSUME(CmpOp);
      const r = this.SUBRULE2(this.orBits);
      l = this.ACTION(() => this.bin(op, l, r));
    });
    return l;
  });

  orBits = this.RULE("orBits", (): A.Expr => {
    let l = this.SUBRULE(this.xorBits);
    this.MANY(() => {
      const op = this.CONSUME(P.Pipe);
      const r = this.SUBRULE2(this.xorBits);
      l = this.ACTION(() => this.bin(op, l, r));
    });
    return l;
  });

  xorBits = this.RULE("xorBits", (): A.Expr => {
    let l = this.SUBRULE(this.andBits);
    this.MANY(() => {
      const op = this.CONSUME(P.Caret);
      const r = this.SUBRULE2(this.andBits);
      l = this.ACTION(() => this.bin(op, l, r));
    });
    return l;
  });

  andBits = this.RULE("andBits", (): A.Expr => {
    let l = this.SUBRULE(this.shift);
    this.MANY(() => {
      const op = this.CONSUME(P.Amp);
      const r = this.SUBRULE2(this.shift);
      l = this.ACTION(() => this.bin(op, l, r));
    });
    return l;
  });

  shift = this.RULE("shift", (): A.Expr => {
    let l = this.SUBRULE(this.additive);
    this.MANY(() => {
      const op = this.CONSUME(ShiftOp);
      const r = this.SUBRULE2(this.additive);
      l = this.ACTION(() => this.bin(op, l, r));
    });
    return l;
  });

  additive = this.RULE("additive", (): A.Expr => {
    let l = this.SUBRULE(this.mult);
    this.MANY({
      // `-` at the start of a new line begins a new statement (`-x`), not a subtraction.
      GATE: () => this.LA(1).tokenType !== P.Minus || this.sameLine(this.LA(0), this.LA(1)),
      DEF: () => {
        const op = this.OR([{ ALT: () => this.CONSUME(P.Plus) }, {
          ALT: () => this.CONSUME(P.Minus),
        }]);
        const r = this.SUBRULE2(this.mult);
        l = this.ACTION(() => this.bin(op, l, r));
      },
    });
    return l;
  });

  mult = this.RULE("mult", (): A.Expr => {
    let l = this.SUBRULE(this.unary);
    this.MANY(() => {
      const op = this.CONSUME(P.Star);
      const r = this.SUBRULE2(this.unary);
      l = this.ACTION(() => this.bin(op, l, r));
    });
    return l;
  });

  unary = this.RULE("unary", (): A.Expr => {
    return this.OR(this.err({
      DEF: [
        {
          ALT: () => {
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
        { ALT: () => this.SUBRULE(this.primary) },
      ],
    }, () => this.valueError()));
  });

  primary = this.RULE("primary", (): A.Expr => {
    return this.OR(
      this.err({
        DEF: [
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
          {
            GATE: () => {
              const a = this.LA(1);
              const b = this.LA(2);
              return b.tokenType === P.LParen && b.startOffset === a.endOffset! + 1;
            },
            ALT: () => this.SUBRULE(this.call),
          },
          { ALT: () => this.SUBRULE(this.ref) },
          { ALT: () => this.SUBRULE(this.ioctl) },
          { ALT: () => this.SUBRULE(this.hcall) },
          { ALT: () => this.SUBRULE(this.open) },
        ],
      }, () => this.valueError()),
    );
  });

  private valueError(): ErrInfo {
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

  private lit(t: IToken): A.Expr {
    return this.ACTION((): A.Expr => {
      const span = this.sp(t);
      const type = t.tokenType;
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
    });
  }

  private strLit(t: IToken): A.StringLit {
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

  private textOf(t: A.Target): string {
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

let shared: TopoGrammar | undefined;

/**
 * The shared grammar instance (built on first use, then reused: Chevrotain's
 * advice for speed).
 *
 * @example
 * ```ts
 * import { grammar } from "./grammar.ts";
 * console.log(grammar() === grammar()); // true
 * ```
 */
export function grammar(): TopoGrammar {
  shared ??= new TopoGrammar();
  return shared;
}
