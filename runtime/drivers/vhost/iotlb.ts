/**
 * drivers/vhost/iotlb.c: an interval map from IOVA ranges [start, last]
 * (inclusive) to an address and a permission. vhost uses one for the memory
 * table (umem) and one per address space for IOTLB messages; vdpa_sim keeps
 * its own for DMA translation. Kept as a sorted array with a last-hit cache:
 * lookups are O(log n), and the device path hits the cache.
 *
 * @example
 * ```ts
 * import { VhostIotlb } from "./iotlb.ts";
 * const t = new VhostIotlb();
 * t.addRange(0x1000n, 0x1fffn, 0x7f0000000000n, 3);
 * console.log(t.find(0x1800)?.addr); // 0x7f0000000000
 * ```
 * @module
 */
import { EFAULT } from "../../include/uapi/asm-generic/errno.ts";
import { Errno } from "../../kernel/errno.ts";
import type { MM } from "../../mm/mm.ts";

/** VHOST_MAP_RO / WO / RW (the same values as VHOST_ACCESS_*). */
export const VHOST_MAP_RO = 1;
export const VHOST_MAP_WO = 2;
export const VHOST_MAP_RW = 3;
/** vhost_iotlb flag: evict the oldest entry when full instead of failing. */
export const VHOST_IOTLB_FLAG_RETIRE = 1;

/** One mapping. Numbers, not bigints: the device path reads them per access. */
export interface IotlbMap {
  start: number;
  last: number;
  /** Target address: a user VA (VA mode, memory table) or a host physical address. */
  addr: number;
  perm: number;
  /** Exact bounds (u64), for overlap checks near the top of the space. */
  startB: bigint;
  lastB: bigint;
  /** Pinned physical pages backing a PA-mode map (so INVALIDATE can unpin). */
  pinned?: number[];
  /** The address space `addr` belongs to (VA mode, memory table); none = host physical. */
  mm?: MM;
  /** Why this range is not really mapped (VA mode skipped an anonymous VMA). */
  note?: string;
  /** Insertion order (the kernel's iotlb->list), for RETIRE eviction. */
  seq?: number;
}

/** An IOTLB. */
export class VhostIotlb {
  readonly limit: number;
  readonly flags: number;
  maps: IotlbMap[] = [];
  /** Bumped on every change, so translation caches know to drop. */
  generation = 0;
  #hit: IotlbMap | undefined;
  #seq = 0;

  constructor(limit = 0, flags = 0) {
    this.limit = limit;
    this.flags = flags;
  }

  get nmaps(): number {
    return this.maps.length;
  }

  /**
   * vhost_iotlb_add_range_ctx: EFAULT when last < start. The limit is only
   * enforced with VHOST_IOTLB_FLAG_RETIRE, by evicting the oldest entry (the
   * head of the insertion list); without RETIRE the kernel never refuses a
   * range for being over the limit (drivers/vhost/iotlb.c). Overlaps are
   * allowed here — callers check.
   */
  addRange(
    start: bigint,
    last: bigint,
    addr: bigint,
    perm: number,
    extra: Partial<IotlbMap> = {},
  ): IotlbMap {
    if (last < start) throw new Errno(EFAULT, "vhost_iotlb_add_range: last < start");
    if (
      this.limit && this.maps.length >= this.limit && this.flags & VHOST_IOTLB_FLAG_RETIRE
    ) {
      // list_first_entry(&iotlb->list): the oldest insertion, not the lowest IOVA.
      let oldest = 0;
      for (let i = 1; i < this.maps.length; i++) {
        if (this.maps[i]!.seq! < this.maps[oldest]!.seq!) oldest = i;
      }
      this.maps.splice(oldest, 1);
      this.#hit = undefined;
    }
    const m: IotlbMap = {
      start: toNum(start),
      last: toNum(last),
      addr: toNum(addr),
      perm,
      startB: start,
      lastB: last,
      ...extra,
      seq: this.#seq++,
    };
    let i = this.maps.length;
    while (i > 0 && this.maps[i - 1]!.start > m.start) i--;
    this.maps.splice(i, 0, m);
    this.generation++;
    return m;
  }

  /** vhost_iotlb_del_range: remove every map that intersects [start, last]. Returns the removed maps. */
  delRange(start: bigint, last: bigint): IotlbMap[] {
    const hit = (m: IotlbMap) => m.startB <= last && m.lastB >= start;
    const gone = this.maps.filter(hit);
    if (gone.length) {
      this.maps = this.maps.filter((m) => !hit(m));
      this.generation++;
      this.#hit = undefined;
    }
    return gone;
  }

  /** vhost_iotlb_itree_first: the first map intersecting [start, last]. */
  first(start: bigint, last: bigint): IotlbMap | undefined {
    return this.maps.find((m) => m.startB <= last && m.lastB >= start);
  }

  /** The map containing `iova`, if any. */
  find(iova: number): IotlbMap | undefined {
    const h = this.#hit;
    if (h && iova >= h.start && iova <= h.last) return h;
    let lo = 0, hi = this.maps.length - 1, best: IotlbMap | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const m = this.maps[mid]!;
      if (m.start <= iova) {
        best = m;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Maps may overlap (memory tables allow it): fall back to a scan when the
    // nearest start does not cover.
    if (!best || iova > best.last) best = this.maps.find((m) => iova >= m.start && iova <= m.last);
    if (best) this.#hit = best;
    return best;
  }

  /** vhost_iotlb_reset: drop everything. */
  reset(): void {
    this.maps = [];
    this.generation++;
    this.#hit = undefined;
  }
}

/** IOVAs and addresses beyond 2^53 cannot name simulated memory; clamp them (exactness kept below). */
function toNum(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}
