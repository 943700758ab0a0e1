/**
 * What an `include "FILE"` brings into scope, for the static checker: the
 * names the file declares (`guest vm1`, `container c0`, …) and binds with
 * `let` — a `let` inside a loop body too, since it outlives the loop at run
 * time — following the includes inside it. The included file's own mistakes
 * are not reported here: the session reports them when it runs the file.
 *
 * @example
 * ```ts
 * import { includedNames } from "./check_includes.ts";
 * const files: Record<string, string> = { "c.vmt": "guest vm1 { vcpus 1 }\nlet base = 4K" };
 * const src = (p: string) => p in files ? { file: p, text: files[p]! } : undefined;
 * console.log([...includedNames("c.vmt", "main.vmt", src)!.names]); // ["vm1", "base"]
 * ```
 * @module
 */
import type * as A from "./ast.ts";
import { parse } from "./parser.ts";

/** Reads an include: the resolved file name and its text, or undefined if it cannot be read. */
export type IncludeSource = (
  path: string,
  fromFile: string,
) => { file: string; text: string } | undefined;

/** The names an include defines; `complete` is false when part of it could not be read or parsed. */
export interface IncludedNames {
  names: Set<string>;
  complete: boolean;
}

/** Includes nest at most this deep (the session's own limit). */
const MAX_DEPTH = 16;

/**
 * The names `include "path"` (written in `fromFile`) defines, or undefined
 * when the file cannot be read.
 *
 * @example
 * ```ts
 * import { includedNames } from "./check_includes.ts";
 * console.log(includedNames("nope.vmt", "a.vmt", () => undefined)); // undefined
 * ```
 */
export function includedNames(
  path: string,
  fromFile: string,
  source: IncludeSource,
  stack: readonly string[] = [],
): IncludedNames | undefined {
  const inc = source(path, fromFile);
  if (!inc) return undefined;
  const out: IncludedNames = { names: new Set(), complete: true };
  // A cycle or runaway nesting is the session's to report, at run time.
  if (stack.includes(inc.file) || stack.length >= MAX_DEPTH) return out;
  const { program, diagnostics } = parse(inc.text, inc.file);
  if (diagnostics.some((d) => d.severity === "error")) {
    out.complete = false;
    return out;
  }
  const inner = [...stack, inc.file];
  const walk = (body: A.Stmt[]): void => {
    for (const s of body) {
      if (s.kind === "Decl" || s.kind === "Let") out.names.add(s.name.text);
      else if (s.kind === "For") walk(s.body);
      else if (s.kind === "Include") {
        const sub = includedNames(s.path.value, inc.file, source, inner);
        if (!sub) {
          out.complete = false;
          continue;
        }
        for (const n of sub.names) out.names.add(n);
        out.complete &&= sub.complete;
      }
    }
  };
  walk(program.body);
  return out;
}
