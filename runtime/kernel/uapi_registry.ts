/**
 * The catalogue of every uapi definition the simulated kernel implements:
 * ioctls, hypercalls, constant groups and registers. uapi modules add
 * themselves at import; the trace decoder, `help` and the script language's
 * names all read from here, so there is one source of truth per number.
 *
 * @example
 * ```ts
 * import { registerUapi, uapi } from "./uapi_registry.ts";
 * registerUapi({ constants: [{ group: "DEMO", values: { DEMO_ONE: 1n } }] });
 * console.log(uapi.constants.has("DEMO_ONE")); // true
 * ```
 * @module
 */
import type { ConstGroup, HcallDef, IoctlDef } from "./uapi.ts";
import type { StructDef } from "./layout.ts";

/** A documented register (ONE_REG id, system register, …). */
export interface RegisterDoc {
  name: string;
  id?: bigint;
  doc: string;
  source?: string;
  seed?: string;
}

/** Everything registered. */
export const uapi = {
  ioctls: new Map<string, IoctlDef>(),
  hcalls: new Map<string, HcallDef>(),
  /** Constant name → value. */
  constants: new Map<string, bigint>(),
  /** Constant name → its group. */
  constGroupOf: new Map<string, ConstGroup>(),
  groups: new Map<string, ConstGroup>(),
  structs: new Map<string, StructDef>(),
  registers: new Map<string, RegisterDoc>(),
};

/**
 * Add definitions to the catalogue (idempotent by name).
 *
 * @example
 * ```ts
 * registerUapi({ ioctls: [] });
 * ```
 */
export function registerUapi(d: {
  ioctls?: readonly IoctlDef[];
  hcalls?: readonly HcallDef[];
  constants?: readonly ConstGroup[];
  structs?: readonly StructDef[];
  registers?: readonly RegisterDoc[];
}): void {
  for (const i of d.ioctls ?? []) uapi.ioctls.set(i.name, i);
  for (const h of d.hcalls ?? []) uapi.hcalls.set(h.name, h);
  for (const g of d.constants ?? []) {
    uapi.groups.set(g.group, g);
    for (const [k, v] of Object.entries(g.values)) {
      uapi.constants.set(k, v);
      uapi.constGroupOf.set(k, g);
    }
  }
  for (const s of d.structs ?? []) uapi.structs.set(s.name, s);
  for (const r of d.registers ?? []) uapi.registers.set(r.name, r);
  for (const i of d.ioctls ?? []) {
    const a = i.arg;
    if (a.kind === "struct") uapi.structs.set(a.struct.name, a.struct);
  }
}
