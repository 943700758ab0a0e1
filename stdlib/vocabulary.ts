/**
 * Everything a script can name, gathered from the runtime's catalogues:
 * ioctls (with their struct fields and short flag names), hypercalls,
 * constants, errno names, declarations, builtins and `show` topics. The
 * checker, the interpreter and REPL completion all read this one object.
 *
 * @example
 * ```ts
 * import "../runtime/modules.ts";
 * import { buildVocabulary } from "./vocabulary.ts";
 * console.log(buildVocabulary().ioctls.has("KVM_CREATE_VM")); // true
 * ```
 * @module
 */
import "../runtime/modules.ts";
import "./core_builtins.ts";
import type { CallSpec, DeclSpec, Vocabulary } from "../dsl/vocabulary.ts";
import { ERRNO } from "../runtime/include/uapi/asm-generic/errno.ts";
import type { EnumSet, FlagSet, StructDef } from "../runtime/kernel/layout.ts";
import type { IoctlDef } from "../runtime/kernel/uapi.ts";
import { uapi } from "../runtime/kernel/uapi_registry.ts";
import { allHostProps } from "../runtime/vmm/host.ts";
import { builtins, decls, shows } from "../runtime/vmm/registry.ts";

/** Short names a flag or enum set offers inside a field. */
export function shortNames(s: FlagSet | EnumSet | undefined): string[] {
  if (!s) return [];
  return ("bits" in s ? s.bits : s.values).map(([n]) => n);
}

/**
 * Field names of an ioctl's struct argument (tail included).
 *
 * @example
 * ```ts
 * console.log(structFields(undefined)); // []
 * ```
 */
export function structFields(s: StructDef | undefined): string[] {
  if (!s) return [];
  // Every field is settable: a script may set `reserved` or `pad` to watch
  // the kernel refuse it (KVM_ARM_SET_COUNTER_OFFSET: reserved ≠ 0 → EINVAL).
  return [...s.fields.map((f) => f.name), ...(s.tail ? [s.tail.name] : [])];
}

function ioctlSpec(d: IoctlDef): CallSpec {
  const a = d.arg;
  const fieldFlags: Record<string, string[]> = {};
  let fields: string[] = [];
  if (a.kind === "struct") {
    fields = structFields(a.struct);
    for (const f of a.struct.fields) {
      const n = shortNames(f.flags ?? f.enum);
      if (n.length) fieldFlags[f.name] = n;
    }
  } else if (a.kind === "ptr" || a.kind === "value") {
    const n = shortNames(a.flags ?? a.enum);
    if (n.length) fieldFlags["*"] = n;
    if (a.name) fields = [a.name];
  }
  return { name: d.name, fields, fieldFlags, doc: d.doc, maxPositional: a.kind === "none" ? 0 : 1 };
}

let cached: Vocabulary | undefined;
let cachedSizes = "";

/**
 * Build (or reuse) the vocabulary; rebuilt when registries grew.
 *
 * @example
 * ```ts
 * console.log(buildVocabulary().constants.has("EBUSY")); // true
 * ```
 */
export function buildVocabulary(): Vocabulary {
  const sizes = [
    uapi.ioctls.size,
    uapi.hcalls.size,
    uapi.constants.size,
    decls.size,
    builtins.size,
    shows.size,
  ].join();
  if (cached && sizes === cachedSizes) return cached;
  const declMap = new Map<string, DeclSpec>();
  declMap.set("host", {
    keyword: "host",
    props: allHostProps(),
    doc: "the simulated machine (must come first)",
  });
  const deviceKinds: string[] = [];
  const deviceProps = new Map<string, DeclSpec["props"][number]>();
  for (const [key, h] of decls) {
    if (h.kind) {
      deviceKinds.push(h.kind);
      for (const p of h.props) deviceProps.set(p.name, p);
      continue;
    }
    declMap.set(key, {
      keyword: h.keyword,
      numericName: h.numericName ?? false,
      props: h.props,
      doc: h.doc,
    });
  }
  declMap.set("device", {
    keyword: "device",
    kinds: deviceKinds,
    props: [...deviceProps.values()],
    doc: "a device",
  });
  const ioctls = new Map([...uapi.ioctls.values()].map((d) => [d.name, ioctlSpec(d)]));
  const hcalls = new Map([...uapi.hcalls.values()].map((h) => {
    const fieldFlags: Record<string, string[]> = {};
    for (const a of h.args) if (a.flags) fieldFlags[a.name] = shortNames(a.flags);
    return [h.name, {
      name: h.name,
      fields: h.args.map((a) => a.name),
      fieldFlags,
      doc: h.doc,
      maxPositional: h.args.length,
    }];
  }));
  const bmap = new Map([...builtins.values()].map((b) => [b.name, {
    name: b.name,
    fields: [...b.params],
    fieldFlags: b.fieldFlags ?? {},
    doc: b.doc,
    maxPositional: b.params.length,
  } as CallSpec]));
  const constants = new Set<string>([
    ...uapi.constants.keys(),
    ...Object.keys(ERRNO),
    "true",
    "false",
  ]);
  cached = {
    decls: declMap,
    ioctls,
    hcalls,
    builtins: bmap,
    constants,
    showTopics: new Set(shows.keys()),
    errnos: new Set(Object.keys(ERRNO)),
  };
  cachedSizes = sizes;
  return cached;
}

/**
 * The value of a global constant (uapi constants, errno names, true/false).
 *
 * @example
 * ```ts
 * console.log(constantValue("EBUSY")); // 16n
 * ```
 */
export function constantValue(name: string): bigint | boolean | undefined {
  if (name === "true") return true;
  if (name === "false") return false;
  const c = uapi.constants.get(name);
  if (c !== undefined) return c;
  const e = ERRNO[name];
  return e === undefined ? undefined : BigInt(e);
}
