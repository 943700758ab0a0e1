/**
 * The canonical formatter (`vmtopo fmt`): one statement per line, 2-space
 * indentation in `for` bodies and multi-line blocks, one-line declarations kept
 * on one line (`guest vm1 { vcpus 2  memory 4G }`), comments kept, at most one
 * blank line. Idempotent, and `parse(format(x))` has the AST of `parse(x)`.
 *
 * @example
 * ```ts
 * import { format } from "./formatter.ts";
 * console.log(format("let x=1|2   # mask", "t.vmt").output); // "let x = 1 | 2  # mask\n"
 * ```
 * @module
 */
import type * as A from "./ast.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { parse } from "./parser.ts";
import { declHead, printExpr, printProperty, printRangeStart, printSimpleStmt } from "./printer.ts";

const INDENT = "  ";

interface Item {
  span: A.Span;
  /** Prints the item at `depth`, consuming the comments inside it. */
  emit: (depth: number) => void;
}

class Layout {
  private readonly lines: string[] = [];
  private ci = 0;
  /** Last source line emitted (for blank-line preservation); 0 at the start of a block. */
  private lastLine = 0;

  constructor(private readonly comments: readonly A.Comment[]) {}

  result(): string {
    while (this.ci < this.comments.length) this.comment(this.comments[this.ci++], 0);
    return this.lines.length ? this.lines.join("\n") + "\n" : "";
  }

  private push(depth: number, text: string, srcLine: number): void {
    if (this.lastLine > 0 && srcLine > this.lastLine + 1) this.lines.push("");
    this.lines.push(INDENT.repeat(depth) + text);
    this.lastLine = Math.max(this.lastLine, srcLine);
  }

  private comment(c: A.Comment, depth: number): void {
    this.push(depth, c.text.trimEnd(), c.span.line);
    this.lastLine = c.span.endLine;
  }

  /** Emits comments that start before `offset`, each on its own line. */
  private leading(offset: number, depth: number): void {
    while (this.ci < this.comments.length && this.comments[this.ci].span.start < offset) {
      this.comment(this.comments[this.ci++], depth);
    }
  }

  /** Appends a comment that sits on `line` after `after` (and before `before`) to the last line. */
  private trailing(line: number, after: number, before: number): void {
    const c = this.comments[this.ci];
    if (c && c.span.line === line && c.span.start >= after && c.span.start < before) {
      this.lines[this.lines.length - 1] += "  " + c.text.trimEnd();
      this.ci++;
    }
  }

  items(list: Item[], depth: number, end: number): void {
    list.forEach((it, i) => {
      this.leading(it.span.start, depth);
      it.emit(depth);
      const next = list[i + 1]?.span.start ?? end;
      this.trailing(it.span.endLine, it.span.end, next);
    });
  }

  /** A leaf: comments inside its span move before it. */
  leaf(text: string, span: A.Span, depth: number): void {
    this.leading(span.end, depth);
    this.push(depth, text, span.line);
    this.lastLine = span.endLine;
  }

  /** `head {`, the inner items one level deeper, then `}`. */
  block(head: string, headLine: number, span: A.Span, inner: Item[], depth: number): void {
    this.push(depth, head + " {", span.line);
    this.lastLine = headLine;
    this.trailing(headLine, span.start, inner[0]?.span.start ?? span.end);
    const saved = this.lastLine;
    this.lastLine = 0;
    this.items(inner, depth + 1, span.end);
    this.leading(span.end, depth + 1);
    this.lastLine = 0;
    this.push(depth, "}", span.endLine);
    this.lastLine = Math.max(saved, span.endLine);
  }

  stmtItem(s: A.Stmt): Item {
    return { span: s.span, emit: (depth) => this.stmt(s, depth) };
  }

  private stmt(s: A.Stmt, depth: number): void {
    if (s.kind === "Decl") return this.decl(s, depth);
    if (s.kind === "For") {
      const head = `for ${s.var.text} in ${printRangeStart(s.from)}..${printExpr(s.to)}`;
      if (!s.body.length && !this.hasCommentIn(s.span)) {
        return this.leaf(head + " {}", s.span, depth);
      }
      return this.block(
        head,
        s.to.span.endLine,
        s.span,
        s.body.map((b) => this.stmtItem(b)),
        depth,
      );
    }
    this.leaf(printSimpleStmt(s) ?? "", s.span, depth);
  }

  private hasCommentIn(span: A.Span): boolean {
    const c = this.comments[this.ci];
    return !!c && c.span.start < span.end;
  }

  private decl(d: A.Decl, depth: number): void {
    const head = declHead(d);
    const oneLine = d.span.line === d.span.endLine && !this.hasCommentIn(d.span);
    if (oneLine || (!d.props.length && !this.hasCommentIn(d.span))) {
      if (!d.props.length) return this.leaf(head + " {}", d.span, depth);
      // A valueless property followed by another needs `;`, or the next name would read as its value.
      const props = d.props.map((p, i) =>
        printProperty(p) + (!p.value && i < d.props.length - 1 ? ";" : "")
      );
      return this.leaf(`${head} { ${props.join("  ")} }`, d.span, depth);
    }
    const headLine = (d.type ?? d.name).span.endLine;
    const inner = d.props.map((p): Item => ({
      span: p.span,
      emit: (dp) => this.leaf(printProperty(p), p.span, dp),
    }));
    this.block(head, headLine, d.span, inner, depth);
  }
}

/**
 * Prints a program in canonical style, keeping `program.comments` where they were.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { formatProgram } from "./formatter.ts";
 * console.log(formatProgram(parse("show  windows", "t").program)); // "show windows\n"
 * ```
 */
export function formatProgram(program: A.Program): string {
  const comments = [...program.comments].sort((a, b) => a.span.start - b.span.start);
  const layout = new Layout(comments);
  layout.items(program.body.map((s) => layout.stmtItem(s)), 0, program.span.end);
  return layout.result();
}

/** What {@link format} returns. */
export interface FormatResult {
  output: string;
  diagnostics: Diagnostic[];
}

/**
 * Formats source text. When the text has syntax errors it comes back
 * unchanged, with the diagnostics.
 *
 * @example
 * ```ts
 * import { format } from "./formatter.ts";
 * console.log(format("guest vm1 {", "t").output); // "guest vm1 {"
 * ```
 */
export function format(text: string, file: string): FormatResult {
  const { program, diagnostics } = parse(text, file);
  if (diagnostics.some((d) => d.severity === "error")) return { output: text, diagnostics };
  try {
    return { output: formatProgram(program), diagnostics };
  } catch {
    return { output: text, diagnostics };
  }
}
