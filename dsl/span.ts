/**
 * Helpers to build {@link Span}s from Chevrotain tokens and to join them.
 *
 * @example
 * ```ts
 * import { joinSpans, pointSpan } from "./span.ts";
 * const a = pointSpan("x.vmt", 0, 1, 1);
 * console.log(joinSpans(a, a).start); // 0
 * ```
 * @module
 */
import type { IToken } from "chevrotain";
import type { Span } from "./ast.ts";

/**
 * The span covered by one token (Chevrotain positions are inclusive; ours are half-open).
 *
 * @example
 * ```ts
 * import { tokenSpan } from "./span.ts";
 * const tok = { image: "vm1", startOffset: 6, endOffset: 8, startLine: 1, startColumn: 7,
 *   endLine: 1, endColumn: 9 } as unknown as import("chevrotain").IToken;
 * console.log(tokenSpan(tok, "t.vmt").endCol); // 10
 * ```
 */
export function tokenSpan(tok: IToken, file: string): Span {
  return {
    file,
    start: tok.startOffset,
    end: (tok.endOffset ?? tok.startOffset) + 1,
    line: tok.startLine ?? 1,
    col: tok.startColumn ?? 1,
    endLine: tok.endLine ?? tok.startLine ?? 1,
    endCol: (tok.endColumn ?? tok.startColumn ?? 0) + 1,
  };
}

/**
 * The span from the start of `a` to the end of `b`.
 *
 * @example
 * ```ts
 * import { joinSpans, pointSpan } from "./span.ts";
 * const s = joinSpans(pointSpan("f", 0, 1, 1), pointSpan("f", 5, 1, 6));
 * console.log(s.start, s.end); // 0 5
 * ```
 */
export function joinSpans(a: Span, b: Span): Span {
  return {
    file: a.file,
    start: a.start,
    end: b.end,
    line: a.line,
    col: a.col,
    endLine: b.endLine,
    endCol: b.endCol,
  };
}

/**
 * An empty span at one position.
 *
 * @example
 * ```ts
 * import { pointSpan } from "./span.ts";
 * console.log(pointSpan("f", 3, 1, 4).end); // 3
 * ```
 */
export function pointSpan(file: string, offset: number, line: number, col: number): Span {
  return { file, start: offset, end: offset, line, col, endLine: line, endCol: col };
}

/**
 * The empty span at the end of `text` (where "end of input" errors point).
 *
 * @example
 * ```ts
 * import { endOfText } from "./span.ts";
 * console.log(endOfText("ab\ncd", "f").line); // 2
 * ```
 */
export function endOfText(text: string, file: string): Span {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return pointSpan(file, text.length, line, text.length - lineStart + 1);
}

/**
 * True when two spans cover the same text.
 *
 * @example
 * ```ts
 * import { pointSpan, sameSpan } from "./span.ts";
 * console.log(sameSpan(pointSpan("f", 1, 1, 2), pointSpan("f", 1, 1, 2))); // true
 * ```
 */
export function sameSpan(a: Span, b: Span): boolean {
  return a.file === b.file && a.start === b.start && a.end === b.end;
}
