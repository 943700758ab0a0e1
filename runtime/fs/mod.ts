/**
 * Files that are not devices: eventfd.
 *
 * @example
 * ```ts
 * import * as m from "./mod.ts";
 * console.log(typeof m); // "object"
 * ```
 * @module
 */
export * from "./eventfd.ts";
