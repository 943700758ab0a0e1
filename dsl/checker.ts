/**
 * The static checker: resolves every name, ioctl, hcall, builtin, property and
 * field of a parsed program against a {@link Vocabulary}, and reports what is
 * unknown, duplicated or missing, with did-you-mean help. Never throws.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { check } from "./checker.ts";
 * import { emptyVocabulary } from "./vocabulary.ts";
 * const { program } = parse("let a = 1\nexpect b == a", "t.vmt");
 * console.log(check(program, emptyVocabulary())[0].message); // "unknown name `b`"
 * ```
 * @module
 */
import type * as A from "./ast.ts";
import type { Diagnostic, Label } from "./diagnostic.ts";
import { argShapeDiagnostics, expectedResultDiagnostics } from "./check_calls.ts";
import { includedNames, type IncludeSource } from "./check_includes.ts";
import { propShapeMismatch } from "./check_props.ts";
import { didYouMean, suggest } from "./suggest.ts";
import {
  type CallSpec,
  type DeclSpec,
  propExample,
  type PropSpec,
  type Vocabulary,
} from "./vocabulary.ts";

/** What a REPL session or a driver knows beyond the program itself. */
export interface CheckOptions {
  /** Names defined earlier (variables, declared objects), with where, if known. */
  known?: Map<string, A.Span | undefined>;
  /** Declarations made earlier in the session. */
  declared?: Map<string, { keyword: string; span?: A.Span }>;
  /** True when an `include` path exists; include checks are skipped without it. */
  resolveInclude?: (path: string, fromFile: string) => boolean;
  /**
   * Reads an included file: with it, the names the include defines are in
   * scope after it (instead of unknown names becoming warnings).
   */
  includeSource?: IncludeSource;
}

/** Names always declared: the VMM process and the host. */
const PREDECLARED = ["vmm", "host"];

interface Ctx {
  /** Short flag names valid here (inside a field / positional arg with fieldFlags). */
  flags?: readonly string[];
  /** Inside `show` arguments: show topics are names. */
  show?: boolean;
  /** Inside arguments of an unknown call: do not report names (one root cause). */
  lenient?: boolean;
}

interface UnknownUse {
  diag: Diagnostic;
  lines: number[];
}

class Checker {
  readonly diags: Diagnostic[] = [];
  private readonly decls = new Map<string, A.Decl>();
  private readonly scopes: Set<string>[] = [new Set()];
  private readonly unknown = new Map<string, UnknownUse>();
  private hasIncludes = false;

  constructor(
    private readonly program: A.Program,
    private readonly vocab: Vocabulary,
    private readonly opts: CheckOptions,
  ) {}

  run(): Diagnostic[] {
    // Without a way to read includes, names they may define are only warnings.
    this.hasIncludes = !this.opts.includeSource &&
      this.program.body.some((s) => s.kind === "Include");
    this.collectDecls(this.program.body);
    for (const s of this.program.body) this.stmt(s);
    for (const u of this.unknown.values()) {
      if (u.lines.length) {
        const ls = [...new Set(u.lines)];
        (u.diag.notes ??= []).push(`also used at line${ls.length > 1 ? "s" : ""} ${ls.join(", ")}`);
      }
    }
    return this.diags.sort((a, b) => a.span.start - b.span.start);
  }

  private report(
    code: string,
    message: string,
    span: A.Span,
    label: string,
    extra: { help?: string; notes?: string[]; labels?: Label[]; severity?: "error" | "warning" } =
      {},
  ): Diagnostic {
    const d: Diagnostic = {
      code,
      severity: extra.severity ?? "error",
      message,
      span,
      labels: [{ span, message: label }, ...(extra.labels ?? [])],
    };
    if (extra.help) d.help = extra.help;
    if (extra.notes) d.notes = extra.notes;
    this.diags.push(d);
    return d;
  }

  // ------------------------------------------------------------ declarations

  private collectDecls(body: A.Stmt[]): void {
    for (const s of body) {
      if (s.kind === "For") this.collectDecls(s.body);
      if (s.kind !== "Decl") continue;
      const name = s.name.text;
      const first = this.decls.get(name);
      const earlier = this.opts.declared?.get(name);
      if (first || earlier) {
        const labels: Label[] = [];
        const firstSpan = first?.name.span ?? earlier?.span;
        if (firstSpan) labels.push({ span: firstSpan, message: "first declared here" });
        const kw = first?.keyword.text ?? earlier?.keyword ?? "object";
        this.report(
          "VT0106",
          `\`${name}\` is declared twice`,
          s.name.span,
          `second declaration of \`${name}\``,
          {
            labels,
            help: `\`${name}\` is already a ${kw}; pick another name`,
          },
        );
        continue;
      }
      this.decls.set(name, s);
    }
  }

  private declSpec(d: A.Decl): DeclSpec | undefined {
    const kw = d.keyword.text;
    const spec = this.vocab.decls.get(kw);
    if (!spec) {
      const s = suggest(kw, this.vocab.decls.keys());
      this.report(
        "VT0109",
        `unknown declaration kind \`${kw}\``,
        d.keyword.span,
        "not a known kind",
        {
          help: s.length
            ? didYouMean(s)
            : `the kinds are ${[...this.vocab.decls.keys()].join(", ")}`,
        },
      );
      return undefined;
    }
    if (kw !== "device" || !spec.kinds?.length) return spec;
    const what = `device \`${d.name.text}\``;
    if (!d.type) {
      this.report("VT0109", `${what} needs a kind`, d.name.span, "no kind given", {
        help: `write e.g. \`device ${d.name.text} ${spec.kinds[0]} { … }\`; kinds: ${
          spec.kinds.join(", ")
        }`,
      });
      return undefined;
    }
    if (!spec.kinds.includes(d.type.text)) {
      const s = suggest(d.type.text, spec.kinds);
      this.report(
        "VT0109",
        `unknown device kind \`${d.type.text}\``,
        d.type.span,
        "not a device kind",
        {
          help: s.length ? didYouMean(s) : `the device kinds are ${spec.kinds.join(", ")}`,
        },
      );
      return undefined;
    }
    return this.vocab.decls.get(d.type.text) ?? spec;
  }

  private decl(d: A.Decl): void {
    if (this.vocab.decls.size === 0) {
      for (const p of d.props) if (p.value) this.expr(p.value, { lenient: true });
      return;
    }
    const spec = this.declSpec(d);
    if (!spec) return;
    const what = d.name.text === d.keyword.text
      ? d.keyword.text
      : `${d.keyword.text} \`${d.name.text}\``;
    const seen = new Map<string, A.Property>();
    const misspelt = new Set<string>();
    d.props.forEach((p, i) => {
      const ps = spec.props.find((x) => x.name === p.name.text);
      if (!ps) {
        const s = suggest(p.name.text, spec.props.map((x) => x.name));
        if (s.length) misspelt.add(s[0]);
        this.report(
          "VT0105",
          `unknown property \`${p.name.text}\` for ${d.keyword.text}`,
          p.name.span,
          "unknown property",
          {
            help: s.length ? didYouMean(s) : undefined,
            notes: [
              `${d.keyword.text} properties: ${spec.props.map((x) => x.name).join(", ") || "none"}`,
            ],
          },
        );
        return;
      }
      const prev = seen.get(ps.name);
      if (prev && !ps.repeat) {
        this.report(
          "VT0113",
          `property \`${ps.name}\` is set twice in ${what}`,
          p.name.span,
          "set again here",
          {
            labels: [{ span: prev.name.span, message: "first set here" }],
            help: "remove one of them",
          },
        );
        return;
      }
      seen.set(ps.name, p);
      this.propValue(d, p, ps, d.props[i + 1]);
    });
    for (const ps of spec.props) {
      if (ps.required && !seen.has(ps.name) && !misspelt.has(ps.name)) {
        this.report(
          "VT0107",
          `${what} is missing the required property \`${ps.name}\``,
          d.name.span,
          `needs \`${ps.name}\``,
          {
            help: `add \`${ps.name} ${propExample(ps)}\` inside the block`,
          },
        );
      }
    }
  }

  private propValue(d: A.Decl, p: A.Property, ps: PropSpec, next: A.Property | undefined): void {
    const v = p.value;
    const name = ps.name;
    if (ps.type === "flag") {
      if (v) {
        this.report("VT0108", `\`${name}\` takes no value`, v.span, "unexpected value", {
          help: `write just \`${name}\``,
        });
      }
      return;
    }
    if (!v) {
      const found = next && next.span.line === p.span.line
        ? `\`${next.name.text}\``
        : d.span.endLine === p.span.line
        ? "`}`"
        : "the end of the line";
      this.report(
        "VT0108",
        `expected a value after \`${name}\`, found ${found}`,
        p.name.span,
        "needs a value",
        {
          help: `write e.g. \`${name} ${propExample(ps)}\``,
        },
      );
      return;
    }
    const bad = (expected: string) =>
      this.report("VT0108", `\`${name}\` takes ${expected}`, v.span, `not ${expected}`, {
        help: `write e.g. \`${name} ${propExample(ps)}\``,
      });
    const want = propShapeMismatch(ps, v);
    if (want) {
      bad(want);
      return;
    }
    if (ps.type === "int" || ps.type === "size") {
      this.expr(v, {});
      return;
    }
    if (ps.type !== "ident") return;
    const single = v.kind === "Ref" && v.parts.length === 1 ? v.parts[0].text : undefined;
    if (!single) {
      if (v.kind === "Int" && this.isDeclKeyword(name)) {
        this.objectRef(name, v.raw, v.value.toString(), v.span);
      } else bad("a name");
      return;
    }
    if (!ps.values?.length) {
      if (this.isDeclKeyword(name)) this.objectRef(name, single, single, v.span);
      return;
    }
    if (ps.values.includes(single)) return;
    const s = suggest(single, ps.values);
    this.report("VT0108", `\`${single}\` is not a valid \`${name}\``, v.span, `unknown ${name}`, {
      help: s.length ? didYouMean(s) : undefined,
      notes: [`\`${name}\` is one of: ${ps.values.join(", ")}`],
    });
  }

  private isDeclKeyword(word: string): boolean {
    return this.vocab.decls.has(word) && word !== "host";
  }

  /** A property such as `guest vm1` or `group 12` naming another declared object. */
  private objectRef(keyword: string, text: string, alt: string, span: A.Span): void {
    if (
      this.decls.has(text) || this.decls.has(alt) || this.opts.declared?.has(text) ||
      this.opts.known?.has(text)
    ) {
      return;
    }
    const same = [...this.decls.values()].filter((d) => d.keyword.text === keyword).map((d) =>
      d.name.text
    );
    for (const [n, e] of this.opts.declared ?? []) if (e.keyword === keyword) same.push(n);
    this.unknownName(text, span, { candidates: same, what: `${keyword} \`${text}\`` });
  }

  // ------------------------------------------------------------ statements

  private stmt(s: A.Stmt): void {
    switch (s.kind) {
      case "Decl":
        this.decl(s);
        return;
      case "Let":
        this.expr(s.value, {});
        // A `let` in a loop body outlives the loop (only the loop variable is scoped).
        this.scopes[0].add(s.name.text);
        return;
      case "Expect":
        this.expr(s.cond, {});
        return;
      case "Advance":
        this.expr(s.amount, {});
        return;
      case "ExprStmt": {
        this.expr(s.expr, {});
        const r = expectedResultDiagnostics(s, this.vocab, (n) => this.isKnown(n, {}));
        this.diags.push(...r.diagnostics);
        if (s.expected && !r.handled) this.expr(s.expected, {});
        return;
      }
      case "Show":
        this.show(s);
        return;
      case "For":
        this.expr(s.from, {});
        this.expr(s.to, {});
        this.scopes.push(new Set([s.var.text]));
        for (const b of s.body) this.stmt(b);
        this.scopes.pop();
        return;
      case "Include": {
        const src = this.opts.includeSource;
        const inc = src && includedNames(s.path.value, this.program.file, src);
        if (inc) {
          for (const n of inc.names) this.scopes[0].add(n);
          if (!inc.complete) this.hasIncludes = true;
          return;
        }
        const r = this.opts.resolveInclude;
        if ((src && !inc) || (r && !r(s.path.value, this.program.file))) {
          this.report(
            "VT0111",
            `cannot find the included file \`${s.path.value}\``,
            s.path.span,
            "no such file",
            {
              help: `paths are relative to the including file (${this.program.file})`,
            },
          );
        }
        return;
      }
    }
  }

  private show(s: A.Show): void {
    const first = s.args[0];
    if (first?.kind === "Ref" && this.vocab.showTopics.size > 0) {
      const word = first.parts[0].text;
      if (!this.vocab.showTopics.has(word) && !this.isKnown(word, {})) {
        const prior = this.unknown.get(word);
        if (prior) prior.lines.push(first.span.line);
        else {
          const s2 = suggest(word, [...this.vocab.showTopics, ...this.visible({})]);
          this.report(
            "VT0112",
            `unknown show topic \`${word}\``,
            first.parts[0].span,
            "not a topic or a name",
            {
              help: s2.length ? didYouMean(s2) : undefined,
              notes: [`topics: ${[...this.vocab.showTopics].sort().join(", ")}`],
            },
          );
        }
        for (const a of s.args.slice(1)) this.expr(a, { show: true });
        return;
      }
    }
    for (const a of s.args) this.expr(a, { show: true });
  }

  // ------------------------------------------------------------ expressions

  private isKnown(name: string, ctx: Ctx): boolean {
    for (const sc of this.scopes) if (sc.has(name)) return true;
    return this.decls.has(name) || PREDECLARED.includes(name) ||
      (this.opts.known?.has(name) ?? false) ||
      (this.opts.declared?.has(name) ?? false) || this.vocab.constants.has(name) ||
      (ctx.flags?.includes(name) ?? false) || (!!ctx.show && this.vocab.showTopics.has(name));
  }

  private visible(ctx: Ctx): string[] {
    const out: string[] = [...PREDECLARED, ...this.decls.keys()];
    for (const sc of this.scopes) out.push(...sc);
    out.push(...(this.opts.known?.keys() ?? []), ...(this.opts.declared?.keys() ?? []));
    out.push(...this.vocab.constants, ...(ctx.flags ?? []));
    if (ctx.show) out.push(...this.vocab.showTopics);
    return out;
  }

  private unknownName(
    name: string,
    span: A.Span,
    o: { ctx?: Ctx; candidates?: string[]; what?: string },
  ): void {
    const prior = this.unknown.get(name);
    if (prior) {
      prior.lines.push(span.line);
      return;
    }
    const cands = o.candidates ?? this.visible(o.ctx ?? {});
    const s = suggest(name, cands);
    let help = s.length ? didYouMean(s) : undefined;
    // An ioctl or hcall name is not a value; say how to issue it instead.
    if (this.vocab.ioctls.has(name)) {
      help = `\`${name}\` is an ioctl: issue it with \`ioctl TARGET ${name}(…)\``;
    } else if (this.vocab.hcalls.has(name)) {
      help = `\`${name}\` is a hypercall: issue it with \`hcall VCPU ${name}(…)\``;
    }
    const parts = name.split("-");
    if (parts.length > 1 && (parts.every((p) => this.isKnown(p, o.ctx ?? {})) || !help)) {
      help = `write \`${parts.join(" - ")}\` with spaces to subtract`;
    }
    const labels: Label[] = [];
    const near = s.length ? this.decls.get(s[0]) : undefined;
    if (near && help?.startsWith("did")) {
      labels.push({ span: near.name.span, message: `\`${s[0]}\` declared here` });
    }
    const notes = o.ctx?.flags?.length
      ? [
        `flags valid here: ${o.ctx.flags.slice(0, 8).join(", ")}${
          o.ctx.flags.length > 8 ? `, … (${o.ctx.flags.length} in all)` : ""
        }`,
      ]
      : undefined;
    const d = this.report("VT0101", `unknown name \`${name}\``, span, "not declared", {
      help,
      labels,
      notes,
      severity: this.hasIncludes ? "warning" : "error",
    });
    if (this.hasIncludes) (d.notes ??= []).push("it may be declared in an included file");
    this.unknown.set(name, { diag: d, lines: [] });
  }

  private expr(e: A.Expr, ctx: Ctx): void {
    switch (e.kind) {
      case "Ref": {
        const first = e.parts[0];
        if (!ctx.lenient && !this.isKnown(first.text, ctx)) {
          this.unknownName(first.text, first.span, { ctx });
        }
        return;
      }
      case "Unary":
        this.expr(e.operand, ctx);
        return;
      case "Binary":
        this.expr(e.left, ctx);
        this.expr(e.right, ctx);
        return;
      case "Range":
        this.expr(e.from, ctx);
        this.expr(e.to, ctx);
        return;
      case "List":
        for (const x of e.items) this.expr(x, { lenient: ctx.lenient });
        return;
      case "Struct":
        for (const f of e.fields) this.expr(f.value, { lenient: ctx.lenient });
        return;
      case "Call": {
        const spec = this.vocab.builtins.get(e.callee.text);
        if (!spec) {
          const s = suggest(e.callee.text, this.vocab.builtins.keys());
          this.report(
            "VT0110",
            `unknown function \`${e.callee.text}\``,
            e.callee.span,
            "no such function",
            {
              help: s.length ? didYouMean(s) : "see `help functions` for the builtins",
            },
          );
        }
        this.callArgs(spec, e.callee.text, e.args, ctx);
        return;
      }
      case "Ioctl": {
        this.target(e.target);
        const spec = this.vocab.ioctls.get(e.name.text);
        if (!spec) {
          const s = suggest(e.name.text, this.vocab.ioctls.keys());
          this.report("VT0102", `unknown ioctl \`${e.name.text}\``, e.name.span, "no such ioctl", {
            help: s.length ? didYouMean(s) : "ioctl names are the kernel's, e.g. `KVM_CREATE_VM`",
          });
        }
        this.callArgs(spec, e.name.text, e.args, ctx);
        return;
      }
      case "Hcall": {
        this.expr(e.vcpu, {});
        const spec = this.vocab.hcalls.get(e.name.text);
        if (!spec) {
          const s = suggest(e.name.text, this.vocab.hcalls.keys());
          this.report("VT0103", `unknown hcall \`${e.name.text}\``, e.name.span, "no such hcall", {
            help: s.length ? didYouMean(s) : "hcall names are PAPR's, e.g. `H_PUT_TCE`",
          });
        }
        this.callArgs(spec, e.name.text, e.args, ctx);
        return;
      }
      case "Open":
        this.procName(e.process);
        return;
      default:
        return;
    }
  }

  private procName(n: A.Name): void {
    if (!this.isKnown(n.text, {})) this.unknownName(n.text, n.span, {});
  }

  private target(t: A.Target): void {
    if (t.kind === "RefTarget") this.expr(t.ref, {});
    else {
      this.procName(t.process);
      if (t.kind === "ProcFd") this.expr(t.fd, {});
    }
  }

  private field(spec: CallSpec, callName: string, f: A.FieldInit, outer: Ctx): void {
    if (!spec.fields.includes(f.name.text)) {
      const s = suggest(f.name.text, spec.fields);
      this.report(
        "VT0104",
        `\`${callName}\` has no field \`${f.name.text}\``,
        f.name.span,
        "unknown field",
        {
          help: s.length
            ? didYouMean(s)
            : spec.fields.length
            ? undefined
            : `\`${callName}\` takes positional arguments only`,
          notes: spec.fields.length ? [`fields: ${spec.fields.join(", ")}`] : undefined,
        },
      );
      this.expr(f.value, { lenient: true });
      return;
    }
    this.expr(f.value, { flags: spec.fieldFlags?.[f.name.text], lenient: outer.lenient });
  }

  private callArgs(spec: CallSpec | undefined, callName: string, args: A.Args, outer: Ctx): void {
    if (!spec) {
      for (const p of args.positional) this.expr(p, { lenient: true });
      for (const n of args.named) this.expr(n.value, { lenient: true });
      return;
    }
    this.diags.push(...argShapeDiagnostics(spec, args));
    args.positional.forEach((p, i) => {
      if (p.kind === "Struct") { for (const f of p.fields) this.field(spec, callName, f, outer); }
      else {
        // A positional argument takes the short names of the parameter in its place.
        const flags = spec.fieldFlags?.[spec.fields[i] ?? ""] ?? spec.fieldFlags?.["*"];
        this.expr(p, { flags, lenient: outer.lenient });
      }
    });
    for (const n of args.named) this.field(spec, callName, n, outer);
  }
}

/**
 * Checks a program against a vocabulary; returns diagnostics sorted by
 * position (empty when the program is clean). Never throws.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { check } from "./checker.ts";
 * import { emptyVocabulary } from "./vocabulary.ts";
 * const { program } = parse("guest vm1 {}\nshow vm1", "t.vmt");
 * console.log(check(program, emptyVocabulary()).length); // 0
 * ```
 */
export function check(
  program: A.Program,
  vocab: Vocabulary,
  opts: CheckOptions = {},
): Diagnostic[] {
  try {
    return new Checker(program, vocab, opts).run();
  } catch (e) {
    return [{
      code: "VT0101",
      severity: "error",
      message: e instanceof RangeError
        ? "this input is nested too deeply to check (an expression thousands of operators deep)"
        : `the checker failed: ${e instanceof Error ? e.message : String(e)}`,
      span: program.span,
      labels: [],
      help: "split the expression into smaller statements with `let`",
    }];
  }
}
