/**
 * The strace-style trace. Recording is off unless someone listens, so the hot
 * paths pay one boolean test. Lines are plain text; `sink` gets each one.
 *
 * @example
 * ```ts
 * import { Trace } from "./trace.ts";
 * const t = new Trace();
 * t.enabled = true;
 * t.emit("ioctl(3</dev/kvm>, KVM_GET_API_VERSION, 0) = 12");
 * console.log(t.lines.length); // 1
 * ```
 * @module
 */

/** A trace buffer. */
export class Trace {
  enabled = false;
  lines: string[] = [];
  sink: ((line: string) => void) | undefined;

  /** Record a line (when enabled). */
  emit(line: string): void {
    if (!this.enabled) return;
    this.lines.push(line);
    this.sink?.(line);
  }

  /** Take and clear the recorded lines. */
  drain(): string[] {
    const l = this.lines;
    this.lines = [];
    return l;
  }
}
