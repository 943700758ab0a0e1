/**
 * Static rules on the shape of a call and of its expected result, kept apart
 * from the name resolution of checker.ts: a field given twice, more
 * positional arguments than the call takes, `=> EBUSY` where the kernel
 * answers `-EBUSY`, and `=> -EFOO` with an errno that does not exist.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { argShapeDiagnostics } from "./check_calls.ts";
 * const { program } = parse("ioctl vm1 X(slot: 1, slot: 2)", "t.vmt");
 * const e = (program.body[0] as { expr: { args: import("./ast.ts").Args } }).expr;
 * const spec = { name: "X", fields: ["slot"], maxPositional: 1 };
 * console.log(argShapeDiagnostics(spec, e.args)[0].message); // "field `slot` is given twice"
 * ```
 * @module
 */
import type * as A from "./ast.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { didYouMean, suggest } from "./suggest.ts";
import type { CallSpec, Vocabulary } from "./vocabulary.ts";

function diag(
  message: string,
  span: A.Span,
  label: string,
  extra: Partial<Pick<Diagnostic, "help" | "labels">> = {},
): Diagnostic {
  const d: Diagnostic = {
    code: "VT0114",
    severity: "error",
    message,
    span,
    labels: [{ span, message: label }, ...(extra.labels ?? [])],
  };
  if (extra.help) d.help = extra.help;
  return d;
}

/**
 * Fields given twice (in a struct literal or as named arguments) and surplus
 * positional arguments of a known call.
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { argShapeDiagnostics } from "./check_calls.ts";
 * const { program } = parse("ioctl vm1 KVM_CREATE_VCPU(1, 2)", "t.vmt");
 * const e = (program.body[0] as { expr: { args: import("./ast.ts").Args } }).expr;
 * const spec = { name: "KVM_CREATE_VCPU", fields: [], maxPositional: 1 };
 * console.log(argShapeDiagnostics(spec, e.args)[0].message);
 * // "`KVM_CREATE_VCPU` takes 1 argument, found 2"
 * ```
 */
export function argShapeDiagnostics(spec: CallSpec, args: A.Args): Diagnostic[] {
  const out: Diagnostic[] = [];
  const seen = new Map<string, A.Name>();
  const fields = [
    ...args.positional.flatMap((p) => p.kind === "Struct" ? p.fields : []),
    ...args.named,
  ];
  for (const f of fields) {
    const first = seen.get(f.name.text);
    if (!first) {
      seen.set(f.name.text, f.name);
      continue;
    }
    out.push(diag(`field \`${f.name.text}\` is given twice`, f.name.span, "given again here", {
      labels: [{ span: first.span, message: "first given here" }],
      help: "remove one of them",
    }));
  }
  const max = spec.maxPositional;
  const n = args.positional.length +
    (args.named.length > 0 && args.positional.length === 0 ? 0 : 0);
  if (max !== undefined && n > max) {
    const extra = args.positional[max]!;
    const last = args.positional[n - 1]!;
    const span: A.Span = {
      ...extra.span,
      end: last.span.end,
      endLine: last.span.endLine,
      endCol: last.span.endCol,
    };
    out.push(
      diag(
        `\`${spec.name}\` takes ${
          max === 0 ? "no arguments" : max === 1 ? "1 argument" : `${max} arguments`
        }, found ${n}`,
        span,
        max === 0 ? "no argument expected" : "too many arguments",
        {
          help: max === 0
            ? `write \`${spec.name}()\``
            : spec.fields.length > 0
            ? `its parameters: ${spec.fields.join(", ")}`
            : undefined,
        },
      ),
    );
  }
  return out;
}

/** An errno name in `=> RESULT`: `EBUSY` or `-EBUSY`, with the Ref and the sign. */
function errnoRef(e: A.Expr): { ref: A.Ref; negated: boolean } | undefined {
  if (e.kind === "Ref" && e.parts.length === 1) return { ref: e, negated: false };
  if (
    e.kind === "Unary" && e.op === "-" && e.operand.kind === "Ref" && e.operand.parts.length === 1
  ) {
    return { ref: e.operand, negated: true };
  }
  return undefined;
}

/**
 * Rules on `=> RESULT` after an `ioctl`: a bare errno name (the kernel
 * returns `-EBUSY`), and `-NAME` where NAME is no errno (did-you-mean over the
 * errno names). `known` says whether a name is otherwise defined (a variable
 * may hold an expected value). Returns the diagnostics and whether the
 * expected expression was fully judged (then the caller skips its own name
 * check: one message per root cause).
 *
 * @example
 * ```ts
 * import { parse } from "./parser.ts";
 * import { expectedResultDiagnostics } from "./check_calls.ts";
 * import { emptyVocabulary } from "./vocabulary.ts";
 * const v = { ...emptyVocabulary(), errnos: new Set(["EBUSY", "EEXIST"]) };
 * const { program } = parse("ioctl vm1 X() => -EBUSYY", "t.vmt");
 * const s = program.body[0] as import("./ast.ts").ExprStmt;
 * console.log(expectedResultDiagnostics(s, v, () => false).diagnostics[0].help);
 * // "did you mean `EBUSY`?"
 * ```
 */
export function expectedResultDiagnostics(
  s: A.ExprStmt,
  vocab: Vocabulary,
  known: (name: string) => boolean,
): { diagnostics: Diagnostic[]; handled: boolean } {
  const none = { diagnostics: [], handled: false };
  const errnos = vocab.errnos;
  if (!s.expected || !errnos || s.expr.kind !== "Ioctl") return none;
  const r = errnoRef(s.expected);
  if (!r) return none;
  const name = r.ref.parts[0]!.text;
  if (errnos.has(name) && !r.negated) {
    return {
      diagnostics: [
        diag(
          `an ioctl fails with \`-${name}\`, not \`${name}\``,
          s.expected.span,
          "a positive errno",
          {
            help: `write \`=> -${name}\``,
          },
        ),
      ],
      handled: true,
    };
  }
  if (!r.negated || errnos.has(name) || known(name)) return none;
  const sug = suggest(name, errnos);
  return {
    diagnostics: [
      diag(`unknown errno \`${name}\``, r.ref.span, "no such errno", {
        help: sug.length ? didYouMean(sug) : "errno names are the kernel's, e.g. `EINVAL`, `EBUSY`",
      }),
    ],
    handled: true,
  };
}
