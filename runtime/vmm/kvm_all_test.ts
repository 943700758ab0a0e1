// Tests of the VMM's guest bring-up (QEMU's accel/kvm/kvm-all.c twin).
import assert from "node:assert/strict";
import "../modules.ts";
import { Kernel } from "../kernel/kernel.ts";
import { hostConfig } from "./host.ts";
import { decls, VmmError } from "./registry.ts";
import type { Value } from "./value.ts";
import { Vmm } from "./vmm.ts";

function host(arch: "ppc64le" | "arm64") {
  const k = new Kernel(hostConfig("h", new Map<string, Value[]>([["arch", [arch]]])));
  return { k, vmm: new Vmm(k) };
}

function declareGuest(vmm: Vmm, vcpus: bigint): void {
  decls.get("guest")!.instantiate(vmm, {
    keyword: "guest",
    name: "vm1",
    props: new Map<string, Value[]>([["vcpus", [vcpus]], ["memory", [64n << 20n]]]),
  });
}

Deno.test("guest bring-up checks KVM_CAP_NR_VCPUS and KVM_CAP_MAX_VCPUS after KVM_CREATE_VM, as QEMU kvm_init does (kvm-nested-timer.md A.4; qemu accel/kvm/kvm-all.c)", () => {
  const { k, vmm } = host("arm64");
  k.trace.enabled = true;
  declareGuest(vmm, 2n);
  const lines = k.trace.drain();
  const at = (s: string) => lines.findIndex((l) => l.includes(s));
  assert.ok(at("KVM_CREATE_VM") >= 0);
  assert.ok(at("KVM_CAP_NR_VCPUS") > at("KVM_CREATE_VM"));
  assert.ok(at("KVM_CAP_MAX_VCPUS") > at("KVM_CAP_NR_VCPUS"));
  assert.ok(at("KVM_CREATE_VCPU") > at("KVM_CAP_MAX_VCPUS"));
});

Deno.test("more vCPUs than KVM_CAP_MAX_VCPUS: the VMM refuses before any KVM_CREATE_VCPU (QEMU: 'exceeds the maximum cpus supported by KVM')", () => {
  const { k, vmm } = host("ppc64le");
  k.trace.enabled = true;
  assert.throws(() => declareGuest(vmm, 1n << 40n), (e: unknown) => {
    assert.ok(e instanceof VmmError);
    assert.match(e.message, /exceeds the maximum cpus supported by KVM \(2048\)/);
    return true;
  });
  assert.ok(!k.trace.drain().some((l) => l.includes("KVM_CREATE_VCPU")));
});
