/**
 * Where an `include "FILE"` points: relative to the including file, or to
 * the working directory from a REPL entry (`<repl#3>`), or as written when
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
