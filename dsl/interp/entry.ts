/**
 * When a REPL entry is complete: the REPL keeps reading `...> ` lines while
 * a `{`, `(` or `[` is open.
 *
 * @example
 * ```ts
 * import { unfinishedEntry } from "./entry.ts";
 * console.log(unfinishedEntry("guest vm1 {")); // true
 * ```
 * @module
 */

/**
 * True when `text` is an unfinished REPL entry: an open `{`, `(` or `[`
 * (comments and strings ignored), so the REPL asks for another line. A
 * string ends with its line (the lexer's rule), so an unclosed quote is
 * reported at once instead of swallowing the lines that follow.
 *
 * @example
 * ```ts
 * import { unfinishedEntry } from "./entry.ts";
 * console.log(unfinishedEntry("for i in 0..2 {"), unfinishedEntry("1 # {")); // true false
 * ```
 */
export function unfinishedEntry(text: string): boolean {
  let depth = 0;
  let inStr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inStr) {
      if (c === "\\") i++;
      else if (c === '"') inStr = false;
      else if (c === "\n") inStr = false;
      continue;
    }
    if (c === "#") {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === '"') inStr = true;
    else if ("{([".includes(c)) depth++;
    else if ("})]".includes(c)) depth--;
  }
  return depth > 0;
}
