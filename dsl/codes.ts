/**
 * Stable diagnostic codes and their short titles. The language front end owns
 * `VT00xx` (lexing and parsing) and `VT01xx` (static checks); the interpreter
 * registers its own `VT02xx` runtime codes with {@link registerCode}.
 *
 * @example
 * ```ts
 * import { codeTitle } from "./codes.ts";
 * console.log(codeTitle("VT0101")); // "unknown name"
 * ```
 * @module
 */

const table = new Map<string, string>([
  ["VT0001", "unexpected character"],
  ["VT0002", "unterminated string"],
  ["VT0003", "syntax error"],
  ["VT0004", "number too large"],
  ["VT0005", "malformed number"],
  ["VT0006", "bad escape or byte string"],
  ["VT0101", "unknown name"],
  ["VT0102", "unknown ioctl"],
  ["VT0103", "unknown hcall"],
  ["VT0104", "unknown field or argument"],
  ["VT0105", "unknown property"],
  ["VT0106", "duplicate declaration"],
  ["VT0107", "missing required property"],
  ["VT0108", "bad property value"],
  ["VT0109", "unknown declaration kind"],
  ["VT0110", "unknown function"],
  ["VT0111", "include not found"],
  ["VT0112", "unknown show topic"],
  ["VT0113", "duplicate property"],
  ["VT0114", "bad arguments or expected result"],
]);

/**
 * Registers (or re-titles) a diagnostic code, e.g. a runtime `VT02xx` code.
 *
 * @example
 * ```ts
 * import { codeTitle, registerCode } from "./codes.ts";
 * registerCode("VT0201", "expectation failed");
 * console.log(codeTitle("VT0201")); // "expectation failed"
 * ```
 */
export function registerCode(code: string, title: string): void {
  table.set(code, title);
}

/**
 * The short title of a code, or `undefined` when the code is not registered.
 *
 * @example
 * ```ts
 * import { codeTitle } from "./codes.ts";
 * console.log(codeTitle("VT0003")); // "syntax error"
 * ```
 */
export function codeTitle(code: string): string | undefined {
  return table.get(code);
}

/**
 * Every registered code with its title, sorted by code.
 *
 * @example
 * ```ts
 * import { allCodes } from "./codes.ts";
 * console.log(allCodes()[0]); // ["VT0001", "unexpected character"]
 * ```
 */
export function allCodes(): [string, string][] {
  return [...table.entries()].sort((a, b) => a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}
