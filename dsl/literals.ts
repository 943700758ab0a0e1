/**
 * Decoding of literal token text into values: integers (with `_`, hex, binary
 * and size suffixes), durations, strings, byte strings, MACs and PCI addresses.
 * Every decoder returns a value plus an optional problem; none throws.
 *
 * @example
 * ```ts
 * import { decodeInt } from "./literals.ts";
 * console.log(decodeInt("4K").value); // 4096n
 * ```
 * @module
 */

/** A decoded value and, when the text was bad, why. */
export interface Decoded<T> {
  value: T;
  problem?: { code: string; message: string; help?: string };
}

const SUFFIX: Record<string, bigint> = {
  K: 1n << 10n,
  M: 1n << 20n,
  G: 1n << 30n,
  T: 1n << 40n,
  P: 1n << 50n,
  E: 1n << 60n,
};
const U64_LIMIT = 1n << 64n;
const DURATION: Record<string, bigint> = { ns: 1n, us: 1_000n, ms: 1_000_000n, s: 1_000_000_000n };

/**
 * Decodes an integer literal: `4096`, `0x1000`, `0b101`, `1_000`, `4K`, `1G`.
 *
 * @example
 * ```ts
 * import { decodeInt } from "./literals.ts";
 * console.log(decodeInt("0x1_0").value); // 16n
 * ```
 */
export function decodeInt(raw: string): Decoded<bigint> {
  let value = 0n;
  const clean = raw.replaceAll("_", "");
  if (/^0[xX][0-9a-fA-F]+$/.test(clean)) value = BigInt(clean);
  else if (/^0[bB][01]+$/.test(clean)) value = BigInt(clean);
  else if (/^[0-9]+[KMGTPE]?$/.test(clean)) {
    const last = clean[clean.length - 1];
    const mult = SUFFIX[last];
    value = mult ? BigInt(clean.slice(0, -1)) * mult : BigInt(clean);
  } else {
    return {
      value: 0n,
      problem: {
        code: "VT0005",
        message: `malformed number \`${raw}\``,
        help: "numbers are decimal (`4096`, `4K`), hex (`0x1000`) or binary (`0b101`)",
      },
    };
  }
  if (value >= U64_LIMIT) {
    return {
      value,
      problem: {
        code: "VT0004",
        message: `number \`${raw}\` does not fit in 64 bits`,
        help: "the largest value is 0xffff_ffff_ffff_ffff",
      },
    };
  }
  return { value };
}

/**
 * Decodes a duration `10ms` into nanoseconds.
 *
 * @example
 * ```ts
 * import { decodeDuration } from "./literals.ts";
 * console.log(decodeDuration("10ms").value); // 10000000n
 * ```
 */
export function decodeDuration(raw: string): Decoded<bigint> {
  const m = /^([0-9_]+)(ns|us|ms|s)$/.exec(raw);
  if (!m) {
    return { value: 0n, problem: { code: "VT0005", message: `malformed duration \`${raw}\`` } };
  }
  const value = BigInt(m[1].replaceAll("_", "")) * DURATION[m[2]];
  if (value >= U64_LIMIT) {
    return {
      value,
      problem: { code: "VT0004", message: `duration \`${raw}\` does not fit in 64 bits` },
    };
  }
  return { value };
}

/**
 * Decodes a double-quoted string (with or without its closing quote).
 *
 * @example
 * ```ts
 * import { decodeString } from "./literals.ts";
 * console.log(decodeString('"a\\tb"').value); // "a\tb"
 * ```
 */
export function decodeString(raw: string): Decoded<string> {
  const closed = /^"(?:[^"\\]|\\.)*"$/s.test(raw);
  const body = raw.slice(1, closed ? -1 : undefined);
  let out = "";
  let problem: Decoded<string>["problem"];
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const e = body[++i];
    if (e === "n") out += "\n";
    else if (e === "t") out += "\t";
    else if (e === '"') out += '"';
    else if (e === "\\") out += "\\";
    else if (e === "x" && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      problem ??= {
        code: "VT0006",
        message: `unknown escape \`\\${e ?? ""}\` in string`,
        help: 'the escapes are \\" \\\\ \\n \\t and \\xNN',
      };
      out += e ?? "";
    }
  }
  if (!closed) {
    problem = {
      code: "VT0002",
      message: "unterminated string",
      help: 'add the closing `"` on the same line',
    };
  }
  return problem ? { value: out, problem } : { value: out };
}

/**
 * Decodes a byte string `x"de ad be ef"`.
 *
 * @example
 * ```ts
 * import { decodeBytes } from "./literals.ts";
 * console.log(decodeBytes('x"de ad"').value); // Uint8Array(2) [ 222, 173 ]
 * ```
 */
export function decodeBytes(raw: string): Decoded<Uint8Array> {
  const closed = raw.length >= 3 && raw.endsWith('"');
  const hex = raw.slice(2, closed ? -1 : undefined).replace(/\s+/g, "");
  const good = /^(?:[0-9a-fA-F]{2})*$/.test(hex);
  const bytes = new Uint8Array(good ? hex.length / 2 : 0);
  for (let i = 0; good && i < bytes.length; i++) {
    bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  }
  if (!closed) {
    return {
      value: bytes,
      problem: { code: "VT0002", message: "unterminated byte string", help: 'add the closing `"`' },
    };
  }
  if (!good) {
    return {
      value: bytes,
      problem: {
        code: "VT0006",
        message: "a byte string holds pairs of hex digits",
        help: 'write bytes as hex pairs, e.g. `x"de ad be ef"`',
      },
    };
  }
  return { value: bytes };
}

/**
 * Decodes a MAC address `52:54:00:12:34:56`.
 *
 * @example
 * ```ts
 * import { decodeMac } from "./literals.ts";
 * console.log(decodeMac("52:54:00:12:34:56")[0]); // 82
 * ```
 */
export function decodeMac(raw: string): Uint8Array {
  return Uint8Array.from(raw.split(":").map((h) => parseInt(h, 16)));
}

/**
 * Canonical `dddd:bb:dd.f` form of a PCI address (domain 0000 when omitted), lower case.
 *
 * @example
 * ```ts
 * import { canonicalBdf } from "./literals.ts";
 * console.log(canonicalBdf("01:00.0")); // "0000:01:00.0"
 * ```
 */
export function canonicalBdf(raw: string): string {
  const s = raw.toLowerCase();
  return s.length === 7 ? `0000:${s}` : s;
}

/**
 * The PCI address pattern, exact.
 *
 * @example
 * ```ts
 * import { BDF_RE } from "./literals.ts";
 * console.log(BDF_RE.test("0000:01:00.0")); // true
 * ```
 */
export const BDF_RE: RegExp = /^(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
