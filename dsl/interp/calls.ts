/**
 * The calls a script makes: ioctl (the argument marshalled into the calling
 * process's memory, dispatched through the kernel), hcall (the guest vCPU
 * executing the hypercall), open, and builtin functions.
 *
 * @example
 * ```ts
 * import { evalIoctl } from "./calls.ts";
 * console.log(typeof evalIoctl); // "function"
 * ```
 * @module
 */
import type { Args, Expr, FieldInit, HcallExpr, IoctlExpr, Span, Target } from "../ast.ts";
import { suggest } from "../suggest.ts";
import { RuntimeError } from "./errors.ts";
import {
  type CallHandlers,
  type CallOutcome,
  type Evaluator,
  ioctlRetText,
  scopeNames,
  structToRec,
  toFieldInput,
} from "./eval.ts";
import { constantValue } from "../../stdlib/vocabulary.ts";
import { BuiltinError } from "../../stdlib/core_builtins.ts";
import { hcallName } from "../../runtime/arch/powerpc/include/asm/hvcall.ts";
import { kvmppcGuestHcall } from "../../runtime/arch/powerpc/kvm/book3s_hv.ts";
import { Errno } from "../../runtime/kernel/errno.ts";
import type { Kernel } from "../../runtime/kernel/kernel.ts";
import { SYSCALL_UNFINISHED } from "../../runtime/kernel/kernel.ts";
import type { FieldInputRecord, StructDef, StructValue } from "../../runtime/kernel/layout.ts";
import type { Process } from "../../runtime/kernel/process.ts";
import type { HcallDef, IoctlDef } from "../../runtime/kernel/uapi.ts";
import { ioctlNumber } from "../../runtime/kernel/uapi.ts";
import { uapi } from "../../runtime/kernel/uapi_registry.ts";
import { KVM_RUN } from "../../runtime/include/uapi/linux/kvm.ts";
import type { KvmVcpu } from "../../runtime/virt/kvm/kvm_host.ts";
import { kvmVcpuKick } from "../../runtime/virt/kvm/kvm_main.ts";
import { marshal } from "../../runtime/vmm/marshal.ts";
import { builtins } from "../../runtime/vmm/registry.ts";
import { hex, kindOf, Obj, Rec, type Value } from "../../runtime/vmm/value.ts";
import type { VmmVcpu } from "../../runtime/vmm/vmm.ts";

/** Evaluate struct-literal fields against a struct layout (flags scoped per field). */
export function structInput(
  ev: Evaluator,
  def: StructDef,
  fields: readonly FieldInit[],
  span: Span,
): FieldInputRecord {
  const out: FieldInputRecord = {};
  const names = [...def.fields.map((f) => f.name), ...(def.tail ? [def.tail.name] : [])];
  for (const fi of fields) {
    const fd = def.fields.find((f) => f.name === fi.name.text);
    if (!fd && def.tail?.name !== fi.name.text) {
      const s = suggest(fi.name.text, names);
      throw new RuntimeError(
        "VT0204",
        `struct ${def.name} has no field \`${fi.name.text}\``,
        fi.name.span,
        {
          help: s.length ? `did you mean \`${s[0]}\`?` : `its fields are: ${names.join(", ")}`,
        },
      );
    }
    const v = ev.withScope(
      fd?.flags ?? fd?.enum,
      () => fieldValue(ev, fi.value, fd ? undefined : def.tail?.elem),
    );
    out[fi.name.text] = toFieldInput(v, fi.value.span);
  }
  void span;
  return out;
}

function fieldValue(ev: Evaluator, e: Expr, tailElem: StructDef | string | undefined): Value {
  if (e.kind === "List" && tailElem && typeof tailElem !== "string") {
    return e.items.map((it) =>
      it.kind === "Struct"
        ? new Rec(structInput(ev, tailElem, it.fields, it.span) as never)
        : ev.eval(it)
    );
  }
  return ev.eval(e);
}

function argsToInput(
  ev: Evaluator,
  def: IoctlDef,
  args: Args,
): bigint | string | FieldInputRecord | Uint8Array | undefined {
  const a = def.arg;
  if (a.kind === "struct") {
    const pos = args.positional[0];
    if (pos && pos.kind === "Struct") return structInput(ev, a.struct, pos.fields, pos.span);
    if (pos) {
      const v = ev.eval(pos);
      if (v instanceof Rec) return toFieldInput(v, pos.span) as FieldInputRecord;
      if (v instanceof Uint8Array) return v;
      return ev.int(v, pos.span);
    }
    return structInput(ev, a.struct, args.named, args.span);
  }
  if (args.named.length) {
    const n = args.named[0]!;
    if (
      args.named.length > 1 || (a.kind !== "value" && a.kind !== "ptr") ||
      (a.name && n.name.text !== a.name)
    ) {
      throw new RuntimeError("VT0204", `${def.name} takes ${describeArg(def)}`, n.name.span);
    }
  }
  const e = args.positional[0] ?? args.named[0]?.value;
  if (!e) return undefined;
  const set = a.kind === "value" || a.kind === "ptr" ? a.flags ?? a.enum : undefined;
  const v = ev.withScope(set, () => ev.eval(e));
  if (a.kind === "string") {
    if (typeof v !== "string") {
      throw new RuntimeError("VT0204", `${def.name} takes a string, found ${kindOf(v)}`, e.span);
    }
    return v;
  }
  return ev.int(v, e.span);
}

/** Resolve an ioctl target to (process, fd). */
export function resolveTarget(
  ev: Evaluator,
  t: Target,
): { proc: Process; fd: number; vcpu?: VmmVcpu } {
  const vmm = ev.env.vmm(t.span);
  if (t.kind === "ProcPath" || t.kind === "ProcFd") {
    const po = vmm.objects.get(t.process.text);
    if (!(po instanceof Obj) || po.kind !== "process") {
      throw new RuntimeError("VT0208", `\`${t.process.text}\` is not a process`, t.process.span, {
        help: "the VMM process is `vmm`; declare others with `process NAME { uid 1000 }`",
      });
    }
    const proc = po.impl as Process;
    if (t.kind === "ProcFd") {
      const fv = ev.eval(t.fd);
      if (fv instanceof Obj && t.fd.kind === "Ref") {
        // `vmm:c0`: a declared object is a target by itself.
        throw new RuntimeError(
          "VT0208",
          `${kindOf(fv)} is not an fd number`,
          t.fd.span,
          {
            help: `a declared object is a target by itself: \`ioctl ${
              t.fd.parts.map((p) => p.text).join(".")
            } …\``,
          },
        );
      }
      return { proc, fd: Number(ev.int(fv, t.fd.span)) };
    }
    const fd = proc.fdByPath(t.path.value);
    if (fd === undefined) {
      throw new RuntimeError(
        "VT0208",
        `${proc.comm} has no fd open on ${t.path.value}`,
        t.path.span,
        {
          help: `open it first: \`let fd = open ${t.process.text} ${t.path.value}\``,
        },
      );
    }
    return { proc, fd };
  }
  const v = ev.ref(t.ref);
  if (typeof v === "bigint") return { proc: vmm.proc, fd: Number(v) };
  if (v instanceof Obj) {
    const impl = v.impl as { fd?: number; vmfd?: number };
    const fd = impl.fd ?? impl.vmfd;
    if (typeof fd === "number") {
      return { proc: vmm.proc, fd, ...(v.kind === "vcpu" ? { vcpu: v.impl as VmmVcpu } : {}) };
    }
  }
  throw new RuntimeError("VT0208", `cannot issue an ioctl on ${kindOf(v)}`, t.span, {
    help: "a target is a declared object (vm1, vm1.cpu0, c0…), PROC:/dev/path or PROC:fd",
  });
}

/** Evaluate `ioctl TARGET NAME(args)`. */
export function evalIoctl(ev: Evaluator, e: IoctlExpr): CallOutcome {
  const def = uapi.ioctls.get(e.name.text);
  if (!def) {
    const s = suggest(e.name.text, [...uapi.ioctls.keys()]);
    throw new RuntimeError("VT0205", `unknown ioctl \`${e.name.text}\``, e.name.span, {
      ...(s.length ? { help: `did you mean \`${s[0]}\`?` } : {}),
    });
  }
  const vmm = ev.env.vmm(e.span);
  const k: Kernel = vmm.kernel;
  const { proc, fd, vcpu } = resolveTarget(ev, e.target);
  const input = argsToInput(ev, def, e.args);
  // A vCPU the VMM runs: KVM_RUN from the script would block on vcpu->mutex;
  // any other vCPU ioctl is done the way QEMU does it: kick the vCPU out of
  // the guest, run the ioctl, let the thread re-enter.
  let kicked: KvmVcpu | undefined;
  if (vcpu) {
    const kv = vmm.kvmVcpu(vcpu);
    if (def === KVM_RUN) {
      if (kv.inGuest) {
        throw new RuntimeError(
          "VT0201",
          `${kv.label} is already in KVM_RUN in the VMM's vCPU thread`,
          e.span,
          {
            help:
              "a second KVM_RUN would wait on vcpu->mutex; guest actions (hcall, memwrite…) run it",
          },
        );
      }
      const r = vmm.runVcpu(vcpu, KVM_RUN);
      const ret = r === SYSCALL_UNFINISHED ? 0n : BigInt(r);
      return {
        kind: "ioctl",
        ret,
        value: ret,
        retText: r === SYSCALL_UNFINISHED ? "0 (the vCPU is now in the guest)" : ioctlRetText(ret),
        echo: () => "",
      };
    }
    if (kv.inGuest && kvmVcpuKick(kv)) kicked = kv;
  }
  let ret: number;
  let out: StructValue | bigint | undefined;
  try {
    const m = marshal(proc, def, input);
    try {
      ret = k.ioctl(proc, fd, ioctlNumber(def, k.arch), m.arg);
      out = ret >= 0 ? m.readBack() : undefined;
    } finally {
      m.release();
    }
  } catch (err) {
    if (err instanceof TypeError || err instanceof RangeError) {
      throw new RuntimeError("VT0204", err.message, e.args.span);
    }
    throw err;
  } finally {
    if (kicked && vcpu) vmm.runVcpu(vcpu, KVM_RUN);
  }
  const r = BigInt(ret);
  let value: Value = r;
  if (
    out !== undefined && def.arg.kind !== "none" && def.arg.kind !== "value" &&
    def.arg.kind !== "string"
  ) {
    if (def.arg.kind === "struct" && def.arg.io !== "in") {
      value = structToRec(out as StructValue, def.arg.struct);
    } else if (def.arg.kind === "ptr" && def.arg.io !== "in") value = out as bigint;
  }
  return { kind: "ioctl", ret: r, value, retText: ioctlRetText(r), echo: () => "" };
}

/** An hcall statement's definition and, per argument expression, its register index. */
interface HcallPlan {
  def: HcallDef;
  exprs: Expr[];
  slots: number[];
  /** The short flag names in scope for each expression (its argument's flags). */
  names: (Map<string, bigint> | undefined)[];
}
// Resolved once per AST node: a `for` loop issues the same hcall expression
// thousands of times.
const HCALL_PLANS = new WeakMap<HcallExpr, HcallPlan>();

function hcallPlan(e: HcallExpr): HcallPlan {
  const cached = HCALL_PLANS.get(e);
  if (cached) return cached;
  const def: HcallDef | undefined = uapi.hcalls.get(e.name.text);
  if (!def) {
    const s = suggest(e.name.text, [...uapi.hcalls.keys()]);
    throw new RuntimeError("VT0205", `unknown hypercall \`${e.name.text}\``, e.name.span, {
      ...(s.length ? { help: `did you mean \`${s[0]}\`?` } : {}),
    });
  }
  const exprs: Expr[] = [], slots: number[] = [];
  e.args.positional.forEach((p, i) => {
    if (i >= def.args.length) {
      throw new RuntimeError("VT0204", `${def.name} takes ${def.args.length} arguments`, p.span);
    }
    exprs.push(p);
    slots.push(i);
  });
  for (const n of e.args.named) {
    const i = def.args.findIndex((a) => a.name === n.name.text);
    if (i < 0) {
      const s = suggest(n.name.text, def.args.map((a) => a.name));
      throw new RuntimeError(
        "VT0204",
        `${def.name} has no argument \`${n.name.text}\``,
        n.name.span,
        {
          help: s.length
            ? `did you mean \`${s[0]}\`?`
            : `arguments: ${def.args.map((a) => a.name).join(", ")}`,
        },
      );
    }
    exprs.push(n.value);
    slots.push(i);
  }
  const names = slots.map((i) => {
    const f = def.args[i]!.flags;
    return f ? scopeNames(f) : undefined;
  });
  const plan = { def, exprs, slots, names };
  HCALL_PLANS.set(e, plan);
  return plan;
}

/** Evaluate `hcall VCPU NAME(args)`: the guest executes the hypercall. */
export function evalHcall(ev: Evaluator, e: HcallExpr): CallOutcome {
  const { def, exprs, slots, names } = hcallPlan(e);
  const vmm = ev.env.vmm(e.span);
  const v = ev.ref(e.vcpu);
  if (!(v instanceof Obj) || v.kind !== "vcpu") {
    throw new RuntimeError(
      "VT0208",
      `hcall needs a vCPU (like vm1.cpu0), found ${kindOf(v)}`,
      e.vcpu.span,
    );
  }
  if (vmm.kernel.arch !== "ppc64le") {
    throw new RuntimeError(
      "VT0208",
      `${def.name} is a PAPR hypercall; this host is ${vmm.kernel.arch}`,
      e.span,
      {
        help: "declare `host { arch ppc64le }`",
      },
    );
  }
  const n = def.args.length;
  const args: bigint[] = new Array(n);
  for (let i = 0; i < n; i++) args[i] = 0n;
  for (let j = 0; j < exprs.length; j++) {
    const i = slots[j]!;
    args[i] = ev.intIn(names[j], exprs[j]!);
  }
  const kv = vmm.kvmVcpu(v.impl as VmmVcpu);
  const regs = new Array<bigint>(args.length);
  for (let i = 0; i < args.length; i++) regs[i] = BigInt.asUintN(64, args[i]!);
  let out;
  try {
    out = kvmppcGuestHcall(kv, def.nr, regs);
  } catch (err) {
    if (err instanceof Errno) {
      throw new RuntimeError(
        "VT0201",
        `${kv.label} cannot make a hypercall: ${err.message}`,
        e.vcpu.span,
        {
          help: "the VMM starts vCPUs in KVM_RUN when the guest is declared (unless `start false`)",
        },
      );
    }
    throw err;
  }
  const ret = BigInt.asIntN(64, out.ret);
  // The echo line is built only when someone reads it (REPL, trace): hot
  // loops of hcalls must not pay for formatting.
  const echo = (): string => {
    const argText = def.args.map((a, i) => `${a.name}=${hex(args[i]!)}`).join(", ");
    const rets = (def.rets ?? []).map((n, i) => `${n}=${hex(out.rets[i] ?? 0n)}`);
    const where = out.where === "kernel" ? "handled in KVM" : "exit to VMM: KVM_EXIT_PAPR_HCALL";
    return `${kv.label}: ${def.name}(${argText}) = ${hcallName(ret)}${
      rets.length ? `, ${rets.join(", ")}` : ""
    }  (${where})`;
  };
  // Traced: the trace already shows the call; the echo is just the answer (as for ioctl).
  const traced = vmm.kernel.trace.enabled;
  if (traced) vmm.kernel.trace.emit(echo());
  const value: Value = def.rets?.length === 1 ? out.rets[0] ?? 0n : ret;
  return {
    kind: "hcall",
    ret,
    value,
    retText: hcallName(ret),
    echo: traced ? () => `= ${hcallName(ret)}` : echo,
  };
}

/** Evaluate `open PROC PATH`. */
export function evalOpen(
  ev: Evaluator,
  procName: string,
  path: string,
  pspan: Span,
  span: Span,
): Value {
  const vmm = ev.env.vmm(span);
  const po = vmm.objects.get(procName);
  if (!(po instanceof Obj) || po.kind !== "process") {
    throw new RuntimeError("VT0208", `\`${procName}\` is not a process`, pspan);
  }
  const r = vmm.kernel.open(po.impl as Process, path);
  if (r < 0) {
    throw new RuntimeError("VT0201", `open("${path}") = ${ioctlRetText(BigInt(r))}`, span, {
      help: `device nodes now: ${[...vmm.kernel.devices.keys()].sort().join(", ")}`,
    });
  }
  return BigInt(r);
}

/** Evaluate a builtin call. */
export function evalCall(
  ev: Evaluator,
  name: string,
  args: Args,
  span: Span,
  nameSpan: Span,
): Value {
  const b = builtins.get(name);
  if (!b) {
    const s = suggest(name, [...builtins.keys()]);
    throw new RuntimeError("VT0205", `unknown function \`${name}\``, nameSpan, {
      ...(s.length ? { help: `did you mean \`${s[0]}\`?` } : {}),
    });
  }
  const flags = (p: string): Map<string, bigint> | undefined => {
    const names = b.fieldFlags?.[p] ?? b.fieldFlags?.["*"];
    if (!names) return undefined;
    const m = new Map<string, bigint>();
    for (const n of names) {
      const c = constantValue(n) ?? [...uapi.constants].find(([k]) => k.endsWith(`_${n}`))?.[1];
      if (typeof c === "bigint") m.set(n, c);
    }
    return m;
  };
  const evalIn = (p: string | undefined, e: Expr): Value => {
    const m = p ? flags(p) : undefined;
    return m ? ev.withNames(m, () => ev.eval(e)) : ev.eval(e);
  };
  const pos = args.positional.map((e, i) => evalIn(b.params[i], e));
  const named = new Map<string, Value>();
  for (const n of args.named) {
    if (!b.params.includes(n.name.text)) {
      const s = suggest(n.name.text, [...b.params]);
      throw new RuntimeError(
        "VT0204",
        `${name}() has no parameter \`${n.name.text}\``,
        n.name.span,
        {
          help: s.length
            ? `did you mean \`${s[0]}\`?`
            : `parameters: ${b.params.join(", ") || "none"}`,
        },
      );
    }
    named.set(n.name.text, evalIn(n.name.text, n.value));
    const i = b.params.indexOf(n.name.text);
    while (pos.length < i) pos.push(undefined as unknown as Value);
    pos[i] = named.get(n.name.text)!;
  }
  const vmm = ev.env.vmm(span);
  try {
    return b.call({ vmm, kernel: vmm.kernel, print: (l) => ev.env.print(l) }, pos, named);
  } catch (err) {
    if (err instanceof RuntimeError) throw err;
    if (err instanceof BuiltinError || err instanceof TypeError || err instanceof RangeError) {
      const msg = (err as Error).message;
      throw new RuntimeError(
        msg.startsWith("IOMMU fault") ? "VT0210" : "VT0201",
        `${name}(): ${msg}`,
        span,
      );
    }
    if (err instanceof Errno) throw new RuntimeError("VT0201", `${name}(): ${err.message}`, span);
    if (err instanceof Error && err.constructor.name !== "Error") throw err;
    if (err instanceof Error) {
      throw new RuntimeError(
        err.message.startsWith("IOMMU fault") ? "VT0210" : "VT0201",
        `${name}(): ${err.message}`,
        span,
      );
    }
    throw err;
  }
}

function describeArg(def: IoctlDef): string {
  const a = def.arg;
  switch (a.kind) {
    case "none":
      return "no argument";
    case "value":
      return `one integer${a.name ? ` (${a.name})` : ""}`;
    case "ptr":
      return `one ${a.type}${a.name ? ` (${a.name})` : ""}`;
    case "string":
      return "a string";
    case "struct":
      return `struct ${a.struct.name}`;
  }
}

/** The call handlers an Evaluator uses. */
export const CALLS: CallHandlers = {
  ioctl: evalIoctl,
  hcall: evalHcall,
  open: evalOpen,
  call: evalCall,
};
