/**
 * Small I/O helpers shared by the `vmtopo` commands: reading sources with
 * user-facing errors, resolving `include` paths, printing lines, colour choice.
 *
 * @example
 * ```ts
 * import { CliError } from "./io.ts";
 * const e = new CliError("cannot read x.vmt: no such file");
 * console.log(e.exitCode); // 2
 * ```
 * @module
 */
import { includeTarget } from "../dsl/interp/include.ts";
import { colorWanted } from "../dsl/diagnostic.ts";

/** A user-facing failure of the command itself (bad file, bad usage): `vmtopo: error: …`, exit 2. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode = 2) {
    super(message);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

function reason(e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return "no such file or directory";
  if (e instanceof Deno.errors.PermissionDenied) return "permission denied";
  if (e instanceof Deno.errors.IsADirectory) return "is a directory";
  if (e instanceof Deno.errors.NotCapable) return "not allowed (deno permissions)";
  return e instanceof Error ? e.message : String(e);
}

/**
 * Reads a source file, turning OS errors into a `CliError`.
 *
 * @example
 * ```ts
 * import { readSource, CliError } from "./io.ts";
 * try { readSource("/nonexistent.vmt"); } catch (e) { console.log(e instanceof CliError); } // true
 * ```
 */
export function readSource(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (e) {
    throw new CliError(`cannot read ${path}: ${reason(e)}`);
  }
}

/**
 * Writes a file, turning OS errors into a `CliError`.
 *
 * @example
 * ```ts ignore
 * import { writeSource } from "./io.ts";
 * writeSource("out.vmt", "guest vm1 { vcpus 1 }\n");
 * ```
 */
export function writeSource(path: string, text: string): void {
  try {
    Deno.writeTextFileSync(path, text);
  } catch (e) {
    throw new CliError(`cannot write ${path}: ${reason(e)}`);
  }
}

/**
 * The session's `readFile`: an `include` path is relative to the including
 * file, or to the working directory for REPL entries (`<repl>`, `<eval>`).
 *
 * @example
 * ```ts
 * import { readInclude } from "./io.ts";
 * console.log(readInclude("missing.vmt", "<repl>")); // undefined
 * ```
 */
export function readInclude(path: string, fromFile: string): string | undefined {
  const full = includeTarget(path, fromFile);
  try {
    return Deno.readTextFileSync(full);
  } catch {
    return undefined;
  }
}

/**
 * True when output should be coloured (stdout a terminal, NO_COLOR unset).
 *
 * @example
 * ```ts
 * import { useColor } from "./io.ts";
 * console.log(typeof useColor()); // "boolean"
 * ```
 */
export function useColor(): boolean {
  return colorWanted();
}

/**
 * Prints lines to stdout (nothing for an empty list).
 *
 * @example
 * ```ts
 * import { printLines } from "./io.ts";
 * printLines(["a", "b"]); // prints two lines
 * ```
 */
export function printLines(lines: readonly string[]): void {
  if (lines.length > 0) console.log(lines.join("\n"));
}

/**
 * The message of any thrown value.
 *
 * @example
 * ```ts
 * import { errorMessage } from "./io.ts";
 * console.log(errorMessage(new Error("boom"))); // "boom"
 * ```
 */
export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
