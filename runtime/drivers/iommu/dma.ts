/**
 * A PCI device doing DMA: the bus address goes through the IOMMU the group
 * is attached to — on POWER the PE's TCE tables (the PHB's TVT walk), else
 * the group's domain (type1) — and lands in host memory. Every page of the
 * access is translated and checked first, so a fault changes nothing.
 *
 * @example
 * ```ts
 * import { IommuFault } from "./dma.ts";
 * console.log(new IommuFault("0001:01:00.0", 0x1000n, true, "no mapping").message.startsWith("IOMMU fault:")); // true
 * ```
 * @module
 */
import type { Kernel } from "../../kernel/kernel.ts";
import { type IommuGroup, iommuState, type Translation } from "./iommu.ts";

/** A DMA access the IOMMU refused. */
export class IommuFault extends Error {
  readonly bdf: string;
  readonly addr: bigint;
  readonly write: boolean;
  constructor(bdf: string, addr: bigint, write: boolean, why: string) {
    super(`IOMMU fault: ${bdf} DMA ${write ? "write" : "read"} at 0x${addr.toString(16)}: ${why}`);
    this.bdf = bdf;
    this.addr = addr;
    this.write = write;
  }
}

/**
 * Translate one address through the group's IOMMU.
 *
 * @example
 * ```ts
 * // iommuTranslate(group, 0x1000n, true)
 * ```
 */
export function iommuTranslate(g: IommuGroup, addr: bigint, write: boolean): Translation {
  const tg = g.tableGroup;
  if (tg) {
    const tbl = tg.tableFor(addr);
    if (!tbl) return { fault: "address is in no DMA window of the PE" };
    const e = Number(addr >> BigInt(tbl.pageShift));
    const v = tbl.get(e);
    const perm = v % 4;
    if (!(perm & (write ? 2 : 1))) {
      return {
        fault: perm === 0
          ? `TCE ${e - tbl.offset} of tbl#${tbl.id} is not valid`
          : `TCE ${e - tbl.offset} of tbl#${tbl.id} lacks ${
            write ? "TCE_PCI_WRITE" : "TCE_PCI_READ"
          }`,
      };
    }
    return { hpa: v - perm + Number(addr & BigInt(tbl.pageSize - 1)) };
  }
  if (g.domain) return g.domain.translate(addr, write);
  return { fault: "the group is not attached to an IOMMU domain" };
}

function plan(
  k: Kernel,
  bdf: string,
  addr: bigint,
  len: number,
  write: boolean,
): { g: IommuGroup; spans: [number, number, number][] } {
  const dev = iommuState(k).devices.get(bdf);
  if (!dev) throw new Error(`no PCI device ${bdf}`);
  const g = dev.group;
  if (len < 0 || addr < 0n) throw new IommuFault(bdf, addr, write, "negative address or length");
  // Walk in 4K steps (the smallest IOMMU page) so every page is checked.
  const spans: [number, number, number][] = [];
  let done = 0;
  while (done < len) {
    const a = addr + BigInt(done);
    const n = Math.min(len - done, 4096 - Number(a & 4095n));
    const t = iommuTranslate(g, a, write);
    if ("fault" in t) {
      g.faults++;
      throw new IommuFault(bdf, a, write, t.fault);
    }
    spans.push([t.hpa, done, n]);
    done += n;
  }
  return { g, spans };
}

/**
 * The device writes `data` at bus address `addr`. Throws IommuFault (nothing written).
 *
 * @example
 * ```ts
 * // deviceDmaWrite(kernel, "0001:01:00.0", 0x1000n, bytes)
 * ```
 */
export function deviceDmaWrite(k: Kernel, bdf: string, addr: bigint, data: Uint8Array): void {
  const { spans } = plan(k, bdf, addr, data.length, true);
  for (const [hpa, off, n] of spans) k.phys.write(hpa, data.subarray(off, off + n));
}

/**
 * The device reads `len` bytes at bus address `addr`. Throws IommuFault.
 *
 * @example
 * ```ts
 * // deviceDmaRead(kernel, "0001:01:00.0", 0x1000n, 16)
 * ```
 */
export function deviceDmaRead(k: Kernel, bdf: string, addr: bigint, len: number): Uint8Array {
  const { spans } = plan(k, bdf, addr, len, false);
  const out = new Uint8Array(len);
  for (const [hpa, off, n] of spans) out.set(k.phys.read(hpa, n), off);
  return out;
}
