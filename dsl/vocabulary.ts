/**
 * What the static checker and the REPL's completion may know about the names a
 * script can use. The stdlib builds one from the runtime's uapi tables; the
 * language itself depends only on this shape.
 *
 * @example
 * ```ts
 * import { emptyVocabulary } from "./vocabulary.ts";
 * console.log(emptyVocabulary().ioctls.size); // 0
 * ```
 * @module
 */

/** A property a declaration accepts. */
export interface PropSpec {
  name: string;
  /** What its value is; "flag" means the property takes no value. */
  type: "int" | "size" | "ident" | "string" | "mac" | "bdf" | "bool" | "flag" | "any";
  /** Allowed identifiers for `ident` properties (e.g. `arch`: ppc64le, arm64). */
  values?: readonly string[];
  required?: boolean;
  /** May appear more than once (e.g. `device` inside a group). */
  repeat?: boolean;
  doc?: string;
}

/** A declaration keyword (or a `device` kind) and its properties. */
export interface DeclSpec {
  keyword: string;
  /** For `device NAME KIND`: the kinds. Empty for other keywords. */
  kinds?: readonly string[];
  /** `group 12` takes a number as its name. */
  numericName?: boolean;
  props: readonly PropSpec[];
  doc?: string;
}

/** A named call target: ioctl, hcall or builtin function. */
export interface CallSpec {
  name: string;
  /** Named arguments / struct fields it accepts (empty when positional only). */
  fields: readonly string[];
  /**
   * Short flag names valid inside a field, e.g. flags → READ, WRITE. The key
   * `*` applies to positional arguments (e.g. VHOST_VDPA_SET_STATUS takes
   * ACKNOWLEDGE | DRIVER).
   */
  fieldFlags?: Readonly<Record<string, readonly string[]>>;
  doc?: string;
  /** The most positional arguments it takes (unknown: no arity check). */
  maxPositional?: number;
}

/** Everything nameable. */
export interface Vocabulary {
  decls: ReadonlyMap<string, DeclSpec>;
  ioctls: ReadonlyMap<string, CallSpec>;
  hcalls: ReadonlyMap<string, CallSpec>;
  builtins: ReadonlyMap<string, CallSpec>;
  /** Global constants: errno names, flags, capability numbers, hcall codes. */
  constants: ReadonlySet<string>;
  /** Words that may follow `show`. */
  showTopics: ReadonlySet<string>;
  /** The errno names among the constants (`EBUSY`…); `=> -ERRNO` checks use them. */
  errnos?: ReadonlySet<string>;
}

/** A vocabulary that knows nothing; useful for parser-only tests. */
export function emptyVocabulary(): Vocabulary {
  return {
    decls: new Map(),
    ioctls: new Map(),
    hcalls: new Map(),
    builtins: new Map(),
    constants: new Set(),
    showTopics: new Set(),
  };
}

/**
 * A sample value for a property, as the checker's help shows it (`vcpus 1`).
 *
 * @example
 * ```ts
 * import { propExample } from "./vocabulary.ts";
 * console.log(propExample({ name: "memory", type: "size" })); // "4G"
 * ```
 */
export function propExample(ps: PropSpec): string {
  switch (ps.type) {
    case "size":
      return "4G";
    case "int":
      return "1";
    case "string":
      return '"…"';
    case "mac":
      return "52:54:00:12:34:56";
    case "bdf":
      return "0000:01:00.0";
    case "bool":
      return "true";
    case "ident":
      return ps.values?.[0] ?? "name";
    default:
      return "…";
  }
}
