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
import { EOF, type IToken } from "chevrotain";
import type * as A from "./ast.ts";
import { ExprGrammar } from "./expr_grammar.ts";
import type { ErrInfo } from "./syntax_errors.ts";
import { joinSpans } from "./span.ts";
import { AnyName, DeclKw, Ident, Int, Kw, P, Str } from "./tokens.ts";

export { describeToken, type ErrInfo } from "./syntax_errors.ts";

/**
 * The grammar class; see {@link grammar} for the shared instance.
 *
 * @example
 * ```ts
 * import { TopoGrammar } from "./grammar.ts";
 * console.log(typeof TopoGrammar); // "function"
 * ```
 */
export class TopoGrammar extends ExprGrammar {
  /** Top-level statements parsed so far (kept when a later statement fails). */
  body: A.Stmt[] = [];
  /** First token of the top-level statement being parsed. */
  stmtStart: IToken | undefined;
  private lastProp: { name: IToken; hasValue: boolean } | undefined;

  constructor() {
    super();
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
    this.resetExprState();
    this.input = tokens;
  }

  /** The next unconsumed token (EOF token at the end). */
  peek(): IToken {
    return this.LA(1);
  }

  private blockWhat(kw: IToken, name: IToken | undefined): string {
    return name ? `${kw.image} \`${name.image}\`` : kw.image;
  }

  // ------------------------------------------------------------ statements

  // OR alternatives that close over nothing local are built once, not per call
  // (Chevrotain's advice for speed).
  private readonly programAlts = [
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
  ];

  /** Program := (Stmt | `;`)* */
  program = this.RULE("program", () => {
    this.MANY(() => {
      this.OR(this.programAlts);
    });
  });

  private readonly statementAlts = [
    { ALT: (): A.Stmt => this.SUBRULE(this.decl) },
    { ALT: (): A.Stmt => this.SUBRULE(this.letStmt) },
    { ALT: (): A.Stmt => this.SUBRULE(this.expectStmt) },
    { ALT: (): A.Stmt => this.SUBRULE(this.showStmt) },
    { ALT: (): A.Stmt => this.SUBRULE(this.advanceStmt) },
    { ALT: (): A.Stmt => this.SUBRULE(this.forStmt) },
    { ALT: (): A.Stmt => this.SUBRULE(this.includeStmt) },
    { ALT: (): A.Stmt => this.SUBRULE(this.exprStmt) },
  ];

  statement = this.RULE("statement", (): A.Stmt => this.OR(this.statementAlts));

  /** A block item: a property, or a `;`/`,` separator (undefined). */
  private readonly blockItemAlts = [
    { ALT: (): A.Property | undefined => this.SUBRULE(this.property) },
    {
      ALT: (): A.Property | undefined => {
        this.CONSUME(P.Semi);
        return undefined;
      },
    },
    {
      ALT: (): A.Property | undefined => {
        this.CONSUME(P.Comma);
        return undefined;
      },
    },
  ];

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
    this.MANY(() => {
      const p = this.OR2(this.blockItemAlts);
      if (p) this.ACTION(() => props.push(p));
    });
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
