/**
 * A small line-based unified diff (the `diff -u` shape), used to report doc
 * transcripts whose output changed and `fmt --check` results.
 *
 * @example
 * ```ts
 * import { unifiedDiff } from "./diff.ts";
 * const d = unifiedDiff(["a", "b"], ["a", "c"], "expected", "actual");
 * console.log(d.includes("-b") && d.includes("+c")); // true
 * ```
 * @module
 */

/** One edit step: kept, removed (only in `a`) or added (only in `b`). */
export interface Edit {
  op: " " | "-" | "+";
  line: string;
  /** 0-based index in `a` (for " " and "-"). */
  ai: number;
  /** 0-based index in `b` (for " " and "+"). */
  bi: number;
}

/**
 * The shortest edit script turning `a` into `b` (LCS by dynamic programming;
 * inputs are doc blocks and source files, small enough for O(n·m)).
 *
 * @example
 * ```ts
 * import { diffLines } from "./diff.ts";
 * console.log(diffLines(["x"], ["y"]).map((e) => e.op).join("")); // "-+"
 * ```
 */
export function diffLines(a: readonly string[], b: readonly string[]): Edit[] {
  // Trim the common prefix and suffix first: most diffs are a few lines in a long block.
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (
    suf < a.length - pre && suf < b.length - pre &&
    a[a.length - 1 - suf] === b[b.length - 1 - suf]
  ) suf++;
  const n = a.length - pre - suf;
  const m = b.length - pre - suf;
  const w = m + 1;
  const lcs = new Uint32Array((n + 1) * w);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i * w + j] = a[pre + i] === b[pre + j]
        ? lcs[(i + 1) * w + j + 1] + 1
        : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  const out: Edit[] = [];
  for (let k = 0; k < pre; k++) out.push({ op: " ", line: a[k], ai: k, bi: k });
  let i = 0, j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[pre + i] === b[pre + j]) {
      out.push({ op: " ", line: a[pre + i], ai: pre + i, bi: pre + j });
      i++, j++;
    } else if (i < n && (j >= m || lcs[(i + 1) * w + j] >= lcs[i * w + j + 1])) {
      out.push({ op: "-", line: a[pre + i], ai: pre + i, bi: pre + j });
      i++;
    } else {
      out.push({ op: "+", line: b[pre + j], ai: pre + i, bi: pre + j });
      j++;
    }
  }
  for (let k = 0; k < suf; k++) {
    out.push({ op: " ", line: a[pre + n + k], ai: pre + n + k, bi: pre + m + k });
  }
  return out;
}

/**
 * Renders the differences between `a` and `b` as a unified diff with
 * `context` lines around each change; "" when they are equal. `aStart`/`bStart`
 * shift the hunk line numbers (e.g. to the block's line in a Markdown file).
 *
 * @example
 * ```ts
 * import { unifiedDiff } from "./diff.ts";
 * console.log(unifiedDiff(["same"], ["same"])); // ""
 * ```
 */
export function unifiedDiff(
  a: readonly string[],
  b: readonly string[],
  aName = "expected",
  bName = "actual",
  context = 3,
  aStart = 1,
  bStart = aStart,
): string {
  const edits = diffLines(a, b);
  const changed = edits.map((e, k) => e.op !== " " ? k : -1).filter((k) => k >= 0);
  if (changed.length === 0) return "";
  const out = [`--- ${aName}`, `+++ ${bName}`];
  let k = 0;
  while (k < changed.length) {
    let from = Math.max(0, changed[k] - context);
    let to = Math.min(edits.length, changed[k] + context + 1);
    k++;
    while (k < changed.length && changed[k] - context <= to) {
      to = Math.min(edits.length, changed[k] + context + 1);
      k++;
    }
    from = Math.max(0, from);
    const hunk = edits.slice(from, to);
    const aLen = hunk.filter((e) => e.op !== "+").length;
    const bLen = hunk.filter((e) => e.op !== "-").length;
    const first = hunk[0];
    const aLine = (aLen === 0 ? first.ai : first.ai + 1) + aStart - 1;
    const bLine = (bLen === 0 ? first.bi : first.bi + 1) + bStart - 1;
    out.push(`@@ -${aLine},${aLen} +${bLine},${bLen} @@`);
    for (const e of hunk) out.push(`${e.op}${e.line}`);
  }
  return out.join("\n");
}
