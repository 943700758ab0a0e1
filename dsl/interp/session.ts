/**
 * An interpreter session: one simulated host, the VMM process, variables and
 * the statements run so far. `run` parses, checks and executes source text
 * and returns the transcript. A statement that fails leaves the simulated
 * state exactly as it was: the session rebuilds it by replaying the
 * statements that succeeded (the simulation is deterministic).
 *
 * @example
 * ```ts
 * import { Session } from "./session.ts";
 * const s = new Session({ echo: true });
 * console.log(s.run("ioctl vmm:/dev/kvm KVM_GET_API_VERSION()", "x.vmt").ok); // false (not open yet)
 * ```
 * @module
 */
import type { Decl, Expr, Program, Span, Stmt } from "../ast.ts";
import { parse } from "../parser.ts";
import { check } from "../checker.ts";
import { type Diagnostic, renderDiagnostic } from "../diagnostic.ts";
import type { Vocabulary } from "../vocabulary.ts";
import type { RunResult, SessionOptions } from "./api.ts";
import { RuntimeError } from "./errors.ts";
import { type CallOutcome, Evaluator, truthy } from "./eval.ts";
import { declProps } from "./decl_props.ts";
import {
  callName,
  describeFailure,
  internalDiag,
  isCall,
  renderView,
  totalSyscalls,
} from "./report.ts";
import { CALLS } from "./calls.ts";
import { buildVocabulary } from "../../stdlib/vocabulary.ts";
import { helpText } from "../../stdlib/help.ts";
import { Kernel } from "../../runtime/kernel/kernel.ts";
import { hostConfig } from "../../runtime/vmm/host.ts";
import { decls, objectViews, shows, type View, VmmError } from "../../runtime/vmm/registry.ts";
import { kindOf, Obj, showValue, type Value, valuesEqual } from "../../runtime/vmm/value.ts";
import { Vmm } from "../../runtime/vmm/vmm.ts";
import { hcallName } from "../../runtime/arch/powerpc/include/asm/hvcall.ts";
import { ioctlRetText } from "./eval.ts";
import { includeChain, includeTarget, rebaseInclude } from "./include.ts";
import { unfinishedEntry } from "./entry.ts";

const MAX_INCLUDE_DEPTH = 16;
const MAX_LOOP = 10_000_000n;

class ReplayNeeded extends Error {}

/** An interpreter session. */
export class Session {
  readonly opts: SessionOptions;
  #kernel: Kernel | undefined;
  #vmm: Vmm | undefined;
  #hostSpan: Span | undefined;
  #firstUse: Span | undefined;
  vars = new Map<string, Value>();
  #declared = new Map<string, { keyword: string; span?: Span }>();
  /** Successful top-level statements with the file they came from (includes resolve from it). */
  #history: { src: string; file: string }[] = [];
  #sources = new Map<string, string>();
  #entries = new Map<string, number>();
  #lines: string[] = [];
  #diags: Diagnostic[] = [];
  #passed = 0;
  #failed = 0;
  #trace: boolean;
  #ev: Evaluator;
  #replaying = false;
  /** The file being run, then the files being included (resolved paths). */
  #includeStack: string[] = [];

  constructor(opts: SessionOptions = {}) {
    this.opts = opts;
    this.#trace = opts.trace ?? false;
    this.#ev = new Evaluator({
      vmm: (span) => this.#ensureVmm(span),
      vars: this.vars,
      print: (l) => this.#out(l),
      echo: opts.echo ?? false,
    }, CALLS);
  }

  /** Turn the strace-style trace on or off. */
  setTrace(on: boolean): void {
    this.#trace = on;
    if (this.#kernel) this.#kernel.trace.enabled = on;
  }

  /** Whether tracing is on. */
  get trace(): boolean {
    return this.#trace;
  }

  /** The simulated kernel (booted on first use). */
  get kernel(): Kernel {
    return this.#ensureVmm(undefined).kernel;
  }

  /** The VMM process. */
  get vmm(): Vmm {
    return this.#ensureVmm(undefined);
  }

  /** Source of the successful statements so far, as a replayable script. */
  script(saveTo?: string): string {
    const lines = this.#history.map((h) => saveTo ? rebaseInclude(h.src, h.file, saveTo) : h.src);
    return lines.join("\n") + (lines.length ? "\n" : "");
  }

  /** Everything nameable, for completion. */
  vocabulary(): Vocabulary {
    return buildVocabulary();
  }

  /** Declared objects and variables. */
  knownNames(): string[] {
    return [...new Set([...this.vars.keys(), ...(this.#vmm?.objects.keys() ?? ["vmm"]), "host"])];
  }

  /** `help` / `help NAME`. */
  help(topic?: string): string {
    return helpText(topic);
  }

  /** True when `text` is an unfinished entry (open bracket or string). */
  static incomplete(text: string): boolean {
    return unfinishedEntry(text);
  }

  #ensureVmm(span: Span | undefined): Vmm {
    if (!this.#vmm) {
      this.#boot("host", new Map());
      this.#firstUse = span;
    }
    return this.#vmm!;
  }

  #boot(name: string, props: Map<string, Value[]>): void {
    this.#kernel = new Kernel(hostConfig(name, props));
    this.#kernel.trace.enabled = this.#trace;
    this.#vmm = new Vmm(this.#kernel);
  }

  #out(line: string): void {
    if (!this.#replaying) this.#lines.push(line);
  }

  #flushTrace(): void {
    const k = this.#kernel;
    if (!k || k.trace.lines.length === 0) return;
    const lines = k.trace.drain();
    if (!this.#replaying) { for (const l of lines) this.#lines.push(l); }
  }

  #diag(d: Diagnostic): void {
    if (this.#replaying) return;
    this.#flushTrace();
    this.#diags.push(d);
    this.#lines.push(
      renderDiagnostic(d, (f) => this.#sources.get(f), { color: this.opts.color ?? false }).replace(
        /\n+$/,
        "",
      ),
    );
  }

  /** Run source text: a file, or one REPL entry. Never throws. */
  run(text: string, file: string): RunResult {
    this.#lines = [];
    this.#diags = [];
    this.#passed = 0;
    this.#failed = 0;
    // REPL entries share a pseudo file name; number them so a label that
    // points at an earlier entry ("first declared here") shows its own text.
    if (file.startsWith("<") && file.endsWith(">")) {
      const n = (this.#entries.get(file) ?? 0) + 1;
      this.#entries.set(file, n);
      file = `${file.slice(0, -1)}#${n}>`;
    }
    this.#sources.set(file, text);
    this.#includeStack = [file];
    const { program, diagnostics } = parse(text, file);
    for (const d of diagnostics) this.#diag(d);
    if (!diagnostics.some((d) => d.severity === "error")) {
      const cd = this.#check(program);
      for (const d of cd) this.#diag(d);
      if (!cd.some((d) => d.severity === "error")) this.#runProgram(program, text, true);
    }
    this.#flushTrace();
    const ok = !this.#diags.some((d) => d.severity === "error") && this.#failed === 0;
    return {
      lines: this.#lines,
      ok,
      diagnostics: this.#diags,
      passed: this.#passed,
      failed: this.#failed,
    };
  }

  /** An include as the checker reads it: the file it resolves to, and its text. */
  #includeSource = (p: string, from: string) => {
    const text = this.opts.readFile?.(p, from);
    return text === undefined ? undefined : { file: includeTarget(p, from), text };
  };

  #check(program: Program): Diagnostic[] {
    try {
      const known = new Map<string, Span | undefined>();
      for (const n of this.knownNames()) known.set(n, undefined);
      return check(program, buildVocabulary(), {
        known,
        declared: this.#declared,
        ...(this.opts.readFile ? { includeSource: this.#includeSource } : {}),
      });
    } catch (e) {
      return [internalDiag(e, program.span)];
    }
  }

  #runProgram(program: Program, text: string, topLevel: boolean): boolean {
    for (const st of program.body) {
      const ok = this.#runTop(st, text, topLevel);
      if (!ok && (this.opts.stopOnError ?? false)) return false;
    }
    return true;
  }

  /** Run one statement; on a runtime error restore the state by replay. */
  #runTop(st: Stmt, text: string, topLevel: boolean): boolean {
    const before = this.#kernel ? totalSyscalls(this.#kernel) : -1;
    const varsBefore = new Map(this.vars);
    try {
      this.#exec(st);
      this.#flushTrace();
      if (topLevel && !this.#replaying) {
        this.#history.push({ src: text.slice(st.span.start, st.span.end), file: st.span.file });
      }
      return true;
    } catch (e) {
      this.#report(e, st.span);
      const touched = this.#kernel !== undefined &&
        (before < 0 || totalSyscalls(this.#kernel) !== before);
      this.vars.clear();
      for (const [k, v] of varsBefore) this.vars.set(k, v);
      if (touched && topLevel && !(this.opts.stopOnError ?? false)) this.#replay();
      return false;
    }
  }

  #report(e: unknown, span: Span): void {
    if (e instanceof RuntimeError) {
      this.#diag({
        code: e.code,
        severity: "error",
        message: e.message,
        span: e.span ?? span,
        labels: e.labels,
        ...(e.help ? { help: e.help } : {}),
        ...(e.notes.length ? { notes: e.notes } : {}),
      });
      if (e.code === "VT0202" || e.code === "VT0203") this.#failed++;
    } else {
      this.#diag(internalDiag(e, span));
    }
  }

  /** Rebuild the simulated state from the successful statements. */
  #replay(): void {
    const hist = this.#history;
    const trace = this.#trace;
    this.#kernel = undefined;
    this.#vmm = undefined;
    this.#hostSpan = undefined;
    this.vars.clear();
    this.#declared.clear();
    this.#replaying = true;
    try {
      for (const { src, file } of hist) {
        const { program } = parse(src, file);
        for (const st of program.body) this.#exec(st);
        (this.#kernel as Kernel | undefined)?.trace.drain();
      }
    } catch (e) {
      this.#replaying = false;
      this.#diag(
        internalDiag(new ReplayNeeded(`replay failed: ${(e as Error).message}`), undefined),
      );
    } finally {
      this.#replaying = false;
      this.setTrace(trace);
    }
  }

  #exec(st: Stmt): void {
    switch (st.kind) {
      case "Decl":
        return this.#decl(st);
      case "Let": {
        this.#ev.last = undefined;
        const v = this.#ev.eval(st.value);
        this.#requireSuccess(st.value);
        this.vars.set(st.name.text, v);
        this.#flushTrace();
        if (this.opts.echo) this.#out(`${st.name.text} = ${showValue(v)}`);
        return;
      }
      case "ExprStmt":
        return this.#exprStmt(st.expr, st.expected, st.span);
      case "Expect": {
        const v = this.#ev.eval(st.cond);
        if (typeof v !== "boolean" && typeof v !== "bigint") {
          throw new RuntimeError(
            "VT0204",
            `expect takes a condition, found ${kindOf(v)}`,
            st.cond.span,
            {
              help:
                'compare it, e.g. `expect st == ACKNOWLEDGE | DRIVER` or `expect name == "vm1"`',
            },
          );
        }
        if (!truthy(v)) {
          throw new RuntimeError(
            "VT0202",
            `expectation failed: ${describeFailure(st.cond, this.#ev)}`,
            st.cond.span,
          );
        }
        this.#passed++;
        return;
      }
      case "Show":
        return this.#show(st.args, st.span);
      case "Advance": {
        const ns = this.#ev.int(this.#ev.eval(st.amount), st.amount.span);
        if (ns < 0n || ns > 1_000_000_000_000n) {
          throw new RuntimeError(
            "VT0211",
            "advance takes 0 to 1000s of virtual time",
            st.amount.span,
          );
        }
        this.#ensureVmm(st.span).kernel.clock.advance(Number(ns));
        return;
      }
      case "For": {
        const a = this.#ev.int(this.#ev.eval(st.from), st.from.span);
        const b = this.#ev.int(this.#ev.eval(st.to), st.to.span);
        if (b - a > MAX_LOOP) {
          throw new RuntimeError("VT0211", `loop of ${b - a} iterations is too long`, st.span);
        }
        const had = this.vars.has(st.var.text), prev = this.vars.get(st.var.text);
        try {
          for (let i = a; i < b; i++) {
            this.vars.set(st.var.text, i);
            for (const s of st.body) this.#exec(s);
          }
        } finally {
          if (had) this.vars.set(st.var.text, prev!);
          else this.vars.delete(st.var.text);
        }
        return;
      }
      case "Include":
        return this.#include(st.path.value, st.span);
    }
  }

  #lastCall(): CallOutcome | undefined {
    return this.#ev.last;
  }

  #requireSuccess(e: Expr): void {
    const o = this.#lastCall();
    if (!o || !isCall(e)) return;
    if (o.kind === "ioctl" && o.ret < 0n) {
      throw new RuntimeError("VT0201", `${callName(e)} failed: ${o.retText}`, e.span, {
        help: `if this is the answer you expect, write it as a statement: \`… => ${
          o.retText.split(" ")[0]
        }\``,
      });
    }
  }

  #exprStmt(expr: Expr, expected: Expr | undefined, span: Span): void {
    this.#ev.last = undefined;
    const v = this.#ev.eval(expr);
    const o: CallOutcome | undefined = isCall(expr) ? this.#lastCall() : undefined;
    this.#flushTrace();
    if (expected) {
      const want = this.#ev.eval(expected);
      const got: Value = o ? o.ret : v;
      if (!valuesEqual(got, want)) {
        const gotText = o ? o.retText : showValue(v);
        const wantText = o && typeof want === "bigint"
          ? (o.kind === "hcall" ? hcallName(want) : ioctlRetText(want))
          : showValue(want);
        throw new RuntimeError("VT0203", `expected ${wantText}, got ${gotText}`, expected.span, {
          labels: [{ span: expr.span, message: `this returned ${gotText}` }],
        });
      }
      this.#passed++;
    } else if (o && o.kind === "ioctl" && o.ret < 0n && !this.opts.echo) {
      // A bare call whose answer is an error is not a failure (nothing was
      // expected of it), but a script should say what it expects.
      this.#diag({
        code: "VT0201",
        severity: "warning",
        message: `${callName(expr)} returned ${o.retText}`,
        span: expr.span,
        labels: [],
        help: `state the expected answer: \`… => ${o.retText.split(" ")[0]}\``,
      });
    }
    if (!this.opts.echo) return;
    if (o) {
      if (o.kind === "hcall") this.#out(o.echo());
      else {
        this.#out(`= ${o.retText}`);
        if (o.value !== o.ret) this.#out(`  ${showValue(o.value)}`);
      }
    } else if (!(typeof v === "bigint" && expr.kind === "Call" && expected)) {
      this.#out(showValue(v));
    }
    void span;
  }

  #decl(d: Decl): void {
    const kw = d.keyword.text;
    const prior = this.#declared.get(d.name.text);
    if (prior && kw !== "host") {
      throw new RuntimeError("VT0106", `\`${d.name.text}\` is already declared`, d.name.span, {
        ...(prior.span ? { labels: [{ span: prior.span, message: "first declared here" }] } : {}),
      });
    }
    if (kw === "host") {
      if (this.#vmm) {
        throw new RuntimeError(
          "VT0209",
          "the host is already running; declare `host` before anything else",
          d.span,
          {
            ...(this.#hostSpan
              ? { labels: [{ span: this.#hostSpan, message: "host declared here" }] }
              : this.#firstUse
              ? { labels: [{ span: this.#firstUse, message: "the default host booted here" }] }
              : {}),
          },
        );
      }
      const props = this.#props(d, "host");
      try {
        this.#boot(d.name.text, props);
      } catch (e) {
        throw this.#declError(d, e);
      }
      this.#hostSpan = d.span;
      return;
    }
    const key = kw === "device" ? `device:${d.type?.text ?? ""}` : kw;
    const h = decls.get(key);
    if (!h) {
      throw new RuntimeError(
        "VT0206",
        kw === "device"
          ? `unknown device kind \`${d.type?.text ?? ""}\``
          : `no handler for \`${kw}\``,
        d.type?.span ?? d.keyword.span,
      );
    }
    const vmm = this.#ensureVmm(d.span);
    const props = this.#props(d, key);
    try {
      h.instantiate(vmm, {
        keyword: kw,
        name: d.name.text,
        ...(d.type ? { type: d.type.text } : {}),
        props,
      });
    } catch (e) {
      throw this.#declError(d, e);
    }
    this.#declared.set(d.name.text, { keyword: kw, span: d.name.span });
    this.#flushTrace();
  }

  #declError(d: Decl, e: unknown): RuntimeError {
    if (e instanceof VmmError) {
      const p = e.prop ? d.props.find((x) => x.name.text === e.prop) : undefined;
      return new RuntimeError(
        "VT0206",
        `${d.keyword.text} \`${d.name.text}\`: ${e.message}`,
        p?.span ?? d.span,
        {
          ...(e.help ? { help: e.help } : {}),
        },
      );
    }
    if (e instanceof RuntimeError) return e;
    return new RuntimeError(
      "VT0207",
      `${d.keyword.text} \`${d.name.text}\`: internal error: ${(e as Error).message}`,
      d.span,
    );
  }

  #props(d: Decl, key: string): Map<string, Value[]> {
    const spec = key === "host"
      ? buildVocabulary().decls.get("host")!.props
      : decls.get(key)?.props ?? [];
    return declProps(
      d,
      spec,
      this.#ev,
      (w) => this.vars.has(w) || (this.#vmm?.objects.has(w) ?? false),
    );
  }

  #include(path: string, span: Span): void {
    const full = includeTarget(path, span.file);
    if (this.#includeStack.includes(full)) {
      throw new RuntimeError(
        "VT0111",
        `include cycle: \`${path}\` is already being included`,
        span,
        {
          notes: [`include chain: ${includeChain(this.#includeStack, full)}`],
          help: "remove the `include` that closes the cycle",
        },
      );
    }
    if (this.#includeStack.length > MAX_INCLUDE_DEPTH) {
      throw new RuntimeError("VT0211", "includes nested too deeply", span);
    }
    const text = this.opts.readFile?.(path, span.file);
    if (text === undefined) throw new RuntimeError("VT0111", `cannot read \`${path}\``, span);
    const { program, diagnostics } = parse(text, full);
    this.#sources.set(full, text);
    if (diagnostics.some((d) => d.severity === "error")) {
      for (const d of diagnostics) this.#diag(d);
      throw new RuntimeError("VT0111", `\`${path}\` has errors`, span);
    }
    this.#includeStack.push(full);
    try {
      for (const st of program.body) this.#exec(st);
    } finally {
      this.#includeStack.pop();
    }
  }

  #show(args: Expr[], span: Span): void {
    const vmm = this.#ensureVmm(span);
    let views: View[];
    const first = args[0];
    const word = first?.kind === "Ref" && first.parts.length === 1
      ? first.parts[0]!.text
      : undefined;
    if (!first) {
      views = [{
        title: "show topics",
        columns: ["topic", "what"],
        rows: [...shows.values()].sort((a, b) => a.topic.localeCompare(b.topic)).map((
          s,
        ) => [s.topic, s.doc]),
      }];
    } else if (
      word !== undefined && shows.has(word) && !vmm.objects.has(word) && !this.vars.has(word)
    ) {
      const rest = args.slice(1).map((a) => this.#showArg(a));
      views = shows.get(word)!.render(vmm, rest);
    } else {
      const v = this.#ev.eval(first);
      if (v instanceof Obj) {
        const f = objectViews.get(v.kind);
        views = f ? f(vmm, v.impl, v.name) : [{ text: `${v.kind} ${v.name}` }];
      } else views = [{ text: showValue(v) }];
    }
    this.#flushTrace();
    for (const view of views) for (const l of renderView(view)) this.#out(l);
  }

  #showArg(a: Expr): Value {
    if (a.kind === "Ref" && a.parts.length === 1) {
      const w = a.parts[0]!.text;
      if (!this.vars.has(w) && !this.#vmm?.objects.has(w)) {
        try {
          return this.#ev.eval(a);
        } catch {
          return w;
        }
      }
    }
    return this.#ev.eval(a);
  }
}
