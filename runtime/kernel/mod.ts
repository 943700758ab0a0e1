/**
 * The simulated kernel core: boot and syscalls, files and processes, errno, the virtual clock, the trace, struct layouts and uapi descriptions.
 *
 * @example
 * ```ts
 * import * as m from "./mod.ts";
 * console.log(typeof m); // "object"
 * ```
 * @module
 */
export * from "./kernel.ts";
export * from "./file.ts";
export * from "./process.ts";
export * from "./errno.ts";
export * from "./clock.ts";
export * from "./random.ts";
export * from "./trace.ts";
export * from "./strace.ts";
export * from "./layout.ts";
export * from "./uapi.ts";
export * from "./uapi_registry.ts";
