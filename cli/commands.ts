/**
 * The `vmtopo` subcommands as plain functions returning an exit code, so
 * `main.ts` only wires them to commander and tests can call them directly.
 * Exit codes: 0 success, 1 the scripts/docs failed, 2 the command itself
 * failed (thrown as `CliError`).
 *
 * @example
 * ```ts ignore
 * import { runCommand } from "./commands.ts";
 * Deno.exit(runCommand(["examples/spapr-ddw.vmt"], { trace: false, json: false }));
 * ```
 * @module
 */
import { Session } from "../dsl/interp/session.ts";
import { parse } from "../dsl/parser.ts";
import { check } from "../dsl/checker.ts";
import { format } from "../dsl/formatter.ts";
import { type Diagnostic, diagnosticToJSON, renderDiagnostic } from "../dsl/diagnostic.ts";
import { unifiedDiff } from "./diff.ts";
import { includeTarget } from "../dsl/interp/include.ts";
import { runMarkdown, updateFile } from "./docs_runner.ts";
import { CliError, printLines, readInclude, readSource, useColor, writeSource } from "./io.ts";
import { replCommand } from "./repl_commands.ts";

/** Options of `vmtopo run`. */
export interface RunOptions {
  trace?: boolean;
  json?: boolean;
}

/**
 * `vmtopo run FILE...`: runs each script in a fresh session (stop at the first
 * runtime error), prints its transcript and `PASS file (N expectations)` or
 * `FAIL file`; `--json` prints one JSON object per file instead. Exit 0 iff
 * every file is ok.
 *
 * @example
 * ```ts ignore
 * import { runCommand } from "./commands.ts";
 * const code = runCommand(["examples/kvm-basics.vmt"], { json: true });
 * ```
 */
export function runCommand(files: readonly string[], opts: RunOptions = {}): number {
  const texts = files.map((f) => [f, readSource(f)] as const);
  let allOk = true;
  for (const [file, text] of texts) {
    const session = new Session({
      echo: false,
      trace: opts.trace ?? false,
      color: opts.json ? false : useColor(),
      stopOnError: true,
      readFile: readInclude,
    });
    const r = session.run(text, file);
    allOk &&= r.ok;
    if (opts.json) {
      console.log(JSON.stringify({
        file,
        ok: r.ok,
        passed: r.passed,
        failed: r.failed,
        diagnostics: r.diagnostics.map(diagnosticToJSON),
        lines: r.lines,
      }));
    } else {
      printLines(r.lines);
      const n = r.passed + r.failed;
      console.log(
        r.ok
          ? `PASS ${file} (${n} expectation${n === 1 ? "" : "s"})`
          : `FAIL ${file}${r.failed ? ` (${r.failed} of ${n} expectations failed)` : ""}`,
      );
    }
  }
  return allOk ? 0 : 1;
}

/**
 * `vmtopo trace FILE`: runs a script with the trace on and echo off, printing
 * the strace-style lines (and any diagnostics). Exit 0 iff the script is ok.
 *
 * @example
 * ```ts ignore
 * import { traceCommand } from "./commands.ts";
 * traceCommand("examples/kvm-basics.vmt");
 * ```
 */
export function traceCommand(file: string): number {
  const text = readSource(file);
  const session = new Session({
    echo: false,
    trace: true,
    color: useColor(),
    stopOnError: true,
    readFile: readInclude,
  });
  const r = session.run(text, file);
  printLines(r.lines);
  return r.ok ? 0 : 1;
}

/**
 * `vmtopo eval EXPR`: evaluates source text (usually one expression) in a
 * fresh session with echo on and prints the result. Exit 0 iff ok.
 *
 * @example
 * ```ts ignore
 * import { evalCommand } from "./commands.ts";
 * evalCommand("4K + 1"); // prints 4097
 * ```
 */
export function evalCommand(expr: string): number {
  const session = new Session({ echo: true, color: useColor(), readFile: readInclude });
  // `vmtopo eval 'help NAME'` answers as the REPL does.
  const c = replCommand(expr);
  if (c?.cmd === "help") {
    console.log(session.help(c.arg));
    return 0;
  }
  const r = session.run(expr, "<eval>");
  printLines(r.lines);
  return r.ok ? 0 : 1;
}

/**
 * `vmtopo check FILE...`: parses and statically checks each file against the
 * session vocabulary without running anything; prints the diagnostics and a
 * summary (`--json`: one object per file with its diagnostics instead).
 * Exit 1 when any error was found.
 *
 * @example
 * ```ts ignore
 * import { checkCommand } from "./commands.ts";
 * checkCommand(["examples/kvm-basics.vmt"]);
 * ```
 */
export function checkCommand(files: readonly string[], opts: { json?: boolean } = {}): number {
  const vocab = new Session().vocabulary();
  const color = useColor();
  let errors = 0, warnings = 0;
  for (const file of files) {
    const text = readSource(file);
    const sources = new Map([[file, text]]);
    const { program, diagnostics } = parse(text, file);
    const diags: Diagnostic[] = [...diagnostics];
    if (!diagnostics.some((d) => d.severity === "error")) {
      diags.push(...check(program, vocab, {
        includeSource: (p: string, from: string) => {
          const text = readInclude(p, from);
          return text === undefined ? undefined : { file: includeTarget(p, from), text };
        },
      }));
    }
    const fileErrors = diags.filter((d) => d.severity === "error").length;
    errors += fileErrors;
    warnings += diags.length - fileErrors;
    if (opts.json) {
      console.log(JSON.stringify({
        file,
        ok: fileErrors === 0,
        diagnostics: diags.map(diagnosticToJSON),
      }));
      continue;
    }
    for (const d of diags) {
      console.log(
        renderDiagnostic(d, (f) => sources.get(f) ?? readInclude(f, "<check>"), { color }),
      );
    }
  }
  if (opts.json) return errors > 0 ? 1 : 0;
  const what = `${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${
    warnings === 1 ? "" : "s"
  }`;
  console.log(`checked ${files.length} file${files.length === 1 ? "" : "s"}: ${what}`);
  return errors > 0 ? 1 : 0;
}

/** Options of `vmtopo fmt`. */
export interface FmtOptions {
  check?: boolean;
  stdout?: boolean;
}

/**
 * `vmtopo fmt [FILE...]`: rewrites files (default examples/*.vmt) in their canonical layout; `--check`
 * writes nothing and exits 1 listing (with a diff) the files that would
 * change; `--stdout` prints the formatted text of a single file.
 *
 * @example
 * ```ts ignore
 * import { fmtCommand } from "./commands.ts";
 * fmtCommand(["examples/spapr-ddw.vmt"], { check: true });
 * ```
 */
export function fmtCommand(files: string[], opts: FmtOptions = {}): number {
  if (files.length === 0) files = vmtFiles("examples");
  if (files.length === 0) throw new CliError("fmt: no files given (and no examples/*.vmt)");
  if (opts.stdout && files.length !== 1) throw new CliError("fmt --stdout takes exactly one file");
  let changed = 0, failed = 0;
  for (const file of files) {
    const text = readSource(file);
    const r = format(text, file);
    if (r.diagnostics.some((d) => d.severity === "error")) {
      failed++;
      for (const d of r.diagnostics) {
        console.error(renderDiagnostic(d, () => text, { color: useColor() }));
      }
      continue;
    }
    if (opts.stdout) {
      Deno.stdout.writeSync(new TextEncoder().encode(r.output));
      continue;
    }
    if (r.output === text) continue;
    changed++;
    if (opts.check) {
      console.log(`would reformat ${file}`);
      console.log(unifiedDiff(text.split("\n"), r.output.split("\n"), file, `${file} (formatted)`));
    } else {
      writeSource(file, r.output);
      console.log(`formatted ${file}`);
    }
  }
  if (failed > 0) return 1;
  return opts.check && changed > 0 ? 1 : 0;
}

/**
 * The `.vmt` files directly in `dir`, sorted ([] when it does not exist).
 *
 * @example
 * ```ts
 * import { vmtFiles } from "./commands.ts";
 * console.log(vmtFiles("/nonexistent")); // []
 * ```
 */
export function vmtFiles(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) => e.isFile && e.name.endsWith(".vmt"))
      .map((e) => `${dir}/${e.name}`).sort();
  } catch {
    return [];
  }
}

/** Options of `vmtopo docs`. */
export interface DocsOptions {
  update?: boolean;
}

/**
 * The default documents: docs/*.md (sorted) and README.md under `root`.
 *
 * @example
 * ```ts
 * import { defaultDocFiles } from "./commands.ts";
 * console.log(defaultDocFiles("/nonexistent")); // []
 * ```
 */
export function defaultDocFiles(root = "."): string[] {
  const out: string[] = [];
  try {
    for (const e of Deno.readDirSync(`${root}/docs`)) {
      if (e.isFile && e.name.endsWith(".md")) {
        out.push(`${root === "." ? "" : root + "/"}docs/${e.name}`);
      }
    }
  } catch {
    // no docs folder
  }
  out.sort();
  try {
    Deno.statSync(`${root}/README.md`);
    out.push(root === "." ? "README.md" : `${root}/README.md`);
  } catch {
    // no README
  }
  return out;
}

/**
 * `vmtopo docs [FILE...]`: runs the `vmtopo`/`vmt` blocks of the docs and
 * prints a unified diff per mismatching block; `--update` rewrites the
 * expected output of transcripts in place. Exit 1 when a block fails (after
 * `--update`, only scripts can still fail).
 *
 * @example
 * ```ts ignore
 * import { docsCommand } from "./commands.ts";
 * docsCommand(["docs/language.md"], { update: true });
 * ```
 */
export function docsCommand(files: readonly string[], opts: DocsOptions = {}): number {
  const list = files.length > 0 ? files : defaultDocFiles();
  let blocks = 0, failed = 0, updated = 0;
  for (const file of list) {
    const results = opts.update
      ? update(file)
      : { results: runMarkdown(readSource(file), file), updated: 0 };
    for (const r of results.results) {
      blocks++;
      if (r.ok) continue;
      if (opts.update && r.actual !== undefined) continue;
      failed++;
      console.log(`FAIL ${file}:${r.block.line}`);
      console.log(r.report);
    }
    updated += results.updated;
  }
  const parts = [
    `${blocks} block${blocks === 1 ? "" : "s"} in ${list.length} file${
      list.length === 1 ? "" : "s"
    }`,
  ];
  if (opts.update) parts.push(`${updated} updated`);
  parts.push(`${failed} failed`);
  console.log(`docs: ${parts.join(", ")}`);
  return failed > 0 ? 1 : 0;

  function update(file: string) {
    readSource(file); // a clean CliError for a missing file
    return updateFile(file);
  }
}
