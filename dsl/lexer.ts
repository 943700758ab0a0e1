/**
 * The lexer: text → tokens, comments and lexical diagnostics. Never throws.
 * Chevrotain's first-character optimisation is kept on (`ensureOptimizations`).
 *
 * @example
 * ```ts
 * import { lex } from "./lexer.ts";
 * const r = lex("guest vm1 { memory 4G }  # small", "t.vmt");
 * console.log(r.tokens.length, r.comments[0].text); // 6 "# small"
 * ```
 * @module
 */
import { type IToken, Lexer } from "chevrotain";
import type { Comment } from "./ast.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { decodeBytes, decodeDuration, decodeInt, decodeString, plainInt } from "./literals.ts";
import { tokenSpan } from "./span.ts";
import {
  allTokens,
  BadInt,
  BinInt,
  BytesLit,
  BytesUnterminated,
  DecInt,
  Duration,
  HexInt,
  StringLit,
  StringUnterminated,
} from "./tokens.ts";

/**
 * The one lexer instance (construction analyses every pattern once).
 *
 * @example
 * ```ts
 * import { topoLexer } from "./lexer.ts";
 * console.log(topoLexer.tokenize("let x = 1").tokens.length); // 4
 * ```
 */
export const topoLexer: Lexer = new Lexer(allTokens, {
  ensureOptimizations: true,
  positionTracking: "full",
});

/** What {@link lex} returns. */
export interface LexResult {
  tokens: IToken[];
  comments: Comment[];
  diagnostics: Diagnostic[];
}

/** At most this many lexical diagnostics are reported for one text. */
const MAX_LEX_DIAGNOSTICS = 20;

function diag(
  code: string,
  message: string,
  tok: IToken,
  file: string,
  label: string,
  help?: string,
) {
  const span = tokenSpan(tok, file);
  const d: Diagnostic = {
    code,
    severity: "error",
    message,
    span,
    labels: [{ span, message: label }],
  };
  if (help) d.help = help;
  return d;
}

function printable(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0)) {
    return `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  }
  return "`" + ch + "`";
}

/**
 * Splits `text` into tokens. Comments come back separately, in order; every
 * lexical problem becomes a diagnostic (unexpected character, unterminated
 * string, number too large…) and lexing goes on.
 *
 * @example
 * ```ts
 * import { lex } from "./lexer.ts";
 * const r = lex('let s = "open', "t.vmt");
 * console.log(r.diagnostics[0].code); // "VT0002"
 * ```
 */
export function lex(text: string, file: string): LexResult {
  const diagnostics: Diagnostic[] = [];
  let tokens: IToken[] = [];
  let comments: Comment[] = [];
  try {
    const res = topoLexer.tokenize(text);
    tokens = res.tokens;
    comments = (res.groups.comments ?? []).map((t) => ({
      text: t.image,
      span: tokenSpan(t, file),
    }));
    for (const e of res.errors) {
      if (diagnostics.length >= MAX_LEX_DIAGNOSTICS) break;
      const ch = String.fromCodePoint(text.codePointAt(e.offset) ?? 0xfffd);
      const tok = {
        image: text.slice(e.offset, e.offset + e.length),
        startOffset: e.offset,
        endOffset: e.offset + ch.length - 1,
        startLine: e.line,
        startColumn: e.column,
        endLine: e.line,
        endColumn: (e.column ?? 1) + ch.length - 1,
      } as IToken;
      const more = e.length > ch.length ? ` (and ${e.length - ch.length} more)` : "";
      const help = ch === "/"
        ? "there is no division; `/` only begins a path such as `/dev/kvm`"
        : ch === "'"
        ? 'strings use double quotes: "…"'
        : undefined;
      diagnostics.push(
        diag(
          "VT0001",
          `unexpected character ${printable(ch)}${more}`,
          tok,
          file,
          "not part of the language",
          help,
        ),
      );
    }
    for (const t of tokens) {
      if (diagnostics.length >= MAX_LEX_DIAGNOSTICS) break;
      const type = t.tokenType;
      let problem;
      if (type === DecInt || type === HexInt || type === BinInt || type === BadInt) {
        // Most numbers are short and plain: nothing can be wrong with them.
        if (!plainInt(t.image)) problem = decodeInt(t.image).problem;
      } else if (type === Duration) problem = decodeDuration(t.image).problem;
      else if (type === StringLit || type === StringUnterminated) {
        problem = decodeString(t.image).problem;
      } else if (type === BytesLit || type === BytesUnterminated) {
        problem = decodeBytes(t.image).problem;
      }
      if (problem) {
        const label = problem.code === "VT0002" ? "the string starts here" : "here";
        diagnostics.push(diag(problem.code, problem.message, t, file, label, problem.help));
      }
    }
  } catch (e) {
    // Defensive: Chevrotain should never throw on input, but a front end must not crash.
    diagnostics.push({
      code: "VT0001",
      severity: "error",
      message: `the lexer failed: ${e instanceof Error ? e.message : String(e)}`,
      span: { file, start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 },
      labels: [],
    });
  }
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  return { tokens, comments, diagnostics };
}
