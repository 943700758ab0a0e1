/**
 * Syntax-error wording shared by the grammar: how tokens are described in
 * "found …", and the fallback messages used where a rule has no `ERR_MSG`.
 *
 * @example
 * ```ts
 * import { describeToken } from "./syntax_errors.ts";
 * console.log(describeToken(undefined)); // "the end of input"
 * ```
 * @module
 */
import { EOF, type IParserErrorMessageProvider, type IToken, type TokenType } from "chevrotain";
import type { Span } from "./ast.ts";
import type { Label } from "./diagnostic.ts";

/** Details of a syntax error, recorded when an `ERR_MSG` getter fires. */
export interface ErrInfo {
  message: string;
  /** Primary label text. */
  label?: string;
  /** Primary span; defaults to the offending token. */
  span?: Span;
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

/**
 * Fallback wording for errors that have no `ERR_MSG` (never Chevrotain's raw text).
 *
 * @example
 * ```ts
 * import { messages } from "./syntax_errors.ts";
 * console.log(typeof messages.buildMismatchTokenMessage); // "function"
 * ```
 */
export const messages: IParserErrorMessageProvider = {
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
