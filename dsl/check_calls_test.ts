// Call-shape and expected-result rules (check_calls.ts) against the real
// vocabulary: duplicate fields, surplus positional arguments, errno results.
import assert from "node:assert/strict";
import "../stdlib/mod.ts";
import { buildVocabulary } from "../stdlib/vocabulary.ts";
import { check } from "./checker.ts";
import { parse } from "./parser.ts";

function brief(src: string): string[] {
  const { program, diagnostics } = parse(`guest vm1 { vcpus 1 }\n${src}`, "t.vmt");
  assert.deepEqual(diagnostics.map((d) => d.message), []);
  return check(program, buildVocabulary()).map((d) =>
    `${d.code} ${d.message}${d.help ? ` | ${d.help}` : ""}`
  );
}

Deno.test("check_calls: a struct field given twice is VT0114 with the first use labelled", () => {
  for (
    const src of [
      "ioctl vm1 KVM_SET_USER_MEMORY_REGION(slot: 1, slot: 2)",
      "ioctl vm1 KVM_SET_USER_MEMORY_REGION({slot: 1, slot: 2})",
    ]
  ) {
    const { program } = parse(src, "t.vmt");
    const ds = check(program, buildVocabulary()).filter((d) => d.code === "VT0114");
    assert.equal(ds.length, 1, src);
    assert.equal(ds[0]!.message, "field `slot` is given twice");
    assert.equal(ds[0]!.labels[1]!.message, "first given here");
  }
});

Deno.test("check_calls: more positional arguments than the ioctl/hcall/builtin takes is VT0114", () => {
  assert.deepEqual(brief("ioctl vm1 KVM_CREATE_VCPU(1, 2)"), [
    "VT0114 `KVM_CREATE_VCPU` takes 1 argument, found 2 | its parameters: id",
  ]);
  assert.deepEqual(brief("hcall vm1.cpu0 H_PUT_TCE(1, 2, 3, 4)"), [
    "VT0114 `H_PUT_TCE` takes 3 arguments, found 4 | its parameters: liobn, ioba, tce",
  ]);
  assert.equal(brief("let m = mmap(vmm, 4K, 3)").length, 1);
  assert.deepEqual(brief("ioctl vm1 KVM_CREATE_VCPU(1)\nlet m = mmap(vmm, 4K)"), []);
});

Deno.test("check_calls: `=> EBUSY` after an ioctl asks for `-EBUSY`; `=> -EFOO` is an unknown errno with did-you-mean", () => {
  assert.deepEqual(brief("ioctl vm1 KVM_CREATE_VCPU(0) => EEXIST"), [
    "VT0114 an ioctl fails with `-EEXIST`, not `EEXIST` | write `=> -EEXIST`",
  ]);
  assert.deepEqual(brief("ioctl vm1 KVM_CREATE_VCPU(0) => -EEXIS"), [
    "VT0114 unknown errno `EEXIS` | did you mean one of `EEXIST`, `ENXIO`?",
  ]);
  assert.deepEqual(brief("ioctl vm1 KVM_CREATE_VCPU(0) => -EEXIST"), []);
  assert.deepEqual(
    brief("let e = 17\nioctl vm1 KVM_CREATE_VCPU(0) => -e"),
    [],
    "a variable is fine",
  );
});
