/**
 * Builtins of the core: guest memory access (the guest's CPU reading and
 * writing its own RAM through the memslots), byte helpers, closing fds, and
 * the locked-memory limit (setrlimit, capset CAP_IPC_LOCK).
 *
 * @example
 * ```ts
 * import { builtins } from "../runtime/vmm/registry.ts";
 * import "./core_builtins.ts";
 * console.log(builtins.has("memread")); // true
 * ```
 * @module
 */
import { EPERM, errnoName } from "../runtime/include/uapi/asm-generic/errno.ts";
import { Errno } from "../runtime/kernel/errno.ts";
import type { Process } from "../runtime/kernel/process.ts";
import {
  CAP_IPC_LOCK,
  RLIM_INFINITY,
  RLIMIT_MEMLOCK,
  setrlimitMemlock,
} from "../runtime/mm/util.ts";
import type { Kvm } from "../runtime/virt/kvm/kvm_host.ts";
import { kvmReadGuest, kvmWriteGuest } from "../runtime/virt/kvm/kvm_main.ts";
import { registerBuiltin } from "../runtime/vmm/registry.ts";
import { kindOf, Obj, type Value } from "../runtime/vmm/value.ts";
import type { Vmm, VmmGuest } from "../runtime/vmm/vmm.ts";

/** A builtin argument error; the interpreter turns it into a diagnostic. */
export class BuiltinError extends Error {}

function guestOf(vmm: Vmm, v: Value | undefined): Kvm {
  if (v instanceof Obj && (v.kind === "guest" || v.kind === "vcpu")) {
    const g = (v.kind === "guest" ? v.impl : (v.impl as { guest: VmmGuest }).guest) as VmmGuest;
    return vmm.proc.fget(g.vmfd).private_data as Kvm;
  }
  throw new BuiltinError(`expected a guest, got ${v === undefined ? "nothing" : kindOf(v)}`);
}

function int(v: Value | undefined, what: string): bigint {
  if (typeof v === "bigint") return v;
  throw new BuiltinError(
    `${what} must be an integer, got ${v === undefined ? "nothing" : kindOf(v)}`,
  );
}

function guestAccess<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Errno) {
      throw new BuiltinError(`guest access failed (${errnoName(e.errno)}): ${e.message}`);
    }
    throw e;
  }
}

function toBytes(v: Value | undefined): Uint8Array {
  if (v instanceof Uint8Array) return v;
  if (typeof v === "string") return new TextEncoder().encode(v);
  throw new BuiltinError(
    `expected bytes or a string, got ${v === undefined ? "nothing" : kindOf(v)}`,
  );
}

registerBuiltin({
  name: "memwrite",
  doc:
    "memwrite(guest, gpa, bytes): the guest writes bytes to its physical memory (through its memslots).",
  params: ["guest", "gpa", "data"],
  call({ vmm }, args) {
    const kvm = guestOf(vmm, args[0]);
    const data = toBytes(args[2]);
    guestAccess(() => kvmWriteGuest(kvm, Number(int(args[1], "gpa")), data));
    return BigInt(data.length);
  },
});

registerBuiltin({
  name: "memread",
  doc: "memread(guest, gpa, len): bytes the guest reads from its physical memory.",
  params: ["guest", "gpa", "len"],
  call({ vmm }, args) {
    const kvm = guestOf(vmm, args[0]);
    const len = Number(int(args[2], "len"));
    if (len < 0 || len > 1 << 24) throw new BuiltinError("len must be between 0 and 16M");
    return guestAccess(() => kvmReadGuest(kvm, Number(int(args[1], "gpa")), len));
  },
});

registerBuiltin({
  name: "memwrite64",
  doc:
    "memwrite64(guest, gpa, value, be?): store a u64 (little-endian; big-endian when be is true).",
  params: ["guest", "gpa", "value", "be"],
  call({ vmm }, args) {
    const kvm = guestOf(vmm, args[0]);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(
      0,
      BigInt.asUintN(64, int(args[2], "value")),
      args[3] !== true,
    );
    guestAccess(() => kvmWriteGuest(kvm, Number(int(args[1], "gpa")), b));
    return 8n;
  },
});

registerBuiltin({
  name: "memread64",
  doc: "memread64(guest, gpa, be?): load a u64 (little-endian; big-endian when be is true).",
  params: ["guest", "gpa", "be"],
  call({ vmm }, args) {
    const kvm = guestOf(vmm, args[0]);
    const b = guestAccess(() => kvmReadGuest(kvm, Number(int(args[1], "gpa")), 8));
    return new DataView(b.buffer).getBigUint64(0, args[2] !== true);
  },
});

registerBuiltin({
  name: "be64",
  doc: "be64([a, b, …]): bytes of big-endian u64 values (e.g. an H_PUT_TCE_INDIRECT list).",
  params: ["values"],
  call(_ctx, args) {
    const list = Array.isArray(args[0]) ? args[0] : args;
    const out = new Uint8Array(list.length * 8);
    const dv = new DataView(out.buffer);
    list.forEach((v, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, int(v, "value")), false));
    return out;
  },
});

registerBuiltin({
  name: "len",
  doc: "len(bytes | list | string): its length.",
  params: ["value"],
  call(_ctx, args) {
    const v = args[0];
    if (v instanceof Uint8Array || Array.isArray(v) || typeof v === "string") {
      return BigInt(v.length);
    }
    throw new BuiltinError(`len() of ${v === undefined ? "nothing" : kindOf(v)}`);
  },
});

registerBuiltin({
  name: "bytes",
  doc: "bytes(n, fill?): n bytes of `fill` (default 0).",
  params: ["n", "fill"],
  call(_ctx, args) {
    const n = Number(int(args[0], "n"));
    if (n < 0 || n > 1 << 24) throw new BuiltinError("n must be between 0 and 16M");
    return new Uint8Array(n).fill(args[1] === undefined ? 0 : Number(int(args[1], "fill")) & 0xff);
  },
});

registerBuiltin({
  name: "close",
  doc: "close(fd) in the VMM, or close(process, fd): the close(2) syscall; returns 0 or -errno.",
  params: ["fd", "process"],
  call({ vmm, kernel }, args) {
    let proc: Process = vmm.proc;
    let fdv = args[0];
    if (args[0] instanceof Obj && args[0].kind === "process") {
      proc = args[0].impl as Process;
      fdv = args[1];
    }
    return BigInt(kernel.close(proc, Number(int(fdv, "fd"))));
  },
});

registerBuiltin({
  name: "mmap",
  doc:
    "mmap(len) in the VMM, or mmap(process, len): anonymous read/write memory (the mmap(2) syscall); returns the address.",
  params: ["len", "process"],
  call({ vmm, kernel }, args) {
    let proc: Process = vmm.proc;
    let lenv = args[0];
    if (args[0] instanceof Obj && args[0].kind === "process") {
      proc = args[0].impl as Process;
      lenv = args[1];
    }
    const r = kernel.mmap(proc, 0, Number(int(lenv, "len")), 3, 0x22, -1, 0);
    if (r < 0) throw new BuiltinError(`mmap failed: -${errnoName(r)}`);
    return BigInt(r);
  },
});

function procArgs(vmm: Vmm, args: Value[]): [Process, Value[]] {
  return args[0] instanceof Obj && args[0].kind === "process"
    ? [args[0].impl as Process, args.slice(1)]
    : [vmm.proc, args];
}

function userAccess<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Errno) {
      throw new BuiltinError(`user memory access failed (-${errnoName(e.errno)})`);
    }
    throw e;
  }
}

registerBuiltin({
  name: "user_write",
  doc:
    "user_write([process,] addr, bytes): the process stores bytes in its own memory (e.g. a value KVM_SET_ONE_REG reads through `addr`).",
  params: ["addr", "data"],
  call({ vmm }, args) {
    const [p, a] = procArgs(vmm, args);
    const data = toBytes(a[1]);
    userAccess(() => p.mm.write(Number(int(a[0], "addr")), data));
    return BigInt(data.length);
  },
});

registerBuiltin({
  name: "user_read",
  doc: "user_read([process,] addr, len): bytes from the process's own memory.",
  params: ["addr", "len"],
  call({ vmm }, args) {
    const [p, a] = procArgs(vmm, args);
    const len = Number(int(a[1], "len"));
    if (len < 0 || len > 1 << 24) throw new BuiltinError("len must be between 0 and 16M");
    return userAccess(() => p.mm.read(Number(int(a[0], "addr")), len));
  },
});

registerBuiltin({
  name: "user_write64",
  doc: "user_write64([process,] addr, value): store a little-endian u64 in the process's memory.",
  params: ["addr", "value"],
  call({ vmm }, args) {
    const [p, a] = procArgs(vmm, args);
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, int(a[1], "value")), true);
    userAccess(() => p.mm.write(Number(int(a[0], "addr")), b));
    return 8n;
  },
});

registerBuiltin({
  name: "user_read64",
  doc: "user_read64([process,] addr): load a little-endian u64 from the process's memory.",
  params: ["addr"],
  call({ vmm }, args) {
    const [p, a] = procArgs(vmm, args);
    const b = userAccess(() => p.mm.read(Number(int(a[0], "addr")), 8));
    return new DataView(b.buffer).getBigUint64(0, true);
  },
});

registerBuiltin({
  name: "setrlimit",
  doc:
    'setrlimit([process,] "RLIMIT_MEMLOCK", cur, max?): setrlimit(2) of the locked-memory limit in bytes (max defaults to cur; RLIM_INFINITY or "unlimited"); returns 0, -EINVAL (cur > max) or -EPERM (raising max without CAP_SYS_RESOURCE).',
  params: ["resource", "cur", "max"],
  call({ vmm, kernel }, args) {
    const [p, a] = procArgs(vmm, args);
    if (a[0] !== "RLIMIT_MEMLOCK" && a[0] !== BigInt(RLIMIT_MEMLOCK)) {
      throw new BuiltinError('only "RLIMIT_MEMLOCK" is simulated');
    }
    const lim = (v: Value | undefined, what: string): bigint =>
      v === "unlimited" || v === "RLIM_INFINITY" ? RLIM_INFINITY : BigInt.asUintN(64, int(v, what));
    const cur = lim(a[1], "cur");
    const max = a[2] === undefined ? cur : lim(a[2], "max");
    return BigInt(setrlimitMemlock(p, kernel.config.profile, cur, max));
  },
});

registerBuiltin({
  name: "capset",
  doc:
    'capset([process,] "CAP_IPC_LOCK", on): give or drop the capability (only root may raise it); returns 0 or -EPERM.',
  params: ["cap", "on"],
  call({ vmm }, args) {
    const [p, a] = procArgs(vmm, args);
    if (a[0] !== "CAP_IPC_LOCK") throw new BuiltinError('only "CAP_IPC_LOCK" is simulated');
    const on = a[1] === true || a[1] === 1n;
    if (!on) p.caps.delete(CAP_IPC_LOCK);
    else if (p.uid === 0) p.caps.add(CAP_IPC_LOCK);
    else return BigInt(-EPERM);
    return 0n;
  },
});
