/**
 * The interface of an interpreter session, shared by the CLI, the REPL and
 * the docs runner: run source text against one simulated host and get back
 * the transcript lines, the diagnostics and the expectation counts.
 *
 * @example
 * ```ts
 * import type { RunResult } from "./api.ts";
 * const r: RunResult = { lines: [], ok: true, diagnostics: [], passed: 0, failed: 0 };
 * console.log(r.ok); // true
 * ```
 * @module
 */
import type { Diagnostic } from "../diagnostic.ts";

/** Options of a session. */
export interface SessionOptions {
  /** Print each statement's result (REPL and docs); scripts run quietly. */
  echo?: boolean;
  /** Record and print the strace-style trace. */
  trace?: boolean;
  /** Colour in rendered diagnostics and tables. */
  color?: boolean;
  /** Read an included file (relative to the including file); undefined = not found. */
  readFile?: (path: string, fromFile: string) => string | undefined;
  /** Scripts stop at the first runtime error (true for `run`); the REPL goes on (false). */
  stopOnError?: boolean;
}

/** What one `run` produced. */
export interface RunResult {
  /** Transcript lines: results, tables, trace lines and rendered diagnostics, in order. */
  lines: string[];
  /** No error diagnostic and no failed expectation. */
  ok: boolean;
  diagnostics: Diagnostic[];
  /** Expectations (`expect`, `=> RESULT`) that held / failed. */
  passed: number;
  failed: number;
}
