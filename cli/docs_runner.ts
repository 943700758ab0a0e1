/**
 * Executable documentation: finds ```` ```vmtopo ```` (REPL transcript) and
 * ```` ```vmt ```` (script) fences in Markdown with the `marked` lexer, runs each
 * in a fresh session and compares the output with what the doc says; `--update`
 * rewrites the expected output of transcripts that changed.
 *
 * @example
 * ```ts
 * import { collectBlocks } from "./docs_runner.ts";
 * const md = "# T\n\n~~~vmtopo\nvmtopo> 1 + 1\n2\n~~~\n";
 * const [b] = collectBlocks(md, "t.md");
 * console.log(b.lang, b.line, b.lines); // "vmtopo" 3 ["vmtopo> 1 + 1", "2"]
 * ```
 * @module
 */
import { Lexer, type Token } from "marked";
import { dirname, isAbsolute, join } from "node:path";
import type { RunResult, SessionOptions } from "../dsl/interp/api.ts";
import { Session } from "../dsl/interp/session.ts";
import { unifiedDiff } from "./diff.ts";
import { evalEntry, type ReplSession } from "./repl_commands.ts";
import { normalizeOutput, outputMatches, parseTranscript, renderTranscript } from "./transcript.ts";

/** The fence languages the runner executes. */
export type BlockLang = "vmtopo" | "vmt";

/** One executable fenced block of a Markdown file. */
export interface DocBlock {
  /** The Markdown file (as given; also the base for `include`). */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  lang: BlockLang;
  /** The block's content lines, fence indentation removed. */
  lines: string[];
  /** Indentation of the fence (re-added by `--update`). */
  indent: string;
  /** 0-based index of the first content line in the Markdown. */
  contentStart: number;
  /** 0-based index one past the last content line. */
  contentEnd: number;
}

/** What running a block produced. */
export interface BlockResult {
  block: DocBlock;
  ok: boolean;
  /** A unified diff (transcripts) or the script's transcript (scripts); "" when ok. */
  report: string;
  /** The transcript with the actual output put in (transcripts only). */
  actual?: string[];
}

/** Makes the session a block runs in (tests may pass a fake). */
export type SessionFactory = (opts: SessionOptions) => ReplSession;

const defaultFactory: SessionFactory = (opts) => new Session(opts);

function* codeTokens(tokens: readonly Token[]): Generator<Token> {
  for (const t of tokens) {
    if (t.type === "code") yield t;
    const anyT = t as unknown as { tokens?: Token[]; items?: { tokens?: Token[] }[] };
    if (anyT.tokens) yield* codeTokens(anyT.tokens);
    if (anyT.items) { for (const it of anyT.items) if (it.tokens) yield* codeTokens(it.tokens); }
  }
}

const FENCE_RE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;

/**
 * Finds the `vmtopo` and `vmt` fences of a Markdown text with their line
 * numbers. marked gives the blocks in order but without positions, so each is
 * located by searching its fence line from a moving line offset.
 *
 * @example
 * ```ts
 * import { collectBlocks } from "./docs_runner.ts";
 * const md = "~~~sh\nls\n~~~\n\n- item\n\n  ~~~vmt\n  guest vm1 { vcpus 1 }\n  ~~~\n";
 * const bs = collectBlocks(md, "x.md");
 * console.log(bs.length, bs[0].line, bs[0].lines[0]); // 1 7 "guest vm1 { vcpus 1 }"
 * ```
 */
export function collectBlocks(markdown: string, file: string): DocBlock[] {
  const src = markdown.split("\n");
  const out: DocBlock[] = [];
  let at = 0;
  for (const tok of codeTokens(Lexer.lex(markdown))) {
    const code = tok as Token & { lang?: string; codeBlockStyle?: string; raw: string };
    if (code.codeBlockStyle === "indented") continue;
    const first = code.raw.replace(/^\n+/, "").split("\n")[0].trim();
    let open = -1;
    for (let k = at; k < src.length; k++) {
      if (src[k].trim() === first && FENCE_RE.test(src[k])) {
        open = k;
        break;
      }
    }
    if (open < 0) continue;
    const m = FENCE_RE.exec(src[open])!;
    const indent = m[1];
    const fence = m[2];
    let close = src.length;
    for (let k = open + 1; k < src.length; k++) {
      const t = src[k].trim();
      if (t.length >= fence.length && t === fence[0].repeat(t.length)) {
        close = k;
        break;
      }
    }
    at = Math.min(close + 1, src.length);
    const lang = (code.lang ?? "").split(/\s+/)[0];
    if (lang !== "vmtopo" && lang !== "vmt") continue;
    const lines = src.slice(open + 1, close).map((l) =>
      l.startsWith(indent) ? l.slice(indent.length) : l.trimStart()
    ).map((l) => l.replace(/\r$/, ""));
    out.push({
      file,
      line: open + 1,
      lang,
      lines,
      indent,
      contentStart: open + 1,
      contentEnd: close,
    });
  }
  return out;
}

/** Reads included files relative to the including file (or the doc for REPL entries), saved files first. */
function makeReadFile(docFile: string, saved: Map<string, string>) {
  return (path: string, fromFile: string): string | undefined => {
    if (saved.has(path)) return saved.get(path);
    const base = fromFile.startsWith("<") || fromFile === docFile
      ? dirname(docFile)
      : dirname(fromFile);
    const full = isAbsolute(path) ? path : join(base, path);
    if (saved.has(full)) return saved.get(full);
    try {
      return Deno.readTextFileSync(full);
    } catch {
      return undefined;
    }
  };
}

/**
 * Runs one block in a fresh session. A transcript runs entry by entry like the
 * REPL (echo on, trace off, no colour) and must print what the doc shows; a
 * script runs with echo off and must finish ok. `save FILE` inside a doc writes
 * to memory only, where a later `include` finds it.
 *
 * @example
 * ```ts
 * import { collectBlocks, runBlock } from "./docs_runner.ts";
 * const fake = () => ({ trace: false, setTrace() {}, script: () => "", help: () => "",
 *   run: (t: string) => ({ lines: [t.toUpperCase()], ok: true, diagnostics: [], passed: 0, failed: 0 }) });
 * const [b] = collectBlocks("~~~vmtopo\nvmtopo> hi\nHI\n~~~\n", "t.md");
 * console.log(runBlock(b, fake).ok); // true
 * ```
 */
export function runBlock(
  block: DocBlock,
  makeSession: SessionFactory = defaultFactory,
): BlockResult {
  const saved = new Map<string, string>();
  const readFile = makeReadFile(block.file, saved);
  const writeFile = (path: string, text: string) => void saved.set(path, text);
  if (block.lang === "vmt") {
    const session = makeSession({
      echo: false,
      trace: false,
      color: false,
      stopOnError: true,
      readFile,
    });
    // Leading newlines make diagnostics point at the doc's own line numbers.
    const text = "\n".repeat(block.contentStart) + block.lines.join("\n") + "\n";
    let r: RunResult;
    try {
      r = session.run(text, block.file);
    } catch (e) {
      return { block, ok: false, report: `internal error: ${e instanceof Error ? e.message : e}` };
    }
    const report = r.ok ? "" : [
      ...r.lines,
      `${r.failed} expectation(s) failed, ${
        r.diagnostics.filter((d) => d.severity === "error").length
      } error(s)`,
    ].join("\n");
    return { block, ok: r.ok, report };
  }
  const session = makeSession({
    echo: true,
    trace: false,
    color: false,
    stopOnError: false,
    readFile,
  });
  const entries = parseTranscript(block.lines);
  const outputs: (string[] | undefined)[] = [];
  let ok = true;
  for (const e of entries) {
    const out = evalEntry({ session, writeFile }, e.input);
    const actual = normalizeOutput(out.lines);
    if (outputMatches(e.expected, actual)) outputs.push(undefined);
    else {
      ok = false;
      outputs.push(actual);
    }
    if (out.quit) break;
  }
  if (ok) return { block, ok, report: "" };
  const expected = renderTranscript(entries);
  const actual = renderTranscript(entries, outputs);
  const name = `${block.file}:${block.line}`;
  const report = unifiedDiff(
    expected,
    actual,
    `${name} (expected)`,
    `${name} (actual)`,
    3,
    block.contentStart + 1,
  );
  return { block, ok, report, actual };
}

/**
 * Runs every block of a Markdown text.
 *
 * @example
 * ```ts
 * import { runMarkdown } from "./docs_runner.ts";
 * console.log(runMarkdown("no code here", "x.md").length); // 0
 * ```
 */
export function runMarkdown(
  markdown: string,
  file: string,
  makeSession: SessionFactory = defaultFactory,
): BlockResult[] {
  return collectBlocks(markdown, file).map((b) => runBlock(b, makeSession));
}

/**
 * Puts the actual output of failing transcripts back into the Markdown text
 * (scripts and passing transcripts are left as written).
 *
 * @example
 * ```ts
 * import { collectBlocks, runBlock, updateMarkdown } from "./docs_runner.ts";
 * const fake = () => ({ trace: false, setTrace() {}, script: () => "", help: () => "",
 *   run: () => ({ lines: ["2"], ok: true, diagnostics: [], passed: 0, failed: 0 }) });
 * const md = "~~~vmtopo\nvmtopo> 1 + 1\n3\n~~~\n";
 * const results = collectBlocks(md, "t.md").map((b) => runBlock(b, fake));
 * console.log(updateMarkdown(md, results)); // "~~~vmtopo\nvmtopo> 1 + 1\n2\n~~~\n"
 * ```
 */
export function updateMarkdown(markdown: string, results: readonly BlockResult[]): string {
  const src = markdown.split("\n");
  const todo = results.filter((r) => !r.ok && r.actual !== undefined)
    .sort((a, b) => b.block.contentStart - a.block.contentStart);
  for (const r of todo) {
    const lines = r.actual!.map((l) => (l === "" ? "" : r.block.indent + l));
    src.splice(r.block.contentStart, r.block.contentEnd - r.block.contentStart, ...lines);
  }
  return src.join("\n");
}

/** What `updateFile` did. */
export interface UpdateOutcome {
  results: BlockResult[];
  /** Number of transcripts rewritten. */
  updated: number;
}

/**
 * Runs a Markdown file's blocks and rewrites the expected output of the
 * transcripts that no longer match (the file is written only when it changes).
 *
 * @example
 * ```ts ignore
 * import { updateFile } from "./docs_runner.ts";
 * const { updated } = updateFile("docs/language.md");
 * console.log(updated >= 0); // true
 * ```
 */
export function updateFile(
  path: string,
  makeSession: SessionFactory = defaultFactory,
): UpdateOutcome {
  const text = Deno.readTextFileSync(path);
  const results = runMarkdown(text, path, makeSession);
  const updated = results.filter((r) => !r.ok && r.actual !== undefined).length;
  if (updated > 0) {
    const next = updateMarkdown(text, results);
    if (next !== text) Deno.writeTextFileSync(path, next);
  }
  return { results, updated };
}
