/**
 * REPL transcripts as they appear in ```` ```vmtopo ```` doc fences: parsing them
 * into entries, matching actual output against expected output (with cram's
 * `(re)` lines and `...` wildcards) and printing them back.
 *
 * @example
 * ```ts
 * import { parseTranscript } from "./transcript.ts";
 * const t = parseTranscript(["vmtopo> 1 + 1", "2"]);
 * console.log(t[0].input, t[0].expected); // "1 + 1" ["2"]
 * ```
 * @module
 */

/** The prompt of a new entry. */
export const PROMPT = "vmtopo> ";
/** The prompt of a continuation line of an unfinished entry. */
export const CONTINUATION = "...> ";

/** One REPL entry of a transcript and the output written after it. */
export interface TranscriptEntry {
  /** The entry's source (continuation lines joined with "\n"). */
  input: string;
  /** The lines as written (prompts included). */
  inputLines: string[];
  /** Expected output lines, without trailing blank lines. */
  expected: string[];
  /** Blank lines after the output (kept by `--update` for readability). */
  trailingBlank: number;
  /** Index of the entry's first line within the transcript. */
  index: number;
}

function isPrompt(line: string): boolean {
  return line.startsWith(PROMPT) || line.trimEnd() === PROMPT.trimEnd();
}

function isContinuation(line: string): boolean {
  return line.startsWith(CONTINUATION) || line.trimEnd() === CONTINUATION.trimEnd();
}

/**
 * Splits transcript lines into entries: a `vmtopo> ` line starts an entry,
 * following `...> ` lines continue it, every other line up to the next prompt is
 * its expected output. Lines before the first prompt are ignored.
 *
 * @example
 * ```ts
 * import { parseTranscript } from "./transcript.ts";
 * const t = parseTranscript(["vmtopo> for i in 0..2 {", "...> print(i) }", "0", "1"]);
 * console.log(t.length, t[0].input.split("\n").length, t[0].expected.length); // 1 2 2
 * ```
 */
export function parseTranscript(lines: readonly string[]): TranscriptEntry[] {
  const out: TranscriptEntry[] = [];
  let cur: TranscriptEntry | undefined;
  let inInput = false;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    if (isPrompt(line)) {
      if (cur) out.push(finish(cur));
      cur = {
        input: line.slice(PROMPT.length),
        inputLines: [line],
        expected: [],
        trailingBlank: 0,
        index: k,
      };
      inInput = true;
    } else if (cur && inInput && isContinuation(line)) {
      cur.input += "\n" + line.slice(CONTINUATION.length);
      cur.inputLines.push(line);
    } else if (cur) {
      inInput = false;
      cur.expected.push(line);
    }
  }
  if (cur) out.push(finish(cur));
  return out;
}

function finish(e: TranscriptEntry): TranscriptEntry {
  while (e.expected.length > 0 && e.expected[e.expected.length - 1].trim() === "") {
    e.expected.pop();
    e.trailingBlank++;
  }
  return e;
}

/** Drops trailing spaces and trailing blank lines, the parts of output a reader cannot see. */
export function normalizeOutput(lines: readonly string[]): string[] {
  const out = lines.flatMap((l) => l.split("\n")).map((l) => l.trimEnd());
  while (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}

function lineMatches(expected: string, actual: string): boolean {
  const e = expected.trimEnd();
  if (e === actual) return true;
  if (e.endsWith(" (re)")) {
    try {
      return new RegExp(`^(?:${e.slice(0, -5)})$`).test(actual);
    } catch {
      return false;
    }
  }
  return false;
}

/**
 * True when `actual` matches `expected` line by line after trimming trailing
 * spaces; an expected line ending in ` (re)` is a regular expression for the
 * whole line, and a line `...` matches any number of lines.
 *
 * @example
 * ```ts
 * import { outputMatches } from "./transcript.ts";
 * console.log(outputMatches(["fd = \\d+ (re)", "..."], ["fd = 3", "a", "b"])); // true
 * console.log(outputMatches(["0"], ["1"])); // false
 * ```
 */
export function outputMatches(expected: readonly string[], actual: readonly string[]): boolean {
  const exp = normalizeOutput(expected);
  const act = normalizeOutput(actual);
  // Memoised backtracking: `...` may swallow 0..n lines.
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (act.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (i === exp.length) r = j === act.length;
    else if (exp[i].trim() === "...") r = go(i + 1, j) || (j < act.length && go(i, j + 1));
    else r = j < act.length && lineMatches(exp[i], act[j]) && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

/**
 * Prints entries back as transcript lines, with each entry's output replaced
 * by `outputs[k]` when given (used by `docs --update` and for diffs).
 *
 * @example
 * ```ts
 * import { parseTranscript, renderTranscript } from "./transcript.ts";
 * const t = parseTranscript(["vmtopo> 1", "9", "", "vmtopo> 2", "2"]);
 * console.log(renderTranscript(t, [["1"], undefined]).join("|")); // "vmtopo> 1|1||vmtopo> 2|2"
 * ```
 */
export function renderTranscript(
  entries: readonly TranscriptEntry[],
  outputs: readonly (readonly string[] | undefined)[] = [],
): string[] {
  const out: string[] = [];
  entries.forEach((e, k) => {
    out.push(...e.inputLines);
    out.push(...(outputs[k] ?? e.expected));
    for (let b = 0; b < e.trailingBlank; b++) out.push("");
  });
  return out;
}
