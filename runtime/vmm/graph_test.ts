import assert from "node:assert/strict";
import "../modules.ts";
import { Kernel } from "../kernel/kernel.ts";
import { hostConfig } from "./host.ts";
import { decls, shows } from "./registry.ts";
import { Vmm } from "./vmm.ts";
import { dotString, toDot, topologyGraph } from "./graph.ts";

function boot(arch: string): Vmm {
  const k = new Kernel(hostConfig("h", new Map([["arch", [arch]], ["kernel", ["seed"]]])));
  return new Vmm(k);
}

function guest(vmm: Vmm, name: string, vcpus: number): void {
  decls.get("guest")!.instantiate(vmm, {
    keyword: "guest",
    name,
    props: new Map([["vcpus", [BigInt(vcpus)]], ["memory", [256n << 20n]]]),
  });
}

Deno.test("graph: the VMM's fds are nodes `N: path` in fd order, each owned by its process (fs/file.c fd_install; KVM_CREATE_VCPU → anon_inode:kvm-vcpu:N, virt/kvm/kvm_main.c)", () => {
  const vmm = boot("arm64");
  guest(vmm, "vm1", 2);
  const g = topologyGraph(vmm);
  const pid = vmm.proc.pid;
  const fds = g.nodes.filter((n) => n.kind === "fd" && n.pid === pid);
  // Compare with the live fd table, not a hard-coded list.
  const table = [...vmm.proc.fds].filter(([fd]) => fd > 2).sort((a, b) => a[0] - b[0]);
  assert.deepEqual(fds.map((n) => n.label), table.map(([fd, f]) => `${fd}: ${f.path}`));
  assert.ok(fds.some((n) => /^\d+: anon_inode:kvm-vcpu:1$/.test(n.label)));
  for (const n of fds) {
    assert.ok(g.edges.some((e) => e.from === `p${pid}` && e.to === n.id), n.id);
  }
});

Deno.test("graph: guest → each vCPU, and each object → the VMM fd it uses (impl.vmfd / impl.fd; runtime/vmm/kvm_all.ts bring-up)", () => {
  const vmm = boot("arm64");
  guest(vmm, "vm1", 2);
  const g = topologyGraph(vmm);
  const vm = vmm.guests.get("vm1")!;
  const vcpuEdges = g.edges.filter((e) => e.from === "obj:vm1" && e.label === "vcpu");
  assert.deepEqual(vcpuEdges.map((e) => e.to), ["obj:vm1.cpu0", "obj:vm1.cpu1"]);
  const fdOf = (obj: string) => g.edges.find((e) => e.from === obj && e.label === "fd")?.to;
  assert.equal(fdOf("obj:vm1"), `p${vmm.proc.pid}:fd${vm.vmfd}`);
  assert.equal(fdOf("obj:vm1.cpu1"), `p${vmm.proc.pid}:fd${vm.vcpus[1]!.fd}`);
  // The vCPU's own `guest` back-pointer does not add a second edge.
  assert.equal(g.edges.filter((e) => [e.from, e.to].includes("obj:vm1.cpu0")).length, 2);
});

Deno.test("graph: every simulated process gets its own cluster; a dup'd fd shares the open file description (dup(2); fs/file.c)", () => {
  const vmm = boot("ppc64le");
  decls.get("process")!.instantiate(vmm, { keyword: "process", name: "p2", props: new Map() });
  const p2 = [...vmm.kernel.procs.values()].find((p) => p.comm === "p2")!;
  const a = vmm.kernel.open(p2, "/dev/kvm", 2);
  const b = vmm.kernel.dup(p2, a);
  assert.ok(a >= 3 && b > a);
  const g = topologyGraph(vmm);
  assert.deepEqual(g.nodes.filter((n) => n.kind === "process").map((n) => n.label), [
    `vmm (pid ${vmm.proc.pid})`,
    `p2 (pid ${p2.pid})`,
  ]);
  assert.ok(
    g.edges.some((e) => e.from === `p${p2.pid}:fd${a}` && e.to === `p${p2.pid}:fd${b}` && e.dashed),
  );
  const dot = toDot(g, "h");
  assert.match(dot, new RegExp(`subgraph "cluster_p${p2.pid}" \\{`));
  assert.match(dot, new RegExp(`"p${p2.pid}:fd${a}" \\[label="${a}: /dev/kvm", shape=note\\]`));
});

Deno.test("graph: same topology → identical DOT text (DESIGN.md principle 3, deterministic)", () => {
  const dots = [0, 1].map(() => {
    const vmm = boot("ppc64le");
    guest(vmm, "vm1", 2);
    guest(vmm, "vm2", 1);
    return toDot(topologyGraph(vmm), "h");
  });
  assert.equal(dots[0], dots[1]);
  assert.match(dots[0]!, /^digraph "h" \{/);
  assert.match(dots[0]!, /"obj:vm2" -> "obj:vm2.cpu0" \[label="vcpu"\];/);
});

Deno.test("graph: DOT labels escape quotes, backslashes and newlines (Graphviz DOT language, escString)", () => {
  assert.equal(dotString('a "b"'), '"a \\"b\\""');
  assert.equal(dotString("x\\y"), '"x\\\\y"');
  assert.equal(dotString("l1\nl2"), '"l1\\nl2"');
  const dot = toDot({
    nodes: [{ id: 'o:"q"', kind: "weird", label: 'say "hi"' }],
    edges: [],
  }, 'my "title"');
  assert.match(dot, /^digraph "my \\"title\\"" \{/);
  assert.match(dot, /"o:\\"q\\"" \[label="say \\"hi\\"", shape=ellipse\];/);
});

Deno.test("graph: `show graph` renders the DOT of the live VMM (registerShow, runtime/vmm/registry.ts)", () => {
  const vmm = boot("arm64");
  guest(vmm, "vm1", 1);
  const views = shows.get("graph")!.render(vmm, []);
  assert.equal(views.length, 1);
  const v = views[0]!;
  assert.ok("text" in v);
  assert.equal(v.text, toDot(topologyGraph(vmm), vmm.kernel.config.name));
});
