/**
 * Test helpers for the arm64 timer: boot an arm64 host with the given
 * properties, bring up a guest as the VMM does, and call builtins by name.
 *
 * @example
 * ```ts
 * import { bootArm } from "./test_util.ts";
 * const t = bootArm({ vcpus: 1 });
 * console.log(t.kernel.arch); // "arm64"
 * ```
 * @module
 */
import "../../../modules.ts";
import { Kernel } from "../../../kernel/kernel.ts";
import { uapi } from "../../../kernel/uapi_registry.ts";
import { hostConfig } from "../../../vmm/host.ts";
import { builtins, decls } from "../../../vmm/registry.ts";
import type { Obj, Value } from "../../../vmm/value.ts";
import { Vmm } from "../../../vmm/vmm.ts";
import type { KvmVcpu } from "../../../virt/kvm/kvm_host.ts";
import type { VmmVcpu } from "../../../vmm/vmm.ts";

/** A booted arm64 host with one guest `vm1`. */
export interface ArmTest {
  kernel: Kernel;
  vmm: Vmm;
  /** Call a builtin. */
  b(name: string, ...args: Value[]): Value;
  /** A registered constant. */
  c(name: string): bigint;
  /** vm1.cpuN as a script object. */
  cpu(n: number): Obj;
  /** The kernel's vCPU n. */
  kv(n: number): KvmVcpu;
}

/**
 * Boot an arm64 host and a guest.
 *
 * @example
 * ```ts
 * // const t = bootArm({ vhe: "off", timerSave: "legacy", vcpus: 2 });
 * ```
 */
export function bootArm(o: {
  vhe?: string;
  timerSave?: string;
  vcpus?: number;
  cpus?: number;
  irqchip?: string;
  profile?: string;
  start?: boolean;
} = {}): ArmTest {
  const props = new Map<string, Value[]>([["arch", ["arm64"]]]);
  if (o.vhe) props.set("vhe", [o.vhe]);
  if (o.timerSave) props.set("timer-save", [o.timerSave]);
  if (o.cpus) props.set("cpus", [BigInt(o.cpus)]);
  if (o.irqchip) props.set("kernel-irqchip", [o.irqchip]);
  if (o.profile) props.set("kernel", [o.profile]);
  const kernel = new Kernel(hostConfig("h", props));
  const vmm = new Vmm(kernel);
  const gp = new Map<string, Value[]>([["vcpus", [BigInt(o.vcpus ?? 1)]]]);
  if (o.start === false) gp.set("start", [false]);
  decls.get("guest")!.instantiate(vmm, { keyword: "guest", name: "vm1", props: gp });
  const ctx = { vmm, kernel, print: () => {} };
  return {
    kernel,
    vmm,
    b: (name, ...args) => builtins.get(name)!.call(ctx, args, new Map()),
    c: (name) => {
      const v = uapi.constants.get(name);
      if (v === undefined) throw new Error(`no constant ${name}`);
      return v;
    },
    cpu: (n) => vmm.objects.get(`vm1.cpu${n}`)! as Obj,
    kv: (n) => vmm.kvmVcpu(vmm.objects.get(`vm1.cpu${n}`)!.impl as VmmVcpu),
  };
}
