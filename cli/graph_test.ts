/**
 * `vmtopo graph`: the graph of a script's topology in-process (scriptGraph)
 * and end to end through cli/main.ts (exit codes, DOT, SVG, -o).
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { renderSvg, scriptGraph } from "./graph.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

async function vmtopo(args: string[], cwd: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, ...args],
    cwd,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

async function tempFiles(files: Record<string, string>): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vmtopo_graph_" });
  for (const [name, text] of Object.entries(files)) await Deno.writeTextFile(join(dir, name), text);
  return dir;
}

const TINY = "host h { arch arm64 }\nguest vm1 { vcpus 2  memory 256M }\n";
const SPAPR = `host p9 { arch ppc64le  kernel seed }
guest vm1 { vcpus 1  memory 1G }
container c0 { iommu spapr-tce-v2 }
group 12 { container c0  device "0001:01:00.0" }
window dma32 { guest vm1  group 12  liobn 0x80000000  offset 0  size 1G  page 4K }
`;
const FAILS = "guest vm1 { vcpus 1 }\nioctl vmm:/dev/kvm KVM_GET_API_VERSION() => 13\n";

Deno.test("scriptGraph: a VFIO group → its container, device fd labelled by BDF, window shows its LIOBN (VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_GET_DEVICE_FD; spapr-tce-vfio-sva.md §1)", async () => {
  const r = await scriptGraph(SPAPR, "spapr.vmt");
  assert.ok(r.ok, r.lines.join("\n"));
  const dot = r.output!;
  // One node for the group although it is declared as both `12` and `group12`.
  assert.equal(dot.match(/shape=tab/g)?.length, 1);
  assert.match(dot, /"obj:12" -> "obj:c0" \[label="container"\];/);
  assert.match(dot, /"obj:12" -> "p100:fd\d+" \[label="0001:01:00\.0"\];/);
  const devFd = /"obj:12" -> "p100:fd(\d+)" \[label="0001:01:00\.0"\]/.exec(dot)![1];
  assert.match(
    dot,
    new RegExp(`"p100:fd${devFd}" \\[label="${devFd}: anon_inode:\\[vfio-device\\]"`),
  );
  assert.match(dot, /"obj:dma32" \[label="window dma32\\nliobn 0x80000000", shape=cds\];/);
  assert.match(dot, /"obj:dma32" -> "p100:fd\d+" \[label="fd"\];/);
  assert.ok(r.nodes > 0 && r.edges >= r.nodes - 1);
});

Deno.test("scriptGraph: a script that fails yields no graph and its diagnostic (DESIGN.md: errors as diagnostics)", async () => {
  const r = await scriptGraph(FAILS, "bad.vmt");
  assert.equal(r.ok, false);
  assert.equal(r.output, undefined);
  assert.match(r.lines.join("\n"), /expected 13, got 12/);
});

Deno.test("renderSvg: bad DOT is a CliError with Graphviz's message, not a crash (@viz-js/viz render → status failure)", async () => {
  await assert.rejects(renderSvg("digraph {"), (e: Error) => {
    assert.equal(e.name, "CliError");
    assert.match(e.message, /^graphviz: .*syntax error/);
    return true;
  });
});

Deno.test("vmtopo graph FILE: DOT on stdout with guest → vCPU edges; same script twice → identical text (DESIGN.md principle 3)", async () => {
  const dir = await tempFiles({ "tiny.vmt": TINY });
  const a = await vmtopo(["graph", "tiny.vmt"], dir);
  const b = await vmtopo(["graph", "tiny.vmt"], dir);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /^digraph "tiny\.vmt" \{/);
  assert.match(a.stdout, /"obj:vm1" -> "obj:vm1\.cpu0" \[label="vcpu"\];/);
  assert.match(a.stdout, /"obj:vm1" -> "obj:vm1\.cpu1" \[label="vcpu"\];/);
  assert.match(a.stdout, /\[label="\d+: anon_inode:kvm-vcpu:1", shape=note\]/);
  assert.equal(a.stdout, b.stdout);
});

Deno.test("vmtopo graph --svg: SVG rendered by Graphviz (WASM) on stdout; -o writes the file instead", async () => {
  const dir = await tempFiles({ "tiny.vmt": TINY });
  const r = await vmtopo(["graph", "--svg", "tiny.vmt"], dir);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^(<\?xml|<svg)/);
  assert.match(r.stdout, /<svg[\s>]/);
  assert.match(r.stdout, /vm1\.cpu1/);
  const w = await vmtopo(["graph", "--svg", "-o", "out.svg", "tiny.vmt"], dir);
  assert.equal(w.code, 0, w.stderr);
  assert.match(w.stdout, /^wrote out\.svg \(\d+ nodes, \d+ edges\)$/m);
  assert.equal(await Deno.readTextFile(join(dir, "out.svg")), r.stdout);
});

Deno.test("vmtopo graph: missing file → `vmtopo: error:` exit 2; failing script → diagnostics, exit 1 (cli/io.ts CliError)", async () => {
  const dir = await tempFiles({ "bad.vmt": FAILS });
  const missing = await vmtopo(["graph", "nope.vmt"], dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^vmtopo: error: cannot read nope\.vmt/m);
  const bad = await vmtopo(["graph", "bad.vmt"], dir);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, "");
  assert.match(bad.stderr, /expected 13, got 12/);
});
