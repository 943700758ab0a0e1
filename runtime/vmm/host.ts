/**
 * The `host` declaration: which machine the simulated kernel boots on —
 * architecture (which also picks the ioctl encoding), the kernel profile
 * (the seed patches as posted, or mainline), page size, MMU, seed for the
 * deterministic PRNG, and properties subsystems register (vhe, timer-save…).
 *
 * @example
 * ```ts
 * import { hostConfig } from "./host.ts";
 * console.log(hostConfig("p9", new Map()).arch); // "ppc64le"
 * ```
 * @module
 */
import type { HostConfig } from "../kernel/kernel.ts";
import type { Arch, Profile } from "../kernel/uapi.ts";
import { hostProps, type PropSpec, VmmError } from "./registry.ts";
import type { Value } from "./value.ts";

/** The host's own properties; subsystems add more with registerHostProp. */
export const HOST_PROPS: readonly PropSpec[] = [
  {
    name: "arch",
    type: "ident",
    values: ["ppc64le", "arm64", "x86_64"],
    doc: "host ISA (default ppc64le)",
  },
  {
    name: "kernel",
    type: "ident",
    values: ["seed", "mainline"],
    doc: "behaviour profile (default seed)",
  },
  { name: "page", type: "size", doc: "host PAGE_SIZE (default 64K on ppc64le, 4K elsewhere)" },
  { name: "mmu", type: "ident", values: ["radix", "hash"], doc: "POWER MMU mode (default radix)" },
  { name: "seed", type: "int", doc: "seed of the simulator's PRNG (default 1)" },
  { name: "cpus", type: "int", doc: "physical CPUs (default 4)" },
];

/**
 * All host properties known now.
 *
 * @example
 * ```ts
 * console.log(allHostProps().some((p) => p.name === "arch")); // true
 * ```
 */
export function allHostProps(): PropSpec[] {
  return [...HOST_PROPS, ...hostProps];
}

/**
 * Build a HostConfig from evaluated properties.
 *
 * @example
 * ```ts
 * console.log(hostConfig("h", new Map([["arch", ["arm64"]]])).pageSize); // 4096
 * ```
 */
export function hostConfig(name: string, props: Map<string, Value[]>): HostConfig {
  const one = (n: string): Value | undefined => props.get(n)?.[0];
  const arch = (one("arch") as Arch | undefined) ?? "ppc64le";
  const profile = (one("kernel") as Profile | undefined) ?? "seed";
  const page = one("page");
  const pageSize = typeof page === "bigint" ? Number(page) : arch === "ppc64le" ? 65536 : 4096;
  if (![4096, 16384, 65536].includes(pageSize)) {
    throw new VmmError(`page size ${pageSize} is not one Linux supports here (4K, 16K, 64K)`, {
      prop: "page",
    });
  }
  const seed = one("seed");
  const rest: HostConfig["props"] = {};
  for (const [k, v] of props) {
    const x = v[0];
    if (typeof x === "string" || typeof x === "bigint" || typeof x === "boolean") rest[k] = x;
  }
  if (rest["cpus"] === undefined) rest["cpus"] = 4n;
  return {
    name,
    arch,
    profile,
    pageSize,
    seed: typeof seed === "bigint" ? Number(seed) : 1,
    props: rest,
  };
}
