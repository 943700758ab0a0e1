/**
 * Memory: sparse host physical pages and process address spaces (mm_struct, VMAs, get_user_pages).
 *
 * @example
 * ```ts
 * import * as m from "./mod.ts";
 * console.log(typeof m); // "object"
 * ```
 * @module
 */
export * from "./phys.ts";
export * from "./mm.ts";
