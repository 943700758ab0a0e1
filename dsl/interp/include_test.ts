// Includes (include.ts + session): resolved from the including file, cycles
// reported as cycles, and a replay after a failure re-reads them from the
// same place (DESIGN.md principle 5).
import assert from "node:assert/strict";
import { readInclude } from "../../cli/io.ts";
import { includeTarget } from "./include.ts";
import { Session } from "./session.ts";

function tree(files: Record<string, string>): string {
  const dir = Deno.makeTempDirSync({ prefix: "vmtopo-include-" });
  for (const [p, t] of Object.entries(files)) {
    const full = `${dir}/${p}`;
    Deno.mkdirSync(full.slice(0, full.lastIndexOf("/")), { recursive: true });
    Deno.writeTextFileSync(full, t);
  }
  return dir;
}

Deno.test("include: a nested include resolves from the included file's own directory", () => {
  const dir = tree({ "sub/a.vmt": 'include "b.vmt"\n', "sub/b.vmt": "let fromb = 1\n" });
  const s = new Session({ readFile: readInclude });
  const r = s.run('include "sub/a.vmt"\nexpect fromb == 1\n', `${dir}/main.vmt`);
  assert.ok(r.ok, r.lines.join("\n"));
  assert.equal(includeTarget("b.vmt", `${dir}/sub/a.vmt`), `${dir}/sub/b.vmt`);
});

Deno.test("include: a file that includes itself (directly or through another) is an include cycle", () => {
  const dir = tree({
    "self.vmt": 'include "self.vmt"\n',
    "a.vmt": 'include "b.vmt"\n',
    "b.vmt": 'include "a.vmt"\n',
  });
  for (const f of ["self.vmt", "a.vmt"]) {
    const r = new Session({ readFile: readInclude }).run(
      Deno.readTextFileSync(`${dir}/${f}`),
      `${dir}/${f}`,
    );
    assert.equal(r.ok, false);
    assert.equal(r.diagnostics.length, 1);
    assert.match(r.diagnostics[0]!.message, /^include cycle: `.*` is already being included$/);
    assert.match(r.diagnostics[0]!.notes?.[0] ?? "", /include chain: .* → .*/);
  }
});

Deno.test("include: the replay after a failed statement re-reads includes from the original file's directory", () => {
  const dir = tree({ "sub/g.vmt": "let g = 7\n" });
  const s = new Session({ echo: true, readFile: readInclude });
  assert.ok(s.run('include "g.vmt"\nlet v = open vmm /dev/kvm\n', `${dir}/sub/top.vmt`).ok);
  const r = s.run("ioctl vmm:v KVM_CREATE_VCPU(0) => 0", "<repl>"); // issues a syscall, then fails
  assert.equal(r.ok, false);
  assert.doesNotMatch(r.lines.join("\n"), /replay failed|internal error/);
  assert.deepEqual(s.run("g", "<repl>").lines, ["7"]);
});

Deno.test("save: an include in the saved script is rewritten relative to the saved file, so the script replays from anywhere", () => {
  const dir = tree({ "lib/common.vmt": "let fromlib = 7\n" });
  const s = new Session({ readFile: readInclude });
  assert.ok(s.run('include "lib/common.vmt"\nlet x = fromlib', `${dir}/main.vmt`).ok);
  const saved = `${dir}/out/deep/saved.vmt`;
  const text = s.script(saved);
  assert.equal(text, 'include "../../lib/common.vmt"\nlet x = fromlib\n');
  Deno.mkdirSync(`${dir}/out/deep`, { recursive: true });
  Deno.writeTextFileSync(saved, text);
  const again = new Session({ readFile: readInclude });
  const r = again.run(Deno.readTextFileSync(saved) + "expect x == 7\n", saved);
  assert.ok(r.ok, r.lines.join("\n"));
  // Without a destination the history is as typed.
  assert.equal(s.script(), 'include "lib/common.vmt"\nlet x = fromlib\n');
});
