/**
 * Script builtins for eventfds: `eventfd(proc?)` makes one (eventfd2),
 * `eventfd_write(fd, n, proc?)` and `eventfd_read(fd, proc?)` are the real
 * write(2)/read(2) of 8 bytes — a write to a vring's kick eventfd reaches
 * the vhost device through its poll waiter.
 *
 * @example
 * ```ts
 * import { builtins } from "./registry.ts";
 * import "./eventfd_builtins.ts";
 * console.log(builtins.has("eventfd_write")); // true
 * ```
 * @module
 */
import { EFD_CLOEXEC, sysEventfd2 } from "../fs/eventfd.ts";
import type { Process } from "../kernel/process.ts";
import { stackAlloc } from "./marshal.ts";
import { registerBuiltin } from "./registry.ts";
import { kindOf, Obj, type Value } from "./value.ts";
import type { Vmm } from "./vmm.ts";

function procOf(vmm: Vmm, v: Value | undefined): Process {
  if (v instanceof Obj && v.kind === "process") return v.impl as Process;
  return vmm.proc;
}

function int(v: Value | undefined, what: string): bigint {
  if (typeof v === "bigint") return v;
  throw new TypeError(`${what} must be an integer, got ${v === undefined ? "nothing" : kindOf(v)}`);
}

registerBuiltin({
  name: "eventfd",
  doc:
    "eventfd(process?): eventfd2(0, EFD_CLOEXEC) in the VMM (or the process); returns the fd or -errno.",
  params: ["process"],
  source: "fs/eventfd.c",
  call: ({ vmm, kernel }, args) =>
    BigInt(sysEventfd2(kernel, procOf(vmm, args[0]), 0, EFD_CLOEXEC)),
});

registerBuiltin({
  name: "eventfd_write",
  doc:
    "eventfd_write(fd, n, process?): write(2) the u64 n to an eventfd (a kick when it is a vring's kick fd); returns 8 or -errno.",
  params: ["fd", "n", "process"],
  source: "fs/eventfd.c eventfd_write",
  call({ vmm, kernel }, args) {
    const p = procOf(vmm, args[2]);
    const s = stackAlloc(p, 8);
    try {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, int(args[1] ?? 1n, "n")), true);
      p.mm.write(s.addr, b);
      return BigInt(kernel.write(p, Number(int(args[0], "fd")), s.addr, 8));
    } finally {
      s.release();
    }
  },
});

registerBuiltin({
  name: "eventfd_read",
  doc:
    "eventfd_read(fd, process?): read(2) an eventfd's counter (and clear it); -EAGAIN when zero (the VMM's fds are non-blocking here).",
  params: ["fd", "process"],
  source: "fs/eventfd.c eventfd_read",
  call({ vmm, kernel }, args) {
    const p = procOf(vmm, args[1]);
    const s = stackAlloc(p, 8);
    try {
      const r = kernel.read(p, Number(int(args[0], "fd")), s.addr, 8);
      if (r < 0) return BigInt(r);
      return new DataView(p.mm.read(s.addr, 8).buffer).getBigUint64(0, true);
    } finally {
      s.release();
    }
  },
});
