/**
 * Seeded pseudo-randomness (xorshift32): the only randomness the simulator
 * uses, so a script with the same seed produces the same transcript.
 *
 * @example
 * ```ts
 * import { Prng } from "./random.ts";
 * const a = new Prng(1), b = new Prng(1);
 * console.log(a.next() === b.next()); // true
 * ```
 * @module
 */

/** A small deterministic generator. */
export class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = (seed >>> 0) || 0x9e3779b9;
  }
  /** Next unsigned 32-bit value. */
  next(): number {
    let x = this.#s;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#s = x >>> 0;
    return this.#s;
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return this.next() % n;
  }
}
