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
import { dirname, isAbsolute, join, normalize, relative } from "node:path";

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
 * An `include "PATH"` statement written in `fromFile`, rewritten so that it
 * reads the same file from a script saved at `saveTo` (`save FILE` in the
 * REPL); any other statement comes back unchanged.
 *
 * @example
 * ```ts
 * import { rebaseInclude } from "./include.ts";
 * console.log(rebaseInclude('include "examples/a.vmt"', "<repl#1>", "out/s.vmt"));
 * // include "../examples/a.vmt"
 * ```
 */
export function rebaseInclude(src: string, fromFile: string, saveTo: string): string {
  const m = /^include\s+"((?:[^"\\\n]|\\.)*)"/.exec(src);
  if (!m || isAbsolute(m[1]!) || m[1]!.includes("\\")) return src;
  const target = includeTarget(m[1]!, fromFile);
  const rebased = relative(dirname(saveTo), target) || target;
  return `include ${JSON.stringify(rebased)}${src.slice(m[0].length)}`;
}
