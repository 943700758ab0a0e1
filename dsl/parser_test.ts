import assert from "node:assert/strict";
import type * as A from "./ast.ts";
import { parse } from "./parser.ts";
import { printExpr } from "./printer.ts";

const body = (src: string) => {
  const r = parse(src, "t.vmt");
  assert.deepEqual(r.diagnostics.map((d) => d.message), [], src);
  return r.program.body;
};
const expr = (src: string): A.Expr => {
  const s = body(`expect ${src}`)[0];
  assert.equal(s.kind, "Expect");
  return (s as A.Expect).cond;
};
/** Fully parenthesised rendering, to check precedence. */
const tree = (e: A.Expr): string =>
  e.kind === "Binary"
    ? `(${tree(e.left)} ${e.op} ${tree(e.right)})`
    : e.kind === "Unary"
    ? `(${e.op}${tree(e.operand)})`
    : printExpr(e);
const errors = (src: string) => parse(src, "t.vmt").diagnostics.map((d) => d.message);

Deno.test("parser: the spapr-ddw example parses cleanly", async () => {
  const src = await Deno.readTextFile(new URL("./testdata/spapr_ddw.vmt", import.meta.url));
  const r = parse(src, "spapr-ddw.vmt");
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(r.program.body.map((s) => s.kind), [
    "Decl",
    "Decl",
    "Decl",
    "Decl",
    "Decl",
    "Decl",
    "ExprStmt",
    "ExprStmt",
    "ExprStmt",
    "Let",
    "Expect",
    "Let",
    "Let",
    "ExprStmt",
    "Let",
    "For",
    "Show",
    "Show",
    "Advance",
    "ExprStmt",
    "Expect",
    "Include",
  ]);
  assert.equal(r.program.comments.length, 2);
});

Deno.test("parser: declarations — names, numeric names, kinds, unnamed host, flags, separators", () => {
  const [h, g, grp, dev, one] = body(
    'host { arch ppc64le }\nguest vm1 { vcpus 2; memory 4G, nested }\ngroup 12 { container c0  device "0001:01:00.0" }\n' +
      "device net0 vdpa-net {\n  mac 52:54:00:12:34:56\n  queues 1\n}\nwindow w { guest vm1  group 12 }",
  ) as A.Decl[];
  assert.equal(h.name.text, "host");
  assert.deepEqual(h.name.span, h.keyword.span);
  assert.deepEqual(g.props.map((p) => [p.name.text, p.value?.kind]), [["vcpus", "Int"], [
    "memory",
    "Int",
  ], [
    "nested",
    undefined,
  ]]);
  assert.equal(grp.name.text, "12");
  assert.deepEqual(grp.props.map((p) => p.name.text), ["container", "device"]);
  assert.equal(dev.type?.text, "vdpa-net");
  assert.equal(dev.props[0].value?.kind, "Mac");
  assert.deepEqual(one.props.map((p) => p.name.text), ["guest", "group"]);
});

Deno.test("parser: a property value is only taken from the same line", () => {
  const [d] = body("guest vm1 {\n  nested\n  vcpus 2\n}") as A.Decl[];
  assert.equal(d.props[0].value, undefined);
  assert.equal(d.props[1].value?.kind, "Int");
});

Deno.test("parser: let, expect, show (same line only), advance, for, include, expr stmt with =>", () => {
  const s = body(
    'let x = 1\nexpect x == 1\nshow tce dma32 0..16\nshow\nwindows\nadvance 10ms\nfor i in 0..4 { show i }\ninclude "c.vmt"\nmemread(vm1, 0, 4) => x"00"',
  );
  assert.deepEqual(s.map((x) => x.kind), [
    "Let",
    "Expect",
    "Show",
    "Show",
    "ExprStmt",
    "Advance",
    "For",
    "Include",
    "ExprStmt",
  ]);
  const show = s[2] as A.Show;
  assert.deepEqual(show.args.map((a) => a.kind), ["Ref", "Ref", "Range"]);
  assert.equal((s[3] as A.Show).args.length, 0);
  assert.equal(((s[5] as A.Advance).amount as A.DurationLit).ns, 10_000_000n);
  const f = s[6] as A.For;
  assert.equal(f.var.text, "i");
  assert.equal(f.body[0].kind, "Show");
  assert.equal((s[7] as A.Include).path.value, "c.vmt");
  assert.equal((s[8] as A.ExprStmt).expected?.kind, "Bytes");
});

Deno.test("parser: precedence — bitwise binds tighter than comparison", () => {
  assert.equal(tree(expr("st == ACKNOWLEDGE | DRIVER")), "(st == (ACKNOWLEDGE | DRIVER))");
  assert.equal(tree(expr("a || b && c")), "(a || (b && c))");
  assert.equal(tree(expr("a | b ^ c & d << 1 + 2 * 3")), "(a | (b ^ (c & (d << (1 + (2 * 3))))))");
  assert.equal(tree(expr("a - b - c")), "((a - b) - c)");
  assert.equal(tree(expr("-a * ~b")), "((-a) * (~b))");
  assert.equal(tree(expr("!(a == b)")), "(!(a == b))");
  assert.equal(tree(expr("(a + b) * c")), "((a + b) * c)");
  assert.equal(tree(expr("i << 12 < 4096")), "((i << 12) < 4096)");
});

Deno.test("parser: primaries — struct, list, call, ref, ioctl targets, hcall, open", () => {
  const st = expr("{flags: READ | WRITE, size: 1M,}") as A.StructLit;
  assert.deepEqual(st.fields.map((f) => f.name.text), ["flags", "size"]);
  assert.equal((expr("{}") as A.StructLit).fields.length, 0);
  assert.equal((expr("[1, 2, [3],]") as A.ListLit).items.length, 3);
  const call = expr("memread(vm1, addr: 0x1000)") as A.Call;
  assert.equal(call.args.positional.length, 1);
  assert.equal(call.args.named[0].name.text, "addr");
  assert.deepEqual((expr("info.ddw.group.0") as A.Ref).parts.map((p) => p.text), [
    "info",
    "ddw",
    "group",
    "0",
  ]);
  const t = (src: string) => (expr(src) as A.IoctlExpr).target;
  assert.equal(t("ioctl vmm:/dev/kvm KVM_GET_API_VERSION()").kind, "ProcPath");
  assert.equal(t("ioctl vmm:5 KVM_CREATE_VM(0)").kind, "ProcFd");
  assert.equal(t("ioctl vmm:fd KVM_CREATE_VM(0)").kind, "ProcFd");
  const rt = t("ioctl vm1.cpu0 KVM_RUN()");
  assert.equal(rt.kind, "RefTarget");
  const h = expr("hcall vm1.cpu0 H_PUT_TCE(liobn: 1, ioba: 2, tce: 3)") as A.HcallExpr;
  assert.deepEqual([h.vcpu.parts.length, h.name.text, h.args.named.length], [2, "H_PUT_TCE", 3]);
  const o = expr("open vmm /dev/kvm") as A.OpenExpr;
  assert.deepEqual([o.process.text, o.path.kind], ["vmm", "Path"]);
  assert.equal((expr('open vmm "/dev/kvm"') as A.OpenExpr).path.kind, "String");
});

Deno.test("parser: literal values are exact", () => {
  assert.equal((expr("0xffff_ffff_ffff_ffff") as A.IntLit).value, 0xffff_ffff_ffff_ffffn);
  assert.equal((expr("64G") as A.IntLit).value, 64n << 30n);
  assert.equal((expr("01:00.0") as A.BdfLit).value, "0000:01:00.0");
  assert.deepEqual([...(expr("52:54:00:12:34:56") as A.MacLit).value], [
    0x52,
    0x54,
    0,
    0x12,
    0x34,
    0x56,
  ]);
  assert.equal((expr('"a\\x41\\"\\t"') as A.StringLit).value, 'aA"\t');
});

Deno.test("parser: spans point at the right columns", () => {
  const src = "let x = 1\nhcall vm1.cpu0 H_PUT_TCE(liobn: 0x8, tce: 3) => H_SUCCESS";
  const [l, s] = body(src);
  assert.deepEqual([l.span.line, l.span.col, l.span.endCol], [1, 1, 10]);
  const e = (s as A.ExprStmt).expr as A.HcallExpr;
  assert.deepEqual([e.vcpu.span.line, e.vcpu.span.col, e.vcpu.span.endCol], [2, 7, 15]);
  assert.deepEqual([e.name.span.col, e.name.span.endCol], [16, 25]);
  assert.equal(src.slice(e.args.named[0].span.start, e.args.named[0].span.end), "liobn: 0x8");
  assert.equal(src.slice(s.span.start, s.span.end), src.split("\n")[1]);
  assert.equal(s.span.file, "t.vmt");
});

Deno.test("parser: a leading `-` on a new line starts a new statement", () => {
  assert.deepEqual(body("let y = x\n-x").map((s) => s.kind), ["Let", "ExprStmt"]);
  assert.equal(((body("let y = x -\n 1")[0] as A.Let).value as A.Binary).op, "-");
});

Deno.test("parser: syntax errors in domain words, one per root cause", () => {
  assert.deepEqual(errors("guest vm1 vcpus 2 }"), [
    "expected `{` to open the block of guest `vm1`, found `vcpus`",
  ]);
  assert.deepEqual(errors("guest vm1 { memory = }"), [
    "expected a value after `memory`, found `=`",
  ]);
  assert.deepEqual(errors("ioctl vm1"), [
    "expected an ioctl name after the target `vm1`, found the end of input",
  ]);
  assert.deepEqual(errors("hcall vm1.cpu0 (1)"), [
    "expected an hcall name after the vCPU `vm1.cpu0`, found `(`",
  ]);
  assert.deepEqual(errors("let x = 1 +"), ["expected a value after `+`, found the end of input"]);
  assert.deepEqual(errors("a == b == c"), ["comparisons do not chain: unexpected `==`"]);
  assert.deepEqual(errors("}"), ["unexpected `}` — no block is open here"]);
  assert.deepEqual(errors("for i 0..4 {}"), ["expected `in` after `for i`, found `0`"]);
  assert.deepEqual(errors("include common"), [
    "expected a quoted file name after `include`, found `common`",
  ]);
  assert.deepEqual(errors("let = 1"), ["expected a variable name after `let`, found `=`"]);
  assert.deepEqual(errors("f(a b)"), ["expected `,` or `)` in the arguments of `f`, found `b`"]);
  for (const m of errors("guest { } ioctl ( ] )")) {
    assert.doesNotMatch(m, /Expecting|token of type|-->/);
  }
});

Deno.test("parser: unclosed block — related label at the opening brace, recovery at the next declaration", () => {
  const r = parse("guest vm1 { vcpus 2\nguest vm2 { vcpus 1 }\nlet y = 3", "t.vmt");
  assert.equal(r.diagnostics.length, 1);
  const d = r.diagnostics[0];
  assert.equal(d.message, "unclosed `{` — the block of guest `vm1` opened here");
  assert.deepEqual([d.labels[1].span.line, d.labels[1].span.col], [1, 11]);
  assert.deepEqual(r.program.body.map((s) => s.kind), ["Decl", "Let"]);
  const eof = parse("guest vm1 {\n  vcpus 2\n", "t.vmt").diagnostics;
  assert.equal(eof.length, 1);
  assert.match(eof[0].message, /^unclosed/);
});

Deno.test("parser: resynchronises after an error and keeps later statements", () => {
  const r = parse(
    "let a = (1 +\nlet b = 2\nguest vm1 {\n  vcpus = 2\n  memory 4G\n}\nlet c = 3",
    "t.vmt",
  );
  assert.equal(r.diagnostics.length, 2);
  assert.deepEqual(r.program.body.map((s) => (s as A.Let).name?.text), ["b", "c"]);
});

Deno.test("parser: a lexical error does not also produce a syntax error", () => {
  const r = parse("let a = @\nlet b = 1", "t.vmt");
  assert.deepEqual(r.diagnostics.map((d) => d.code), ["VT0001"]);
});

Deno.test("parser: a fraction or a MAC address of the wrong length is one diagnostic under the whole literal", () => {
  const one = (src: string) => {
    const ds = parse(src, "t.vmt").diagnostics;
    assert.equal(ds.length, 1, `${src}: ${ds.map((d) => d.message).join("; ")}`);
    return ds[0]!;
  };
  const f = one("let y = 10.25 + 1");
  assert.equal(f.message, "numbers are integers: there is no fractional part");
  assert.deepEqual([f.span.col, f.span.endCol], [9, 14]);
  const m = one("let m = 52:54:00:12:34");
  assert.equal(m.message, "a MAC address has six bytes, this one has 5");
  assert.deepEqual([m.span.col, m.span.endCol], [9, 23]);
  assert.equal(
    one("let m = 52:54:00:12:34:56:77").message,
    "a MAC address has six bytes, this one has 7",
  );
  // Six bytes is a MAC literal; `vm1.cpu0` is a dotted name.
  assert.deepEqual(
    parse("let m = 52:54:00:12:34:56\nexpect vm1.cpu0 == vm1.cpu0", "t.vmt").diagnostics,
    [],
  );
});
