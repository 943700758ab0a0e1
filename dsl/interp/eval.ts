/**
 * Expression evaluation: exact 64-bit integer arithmetic on bigint, names
 * resolved as variables, declared objects, field-scoped flag names and global
 * constants; ioctl, hcall, open and builtin calls go through the same kernel
 * dispatch as everything else.
 *
 * @example
 * ```ts
 * import { fitsU64 } from "./eval.ts";
 * console.log(fitsU64(1n << 64n)); // false
 * ```
 * @module
 */
import type { Args, Expr, FieldInit, HcallExpr, IoctlExpr, Ref, Span, Target } from "../ast.ts";
import { suggest } from "../suggest.ts";
import { RuntimeError } from "./errors.ts";
import { constantValue, shortNames } from "../../stdlib/vocabulary.ts";
import { BuiltinError } from "../../stdlib/core_builtins.ts";
import { errnoName, strerror } from "../../runtime/include/uapi/asm-generic/errno.ts";
import { hcallName } from "../../runtime/arch/powerpc/include/asm/hvcall.ts";
import { kvmppcGuestHcall } from "../../runtime/arch/powerpc/kvm/book3s_hv.ts";
import { Errno } from "../../runtime/kernel/errno.ts";
import type { Kernel } from "../../runtime/kernel/kernel.ts";
import { SYSCALL_UNFINISHED } from "../../runtime/kernel/kernel.ts";
import type {
  EnumSet,
  FieldInputRecord,
  FlagSet,
  StructDef,
  StructValue,
} from "../../runtime/kernel/layout.ts";
import type { Process } from "../../runtime/kernel/process.ts";
import type { HcallDef, IoctlDef } from "../../runtime/kernel/uapi.ts";
import { ioctlNumber } from "../../runtime/kernel/uapi.ts";
import { uapi } from "../../runtime/kernel/uapi_registry.ts";
import { KVM_RUN } from "../../runtime/include/uapi/linux/kvm.ts";
import type { KvmVcpu } from "../../runtime/virt/kvm/kvm_host.ts";
import { kvmVcpuKick } from "../../runtime/virt/kvm/kvm_main.ts";
import { marshal } from "../../runtime/vmm/marshal.ts";
import { builtins } from "../../runtime/vmm/registry.ts";
import { hex, kindOf, Obj, Rec, type Value, valuesEqual } from "../../runtime/vmm/value.ts";
import type { Vmm, VmmVcpu } from "../../runtime/vmm/vmm.ts";

/** What the evaluator needs from its session. */
export interface Env {
  vmm(span: Span | undefined): Vmm;
  vars: Map<string, Value>;
  print(line: string): void;
  echo: boolean;
}

/** The outcome of an ioctl or hcall: the raw return and the expression's value. */
export interface CallOutcome {
  kind: "ioctl" | "hcall";
  ret: bigint;
  value: Value;
  /** How to print the return (errno or hcall names). */
  retText: string;
  /** A one-line echo of the call for the transcript. */
  echo: string;
}

const U64_MAX = (1n << 64n) - 1n;
const S64_MIN = -(1n << 63n);

/**
 * Whether a value fits the language's 64-bit range [-2^63, 2^64).
 *
 * @example
 * ```ts
 * console.log(fitsU64(-1n)); // true
 * ```
 */
export function fitsU64(v: bigint): boolean {
  return v >= S64_MIN && v <= U64_MAX;
}

/**
 * Text of an ioctl return value: `0`, `4`, `-EBUSY (Device or resource busy)`.
 *
 * @example
 * ```ts
 * console.log(ioctlRetText(-16n)); // "-EBUSY (Device or resource busy)"
 * ```
 */
export function ioctlRetText(r: bigint): string {
  return r < 0n ? `-${errnoName(Number(r))} (${strerror(Number(r))})` : r.toString();
}

/** Evaluates expressions against a session. */
export class Evaluator {
  readonly env: Env;
  /** Short flag names visible while evaluating a field (`flags: READ | WRITE`). */
  #scope: Map<string, bigint> | undefined;
  /** The outcome of the last ioctl/hcall evaluated (for `=> RESULT`). */
  last: CallOutcome | undefined;

  constructor(env: Env) {
    this.env = env;
  }

  /** Evaluate one expression. */
  eval(e: Expr): Value {
    switch (e.kind) {
      case "Int":
        return e.value;
      case "Duration":
        return e.ns;
      case "String":
        return e.value;
      case "Bytes":
      case "Mac":
        return e.value;
      case "Bdf":
        return e.value;
      case "Path":
        return e.value;
      case "Ref":
        return this.ref(e);
      case "Unary":
        return this.unary(e.op, this.eval(e.operand), e.span);
      case "Binary":
        return this.binary(e);
      case "Struct":
        return new Rec(Object.fromEntries(e.fields.map((f) => [f.name.text, this.eval(f.value)])));
      case "List":
        return e.items.map((i) => this.eval(i));
      case "Range": {
        const a = this.int(this.eval(e.from), e.from.span),
          b = this.int(this.eval(e.to), e.to.span);
        if (b - a > 1_000_000n) {
          throw new RuntimeError("VT0211", "range too long (over 1,000,000 values)", e.span);
        }
        const out: bigint[] = [];
        for (let i = a; i < b; i++) out.push(i);
        return out;
      }
      case "Call":
        return this.call(e.callee.text, e.args, e.span, e.callee.span);
      case "Ioctl": {
        const o = this.ioctl(e);
        this.last = o;
        return o.value;
      }
      case "Hcall": {
        const o = this.hcall(e);
        this.last = o;
        return o.value;
      }
      case "Open":
        return this.open(e.process.text, e.path.value, e.process.span, e.span);
    }
  }

  /** Evaluate to an integer (booleans count as 0/1). */
  int(v: Value, span: Span | undefined): bigint {
    if (typeof v === "bigint") return v;
    if (typeof v === "boolean") return v ? 1n : 0n;
    throw new RuntimeError("VT0204", `expected an integer, found ${kindOf(v)}`, span);
  }

  #checked(v: bigint, span: Span): bigint {
    if (!fitsU64(v)) {
      throw new RuntimeError("VT0211", `result ${hex(v)} does not fit in 64 bits`, span, {
        help: "values range from -2^63 to 2^64-1",
      });
    }
    return v;
  }

  unary(op: string, v: Value, span: Span): Value {
    if (op === "!") return !truthy(v);
    const x = this.int(v, span);
    if (op === "-") return this.#checked(-x, span);
    return BigInt.asUintN(64, ~x);
  }

  binary(e: Extract<Expr, { kind: "Binary" }>): Value {
    if (e.op === "&&") return truthy(this.eval(e.left)) && truthy(this.eval(e.right));
    if (e.op === "||") return truthy(this.eval(e.left)) || truthy(this.eval(e.right));
    const l = this.eval(e.left), r = this.eval(e.right);
    if (e.op === "==") return valuesEqual(l, r);
    if (e.op === "!=") return !valuesEqual(l, r);
    const a = this.int(l, e.left.span), b = this.int(r, e.right.span);
    switch (e.op) {
      case "<":
        return a < b;
      case "<=":
        return a <= b;
      case ">":
        return a > b;
      case ">=":
        return a >= b;
      case "|":
        return BigInt.asUintN(64, a) | BigInt.asUintN(64, b);
      case "&":
        return BigInt.asUintN(64, a) & BigInt.asUintN(64, b);
      case "^":
        return BigInt.asUintN(64, a) ^ BigInt.asUintN(64, b);
      case "<<":
        if (b < 0n || b > 63n) {
          throw new RuntimeError("VT0211", `shift by ${b} (must be 0..63)`, e.right.span);
        }
        return this.#checked(a << b, e.span);
      case ">>":
        if (b < 0n || b > 63n) {
          throw new RuntimeError("VT0211", `shift by ${b} (must be 0..63)`, e.right.span);
        }
        return a >> b;
      case "+":
        return this.#checked(a + b, e.span);
      case "-":
        return this.#checked(a - b, e.span);
      case "*":
        return this.#checked(a * b, e.span);
    }
    throw new RuntimeError("VT0207", `operator ${e.op}`, e.span);
  }

  /** Resolve a (dotted) name. */
  ref(e: Ref): Value {
    const parts = e.parts.map((p) => p.text);
    const first = parts[0]!;
    let v: Value | undefined;
    let used = 1;
    if (this.#scope?.has(first)) v = this.#scope.get(first);
    else if (this.env.vars.has(first)) v = this.env.vars.get(first);
    else {
      const objs = this.env.vmm(e.span).objects;
      for (let n = parts.length; n >= 1 && v === undefined; n--) {
        const o = objs.get(parts.slice(0, n).join("."));
        if (o) {
          v = o;
          used = n;
        }
      }
      if (v === undefined) {
        const c = constantValue(first);
        if (c !== undefined) v = c;
      }
    }
    if (v === undefined) {
      const cands = [
        ...this.env.vars.keys(),
        ...this.env.vmm(e.span).objects.keys(),
        ...(this.#scope?.keys() ?? []),
      ];
      const s = suggest(first, cands);
      throw new RuntimeError("VT0205", `unknown name \`${first}\``, e.parts[0]!.span, {
        ...(s.length ? { help: `did you mean \`${s[0]}\`?` } : {}),
      });
    }
    for (let i = used; i < parts.length; i++) {
      const f = parts[i]!;
      if (v instanceof Rec && f in v.fields) v = v.fields[f]!;
      else {
        const fields = v instanceof Rec ? Object.keys(v.fields) : [];
        const s = suggest(f, fields);
        throw new RuntimeError("VT0205", `${kindOf(v!)} has no field \`${f}\``, e.parts[i]!.span, {
          ...(s.length
            ? { help: `did you mean \`${s[0]}\`?` }
            : fields.length
            ? { help: `fields: ${fields.join(", ")}` }
            : {}),
        });
      }
    }
    return v!;
  }

  #withScope<T>(set: FlagSet | EnumSet | undefined, f: () => T): T {
    if (!set) return f();
    const prev = this.#scope;
    this.#scope = new Map(("bits" in set ? set.bits : set.values).map(([n, v]) => [n, v]));
    try {
      return f();
    } finally {
      this.#scope = prev;
    }
  }

  /** Evaluate struct-literal fields against a struct layout (flags scoped per field). */
  structInput(def: StructDef, fields: readonly FieldInit[], span: Span): FieldInputRecord {
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
      const v = this.#withScope(
        fd?.flags ?? fd?.enum,
        () => this.#fieldValue(fi.value, fd ? undefined : def.tail?.elem),
      );
      out[fi.name.text] = toFieldInput(v, fi.value.span);
    }
    void span;
    return out;
  }

  #fieldValue(e: Expr, tailElem: StructDef | string | undefined): Value {
    if (e.kind === "List" && tailElem && typeof tailElem !== "string") {
      return e.items.map((it) =>
        it.kind === "Struct"
          ? new Rec(this.structInput(tailElem, it.fields, it.span) as never)
          : this.eval(it)
      );
    }
    return this.eval(e);
  }

  #argsToInput(
    def: IoctlDef,
    args: Args,
  ): bigint | string | FieldInputRecord | Uint8Array | undefined {
    const a = def.arg;
    if (a.kind === "struct") {
      const pos = args.positional[0];
      if (pos && pos.kind === "Struct") return this.structInput(a.struct, pos.fields, pos.span);
      if (pos) {
        const v = this.eval(pos);
        if (v instanceof Rec) return toFieldInput(v, pos.span) as FieldInputRecord;
        if (v instanceof Uint8Array) return v;
        return this.int(v, pos.span);
      }
      return this.structInput(a.struct, args.named, args.span);
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
    const v = this.#withScope(set, () => this.eval(e));
    if (a.kind === "string") {
      if (typeof v !== "string") {
        throw new RuntimeError("VT0204", `${def.name} takes a string, found ${kindOf(v)}`, e.span);
      }
      return v;
    }
    return this.int(v, e.span);
  }

  /** Resolve an ioctl target to (process, fd). */
  target(t: Target): { proc: Process; fd: number; vcpu?: VmmVcpu } {
    const vmm = this.env.vmm(t.span);
    if (t.kind === "ProcPath" || t.kind === "ProcFd") {
      const po = vmm.objects.get(t.process.text);
      if (!(po instanceof Obj) || po.kind !== "process") {
        throw new RuntimeError("VT0208", `\`${t.process.text}\` is not a process`, t.process.span, {
          help: "the VMM process is `vmm`; declare others with `process NAME { uid 1000 }`",
        });
      }
      const proc = po.impl as Process;
      if (t.kind === "ProcFd") return { proc, fd: Number(this.int(this.eval(t.fd), t.fd.span)) };
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
    const v = this.ref(t.ref);
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

  ioctl(e: IoctlExpr): CallOutcome {
    const def = uapi.ioctls.get(e.name.text);
    if (!def) {
      const s = suggest(e.name.text, [...uapi.ioctls.keys()]);
      throw new RuntimeError("VT0205", `unknown ioctl \`${e.name.text}\``, e.name.span, {
        ...(s.length ? { help: `did you mean \`${s[0]}\`?` } : {}),
      });
    }
    const vmm = this.env.vmm(e.span);
    const k: Kernel = vmm.kernel;
    const { proc, fd, vcpu } = this.target(e.target);
    const input = this.#argsToInput(def, e.args);
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
          retText: r === SYSCALL_UNFINISHED
            ? "0 (the vCPU is now in the guest)"
            : ioctlRetText(ret),
          echo: "",
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
    return { kind: "ioctl", ret: r, value, retText: ioctlRetText(r), echo: "" };
  }

  hcall(e: HcallExpr): CallOutcome {
    const def: HcallDef | undefined = uapi.hcalls.get(e.name.text);
    if (!def) {
      const s = suggest(e.name.text, [...uapi.hcalls.keys()]);
      throw new RuntimeError("VT0205", `unknown hypercall \`${e.name.text}\``, e.name.span, {
        ...(s.length ? { help: `did you mean \`${s[0]}\`?` } : {}),
      });
    }
    const vmm = this.env.vmm(e.span);
    const v = this.ref(e.vcpu);
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
    const args = def.args.map(() => 0n);
    e.args.positional.forEach((p, i) => {
      if (i >= def.args.length) {
        throw new RuntimeError("VT0204", `${def.name} takes ${def.args.length} arguments`, p.span);
      }
      args[i] = this.#withScope(def.args[i]!.flags, () => this.int(this.eval(p), p.span));
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
      args[i] = this.#withScope(
        def.args[i]!.flags,
        () => this.int(this.eval(n.value), n.value.span),
      );
    }
    const kv = vmm.kvmVcpu(v.impl as VmmVcpu);
    let out;
    try {
      out = kvmppcGuestHcall(kv, def.nr, args.map((a) => BigInt.asUintN(64, a)));
    } catch (err) {
      if (err instanceof Errno) {
        throw new RuntimeError(
          "VT0201",
          `${kv.label} cannot make a hypercall: ${err.message}`,
          e.vcpu.span,
          {
            help:
              "the VMM starts vCPUs in KVM_RUN when the guest is declared (unless `start false`)",
          },
        );
      }
      throw err;
    }
    const ret = BigInt.asIntN(64, out.ret);
    const argText = def.args.map((a, i) => `${a.name}=${hex(args[i]!)}`).join(", ");
    const rets = (def.rets ?? []).map((n, i) => `${n}=${hex(out.rets[i] ?? 0n)}`);
    const where = out.where === "kernel" ? "handled in KVM" : "exit to VMM: KVM_EXIT_PAPR_HCALL";
    const echo = `${kv.label}: ${def.name}(${argText}) = ${hcallName(ret)}${
      rets.length ? `, ${rets.join(", ")}` : ""
    }  (${where})`;
    if (vmm.kernel.trace.enabled) vmm.kernel.trace.emit(echo);
    const value: Value = def.rets?.length === 1 ? out.rets[0] ?? 0n : ret;
    return { kind: "hcall", ret, value, retText: hcallName(ret), echo };
  }

  open(procName: string, path: string, pspan: Span, span: Span): Value {
    const vmm = this.env.vmm(span);
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

  call(name: string, args: Args, span: Span, nameSpan: Span): Value {
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
      if (!m) return this.eval(e);
      const prev = this.#scope;
      this.#scope = m;
      try {
        return this.eval(e);
      } finally {
        this.#scope = prev;
      }
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
    const vmm = this.env.vmm(span);
    try {
      return b.call({ vmm, kernel: vmm.kernel, print: (l) => this.env.print(l) }, pos, named);
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

/**
 * Truthiness for `!`, `&&`, `||` and `expect`.
 *
 * @example
 * ```ts
 * console.log(truthy(0n)); // false
 * ```
 */
export function truthy(v: Value): boolean {
  if (typeof v === "boolean") return v;
  if (typeof v === "bigint") return v !== 0n;
  if (typeof v === "string" || v instanceof Uint8Array || Array.isArray(v)) return v.length > 0;
  return true;
}

function toFieldInput(v: Value, span: Span): FieldInputRecord[string] {
  if (typeof v === "bigint" || typeof v === "string" || v instanceof Uint8Array) return v;
  if (typeof v === "boolean") return v ? 1n : 0n;
  if (Array.isArray(v)) return v.map((x) => toFieldInput(x, span));
  if (v instanceof Rec) {
    return Object.fromEntries(Object.entries(v.fields).map(([k, x]) => [k, toFieldInput(x, span)]));
  }
  throw new RuntimeError("VT0204", `a struct field cannot hold ${kindOf(v)}`, span);
}

/**
 * A decoded struct as a script record (arrays of one-field records become lists).
 *
 * @example
 * ```ts
 * // structToRec({argsz: 8n}, def)
 * ```
 */
export function structToRec(v: StructValue, def?: StructDef): Rec {
  const conv = (x: StructValue[string]): Value => {
    if (typeof x === "bigint" || x instanceof Uint8Array) return x;
    if (Array.isArray(x)) {
      return x.map((
        e,
      ) => ("v" in e && Object.keys(e).length === 1 ? e.v as bigint : structToRec(e)));
    }
    return structToRec(x);
  };
  return new Rec(Object.fromEntries(Object.entries(v).map(([k, x]) => [k, conv(x)])), def);
}

export { shortNames };
