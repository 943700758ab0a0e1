/**
 * `vmtopo graph FILE [--svg] [-o OUT]`: runs a topology script and prints the
 * topology it built (processes, fds, declared objects) as Graphviz DOT, or as
 * SVG rendered in-process by @viz-js/viz (Graphviz compiled to WASM, so no
 * `dot` binary is needed).
 *
 * @example
 * ```ts ignore
 * import { graphCommand } from "./graph.ts";
 * Deno.exit(await graphCommand("examples/spapr-ddw.vmt", { svg: true, out: "ddw.svg" }));
 * ```
 * @module
 */
import { basename } from "node:path";
import { Session } from "../dsl/interp/session.ts";
import { toDot, topologyGraph } from "../runtime/vmm/graph.ts";
import { CliError, readInclude, readSource, useColor, writeSource } from "./io.ts";

/** Options of `vmtopo graph`. */
export interface GraphOptions {
  /** Render SVG instead of printing DOT. */
  svg?: boolean;
  /** Write to this file instead of stdout. */
  out?: string;
}

/** What running a script for its graph produced. */
export interface GraphResult {
  /** The script ran without an error or a failed expectation. */
  ok: boolean;
  /** The session transcript (rendered diagnostics when not ok). */
  lines: string[];
  /** DOT or SVG text; undefined when the script failed. */
  output?: string;
  nodes: number;
  edges: number;
}

/**
 * Runs `text` (named `file`) in a fresh session that stops at the first error
 * and returns the graph of what it built, as DOT or SVG.
 *
 * @example
 * ```ts ignore
 * import { scriptGraph } from "./graph.ts";
 * const r = await scriptGraph("guest vm1 { vcpus 2 }\n", "t.vmt");
 * console.log(r.output?.startsWith("digraph")); // true
 * ```
 */
export async function scriptGraph(
  text: string,
  file: string,
  opts: { svg?: boolean } = {},
): Promise<GraphResult> {
  const session = new Session({
    echo: false,
    color: useColor(),
    stopOnError: true,
    readFile: readInclude,
  });
  const r = session.run(text, file);
  if (!r.ok) return { ok: false, lines: r.lines, nodes: 0, edges: 0 };
  const graph = topologyGraph(session.vmm);
  const dot = toDot(graph, basename(file));
  const output = opts.svg ? await renderSvg(dot) : dot + "\n";
  return { ok: true, lines: r.lines, output, nodes: graph.nodes.length, edges: graph.edges.length };
}

/**
 * DOT → SVG with @viz-js/viz; a Graphviz failure (which `render` returns
 * rather than throws) becomes a `CliError`.
 *
 * @example
 * ```ts ignore
 * import { renderSvg } from "./graph.ts";
 * console.log((await renderSvg("digraph { a -> b }")).includes("<svg")); // true
 * ```
 */
export async function renderSvg(dot: string): Promise<string> {
  // Loaded on demand: Graphviz-in-WASM is large, and only --svg needs it.
  const { instance } = await import("@viz-js/viz");
  const viz = await instance();
  const r = viz.render(dot, { format: "svg" });
  if (r.status !== "success") {
    throw new CliError(`graphviz: ${r.errors.map((e) => e.message).join("; ") || "render failed"}`);
  }
  return r.output;
}

/**
 * `vmtopo graph FILE`: prints DOT (or SVG with `--svg`) to stdout, or writes it
 * to `-o OUT` and says so. A script that fails prints its diagnostics on
 * stderr and exits 1; a missing file or an unwritable OUT is a `CliError`
 * (exit 2).
 *
 * @example
 * ```ts ignore
 * import { graphCommand } from "./graph.ts";
 * await graphCommand("examples/kvm-basics.vmt", {}); // DOT on stdout, 0
 * ```
 */
export async function graphCommand(file: string, opts: GraphOptions = {}): Promise<number> {
  const text = readSource(file);
  const r = await scriptGraph(text, file, { svg: opts.svg ?? false });
  if (!r.ok || r.output === undefined) {
    if (r.lines.length > 0) console.error(r.lines.join("\n"));
    console.error(`vmtopo: ${file} failed; no graph`);
    return 1;
  }
  if (opts.out !== undefined) {
    writeSource(opts.out, r.output);
    console.log(`wrote ${opts.out} (${r.nodes} nodes, ${r.edges} edges)`);
  } else {
    Deno.stdout.writeSync(new TextEncoder().encode(r.output));
  }
  return 0;
}
