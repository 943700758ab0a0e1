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
  // Scanned by hand, not with regexes: this runs for every number, twice (lexer check, AST).
  const clean = raw.indexOf("_") < 0 ? raw : raw.replaceAll("_", "");
  const kind = intKind(clean);
  if (kind === RADIX_PREFIXED) value = toBigInt(clean);
  else if (kind === DECIMAL) {
    const mult = SUFFIX_BY_CODE[clean.charCodeAt(clean.length - 1)];
    value = mult ? toBigInt(clean.slice(0, -1)) * mult : toBigInt(clean);
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
 * `BigInt(s)` for a well-formed literal; through a double when that is exact (at
 * most 15 characters: 15 decimal digits, or 13 hex/binary digits after `0x`/`0b`),
 * which is about twice as fast as parsing the string as a BigInt.
 */
function toBigInt(s: string): bigint {
  return s.length <= 15 ? BigInt(Number(s)) : BigInt(s);
}

/**
 * True when an integer literal of this token text can have no problem, so the
 * lexer may skip decoding it: short (≤ 15 characters, see {@link toBigInt}), no `_`,
 * no size suffix, and not a bare `0x`/`0b`. Conservative: false means "decode to know".
 *
 * @example
 * ```ts
 * import { plainInt } from "./literals.ts";
 * console.log(plainInt("4096"), plainInt("4K"), plainInt("0x")); // true false false
 * ```
 */
export function plainInt(raw: string): boolean {
  const n = raw.length;
  if (n > 15 || n === 0) return false;
  const c1 = raw.charCodeAt(1);
  if (raw.charCodeAt(0) === 48 && (c1 === 120 || c1 === 88 || c1 === 98 || c1 === 66)) {
    if (n === 2) return false;
    const hex = c1 === 120 || c1 === 88;
    for (let i = 2; i < n; i++) {
      const c = raw.charCodeAt(i);
      if (hex ? !isHexDigit(c) : c !== 48 && c !== 49) return false;
    }
    return true;
  }
  for (let i = 0; i < n; i++) if (!isDigit(raw.charCodeAt(i))) return false;
  return true;
}

const MALFORMED = 0;
const RADIX_PREFIXED = 1;
const DECIMAL = 2;
const SUFFIX_BY_CODE: Record<number, bigint> = Object.fromEntries(
  Object.entries(SUFFIX).map(([k, v]) => [k.charCodeAt(0), v]),
);

const isDigit = (c: number) => c >= 48 && c <= 57;
const isHexDigit = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);

/**
 * Which integer form `s` (without `_`) has: `0x` hex digits+ or `0b` binary digits+
 * (both fine for `BigInt`), digits+ with an optional size suffix, or neither.
 */
function intKind(s: string): number {
  const n = s.length;
  if (n === 0) return MALFORMED;
  const c1 = s.charCodeAt(1);
  if (s.charCodeAt(0) === 48 && (c1 === 120 || c1 === 88 || c1 === 98 || c1 === 66)) {
    if (n === 2) return MALFORMED;
    const hex = c1 === 120 || c1 === 88;
    for (let i = 2; i < n; i++) {
      const c = s.charCodeAt(i);
      if (hex ? !isHexDigit(c) : c !== 48 && c !== 49) return MALFORMED;
    }
    return RADIX_PREFIXED;
  }
  const digitsEnd = SUFFIX_BY_CODE[s.charCodeAt(n - 1)] ? n - 1 : n;
  if (digitsEnd === 0) return MALFORMED;
  for (let i = 0; i < digitsEnd; i++) if (!isDigit(s.charCodeAt(i))) return MALFORMED;
  return DECIMAL;
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
