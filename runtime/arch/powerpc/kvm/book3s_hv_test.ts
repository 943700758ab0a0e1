// Hypercall dispatch on POWER: in-kernel when registered and enabled, else
// KVM_EXIT_PAPR_HCALL to the VMM, whose r3 the guest sees.
import assert from "node:assert/strict";
import "../../../modules.ts";
import { Kernel } from "../../../kernel/kernel.ts";
import { hostConfig } from "../../../vmm/host.ts";
import { Vmm } from "../../../vmm/vmm.ts";
import { decls } from "../../../vmm/registry.ts";
import { kvmppcGuestHcall, kvmppcRegisterHcall } from "./book3s_hv.ts";
import { H } from "../include/asm/hvcall.ts";
import { KVM_CAP, KVM_ENABLE_CAP } from "../../../include/uapi/linux/kvm.ts";
import { EINVAL } from "../../../include/uapi/asm-generic/errno.ts";

const TEST_HCALL = 0x3f0; // unused opcode, registered below only for this test
kvmppcRegisterHcall(
  TEST_HCALL,
  (_v, args) => (args[0] === 0n ? H.H_TOO_HARD! : H.H_SUCCESS!),
  false,
);

function guest() {
  const k = new Kernel(hostConfig("h", new Map([["arch", ["ppc64le"]]])));
  const vmm = new Vmm(k);
  decls.get("guest")!.instantiate(vmm, {
    keyword: "guest",
    name: "vm1",
    props: new Map([["memory", [1n << 24n]]]),
  });
  const g = vmm.guests.get("vm1")!;
  return { k, vmm, g, vcpu: vmm.kvmVcpu(g.vcpus[0]!) };
}

Deno.test("an hcall with no in-kernel handler exits as KVM_EXIT_PAPR_HCALL; QEMU answers H_FUNCTION for one it lacks (kvm-nested-timer.md §A.6; qemu spapr_hcall.c)", () => {
  const { vcpu, g } = guest();
  const out = kvmppcGuestHcall(vcpu, 0x3f4, [1n]);
  assert.equal(out.where, "user");
  assert.equal(out.ret, H.H_FUNCTION);
  assert.equal(vcpu.stat.exits.get("KVM_EXIT_PAPR_HCALL"), 1);
  assert.equal(g.vcpus[0]!.handled.get("KVM_EXIT_PAPR_HCALL"), 1);
  assert.ok(vcpu.inGuest, "the VMM re-entered KVM_RUN");
});

Deno.test("a registered hcall runs in-kernel only after KVM_ENABLE_CAP(KVM_CAP_PPC_ENABLE_HCALL) when not default-on (spapr-tce-vfio-sva.md §1.4; api.rst §7.1)", () => {
  const { vmm, g, vcpu } = guest();
  assert.equal(kvmppcGuestHcall(vcpu, TEST_HCALL, [1n]).where, "user");
  const r = vmm.ioctl(g.vmfd, KVM_ENABLE_CAP, {
    cap: KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL,
    args: [BigInt(TEST_HCALL), 1n],
  });
  assert.equal(r.ret, 0);
  const out = kvmppcGuestHcall(vcpu, TEST_HCALL, [1n]);
  assert.equal(out.where, "kernel");
  assert.equal(out.ret, H.H_SUCCESS);
});

Deno.test("H_TOO_HARD from an in-kernel handler is never seen by the guest: the hcall goes to the VMM (spapr-tce-vfio-sva.md §1.2)", () => {
  const { vmm, g, vcpu } = guest();
  vmm.ioctl(g.vmfd, KVM_ENABLE_CAP, {
    cap: KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL,
    args: [BigInt(TEST_HCALL), 1n],
  });
  const out = kvmppcGuestHcall(vcpu, TEST_HCALL, [0n]);
  assert.equal(out.where, "user");
  assert.notEqual(out.ret, H.H_TOO_HARD);
});

Deno.test("KVM_CAP_PPC_ENABLE_HCALL for an hcall without in-kernel implementation → EINVAL (api.rst §7.1)", () => {
  const { vmm, g } = guest();
  assert.equal(
    vmm.ioctl(g.vmfd, KVM_ENABLE_CAP, { cap: KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL, args: [0x3f8n, 1n] })
      .ret,
    -EINVAL,
  );
});
