/**
 * The VMM's hypercall handling (QEMU's hw/ppc/spapr_hcall.c): when KVM
 * returns KVM_EXIT_PAPR_HCALL, look up the handler for kvm_run.papr_hcall.nr,
 * run it, and write its r3 into papr_hcall.ret and returned values into
 * papr_hcall.args[] (KVM copies them to r4… on re-entry). An hcall QEMU does
 * not implement answers H_FUNCTION.
 *
 * @example
 * ```ts
 * import { spaprRegisterHcall } from "./spapr_hcall.ts";
 * spaprRegisterHcall(0x4, () => ({ ret: 0n }));
 * ```
 * @module
 */
import { KVM_EXIT } from "../include/uapi/linux/kvm.ts";
import { H } from "../arch/powerpc/include/asm/hvcall.ts";
import { exitHandlers, type Vmm, type VmmVcpu } from "./vmm.ts";

/** A VMM hcall handler: returns r3 and optional returned values (r4…). */
export type SpaprHcallHandler = (
  vmm: Vmm,
  vcpu: VmmVcpu,
  args: bigint[],
) => { ret: bigint; rets?: bigint[] };

const HANDLERS = new Map<number, SpaprHcallHandler>();

/**
 * Register a VMM-side hcall (spapr_register_hypercall).
 *
 * @example
 * ```ts
 * spaprRegisterHcall(0x8, () => ({ ret: 0n }));
 * ```
 */
export function spaprRegisterHcall(nr: number, h: SpaprHcallHandler): void {
  HANDLERS.set(nr, h);
}

exitHandlers.set(Number(KVM_EXIT.KVM_EXIT_PAPR_HCALL), (vmm, v) => {
  const mm = vmm.proc.mm;
  const b = mm.read(v.runHva + 32, 16 + 9 * 8);
  const dv = new DataView(b.buffer);
  const nr = Number(dv.getBigUint64(0, true));
  const args = Array.from({ length: 9 }, (_, i) => dv.getBigUint64(16 + i * 8, true));
  const h = HANDLERS.get(nr);
  const r = h ? h(vmm, v, args) : { ret: H.H_FUNCTION! };
  dv.setBigUint64(8, BigInt.asUintN(64, r.ret), true);
  (r.rets ?? []).forEach((x, i) => dv.setBigUint64(16 + i * 8, BigInt.asUintN(64, x), true));
  mm.write(v.runHva + 32, b);
});
