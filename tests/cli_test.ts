/**
 * End-to-end tests of the `vmtopo` command line (cli/main.ts): exit codes and
 * key output of run, check, fmt --check, eval, trace and docs on temp files.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

async function vmtopo(args: string[], cwd?: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    ...(cwd ? { cwd } : {}),
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function tempFiles(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vmtopo_cli_" });
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  return dir;
}

const GOOD = "guest vm1 { vcpus 1 }\n" +
  "ioctl vmm:/dev/kvm KVM_GET_API_VERSION() => 12\n" +
  "let n = ioctl vmm:/dev/kvm KVM_CHECK_EXTENSION(KVM_CAP_NR_VCPUS)\n" +
  "expect n > 0\n";
const BAD = "guest vm1 { vcpus 1 }\nioctl vmm:/dev/kvm KVM_GET_API_VERSION() => 13\n";
const UGLY = "guest   vm1 {vcpus 1}\nlet x=1|2\n";

Deno.test("vmtopo run: PASS with the expectation count and exit 0 when every `=>`/expect holds (KVM_GET_API_VERSION = 12)", async () => {
  const dir = await tempFiles({ "good.vmt": GOOD });
  const r = await vmtopo(["run", "good.vmt"], dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^PASS good\.vmt \(2 expectations\)$/m);
});

Deno.test("vmtopo run: a failing expectation prints its diagnostic and FAIL, exit 1, other files still run", async () => {
  const dir = await tempFiles({ "good.vmt": GOOD, "bad.vmt": BAD });
  const r = await vmtopo(["run", "bad.vmt", "good.vmt"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /expected 13, got 12/);
  assert.match(r.stdout, /^FAIL bad\.vmt/m);
  assert.match(r.stdout, /^PASS good\.vmt/m);
});

Deno.test("vmtopo run --json: one JSON object per file with ok/passed/failed/diagnostics", async () => {
  const dir = await tempFiles({ "good.vmt": GOOD, "bad.vmt": BAD });
  const r = await vmtopo(["run", "--json", "good.vmt", "bad.vmt"], dir);
  assert.equal(r.code, 1);
  const objs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(objs.length, 2);
  assert.deepEqual([objs[0].file, objs[0].ok, objs[0].passed, objs[0].failed], [
    "good.vmt",
    true,
    2,
    0,
  ]);
  assert.equal(objs[1].ok, false);
  assert.equal(objs[1].failed, 1);
  assert.equal(objs[1].diagnostics[0].line, 2);
});

Deno.test("vmtopo run --trace: prints strace-style lines for the ioctls issued", async () => {
  const dir = await tempFiles({ "good.vmt": GOOD });
  const r = await vmtopo(["run", "--trace", "good.vmt"], dir);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^ioctl\(\d+<\/dev\/kvm>, KVM_GET_API_VERSION, 0\) = 12$/m);
});

Deno.test("vmtopo run: a missing file is `vmtopo: error:` with exit 2", async () => {
  const dir = await tempFiles({});
  const r = await vmtopo(["run", "missing.vmt"], dir);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^vmtopo: error: cannot read missing\.vmt: no such file or directory$/m);
});

Deno.test("vmtopo: an unknown command is a usage error, exit 2", async () => {
  const r = await vmtopo(["frobnicate"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /vmtopo: error: unknown command 'frobnicate'/);
});

Deno.test("vmtopo --version prints deno.json's version; --help lists the commands", async () => {
  const denoJson = JSON.parse(await Deno.readTextFile(new URL("../deno.json", import.meta.url)));
  const v = await vmtopo(["--version"]);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), denoJson.version);
  const h = await vmtopo(["--help"]);
  assert.equal(h.code, 0);
  for (const c of ["repl", "run", "check", "eval", "fmt", "trace", "docs"]) {
    assert.match(h.stdout, new RegExp(`^  ${c}\\b`, "m"));
  }
});

Deno.test("vmtopo check: unknown names are reported without running; exit 1 on errors, 0 when clean", async () => {
  const dir = await tempFiles({
    "good.vmt": GOOD,
    "typo.vmt": "guest vm1 { vcpus 1 }\nioctl vm2 KVM_RUN()\n",
  });
  const ok = await vmtopo(["check", "good.vmt"], dir);
  assert.equal(ok.code, 0, ok.stdout);
  assert.match(ok.stdout, /0 errors/);
  const bad = await vmtopo(["check", "typo.vmt"], dir);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /unknown name `vm2`/);
  assert.match(bad.stdout, /--> typo\.vmt:2:7/);
  assert.ok(!/openat|KVM_CREATE_VM/.test(bad.stdout), "check issues no syscalls");
});

Deno.test("vmtopo check --json: one object per file with code, span and did-you-mean; exit 1 on errors", async () => {
  const dir = await tempFiles({
    "good.vmt": GOOD,
    "typo.vmt": "guest vm1 { vcpus 1 }\nioctl vm1 KVM_CREAT_VCPU(1)\n",
  });
  const r = await vmtopo(["check", "--json", "typo.vmt", "good.vmt"], dir);
  assert.equal(r.code, 1);
  const [typo, good] = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(typo.ok, false);
  assert.equal(typo.diagnostics[0].code, "VT0102");
  assert.deepEqual([typo.diagnostics[0].line, typo.diagnostics[0].col], [2, 11]);
  assert.match(typo.diagnostics[0].help, /KVM_CREATE_VCPU/);
  assert.deepEqual(good, { file: "good.vmt", ok: true, diagnostics: [] });
});

Deno.test("vmtopo fmt --check: exit 1 naming the file that would change and leaving it untouched; 0 when canonical", async () => {
  const dir = await tempFiles({ "ugly.vmt": UGLY, "good.vmt": GOOD });
  const r = await vmtopo(["fmt", "--check", "ugly.vmt", "good.vmt"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /would reformat ugly\.vmt/);
  assert.ok(!r.stdout.includes("would reformat good.vmt"));
  assert.equal(await Deno.readTextFile(join(dir, "ugly.vmt")), UGLY);
  const fixed = await vmtopo(["fmt", "ugly.vmt"], dir);
  assert.equal(fixed.code, 0);
  assert.equal(
    await Deno.readTextFile(join(dir, "ugly.vmt")),
    "guest vm1 { vcpus 1 }\nlet x = 1 | 2\n",
  );
  assert.equal((await vmtopo(["fmt", "--check", "ugly.vmt"], dir)).code, 0);
});

Deno.test("vmtopo eval: prints the value of an expression with size suffixes (4K | 1 = 4097)", async () => {
  const r = await vmtopo(["eval", "4K | 1"]);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), "4097");
  const bad = await vmtopo(["eval", "nosuchname + 1"]);
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /nosuchname/);
});

Deno.test("vmtopo eval 'help NAME' answers as the REPL's help does (KVM_RUN's doc and both encodings)", async () => {
  const dir = await tempFiles({});
  const r = await vmtopo(["eval", "help KVM_RUN"], dir);
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^KVM_RUN — /);
  assert.match(r.stdout, /0x2000ae80 \(powerpc\)/);
});

Deno.test("vmtopo trace: prints the VMM's syscall sequence for a guest declaration (open /dev/kvm, KVM_CREATE_VM, KVM_CREATE_VCPU)", async () => {
  const dir = await tempFiles({ "good.vmt": GOOD });
  const r = await vmtopo(["trace", "good.vmt"], dir);
  assert.equal(r.code, 0);
  const lines = r.stdout.trim().split("\n");
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  assert.ok(at(/^openat\(.*"\/dev\/kvm"/) >= 0, r.stdout);
  assert.ok(at(/KVM_CREATE_VM/) > at(/^openat/));
  assert.ok(at(/KVM_CREATE_VCPU/) > at(/KVM_CREATE_VM/));
});

Deno.test("vmtopo docs: a stale transcript fails with a diff, --update fixes it in place", async () => {
  const md = "# t\n\n```vmtopo\nvmtopo> 1 + 1\n3\n```\n";
  const dir = await tempFiles({ "t.md": md });
  const r = await vmtopo(["docs", "t.md"], dir);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^FAIL t\.md:3$/m);
  assert.match(r.stdout, /^-3$/m);
  assert.match(r.stdout, /^\+2$/m);
  const u = await vmtopo(["docs", "--update", "t.md"], dir);
  assert.equal(u.code, 0, u.stdout);
  assert.equal(await Deno.readTextFile(join(dir, "t.md")), md.replace("\n3\n", "\n2\n"));
  assert.equal((await vmtopo(["docs", "t.md"], dir)).code, 0);
});
