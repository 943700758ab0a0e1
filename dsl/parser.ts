/**
 * `parse(text, file)`: text → {@link Program} plus diagnostics. Never throws.
 *
 * The shared Chevrotain grammar parses the whole token stream in one go; when a
 * statement fails, the first error becomes one diagnostic in domain words, the
 * parser skips to the next statement that starts a line outside any open block,
 * and parsing resumes there. So each root cause yields one message.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * const { program, diagnostics } = parse("guest vm1 { vcpus 2  memory 4G }", "t.vmt");
 * console.log(program.body[0].kind, diagnostics.length); // "Decl" 0
 * ```
 * @module
 */
import { EOF, type IToken } from "chevrotain";
import type { Program, Span, Stmt } from "./ast.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { describeToken, grammar } from "./grammar.ts";
import { lex } from "./lexer.ts";
import { endOfText, joinSpans, pointSpan, tokenSpan } from "./span.ts";
import { layoutDiagnostics } from "./statement_layout.ts";
import { CmpOp, DeclKw, Ident, Kw, P } from "./tokens.ts";

/** What {@link parse} returns. */
export interface ParseResult {
  program: Program;
  diagnostics: Diagnostic[];
}

/** Stop after this many syntax errors in one text. */
const MAX_SYNTAX_ERRORS = 25;

const STMT_KEYWORDS = new Set(
  ["let", "expect", "show", "advance", "for", "include", "ioctl", "hcall", "open"].map((w) =>
    Kw[w]
  ),
);

/** Point a statement-level syntax error at the whole culprit, `from` through `to`. */
function culprit(d: Diagnostic, from: IToken, to: IToken, label: string): void {
  d.span = joinSpans(tokenSpan(from, d.span.file), tokenSpan(to, d.span.file));
  d.labels = [{ span: d.span, message: label }];
}

const adjacent = (a: IToken | undefined, b: IToken | undefined) =>
  !!a && !!b && a.endOffset! + 1 === b.startOffset;

/** `1.5`: an integer, a `.` and digits, with nothing between them. */
function looksLikeFraction(text: string, prev: IToken | undefined, next: IToken): boolean {
  return next.tokenType === P.Dot && adjacent(prev, next) && /^\d+$/.test(prev!.image) &&
    /^\d/.test(text.slice(next.endOffset! + 1));
}

/**
 * `52:54:00:12:34`: hex byte pairs joined by `:` that stop short of (or run
 * past) the six of a MAC address: their count and the offset of their last
 * character, else undefined.
 */
function badMac(
  text: string,
  prev: IToken | undefined,
  next: IToken,
): { count: number; end: number } | undefined {
  if (next.tokenType !== P.Colon || !adjacent(prev, next)) return undefined;
  const m = /^[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2})+(?![0-9a-zA-Z:])/.exec(
    text.slice(prev!.startOffset),
  );
  if (!m) return undefined;
  const count = m[0].split(":").length;
  return count === 6 ? undefined : { count, end: prev!.startOffset + m[0].length - 1 };
}

function startsStatement(t: IToken): boolean {
  return t.tokenType === Ident || STMT_KEYWORDS.has(t.tokenType) ||
    (t.tokenType.CATEGORIES?.includes(DeclKw) ?? false);
}

function firstOnLine(tokens: IToken[], i: number): boolean {
  return i === 0 || tokens[i - 1].endLine! < tokens[i].startLine! ||
    tokens[i - 1].tokenType === P.Semi;
}

/** Index of the token starting at `offset` (or the first after it). */
function indexAt(tokens: IToken[], offset: number): number {
  let lo = 0;
  let hi = tokens.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tokens[mid].startOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Where to resume after a statement that starts at `start` failed at `err`. */
function resync(tokens: IToken[], start: number, err: number): number {
  let depth = 0;
  for (let i = start; i < tokens.length; i++) {
    const t = tokens[i];
    if (i > start && i >= err && depth <= 0 && startsStatement(t) && firstOnLine(tokens, i)) {
      return i;
    }
    if (t.tokenType === P.LCurly) depth++;
    else if (t.tokenType === P.RCurly) depth--;
  }
  // An unclosed block: resume at the next line that starts with a statement keyword.
  for (let i = start + 1; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.tokenType !== Ident && startsStatement(t) && firstOnLine(tokens, i)) return i;
  }
  return tokens.length;
}

function afterSpan(tokens: IToken[], text: string, file: string): Span {
  const last = tokens[tokens.length - 1];
  if (!last || !(last.endLine! > 0)) return endOfText(text, file);
  return pointSpan(file, last.endOffset! + 1, last.endLine!, last.endColumn! + 1);
}

/**
 * Parses a whole file. Every syntax problem becomes a diagnostic; the program
 * holds every statement that parsed.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * const r = parse("guest vm1 vcpus 2 }", "t.vmt");
 * console.log(r.diagnostics[0].message); // "expected `{` to open the block of guest `vm1`, found `vcpus`"
 * ```
 */
export function parse(text: string, file: string): ParseResult {
  const lexed = lex(text, file);
  const diagnostics: Diagnostic[] = [...lexed.diagnostics];
  const tokens = lexed.tokens;
  const body: Stmt[] = [];
  const g = grammar();
  let pos = 0;
  let syntaxErrors = 0;
  try {
    while (pos < tokens.length) {
      g.begin(pos === 0 ? tokens : tokens.slice(pos), file);
      g.program();
      // A loop, not `push(...)`: spreading a huge body overflows the call stack.
      for (const s of g.body) body.push(s);
      diagnostics.push(...g.extra);
      let start: number;
      let errIdx: number;
      let d: Diagnostic;
      const e = g.errors.find((x) => x.name !== "NotAllInputParsedException");
      if (e) {
        const tok = e.token;
        const eof = tok.tokenType === EOF || !(tok.startOffset >= 0);
        errIdx = eof ? tokens.length : indexAt(tokens, tok.startOffset);
        start = g.stmtStart && g.stmtStart.tokenType !== EOF
          ? indexAt(tokens, g.stmtStart.startOffset)
          : pos;
        const info = g.errInfo;
        const span = info?.span ?? (eof ? afterSpan(tokens, text, file) : tokenSpan(tok, file));
        d = {
          code: "VT0003",
          severity: "error",
          message: info?.message ?? e.message,
          span,
          labels: [
            { span, message: info?.label ?? (eof ? "input ends here" : "unexpected here") },
            ...(info?.labels ?? []),
          ],
        };
        if (info?.help) d.help = info.help;
      } else {
        const next = g.peek();
        if (next.tokenType === EOF || !(next.startOffset >= 0)) break;
        errIdx = indexAt(tokens, next.startOffset);
        start = errIdx;
        const span = tokenSpan(next, file);
        const prev = tokens[errIdx - 1];
        d = {
          code: "VT0003",
          severity: "error",
          message: `expected a statement, found ${describeToken(next)}`,
          span,
          labels: [{ span, message: "not the start of a statement" }],
        };
        if (next.tokenType === P.RCurly) {
          d.message = "unexpected `}` — no block is open here";
          d.labels[0].message = "nothing to close";
        } else if (next.tokenType.CATEGORIES?.includes(CmpOp) && prev) {
          d.message = `comparisons do not chain: unexpected ${describeToken(next)}`;
          d.help = "add parentheses, e.g. `(a == b) == c`, or join tests with `&&`";
        } else if (looksLikeFraction(text, prev, next)) {
          d.message = "numbers are integers: there is no fractional part";
          culprit(d, prev!, tokens[errIdx + 1] ?? next, "not an integer");
          d.help = "write sizes with a smaller unit or a sum: `1536K`, `1M + 512K`";
        } else if (badMac(text, prev, next)) {
          const { count, end } = badMac(text, prev, next)!;
          d.message = `a MAC address has six bytes, this one has ${count}`;
          const last = tokens.findLast((t) => t.endOffset! <= end) ?? next;
          culprit(d, prev!, last, "not a MAC address");
          d.help = "write all six, e.g. `52:54:00:12:34:56`";
        } else if (next.tokenType === P.Arrow) {
          d.message =
            "`=>` (expected result) only follows an action such as `ioctl …` or `hcall …`";
          d.labels[0].message = "not after an action";
        }
      }
      // A character the lexer dropped just before the statement (`é = 3`) is its cause too.
      const before = tokens[start - 1];
      const from = before && before.endLine === tokens[start]?.startLine
        ? before.endOffset! + 1
        : tokens[start]?.startLine === 1
        ? 0
        : (tokens[start]?.startOffset ?? 0) - (tokens[start]?.startColumn ?? 1) + 1;
      const to = errIdx < tokens.length ? tokens[errIdx].endOffset! : text.length;
      const lexicalCause = lexed.diagnostics.some((x) =>
        x.span.start >= from && x.span.start <= to + 1
      );
      if (!lexicalCause) diagnostics.push(d);
      if (++syntaxErrors >= MAX_SYNTAX_ERRORS) break;
      pos = resync(tokens, start, errIdx);
    }
  } catch (e) {
    diagnostics.push({
      code: "VT0003",
      severity: "error",
      message: tooDeep(e)
        ? "this input is nested too deeply to parse (brackets or blocks thousands of levels deep)"
        : `the parser failed: ${e instanceof Error ? e.message : String(e)}`,
      span: afterSpan(tokens, text, file),
      labels: [],
      help: "split the expression or the blocks into smaller statements with `let`",
    });
  }
  const layout = layoutDiagnostics(body, tokens, file, diagnostics);
  const all = [...diagnostics.filter((d) => !layout.superseded(d)), ...layout.diagnostics];
  diagnostics.length = 0;
  for (const d of all) diagnostics.push(d);
  diagnostics.sort((a, b) => a.span.start - b.span.start);
  const end = endOfText(text, file);
  return {
    program: {
      kind: "Program",
      file,
      body,
      comments: lexed.comments,
      span: {
        file,
        start: 0,
        end: text.length,
        line: 1,
        col: 1,
        endLine: end.line,
        endCol: end.col,
      },
    },
    diagnostics,
  };
}

/** Stack exhaustion (or the array limits that follow it) from pathological nesting. */
function tooDeep(e: unknown): boolean {
  return e instanceof RangeError;
}
