/**
 * Test harness for the vhost / vDPA tests: boot a kernel of a profile, a VMM
 * and optionally a guest, create a vdpa_sim_net device and open its node.
 *
 * @example
 * ```ts
 * // const t = boot("seed"); t.io(VHOST_SET_OWNER);
 * ```
 * @module
 */
import "../../virt/kvm/kvm_main.ts";
import "../../arch/powerpc/kvm/book3s_hv.ts";
import "../../arch/arm64/kvm/arm.ts";
import "../../vmm/kvm_all.ts";
import "./mod.ts";
import { Kernel } from "../../kernel/kernel.ts";
import type { IoctlDef } from "../../kernel/uapi.ts";
import type { Profile } from "../../kernel/uapi.ts";
import { hostConfig } from "../../vmm/host.ts";
import type { IoctlInput } from "../../vmm/marshal.ts";
import { decls } from "../../vmm/registry.ts";
import type { Value } from "../../vmm/value.ts";
import { Vmm } from "../../vmm/vmm.ts";
import type { VdpaNetDev } from "../../vmm/vhost_vdpa.ts";
import { type VhostVdpa, vhostVdpaDevices } from "./vdpa.ts";

/** A booted host with one vdpa-net device. */
export interface Booted {
  k: Kernel;
  vmm: Vmm;
  dev: VdpaNetDev;
  v: VhostVdpa;
  /** fd of the VMM on the node (opened unless `open: false`). */
  fd: number;
  /** ioctl on fd from the VMM; returns the return value. */
  io(def: IoctlDef, input?: IoctlInput): number;
  /** ioctl returning the value read back. */
  get(def: IoctlDef, input?: IoctlInput): bigint;
  /** The struct read back. */
  rec(def: IoctlDef, input?: IoctlInput): Record<string, unknown>;
}

/** Boot a host; `guest` adds vm1 and attaches the device to it (full bring-up). */
export function boot(
  profile: Profile,
  o: {
    guest?: boolean;
    open?: boolean;
    arch?: "x86_64" | "arm64" | "ppc64le";
    useVa?: boolean;
    props?: [string, Value[]][];
    memory?: bigint;
  } = {},
): Booted {
  const props = new Map<string, Value[]>([["arch", [o.arch ?? "x86_64"]], ["kernel", [profile]]]);
  if (o.useVa !== undefined) props.set("vdpa-sim-use-va", [o.useVa]);
  const k = new Kernel(hostConfig("h", props));
  const vmm = new Vmm(k);
  const dprops = new Map<string, Value[]>([["mac", ["52:54:00:12:34:56"]], ...(o.props ?? [])]);
  if (o.guest) {
    decls.get("guest")!.instantiate(vmm, {
      keyword: "guest",
      name: "vm1",
      props: new Map([["memory", [o.memory ?? 64n << 20n]]]),
    });
    dprops.set("guest", ["vm1"]);
  }
  decls.get("device:vdpa-net")!.instantiate(vmm, {
    keyword: "device",
    name: "net0",
    type: "vdpa-net",
    props: dprops,
  });
  const dev = vmm.objects.get("net0")!.impl as VdpaNetDev;
  const v = [...vhostVdpaDevices(k).values()][0]!;
  const fd = o.guest ? dev.fd! : o.open === false ? -1 : vmm.open(v.path);
  const t: Booted = {
    k,
    vmm,
    dev,
    v,
    fd,
    io: (def, input) => vmm.ioctl(t.fd, def, input).ret,
    get: (def, input) => {
      const r = vmm.ioctl(t.fd, def, input);
      if (r.ret < 0) throw new Error(`${def.name} = ${r.ret}`);
      return r.out as bigint;
    },
    rec: (def, input) => {
      const r = vmm.ioctl(t.fd, def, input);
      if (r.ret < 0) throw new Error(`${def.name} = ${r.ret}`);
      return r.out as Record<string, unknown>;
    },
  };
  return t;
}
