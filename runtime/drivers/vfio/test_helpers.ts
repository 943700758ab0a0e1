/**
 * Shared set-up for the VFIO / sPAPR TCE tests: boot a host kernel and the
 * VMM, declare objects as a script would, issue ioctls by definition and
 * hypercalls from a guest vCPU.
 *
 * @example
 * ```ts
 * import { boot } from "./test_helpers.ts";
 * const t = boot("seed");
 * console.log(t.k.config.profile); // "seed"
 * ```
 * @module
 */
// The core plus this subsystem (not all of runtime/modules.ts: other subsystems are in flux).
import "../../virt/kvm/kvm_main.ts";
import "../../arch/powerpc/kvm/book3s_hv.ts";
import "../../arch/arm64/kvm/arm.ts";
import "../../vmm/kvm_all.ts";
import "../../vmm/spapr_hcall.ts";
import "../../vmm/views.ts";
import "./mod.ts";
import { Kernel } from "../../kernel/kernel.ts";
import type { IoctlDef } from "../../kernel/uapi.ts";
import type { StructValue } from "../../kernel/layout.ts";
import { Vmm, type VmmGuest } from "../../vmm/vmm.ts";
import { decls } from "../../vmm/registry.ts";
import { hostConfig } from "../../vmm/host.ts";
import type { Value } from "../../vmm/value.ts";
import type { IoctlInput } from "../../vmm/marshal.ts";
import { type HcallOutcome, kvmppcGuestHcall } from "../../arch/powerpc/kvm/book3s_hv.ts";

/** A booted host. */
export interface TestHost {
  k: Kernel;
  vmm: Vmm;
  decl(kw: string, name: string, props: Record<string, Value | Value[]>): void;
  ioctl(fd: number, def: IoctlDef, input?: IoctlInput): { ret: number; out: StructValue };
  guest(name?: string): VmmGuest;
  hcall(nr: number, args: bigint[], guest?: string): HcallOutcome;
}

/**
 * Boot a host (ppc64le by default) with an optional guest vm1 (1 GiB).
 *
 * @example
 * ```ts
 * // const t = boot("mainline", { guest: true });
 * ```
 */
export function boot(
  profile: "seed" | "mainline" = "seed",
  opts: { arch?: string; guest?: boolean; memory?: bigint } = {},
): TestHost {
  const k = new Kernel(
    hostConfig(
      "h",
      new Map<string, Value[]>([["arch", [opts.arch ?? "ppc64le"]], ["kernel", [profile]]]),
    ),
  );
  const vmm = new Vmm(k);
  const t: TestHost = {
    k,
    vmm,
    decl(kw, name, props) {
      const m = new Map<string, Value[]>();
      for (const [p, v] of Object.entries(props)) m.set(p, Array.isArray(v) ? v : [v]);
      decls.get(kw)!.instantiate(vmm, { keyword: kw, name, props: m });
    },
    ioctl(fd, def, input) {
      const r = vmm.ioctl(fd, def, input);
      return { ret: r.ret, out: (r.out ?? {}) as StructValue };
    },
    guest: (name = "vm1") => vmm.guests.get(name)!,
    hcall(nr, args, guest = "vm1") {
      const g = vmm.guests.get(guest)!;
      return kvmppcGuestHcall(vmm.kvmVcpu(g.vcpus[0]!), nr, args);
    },
  };
  if (opts.guest !== false) t.decl("guest", "vm1", { vcpus: 1n, memory: opts.memory ?? 1n << 30n });
  return t;
}

/**
 * Guest with container c0 (sPAPR v2 on ppc, type1v2 elsewhere) and group 12.
 *
 * @example
 * ```ts
 * // const t = withGroup("seed");
 * ```
 */
export function withGroup(profile: "seed" | "mainline" = "seed", arch = "ppc64le"): TestHost {
  const t = boot(profile, { arch });
  t.decl("container", "c0", { iommu: arch === "ppc64le" ? "spapr-tce-v2" : "type1v2" });
  t.decl("group", "12", {
    container: "c0",
    device: arch === "ppc64le" ? "0001:01:00.0" : "0000:01:00.0",
  });
  return t;
}

/**
 * The VMM fd of a declared object.
 *
 * @example
 * ```ts
 * // fdOf(t, "c0")
 * ```
 */
export function fdOf(t: TestHost, name: string): number {
  return (t.vmm.objects.get(name)!.impl as { fd: number }).fd;
}
