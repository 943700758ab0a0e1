/**
 * The language front end of vmtopo: lexer, parser, AST, static checker,
 * diagnostics, formatter and REPL completion.
 *
 * @example
 * ```ts
 * import { check, emptyVocabulary, parse, renderDiagnostic } from "./mod.ts";
 * const src = "expect nope == 1";
 * const { program, diagnostics } = parse(src, "t.vmt");
 * const all = [...diagnostics, ...check(program, emptyVocabulary())];
 * console.log(renderDiagnostic(all[0], () => src, { color: false }).split("\n")[0]);
 * // "error[VT0101]: unknown name `nope`"
 * ```
 * @module
 */
export type * from "./ast.ts";
export type { CallSpec, DeclSpec, PropSpec, Vocabulary } from "./vocabulary.ts";
export { emptyVocabulary } from "./vocabulary.ts";
export { lex, type LexResult } from "./lexer.ts";
export { parse, type ParseResult } from "./parser.ts";
export { check, type CheckOptions } from "./checker.ts";
export { type IncludedNames, includedNames, type IncludeSource } from "./check_includes.ts";
export {
  colorWanted,
  type Diagnostic,
  type DiagnosticJSON,
  diagnosticToJSON,
  type Label,
  renderDiagnostic,
  type RenderOptions,
} from "./diagnostic.ts";
export { allCodes, codeTitle, registerCode } from "./codes.ts";
export { editDistance, suggest } from "./suggest.ts";
export { format, formatProgram, type FormatResult } from "./formatter.ts";
export { printExpr } from "./printer.ts";
export { complete, type Completion } from "./complete.ts";
export { DECL_KEYWORDS, KEYWORDS } from "./tokens.ts";
