/**
 * Descriptions of the user-visible interface: ioctl definitions (type, nr,
 * direction, size and the argument's layout), hypercall definitions and
 * groups of named constants. Drivers dispatch on the numbers these produce;
 * the trace, `help` and the script language read the same descriptions.
 *
 * @example
 * ```ts
 * import { ioctlNumber, IO } from "./uapi.ts";
 * const KVM_CREATE_VM = IO("KVM_CREATE_VM", 0xAE, 0x01, { kind: "value" }, { doc: "create a VM" });
 * console.log(ioctlNumber(KVM_CREATE_VM, "ppc64le").toString(16)); // "2000ae01"
 * ```
 * @module
 */
import { GENERIC_LAYOUT, ioc, type IocDir } from "../include/uapi/asm-generic/ioctl.ts";
import { POWERPC_LAYOUT } from "../arch/powerpc/include/uapi/asm/ioctl.ts";
import type { EnumSet, FlagSet, Scalar, StructDef } from "./layout.ts";

/** Host architectures the simulator knows. */
export type Arch = "ppc64le" | "arm64" | "x86_64";

/** The kernel profile: the seed patch as posted, or what merged. */
export type Profile = "seed" | "mainline";

/** How an ioctl's `unsigned long arg` is used. */
export type ArgSpec =
  | { kind: "none" }
  /** The argument is an integer value (KVM_CREATE_VM type, KVM_CHECK_EXTENSION cap). */
  | { kind: "value"; name?: string; flags?: FlagSet; enum?: EnumSet }
  /** A pointer to a struct; io says which way the data flows. */
  | { kind: "struct"; struct: StructDef; io: "in" | "out" | "inout" }
  /** A pointer to one scalar (int fd, u64 features, u8 status). */
  | {
    kind: "ptr";
    type: Scalar;
    io: "in" | "out" | "inout";
    name?: string;
    flags?: FlagSet;
    enum?: EnumSet;
  }
  /** A pointer to a NUL-terminated string (VFIO_GROUP_GET_DEVICE_FD). */
  | { kind: "string"; name?: string };

/** One ioctl as the uapi header defines it. */
export interface IoctlDef {
  name: string;
  type: number;
  nr: number;
  dir: IocDir;
  /** The size encoded in the number (sizeof the macro's type; 0 for _IO). */
  size: number;
  arg: ArgSpec;
  /** What it does, one or two sentences. */
  doc: string;
  /** Which fd it is issued on: "/dev/kvm", "vm", "vcpu", "device", "container", … */
  fd?: string;
  /** The header that defines it. */
  source?: string;
  /** Errno rules, each "ERRNO: condition (source)". */
  errors?: readonly string[];
  /** The seed that introduces or defines it. */
  seed?: string;
}

type DefOpts = Omit<IoctlDef, "name" | "type" | "nr" | "dir" | "size" | "arg">;

function mk(
  name: string,
  dir: IocDir,
  type: number,
  nr: number,
  size: number,
  arg: ArgSpec,
  o: DefOpts,
): IoctlDef {
  return { name, dir, type, nr, size, arg, ...o };
}

/**
 * _IO(type, nr): no data transfer encoded (the argument may still be a pointer,
 * as in every VFIO ioctl).
 *
 * @example
 * ```ts
 * console.log(IO("X", 0x3B, 0x64, { kind: "none" }, { doc: "" }).size); // 0
 * ```
 */
export function IO(name: string, type: number, nr: number, arg: ArgSpec, o: DefOpts): IoctlDef {
  return mk(name, "none", type, nr, 0, arg, o);
}

/**
 * _IOR(type, nr, size).
 *
 * @example
 * ```ts
 * console.log(IOR("X", 0xAF, 0x00, 8, { kind: "none" }, { doc: "" }).dir); // "r"
 * ```
 */
export function IOR(
  name: string,
  type: number,
  nr: number,
  size: number,
  arg: ArgSpec,
  o: DefOpts,
): IoctlDef {
  return mk(name, "r", type, nr, size, arg, o);
}

/**
 * _IOW(type, nr, size).
 *
 * @example
 * ```ts
 * console.log(IOW("X", 0xAE, 0x46, 32, { kind: "none" }, { doc: "" }).dir); // "w"
 * ```
 */
export function IOW(
  name: string,
  type: number,
  nr: number,
  size: number,
  arg: ArgSpec,
  o: DefOpts,
): IoctlDef {
  return mk(name, "w", type, nr, size, arg, o);
}

/**
 * _IOWR(type, nr, size).
 *
 * @example
 * ```ts
 * console.log(IOWR("X", 0xAE, 0xE0, 12, { kind: "none" }, { doc: "" }).dir); // "rw"
 * ```
 */
export function IOWR(
  name: string,
  type: number,
  nr: number,
  size: number,
  arg: ArgSpec,
  o: DefOpts,
): IoctlDef {
  return mk(name, "rw", type, nr, size, arg, o);
}

/**
 * The ioctl number for a host architecture (powerpc has its own layout).
 *
 * @example
 * ```ts
 * const d = IO("VFIO_GET_API_VERSION", 0x3B, 0x64, { kind: "none" }, { doc: "" });
 * console.log(ioctlNumber(d, "x86_64").toString(16), ioctlNumber(d, "ppc64le").toString(16)); // "3b64" "20003b64"
 * ```
 */
export function ioctlNumber(def: IoctlDef, arch: Arch): number {
  return ioc(
    arch === "ppc64le" ? POWERPC_LAYOUT : GENERIC_LAYOUT,
    def.dir,
    def.type,
    def.nr,
    def.size,
  );
}

/**
 * A dispatch table from ioctl number to handler, built once per architecture.
 * Drivers use it so that `cmd` is compared with the number the host encodes.
 *
 * @example
 * ```ts
 * const d = IO("X", 0xAE, 0, { kind: "none" }, { doc: "" });
 * const t = new IoctlTable<() => number>([[d, () => 12]]);
 * console.log(t.lookup("arm64", 0xAE00)?.()); // 12
 * ```
 */
export class IoctlTable<H> {
  readonly entries: ReadonlyArray<readonly [IoctlDef, H]>;
  #byArch = new Map<Arch, Map<number, H>>();

  constructor(entries: ReadonlyArray<readonly [IoctlDef, H]>) {
    this.entries = entries;
  }

  /** The handler for `cmd` on `arch`, if any. */
  lookup(arch: Arch, cmd: number): H | undefined {
    let m = this.#byArch.get(arch);
    if (!m) {
      m = new Map();
      for (const [d, h] of this.entries) m.set(ioctlNumber(d, arch), h);
      this.#byArch.set(arch, m);
    }
    return m.get(cmd);
  }

  /** The definitions this table answers, for decoding in traces. */
  defs(): IoctlDef[] {
    return this.entries.map(([d]) => d);
  }
}

/** One hypercall argument. */
export interface HcallArg {
  name: string;
  flags?: FlagSet;
  hex?: boolean;
}

/** A hypercall as the platform defines it (PAPR hcall in r3, args in r4…). */
export interface HcallDef {
  name: string;
  nr: number;
  args: readonly HcallArg[];
  /** Names of values returned in r4… (H_GET_TCE returns the TCE). */
  rets?: readonly string[];
  doc: string;
  source?: string;
  errors?: readonly string[];
  seed?: string;
  arch: Arch;
}

/** A named group of constants (`VIRTIO_CONFIG_S_*`), for scripts and help. */
export interface ConstGroup {
  group: string;
  doc?: string;
  source?: string;
  values: Readonly<Record<string, bigint>>;
}

/**
 * Build a FlagSet from a constant group whose names share a prefix.
 *
 * @example
 * ```ts
 * const f = flagsOf("X_", { X_READ: 1n, X_WRITE: 2n });
 * console.log(f.bits[1]); // ["WRITE", 2n]
 * ```
 */
export function flagsOf(prefix: string, values: Readonly<Record<string, bigint>>): FlagSet {
  return {
    prefix,
    bits: Object.entries(values).filter(([k]) => k.startsWith(prefix)).map(([k, v]) =>
      [k.slice(prefix.length), v] as const
    ),
  };
}

/**
 * Build an EnumSet the same way.
 *
 * @example
 * ```ts
 * console.log(enumOf("T_", { T_A: 0n }).values[0]); // ["A", 0n]
 * ```
 */
export function enumOf(prefix: string, values: Readonly<Record<string, bigint>>): EnumSet {
  return {
    prefix,
    values: Object.entries(values).filter(([k]) => k.startsWith(prefix)).map(([k, v]) =>
      [k.slice(prefix.length), v] as const
    ),
  };
}
