/**
 * C struct layouts: fields with width and offset, natural alignment as on
 * LP64 Linux, flexible trailing arrays, flag and enum decoders. The same
 * layout encodes a script's struct literal into process memory, lets a driver
 * read the argument as the kernel's copy_from_user would, and prints the struct
 * in strace's style.
 *
 * @example
 * ```ts
 * import { defineStruct, encodeStruct, decodeStruct } from "./layout.ts";
 * const s = defineStruct("vfio_group_status", [["argsz", "u32"], ["flags", "u32"]], { argsz: "argsz" });
 * const bytes = encodeStruct(s, { flags: 1n });
 * console.log(s.size, decodeStruct(s, bytes).argsz); // 8 8n
 * ```
 * @module
 */

/** Scalar C types; `be64` is a big-endian u64 (TCE lists). */
export type Scalar = "u8" | "u16" | "u32" | "u64" | "s8" | "s16" | "s32" | "s64" | "be64";

/** A set of named bits, printed as `READ|WRITE`. */
export interface FlagSet {
  /** Prefix of the global constant names, e.g. `VFIO_DMA_MAP_FLAG_`. */
  prefix: string;
  bits: ReadonlyArray<readonly [string, bigint]>;
}

/** A set of named values, printed by name. */
export interface EnumSet {
  prefix: string;
  values: ReadonlyArray<readonly [string, bigint]>;
}

/** The type of one field. */
export type FieldType =
  | Scalar
  | { array: Scalar; count: number }
  | { struct: StructDef }
  | { structArray: StructDef; count: number };

/** Options of a field. */
export interface FieldOpts {
  flags?: FlagSet;
  enum?: EnumSet;
  /** Written by the kernel (printed after the call). */
  out?: boolean;
  /** Print as hex (addresses, sizes). */
  hex?: boolean;
  doc?: string;
}

/** One laid-out field. */
export interface FieldDef extends FieldOpts {
  name: string;
  type: FieldType;
  offset: number;
  size: number;
}

/** A laid-out struct. */
export interface StructDef {
  name: string;
  size: number;
  align: number;
  fields: readonly FieldDef[];
  /** A flexible array member after `size` bytes (`u8 data[]`, regions[]). */
  tail?: { name: string; elem: Scalar | StructDef; countField?: string; doc?: string };
  /** Name of the field filled with the struct's size when a script omits it. */
  argsz?: string;
  doc?: string;
}

const SCALAR_SIZE: Record<Scalar, number> = {
  u8: 1,
  s8: 1,
  u16: 2,
  s16: 2,
  u32: 4,
  s32: 4,
  u64: 8,
  s64: 8,
  be64: 8,
};

/**
 * Size in bytes of a scalar.
 *
 * @example
 * ```ts
 * console.log(scalarSize("u32")); // 4
 * ```
 */
export function scalarSize(t: Scalar): number {
  return SCALAR_SIZE[t];
}

function typeSizeAlign(t: FieldType): [number, number] {
  if (typeof t === "string") return [SCALAR_SIZE[t], SCALAR_SIZE[t]];
  if ("array" in t) return [SCALAR_SIZE[t.array] * t.count, SCALAR_SIZE[t.array]];
  if ("structArray" in t) return [t.structArray.size * t.count, t.structArray.align];
  return [t.struct.size, t.struct.align];
}

/** Field spec as written in a definition: name, type, options. */
export type FieldSpec = readonly [string, FieldType, FieldOpts?];

/**
 * Lay out a struct with natural alignment; explicit padding fields may be
 * given as byte arrays (`["pad", {array: "u8", count: 4}]`).
 *
 * @example
 * ```ts
 * const s = defineStruct("kvm_one_reg", [["id", "u64"], ["addr", "u64"]]);
 * console.log(s.size); // 16
 * ```
 */
export function defineStruct(
  name: string,
  specs: readonly FieldSpec[],
  opts: { argsz?: string; tail?: StructDef["tail"]; doc?: string; packed?: boolean } = {},
): StructDef {
  let off = 0;
  let align = 1;
  const fields: FieldDef[] = [];
  for (const [fname, type, fo] of specs) {
    const [size, a] = typeSizeAlign(type);
    const al = opts.packed ? 1 : a;
    off = Math.ceil(off / al) * al;
    fields.push({ name: fname, type, offset: off, size, ...(fo ?? {}) });
    off += size;
    align = Math.max(align, al);
  }
  const size = Math.ceil(off / align) * align;
  return {
    name,
    size,
    align,
    fields,
    ...(opts.tail ? { tail: opts.tail } : {}),
    ...(opts.argsz ? { argsz: opts.argsz } : {}),
    ...(opts.doc ? { doc: opts.doc } : {}),
  };
}

/** A decoded struct: scalars as bigint, byte arrays as Uint8Array. */
export type StructValue = { [field: string]: bigint | Uint8Array | StructValue | StructValue[] };

/**
 * Read a scalar from a DataView.
 *
 * @example
 * ```ts
 * const dv = new DataView(new Uint8Array([1, 0, 0, 0]).buffer);
 * console.log(readScalar(dv, 0, "u32")); // 1n
 * ```
 */
export function readScalar(dv: DataView, off: number, t: Scalar): bigint {
  switch (t) {
    case "u8":
      return BigInt(dv.getUint8(off));
    case "s8":
      return BigInt(dv.getInt8(off));
    case "u16":
      return BigInt(dv.getUint16(off, true));
    case "s16":
      return BigInt(dv.getInt16(off, true));
    case "u32":
      return BigInt(dv.getUint32(off, true));
    case "s32":
      return BigInt(dv.getInt32(off, true));
    case "u64":
      return dv.getBigUint64(off, true);
    case "s64":
      return dv.getBigInt64(off, true);
    case "be64":
      return dv.getBigUint64(off, false);
  }
}

/**
 * Write a scalar, truncating to its width as a C assignment would.
 *
 * @example
 * ```ts
 * const b = new Uint8Array(4);
 * writeScalar(new DataView(b.buffer), 0, "u32", 0x1_0000_0002n);
 * console.log(b[0]); // 2
 * ```
 */
export function writeScalar(dv: DataView, off: number, t: Scalar, v: bigint): void {
  switch (t) {
    case "u8":
    case "s8":
      dv.setUint8(off, Number(BigInt.asUintN(8, v)));
      return;
    case "u16":
    case "s16":
      dv.setUint16(off, Number(BigInt.asUintN(16, v)), true);
      return;
    case "u32":
    case "s32":
      dv.setUint32(off, Number(BigInt.asUintN(32, v)), true);
      return;
    case "u64":
    case "s64":
      dv.setBigUint64(off, BigInt.asUintN(64, v), true);
      return;
    case "be64":
      dv.setBigUint64(off, BigInt.asUintN(64, v), false);
      return;
  }
}

/** A value a script may put in a struct field. */
export type FieldInput = bigint | number | Uint8Array | string | FieldInputRecord | FieldInput[];
/** A record of field inputs. */
export interface FieldInputRecord {
  [k: string]: FieldInput;
}

function tailBytes(def: StructDef, input: FieldInputRecord): Uint8Array {
  if (!def.tail) return new Uint8Array(0);
  const v = input[def.tail.name];
  if (v === undefined) return new Uint8Array(0);
  const elem = def.tail.elem;
  if (typeof elem === "string") {
    if (v instanceof Uint8Array) return v;
    if (typeof v === "string") return new TextEncoder().encode(v);
    const list = Array.isArray(v) ? v : [v];
    const w = SCALAR_SIZE[elem];
    const out = new Uint8Array(list.length * w);
    const dv = new DataView(out.buffer);
    list.forEach((x, i) => writeScalar(dv, i * w, elem, BigInt(x as bigint | number)));
    return out;
  }
  const list = Array.isArray(v) ? v : [v];
  const out = new Uint8Array(list.length * elem.size);
  list.forEach((x, i) => out.set(encodeStruct(elem, x as FieldInputRecord), i * elem.size));
  return out;
}

/**
 * Encode a struct from a record of field values; missing fields are zero, the
 * argsz field (if any) defaults to sizeof, and a flexible tail is appended.
 * Unknown field names throw a TypeError naming the struct's fields.
 *
 * @example
 * ```ts
 * const s = defineStruct("kvm_one_reg", [["id", "u64"], ["addr", "u64"]]);
 * console.log(encodeStruct(s, { id: 1n }).length); // 16
 * ```
 */
export function encodeStruct(def: StructDef, input: FieldInputRecord): Uint8Array {
  for (const k of Object.keys(input)) {
    if (!def.fields.some((f) => f.name === k) && def.tail?.name !== k) {
      throw new TypeError(
        `struct ${def.name} has no field '${k}' (fields: ${
          [...def.fields.map((f) => f.name), ...(def.tail ? [def.tail.name] : [])].join(", ")
        })`,
      );
    }
  }
  const tail = tailBytes(def, input);
  const out = new Uint8Array(def.size + tail.length);
  const dv = new DataView(out.buffer);
  for (const f of def.fields) {
    let v = input[f.name];
    if (v === undefined && f.name === def.argsz) v = BigInt(def.size);
    if (v === undefined) continue;
    writeField(out, dv, f.offset, f.type, v, f.name, def.name);
  }
  out.set(tail, def.size);
  return out;
}

function writeField(
  out: Uint8Array,
  dv: DataView,
  off: number,
  t: FieldType,
  v: FieldInput,
  fname: string,
  sname: string,
): void {
  if (typeof t === "string") {
    if (typeof v === "bigint" || typeof v === "number") writeScalar(dv, off, t, BigInt(v));
    else throw new TypeError(`field ${sname}.${fname} takes an integer`);
    return;
  }
  if ("array" in t) {
    const w = SCALAR_SIZE[t.array];
    if (v instanceof Uint8Array && w === 1) {
      out.set(v.subarray(0, t.count), off);
    } else if (typeof v === "string" && w === 1) {
      out.set(new TextEncoder().encode(v).subarray(0, t.count), off);
    } else if (Array.isArray(v)) {
      v.slice(0, t.count).forEach((x, i) =>
        writeScalar(dv, off + i * w, t.array, BigInt(x as bigint))
      );
    } else if (typeof v === "bigint" || typeof v === "number") {
      writeScalar(dv, off, t.array, BigInt(v));
    } else throw new TypeError(`field ${sname}.${fname} takes an array`);
    return;
  }
  if ("structArray" in t) {
    const list = Array.isArray(v) ? v : [v];
    list.slice(0, t.count).forEach((x, i) =>
      out.set(encodeStruct(t.structArray, x as FieldInputRecord), off + i * t.structArray.size)
    );
    return;
  }
  if (typeof v !== "object" || v instanceof Uint8Array || Array.isArray(v)) {
    throw new TypeError(`field ${sname}.${fname} takes a struct ${t.struct.name}`);
  }
  out.set(encodeStruct(t.struct, v as FieldInputRecord), off);
}

/**
 * Decode a struct from bytes (at least `def.size` long; shorter input reads
 * as zero-filled). A tail is decoded when `tailCount` is given.
 *
 * @example
 * ```ts
 * const s = defineStruct("v", [["a", "u16"], ["b", "u32"]]);
 * console.log(decodeStruct(s, new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0])).b); // 2n
 * ```
 */
export function decodeStruct(def: StructDef, bytes: Uint8Array, tailCount = 0): StructValue {
  let b = bytes;
  if (b.length < def.size) {
    b = new Uint8Array(def.size);
    b.set(bytes);
  }
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out: StructValue = {};
  for (const f of def.fields) out[f.name] = readField(b, dv, f.offset, f.type);
  if (def.tail && tailCount > 0) {
    const e = def.tail.elem;
    if (typeof e === "string") {
      const w = SCALAR_SIZE[e];
      out[def.tail.name] = w === 1
        ? b.slice(def.size, def.size + tailCount)
        : Array.from({ length: tailCount }, (_, i) => ({
          v: readScalar(dv, def.size + i * w, e),
        }));
    } else {
      out[def.tail.name] = Array.from(
        { length: tailCount },
        (_, i) => decodeStruct(e, b.subarray(def.size + i * e.size, def.size + (i + 1) * e.size)),
      );
    }
  }
  return out;
}

function readField(b: Uint8Array, dv: DataView, off: number, t: FieldType): StructValue[string] {
  if (typeof t === "string") return readScalar(dv, off, t);
  if ("array" in t) {
    if (SCALAR_SIZE[t.array] === 1) return b.slice(off, off + t.count);
    return Array.from({ length: t.count }, (_, i) => ({
      v: readScalar(dv, off + i * SCALAR_SIZE[t.array], t.array),
    }));
  }
  if ("structArray" in t) {
    return Array.from(
      { length: t.count },
      (_, i) =>
        decodeStruct(
          t.structArray,
          b.subarray(off + i * t.structArray.size, off + (i + 1) * t.structArray.size),
        ),
    );
  }
  return decodeStruct(t.struct, b.subarray(off, off + t.struct.size));
}

/**
 * Print a flag word as `READ|WRITE`, with leftover bits in hex.
 *
 * @example
 * ```ts
 * console.log(formatFlags({ prefix: "X_", bits: [["READ", 1n], ["WRITE", 2n]] }, 7n)); // "READ|WRITE|0x4"
 * ```
 */
export function formatFlags(fs: FlagSet, v: bigint): string {
  if (v === 0n) return "0";
  const parts: string[] = [];
  let rest = v;
  for (const [n, bit] of fs.bits) {
    if (bit !== 0n && (rest & bit) === bit) {
      parts.push(n);
      rest &= ~bit;
    }
  }
  if (rest !== 0n) parts.push(`0x${rest.toString(16)}`);
  return parts.join("|");
}

/**
 * Print a value by enum name, else as a number.
 *
 * @example
 * ```ts
 * console.log(formatEnum({ prefix: "T_", values: [["ONE", 1n]] }, 1n)); // "ONE"
 * ```
 */
export function formatEnum(es: EnumSet, v: bigint): string {
  for (const [n, x] of es.values) if (x === v) return n;
  return v.toString();
}

function fmtScalar(f: FieldOpts, v: bigint): string {
  if (f.flags) return formatFlags(f.flags, v);
  if (f.enum) return formatEnum(f.enum, v);
  if (f.hex || v > 0xffffn || v < -0xffffn) {
    return v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`;
  }
  return v.toString();
}

/**
 * Format bytes as a compact hex string (MACs with colons when 6 long).
 *
 * @example
 * ```ts
 * console.log(formatBytes(new Uint8Array([0xde, 0xad]))); // "\"\\xde\\xad\""
 * ```
 */
export function formatBytes(b: Uint8Array, max = 32): string {
  const shown = Array.from(b.subarray(0, max), (x) => `\\x${x.toString(16).padStart(2, "0")}`)
    .join("");
  return `"${shown}"${b.length > max ? "..." : ""}`;
}

/**
 * Print a decoded struct in strace's `{argsz=32, flags=READ|WRITE, …}` form.
 *
 * @example
 * ```ts
 * const s = defineStruct("v", [["a", "u32"]]);
 * console.log(formatStruct(s, { a: 5n })); // "{a=5}"
 * ```
 */
export function formatStruct(def: StructDef, v: StructValue): string {
  const parts: string[] = [];
  for (const f of def.fields) {
    if (/^(pad|resv|reserved|__pad|padding)\d*$/.test(f.name)) continue;
    parts.push(`${f.name}=${formatFieldValue(f, v[f.name])}`);
  }
  if (def.tail && v[def.tail.name] !== undefined) {
    const t = v[def.tail.name];
    const e = def.tail.elem;
    if (t instanceof Uint8Array) parts.push(`${def.tail.name}=${formatBytes(t)}`);
    else if (Array.isArray(t) && typeof e !== "string") {
      parts.push(`${def.tail.name}=[${t.map((x) => formatStruct(e, x)).join(", ")}]`);
    }
  }
  return `{${parts.join(", ")}}`;
}

function formatFieldValue(f: FieldDef, x: StructValue[string] | undefined): string {
  if (x === undefined) return "?";
  if (typeof x === "bigint") return fmtScalar(f, x);
  if (x instanceof Uint8Array) {
    if (x.length === 6 && /mac/.test(f.name)) {
      return Array.from(x, (b) => b.toString(16).padStart(2, "0")).join(":");
    }
    return formatBytes(x);
  }
  const t = f.type;
  if (Array.isArray(x)) {
    if (typeof t === "object" && "structArray" in t) {
      return `[${x.map((e) => formatStruct(t.structArray, e)).join(", ")}]`;
    }
    return `[${x.map((e) => fmtScalar(f, e.v as bigint)).join(", ")}]`;
  }
  if (typeof t === "object" && "struct" in t) return formatStruct(t.struct, x);
  return "?";
}
