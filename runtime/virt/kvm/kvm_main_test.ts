// Tests of the generic KVM core: each names the rule and where it comes from.
import assert from "node:assert/strict";
import "../../modules.ts";
import { Kernel } from "../../kernel/kernel.ts";
import { hostConfig } from "../../vmm/host.ts";
import { Vmm } from "../../vmm/vmm.ts";
import {
  KVM_CAP,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_DEVICE,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_ENABLE_CAP,
  KVM_GET_API_VERSION,
  KVM_GET_ONE_REG,
  KVM_GET_VCPU_MMAP_SIZE,
  KVM_RUN,
  KVM_SET_ONE_REG,
  KVM_SET_USER_MEMORY_REGION,
} from "../../include/uapi/linux/kvm.ts";
import { ioctlNumber } from "../../kernel/uapi.ts";
import {
  EEXIST,
  EINVAL,
  EIO,
  ENODEV,
  ENOENT,
  ENOEXEC,
  ENOTTY,
} from "../../include/uapi/asm-generic/errno.ts";
import {
  ARM64_CORE_REG,
  KVM_ARM_TARGET_GENERIC_V8,
  KVM_ARM_VCPU_INIT,
} from "../../arch/arm64/include/uapi/asm/kvm.ts";
import { SYSCALL_UNFINISHED } from "../../kernel/kernel.ts";
import { region } from "./test_util.ts";

const SRC = "kvm-nested-timer.md §A";

function boot(arch: "ppc64le" | "arm64" = "ppc64le", kernel: "seed" | "mainline" = "seed") {
  const k = new Kernel(hostConfig("h", new Map([["arch", [arch]], ["kernel", [kernel]]])));
  const vmm = new Vmm(k);
  const kvm = vmm.open("/dev/kvm");
  return { k, vmm, kvm };
}

function vmWithRam(arch: "ppc64le" | "arm64" = "ppc64le") {
  const b = boot(arch);
  const vm = b.vmm.ioctl(b.kvm, KVM_CREATE_VM, 0n).ret;
  const ram = b.vmm.mmapAnon(16 * 65536);
  return { ...b, vm, ram };
}

Deno.test(`ioctl numbers: generic vs powerpc encoding of the KVM table (${SRC}.1)`, () => {
  const cases: [typeof KVM_RUN, number, number][] = [
    [KVM_GET_API_VERSION, 0xAE00, 0x2000AE00],
    [KVM_CREATE_VM, 0xAE01, 0x2000AE01],
    [KVM_SET_USER_MEMORY_REGION, 0x4020AE46, 0x8020AE46],
    [KVM_ENABLE_CAP, 0x4068AEA3, 0x8068AEA3],
    [KVM_GET_ONE_REG, 0x4010AEAB, 0x8010AEAB],
    [KVM_CREATE_DEVICE, 0xC00CAEE0, 0xC00CAEE0],
    [KVM_RUN, 0xAE80, 0x2000AE80],
  ];
  for (const [d, gen, ppc] of cases) {
    assert.equal(ioctlNumber(d, "arm64"), gen, d.name);
    assert.equal(ioctlNumber(d, "ppc64le"), ppc, d.name);
  }
});

Deno.test(`KVM_GET_API_VERSION returns 12; a non-zero arg → EINVAL (${SRC}.2; kvm_main.c kvm_dev_ioctl)`, () => {
  const { vmm, kvm } = boot();
  assert.equal(vmm.ioctl(kvm, KVM_GET_API_VERSION, 0n).ret, 12);
  assert.equal(vmm.ioctl(kvm, KVM_GET_API_VERSION, 1n).ret, -EINVAL);
});

Deno.test(`KVM_GET_VCPU_MMAP_SIZE: arg must be 0; size is whole pages (${SRC}.2)`, () => {
  const { vmm, kvm } = boot("arm64");
  assert.equal(vmm.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0n).ret, 2 * 4096);
  assert.equal(vmm.ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 5n).ret, -EINVAL);
});

Deno.test(`KVM_CREATE_VM on arm64: mainline takes the IPA size in the type (outside 32..limit → EINVAL; 0 = default); the seed era (v4.15) wants type 0 and has no KVM_CAP_ARM_VM_IPA_SIZE (${SRC}.2; arm.c kvm_arch_init_vm)`, () => {
  const { vmm, kvm } = boot("arm64", "mainline");
  assert.ok(vmm.ioctl(kvm, KVM_CREATE_VM, 0n).ret >= 0);
  assert.ok(vmm.ioctl(kvm, KVM_CREATE_VM, 40n).ret >= 0);
  assert.equal(vmm.ioctl(kvm, KVM_CREATE_VM, 20n).ret, -EINVAL);
  assert.equal(vmm.ioctl(kvm, KVM_CREATE_VM, 52n).ret, -EINVAL);
  assert.equal(vmm.ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_ARM_VM_IPA_SIZE).ret, 48);
  const seed = boot("arm64", "seed");
  assert.ok(seed.vmm.ioctl(seed.kvm, KVM_CREATE_VM, 0n).ret >= 0);
  assert.equal(seed.vmm.ioctl(seed.kvm, KVM_CREATE_VM, 40n).ret, -EINVAL);
  assert.equal(
    seed.vmm.ioctl(seed.kvm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_ARM_VM_IPA_SIZE).ret,
    0,
  );
});

Deno.test(`KVM_CHECK_EXTENSION: per-arch answers; unknown cap → 0 (${SRC}.2–3)`, () => {
  const p = boot("ppc64le"), a = boot("arm64");
  assert.equal(p.vmm.ioctl(p.kvm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_USER_MEMORY).ret, 1);
  assert.equal(p.vmm.ioctl(p.kvm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_NR_MEMSLOTS).ret, 512);
  assert.equal(p.vmm.ioctl(p.kvm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL).ret, 1);
  assert.equal(a.vmm.ioctl(a.kvm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL).ret, 0);
  assert.equal(p.vmm.ioctl(p.kvm, KVM_CHECK_EXTENSION, 99999n).ret, 0);
});

Deno.test(`KVM_CREATE_VCPU: duplicate id → EEXIST; id ≥ KVM_MAX_VCPU_IDS → EINVAL (${SRC}.4)`, () => {
  const { vmm, vm } = vmWithRam();
  assert.ok(vmm.ioctl(vm, KVM_CREATE_VCPU, 0n).ret >= 0);
  assert.equal(vmm.ioctl(vm, KVM_CREATE_VCPU, 0n).ret, -EEXIST);
  assert.equal(vmm.ioctl(vm, KVM_CREATE_VCPU, 1n << 20n).ret, -EINVAL);
});

Deno.test(`KVM_SET_USER_MEMORY_REGION: alignment and accessibility → EINVAL (${SRC}.5 steps 1–3)`, () => {
  const { vmm, vm, ram } = vmWithRam();
  const PS = 65536;
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, PS + 1, ram)).ret,
    -EINVAL,
    "size",
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 4096, PS, ram)).ret,
    -EINVAL,
    "gpa",
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, PS, ram + 4096)).ret,
    -EINVAL,
    "hva",
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, PS, 2 ** 52)).ret,
    -EINVAL,
    "hva beyond TASK_SIZE_USER64 (access_ok)",
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(512, 0, PS, ram)).ret,
    -EINVAL,
    "slot id",
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, PS, ram, 4)).ret,
    -EINVAL,
    "flags",
  );
  assert.equal(vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, PS, ram)).ret, 0);
});

Deno.test(`KVM_SET_USER_MEMORY_REGION: overlap → EEXIST; delete of a missing slot → EINVAL; modify rules (${SRC}.5 steps 4–7)`, () => {
  const { vmm, vm, ram } = vmWithRam();
  const PS = 65536;
  assert.equal(vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, 4 * PS, ram)).ret, 0);
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(1, 2 * PS, 4 * PS, ram + 4 * PS)).ret,
    -EEXIST,
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(1, 4 * PS, 4 * PS, ram + 4 * PS)).ret,
    0,
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(5, 0, 0, 0)).ret,
    -EINVAL,
    "delete missing",
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, 2 * PS, ram)).ret,
    -EINVAL,
    "size change",
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, 4 * PS, ram)).ret,
    0,
    "identical is a no-op",
  );
  assert.equal(
    vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 8 * PS, 4 * PS, ram)).ret,
    0,
    "move",
  );
  assert.equal(vmm.ioctl(vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, 0, 0)).ret, 0, "delete");
});

Deno.test(`VM ioctls from another process's mm → EIO (kvm_main.c kvm_vm_ioctl: kvm->mm != current->mm)`, () => {
  const { k, vmm, vm } = vmWithRam();
  const other = k.spawn("intruder", 1000);
  const f = vmm.proc.fget(vm);
  const fd = other.installFd(f.get());
  assert.equal(k.ioctl(other, fd, ioctlNumber(KVM_CHECK_EXTENSION, k.arch), 3n), -EIO);
});

Deno.test(`KVM_CREATE_DEVICE: unknown type → ENODEV (${SRC}.7)`, () => {
  const { vmm, vm } = vmWithRam();
  assert.equal(vmm.ioctl(vm, KVM_CREATE_DEVICE, { type: 77n }).ret, -ENODEV);
});

Deno.test(`KVM_ENABLE_CAP: unknown cap or flags ≠ 0 → EINVAL (${SRC}.7)`, () => {
  const { vmm, vm } = vmWithRam();
  assert.equal(vmm.ioctl(vm, KVM_ENABLE_CAP, { cap: 12345n }).ret, -EINVAL);
  assert.equal(
    vmm.ioctl(vm, KVM_ENABLE_CAP, { cap: KVM_CAP.KVM_CAP_PPC_ENABLE_HCALL, flags: 1n }).ret,
    -EINVAL,
  );
});

Deno.test(`KVM_GET/SET_ONE_REG: arm64 core regs round-trip; unknown id → ENOENT (${SRC}.7; api.rst §4.68)`, () => {
  const { vmm, vm } = vmWithRam("arm64");
  const cpu = vmm.ioctl(vm, KVM_CREATE_VCPU, 0n).ret;
  assert.equal(vmm.ioctl(cpu, KVM_ARM_VCPU_INIT, { target: KVM_ARM_TARGET_GENERIC_V8 }).ret, 0);
  const buf = vmm.mmapAnon(4096);
  vmm.proc.mm.write(buf, new Uint8Array([0x34, 0x12, 0, 0, 0, 0, 0, 0]));
  assert.equal(
    vmm.ioctl(cpu, KVM_SET_ONE_REG, { id: ARM64_CORE_REG(2), addr: BigInt(buf) }).ret,
    0,
  );
  vmm.proc.mm.write(buf, new Uint8Array(8));
  assert.equal(
    vmm.ioctl(cpu, KVM_GET_ONE_REG, { id: ARM64_CORE_REG(2), addr: BigInt(buf + 8) }).ret,
    0,
  );
  assert.deepEqual([...vmm.proc.mm.read(buf + 8, 2)], [0x34, 0x12]);
  assert.equal(
    vmm.ioctl(cpu, KVM_GET_ONE_REG, { id: 0x6030_0000_0099_0000n, addr: BigInt(buf) }).ret,
    -ENOENT,
  );
});

Deno.test(`KVM_RUN on arm64 before KVM_ARM_VCPU_INIT → ENOEXEC (${SRC}.6)`, () => {
  const { vmm, vm } = vmWithRam("arm64");
  const cpu = vmm.ioctl(vm, KVM_CREATE_VCPU, 0n).ret;
  assert.equal(vmm.ioctl(cpu, KVM_RUN, 0n).ret, -ENOEXEC);
});

Deno.test(`KVM_RUN on ppc stays in the guest (thread blocked) until an exit needs userspace (${SRC}.6)`, () => {
  const { vmm, vm } = vmWithRam();
  const cpu = vmm.ioctl(vm, KVM_CREATE_VCPU, 0n).ret;
  assert.equal(vmm.ioctl(cpu, KVM_RUN, 0n).ret, SYSCALL_UNFINISHED);
});

Deno.test(`unknown ioctl on a VM fd: kvm_arch_vm_ioctl's default — ENOTTY on Book3S HV, EINVAL on arm64 (book3s_hv.c kvm_arch_vm_ioctl_hv; arm64 arm.c kvm_arch_vm_ioctl)`, () => {
  const ppc = vmWithRam("ppc64le");
  assert.equal(ppc.k.ioctl(ppc.vmm.proc, ppc.vm, 0x1234, 0n), -ENOTTY);
  const arm = vmWithRam("arm64");
  assert.equal(arm.k.ioctl(arm.vmm.proc, arm.vm, 0x1234, 0n), -EINVAL);
});

Deno.test(`unknown ioctl on a vCPU fd → EINVAL on every arch (kvm_main.c kvm_vcpu_ioctl _IOC_TYPE check; kvm_arch_vcpu_ioctl default in powerpc.c and arm.c)`, () => {
  for (const arch of ["ppc64le", "arm64"] as const) {
    const { k, vmm, vm } = vmWithRam(arch);
    const cpu = vmm.ioctl(vm, KVM_CREATE_VCPU, 0n).ret;
    assert.equal(k.ioctl(vmm.proc, cpu, 0x1234, 0n), -EINVAL, `${arch}: not KVMIO`);
    assert.equal(k.ioctl(vmm.proc, cpu, 0xaeff, 0n), -EINVAL, `${arch}: KVMIO, unknown nr`);
  }
});

Deno.test(`KVM_CAP_NR_VCPUS follows the host's online CPUs (${SRC}.3; arm.c/powerpc.c kvm_vm_ioctl_check_extension)`, () => {
  for (const arch of ["ppc64le", "arm64"] as const) {
    const k = new Kernel(hostConfig("h", new Map([["arch", [arch]], ["cpus", [16n]]])));
    const vmm = new Vmm(k);
    const kvm = vmm.open("/dev/kvm");
    assert.equal(vmm.ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_NR_VCPUS).ret, 16, arch);
  }
});
