/**
 * REPL tab completion, derived from the grammar's shape and the vocabulary
 * (Chevrotain 12+ has no content assist). It lexes the text before the cursor
 * and looks at the last few tokens to decide what may come next.
 *
 * @example
 * ```ts
 * import { complete } from "./complete.ts";
 * import { emptyVocabulary } from "./vocabulary.ts";
 * console.log(complete("gu", 2, emptyVocabulary(), []).items); // ["guest"]
 * ```
 * @module
 */
import type { IToken } from "chevrotain";
import { lex } from "./lexer.ts";
import { DECL_KEYWORDS, KEYWORDS } from "./tokens.ts";
import type { CallSpec, Vocabulary } from "./vocabulary.ts";

/** Completion candidates replacing `line.slice(from, cursor)`. */
export interface Completion {
  from: number;
  items: string[];
}

const STATEMENT_WORDS = KEYWORDS.filter((k) => k !== "in");
const VALUE_TOKENS = new Set([
  "DecInt",
  "HexInt",
  "BinInt",
  "BadInt",
  "Duration",
  "StringLit",
  "BytesLit",
  "Mac",
  "Bdf",
  "Path",
  "Ident",
  "RParen",
  "RBracket",
  "RCurly",
]);
const BINARY = new Set([
  "OrOr",
  "AndAnd",
  "EqEq",
  "NotEq",
  "Lt",
  "LtEq",
  "Gt",
  "GtEq",
  "Pipe",
  "Caret",
  "Amp",
  "Shl",
  "Shr",
  "Plus",
  "Minus",
  "Star",
  "Colon",
  "Dot",
]);

function filterPrefix(items: Iterable<string>, word: string): string[] {
  const all = [...new Set(items)].sort();
  const exact = all.filter((s) => s.startsWith(word));
  if (exact.length || !word) return exact;
  const w = word.toLowerCase();
  return all.filter((s) => s.toLowerCase().startsWith(w));
}

const name = (t: IToken | undefined) => t?.tokenType.name ?? "";
const isNameTok = (t: IToken | undefined) => name(t) === "Ident" || name(t).startsWith("Kw_");

/** Index just past a complete target/ref ending at the last token, walking back; -1 if none. */
function refStart(toks: IToken[], end: number): number {
  let i = end;
  if (i < 0 || !(isNameTok(toks[i]) || name(toks[i]).endsWith("Int"))) return -1;
  while (i >= 2 && name(toks[i - 1]) === "Dot") i -= 2;
  return isNameTok(toks[i]) ? i : -1;
}

interface Open {
  tok: IToken;
  idx: number;
}

function openBrackets(toks: IToken[]): Open[] {
  const stack: Open[] = [];
  toks.forEach((t, idx) => {
    const n = name(t);
    if (n === "LParen" || n === "LCurly" || n === "LBracket") stack.push({ tok: t, idx });
    else if (n === "RParen" || n === "RCurly" || n === "RBracket") stack.pop();
  });
  return stack;
}

function callSpecAt(toks: IToken[], parenIdx: number, vocab: Vocabulary): CallSpec | undefined {
  const callee = toks[parenIdx - 1];
  if (!callee || name(callee) !== "Ident") return undefined;
  const before = toks.slice(0, parenIdx - 1).map(name);
  const kwIdx = Math.max(before.lastIndexOf("Kw_ioctl"), before.lastIndexOf("Kw_hcall"));
  if (kwIdx >= 0 && before.slice(kwIdx).every((n) => n !== "LParen")) {
    return before[kwIdx] === "Kw_ioctl"
      ? vocab.ioctls.get(callee.image)
      : vocab.hcalls.get(callee.image);
  }
  return vocab.builtins.get(callee.image);
}

/** In an argument list or struct opened at `open`: field-name position or the value of a field. */
function argContext(toks: IToken[], open: number): { field?: string; atName: boolean } {
  let depth = 0;
  let start = open + 1;
  for (let i = toks.length - 1; i > open; i--) {
    const n = name(toks[i]);
    if (n === "RParen" || n === "RCurly" || n === "RBracket") depth++;
    else if (n === "LParen" || n === "LCurly" || n === "LBracket") depth--;
    else if (n === "Comma" && depth === 0) {
      start = i + 1;
      break;
    }
  }
  const seg = toks.slice(start);
  if (seg.length === 0) return { atName: true };
  if (seg.length >= 2 && isNameTok(seg[0]) && name(seg[1]) === "Colon") {
    return { field: seg[0].image, atName: false };
  }
  return { atName: false };
}

/**
 * Completion candidates at `cursor` in `line`: sorted, deduplicated and
 * filtered by the word being typed (case-sensitive prefix first, then
 * case-insensitive).
 *
 * @example
 * ```ts
 * import { complete } from "./complete.ts";
 * import { emptyVocabulary } from "./vocabulary.ts";
 * const v = emptyVocabulary();
 * (v.ioctls as Map<string, { name: string; fields: string[] }>).set("KVM_CREATE_VM", { name: "KVM_CREATE_VM", fields: [] });
 * console.log(complete("ioctl vmm:/dev/kvm KVM_C", 24, v, [])); // { from: 19, items: ["KVM_CREATE_VM"] }
 * ```
 */
export function complete(
  line: string,
  cursor: number,
  vocab: Vocabulary,
  known: Iterable<string>,
): Completion {
  try {
    return completeInner(line, cursor, vocab, [...known]);
  } catch {
    return { from: cursor, items: [] };
  }
}

function completeInner(
  line: string,
  cursor: number,
  vocab: Vocabulary,
  known: string[],
): Completion {
  const before = line.slice(0, cursor);
  const word = /[A-Za-z_][A-Za-z0-9_-]*$/.exec(before)?.[0] ?? "";
  const from = cursor - word.length;
  const toks = lex(before.slice(0, from), "<repl>").tokens;
  const last = toks[toks.length - 1];
  const spaced = !last || from > last.endOffset! + 1;
  const general = () => [...known, ...vocab.constants, ...vocab.builtins.keys(), "vmm", "host"];
  const out = (items: Iterable<string>) => ({ from, items: filterPrefix(items, word) });

  if (toks.length === 0) {
    const kws = filterPrefix(STATEMENT_WORDS, word);
    return kws.length ? { from, items: kws } : out(general());
  }
  const names = toks.map(name);
  const lastIdx = toks.length - 1;
  // ioctl TARGET ␣ → ioctl names; hcall REF ␣ → hcall names
  if (spaced) {
    const rs = refStart(toks, lastIdx);
    if (rs >= 1 && names[rs - 1] === "Kw_hcall") return out(vocab.hcalls.keys());
    if (rs >= 1 && names[rs - 1] === "Kw_ioctl") return out(vocab.ioctls.keys());
    if (rs >= 3 && names[rs - 1] === "Colon" && names[rs - 3] === "Kw_ioctl") {
      return out(vocab.ioctls.keys());
    }
    if (names[lastIdx - 1] === "Colon" && names[lastIdx - 3] === "Kw_ioctl") {
      return out(vocab.ioctls.keys());
    }
    if (lastIdx >= 1 && names[lastIdx - 1] === "Kw_device" && names[lastIdx] === "Ident") {
      return out(vocab.decls.get("device")?.kinds ?? []);
    }
  }
  if (names[0] === "Kw_show") return out([...vocab.showTopics, ...known]);
  const stack = openBrackets(toks);
  const top = stack[stack.length - 1];
  if (top && name(top.tok) === "LParen") {
    const spec = callSpecAt(toks, top.idx, vocab);
    const ctx = argContext(toks, top.idx);
    if (spec && ctx.atName) {
      const flags = spec.fieldFlags?.["*"] ?? [];
      return out(
        spec.fields.length
          ? [...spec.fields.map((f) => `${f}: `), ...flags]
          : [...flags, ...general()],
      );
    }
    if (spec && ctx.field) {
      return out([...(spec.fieldFlags?.[ctx.field] ?? []), ...vocab.constants, ...known]);
    }
    if (spec) return out([...(spec.fieldFlags?.["*"] ?? []), ...general()]);
  }
  if (top && name(top.tok) === "LCurly") {
    // Struct literal directly inside a call: its fields.
    const under = stack[stack.length - 2];
    if (under && name(under.tok) === "LParen" && top.idx === under.idx + 1) {
      const spec = callSpecAt(toks, under.idx, vocab);
      const ctx = argContext(toks, top.idx);
      if (spec && ctx.atName) return out(spec.fields.map((f) => `${f}: `));
      if (spec && ctx.field) {
        return out([...(spec.fieldFlags?.[ctx.field] ?? []), ...vocab.constants, ...known]);
      }
    }
    // A declaration block: property names (or a property's value).
    const kw = toks[top.idx - 1] &&
      toks.slice(0, top.idx).reverse().find((t) => DECL_KEYWORDS.includes(t.image));
    const kwIdx = kw ? toks.lastIndexOf(kw) : -1;
    if (
      kw && kwIdx >= 0 &&
      toks.slice(kwIdx + 1, top.idx).every((t) => name(t) === "Ident" || name(t).endsWith("Int"))
    ) {
      const typeTok = kw.image === "device" && top.idx - kwIdx === 3
        ? toks[top.idx - 1].image
        : undefined;
      const spec = (typeTok && vocab.decls.get(typeTok)) || vocab.decls.get(kw.image);
      const props = spec?.props ?? [];
      let atName = true;
      let prop: string | undefined;
      for (let i = top.idx + 1; i < toks.length; i++) {
        const n = names[i];
        if (n === "Semi" || n === "Comma") atName = true;
        else if (BINARY.has(n)) atName = false;
        else if (atName) {
          atName = false;
          prop = toks[i].image;
        } else if (VALUE_TOKENS.has(n) || n.startsWith("Kw_")) atName = true;
      }
      if (atName) return out(props.map((p) => p.name));
      const ps = props.find((p) => p.name === prop);
      if (ps?.values) return out(ps.values);
      return out([...known, ...vocab.constants]);
    }
  }
  if (!spaced && names[lastIdx] === "Dot") return out(known);
  const atStatementStart = names[lastIdx] === "Semi" ||
    (names[lastIdx] === "LCurly" && stack.length > 0 &&
      names[0] === "Kw_for");
  if (atStatementStart) return out([...STATEMENT_WORDS, ...general()]);
  return out(general());
}
