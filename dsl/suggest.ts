/**
 * Did-you-mean suggestions by Damerau-Levenshtein distance (optimal string
 * alignment), compared case-insensitively, with a threshold that grows with
 * the word's length.
 *
 * @example
 * ```ts
 * import { suggest } from "./suggest.ts";
 * console.log(suggest("vm2", ["vm1", "c0", "dma32"])); // ["vm1"]
 * ```
 * @module
 */

/**
 * Edit distance with adjacent transpositions (optimal string alignment).
 *
 * @example
 * ```ts
 * import { editDistance } from "./suggest.ts";
 * console.log(editDistance("H_PUT_TEC", "H_PUT_TCE")); // 1
 * ```
 */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        v = Math.min(v, prev2[j - 2] + 1);
      }
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/**
 * Up to three candidates close to `word`, best first (ties alphabetical).
 * The allowed distance is 1 for words up to 4 characters, 2 up to 8, else 3;
 * a candidate equal to the word is never suggested.
 *
 * @example
 * ```ts
 * import { suggest } from "./suggest.ts";
 * console.log(suggest("h_put_tce", ["H_PUT_TCE", "H_GET_TCE"])); // ["H_PUT_TCE", "H_GET_TCE"]
 * ```
 */
export function suggest(word: string, candidates: Iterable<string>): string[] {
  const w = word.toLowerCase();
  const limit = w.length <= 4 ? 1 : w.length <= 8 ? 2 : 3;
  const scored: { c: string; d: number }[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (c === word || seen.has(c)) continue;
    seen.add(c);
    const d = editDistance(w, c.toLowerCase(), limit);
    if (d <= limit) scored.push({ c, d });
  }
  scored.sort((x, y) => x.d - y.d || (x.c < y.c ? -1 : x.c > y.c ? 1 : 0));
  return scored.slice(0, 3).map((s) => s.c);
}

/**
 * The help line for suggestions: "did you mean `a`?" or "did you mean one of `a`, `b`?".
 *
 * @example
 * ```ts
 * import { didYouMean } from "./suggest.ts";
 * console.log(didYouMean(["vm1", "vmm"])); // "did you mean one of `vm1`, `vmm`?"
 * ```
 */
export function didYouMean(s: readonly string[]): string {
  return s.length === 1
    ? `did you mean \`${s[0]}\`?`
    : `did you mean one of ${s.map((x) => `\`${x}\``).join(", ")}?`;
}
