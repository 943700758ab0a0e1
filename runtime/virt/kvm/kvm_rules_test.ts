// KVM core rules checked against the kernel sources (seed era = v5.4-era
// kernel, the default profile; `mainline` where it differs). Each test names
// the rule and the file/function it comes from.
import assert from "node:assert/strict";
import "../../modules.ts";
import { Kernel } from "../../kernel/kernel.ts";
import { hostConfig } from "../../vmm/host.ts";
import { Vmm } from "../../vmm/vmm.ts";
import {
  KVM_CAP,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_GET_ONE_REG,
  KVM_RUN,
  KVM_SET_ONE_REG,
  KVM_SET_USER_MEMORY_REGION,
} from "../../include/uapi/linux/kvm.ts";
import { EFAULT, EINVAL, ENOENT, ENOEXEC } from "../../include/uapi/asm-generic/errno.ts";
import {
  ARM64_CORE_REG,
  KVM_ARM_PREFERRED_TARGET,
  KVM_ARM_TARGET_GENERIC_V8,
  KVM_ARM_VCPU_INIT,
} from "../../arch/arm64/include/uapi/asm/kvm.ts";
import { PPC_ONE_REG } from "../../arch/powerpc/include/uapi/asm/kvm.ts";
import { region } from "./test_util.ts";

type ArchName = "ppc64le" | "arm64";
function vm(arch: ArchName = "ppc64le", profile: "seed" | "mainline" = "seed") {
  const props = new Map<string, unknown[]>([["arch", [arch]], ["kernel", [profile]]]);
  const k = new Kernel(hostConfig("h", props as never));
  const vmm = new Vmm(k);
  const kvm = vmm.open("/dev/kvm");
  const fd = vmm.ioctl(kvm, KVM_CREATE_VM, 0n).ret;
  const ps = k.config.pageSize;
  const ram = vmm.mmapAnon(16 * ps);
  const buf = vmm.mmapAnon(4096);
  return { k, vmm, kvm, vm: fd, ps, ram, buf };
}
function armVcpu(profile: "seed" | "mainline" = "seed", init = true) {
  const t = vm("arm64", profile);
  const cpu = t.vmm.ioctl(t.vm, KVM_CREATE_VCPU, 0n).ret;
  if (init) {
    assert.equal(t.vmm.ioctl(cpu, KVM_ARM_VCPU_INIT, { target: KVM_ARM_TARGET_GENERIC_V8 }).ret, 0);
  }
  return { ...t, cpu };
}
const oneReg = (t: { vmm: Vmm; buf: number }, cpu: number, get: boolean, id: bigint) =>
  t.vmm.ioctl(cpu, get ? KVM_GET_ONE_REG : KVM_SET_ONE_REG, { id, addr: BigInt(t.buf) }).ret;

Deno.test("KVM_USER_MEM_SLOTS is 512 in the seed era, 32767 in mainline (asm/kvm_host.h; 'KVM: Raise the maximum number of user memslots', v5.12)", () => {
  for (const arch of ["ppc64le", "arm64"] as const) {
    const s = vm(arch, "seed"), m = vm(arch, "mainline");
    assert.equal(s.vmm.ioctl(s.vm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_NR_MEMSLOTS).ret, 512);
    assert.equal(m.vmm.ioctl(m.vm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_NR_MEMSLOTS).ret, 32767);
    assert.equal(s.vmm.ioctl(s.vm, KVM_SET_USER_MEMORY_REGION, region(511, 0, s.ps, s.ram)).ret, 0);
    assert.equal(
      s.vmm.ioctl(s.vm, KVM_SET_USER_MEMORY_REGION, region(512, s.ps, s.ps, s.ram + s.ps)).ret,
      -EINVAL,
    );
    assert.equal(m.vmm.ioctl(m.vm, KVM_SET_USER_MEMORY_REGION, region(512, 0, m.ps, m.ram)).ret, 0);
  }
});

Deno.test("KVM_MEM_READONLY is refused on powerpc, accepted on arm64 (kvm_main.c check_memory_region_flags: __KVM_HAVE_READONLY_MEM)", () => {
  const p = vm("ppc64le");
  assert.equal(
    p.vmm.ioctl(p.vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, p.ps, p.ram, 2)).ret,
    -EINVAL,
  );
  const a = vm("arm64");
  assert.equal(a.vmm.ioctl(a.vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, a.ps, a.ram, 2)).ret, 0);
  assert.equal(
    a.vmm.ioctl(a.vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, a.ps, a.ram, 0)).ret,
    -EINVAL,
    "a modify may not flip READONLY (__kvm_set_memory_region)",
  );
  assert.equal(
    a.vmm.ioctl(a.vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, a.ps, a.ram, 3)).ret,
    0,
    "flags-only: LOG_DIRTY_PAGES",
  );
});

Deno.test("KVM_SET_USER_MEMORY_REGION: access_ok checks the range against the user address limit, not that it is mapped (kvm_main.c __kvm_set_memory_region; asm/uaccess.h)", () => {
  const p = vm("ppc64le");
  assert.equal(
    p.vmm.ioctl(p.vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, p.ps, 0x1000_0000)).ret,
    0,
  );
  const a = vm("arm64");
  assert.equal(
    a.vmm.ioctl(a.vm, KVM_SET_USER_MEMORY_REGION, region(0, 0, a.ps, 2 ** 48 - a.ps)).ret,
    0,
  );
  assert.equal(
    a.vmm.ioctl(a.vm, KVM_SET_USER_MEMORY_REGION, region(1, a.ps, a.ps, 2 ** 48)).ret,
    -EINVAL,
  );
});

Deno.test("arm64: a memslot beyond the IPA space → EFAULT; the seed era's check is `>=` (one page short), v5.11+ `>` (mmu.c kvm_arch_prepare_memory_region)", () => {
  for (const [profile, want] of [["seed", -EFAULT], ["mainline", 0]] as const) {
    const t = vm("arm64", profile);
    const top = 2 ** 40; // default IPA size (KVM_PHYS_SHIFT 40)
    assert.equal(
      t.vmm.ioctl(t.vm, KVM_SET_USER_MEMORY_REGION, region(0, top - t.ps, t.ps, t.ram)).ret,
      want,
      profile,
    );
    assert.equal(
      t.vmm.ioctl(t.vm, KVM_SET_USER_MEMORY_REGION, region(1, top, t.ps, t.ram + t.ps)).ret,
      -EFAULT,
      profile,
    );
  }
});

Deno.test("KVM_CREATE_VCPU: the id is a u32 (kvm_vm_ioctl_create_vcpu(kvm, u32 id)); Book3S HV: id/smt_mode ≥ KVM_MAX_VCORES → EINVAL, KVM_CAP_MAX_VCPU_ID = MAX_SMT_THREADS × NR_CPUS (book3s_hv.c kvmppc_core_vcpu_create_hv; powerpc.c)", () => {
  const t = vm("ppc64le");
  assert.ok(t.vmm.ioctl(t.vm, KVM_CREATE_VCPU, 1n << 32n).ret >= 0, "2^32 is vCPU 0");
  assert.equal(t.vmm.ioctl(t.vm, KVM_CREATE_VCPU, 2048n).ret, -EINVAL);
  assert.equal(t.vmm.ioctl(t.vm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_MAX_VCPU_ID).ret, 16384);
});

Deno.test("KVM_RUN with a non-zero arg → EINVAL (kvm_main.c kvm_vcpu_ioctl: `if (arg) goto out`)", () => {
  const t = vm("ppc64le");
  const cpu = t.vmm.ioctl(t.vm, KVM_CREATE_VCPU, 0n).ret;
  assert.equal(t.vmm.ioctl(cpu, KVM_RUN, 1n).ret, -EINVAL);
});

Deno.test("KVM_CAP_ENABLE_CAP: 1 on powerpc, 0 on arm64 (powerpc.c / arm.c kvm_vm_ioctl_check_extension)", () => {
  const p = vm("ppc64le"), a = vm("arm64");
  assert.equal(p.vmm.ioctl(p.kvm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_ENABLE_CAP).ret, 1);
  assert.equal(a.vmm.ioctl(a.kvm, KVM_CHECK_EXTENSION, KVM_CAP.KVM_CAP_ENABLE_CAP).ret, 0);
});

Deno.test("powerpc ONE_REG: an unknown id → EINVAL, a size over 16 bytes → EINVAL (powerpc.c kvm_vcpu_ioctl_get_one_reg)", () => {
  const t = vm("ppc64le");
  const cpu = t.vmm.ioctl(t.vm, KVM_CREATE_VCPU, 0n).ret;
  assert.equal(oneReg(t, cpu, true, PPC_ONE_REG.KVM_REG_PPC_DAR!), 0);
  assert.equal(oneReg(t, cpu, true, 0x1030_0000_0000_0fffn), -EINVAL);
  assert.equal(oneReg(t, cpu, true, 0x1050_0000_0000_000cn), -EINVAL);
});

Deno.test("arm64 ONE_REG: ENOEXEC before KVM_ARM_VCPU_INIT; non-arm64 id → EINVAL; core offset past kvm_regs → ENOENT; bad offset/size → EINVAL (arm.c kvm_arch_vcpu_ioctl; guest.c kvm_arm_get_reg, get_core_reg, validate_core_offset)", () => {
  const u = armVcpu("seed", false);
  assert.equal(oneReg(u, u.cpu, true, ARM64_CORE_REG(0)), -ENOEXEC);
  const t = armVcpu();
  assert.equal(oneReg(t, t.cpu, true, 0x1030_0000_0000_000cn), -EINVAL, "ppc id");
  assert.equal(oneReg(t, t.cpu, true, ARM64_CORE_REG(216)), -ENOENT, "past kvm_regs");
  assert.equal(oneReg(t, t.cpu, true, ARM64_CORE_REG(1)), -EINVAL, "odd offset");
  assert.equal(oneReg(t, t.cpu, true, 0x6020_0000_0010_0000n), -EINVAL, "x0 as U32");
  assert.equal(oneReg(t, t.cpu, true, ARM64_CORE_REG(68)), 0, "sp_el1");
  assert.equal(oneReg(t, t.cpu, true, 0x6030_0000_0013_0000n), -ENOENT, "unknown sysreg");
});

Deno.test("arm64 ONE_REG: a 128-bit V register round-trips with KVM_REG_SIZE bytes; FPSR is 32-bit (guest.c core_reg_size_from_offset)", () => {
  const t = armVcpu();
  const v0 = 0x6040_0000_0010_0054n;
  const bytes = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
  t.vmm.proc.mm.write(t.buf, bytes);
  assert.equal(oneReg(t, t.cpu, false, v0), 0);
  t.vmm.proc.mm.write(t.buf, new Uint8Array(16));
  assert.equal(oneReg(t, t.cpu, true, v0), 0);
  assert.deepEqual([...t.vmm.proc.mm.read(t.buf, 16)], [...bytes]);
  assert.equal(oneReg(t, t.cpu, true, 0x6020_0000_0010_00d4n), 0, "fpsr U32");
});

Deno.test("arm64 KVM_ARM_VCPU_INIT resets pstate to EL1h with DAIF masked (0x3c5); SET_ONE_REG(pstate) with a bad mode → EINVAL (reset.c default_regs_reset; guest.c set_core_reg)", () => {
  const t = armVcpu();
  const pstate = ARM64_CORE_REG(66);
  assert.equal(oneReg(t, t.cpu, true, pstate), 0);
  assert.deepEqual([...t.vmm.proc.mm.read(t.buf, 2)], [0xc5, 0x03]);
  t.vmm.proc.mm.write(t.buf, new Uint8Array([0x09, 0, 0, 0, 0, 0, 0, 0])); // EL2h
  assert.equal(oneReg(t, t.cpu, false, pstate), -EINVAL);
});

Deno.test("arm64 KVM_ARM_VCPU_INIT: feature bit ≥ KVM_VCPU_MAX_FEATURES (4 in v4.15, 8 on mainline) → ENOENT; re-init with other features → EINVAL; an unsupported feature → EINVAL and the vCPU stays uninitialised (arm.c kvm_vcpu_set_target; reset.c kvm_reset_vcpu)", () => {
  const m = armVcpu("mainline", false);
  const init = (t: typeof m, bit: bigint) =>
    t.vmm.ioctl(t.cpu, KVM_ARM_VCPU_INIT, { target: 5n, features: [1n << bit] }).ret;
  assert.equal(init(m, 8n), -ENOENT, "mainline: bit 8 is unknown");
  assert.equal(init(m, 4n), -EINVAL, "mainline: SVE is known, this host has none");
  const t = armVcpu("seed", false);
  assert.equal(init(t, 4n), -ENOENT, "seed era: SVE's bit is unknown");
  assert.equal(init(t, 1n), -EINVAL, "EL1_32BIT: no AArch32 EL1 here");
  assert.equal(t.vmm.ioctl(t.cpu, KVM_RUN, 0n).ret, -ENOEXEC);
  assert.equal(t.vmm.ioctl(t.cpu, KVM_ARM_VCPU_INIT, { target: 5n, features: [1n << 2n] }).ret, 0);
  assert.equal(t.vmm.ioctl(t.cpu, KVM_ARM_VCPU_INIT, { target: 5n, features: [0n] }).ret, -EINVAL);
  assert.equal(t.vmm.ioctl(t.cpu, KVM_ARM_VCPU_INIT, { target: 5n, features: [1n << 2n] }).ret, 0);
});

Deno.test("arm64 KVM_ARM_PREFERRED_TARGET sets features[0] = 1 << KVM_ARM_VCPU_PSCI_0_2 (arm.c kvm_vcpu_preferred_target)", () => {
  const t = vm("arm64");
  const out = t.vmm.ioctl(t.vm, KVM_ARM_PREFERRED_TARGET).out as {
    target: bigint;
    features: { v: bigint }[];
  };
  assert.equal(out.target, KVM_ARM_TARGET_GENERIC_V8);
  assert.equal(out.features[0]!.v, 4n);
});
