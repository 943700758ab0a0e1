/**
 * Tab completion for the REPL: adapts the language's context-aware
 * `complete()` (dsl/complete.ts) to readline's completer shape
 * `[candidates, replacedText]`, and adds the REPL's own commands
 * (`help NAME`, `save`, `:trace`, `:quit`).
 *
 * @example
 * ```ts
 * import { completeLine } from "./completer.ts";
 * import { emptyVocabulary } from "../dsl/vocabulary.ts";
 * const s = { vocabulary: () => emptyVocabulary(), knownNames: () => [] };
 * console.log(completeLine(s, ":tr")); // [[":trace"], ":tr"]
 * ```
 * @module
 */
import { complete } from "../dsl/complete.ts";
import type { Vocabulary } from "../dsl/vocabulary.ts";

/** What completion needs from a session. */
export interface CompletionSource {
  vocabulary(): Vocabulary;
  knownNames(): string[];
}

/** REPL commands offered at the start of an entry. */
export const REPL_COMMANDS: readonly string[] = [":help", ":quit", ":save", ":trace"];

function byPrefix(items: Iterable<string>, word: string): string[] {
  return [...new Set(items)].filter((s) => s.startsWith(word)).sort();
}

/**
 * Completes the text before the cursor (readline passes exactly that):
 * returns the candidates and the text they replace.
 *
 * @example
 * ```ts
 * import { completeLine } from "./completer.ts";
 * import { emptyVocabulary } from "../dsl/vocabulary.ts";
 * const v = emptyVocabulary();
 * const s = { vocabulary: () => v, knownNames: () => ["vm1", "vmm"] };
 * console.log(completeLine(s, ":trace o")); // [["off", "on"], "o"]
 * ```
 */
export function completeLine(src: CompletionSource, line: string): [string[], string] {
  // REPL commands first: the language knows nothing about them.
  let m = /^\s*(:\w*)$/.exec(line);
  if (m) return [byPrefix(REPL_COMMANDS, m[1]), m[1]];
  m = /^\s*:trace\s+(\w*)$/.exec(line);
  if (m) return [byPrefix(["on", "off"], m[1]), m[1]];
  m = /^\s*:?help\s+([\w.]*)$/.exec(line);
  if (m) {
    const v = src.vocabulary();
    const topics = [
      ...v.ioctls.keys(),
      ...v.hcalls.keys(),
      ...v.builtins.keys(),
      ...v.decls.keys(),
      ...v.showTopics,
    ];
    return [byPrefix(topics, m[1]), m[1]];
  }
  const c = complete(line, line.length, src.vocabulary(), src.knownNames());
  const word = line.slice(c.from);
  const items = [...c.items];
  if (line.slice(0, c.from).trim() === "") items.push(...byPrefix(["help", "save"], word));
  return [[...new Set(items)].sort(), word];
}
