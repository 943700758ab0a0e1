/**
 * A small vocabulary for the front end's own tests: the names of the spapr-ddw
 * and vhost-vdpa examples, nothing more.
 *
 * @example
 * ```ts
 * import { testVocabulary } from "./vocab.ts";
 * console.log(testVocabulary().hcalls.has("H_PUT_TCE")); // true
 * ```
 * @module
 */
import type { CallSpec, DeclSpec, Vocabulary } from "../vocabulary.ts";

const decls: DeclSpec[] = [
  {
    keyword: "host",
    props: [
      { name: "arch", type: "ident", values: ["ppc64le", "arm64", "x86_64"] },
      { name: "mmu", type: "ident", values: ["radix", "hash"] },
    ],
  },
  {
    keyword: "guest",
    props: [
      { name: "vcpus", type: "int" },
      { name: "memory", type: "size", required: true },
      { name: "nested", type: "flag" },
    ],
  },
  { keyword: "process", props: [{ name: "comm", type: "string" }] },
  {
    keyword: "container",
    props: [{ name: "iommu", type: "ident", values: ["type1", "spapr-tce-v2"] }],
  },
  {
    keyword: "group",
    numericName: true,
    props: [
      { name: "container", type: "ident" },
      { name: "device", type: "bdf", repeat: true },
    ],
  },
  {
    keyword: "window",
    props: [
      { name: "guest", type: "ident", required: true },
      { name: "group", type: "ident" },
      { name: "liobn", type: "int" },
      { name: "offset", type: "size" },
      { name: "size", type: "size", required: true },
      { name: "page", type: "size" },
    ],
  },
  {
    keyword: "device",
    kinds: ["vdpa-net", "vfio-pci"],
    props: [{ name: "mac", type: "mac" }, { name: "queues", type: "int" }, {
      name: "bdf",
      type: "bdf",
    }],
  },
];

const call = (
  name: string,
  fields: string[] = [],
  fieldFlags?: Record<string, string[]>,
): [string, CallSpec] => [
  name,
  fieldFlags ? { name, fields, fieldFlags } : { name, fields },
];

/**
 * Builds the test vocabulary.
 *
 * @example
 * ```ts
 * import { testVocabulary } from "./vocab.ts";
 * console.log(testVocabulary().decls.get("guest")?.props.length); // 3
 * ```
 */
export function testVocabulary(): Vocabulary {
  return {
    decls: new Map(decls.map((d) => [d.keyword, d])),
    ioctls: new Map([
      call("VHOST_VDPA_SET_STATUS", [], {
        "*": ["ACKNOWLEDGE", "DRIVER", "DRIVER_OK", "FEATURES_OK"],
      }),
      call("VHOST_VDPA_GET_STATUS"),
      call("KVM_CREATE_VM"),
      call("KVM_CREATE_VCPU"),
      call("KVM_CHECK_EXTENSION"),
      call("VFIO_IOMMU_MAP_DMA", ["argsz", "flags", "vaddr", "iova", "size"], {
        flags: ["READ", "WRITE"],
      }),
    ]),
    hcalls: new Map([
      call("H_PUT_TCE", ["liobn", "ioba", "tce"], { tce: ["TCE_READ", "TCE_WRITE"] }),
      call("H_GET_TCE", ["liobn", "ioba"]),
      call("H_STUFF_TCE", ["liobn", "ioba", "tce", "count"], { tce: ["TCE_READ", "TCE_WRITE"] }),
    ]),
    builtins: new Map([
      call("memwrite", ["target", "addr", "data"]),
      call("memread", ["target", "addr", "len"]),
      call("hex", ["value"]),
    ]),
    constants: new Set([
      "H_SUCCESS",
      "H_PARAMETER",
      "KVM_CAP_SPAPR_TCE",
      "EBUSY",
      "EINVAL",
      "ACKNOWLEDGE",
      "DRIVER",
      "true",
      "false",
    ]),
    showTopics: new Set(["windows", "tce", "guests", "trace", "groups"]),
  };
}
