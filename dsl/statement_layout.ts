/**
 * Statement layout rules the grammar alone does not enforce: a statement ends
 * at the end of its line or at `;`, so two statements on one line without a
 * `;` are a mistake, and the commonest such mistake is a misspelt declaration
 * keyword (`gest vm1 { … }` reads as three expressions). Each rule yields one
 * diagnostic per root cause; {@link layoutDiagnostics} runs them on a parse.
 *
 * @example
 * ```ts
 * import { lex } from "./lexer.ts";
 * import { misspeltDecls } from "./statement_layout.ts";
 * const t = lex("gest vm1 { vcpus 1 }", "t.vmt").tokens;
 * console.log(misspeltDecls(t, "t.vmt")[0].help); // "did you mean `guest`?"
 * ```
 * @module
 */
import type { IToken } from "chevrotain";
import type { Span, Stmt } from "./ast.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { describeToken } from "./syntax_errors.ts";
import { tokenSpan } from "./span.ts";
import { suggest } from "./suggest.ts";
import { AnyName, DECL_KEYWORDS, Ident, Int, P, Path, StringLit } from "./tokens.ts";

function startsLine(tokens: readonly IToken[], i: number): boolean {
  const prev = tokens[i - 1];
  return !prev || prev.endLine! < tokens[i]!.startLine! || prev.tokenType === P.Semi ||
    prev.tokenType === P.LCurly;
}

/**
 * `WORD NAME {` at the start of a statement, where WORD is no keyword: an
 * unknown (usually misspelt) declaration keyword. One diagnostic each, with
 * did-you-mean over the declaration keywords.
 *
 * @example
 * ```ts
 * import { lex } from "./lexer.ts";
 * import { misspeltDecls } from "./statement_layout.ts";
 * console.log(misspeltDecls(lex("let x = 1", "t.vmt").tokens, "t.vmt").length); // 0
 * ```
 */
export function misspeltDecls(tokens: readonly IToken[], file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (let i = 0; i + 2 < tokens.length; i++) {
    const [w, n, b] = [tokens[i]!, tokens[i + 1]!, tokens[i + 2]!];
    if (w.tokenType !== Ident || b.tokenType !== P.LCurly) continue;
    if (n.tokenType !== Ident && !(n.tokenType.CATEGORIES?.includes(Int) ?? false)) continue;
    if (b.startLine !== w.startLine || !startsLine(tokens, i)) continue;
    const span = tokenSpan(w, file);
    const s = suggest(w.image, DECL_KEYWORDS);
    out.push({
      code: "VT0003",
      severity: "error",
      message: `unknown declaration \`${w.image}\``,
      span,
      labels: [{ span, message: "not a declaration keyword" }],
      help: s.length
        ? `did you mean \`${s[0]}\`?`
        : `a declaration starts with one of ${DECL_KEYWORDS.map((k) => `\`${k}\``).join(", ")}`,
    });
  }
  return out;
}

/** REPL commands that read like statements; in a script they are mistakes. */
const REPL_WORDS = new Set(["help", "save"]);

/**
 * `help NAME` or `save FILE` at the start of a statement in a script: REPL
 * commands, not statements. One diagnostic each.
 *
 * @example
 * ```ts
 * import { lex } from "./lexer.ts";
 * import { replCommandsInScript } from "./statement_layout.ts";
 * const t = lex("help KVM_RUN", "t.vmt").tokens;
 * console.log(replCommandsInScript(t, "t.vmt")[0].message); // "`help` is a REPL command, not a statement"
 * ```
 */
export function replCommandsInScript(tokens: readonly IToken[], file: string): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (let i = 0; i + 1 < tokens.length; i++) {
    const [w, n] = [tokens[i]!, tokens[i + 1]!];
    if (w.tokenType !== Ident || !REPL_WORDS.has(w.image) || !startsLine(tokens, i)) continue;
    // `help NAME` / `save FILE`, not `help == 3` or `help(…)`.
    const arg = n.tokenType === Ident || n.tokenType === Path || n.tokenType === StringLit ||
      (n.tokenType.CATEGORIES?.includes(AnyName) ?? false);
    if (n.startLine !== w.startLine || !arg) continue;
    const span = tokenSpan(w, file);
    out.push({
      code: "VT0003",
      severity: "error",
      message: `\`${w.image}\` is a REPL command, not a statement`,
      span,
      labels: [{ span, message: "REPL only" }],
      help: w.image === "help"
        ? `ask the REPL or \`vmtopo eval '${w.image} ${n.image}'\`; a script cannot print help`
        : "a script is already a file; run `save` in the REPL",
    });
  }
  return out;
}

function hasSemiBetween(tokens: readonly IToken[], from: number, to: number): boolean {
  for (const t of tokens) {
    if (t.startOffset >= to) return false;
    if (t.startOffset >= from && t.tokenType === P.Semi) return true;
  }
  return false;
}

function firstTokenAt(tokens: readonly IToken[], offset: number): IToken | undefined {
  return tokens.find((t) => t.startOffset >= offset);
}

/**
 * Two statements of one block on the same line with no `;` between them.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * console.log(parse("1 2", "t.vmt").diagnostics[0].message);
 * // "expected the end of the statement, found `2`"
 * ```
 */
export function joinedStatements(
  body: readonly Stmt[],
  tokens: readonly IToken[],
  file: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (let i = 0; i < body.length; i++) {
    const s = body[i]!;
    if (s.kind === "For") out.push(...joinedStatements(s.body, tokens, file));
    const next = body[i + 1];
    if (!next || next.span.line !== s.span.endLine) continue;
    if (hasSemiBetween(tokens, s.span.end, next.span.start)) continue;
    const tok = firstTokenAt(tokens, next.span.start);
    const span: Span = tok ? tokenSpan(tok, file) : next.span;
    out.push({
      code: "VT0003",
      severity: "error",
      message: `expected the end of the statement, found ${tok ? describeToken(tok) : "more"}`,
      span,
      labels: [{ span, message: "a new statement starts here" }],
      help: "put each statement on its own line, or separate them with `;`",
    });
  }
  return out;
}

/**
 * The layout diagnostics of a parse, minus those that repeat a root cause
 * already reported (`known`): a misspelt declaration explains everything
 * else wrong on its line.
 *
 * @example
 * ```ts
 * import { lex } from "./lexer.ts";
 * import { layoutDiagnostics } from "./statement_layout.ts";
 * const t = lex("gest vm1 { }", "t.vmt").tokens;
 * console.log(layoutDiagnostics([], t, "t.vmt", []).diagnostics.length); // 1
 * ```
 */
export function layoutDiagnostics(
  body: readonly Stmt[],
  tokens: readonly IToken[],
  file: string,
  known: readonly Diagnostic[],
): { diagnostics: Diagnostic[]; superseded: (d: Diagnostic) => boolean } {
  const decls = [...misspeltDecls(tokens, file), ...replCommandsInScript(tokens, file)];
  const lines = new Set(decls.map((d) => d.span.line));
  const onDeclLine = (d: Diagnostic) => lines.has(d.span.line);
  const seen = new Set(known.map((k) => `${k.span.file}:${k.span.line}`));
  const joined = joinedStatements(body, tokens, file).filter((d) => {
    const key = `${d.span.file}:${d.span.line}`;
    if (onDeclLine(d) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { diagnostics: [...decls, ...joined], superseded: onDeclLine };
}
