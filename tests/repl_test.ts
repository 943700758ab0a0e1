/**
 * End-to-end tests of the REPL (cli/repl.ts) with piped stdin, plus its tab
 * completion wrapper (cli/completer.ts) against a real session.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { Session } from "../dsl/interp/session.ts";
import { completeLine } from "../cli/completer.ts";

const MAIN = fileURLToPath(new URL("../cli/main.ts", import.meta.url));

async function repl(input: string, args: string[] = [], cwd?: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "repl", ...args],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
    ...(cwd ? { cwd } : {}),
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(input));
  await w.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

Deno.test("repl (piped stdin): no prompts; KVM_GET_API_VERSION answers 12 (KVM_API_VERSION, include/uapi/linux/kvm.h)", async () => {
  const r = await repl("guest vm1 { vcpus 1 }\nioctl vmm:/dev/kvm KVM_GET_API_VERSION()\n");
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.ok(!r.stdout.includes("vmtopo> "), "no prompt when stdin is not a terminal");
  assert.match(r.stdout, /^= 12$/m);
});

Deno.test("repl: a bad statement prints a diagnostic and the session goes on (DESIGN principle 5)", async () => {
  const r = await repl(
    "guest vm1 { vcpus 1 }\nioctl vm9 KVM_GET_API_VERSION()\nioctl vmm:/dev/kvm KVM_GET_API_VERSION()\n",
  );
  assert.match(r.stdout, /unknown name `vm9`/);
  assert.match(r.stdout, /--> <repl#2>:1:7/);
  const after = r.stdout.slice(r.stdout.indexOf("unknown name"));
  assert.match(after, /^= 12$/m, "the next statement still runs");
  assert.equal(r.code, 1, "piped input with a failed entry exits 1, like a script");
});

Deno.test("repl: `help KVM_CREATE_VM` prints its uapi doc (number, fd, source)", async () => {
  const r = await repl("help KVM_CREATE_VM\n");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^KVM_CREATE_VM\b/m);
  assert.match(r.stdout, /_IO\(0xAE, 0x1\)/);
  assert.match(r.stdout, /include\/uapi\/linux\/kvm\.h/);
});

Deno.test("repl: an entry with an open brace continues on the next lines and runs once complete", async () => {
  const r = await repl("for i in 0..3 {\n  i * 2\n}\n");
  assert.equal(r.code, 0, r.stdout);
  assert.deepEqual(r.stdout.trim().split("\n"), ["0", "2", "4"]);
});

Deno.test("repl: `:trace on` shows strace-style lines, `:trace off` hides them again", async () => {
  const r = await repl(
    "guest vm1 { vcpus 1 }\n:trace on\nioctl vmm:/dev/kvm KVM_GET_API_VERSION()\n:trace off\nioctl vmm:/dev/kvm KVM_GET_API_VERSION()\n",
  );
  assert.equal(r.code, 0);
  const traced = r.stdout.split("\n").filter((l) =>
    /^ioctl\(\d+<\/dev\/kvm>, KVM_GET_API_VERSION, 0\) = 12$/.test(l)
  );
  assert.equal(traced.length, 1);
  assert.match(r.stdout, /^trace on$/m);
  assert.match(r.stdout, /^trace off$/m);
});

Deno.test("repl: `save FILE` writes a replayable script; `repl FILE` runs it first and restores the session", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vmtopo_repl_" });
  const r = await repl(
    "guest vm1 { vcpus 1 }\nlet v = ioctl vmm:/dev/kvm KVM_GET_API_VERSION()\nsave s.vmt\n",
    [],
    dir,
  );
  assert.equal(r.code, 0, r.stdout);
  assert.match(r.stdout, /^saved \d+ lines? to s\.vmt$/m);
  const saved = await Deno.readTextFile(join(dir, "s.vmt"));
  assert.match(saved, /guest vm1/);
  const again = await repl("v\n", ["s.vmt"], dir);
  assert.match(again.stdout, /^12$/m, "the saved session is restored by `repl FILE`");
});

Deno.test("repl: `:quit` stops reading input; a missing FILE is `vmtopo: error:` exit 2", async () => {
  const r = await repl("1 + 1\n:quit\n2 + 2\n");
  assert.equal(r.code, 0);
  assert.match(r.stdout, /^2$/m);
  assert.ok(!/^4$/m.test(r.stdout));
  const missing = await repl("", ["no-such-file.vmt"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /vmtopo: error: cannot read no-such-file\.vmt/);
});

Deno.test("completion: ioctl names after a target, declared names after `ioctl`, REPL commands after `:`", () => {
  const s = new Session({ echo: true });
  assert.ok(s.run("guest vm1 { vcpus 1 }", "<repl>").ok);
  const [ioctls, word] = completeLine(s, "ioctl vmm:/dev/kvm KVM_GET_API");
  assert.equal(word, "KVM_GET_API");
  assert.deepEqual(ioctls, ["KVM_GET_API_VERSION"]);
  const [names] = completeLine(s, "ioctl vm");
  assert.ok(names.includes("vm1") && names.includes("vmm"), names.join(","));
  assert.deepEqual(completeLine(s, ":tr"), [[":trace"], ":tr"]);
  assert.deepEqual(completeLine(s, ":trace of"), [["off"], "of"]);
  const [topics, w2] = completeLine(s, "help KVM_CREATE_V");
  assert.equal(w2, "KVM_CREATE_V");
  assert.deepEqual(topics, ["KVM_CREATE_VCPU", "KVM_CREATE_VM"]);
});
