/**
 * arch/powerpc/include/asm/hvcall.h: PAPR hypercall return codes and the
 * registry of hypercall definitions (number, arguments, returned registers).
 * Subsystems add their hcalls with {@link defineHcall}.
 *
 * @example
 * ```ts
 * import { H, hcallName } from "./hvcall.ts";
 * console.log(H.H_PARAMETER, hcallName(-4n)); // -4n "H_PARAMETER"
 * ```
 * @module
 */
import type { HcallDef } from "../../../../kernel/uapi.ts";
import { registerUapi } from "../../../../kernel/uapi_registry.ts";

/** Return codes (kvm-nested-timer.md B.1; spapr-tce-vfio-sva.md 1.2). */
export const H: Readonly<Record<string, bigint>> = {
  H_SUCCESS: 0n,
  H_BUSY: 1n,
  H_CLOSED: 2n,
  H_NOT_AVAILABLE: 3n,
  H_CONTINUE: 18n,
  H_TOO_HARD: 9999n,
  H_HARDWARE: -1n,
  H_FUNCTION: -2n,
  H_PRIVILEGE: -3n,
  H_PARAMETER: -4n,
  H_BAD_MODE: -5n,
  H_NOT_FOUND: -7n,
  H_NO_MEM: -9n,
  H_AUTHORITY: -10n,
  H_P2: -55n,
  H_P3: -56n,
  H_P4: -57n,
  H_INTERRUPT: -69n,
};

// Keyed by Number: a BigInt key is hashed by value on every lookup, and
// hcallName runs once per hypercall.
const BY_CODE = new Map<number, string>(Object.entries(H).map(([k, v]) => [Number(v), k]));

/**
 * Name of an hcall return code.
 *
 * @example
 * ```ts
 * console.log(hcallName(0n)); // "H_SUCCESS"
 * ```
 */
export function hcallName(code: bigint): string {
  return BY_CODE.get(Number(code)) ?? code.toString();
}

/** Highest hcall opcode of the classic range (MAX_HCALL_OPCODE). */
export const MAX_HCALL_OPCODE = 0x450;

const HCALLS = new Map<string, HcallDef>();
const BY_NR = new Map<number, HcallDef>();

/**
 * Register a hypercall definition (idempotent by name).
 *
 * @example
 * ```ts
 * defineHcall({ name: "H_EXAMPLE", nr: 0x4, args: [], doc: "", arch: "ppc64le" });
 * ```
 */
export function defineHcall(def: HcallDef): HcallDef {
  HCALLS.set(def.name, def);
  BY_NR.set(def.nr, def);
  registerUapi({ hcalls: [def] });
  return def;
}

/**
 * All registered hypercalls.
 *
 * @example
 * ```ts
 * console.log(Array.isArray(allHcalls())); // true
 * ```
 */
export function allHcalls(): HcallDef[] {
  return [...HCALLS.values()];
}

/**
 * A hypercall by number.
 *
 * @example
 * ```ts
 * console.log(hcallByNr(0xffff)); // undefined
 * ```
 */
export function hcallByNr(nr: number): HcallDef | undefined {
  return BY_NR.get(nr);
}

registerUapi({
  constants: [{
    group: "H",
    doc: "PAPR hcall return codes",
    source: "arch/powerpc/include/asm/hvcall.h",
    values: H,
  }],
});
