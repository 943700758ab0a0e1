/**
 * Diagnostics: the shape every front-end and runtime message shares, a
 * rustc-like text renderer, and a JSON form for tests and tools.
 *
 * @example
 * ```ts
 * import { renderDiagnostic } from "./diagnostic.ts";
 * const span = { file: "t.vmt", start: 0, end: 1, line: 1, col: 1, endLine: 1, endCol: 2 };
 * const text = renderDiagnostic({ code: "VT0001", severity: "error", message: "unexpected character `@`",
 *   span, labels: [] }, () => "@", { color: false });
 * console.log(text.split("\n")[0]); // "error[VT0001]: unexpected character `@`"
 * ```
 * @module
 */
import pc from "picocolors";
import type { Span } from "./ast.ts";
import { sameSpan } from "./span.ts";

/** A labelled piece of source. A label whose span equals the diagnostic's span labels the primary caret. */
export interface Label {
  span: Span;
  message: string;
}

/** One message about the source. */
export interface Diagnostic {
  /** Stable code such as `VT0101` (see codes.ts). */
  code: string;
  severity: "error" | "warning";
  /** One-line summary in domain words. */
  message: string;
  /** The exact culprit. */
  span: Span;
  /** The primary label (same span) and related locations. */
  labels: Label[];
  help?: string;
  notes?: string[];
}

/** Rendering options. */
export interface RenderOptions {
  color: boolean;
}

/**
 * True when output should be coloured: `NO_COLOR` turns colour off, `FORCE_COLOR`
 * (not "0") turns it on, else colour when stdout is a terminal. Never throws.
 *
 * @example
 * ```ts
 * import { colorWanted } from "./diagnostic.ts";
 * console.log(typeof colorWanted()); // "boolean"
 * ```
 */
export function colorWanted(): boolean {
  try {
    const no = Deno.env.get("NO_COLOR");
    if (no !== undefined && no !== "") return false;
    const force = Deno.env.get("FORCE_COLOR");
    if (force !== undefined) return force !== "0" && force !== "false";
  } catch {
    // no env permission: fall through to the terminal check
  }
  try {
    return Deno.stdout.isTerminal();
  } catch {
    return false;
  }
}

function lineText(src: string, line: number): string | undefined {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const nl = src.indexOf("\n", start);
    if (nl < 0) return undefined;
    start = nl + 1;
  }
  const end = src.indexOf("\n", start);
  return src.slice(start, end < 0 ? src.length : end).replace(/\r$/, "");
}

/** Spaces that line up under `text` (tabs kept so carets stay aligned). */
function padUnder(text: string): string {
  return text.replace(/[^\t]/g, " ");
}

function underlineWidth(span: Span, line: string): number {
  const startCol = span.col;
  const endCol = span.endLine === span.line ? span.endCol : line.length + 1;
  return Math.max(1, endCol - startCol);
}

/** Source lines longer than this are shown as a window around the culprit. */
const MAX_LINE = 160;

/**
 * Renders a diagnostic in rustc's shape: header, `-->` location, numbered
 * gutter, `^^^` under the whole culprit, `-` under related labels (each in its
 * own `:::` block), then `= help:` and `= note:` lines.
 *
 * @example
 * ```ts
 * import { renderDiagnostic } from "./diagnostic.ts";
 * const span = { file: "t.vmt", start: 6, end: 9, line: 1, col: 7, endLine: 1, endCol: 10 };
 * const out = renderDiagnostic({ code: "VT0101", severity: "error", message: "unknown name `vm2`",
 *   span, labels: [{ span, message: "not declared" }] }, () => "ioctl vm2 X()", { color: false });
 * console.log(out.includes("^^^ not declared")); // true
 * ```
 */
export function renderDiagnostic(
  d: Diagnostic,
  sources: (file: string) => string | undefined,
  opts: RenderOptions,
): string {
  const c = pc.createColors(opts.color);
  const sevColor = d.severity === "error" ? c.red : c.yellow;
  const primaryLabel = d.labels.find((l) => sameSpan(l.span, d.span));
  const related = d.labels.filter((l) => l !== primaryLabel);
  const lines = [d.span.line, ...related.map((l) => l.span.line)];
  const w = String(Math.max(...lines)).length;
  const gutter = (n?: number) =>
    c.blue(` ${n === undefined ? " ".repeat(w) : String(n).padStart(w)} |`);
  const out: string[] = [];
  out.push(`${c.bold(sevColor(`${d.severity}[${d.code}]`))}${c.bold(`: ${d.message}`)}`);
  out.push(`${" ".repeat(w + 1)}${c.blue("-->")} ${d.span.file}:${d.span.line}:${d.span.col}`);
  const snippet = (
    span: Span,
    mark: string,
    message: string | undefined,
    paint: (s: string) => string,
  ) => {
    const src = sources(span.file);
    const full = src === undefined ? undefined : lineText(src, span.line);
    if (full === undefined) return false;
    // A very long line is shown as a window around the culprit.
    const from = full.length > MAX_LINE ? Math.max(0, span.col - 1 - 60) : 0;
    const to = full.length > MAX_LINE ? Math.min(full.length, from + MAX_LINE - 20) : full.length;
    const lead = from > 0 ? "…" : "";
    const text = lead + full.slice(from, to) + (to < full.length ? "…" : "");
    out.push(`${gutter(span.line)} ${text}`.trimEnd());
    const under = " ".repeat(lead.length) + padUnder(full.slice(from, span.col - 1));
    const width = Math.min(underlineWidth(span, full), Math.max(1, to - (span.col - 1)));
    const marks = mark.repeat(width);
    out.push(`${gutter()} ${under}${paint(marks + (message ? " " + message : ""))}`);
    return true;
  };
  out.push(gutter());
  if (!snippet(d.span, "^", primaryLabel?.message, (s) => sevColor(s))) out.pop();
  for (const l of related) {
    const src = sources(l.span.file);
    if (src === undefined) continue;
    out.push(gutter());
    out.push(`${" ".repeat(w)}${c.blue(":::")} ${l.span.file}:${l.span.line}:${l.span.col}`);
    snippet(l.span, "-", l.message, c.blue);
  }
  if (d.help) out.push(`${" ".repeat(w + 2)}${c.blue("=")} ${c.bold("help")}: ${d.help}`);
  for (const n of d.notes ?? []) {
    out.push(`${" ".repeat(w + 2)}${c.blue("=")} ${c.bold("note")}: ${n}`);
  }
  return out.join("\n");
}

/** The plain-object form of a diagnostic (for JSON output and tests). */
export interface DiagnosticJSON {
  code: string;
  severity: "error" | "warning";
  message: string;
  file: string;
  line: number;
  col: number;
  endLine: number;
  endCol: number;
  labels: {
    file: string;
    line: number;
    col: number;
    endLine: number;
    endCol: number;
    message: string;
  }[];
  help?: string;
  notes?: string[];
}

/**
 * Converts a diagnostic to a plain JSON-ready object.
 *
 * @example
 * ```ts
 * import { diagnosticToJSON } from "./diagnostic.ts";
 * const span = { file: "t.vmt", start: 0, end: 1, line: 1, col: 1, endLine: 1, endCol: 2 };
 * const j = diagnosticToJSON({ code: "VT0001", severity: "error", message: "m", span, labels: [] });
 * console.log(j.line, j.col); // 1 1
 * ```
 */
export function diagnosticToJSON(d: Diagnostic): DiagnosticJSON {
  const j: DiagnosticJSON = {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.span.file,
    line: d.span.line,
    col: d.span.col,
    endLine: d.span.endLine,
    endCol: d.span.endCol,
    labels: d.labels.map((l) => ({
      file: l.span.file,
      line: l.span.line,
      col: l.span.col,
      endLine: l.span.endLine,
      endCol: l.span.endCol,
      message: l.message,
    })),
  };
  if (d.help !== undefined) j.help = d.help;
  if (d.notes !== undefined) j.notes = d.notes;
  return j;
}
