/**
 * How the session reports: tables for `show`, the words of a failed
 * expectation, internal-error diagnostics, and small predicates on calls.
 *
 * @example
 * ```ts
 * import { renderView } from "./report.ts";
 * console.log(renderView({ columns: ["a"], rows: [["1"]] }).length > 0); // true
 * ```
 * @module
 */
import Table from "cli-table3";
import type { Expr, Span } from "../ast.ts";
import type { Diagnostic } from "../diagnostic.ts";
import type { Evaluator } from "./eval.ts";
import type { Kernel } from "../../runtime/kernel/kernel.ts";
import type { View } from "../../runtime/vmm/registry.ts";
import { showValue } from "../../runtime/vmm/value.ts";

/**
 * Whether an expression is an ioctl or hcall.
 *
 * @example
 * ```ts
 * // isCall(expr)
 * ```
 */
export function isCall(e: Expr): boolean {
  return e.kind === "Ioctl" || e.kind === "Hcall";
}

/**
 * The ioctl/hcall name of a call expression.
 *
 * @example
 * ```ts
 * // callName(expr)
 * ```
 */
export function callName(e: Expr): string {
  return e.kind === "Ioctl" || e.kind === "Hcall" ? e.name.text : "call";
}

/**
 * A number that changes whenever the simulated state may have changed.
 *
 * @example
 * ```ts
 * // totalSyscalls(kernel)
 * ```
 */
export function totalSyscalls(k: Kernel): number {
  let n = 0;
  for (const v of k.syscalls.values()) n += v;
  return n + k.clock.now;
}

/**
 * Words for a failed `expect`: both sides of a comparison.
 *
 * @example
 * ```ts
 * // describeFailure(cond, evaluator)
 * ```
 */
export function describeFailure(e: Expr, ev: Evaluator): string {
  if (e.kind === "Binary" && ["==", "!=", "<", "<=", ">", ">="].includes(e.op)) {
    try {
      return `${showValue(ev.eval(e.left))} ${e.op} ${showValue(ev.eval(e.right))} is false`;
    } catch {
      return "condition is false";
    }
  }
  return "condition is false";
}

/**
 * A simulator bug as a diagnostic; the session state is unchanged.
 *
 * @example
 * ```ts
 * console.log(internalDiag(new Error("x"), undefined).code); // "VT0207"
 * ```
 */
export function internalDiag(e: unknown, span: Span | undefined): Diagnostic {
  const msg = e instanceof Error ? e.message : String(e);
  return {
    code: "VT0207",
    severity: "error",
    message: `internal error: ${msg}`,
    span: span ?? { file: "<internal>", start: 0, end: 0, line: 1, col: 1, endLine: 1, endCol: 1 },
    labels: [],
    help: "this is a simulator bug; the session state is unchanged",
  };
}

/**
 * Render a view as plain text lines (tables without colour).
 *
 * @example
 * ```ts
 * console.log(renderView({ columns: ["a"], rows: [["1"]] }).length > 0); // true
 * ```
 */
export function renderView(v: View): string[] {
  const out: string[] = [];
  if (v.title) out.push(v.title);
  if ("text" in v) {
    out.push(...v.text.split("\n"));
    return out;
  }
  if (v.rows.length === 0) {
    out.push("(none)");
    return out;
  }
  // Keep tables readable in a terminal: wrap any column wider than 72.
  const widths = v.columns.map((c, i) =>
    Math.max(c.length, ...v.rows.map((r) => (r[i] ?? "").length)) + 2
  );
  const wrap = widths.some((w) => w > 74);
  const t = new Table({
    head: v.columns,
    style: { head: [], border: [], compact: true },
    ...(wrap ? { colWidths: widths.map((w) => Math.min(w, 74)), wordWrap: true } : {}),
  });
  for (const r of v.rows) t.push(r);
  out.push(...t.toString().split("\n"));
  return out;
}
