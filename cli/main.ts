/**
 * `vmtopo` — the command line: `repl`, `run`, `check`, `eval`, `fmt`, `trace`,
 * `graph`, `docs`. Exit codes: 0 ok, 1 scripts/docs/checks failed, 2 the command
 * itself failed (`vmtopo: error: …`: missing file, bad usage).
 *
 * @example
 * ```sh
 * deno run --allow-all cli/main.ts run examples/spapr-ddw.vmt
 * deno run --allow-all cli/main.ts eval "4K | 1"
 * ```
 * @module
 */
import { Command, CommanderError } from "commander";
import denoJson from "../deno.json" with { type: "json" };
import {
  checkCommand,
  docsCommand,
  evalCommand,
  fmtCommand,
  runCommand,
  traceCommand,
} from "./commands.ts";
import { graphCommand } from "./graph.ts";
import { CliError, errorMessage } from "./io.ts";
import { runRepl } from "./repl.ts";

/** The version printed by `--version` (from deno.json). */
export const VERSION: string = (denoJson as { version?: string }).version ?? "0.1.0";

/** Thrown inside commander to carry an exit code out of an action. */
class Exit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function done(code: number): never {
  throw new Exit(code);
}

/**
 * Builds the commander program (actions throw an internal exit signal that
 * {@link main} turns into an exit code).
 *
 * @example
 * ```ts
 * import { buildProgram } from "./main.ts";
 * console.log(buildProgram().commands.map((c) => c.name()).includes("run")); // true
 * ```
 */
export function buildProgram(): Command {
  const program = new Command("vmtopo")
    .description("A scriptable REPL and topology language for the Linux virtualization stack")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
      outputError: (s, write) => write(s.replace(/^error: /, "vmtopo: error: ")),
    });

  program.command("repl")
    .description("start the interactive REPL, first running FILE (echo on)")
    .argument("[file]", "a topology script to run first")
    .action(async (file?: string) => done(await runRepl(file === undefined ? {} : { file })));

  program.command("run")
    .description("run scripts; print PASS/FAIL per file (exit 0 iff every file passes)")
    .argument("<files...>", "scripts to run")
    .option("--trace", "print the strace-style ioctl/hcall trace")
    .option("--json", "print one JSON object per file")
    .action((files: string[], o: { trace?: boolean; json?: boolean }) =>
      done(runCommand(files, { trace: o.trace ?? false, json: o.json ?? false }))
    );

  program.command("check")
    .description("parse and statically check scripts without running them")
    .argument("<files...>", "scripts to check")
    .option("--json", "print one JSON object per file (its diagnostics)")
    .action((files: string[], o: { json?: boolean }) =>
      done(checkCommand(files, { json: o.json ?? false }))
    );

  program.command("eval")
    .description("evaluate an expression (or statements) in a fresh session")
    .argument("<expr>", 'source text, e.g. "4K | 1"')
    .action((expr: string) => done(evalCommand(expr)));

  program.command("fmt")
    .description("format scripts in place")
    .argument("[files...]", "scripts to format")
    .option("--check", "write nothing; exit 1 listing files that would change")
    .option("--stdout", "print the formatted text of a single file")
    .action((files: string[], o: { check?: boolean; stdout?: boolean }) =>
      done(fmtCommand(files, { check: o.check ?? false, stdout: o.stdout ?? false }))
    );

  program.command("trace")
    .description("run a script with the trace on and print the trace")
    .argument("<file>", "script to trace")
    .action((file: string) => done(traceCommand(file)));

  program.command("graph")
    .description("run a script and print its topology as Graphviz DOT (or SVG)")
    .argument("<file>", "script to run")
    .option("--svg", "render SVG (Graphviz as WASM) instead of DOT")
    .option("-o, --out <file>", "write to this file instead of stdout")
    .action(async (file: string, o: { svg?: boolean; out?: string }) =>
      done(
        await graphCommand(file, {
          svg: o.svg ?? false,
          ...(o.out !== undefined ? { out: o.out } : {}),
        }),
      )
    );

  program.command("docs")
    .description("run the vmtopo/vmt blocks of Markdown docs (default docs/*.md README.md)")
    .argument("[files...]", "Markdown files")
    .option("--update", "rewrite the expected output of transcripts that changed")
    .action((files: string[], o: { update?: boolean }) =>
      done(docsCommand(files, { update: o.update ?? false }))
    );

  for (const c of program.commands) {
    c.exitOverride().configureOutput({
      writeErr: (s) => Deno.stderr.writeSync(new TextEncoder().encode(s)),
      outputError: (s, write) => write(s.replace(/^error: /, "vmtopo: error: ")),
    });
  }
  return program;
}

/**
 * Runs the command line and resolves to the exit code (never throws).
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["eval", "1 + 1"]));
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  const program = buildProgram();
  if (args.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync([...args], { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof Exit) return e.code;
    if (e instanceof CommanderError) {
      // --help / --version are "errors" with exit code 0; usage errors exit 2.
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      console.error(`vmtopo: error: ${e.message}`);
      return e.exitCode;
    }
    console.error(`vmtopo: internal error: ${errorMessage(e)}`);
    return 2;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
