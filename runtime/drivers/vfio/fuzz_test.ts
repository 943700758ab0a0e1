/**
 * Property: random sequences of this subsystem's ioctls and TCE hypercalls,
 * with random and edge field values and fds of every kind (container, group,
 * device, VM, vCPU, /dev/kvm, eventfd, TCE table, KVM-VFIO device, closed,
 * negative), never let a JS exception escape the runtime: every call ends in
 * a return value (>= 0 or -errno for ioctls, an H_* code for hcalls).
 * Design rule "a failed statement changes nothing / the session survives
 * every input" (DESIGN.md principle 5) applied to spapr-tce-vfio-sva.md §1–3.
 *
 * @module
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { boot, fdOf, type TestHost, withGroup } from "./test_helpers.ts";
import {
  VFIO_CONTAINER_IOCTLS,
  VFIO_DEVICE_IOCTLS,
  VFIO_GROUP_IOCTLS,
  VFIO_SPAPR_IOCTLS,
  VFIO_TYPE1_IOCTLS,
} from "../../include/uapi/linux/vfio.ts";
import {
  KVM_CREATE_SPAPR_TCE,
  KVM_CREATE_SPAPR_TCE_64,
  kvm_vfio_spapr_tce,
  kvm_vfio_spapr_tce_liobn,
} from "../../arch/powerpc/include/uapi/asm/kvm_spapr_tce.ts";
import {
  KVM_CREATE_DEVICE,
  KVM_ENABLE_CAP,
  KVM_GET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_SET_DEVICE_ATTR,
} from "../../include/uapi/linux/kvm.ts";
import type { IoctlDef } from "../../kernel/uapi.ts";
import { encodeStruct, type StructDef } from "../../kernel/layout.ts";
import { kvmppcGuestHcall } from "../../arch/powerpc/kvm/book3s_hv.ts";
import { int32, kvmVfioDevice, setDeviceAttr } from "../../vmm/vfio.ts";
import { Errno } from "../../kernel/errno.ts";

const DEFS: IoctlDef[] = [
  ...VFIO_CONTAINER_IOCTLS,
  ...VFIO_GROUP_IOCTLS,
  ...VFIO_TYPE1_IOCTLS,
  ...VFIO_SPAPR_IOCTLS,
  ...VFIO_DEVICE_IOCTLS,
  KVM_CREATE_SPAPR_TCE,
  KVM_CREATE_SPAPR_TCE_64,
  KVM_CREATE_DEVICE,
  KVM_SET_DEVICE_ATTR,
  KVM_HAS_DEVICE_ATTR,
  KVM_GET_DEVICE_ATTR,
  KVM_ENABLE_CAP,
];
const HCALLS = [0x1C, 0x20, 0x138, 0x13C];
const U64 = (1n << 64n) - 1n;

/** Edge values first (negative sizes as u64, page shifts 0/63/200, 2^59 DDW base…). */
const edge = fc.constantFrom(
  0n,
  1n,
  3n,
  12n,
  16n,
  24n,
  34n,
  35n,
  63n,
  200n,
  4096n,
  65536n,
  1n << 24n,
  1n << 30n,
  1n << 32n,
  1n << 59n,
  0x8000_0000n,
  0x8000_0001n,
  0x1_8000_0000n,
  1n << 63n,
  U64,
  BigInt.asUintN(64, -4096n),
  BigInt.asUintN(64, -1n),
);
const val = fc.oneof(
  { weight: 3, arbitrary: edge },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: U64 }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 1n << 21n }).map((x) => x << 12n) },
);

type Cmd =
  | {
    k: "ioctl";
    def: number;
    fd: number;
    natural: boolean;
    ram: boolean;
    vals: bigint[];
    str: number;
  }
  | { k: "hcall"; nr: number; args: bigint[] }
  | { k: "attr"; attr: bigint; group: bigint; fd: number; vals: bigint[]; liobn: boolean }
  | { k: "close"; fd: number };

const cmd: fc.Arbitrary<Cmd> = fc.oneof(
  fc.record({
    k: fc.constant("ioctl" as const),
    def: fc.nat(DEFS.length - 1),
    fd: fc.nat(15),
    natural: fc.boolean(),
    ram: fc.boolean(),
    vals: fc.array(val, { minLength: 8, maxLength: 8 }),
    str: fc.nat(3),
  }),
  fc.record({
    k: fc.constant("hcall" as const),
    nr: fc.constantFrom(...HCALLS),
    args: fc.array(val, { minLength: 4, maxLength: 4 }),
  }),
  fc.record({
    k: fc.constant("attr" as const),
    attr: fc.constantFrom(0n, 1n, 2n, 3n, 4n),
    group: fc.constantFrom(0n, 1n, 2n),
    fd: fc.nat(15),
    vals: fc.array(val, { minLength: 4, maxLength: 4 }),
    liobn: fc.boolean(),
  }),
  fc.record({ k: fc.constant("close" as const), fd: fc.nat(15) }),
);

/** Every kind of fd a caller could pass, plus closed and invalid numbers. */
function fdPool(t: TestHost): number[] {
  const g = t.guest();
  const vm = g.vmfd;
  const table = t.vmm.ioctl(vm, KVM_CREATE_SPAPR_TCE_64, {
    liobn: 0x8000_0000n + 7n,
    page_shift: 12n,
    offset: 0n,
    size: 64n,
  }).ret;
  const devs = (t.vmm.objects.get("group12")?.impl as { devices?: { fd: number }[] } | undefined)
    ?.devices ?? [];
  return [
    fdOf(t, "c0"),
    fdOf(t, "group12"),
    devs[0]?.fd ?? 77,
    vm,
    g.vcpus[0]!.fd,
    t.vmm.kvm(),
    t.vmm.eventfd(),
    table,
    kvmVfioDevice(t.vmm, g),
    t.vmm.open("/dev/vfio/vfio"),
    999,
    -1,
    0x7fff_ffff,
    4096,
    3,
    2,
  ];
}

/** Index in fdPool of the fd kind an ioctl is meant for (half the calls use it). */
function naturalFd(def: IoctlDef): number {
  if (VFIO_GROUP_IOCTLS.includes(def)) return 1;
  if (VFIO_DEVICE_IOCTLS.includes(def)) return 2;
  if (def === KVM_SET_DEVICE_ATTR || def === KVM_HAS_DEVICE_ATTR || def === KVM_GET_DEVICE_ATTR) {
    return 8;
  }
  if (def.name.startsWith("KVM_")) return 3;
  return 0;
}

function input(
  def: IoctlDef,
  vals: bigint[],
  str: number,
  fds: number[],
  ram: { hva: number; size: number } | undefined,
) {
  const a = def.arg;
  if (a.kind === "none") return undefined;
  if (a.kind === "value") return vals[0]!;
  if (a.kind === "string") return ["0001:01:00.0", "", "x".repeat(300), "0000:01:00.0"][str]!;
  if (a.kind === "ptr") return BigInt(fds[Number(vals[0]! % BigInt(fds.length))]!);
  if (a.kind === "struct") {
    const rec: Record<string, bigint> = {};
    (a.struct as StructDef).fields.forEach((f, i) => {
      if (typeof f.type !== "string") return; // nested structs / arrays: leave zeroed
      if (f.name === "argsz" && (vals[7]! & 1n) === 0n) return; // marshal fills the real size
      let v = vals[i % vals.length]!;
      // Half the calls point vaddr into guest RAM (page aligned) so MAP/REGISTER get further.
      if (ram && f.name === "vaddr") v = BigInt(ram.hva) + (v % BigInt(ram.size) & ~0xffffn);
      rec[f.name] = BigInt.asUintN(f.size * 8, v);
    });
    return rec;
  }
  return undefined;
}

Deno.test("property: random VFIO / sPAPR TCE / KVM-VFIO ioctl and hcall sequences only ever return errno / H_* codes, never throw (DESIGN.md principle 5; spapr-tce-vfio-sva.md §1–§3)", () => {
  fc.assert(
    fc.property(
      fc.constantFrom("seed", "mainline"),
      fc.boolean(),
      fc.array(cmd, { minLength: 1, maxLength: 14 }),
      (profile, group, cmds) => {
        const t = group ? withGroup(profile) : boot(profile);
        if (!group) t.decl("container", "c0", { iommu: "spapr-tce-v2" });
        if (!group) {
          // A bare group object so the pool has the same shape.
          t.vmm.objects.set("group12", t.vmm.objects.get("c0")!);
        }
        const fds = fdPool(t);
        const vcpu = t.vmm.kvmVcpu(t.guest().vcpus[0]!);
        for (const c of cmds) {
          if (c.k === "ioctl") {
            const def = DEFS[c.def]!;
            const fd = fds[c.natural ? naturalFd(def) : c.fd]!;
            const g = t.guest();
            const ram = c.ram ? { hva: g.ramHva, size: g.ramSize } : undefined;
            const r = t.vmm.ioctl(fd, def, input(def, c.vals, c.str, fds, ram));
            assert.ok(Number.isInteger(r.ret), `${def.name} returned ${r.ret}`);
          } else if (c.k === "hcall") {
            try {
              const r = kvmppcGuestHcall(vcpu, c.nr, c.args);
              assert.equal(typeof r.ret, "bigint");
            } catch (e) {
              // Only the "vCPU not running" Errno of the dispatcher is allowed.
              if (!(e instanceof Errno)) throw e;
            }
          } else if (c.k === "attr") {
            const payload = c.attr === 3n
              ? c.liobn
                ? encodeStruct(kvm_vfio_spapr_tce_liobn, {
                  fd: BigInt.asUintN(32, BigInt(fds[c.fd]!)),
                  liobn: BigInt.asUintN(32, c.vals[0]!),
                  start_addr: c.vals[1]!,
                })
                : encodeStruct(kvm_vfio_spapr_tce, {
                  groupfd: BigInt.asUintN(32, BigInt(fds[c.fd]!)),
                  tablefd: BigInt.asUintN(32, BigInt(fds[Number(c.vals[2]! % 16n)]!)),
                })
              : int32(fds[c.fd]!);
            const r = setDeviceAttr(t.vmm, fds[8]!, c.group, c.attr, payload);
            assert.ok(Number.isInteger(r));
          } else {
            const r = t.k.close(t.vmm.proc, fds[c.fd]!);
            assert.ok(Number.isInteger(r));
          }
        }
      },
    ),
    { seed: 0x5ca1ab1e, numRuns: 200 },
  );
});
