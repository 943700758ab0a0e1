/**
 * The interactive `vmtopo` REPL on `node:readline` (Deno's `node:repl` has no
 * history): `vmtopo> ` prompt, `...> ` for unfinished entries, tab completion,
 * a persistent history file, Ctrl-C cancels the entry, Ctrl-D exits. With
 * piped stdin it runs the input as a script, without prompts, echoing results.
 *
 * @example
 * ```ts ignore
 * import { runRepl } from "./repl.ts";
 * Deno.exit(await runRepl({ file: "examples/default.vmt" }));
 * ```
 * @module
 */
import readline from "node:readline";
import process from "node:process";
import { join } from "node:path";
import { Session } from "../dsl/interp/session.ts";
import { completeLine } from "./completer.ts";
import { errorMessage, printLines, readInclude, readSource, useColor, writeSource } from "./io.ts";
import { evalEntry } from "./repl_commands.ts";
import { CONTINUATION, PROMPT } from "./transcript.ts";

/** Options of the REPL. */
export interface ReplOptions {
  /** A script run first (echo on), e.g. a topology to explore. */
  file?: string;
  /** History file; default `$VMTOPO_HISTORY` or `~/.vmtopo_history`. */
  historyPath?: string;
}

const HISTORY_SIZE = 1000;

/**
 * Where history is kept: `$VMTOPO_HISTORY`, else `~/.vmtopo_history`;
 * undefined when neither can be read from the environment.
 *
 * @example
 * ```ts
 * import { historyPath } from "./repl.ts";
 * const p = historyPath();
 * console.log(p === undefined || p.length > 0); // true
 * ```
 */
export function historyPath(): string | undefined {
  try {
    const explicit = Deno.env.get("VMTOPO_HISTORY");
    if (explicit) return explicit;
    const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
    return home ? join(home, ".vmtopo_history") : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Loads history, newest first (readline's order); [] on any error.
 *
 * @example
 * ```ts
 * import { loadHistory } from "./repl.ts";
 * console.log(loadHistory("/nonexistent/history")); // []
 * ```
 */
export function loadHistory(path: string | undefined): string[] {
  if (!path) return [];
  try {
    return Deno.readTextFileSync(path).split("\n").filter((l) => l.trim() !== "")
      .reverse().slice(0, HISTORY_SIZE);
  } catch {
    return [];
  }
}

/**
 * Saves history (given newest first) oldest first; silently ignores files
 * it may not write (read-only home, Deno permissions).
 *
 * @example
 * ```ts
 * import { saveHistory } from "./repl.ts";
 * saveHistory("/nonexistent/dir/history", ["x"]); // no error
 * ```
 */
export function saveHistory(path: string | undefined, newestFirst: readonly string[]): void {
  if (!path) return;
  try {
    Deno.writeTextFileSync(path, [...newestFirst].reverse().join("\n") + "\n");
  } catch {
    // history is a convenience: never fail the REPL over it
  }
}

/**
 * Feeds lines to a session the way the REPL does, collecting unfinished
 * entries across lines. Returns the entry to run once complete.
 *
 * @example
 * ```ts
 * import { EntryBuffer } from "./repl.ts";
 * const b = new EntryBuffer((t) => t.split("{").length > t.split("}").length);
 * console.log(b.push("for i in 0..2 {"), b.pending); // undefined true
 * console.log(b.push("}")); // "for i in 0..2 {\n}"
 * ```
 */
export class EntryBuffer {
  #lines: string[] = [];
  constructor(private readonly incomplete: (text: string) => boolean) {}
  /** True while an entry is unfinished. */
  get pending(): boolean {
    return this.#lines.length > 0;
  }
  /** Adds a line; returns the whole entry when it is complete. */
  push(line: string): string | undefined {
    this.#lines.push(line);
    const text = this.#lines.join("\n");
    let more = false;
    try {
      more = this.incomplete(text);
    } catch {
      more = false;
    }
    if (more) return undefined;
    this.#lines = [];
    return text;
  }
  /** Drops the unfinished entry (Ctrl-C); returns what was dropped. */
  cancel(): string | undefined {
    const text = this.#lines.length > 0 ? this.#lines.join("\n") : undefined;
    this.#lines = [];
    return text;
  }
}

function isTTY(): boolean {
  try {
    return Deno.stdin.isTerminal();
  } catch {
    return false;
  }
}

/**
 * Runs the REPL until Ctrl-D, `:quit` or the end of piped input; resolves to
 * the exit code (0; in piped mode 1 when any entry failed, like a script).
 * Throws `CliError` only when the initial file cannot be read.
 *
 * @example
 * ```ts ignore
 * import { runRepl } from "./repl.ts";
 * const code = await runRepl({});
 * ```
 */
export async function runRepl(opts: ReplOptions = {}): Promise<number> {
  const tty = isTTY();
  const session = new Session({
    echo: true,
    trace: false,
    color: useColor(),
    stopOnError: false,
    readFile: readInclude,
  });
  const ctx = { session, writeFile: writeSource };
  if (opts.file !== undefined) {
    const text = readSource(opts.file);
    try {
      printLines(session.run(text, opts.file).lines);
    } catch (e) {
      console.log(`internal error: ${errorMessage(e)}`);
    }
  }
  const histPath = tty ? (opts.historyPath ?? historyPath()) : undefined;
  const buffer = new EntryBuffer((t) => Session.incomplete(t));
  let failures = 0;
  const rl = readline.createInterface({
    input: process.stdin,
    output: tty ? process.stdout : undefined,
    terminal: tty,
    prompt: PROMPT,
    history: tty ? loadHistory(histPath) : [],
    historySize: HISTORY_SIZE,
    removeHistoryDuplicates: true,
    completer: tty
      ? (line: string): [string[], string] => {
        try {
          return completeLine(session, line);
        } catch {
          return [[], line];
        }
      }
      : undefined,
  } as readline.ReadLineOptions);
  if (tty) {
    console.log(`vmtopo REPL — \`help\` for help, \`:quit\` or Ctrl-D to leave`);
    rl.on("history", (h: string[]) => saveHistory(histPath, h));
  }
  const prompt = () => {
    if (!tty) return;
    rl.setPrompt(buffer.pending ? CONTINUATION : PROMPT);
    rl.prompt();
  };
  return await new Promise<number>((resolve) => {
    let quitting = false;
    rl.on("line", (line: string) => {
      if (quitting) return;
      const entry = buffer.push(line);
      if (entry !== undefined) {
        const out = evalEntry(ctx, entry);
        printLines(out.lines);
        if (!out.ok) failures++;
        if (out.quit) {
          quitting = true;
          rl.close();
          return;
        }
      }
      prompt();
    });
    rl.on("SIGINT", () => {
      // Cancel the current line and any unfinished entry; the REPL goes on.
      rl.write(null, { ctrl: true, name: "e" });
      rl.write(null, { ctrl: true, name: "u" });
      buffer.cancel();
      process.stdout.write("^C\n");
      prompt();
    });
    rl.on("close", () => {
      const rest = buffer.cancel();
      if (rest !== undefined && !quitting) {
        // End of input inside an unfinished entry: run it so the user sees why.
        const out = evalEntry(ctx, rest);
        printLines(out.lines);
        if (!out.ok) failures++;
      }
      if (tty) process.stdout.write("\n");
      resolve(tty ? 0 : failures > 0 ? 1 : 0);
    });
    prompt();
  });
}
