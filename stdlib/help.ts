/**
 * `help` and `help NAME`: generated from the same definitions the kernel
 * dispatches on — ioctl numbers for every encoding, struct layouts with
 * widths and offsets, flags, errno rules with their sources, the seed that
 * defines a thing; hypercalls, constants, declarations, builtins, topics.
 *
 * @example
 * ```ts
 * import { helpText } from "./help.ts";
 * console.log(helpText("KVM_CREATE_VM").includes("0xae01")); // true
 * ```
 * @module
 */
import "../runtime/modules.ts";
import { ERRNO, strerror } from "../runtime/include/uapi/asm-generic/errno.ts";
import { formatFlags, scalarSize, type StructDef } from "../runtime/kernel/layout.ts";
import { type IoctlDef, ioctlNumber } from "../runtime/kernel/uapi.ts";
import { uapi } from "../runtime/kernel/uapi_registry.ts";
import { allHostProps } from "../runtime/vmm/host.ts";
import { builtins, decls, shows } from "../runtime/vmm/registry.ts";
import { buildVocabulary } from "./vocabulary.ts";
import { suggest } from "../dsl/suggest.ts";

/** The statement forms, for `help let`, `help for`, … (docs/language.md has the full story). */
const STATEMENTS: Record<string, string> = {
  let:
    "let NAME = EXPR — bind a variable (a `let` in a loop body outlives the loop). e.g. `let buf = mmap(1M)`",
  expect:
    "expect COND — a check; the script fails if COND is false. e.g. `expect st & FEATURES_OK == FEATURES_OK`",
  show: `show TOPIC [ARGS] | show NAME — a view as a table. Topics: ${"$TOPICS"}`,
  advance: "advance DURATION — move the virtual clock (ns, us, ms, s). e.g. `advance 10ms`",
  for:
    "for NAME in A..B { … } — run the body for A ≤ NAME < B. e.g. `for i in 0..4 { hcall vm1.cpu0 H_PUT_TCE(…) }`",
  include:
    'include "FILE" — run another script (relative to the including file); its names are known after it',
  ioctl:
    "ioctl TARGET NAME(ARGS) [=> RESULT] — issue an ioctl on a declared object (vm1, vm1.cpu0, c0), PROC:/dev/path or PROC:fd; struct fields by name, argsz filled in. e.g. `ioctl vm1 KVM_CREATE_VCPU(1) => -EEXIST`",
  hcall:
    "hcall VCPU NAME(ARGS) [=> RESULT] — the guest vCPU makes a PAPR hypercall (in KVM, else KVM_EXIT_PAPR_HCALL to the VMM). e.g. `hcall vm1.cpu0 H_GET_TCE(liobn: 0x80000000, ioba: 0)`",
  open:
    "open PROC PATH — open(2) in a process; returns the fd. e.g. `let fd = open vmm /dev/vfio/vfio`",
};

const hx = (n: number | bigint): string => `0x${n.toString(16)}`;

function typeName(t: StructDef["fields"][number]["type"]): string {
  if (typeof t === "string") return t;
  if ("array" in t) return `${t.array}[${t.count}]`;
  if ("structArray" in t) return `struct ${t.structArray.name}[${t.count}]`;
  return `struct ${t.struct.name}`;
}

/**
 * A struct layout as a table of field, type, offset, size.
 *
 * @example
 * ```ts
 * // structHelp(kvm_one_reg)
 * ```
 */
export function structHelp(s: StructDef): string[] {
  const out = [
    `struct ${s.name} (${s.size} bytes)${
      s.argsz ? `; ${s.argsz} is filled with ${s.size} when omitted` : ""
    }`,
  ];
  for (const f of s.fields) {
    const extra = f.flags
      ? `  flags: ${f.flags.bits.map(([n, v]) => `${n}=${hx(v)}`).join(" ")}`
      : f.enum
      ? `  values: ${f.enum.values.slice(0, 8).map(([n]) => n).join(" ")}${
        f.enum.values.length > 8 ? " …" : ""
      }`
      : "";
    out.push(
      `  +${String(f.offset).padEnd(3)} ${typeName(f.type).padEnd(10)} ${f.name}${extra}${
        f.doc ? `  — ${f.doc}` : ""
      }`,
    );
  }
  if (s.tail) {
    const e = s.tail.elem;
    out.push(
      `  +${String(s.size).padEnd(3)} ${
        (typeof e === "string" ? e : `struct ${e.name}`) + "[]"
      } ${s.tail.name}`,
    );
  }
  return out;
}

function ioctlHelp(d: IoctlDef): string {
  const gen = ioctlNumber(d, "x86_64"), ppc = ioctlNumber(d, "ppc64le");
  const mac = { none: "_IO", r: "_IOR", w: "_IOW", rw: "_IOWR" }[d.dir];
  const lines = [
    `${d.name} — ${d.doc}`,
    `  ${mac}(0x${d.type.toString(16).toUpperCase()}, 0x${d.nr.toString(16)}${
      d.dir === "none" ? "" : `, ${d.size} bytes`
    })` +
    `  = ${hx(gen)} (generic: x86_64, arm64)  ${hx(ppc)} (powerpc)`,
  ];
  if (d.fd) lines.push(`  issued on: ${d.fd}`);
  const a = d.arg;
  if (a.kind === "struct") {
    lines.push(
      `  argument: pointer to struct ${a.struct.name} (${a.io})`,
      ...structHelp(a.struct).map((l) => `  ${l}`),
    );
  } else if (a.kind === "ptr") {
    lines.push(`  argument: pointer to ${a.type}${a.name ? ` ${a.name}` : ""} (${a.io})`);
    if (a.flags) lines.push(`  flags: ${a.flags.bits.map(([n, v]) => `${n}=${hx(v)}`).join(" ")}`);
  } else if (a.kind === "value") lines.push(`  argument: integer${a.name ? ` ${a.name}` : ""}`);
  else if (a.kind === "string") lines.push("  argument: pointer to a NUL-terminated string");
  else lines.push("  argument: none");
  if (d.errors?.length) lines.push("  errors:", ...d.errors.map((e) => `    ${e}`));
  if (d.source) lines.push(`  defined in: ${d.source}`);
  if (d.seed) lines.push(`  seed: ${d.seed}`);
  return lines.join("\n");
}

/**
 * Help text for a topic (or the overview).
 *
 * @example
 * ```ts
 * console.log(helpText().startsWith("vmtopo help")); // true
 * ```
 */
export function helpText(topic?: string): string {
  if (!topic) {
    return [
      "vmtopo help — `help NAME` explains an ioctl, hypercall, constant, struct, declaration, builtin or show topic.",
      `  declarations: host ${
        [...new Set([...decls.values()].map((d) => d.kind ? `device ${d.kind}` : d.keyword))].join(
          ", ",
        )
      }`,
      `  statements (help let, help ioctl, …): let, expect, show, advance, for, include, ioctl TARGET NAME(args) [=> R], hcall VCPU NAME(args) [=> R]`,
      `  ioctls: ${uapi.ioctls.size} (e.g. ${[...uapi.ioctls.keys()].slice(0, 4).join(", ")} …)`,
      `  hypercalls: ${[...uapi.hcalls.keys()].join(", ") || "-"}`,
      `  builtins: ${[...builtins.keys()].sort().join(", ")}`,
      `  show topics: ${[...shows.keys()].sort().join(", ")}`,
      "  REPL: :trace on|off, save FILE, help NAME, Ctrl-D to leave",
    ].join("\n");
  }
  const io = uapi.ioctls.get(topic);
  if (io) return ioctlHelp(io);
  const hc = uapi.hcalls.get(topic);
  if (hc) {
    const lines = [
      `${hc.name} (hcall ${hx(hc.nr)}, ${hc.arch}) — ${hc.doc}`,
      `  arguments (r4…): ${hc.args.map((a) => a.name).join(", ") || "none"}`,
    ];
    if (hc.rets?.length) lines.push(`  returns (r4…): ${hc.rets.join(", ")}`);
    if (hc.errors?.length) lines.push("  return codes:", ...hc.errors.map((e) => `    ${e}`));
    if (hc.source) lines.push(`  defined in: ${hc.source}`);
    if (hc.seed) lines.push(`  seed: ${hc.seed}`);
    return lines.join("\n");
  }
  const c = uapi.constants.get(topic);
  if (c !== undefined) {
    const g = uapi.constGroupOf.get(topic);
    // A constant that is also a documented register/attribute shows that doc too.
    const r = uapi.registers.get(topic);
    const see = r?.source && r.source !== g?.source ? [`see: ${r.source}`] : [];
    const more = r ? [r.doc, ...see].map((l) => `\n  ${l}`) : [];
    return `${topic} = ${c} (${hx(c)})${g ? ` — ${g.group}${g.doc ? `: ${g.doc}` : ""}` : ""}${
      g?.source ? `\n  defined in: ${g.source}` : ""
    }${more.join("")}`;
  }
  if (ERRNO[topic] !== undefined) {
    return `${topic} = ${ERRNO[topic]} — ${
      strerror(ERRNO[topic]!)
    } (include/uapi/asm-generic/errno*.h)`;
  }
  const st = uapi.structs.get(topic) ?? uapi.structs.get(topic.replace(/^struct /, ""));
  if (st) return structHelp(st).join("\n");
  const reg = uapi.registers.get(topic);
  if (reg) {
    return [
      `${reg.name}${reg.id !== undefined ? ` (ONE_REG id ${hx(reg.id)})` : ""} — ${reg.doc}`,
      ...(reg.source ? [`  defined in: ${reg.source}`] : []),
      ...(reg.seed ? [`  seed: ${reg.seed}`] : []),
    ].join("\n");
  }
  const b = builtins.get(topic);
  if (b) {
    return `${b.name}(${b.params.join(", ")}) — ${b.doc}${
      b.source ? `\n  source: ${b.source}` : ""
    }`;
  }
  const s = shows.get(topic);
  if (s) return `show ${s.topic} — ${s.doc}`;
  const stmt = STATEMENTS[topic];
  if (stmt) return stmt.replace("$TOPICS", [...shows.keys()].sort().join(", "));
  if (topic === "host") {
    return [
      "host NAME { … } — the simulated machine; declare it first.",
      ...allHostProps().map((p) =>
        `  ${p.name} ${p.values ? p.values.join("|") : p.type}${p.doc ? `  — ${p.doc}` : ""}`
      ),
    ].join("\n");
  }
  const dh = [...decls.values()].filter((d) => d.keyword === topic || d.kind === topic);
  if (dh.length) {
    return dh.map((d) =>
      [
        `${d.keyword}${d.kind ? ` NAME ${d.kind}` : " NAME"} { … } — ${d.doc}`,
        ...d.props.map((p) =>
          `  ${p.name} ${p.values ? p.values.join("|") : p.type}${p.doc ? `  — ${p.doc}` : ""}`
        ),
      ].join("\n")
    ).join("\n");
  }
  const v = buildVocabulary();
  const all = [
    ...v.ioctls.keys(),
    ...v.hcalls.keys(),
    ...v.constants,
    ...v.builtins.keys(),
    ...v.showTopics,
  ];
  const close = suggest(topic, [...all, ...Object.keys(STATEMENTS), ...decls.keys(), "host"]);
  if (close.length) return `no help for \`${topic}\`; did you mean \`${close[0]}\`?`;
  const near = all.filter((n) => n.toLowerCase().includes(topic.toLowerCase())).slice(0, 8);
  return `no help for \`${topic}\`${near.length ? `; related: ${near.join(", ")}` : ""}`;
}

export { formatFlags, scalarSize };
