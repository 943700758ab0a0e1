/**
 * Turning a caller's argument into the `unsigned long arg` of ioctl(2), the
 * way a C program does: a struct or scalar is written into the process's own
 * memory (its stack) and the pointer is passed; after the call the kernel's
 * answer is read back from the same place. Used by the VMM's own calls and
 * by script statements alike.
 *
 * @example
 * ```ts
 * import { Kernel } from "../kernel/kernel.ts";
 * import { marshal } from "./marshal.ts";
 * import { KVM_CHECK_EXTENSION } from "../include/uapi/linux/kvm.ts";
 * const k = new Kernel({ name: "h", arch: "arm64", profile: "seed", pageSize: 4096, seed: 1, props: {} });
 * const p = k.spawn("vmm", 0);
 * console.log(marshal(p, KVM_CHECK_EXTENSION, 3n).arg); // 3n
 * ```
 * @module
 */
import {
  decodeStruct,
  encodeStruct,
  type FieldInputRecord,
  readScalar,
  scalarSize,
  type StructValue,
  writeScalar,
} from "../kernel/layout.ts";
import { type Process, STACK_SIZE } from "../kernel/process.ts";
import type { IoctlDef } from "../kernel/uapi.ts";

/** A raw user pointer, passed as the ioctl argument unchanged (to show EFAULT). */
export class UserPtr {
  readonly addr: bigint;
  constructor(addr: bigint) {
    this.addr = addr;
  }
}

/** What a caller may pass. */
export type IoctlInput =
  | bigint
  | number
  | string
  | FieldInputRecord
  | Uint8Array
  | UserPtr
  | undefined;

/** A marshalled argument: the value for the syscall, and how to read the answer. */
export interface Marshalled {
  arg: bigint;
  /** Decode what the kernel left at the pointer (struct or scalar), if any. */
  readBack(): StructValue | bigint | undefined;
  /** Pop the scratch space. */
  release(): void;
}

const sp = new WeakMap<Process, number>();

/**
 * Reserve `len` bytes on a process's stack (stack discipline: release in
 * reverse order). Returns the address.
 *
 * @example
 * ```ts
 * // const a = stackAlloc(proc, 32);
 * ```
 */
export function stackAlloc(p: Process, len: number): { addr: number; release(): void } {
  const top = sp.get(p) ?? p.stackBase + STACK_SIZE;
  const addr = Math.floor((top - len) / 16) * 16;
  if (addr < p.stackBase) throw new RangeError("argument too large for the process stack");
  sp.set(p, addr);
  return { addr, release: () => sp.set(p, top) };
}

/**
 * Marshal an ioctl argument for process `p`.
 *
 * @example
 * ```ts
 * // const m = marshal(proc, VFIO_IOMMU_MAP_DMA, { flags: 3n, vaddr, iova: 0n, size: 0x10000n });
 * ```
 */
export function marshal(p: Process, def: IoctlDef, input: IoctlInput): Marshalled {
  const a = def.arg;
  const none: Marshalled = { arg: 0n, readBack: () => undefined, release: () => {} };
  if (input instanceof UserPtr) return { ...none, arg: input.addr };
  if (typeof input === "bigint" && (a.kind === "struct" || a.kind === "string")) {
    // A raw pointer: the caller manages the memory. (For a pointer to one
    // scalar, an integer is the value to point at.)
    return { arg: input, readBack: () => undefined, release: () => {} };
  }
  switch (a.kind) {
    case "none":
      return { ...none, arg: input === undefined ? 0n : BigInt(input as bigint | number) };
    case "value":
      return { ...none, arg: input === undefined ? 0n : BigInt(input as bigint | number) };
    case "string": {
      const bytes = new TextEncoder().encode(String(input ?? ""));
      const buf = new Uint8Array(bytes.length + 1);
      buf.set(bytes);
      const s = stackAlloc(p, buf.length);
      p.mm.write(s.addr, buf);
      return { arg: BigInt(s.addr), readBack: () => undefined, release: s.release };
    }
    case "ptr": {
      const w = scalarSize(a.type);
      const s = stackAlloc(p, w);
      const b = new Uint8Array(w);
      if (input !== undefined) {
        writeScalar(new DataView(b.buffer), 0, a.type, BigInt(input as bigint | number));
      }
      p.mm.write(s.addr, b);
      return {
        arg: BigInt(s.addr),
        readBack: () => readScalar(new DataView(p.mm.read(s.addr, w).buffer), 0, a.type),
        release: s.release,
      };
    }
    case "struct": {
      const bytes = input instanceof Uint8Array
        ? input
        : encodeStruct(a.struct, (input ?? {}) as FieldInputRecord);
      const s = stackAlloc(p, Math.max(bytes.length, a.struct.size));
      p.mm.write(s.addr, bytes);
      return {
        arg: BigInt(s.addr),
        readBack: () =>
          decodeStruct(a.struct, p.mm.read(s.addr, Math.max(bytes.length, a.struct.size))),
        release: s.release,
      };
    }
  }
}
