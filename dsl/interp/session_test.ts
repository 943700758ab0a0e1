// Session semantics: failed statements change nothing, runs are deterministic,
// expectations are counted, and no input crashes the session.
import assert from "node:assert/strict";
import fc from "fast-check";
import { Session } from "./session.ts";

const SETUP = "host p9 { arch ppc64le }\nguest vm1 { vcpus 2  memory 256M }\n";
const STATE = "show fds vmm\nshow memslots\nshow exits\nshow syscalls\nshow memory";

function state(s: Session): string {
  return s.run(STATE, "<state>").lines.join("\n");
}

Deno.test("a failed statement leaves the simulated state exactly as it was (DESIGN.md principle 5)", () => {
  const s = new Session({ echo: true });
  assert.ok(s.run(SETUP, "a.vmt").ok);
  const before = state(s);
  // Issues syscalls (a kick, an ioctl, a re-entry) and then fails.
  const r = s.run("let r = ioctl vm1.cpu0 KVM_GET_ONE_REG(id: 0x1234, addr: 0)", "<repl>");
  assert.equal(r.ok, false);
  assert.equal(state(s), before);
  // And the session goes on.
  assert.ok(s.run("ioctl vm1 KVM_CREATE_VCPU(1) => -EEXIST", "<repl>").ok);
});

Deno.test("a failed declaration leaves no half-built object behind", () => {
  const s = new Session({ echo: true });
  assert.ok(s.run(SETUP, "a.vmt").ok);
  const before = state(s);
  assert.equal(s.run("guest vm2 { vcpus 2  memory 100 }", "<repl>").ok, false);
  assert.equal(state(s), before);
  assert.ok(s.run("guest vm2 { vcpus 1 }", "<repl>").ok, "the name is still free");
});

Deno.test("same script, same transcript — trace included (DESIGN.md principle 3)", () => {
  const script = SETUP +
    "let buf = mmap(1M)\nioctl vm1 KVM_SET_USER_MEMORY_REGION(slot: 1, guest_phys_addr: 0x10000000, memory_size: 64K, userspace_addr: buf)\nshow exits\n";
  const a = new Session({ echo: true, trace: true }).run(script, "x.vmt").lines.join("\n");
  const b = new Session({ echo: true, trace: true }).run(script, "x.vmt").lines.join("\n");
  assert.equal(a, b);
  assert.match(a, /KVM_SET_USER_MEMORY_REGION, \{slot=1/);
});

Deno.test("expectations are counted; `=>` mismatches fail the run", () => {
  const s = new Session({ stopOnError: true });
  const r = s.run(
    SETUP +
      "expect 1 + 1 == 2\nioctl vm1 KVM_CREATE_VCPU(0) => -EEXIST\nioctl vm1 KVM_CREATE_VCPU(7) => -EEXIST\n",
    "x.vmt",
  );
  assert.equal(r.passed, 2);
  assert.equal(r.failed, 1);
  assert.equal(r.ok, false);
});

Deno.test("an out-struct comes back as a record whose fields scripts read (KVM_ARM_PREFERRED_TARGET, kvm_vcpu_init)", () => {
  const s = new Session({ echo: true });
  const r = s.run(
    "host a { arch arm64 }\nguest vm1 { vcpus 1 }\nlet t = ioctl vm1 KVM_ARM_PREFERRED_TARGET()\nexpect t.target == KVM_ARM_TARGET_GENERIC_V8\n",
    "x.vmt",
  );
  assert.ok(r.ok, r.lines.join("\n"));
  assert.equal(r.passed, 1);
  assert.equal(s.run("expect t.target == 1", "<e>").ok, false);
});

Deno.test("64-bit exact arithmetic: overflow is an error, not a wrap", () => {
  const s = new Session({ echo: true });
  assert.equal(s.run("let x = 0xffffffffffffffff + 1", "<e>").ok, false);
  assert.ok(
    s.run("let y = 0xffffffffffffffff\nexpect y == ~0\nexpect (1 << 63) >> 63 == 1", "<e>").ok,
  );
});

Deno.test("the session never throws on arbitrary input (fast-check)", () => {
  const s = new Session({ echo: true });
  s.run(SETUP, "a.vmt");
  const words = [
    "guest",
    "ioctl",
    "hcall",
    "vm1",
    "vm1.cpu0",
    "KVM_RUN",
    "KVM_CREATE_VCPU",
    "(",
    ")",
    "{",
    "}",
    "=>",
    "-EINVAL",
    "let",
    "x",
    "=",
    "1",
    "0xffff",
    "<<",
    "show",
    "exits",
    "for",
    "in",
    "..",
    "expect",
    "memread",
    ",",
    "advance",
    "10ms",
    ":",
    "vmm",
    "/dev/kvm",
  ];
  fc.assert(
    fc.property(
      fc.oneof(fc.string(), fc.array(fc.constantFrom(...words)).map((a) => a.join(" "))),
      (text) => {
        const r = s.run(text, "<fuzz>");
        assert.ok(Array.isArray(r.lines));
      },
    ),
    { numRuns: 150 },
  );
  assert.ok(s.run("ioctl vm1 KVM_CREATE_VCPU(0) => -EEXIST", "<after>").ok, "still usable");
});

Deno.test("expect takes a condition: a string, bytes or record is VT0204, not silently true", () => {
  const s = new Session({ echo: true });
  for (const c of ['"x"', 'x"00"', "[1]"]) {
    const r = s.run(`expect ${c}`, "<repl>");
    assert.equal(r.ok, false, c);
    assert.equal(r.diagnostics[0]!.code, "VT0204");
    assert.match(r.diagnostics[0]!.message, /^expect takes a condition, found /);
  }
  assert.ok(s.run("expect 1\nexpect 1 == 1", "<repl>").ok, "integers and booleans are conditions");
});

Deno.test("property: any mix of failing statements leaves fds, memslots, exits and syscall counts as they were (DESIGN.md principle 5)", () => {
  const failing = [
    "guest vm9 { vcpus 5000 }", // fails half-way through its KVM_CREATE_VCPU sequence
    "guest vm9 { vcpus 1  memory 100 }",
    "ioctl vm1 KVM_CREATE_VCPU(0) => 0",
    "ioctl vmm:99 KVM_RUN() => 0",
    "for i in 0..3 { ioctl vm1 KVM_CREATE_VCPU(8) => 0 }", // 1st pass creates vCPU 8, 2nd fails
    "expect 1 == 2",
    'include "/nonexistent.vmt"',
    "advance -1ms",
  ];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...failing), { minLength: 1, maxLength: 4 }), (picks) => {
      const s = new Session({ echo: true });
      s.run(SETUP, "a.vmt");
      const before = state(s);
      for (const p of picks) s.run(p, "<repl>");
      assert.equal(state(s), before);
    }),
    { numRuns: 15 },
  );
});

Deno.test("target `vmm:OBJ` with a declared object says to name the object itself (VT0208)", () => {
  const s = new Session({});
  assert.ok(s.run(SETUP, "a.vmt").ok);
  const r = s.run("ioctl vmm:vm1.cpu0 KVM_RUN()", "<repl>");
  assert.equal(r.ok, false);
  const d = r.diagnostics.at(-1)!;
  assert.equal(d.code, "VT0208");
  assert.equal(d.message, "vcpu `vm1.cpu0` is not an fd number");
  assert.match(d.help ?? "", /`ioctl vm1\.cpu0 …`/);
});
