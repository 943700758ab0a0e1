/**
 * The interpreter: a session runs checked programs against one simulated host.
 *
 * @example
 * ```ts
 * import * as m from "./mod.ts";
 * console.log(typeof m); // "object"
 * ```
 * @module
 */
export * from "./api.ts";
export * from "./session.ts";
export * from "./eval.ts";
export * from "./calls.ts";
export * from "./errors.ts";
export * from "./decl_props.ts";
export * from "./report.ts";
