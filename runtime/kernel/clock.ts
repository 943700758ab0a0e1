/**
 * The virtual clock: nanoseconds since boot, advanced only by `advance` (and
 * by nothing else), with a queue of timers fired in deadline order. Same
 * script, same times.
 *
 * @example
 * ```ts
 * import { Clock } from "./clock.ts";
 * const c = new Clock();
 * let fired = 0;
 * c.addTimer(5_000_000, () => { fired++; });
 * c.advance(10_000_000);
 * console.log(c.now, fired); // 10000000 1
 * ```
 * @module
 */

/** A pending timer; cancel with {@link Clock.cancel}. */
export interface Timer {
  readonly id: number;
  deadline: number;
  fn: (now: number) => void;
  active: boolean;
}

/** Virtual monotonic clock in nanoseconds (a double: exact to 2^53 ns ≈ 104 days). */
export class Clock {
  now = 0;
  #seq = 0;
  #heap: Timer[] = [];

  /** Arm a one-shot timer at an absolute deadline (ns). */
  addTimer(deadline: number, fn: (now: number) => void): Timer {
    const t: Timer = { id: ++this.#seq, deadline, fn, active: true };
    this.#push(t);
    return t;
  }

  /** Disarm a timer (lazy removal). */
  cancel(t: Timer | undefined): void {
    if (t) t.active = false;
  }

  /** Number of armed timers. */
  pending(): number {
    return this.#heap.filter((t) => t.active).length;
  }

  /** Move time forward by `ns`, firing due timers in (deadline, arm order). */
  advance(ns: number): void {
    if (ns < 0) throw new RangeError("time does not go backwards");
    const end = this.now + ns;
    for (;;) {
      const t = this.#heap[0];
      if (!t || t.deadline > end) break;
      this.#pop();
      if (!t.active) continue;
      t.active = false;
      if (t.deadline > this.now) this.now = t.deadline;
      t.fn(this.now);
    }
    this.now = end;
  }

  #less(a: Timer, b: Timer): boolean {
    return a.deadline < b.deadline || (a.deadline === b.deadline && a.id < b.id);
  }

  #push(t: Timer): void {
    const h = this.#heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.#less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }

  #pop(): void {
    const h = this.#heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let m = i;
      if (l < h.length && this.#less(h[l]!, h[m]!)) m = l;
      if (r < h.length && this.#less(h[r]!, h[m]!)) m = r;
      if (m === i) break;
      [h[i], h[m]] = [h[m]!, h[i]!];
      i = m;
    }
  }
}

/**
 * Format nanoseconds the way a person reads them: 10ms, 1.5s, 250us.
 *
 * @example
 * ```ts
 * console.log(formatNs(10_000_000)); // "10ms"
 * ```
 */
export function formatNs(ns: number): string {
  if (ns === 0) return "0s";
  const units: [number, string][] = [[1e9, "s"], [1e6, "ms"], [1e3, "us"], [1, "ns"]];
  for (const [d, u] of units) {
    if (Math.abs(ns) >= d) return `${+(ns / d).toFixed(3)}${u}`;
  }
  return `${ns}ns`;
}
