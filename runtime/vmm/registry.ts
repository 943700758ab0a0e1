/**
 * The points where subsystems plug into the VMM and the script language:
 * declarations (`guest`, `container`, `device … vdpa-net`), builtin functions,
 * `show` topics, host properties and guest bring-up hooks. Each subsystem
 * registers at import time from its own module.
 *
 * @example
 * ```ts
 * import { registerBuiltin, builtins } from "./registry.ts";
 * registerBuiltin({ name: "answer", doc: "42", params: [], call: () => 42n });
 * console.log(builtins.has("answer")); // true
 * ```
 * @module
 */
import type { Kernel } from "../kernel/kernel.ts";
import type { Value } from "./value.ts";
import type { Vmm, VmmGuest } from "./vmm.ts";

/** A property a declaration accepts (same shape as the language's PropSpec). */
export interface PropSpec {
  name: string;
  type: "int" | "size" | "ident" | "string" | "mac" | "bdf" | "bool" | "flag" | "any";
  values?: readonly string[];
  required?: boolean;
  repeat?: boolean;
  doc?: string;
}

/** A declaration's evaluated properties. */
export interface DeclInput {
  keyword: string;
  name: string;
  type?: string;
  /** Values by property name, in source order (repeatable properties have several). */
  props: Map<string, Value[]>;
}

/** An error raised while instantiating a declaration; `prop` points the diagnostic. */
export class VmmError extends Error {
  readonly prop: string | undefined;
  readonly help: string | undefined;
  constructor(message: string, opts: { prop?: string; help?: string } = {}) {
    super(message);
    this.prop = opts.prop;
    this.help = opts.help;
  }
}

/** A declaration keyword (or one kind of `device`). */
export interface DeclHandler {
  keyword: string;
  /** For `device NAME KIND`: the kind this handler implements. */
  kind?: string;
  numericName?: boolean;
  props: readonly PropSpec[];
  doc: string;
  /** Issue the ioctls that bring the object up; throw VmmError on failure. */
  instantiate(vmm: Vmm, decl: DeclInput): void;
}

/** Registered declarations, keyed by keyword or `device:KIND`. */
export const decls = new Map<string, DeclHandler>();

/**
 * Register a declaration handler.
 *
 * @example
 * ```ts
 * // registerDecl({ keyword: "container", props: [...], doc: "...", instantiate(vmm, d) {...} });
 * ```
 */
export function registerDecl(h: DeclHandler): void {
  decls.set(h.kind ? `${h.keyword}:${h.kind}` : h.keyword, h);
}

/** What a builtin sees. */
export interface BuiltinCtx {
  vmm: Vmm;
  kernel: Kernel;
  /** Print a line into the transcript. */
  print(line: string): void;
}

/** A function scripts can call: `memread(vm1, 0x1000, 16)`. */
export interface Builtin {
  name: string;
  doc: string;
  /** Parameter names, in positional order (named arguments use them too). */
  params: readonly string[];
  /** Short flag names valid inside an argument (key `*` for all). */
  fieldFlags?: Readonly<Record<string, readonly string[]>>;
  /** Where the rule or behaviour comes from. */
  source?: string;
  call(ctx: BuiltinCtx, args: Value[], named: Map<string, Value>): Value;
}

/** Registered builtins. */
export const builtins = new Map<string, Builtin>();

/**
 * Register a builtin function.
 *
 * @example
 * ```ts
 * registerBuiltin({ name: "two", doc: "2", params: [], call: () => 2n });
 * ```
 */
export function registerBuiltin(b: Builtin): void {
  builtins.set(b.name, b);
}

/** One view of `show`: a table or text. */
export type View =
  | { title?: string; columns: string[]; rows: string[][] }
  | { title?: string; text: string };

/** A `show` topic. */
export interface ShowTopic {
  topic: string;
  doc: string;
  render(vmm: Vmm, args: Value[]): View[];
}

/** Registered show topics. */
export const shows = new Map<string, ShowTopic>();

/**
 * Register a `show` topic.
 *
 * @example
 * ```ts
 * registerShow({ topic: "nothing", doc: "", render: () => [] });
 * ```
 */
export function registerShow(s: ShowTopic): void {
  shows.set(s.topic, s);
}

/** Views of a declared object by kind (`show vm1`, `show c0`). */
export const objectViews = new Map<string, (vmm: Vmm, impl: unknown, name: string) => View[]>();

/**
 * Register how `show NAME` renders an object kind.
 *
 * @example
 * ```ts
 * registerObjectView("thing", () => [{ text: "a thing" }]);
 * ```
 */
export function registerObjectView(
  kind: string,
  f: (vmm: Vmm, impl: unknown, name: string) => View[],
): void {
  objectViews.set(kind, f);
}

/** Extra `host { … }` properties subsystems read from kernel.config.props. */
export const hostProps: PropSpec[] = [];

/**
 * Register an extra host property (e.g. `vhe`, `timer-save`).
 *
 * @example
 * ```ts
 * registerHostProp({ name: "frobnicate", type: "bool" });
 * ```
 */
export function registerHostProp(p: PropSpec): void {
  if (!hostProps.some((x) => x.name === p.name)) hostProps.push(p);
}

/** Guest bring-up hooks: run by the VMM at fixed points, issuing real ioctls. */
export const guestHooks = {
  /** After KVM_CREATE_VM and memory, before vCPUs. */
  afterVmCreate: [] as ((vmm: Vmm, g: VmmGuest) => void)[],
  /** After vCPUs are created, before they first run. */
  beforeStart: [] as ((vmm: Vmm, g: VmmGuest) => void)[],
};
