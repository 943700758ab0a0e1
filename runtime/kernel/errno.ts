/**
 * Returning errors from deep inside a handler the way kernel code does with
 * `return -EINVAL`: throw an {@link Errno}; the syscall layer turns it into a
 * negative return value. Anything else thrown is a simulator bug and is
 * reported as one, never as an errno.
 *
 * @example
 * ```ts
 * import { Errno } from "./errno.ts";
 * import { EINVAL } from "../include/uapi/asm-generic/errno.ts";
 * try { throw new Errno(EINVAL); } catch (e) { console.log((e as Errno).errno); } // 22
 * ```
 * @module
 */
import { errnoName } from "../include/uapi/asm-generic/errno.ts";

/** A kernel error return (positive errno). */
export class Errno extends Error {
  readonly errno: number;
  constructor(errno: number, why?: string) {
    super(why ? `${errnoName(errno)}: ${why}` : errnoName(errno));
    this.errno = errno;
  }
}

/**
 * `return -E…` shorthand: throws.
 *
 * @example
 * ```ts
 * try { fail(16); } catch (e) { console.log((e as Errno).errno); } // 16
 * ```
 */
export function fail(errno: number, why?: string): never {
  throw new Errno(errno, why);
}
