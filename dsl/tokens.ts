/**
 * Chevrotain token definitions of the topology language. Keywords are not
 * reserved in name positions: they share the {@link AnyName} category with
 * {@link Ident}, and use `longer_alt` so `format` or `host-x` stay identifiers.
 *
 * @example
 * ```ts
 * import { allTokens, Ident } from "./tokens.ts";
 * console.log(allTokens.includes(Ident)); // true
 * ```
 * @module
 */
import { createToken, Lexer, type TokenType } from "chevrotain";

const NOT_WORD = "(?![A-Za-z0-9_])";

/**
 * Category: anything usable as a plain name (identifiers and keywords).
 *
 * @example
 * ```ts
 * import { AnyName } from "./tokens.ts";
 * console.log(AnyName.name); // "AnyName"
 * ```
 */
export const AnyName: TokenType = createToken({ name: "AnyName", pattern: Lexer.NA });
/**
 * Category: the declaration keywords (host, guest, …).
 *
 * @example
 * ```ts
 * import { DeclKw } from "./tokens.ts";
 * console.log(DeclKw.name); // "DeclKw"
 * ```
 */
export const DeclKw: TokenType = createToken({ name: "DeclKw", pattern: Lexer.NA });
/**
 * Category: every integer form.
 *
 * @example
 * ```ts
 * import { Int } from "./tokens.ts";
 * console.log(Int.name); // "Int"
 * ```
 */
export const Int: TokenType = createToken({ name: "Int", pattern: Lexer.NA, label: "a number" });
/**
 * Category: string literals, terminated or not.
 *
 * @example
 * ```ts
 * import { Str } from "./tokens.ts";
 * console.log(Str.name); // "Str"
 * ```
 */
export const Str: TokenType = createToken({ name: "Str", pattern: Lexer.NA, label: "a string" });
/**
 * Category: byte strings, terminated or not.
 *
 * @example
 * ```ts
 * import { Bytes } from "./tokens.ts";
 * console.log(Bytes.name); // "Bytes"
 * ```
 */
export const Bytes: TokenType = createToken({
  name: "Bytes",
  pattern: Lexer.NA,
  label: "a byte string",
});
/**
 * Category: comparison operators.
 *
 * @example
 * ```ts
 * import { CmpOp } from "./tokens.ts";
 * console.log(CmpOp.name); // "CmpOp"
 * ```
 */
export const CmpOp: TokenType = createToken({ name: "CmpOp", pattern: Lexer.NA });
/**
 * Category: `<<` and `>>`.
 *
 * @example
 * ```ts
 * import { ShiftOp } from "./tokens.ts";
 * console.log(ShiftOp.name); // "ShiftOp"
 * ```
 */
export const ShiftOp: TokenType = createToken({ name: "ShiftOp", pattern: Lexer.NA });
/**
 * Category: every binary operator (`||` … `*`); the expression rule loops over it.
 *
 * @example
 * ```ts
 * import { BinOp } from "./tokens.ts";
 * console.log(BinOp.name); // "BinOp"
 * ```
 */
export const BinOp: TokenType = createToken({ name: "BinOp", pattern: Lexer.NA });
/**
 * Category: `+` and `-`.
 *
 * @example
 * ```ts
 * import { AddOp } from "./tokens.ts";
 * console.log(AddOp.name); // "AddOp"
 * ```
 */
export const AddOp: TokenType = createToken({ name: "AddOp", pattern: Lexer.NA });
/**
 * Category: unary operators `-`, `~`, `!`.
 *
 * @example
 * ```ts
 * import { UnaryOp } from "./tokens.ts";
 * console.log(UnaryOp.name); // "UnaryOp"
 * ```
 */
export const UnaryOp: TokenType = createToken({ name: "UnaryOp", pattern: Lexer.NA });

/**
 * Whitespace that starts with a line break, skipped.
 *
 * @example
 * ```ts
 * import { WhiteSpace } from "./tokens.ts";
 * console.log(WhiteSpace.name); // "WhiteSpace"
 * ```
 */
export const WhiteSpace: TokenType = createToken({
  name: "WhiteSpace",
  pattern: /[\r\n][ \t\r\n\f\v]*/,
  group: Lexer.SKIPPED,
  line_breaks: true,
});
/**
 * Blanks within a line, skipped. Kept apart from {@link WhiteSpace} so that the
 * lexer only scans for line breaks in runs that begin with one (most runs are a
 * single space between tokens).
 *
 * @example
 * ```ts
 * import { Blank } from "./tokens.ts";
 * console.log(Blank.name); // "Blank"
 * ```
 */
export const Blank: TokenType = createToken({
  name: "Blank",
  pattern: /[ \t\f\v]+/,
  group: Lexer.SKIPPED,
  line_breaks: false,
});
/**
 * `# …` to the end of the line, kept in the `comments` group.
 *
 * @example
 * ```ts
 * import { Comment } from "./tokens.ts";
 * console.log(Comment.name); // "Comment"
 * ```
 */
export const Comment: TokenType = createToken({
  name: "Comment",
  pattern: /#[^\n\r]*/,
  group: "comments",
});

/**
 * `52:54:00:12:34:56`.
 *
 * @example
 * ```ts
 * import { Mac } from "./tokens.ts";
 * console.log(Mac.name); // "Mac"
 * ```
 */
export const Mac: TokenType = createToken({
  name: "Mac",
  pattern: new RegExp(`[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}(?![0-9A-Za-z_:])`),
  label: "a MAC address",
});
/**
 * `0001:01:00.0` or `01:00.0`.
 *
 * @example
 * ```ts
 * import { Bdf } from "./tokens.ts";
 * console.log(Bdf.name); // "Bdf"
 * ```
 */
export const Bdf: TokenType = createToken({
  name: "Bdf",
  pattern: new RegExp(`(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\\.[0-7]${NOT_WORD}`),
  label: "a PCI address",
});
/**
 * `x"de ad be ef"`.
 *
 * @example
 * ```ts
 * import { BytesLit } from "./tokens.ts";
 * console.log(BytesLit.name); // "BytesLit"
 * ```
 */
export const BytesLit: TokenType = createToken({
  name: "BytesLit",
  pattern: /x"[^"\n\r]*"/,
  categories: [Bytes],
});
/**
 * `x"de ad` with no closing quote.
 *
 * @example
 * ```ts
 * import { BytesUnterminated } from "./tokens.ts";
 * console.log(BytesUnterminated.name); // "BytesUnterminated"
 * ```
 */
export const BytesUnterminated: TokenType = createToken({
  name: "BytesUnterminated",
  pattern: /x"[^"\n\r]*/,
  categories: [Bytes],
});
/**
 * `"…"`.
 *
 * @example
 * ```ts
 * import { StringLit } from "./tokens.ts";
 * console.log(StringLit.name); // "StringLit"
 * ```
 */
export const StringLit: TokenType = createToken({
  name: "StringLit",
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*"/,
  categories: [Str],
});
/**
 * `"…` with no closing quote on its line.
 *
 * @example
 * ```ts
 * import { StringUnterminated } from "./tokens.ts";
 * console.log(StringUnterminated.name); // "StringUnterminated"
 * ```
 */
export const StringUnterminated: TokenType = createToken({
  name: "StringUnterminated",
  pattern: /"(?:[^"\\\n\r]|\\[^\n\r])*\\?/,
  categories: [Str],
});
/**
 * `10ms`, `5s`, `100us`, `7ns`.
 *
 * @example
 * ```ts
 * import { Duration } from "./tokens.ts";
 * console.log(Duration.name); // "Duration"
 * ```
 */
export const Duration: TokenType = createToken({
  name: "Duration",
  pattern: new RegExp(`[0-9][0-9_]*(?:ns|us|ms|s)${NOT_WORD}`),
  label: "a duration",
});
/**
 * `0x1000`.
 *
 * @example
 * ```ts
 * import { HexInt } from "./tokens.ts";
 * console.log(HexInt.name); // "HexInt"
 * ```
 */
export const HexInt: TokenType = createToken({
  name: "HexInt",
  pattern: new RegExp(`0[xX][0-9a-fA-F_]+${NOT_WORD}`),
  categories: [Int],
});
/**
 * `0b1010`.
 *
 * @example
 * ```ts
 * import { BinInt } from "./tokens.ts";
 * console.log(BinInt.name); // "BinInt"
 * ```
 */
export const BinInt: TokenType = createToken({
  name: "BinInt",
  pattern: new RegExp(`0[bB][01_]+${NOT_WORD}`),
  categories: [Int],
});
/**
 * `4096`, `1_000`, `4K`, `1G`.
 *
 * @example
 * ```ts
 * import { DecInt } from "./tokens.ts";
 * console.log(DecInt.name); // "DecInt"
 * ```
 */
export const DecInt: TokenType = createToken({
  name: "DecInt",
  pattern: new RegExp(`[0-9][0-9_]*[KMGTPE]?${NOT_WORD}`),
  categories: [Int],
});
/**
 * A number followed by letters that make no number (`4Kb`, `0x`); reported by the lexer.
 *
 * @example
 * ```ts
 * import { BadInt } from "./tokens.ts";
 * console.log(BadInt.name); // "BadInt"
 * ```
 */
export const BadInt: TokenType = createToken({
  name: "BadInt",
  pattern: /[0-9][A-Za-z0-9_]*/,
  categories: [Int],
});

/**
 * Identifiers; internal dashes allowed (`vdpa-net`, `spapr-tce-v2`).
 *
 * @example
 * ```ts
 * import { Ident } from "./tokens.ts";
 * console.log(Ident.name); // "Ident"
 * ```
 */
export const Ident: TokenType = createToken({
  name: "Ident",
  pattern: /[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z][A-Za-z0-9_]*)*/,
  categories: [AnyName],
  label: "a name",
});

function keyword(word: string, decl = false): TokenType {
  return createToken({
    name: "Kw_" + word,
    pattern: new RegExp(word),
    longer_alt: Ident,
    categories: decl ? [AnyName, DeclKw] : [AnyName],
    label: "`" + word + "`",
  });
}

/**
 * The declaration keywords, by word.
 *
 * @example
 * ```ts
 * import { DECL_KEYWORDS } from "./tokens.ts";
 * console.log(DECL_KEYWORDS[0]); // "host"
 * ```
 */
export const DECL_KEYWORDS: readonly string[] = [
  "host",
  "guest",
  "process",
  "container",
  "group",
  "window",
  "device",
];
/**
 * Every keyword, by word (declaration keywords first).
 *
 * @example
 * ```ts
 * import { KEYWORDS } from "./tokens.ts";
 * console.log(KEYWORDS.includes("ioctl")); // true
 * ```
 */
export const KEYWORDS: readonly string[] = [
  ...DECL_KEYWORDS,
  "let",
  "ioctl",
  "hcall",
  "expect",
  "show",
  "advance",
  "for",
  "include",
  "open",
  "in",
];
/**
 * Keyword token types, by word.
 *
 * @example
 * ```ts
 * import { Kw } from "./tokens.ts";
 * console.log(Kw.guest.name); // "Kw_guest"
 * ```
 */
export const Kw: Readonly<Record<string, TokenType>> = Object.fromEntries(
  KEYWORDS.map((w) => [w, keyword(w, DECL_KEYWORDS.includes(w))]),
);

/**
 * `/dev/kvm`, `/dev/vhost-vdpa-0`.
 *
 * @example
 * ```ts
 * import { Path } from "./tokens.ts";
 * console.log(Path.name); // "Path"
 * ```
 */
export const Path: TokenType = createToken({
  name: "Path",
  pattern: /\/[A-Za-z0-9_.\-/]+/,
  label: "a path",
});

function punct(name: string, text: string, categories: TokenType[] = []): TokenType {
  const escaped = text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return createToken({ name, pattern: new RegExp(escaped), categories, label: "`" + text + "`" });
}

/**
 * Punctuation and operator tokens, by name.
 *
 * @example
 * ```ts
 * import { P } from "./tokens.ts";
 * console.log(P.Arrow.name); // "Arrow"
 * ```
 */
export const P = {
  LCurly: punct("LCurly", "{"),
  RCurly: punct("RCurly", "}"),
  LParen: punct("LParen", "("),
  RParen: punct("RParen", ")"),
  LBracket: punct("LBracket", "["),
  RBracket: punct("RBracket", "]"),
  Comma: punct("Comma", ","),
  Colon: punct("Colon", ":"),
  Semi: punct("Semi", ";"),
  DotDot: punct("DotDot", ".."),
  Dot: punct("Dot", "."),
  Arrow: punct("Arrow", "=>"),
  EqEq: punct("EqEq", "==", [CmpOp, BinOp]),
  Eq: punct("Eq", "="),
  NotEq: punct("NotEq", "!=", [CmpOp, BinOp]),
  LtEq: punct("LtEq", "<=", [CmpOp, BinOp]),
  Shl: punct("Shl", "<<", [ShiftOp, BinOp]),
  Lt: punct("Lt", "<", [CmpOp, BinOp]),
  GtEq: punct("GtEq", ">=", [CmpOp, BinOp]),
  Shr: punct("Shr", ">>", [ShiftOp, BinOp]),
  Gt: punct("Gt", ">", [CmpOp, BinOp]),
  OrOr: punct("OrOr", "||", [BinOp]),
  Pipe: punct("Pipe", "|", [BinOp]),
  AndAnd: punct("AndAnd", "&&", [BinOp]),
  Amp: punct("Amp", "&", [BinOp]),
  Caret: punct("Caret", "^", [BinOp]),
  Tilde: punct("Tilde", "~", [UnaryOp]),
  Bang: punct("Bang", "!", [UnaryOp]),
  Plus: punct("Plus", "+", [AddOp, BinOp]),
  Minus: punct("Minus", "-", [AddOp, UnaryOp, BinOp]),
  Star: punct("Star", "*", [BinOp]),
} as const;

/**
 * Every token type in lexing order (first match wins, so longer forms come first).
 *
 * @example
 * ```ts
 * import { allTokens } from "./tokens.ts";
 * console.log(allTokens.length > 50); // true
 * ```
 */
export const allTokens: TokenType[] = [
  Blank,
  WhiteSpace,
  Comment,
  Mac,
  Bdf,
  BytesLit,
  BytesUnterminated,
  StringLit,
  StringUnterminated,
  Duration,
  HexInt,
  BinInt,
  DecInt,
  BadInt,
  ...Object.values(Kw),
  Ident,
  Path,
  P.LCurly,
  P.RCurly,
  P.LParen,
  P.RParen,
  P.LBracket,
  P.RBracket,
  P.Comma,
  P.Colon,
  P.Semi,
  P.DotDot,
  P.Dot,
  P.Arrow,
  P.EqEq,
  P.Eq,
  P.NotEq,
  P.LtEq,
  P.Shl,
  P.Lt,
  P.GtEq,
  P.Shr,
  P.Gt,
  P.OrOr,
  P.Pipe,
  P.AndAnd,
  P.Amp,
  P.Caret,
  P.Tilde,
  P.Bang,
  P.Plus,
  P.Minus,
  P.Star,
  AnyName,
  DeclKw,
  Int,
  Str,
  Bytes,
  CmpOp,
  ShiftOp,
  AddOp,
  UnaryOp,
  BinOp,
];
