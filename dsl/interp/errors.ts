/**
 * Runtime errors of the interpreter: each carries the span of the culprit and
 * becomes a diagnostic with a stable VT02xx code.
 *
 * @example
 * ```ts
 * import { RuntimeError } from "./errors.ts";
 * const e = new RuntimeError("VT0204", "not a number", undefined);
 * console.log(e.code); // "VT0204"
 * ```
 * @module
 */
import type { Span } from "../ast.ts";
import { registerCode } from "../codes.ts";
import type { Label } from "../diagnostic.ts";

registerCode("VT0201", "call failed");
registerCode("VT0202", "expectation failed");
registerCode("VT0203", "unexpected result");
registerCode("VT0204", "type error");
registerCode("VT0205", "unknown name");
registerCode("VT0206", "declaration failed");
registerCode("VT0207", "internal error");
registerCode("VT0208", "bad target");
registerCode("VT0209", "host already running");
registerCode("VT0210", "IOMMU fault");
registerCode("VT0211", "value out of range");

/** An error at a span, with optional help and related labels. */
export class RuntimeError extends Error {
  readonly code: string;
  readonly span: Span | undefined;
  readonly help: string | undefined;
  readonly labels: Label[];
  readonly notes: string[];
  constructor(
    code: string,
    message: string,
    span: Span | undefined,
    opts: { help?: string; labels?: Label[]; notes?: string[] } = {},
  ) {
    super(message);
    this.code = code;
    this.span = span;
    this.help = opts.help;
    this.labels = opts.labels ?? [];
    this.notes = opts.notes ?? [];
  }
}
