// Statement layout rules (statement_layout.ts): one statement per line or `;`,
// a misspelt declaration keyword is one diagnostic, a dropped character is the
// only cause reported for the statement it breaks.
import assert from "node:assert/strict";
import { parse } from "./parser.ts";

const msgs = (src: string) =>
  parse(src, "t.vmt").diagnostics.map((d) =>
    `${d.span.line}:${d.span.col} ${d.message}${d.help ? ` | ${d.help}` : ""}`
  );

Deno.test("layout: two statements on one line without `;` are one VT0003 per line", () => {
  assert.deepEqual(msgs("1 2 3"), [
    "1:3 expected the end of the statement, found `2` | put each statement on its own line, or separate them with `;`",
  ]);
  assert.deepEqual(msgs("let a = 1; let b = 2\nfor i in 0..2 { i; i }"), []);
  assert.deepEqual(msgs("for i in 0..2 { i i }").length, 1);
  assert.deepEqual(msgs("guest a { vcpus 1 } guest b { vcpus 1 }").length, 1);
});

Deno.test("layout: a misspelt declaration keyword is one diagnostic with did-you-mean (issue 2 §2)", () => {
  assert.deepEqual(msgs("gest vm5 { vcpus 1 }"), [
    "1:1 unknown declaration `gest` | did you mean `guest`?",
  ]);
  assert.deepEqual(msgs("grop 12 { container c0 }"), [
    "1:1 unknown declaration `grop` | did you mean `group`?",
  ]);
  assert.deepEqual(msgs("gest vm5 { }\nlet x = 1"), [
    "1:1 unknown declaration `gest` | did you mean `guest`?",
  ]);
});

Deno.test("layout: a character the lexer drops before a statement is its only diagnostic", () => {
  assert.deepEqual(msgs("é = 3"), ["1:1 unexpected character `é`"]);
  assert.deepEqual(msgs("let x = 1\n\u00e9\nlet = 2").length, 2, "a later, separate error stays");
});

Deno.test("layout: `help NAME` / `save FILE` in a script is one diagnostic saying it is a REPL command; `help` as a variable is fine", () => {
  const ds = parse("help KVM_RUN\nsave out.vmt", "t.vmt").diagnostics;
  assert.deepEqual(ds.map((d) => [d.span.line, d.message]), [
    [1, "`help` is a REPL command, not a statement"],
    [2, "`save` is a REPL command, not a statement"],
  ]);
  assert.deepEqual(parse("let help = 3\nhelp == 3\nexpect help == 3", "t.vmt").diagnostics, []);
});
