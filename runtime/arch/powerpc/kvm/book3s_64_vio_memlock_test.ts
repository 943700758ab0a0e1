import assert from "node:assert/strict";
import { boot } from "../../../drivers/vfio/test_helpers.ts";
import {
  KVM_CREATE_SPAPR_TCE,
  KVM_CREATE_SPAPR_TCE_64,
} from "../include/uapi/asm/kvm_spapr_tce.ts";
import { CAP_IPC_LOCK } from "../../../mm/util.ts";
import { kvmppcSttPages } from "./book3s_64_vio.ts";

const S =
  "arch/powerpc/kvm/book3s_64_vio.c kvm_vm_ioctl_create_spapr_tce: account_locked_vm(kvm->mm, kvmppc_stt_pages(npages)) (2016: kvmppc_account_memlimit on current->mm)";
const ENOMEM = -12, EBUSY = -16;
const PS = 65536n;
const L = 0x8000_0000n;

function limited(profile: "seed" | "mainline", pages: bigint) {
  const t = boot(profile);
  t.vmm.proc.caps.delete(CAP_IPC_LOCK);
  t.vmm.proc.memlock = { cur: pages * PS, max: pages * PS };
  const vmfd = t.guest().vmfd;
  return { t, vmfd, mm: t.vmm.proc.mm };
}

for (const profile of ["seed", "mainline"] as const) {
  const seed = profile === "seed";
  Deno.test(`[${profile}] KVM_CREATE_SPAPR_TCE_64 over RLIMIT_MEMLOCK → ENOMEM, no table; close credits the table's pages back (${S})`, () => {
    // 1 GiB of 4K TCEs: 32 table pages + 1 page of struct and page array = 33.
    assert.equal(kvmppcSttPages(1n << 18n, 65536, seed), 33);
    const { t, vmfd, mm } = limited(profile, 32n);
    const arg = { liobn: L, page_shift: 12n, offset: 0n, size: 1n << 18n };
    assert.equal(t.ioctl(vmfd, KVM_CREATE_SPAPR_TCE_64, arg).ret, ENOMEM);
    assert.equal(mm.lockedVm, 0);
    t.vmm.proc.memlock = { cur: 33n * PS, max: 33n * PS };
    const fd = t.ioctl(vmfd, KVM_CREATE_SPAPR_TCE_64, arg).ret;
    assert.ok(fd >= 0);
    assert.equal(mm.lockedVm, 33);
    assert.equal(t.vmm.close(fd), 0);
    assert.equal(mm.lockedVm, 0);
  });

  Deno.test(`[${profile}] KVM_CREATE_SPAPR_TCE (legacy) is accounted the same way; CAP_IPC_LOCK bypasses the limit (${S})`, () => {
    const { t, vmfd, mm } = limited(profile, 1n);
    assert.equal(
      t.ioctl(vmfd, KVM_CREATE_SPAPR_TCE, { liobn: L, window_size: 1n << 30n }).ret,
      ENOMEM,
    );
    t.vmm.proc.caps.add(CAP_IPC_LOCK);
    assert.ok(t.ioctl(vmfd, KVM_CREATE_SPAPR_TCE, { liobn: L, window_size: 1n << 30n }).ret >= 0);
    assert.equal(mm.lockedVm, 33);
  });

  Deno.test(`[${profile}] duplicate liobn over the limit → ${seed ? "EBUSY (liobn checked before the accounting)" : "ENOMEM (accounting first)"}; within it → EBUSY and credited back (${S})`, () => {
    const { t, vmfd, mm } = limited(profile, 40n);
    const arg = { liobn: L, page_shift: 12n, offset: 0n, size: 1n << 18n };
    assert.ok(t.ioctl(vmfd, KVM_CREATE_SPAPR_TCE_64, arg).ret >= 0);
    assert.equal(t.ioctl(vmfd, KVM_CREATE_SPAPR_TCE_64, arg).ret, seed ? EBUSY : ENOMEM);
    t.vmm.proc.memlock = { cur: 80n * PS, max: 80n * PS };
    assert.equal(t.ioctl(vmfd, KVM_CREATE_SPAPR_TCE_64, arg).ret, EBUSY);
    assert.equal(mm.lockedVm, 33);
  });
}
