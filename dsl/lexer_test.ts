import assert from "node:assert/strict";
import { lex } from "./lexer.ts";

const kinds = (src: string) =>
  lex(src, "t.vmt").tokens.map((t) => `${t.tokenType.name}:${t.image}`);

Deno.test("lexer: every literal kind", () => {
  assert.deepEqual(
    kinds('4096 0x1000 0b101 1_000 4K 1G 10ms 5s 7ns 3us "s\\n" x"de ad" /dev/kvm'),
    [
      "DecInt:4096",
      "HexInt:0x1000",
      "BinInt:0b101",
      "DecInt:1_000",
      "DecInt:4K",
      "DecInt:1G",
      "Duration:10ms",
      "Duration:5s",
      "Duration:7ns",
      "Duration:3us",
      'StringLit:"s\\n"',
      'BytesLit:x"de ad"',
      "Path:/dev/kvm",
    ],
  );
});

Deno.test("lexer: MAC vs BDF vs Int vs PROC:FD", () => {
  assert.deepEqual(
    kinds("52:54:00:12:34:56 de:ad:be:ef:00:01 0001:01:00.0 01:00.0 vmm:5 vmm:fd 12"),
    [
      "Mac:52:54:00:12:34:56",
      "Mac:de:ad:be:ef:00:01",
      "Bdf:0001:01:00.0",
      "Bdf:01:00.0",
      "Ident:vmm",
      "Colon::",
      "DecInt:5",
      "Ident:vmm",
      "Colon::",
      "Ident:fd",
      "DecInt:12",
    ],
  );
  // function number 8 is not a BDF
  assert.ok(!kinds("01:00.8").some((k) => k.startsWith("Bdf")));
});

Deno.test("lexer: dashed identifiers, keywords, longer_alt, ranges", () => {
  assert.deepEqual(kinds("vdpa-net spapr-tce-v2 a-b a - b a-1 host-x format in 0..16"), [
    "Ident:vdpa-net",
    "Ident:spapr-tce-v2",
    "Ident:a-b",
    "Ident:a",
    "Minus:-",
    "Ident:b",
    "Ident:a",
    "Minus:-",
    "DecInt:1",
    "Ident:host-x",
    "Ident:format",
    "Kw_in:in",
    "DecInt:0",
    "DotDot:..",
    "DecInt:16",
  ]);
});

Deno.test("lexer: punctuation, longest first", () => {
  assert.deepEqual(
    kinds("{ } ( ) [ ] , : ; . .. => = == != < <= > >= | || & && ^ ~ ! << >> + - *").map((k) =>
      k.split(":")[0]
    ),
    [
      "LCurly",
      "RCurly",
      "LParen",
      "RParen",
      "LBracket",
      "RBracket",
      "Comma",
      "Colon",
      "Semi",
      "Dot",
      "DotDot",
      "Arrow",
      "Eq",
      "EqEq",
      "NotEq",
      "Lt",
      "LtEq",
      "Gt",
      "GtEq",
      "Pipe",
      "OrOr",
      "Amp",
      "AndAnd",
      "Caret",
      "Tilde",
      "Bang",
      "Shl",
      "Shr",
      "Plus",
      "Minus",
      "Star",
    ],
  );
});

Deno.test("lexer: comments are kept, in order, with spans", () => {
  const r = lex("let x = 1 # one\n# two\nshow x", "t.vmt");
  assert.deepEqual(r.comments.map((c) => [c.text, c.span.line, c.span.col]), [["# one", 1, 11], [
    "# two",
    2,
    1,
  ]]);
  assert.equal(r.tokens.length, 6);
});

Deno.test("lexer: diagnostics — unexpected char, unterminated string, too large, malformed, bad bytes", () => {
  const codes = (src: string) =>
    lex(src, "t.vmt").diagnostics.map((d) => `${d.code}@${d.span.col}`);
  assert.deepEqual(codes("let a = @"), ["VT0001@9"]);
  assert.deepEqual(codes('let s = "abc'), ["VT0002@9"]);
  assert.deepEqual(codes("0x1_0000_0000_0000_0000"), ["VT0004@1"]);
  assert.deepEqual(codes("0xffff_ffff_ffff_ffff"), []);
  assert.deepEqual(codes("4Kb"), ["VT0005@1"]);
  assert.deepEqual(codes('x"abc"'), ["VT0006@1"]);
  assert.deepEqual(codes('"\\q"'), ["VT0006@1"]);
  assert.match(lex("let a = 4 / 2", "t").diagnostics[0].help ?? "", /no division/);
});

Deno.test("lexer: never throws on garbage", () => {
  const r = lex('\u0000\u0001\uffff\ud800 guest }}} "\\', "t.vmt");
  assert.ok(r.diagnostics.length > 0);
  assert.ok(r.tokens.some((t) => t.image === "guest"));
});
