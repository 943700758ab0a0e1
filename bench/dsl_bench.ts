// Benchmarks of the language front end and start-up (issue 2).
//   deno task bench
// Each group has a baseline measured in the same run; `deno bench` prints the
// ratio ("x times slower than") next to it.
import { parse } from "../dsl/parser.ts";
import { check } from "../dsl/checker.ts";
import { buildVocabulary } from "../stdlib/vocabulary.ts";

const LINES = 100_000;

function topology(): { text: string; json: string } {
  const out: string[] = ["host p9 { arch ppc64le }"];
  const objs: unknown[] = [{ kind: "host", name: "p9", arch: "ppc64le" }];
  for (let i = 0; out.length < LINES; i++) {
    out.push(`guest vm${i} { vcpus ${1 + (i % 8)}  memory ${1 + (i % 4)}G }`);
    out.push(`let x${i} = 0x${(i * 4096).toString(16)} | ${i % 3} << 12`);
    out.push(`expect x${i} >= 0`);
    objs.push({ kind: "guest", name: `vm${i}`, vcpus: 1 + (i % 8), memory: `${1 + (i % 4)}G` });
    objs.push({
      kind: "let",
      name: `x${i}`,
      value: { op: "|", l: i * 4096, r: { op: "<<", l: i % 3, r: 12 } },
    });
    objs.push({ kind: "expect", cond: { op: ">=", l: `x${i}`, r: 0 } });
  }
  return { text: out.join("\n"), json: JSON.stringify(objs) };
}

const { text, json } = topology();
const vocab = buildVocabulary();

Deno.bench({
  name: "JSON.parse of the equivalent JSON (baseline)",
  group: "parse 100k lines",
  baseline: true,
  n: 10,
}, () => {
  JSON.parse(json);
});
Deno.bench(
  { name: "parse + check of a 100,000-line topology", group: "parse 100k lines", n: 10 },
  () => {
    const { program } = parse(text, "big.vmt");
    check(program, vocab);
  },
);

const empty = await Deno.makeTempFile({ suffix: ".vmt" });
const emptyJs = await Deno.makeTempFile({ suffix: ".js" });
const deno = Deno.execPath();
const cli = new URL("../cli/main.ts", import.meta.url).pathname;

Deno.bench({
  name: "deno run of an empty script (baseline)",
  group: "start-up",
  baseline: true,
  n: 5,
}, async () => {
  await new Deno.Command(deno, { args: ["run", emptyJs], stdout: "null", stderr: "null" }).output();
});
Deno.bench({ name: "vmtopo run of an empty file", group: "start-up", n: 5 }, async () => {
  await new Deno.Command(deno, {
    args: ["run", "-A", cli, "run", empty],
    stdout: "null",
    stderr: "null",
  }).output();
});
