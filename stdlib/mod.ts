/**
 * What scripts can name: the vocabulary built from the runtime's catalogues, help texts, and core builtins (guest and user memory access, byte helpers).
 *
 * @example
 * ```ts
 * import * as m from "./mod.ts";
 * console.log(typeof m); // "object"
 * ```
 * @module
 */
export * from "./vocabulary.ts";
export * from "./help.ts";
export * from "./core_builtins.ts";
