import assert from "node:assert/strict";
import { evalEntry, replCommand, type ReplSession } from "./repl_commands.ts";

function session(over: Partial<ReplSession> = {}): ReplSession & { traceOn: boolean } {
  const s = {
    traceOn: false,
    get trace(): boolean {
      return this.traceOn;
    },
    setTrace(on: boolean) {
      this.traceOn = on;
    },
    script: () => "guest vm1 { vcpus 1 }\nlet x = 1\n",
    help: (t?: string) => `HELP ${t ?? ""}`.trim(),
    run: (t: string) => ({ lines: [`ran ${t}`], ok: true, diagnostics: [], passed: 0, failed: 0 }),
    ...over,
  };
  return s;
}

Deno.test("replCommand recognises help, :trace, save, :quit and leaves statements alone", () => {
  assert.deepEqual(replCommand("help"), { cmd: "help" });
  assert.deepEqual(replCommand("  help H_PUT_TCE "), { cmd: "help", arg: "H_PUT_TCE" });
  assert.deepEqual(replCommand(":trace off"), { cmd: "trace", arg: "off" });
  assert.deepEqual(replCommand('save "my file.vmt"'), { cmd: "save", arg: "my file.vmt" });
  assert.deepEqual(replCommand(":q"), { cmd: "quit" });
  assert.equal(replCommand("helper(1)"), undefined);
  assert.equal(replCommand("let help = 1"), undefined);
});

Deno.test("evalEntry: :trace on|off toggles the session trace and reports it", () => {
  const s = session();
  assert.deepEqual(evalEntry({ session: s, writeFile() {} }, ":trace on").lines, ["trace on"]);
  assert.equal(s.trace, true);
  assert.deepEqual(evalEntry({ session: s, writeFile() {} }, ":trace off").lines, ["trace off"]);
  assert.equal(evalEntry({ session: s, writeFile() {} }, ":trace maybe").ok, false);
});

Deno.test("evalEntry: save FILE writes session.script() and reports the line count", () => {
  const written: [string, string][] = [];
  const out = evalEntry(
    { session: session(), writeFile: (p, t) => void written.push([p, t]) },
    "save s.vmt",
  );
  assert.deepEqual(written, [["s.vmt", "guest vm1 { vcpus 1 }\nlet x = 1\n"]]);
  assert.deepEqual(out.lines, ["saved 2 lines to s.vmt"]);
  const fail = evalEntry({
    session: session(),
    writeFile: () => {
      throw new Error("denied");
    },
  }, "save /x");
  assert.equal(fail.ok, false);
  assert.match(fail.lines[0], /cannot write \/x: denied/);
});

Deno.test("evalEntry: an exception inside the session becomes `internal error:` (the REPL survives)", () => {
  const s = session({
    run: () => {
      throw new TypeError("oops");
    },
  });
  const out = evalEntry({ session: s, writeFile() {} }, "1");
  assert.deepEqual(out.lines, ["internal error: oops"]);
  assert.equal(out.ok, false);
});

Deno.test("evalEntry: statements go to session.run with the <repl> file name; blank entries do nothing", () => {
  const files: string[] = [];
  const s = session({
    run: (t, f) => (files.push(f), { lines: [t], ok: true, diagnostics: [], passed: 0, failed: 0 }),
  });
  assert.deepEqual(evalEntry({ session: s, writeFile() {} }, "1 + 1").lines, ["1 + 1"]);
  assert.deepEqual(evalEntry({ session: s, writeFile() {} }, "   ").lines, []);
  assert.deepEqual(files, ["<repl>"]);
  assert.equal(evalEntry({ session: s, writeFile() {} }, ":quit").quit, true);
});
