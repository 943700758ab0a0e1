/**
 * The topology as a graph (gem5 writes config.dot for the same reason): every
 * simulated process with its open fds, the declared objects (guests, vCPUs,
 * containers, groups, windows, devices) tied to the VMM fd each one uses, and
 * the relations between objects that their VMM state exposes. `toDot` prints
 * Graphviz DOT; `show graph` prints it in a session.
 *
 * Everything is read from live simulated state (kernel.procs, fd tables,
 * vmm.objects), never recomputed from the script, so the graph shows what the
 * ioctls actually left behind. Relations are duck-typed (`impl.container`,
 * `impl.guest`, `impl.devices`…) so this module imports no subsystem.
 *
 * @example
 * ```ts
 * import { Kernel } from "../kernel/kernel.ts";
 * import { Vmm } from "./vmm.ts";
 * import { topologyGraph, toDot } from "./graph.ts";
 * import "../virt/kvm/kvm_main.ts";
 * const k = new Kernel({ name: "h", arch: "arm64", profile: "seed", pageSize: 4096, seed: 1, props: {} });
 * const vmm = new Vmm(k);
 * vmm.open("/dev/kvm");
 * const g = topologyGraph(vmm);
 * console.log(g.nodes.map((n) => n.label)); // ["vmm (pid 100)", "3: /dev/kvm"]
 * console.log(toDot(g, "h").startsWith("digraph")); // true
 * ```
 * @module
 */
import type { File } from "../kernel/file.ts";
import type { Process } from "../kernel/process.ts";
import { registerShow } from "./registry.ts";
import type { Obj } from "./value.ts";
import type { Vmm } from "./vmm.ts";

/** A node: a process, an open fd, or a declared object. */
export interface GraphNode {
  /** Stable id: `p100`, `p100:fd5`, `obj:vm1.cpu0`. */
  id: string;
  /** `process`, `fd`, or the declared object's kind (`guest`, `vcpu`, `group`…). */
  kind: string;
  label: string;
  /** For processes and fds: the pid whose cluster the node is drawn in. */
  pid?: number;
}

/** A directed edge between two node ids. */
export interface GraphEdge {
  from: string;
  to: string;
  /** `fd`, `vcpu`, `container`, `guest`, a BDF…; empty for the process → fd edges. */
  label: string;
  /** Drawn dashed: a second fd on the same open file description (dup). */
  dashed?: boolean;
}

/** The whole graph, in a deterministic order. */
export interface TopologyGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

/** Properties of an object's VMM state that name another declared object. */
const RELATION_KEYS = ["container", "group", "guest"] as const;

/** fds 0–2 are the controlling tty of every process (as `show fds` hides them). */
const FIRST_FD = 3;

/**
 * Builds the graph of a VMM's host: processes (by pid) → their fds (by
 * number, `5: anon_inode:kvm-vcpu:0`); declared objects (in declaration order;
 * one node per object even when it has two names, like `group 12` /
 * `group12`) → the VMM fd they use (`impl.fd`, or `impl.vmfd` for a guest);
 * guest → its vCPUs; object → container / group / guest it points at; an
 * object's device fds (`impl.devices[{bdf, fd}]`) and eventfd arrays
 * (`impl.callFds`, `impl.kickFds`).
 *
 * @example
 * ```ts ignore
 * const g = topologyGraph(session.vmm);
 * g.edges.filter((e) => e.label === "vcpu"); // guest → vCPU edges
 * ```
 */
export function topologyGraph(vmm: Vmm): TopologyGraph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const ids = new Set<string>();
  const edgeKeys = new Set<string>();
  const addNode = (n: GraphNode): void => {
    if (ids.has(n.id)) return;
    ids.add(n.id);
    nodes.push(n);
  };
  const addEdge = (e: GraphEdge): void => {
    if (!ids.has(e.from) || !ids.has(e.to) || e.from === e.to) return;
    // One edge per pair: a vCPU's `guest` repeats the guest's `vcpus` edge.
    const key = [e.from, e.to].sort().join("\0");
    if (edgeKeys.has(key)) return;
    edgeKeys.add(key);
    edges.push(e);
  };

  // Processes and their fd tables.
  const firstFdOfFile = new Map<File, string>();
  const procs = [...vmm.kernel.procs.values()].sort((a, b) => a.pid - b.pid);
  for (const p of procs) {
    addNode({ id: procId(p), kind: "process", label: `${p.comm} (pid ${p.pid})`, pid: p.pid });
    for (const [fd, file] of [...p.fds].sort((a, b) => a[0] - b[0])) {
      if (fd < FIRST_FD) continue;
      const id = fdId(p, fd);
      addNode({ id, kind: "fd", label: `${fd}: ${file.path}`, pid: p.pid });
      addEdge({ from: procId(p), to: id, label: "" });
      const first = firstFdOfFile.get(file);
      if (first === undefined) firstFdOfFile.set(file, id);
      else addEdge({ from: first, to: id, label: "same file", dashed: true });
    }
  }

  // Declared objects, one node per impl (a group is declared under two names).
  const byImpl = new Map<unknown, { id: string; names: string[]; obj: Obj }>();
  for (const obj of vmm.objects.values()) {
    if (obj.kind === "process") continue; // drawn as its process
    const seen = byImpl.get(obj.impl);
    if (seen) seen.names.push(obj.name);
    else byImpl.set(obj.impl, { id: `obj:${obj.name}`, names: [obj.name], obj });
  }
  for (const { id, names, obj } of byImpl.values()) {
    addNode({ id, kind: obj.kind, label: objectLabel(obj, names) });
  }
  const procOfImpl = new Map<unknown, string>();
  for (const obj of vmm.objects.values()) {
    if (obj.kind === "process") procOfImpl.set(obj.impl, procId(obj.impl as Process));
  }
  const nodeOf = (v: unknown): string | undefined =>
    v !== null && typeof v === "object" ? byImpl.get(v)?.id ?? procOfImpl.get(v) : undefined;

  const vmmFd = (fd: unknown): string | undefined =>
    typeof fd === "number" && fd >= FIRST_FD && vmm.proc.fds.has(fd)
      ? fdId(vmm.proc, fd)
      : undefined;

  for (const { id, obj } of byImpl.values()) {
    const impl = obj.impl as Record<string, unknown>;
    if (impl === null || typeof impl !== "object") continue;
    // The VMM fd the object's ioctls go to (the interpreter's `impl.fd` rule).
    const fd = vmmFd(impl.fd) ?? vmmFd(impl.vmfd);
    if (fd) addEdge({ from: id, to: fd, label: "fd" });
    if (Array.isArray(impl.vcpus)) {
      for (const v of impl.vcpus) {
        const to = nodeOf(v);
        if (to) addEdge({ from: id, to, label: "vcpu" });
      }
    }
    for (const key of RELATION_KEYS) {
      const to = nodeOf(impl[key]);
      if (to) addEdge({ from: id, to, label: key });
    }
    if (Array.isArray(impl.devices)) {
      for (const d of impl.devices as { bdf?: unknown; fd?: unknown }[]) {
        const to = vmmFd(d?.fd);
        if (to) addEdge({ from: id, to, label: typeof d.bdf === "string" ? d.bdf : "device" });
      }
    }
    for (const key of ["callFds", "kickFds"] as const) {
      const fds = impl[key];
      if (!Array.isArray(fds)) continue;
      fds.forEach((f, i) => {
        const to = vmmFd(f);
        if (to) addEdge({ from: id, to, label: `${key.slice(0, 4)}${i}` });
      });
    }
  }
  return { nodes, edges };
}

function procId(p: Process): string {
  return `p${p.pid}`;
}

function fdId(p: Process, fd: number): string {
  return `p${p.pid}:fd${fd}`;
}

function objectLabel(obj: Obj, names: string[]): string {
  const impl = obj.impl as Record<string, unknown> | null;
  const lines = [`${obj.kind} ${names.join(" / ")}`];
  if (impl && typeof impl === "object") {
    if (typeof impl.liobn === "bigint") lines.push(`liobn 0x${impl.liobn.toString(16)}`);
    if (typeof impl.path === "string") lines.push(impl.path);
  }
  return lines.join("\n");
}

/** Graphviz shapes by node kind (anything else is an ellipse). */
const SHAPES: Readonly<Record<string, string>> = {
  process: "box3d",
  fd: "note",
  guest: "doubleoctagon",
  vcpu: "ellipse",
  container: "folder",
  group: "tab",
  window: "cds",
  "vdpa-net": "component",
};

/**
 * A DOT quoted string: `"` and `\` escaped, newlines as `\n` (centred
 * lines), so labels such as `anon_inode:[vfio-device]` or `"0001:01:00.0"`
 * survive.
 *
 * @example
 * ```ts
 * import { dotString } from "./graph.ts";
 * console.log(dotString('say "hi"')); // "say \"hi\""
 * ```
 */
export function dotString(s: string): string {
  return `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\r?\n/g, "\\n")}"`;
}

/**
 * Graphviz DOT text of a graph: one `cluster_pPID` subgraph per process
 * holding the process and its fds, declared objects outside, shapes by kind,
 * the ids of {@link topologyGraph} as node ids. Same graph → same text.
 *
 * @example
 * ```ts
 * import { toDot } from "./graph.ts";
 * const dot = toDot({ nodes: [{ id: "p1", kind: "process", label: "vmm (pid 1)", pid: 1 }], edges: [] }, "h");
 * console.log(dot.includes('subgraph "cluster_p1"')); // true
 * ```
 */
export function toDot(graph: TopologyGraph, title: string): string {
  const out = [
    `digraph ${dotString(title)} {`,
    `  label=${dotString(title)};`,
    "  labelloc=t;",
    "  rankdir=LR;",
    '  node [fontname="monospace", fontsize=10];',
    '  edge [fontname="monospace", fontsize=9];',
  ];
  const node = (n: GraphNode, indent: string): string =>
    `${indent}${dotString(n.id)} [label=${dotString(n.label)}, shape=${
      SHAPES[n.kind] ?? "ellipse"
    }];`;
  const pids = [...new Set(graph.nodes.flatMap((n) => n.pid === undefined ? [] : [n.pid]))];
  for (const pid of pids) {
    const members = graph.nodes.filter((n) => n.pid === pid);
    const proc = members.find((n) => n.kind === "process");
    out.push(`  subgraph ${dotString(`cluster_p${pid}`)} {`);
    out.push(`    label=${dotString(proc?.label ?? `pid ${pid}`)};`);
    out.push("    style=rounded;");
    for (const n of members) out.push(node(n, "    "));
    out.push("  }");
  }
  for (const n of graph.nodes) if (n.pid === undefined) out.push(node(n, "  "));
  for (const e of graph.edges) {
    const attrs = [
      ...(e.label ? [`label=${dotString(e.label)}`] : []),
      ...(e.dashed ? ["style=dashed"] : []),
    ];
    out.push(
      `  ${dotString(e.from)} -> ${dotString(e.to)}${
        attrs.length ? ` [${attrs.join(", ")}]` : ""
      };`,
    );
  }
  out.push("}");
  return out.join("\n");
}

registerShow({
  topic: "graph",
  doc: "the topology as Graphviz DOT: processes, fds, declared objects (`vmtopo graph FILE --svg`)",
  render: (vmm) => [{ text: toDot(topologyGraph(vmm), vmm.kernel.config.name) }],
});
