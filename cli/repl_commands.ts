/**
 * What one REPL entry does: the REPL's own commands (`help`, `:trace`, `save`,
 * `:quit`) or a run of the entry in the session. Shared by the interactive REPL
 * and the docs runner, so a doc transcript behaves exactly like the REPL.
 *
 * @example
 * ```ts
 * import { replCommand } from "./repl_commands.ts";
 * console.log(replCommand(":trace on")); // { cmd: "trace", arg: "on" }
 * ```
 * @module
 */
import type { RunResult } from "../dsl/interp/api.ts";

/** The part of a session the REPL needs (the real one is dsl/interp/session.ts). */
export interface ReplSession {
  run(text: string, file: string): RunResult;
  setTrace(on: boolean): void;
  readonly trace: boolean;
  script(saveTo?: string): string;
  help(topic?: string): string;
}

/** A REPL command recognised in an entry. */
export interface ReplCommand {
  cmd: "help" | "trace" | "save" | "quit";
  arg?: string;
}

/** The file name diagnostics carry for REPL entries. */
export const REPL_FILE = "<repl>";

/**
 * Recognises a REPL command (`help`, `help NAME`, `:help`, `:trace on|off`,
 * `save FILE`, `:save FILE`, `:quit`/`:q`/`:exit`); undefined for a statement.
 *
 * @example
 * ```ts
 * import { replCommand } from "./repl_commands.ts";
 * console.log(replCommand("help KVM_CREATE_VM")?.arg); // "KVM_CREATE_VM"
 * console.log(replCommand("let x = 1")); // undefined
 * ```
 */
export function replCommand(entry: string): ReplCommand | undefined {
  const t = entry.trim();
  let m = /^:?help(?:\s+([A-Za-z_][\w.:-]*))?$/.exec(t);
  if (m) return m[1] === undefined ? { cmd: "help" } : { cmd: "help", arg: m[1] };
  m = /^:trace(?:\s+(\S+))?$/.exec(t);
  if (m) return m[1] === undefined ? { cmd: "trace" } : { cmd: "trace", arg: m[1] };
  m = /^:?save\s+(?:"([^"]+)"|(\S+))$/.exec(t);
  if (m) return { cmd: "save", arg: m[1] ?? m[2] };
  if (/^:(?:quit|q|exit)$/.test(t)) return { cmd: "quit" };
  return undefined;
}

/** What running one entry produced. */
export interface EntryOutcome {
  lines: string[];
  ok: boolean;
  /** `:quit` was entered. */
  quit?: boolean;
  /** The session's result, when the entry was a statement. */
  result?: RunResult;
}

/** How an entry reaches the outside world. */
export interface EntryContext {
  session: ReplSession;
  /** Writes a file for `save FILE` (may throw; the error is reported, not raised). */
  writeFile(path: string, text: string): void;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * Runs one entry: a REPL command, or the entry's statements in the session.
 * Never throws: an exception inside the session becomes an `internal error: …`
 * line so the REPL keeps going.
 *
 * @example
 * ```ts
 * import { evalEntry } from "./repl_commands.ts";
 * const session = { trace: false, setTrace() {}, script: () => "", help: () => "no help",
 *   run: () => ({ lines: ["2"], ok: true, diagnostics: [], passed: 0, failed: 0 }) };
 * const out = evalEntry({ session, writeFile() {} }, "1 + 1");
 * console.log(out.lines); // ["2"]
 * ```
 */
export function evalEntry(ctx: EntryContext, entry: string): EntryOutcome {
  try {
    const c = replCommand(entry);
    if (c === undefined) {
      if (entry.trim() === "") return { lines: [], ok: true };
      const result = ctx.session.run(entry, REPL_FILE);
      return { lines: result.lines, ok: result.ok, result };
    }
    switch (c.cmd) {
      case "help":
        return { lines: ctx.session.help(c.arg).split("\n"), ok: true };
      case "trace": {
        if (c.arg === "on" || c.arg === "off") ctx.session.setTrace(c.arg === "on");
        else if (c.arg !== undefined) {
          return {
            lines: [`usage: :trace on|off (trace is ${ctx.session.trace ? "on" : "off"})`],
            ok: false,
          };
        }
        return { lines: [`trace ${ctx.session.trace ? "on" : "off"}`], ok: true };
      }
      case "save": {
        const text = ctx.session.script(c.arg);
        try {
          ctx.writeFile(c.arg!, text);
        } catch (e) {
          return { lines: [`error: cannot write ${c.arg}: ${message(e)}`], ok: false };
        }
        const n = text === "" ? 0 : text.replace(/\n$/, "").split("\n").length;
        return { lines: [`saved ${n} line${n === 1 ? "" : "s"} to ${c.arg}`], ok: true };
      }
      case "quit":
        return { lines: [], ok: true, quit: true };
    }
  } catch (e) {
    return { lines: [`internal error: ${message(e)}`], ok: false };
  }
}
