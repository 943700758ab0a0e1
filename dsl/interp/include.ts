/**
 * Source-file plumbing of a session: where an `include "FILE"` points: relative to the including file, or to the
 * working directory from a REPL entry (`<repl#3>`), or as written when
 * absolute. The session parses an included file under this resolved name, so
 * that the includes inside it resolve from its own directory, its
 * diagnostics name the real file, and an include cycle is seen for what it is.
 *
 * @example
 * ```ts
 * import { includeTarget } from "./include.ts";
 * console.log(includeTarget("b.vmt", "dir/sub/a.vmt")); // "dir/sub/b.vmt"
 * console.log(includeTarget("b.vmt", "<repl#2>")); // "b.vmt"
 * ```
 * @module
 */
import { dirname, isAbsolute, join, normalize } from "node:path";

/**
 * The path an include of `path` from `fromFile` reads.
 *
 * @example
 * ```ts
 * import { includeTarget } from "./include.ts";
 * console.log(includeTarget("/etc/x.vmt", "a/b.vmt")); // "/etc/x.vmt"
 * ```
 */
export function includeTarget(path: string, fromFile: string): string {
  if (isAbsolute(path)) return path;
  if (fromFile.startsWith("<")) return normalize(path);
  return join(dirname(fromFile), path);
}

/**
 * The include chain as a note, e.g. `a.vmt → b.vmt → a.vmt`.
 *
 * @example
 * ```ts
 * import { includeChain } from "./include.ts";
 * console.log(includeChain(["a.vmt", "b.vmt"], "a.vmt")); // "a.vmt → b.vmt → a.vmt"
 * ```
 */
export function includeChain(stack: readonly string[], next: string): string {
  return [...stack, next].join(" → ");
}

/**
 * True when `text` is an unfinished REPL entry: an open `{`, `(` or `[`
 * (comments and strings ignored), so the REPL asks for another line. A
 * string ends with its line (the lexer's rule), so an unclosed quote is
 * reported at once instead of swallowing the lines that follow.
 *
 * @example
 * ```ts
 * import { unfinishedEntry } from "./include.ts";
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
