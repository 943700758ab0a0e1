/**
 * drivers/vdpa/vdpa_sim/vdpa_sim_net.c: the loopback virtio-net device.
 * Every TX chain is copied into the next RX chain (vhost-vdpa.md §5):
 *
 * - seed era (~v5.10 vdpa_sim.c): 2 vqs (0 RX, 1 TX), features
 *   0x3_0800_0020, MAC from the `macaddr` module parameter, config (mtu 1500,
 *   LINK_UP, mac) written at set_features, TX copied in PAGE_SIZE chunks
 *   until either chain ends, no RX buffer → TX completed with 0 and the loop
 *   stops without an interrupt; both callbacks fire after each packet.
 * - mainline: 3 vqs (+ CVQ in group 1), features 0x3_0883_0028, mac/mtu from
 *   `vdpa dev add`, one PAGE_SIZE pull per packet, a receive filter
 *   (broadcast, multicast or the config MAC after the virtio-net header,
 *   compared with strncmp, so the compare ends at a shared NUL byte),
 *   per-packet completion honouring VRING_AVAIL_F_NO_INTERRUPT, and the
 *   CVQ answering only VIRTIO_NET_CTRL_MAC_ADDR_SET.
 *
 * After more than 4 packets the kernel requeues its work item; here the
 * requeued work runs at once (counted as "work requeues").
 *
 * @example
 * ```ts
 * import { VDPASIM_NET_FEATURES_SEED, VDPASIM_NET_FEATURES } from "./vdpa_sim_net.ts";
 * console.log(VDPASIM_NET_FEATURES_SEED.toString(16), VDPASIM_NET_FEATURES.toString(16)); // "308000020" "308830028"
 * ```
 * @module
 */
import { EINVAL } from "../../../include/uapi/asm-generic/errno.ts";
import { bitMask, VIRTIO_F } from "../../../include/uapi/linux/virtio_config.ts";
import {
  virtio_net_config,
  virtio_net_config_seed,
  VIRTIO_NET_F,
  VIRTIO_NET_HDR_LEN,
  VIRTIO_NET_HDR_V1_LEN,
} from "../../../include/uapi/linux/virtio_net.ts";
import { Errno } from "../../../kernel/errno.ts";
import type { Kernel } from "../../../kernel/kernel.ts";
import { Kiov, VringhError } from "../../vhost/vringh.ts";
import { type VdpaDevice, vdpaRegisterDevice } from "../vdpa.ts";
import { VdpaSim, type VdpaSimAttr } from "./vdpa_sim.ts";

const F = { ...VIRTIO_F, ...VIRTIO_NET_F };
/** Seed era: ANY_LAYOUT, VERSION_1, ACCESS_PLATFORM, NET_F_MAC. */
export const VDPASIM_NET_FEATURES_SEED = bitMask(F, [
  "VIRTIO_F_ANY_LAYOUT",
  "VIRTIO_F_VERSION_1",
  "VIRTIO_F_ACCESS_PLATFORM",
  "VIRTIO_NET_F_MAC",
]);
/** Mainline: + MTU, STATUS, CTRL_VQ, CTRL_MAC_ADDR. */
export const VDPASIM_NET_FEATURES = VDPASIM_NET_FEATURES_SEED |
  bitMask(F, [
    "VIRTIO_NET_F_MTU",
    "VIRTIO_NET_F_STATUS",
    "VIRTIO_NET_F_CTRL_VQ",
    "VIRTIO_NET_F_CTRL_MAC_ADDR",
  ]);

const RXQ = 0, TXQ = 1, CVQ = 2;
const MAX_CHAIN = 16 * 1024 * 1024;

/** Options of `vdpa dev add mgmtdev vdpasim_net name … mac … mtu …` (or the seed's module parameters). */
export interface VdpaSimNetOpts {
  name: string;
  mac?: Uint8Array;
  mtu?: number;
  /** vdpa_sim's use_va module parameter (mainline; default true). */
  useVa?: boolean;
}

/** The net simulator: the generic sim plus its own buffer and MAC. */
export class VdpaSimNet extends VdpaSim {
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly buffer: Uint8Array;
  #txIov = new Kiov();
  #rxIov = new Kiov();
  #cvqIn = new Kiov();
  #cvqOut = new Kiov();

  constructor(k: Kernel, o: VdpaSimNetOpts) {
    const seed = k.config.profile === "seed";
    const attr: VdpaSimAttr = {
      name: o.name,
      id: 1,
      nvqs: seed ? 2 : 3,
      ngroups: seed ? 1 : 2,
      nas: seed ? 1 : 2,
      supportedFeatures: seed ? VDPASIM_NET_FEATURES_SEED : VDPASIM_NET_FEATURES,
      configSize: seed ? virtio_net_config_seed.size : virtio_net_config.size,
      onSetFeatures: seed ? (s) => (s as VdpaSimNet).#fillSeedConfig() : undefined,
      getConfig: seed ? undefined : (s) => {
        // status is forced to LINK_UP on every read (vdpasim_net_get_config).
        s.config[6] = 1;
        s.config[7] = 0;
      },
      work: (s) => (s as VdpaSimNet).#work(),
      vqGroup: seed ? undefined : (idx) => (idx === CVQ ? 1 : 0),
    };
    super(k, attr, seed ? true : o.useVa ?? true);
    this.mac = o.mac ?? new Uint8Array(6);
    this.mtu = o.mtu ?? 1500;
    this.buffer = new Uint8Array(k.config.pageSize);
    if (!seed) {
      this.config.set(this.mac, 0);
      this.config[10] = this.mtu & 0xff;
      this.config[11] = this.mtu >> 8;
    }
  }

  /** The seed era writes mtu, LINK_UP and the MAC into the config at set_features. */
  #fillSeedConfig(): void {
    this.config[10] = 1500 & 0xff;
    this.config[11] = 1500 >> 8;
    this.config[6] = 1;
    this.config.set(this.mac, 0);
  }

  #work(): void {
    if (!this.canRun) return;
    if (this.profile === "seed") this.#workSeed();
    else this.#workMainline();
  }

  #workSeed(): void {
    const txq = this.vqs[TXQ]!, rxq = this.vqs[RXQ]!;
    if (!txq.ready || !rxq.ready || !txq.vring || !rxq.vring) return;
    const tx = txq.vring, rx = rxq.vring, ps = this.buffer.length;
    // Counted in locals and added once per run, as the kernel's u64_stats do.
    let pkts = 0, bytes = 0, noRx = 0, requeue = false;
    try {
      for (;;) {
        let txHead: number, rxHead: number;
        try {
          txHead = tx.getdesc(this.#txIov, null);
          if (txHead < 0) break;
          rxHead = rx.getdesc(null, this.#rxIov);
          if (rxHead < 0) {
            tx.complete(txHead, 0);
            noRx++;
            break;
          }
          this.#checkChain(this.#txIov, "TX");
          let total = 0;
          for (;;) {
            const read = tx.pull(this.#txIov, this.buffer, ps);
            if (read <= 0) break;
            const write = rx.push(this.#rxIov, this.buffer, read);
            if (write <= 0) break;
            total += write;
          }
          tx.complete(txHead, 0);
          rx.complete(rxHead, total);
          pkts++;
          bytes += total;
        } catch (e) {
          this.deviceError("vdpasim_work", e);
          return;
        }
        this.notify(TXQ, false);
        this.notify(RXQ, false);
        if (pkts > 4) {
          requeue = true;
          break;
        }
      }
    } finally {
      if (noRx) this.count("tx completed without rx buffer", noRx);
      if (pkts) {
        this.count("packets", pkts);
        this.count("bytes", bytes);
      }
    }
    if (requeue) {
      this.count("work requeues");
      this.scheduleWork();
    }
  }

  #checkChain(iov: Kiov, what: string): void {
    // A simulator limit, not a kernel rule: refuse absurd chains instead of copying gigabytes.
    if (iov.total() > MAX_CHAIN) {
      throw new VringhError(
        EINVAL,
        `${what} chain of ${iov.total()} bytes exceeds the simulator's ${MAX_CHAIN}-byte limit`,
      );
    }
  }

  #receiveFilter(len: number): boolean {
    // VERSION_1 (bit 32) picks the 12-byte header; read as a number, not a BigInt, per packet.
    const hdr = this.featuresHi & 1 ? VIRTIO_NET_HDR_V1_LEN : VIRTIO_NET_HDR_LEN;
    if (len < 6 + hdr) return false;
    const b = this.buffer;
    if (b[hdr]! & 1) return true; // multicast (broadcast included)
    // !strncmp(buffer + hdr_len, config->mac, ETH_ALEN): a string compare, so
    // it stops at the first NUL byte the two MACs share — 52:54:00:xx:xx:xx
    // matches any frame for 52:54:00:yy:yy:yy.
    for (let i = 0; i < 6; i++) {
      const c = b[hdr + i]!;
      if (c !== this.config[i]) return false;
      if (c === 0) return true;
    }
    return true;
  }

  #workMainline(): void {
    this.#handleCvq();
    const txq = this.vqs[TXQ]!, rxq = this.vqs[RXQ]!;
    if (!txq.ready || !rxq.ready || !txq.vring || !rxq.vring) return;
    const tx = txq.vring, rx = rxq.vring, txIov = this.#txIov, rxIov = this.#rxIov;
    // vdpasim_net_work keeps its statistics in locals and adds them at `out:`.
    let txPkts = 0, txBytes = 0, txErrors = 0, rxPkts = 0, rxBytes = 0;
    let rxDrops = 0, rxOverruns = 0, rxErrors = 0, requeue = false;
    try {
      for (;;) {
        let txHead: number;
        try {
          txHead = tx.getdesc(txIov, null);
        } catch (e) {
          txErrors++;
          this.deviceError("vdpasim_net_work: tx getdesc", e);
          return;
        }
        if (txHead < 0) break;
        txPkts++;
        let read: number;
        try {
          read = tx.pull(txIov, this.buffer, this.buffer.length);
        } catch (e) {
          txErrors++;
          this.deviceError("vdpasim_net_work: tx pull", e);
          return;
        }
        txBytes += read;
        try {
          if (!this.#receiveFilter(read)) {
            rxDrops++;
            this.#complete(TXQ, txHead, 0);
            continue;
          }
          const rxHead = rx.getdesc(null, rxIov);
          if (rxHead < 0) {
            rxOverruns++;
            this.#complete(TXQ, txHead, 0);
            break;
          }
          const write = rx.push(rxIov, this.buffer, read);
          if (write <= 0) {
            rxErrors++;
            break;
          }
          rxPkts++;
          rxBytes += write;
          this.#complete(TXQ, txHead, 0);
          this.#complete(RXQ, rxHead, write);
        } catch (e) {
          rxErrors++;
          this.deviceError("vdpasim_net_work: rx", e);
          return;
        }
        if (txPkts > 4) {
          requeue = true;
          break;
        }
      }
    } finally {
      if (txPkts) this.count("tx_pkts", txPkts);
      if (txBytes) this.count("tx_bytes", txBytes);
      if (txErrors) this.count("tx_errors", txErrors);
      if (rxDrops) this.count("rx_drops", rxDrops);
      if (rxOverruns) this.count("rx_overruns", rxOverruns);
      if (rxErrors) this.count("rx_errors", rxErrors);
      if (rxPkts) this.count("rx_pkts", rxPkts);
      if (rxBytes) this.count("rx_bytes", rxBytes);
    }
    if (requeue) {
      this.count("work requeues");
      this.scheduleWork();
    }
  }

  #complete(idx: number, head: number, len: number): void {
    this.vqs[idx]!.vring!.complete(head, len);
    this.notify(idx, true);
  }

  /** vdpasim_handle_cvq: only MAC / ADDR_SET is answered OK. */
  #handleCvq(): void {
    if (!((this.featuresLo >>> 17) & 1)) return; // CTRL_VQ, read without a BigInt
    const cvq = this.vqs[CVQ];
    if (!cvq?.ready || !cvq.vring) return;
    const vr = cvq.vring, inIov = this.#cvqIn, outIov = this.#cvqOut, ctrl = new Uint8Array(2);
    // As in vdpasim_handle_cvq, `status` is set once before the loop: a class
    // other than MAC leaves the previous request's answer in place.
    let status = 1; // VIRTIO_NET_ERR
    for (;;) {
      try {
        const head = vr.getdesc(inIov, outIov);
        if (head < 0) break;
        this.count("cvq requests");
        if (vr.pull(inIov, ctrl, 2) !== 2) {
          this.count("cvq errors");
          break;
        }
        if (ctrl[0] === 1) {
          // VIRTIO_NET_CTRL_MAC: only ADDR_SET, pulled straight into config.mac.
          status = 1;
          if (ctrl[1] === 1 && vr.pull(inIov, this.config.subarray(0, 6), 6) === 6) status = 0;
        }
        this.count(status === 0 ? "cvq successes" : "cvq errors");
        const w = vr.push(outIov, new Uint8Array([status]), 1);
        vr.complete(head, w);
      } catch (e) {
        this.deviceError("vdpasim_handle_cvq", e);
        return;
      }
      this.notify(CVQ, false);
    }
  }
}

/**
 * Create a vdpa_sim_net device and register it on the vDPA bus (module load
 * on the seed; `vdpa dev add mgmtdev vdpasim_net` on mainline). The bus
 * driver (vhost-vdpa) probes it and creates its char device.
 *
 * @example
 * ```ts
 * // const dev = vdpasimNetAdd(kernel, { name: "net0", mac });
 * ```
 */
export function vdpasimNetAdd(k: Kernel, o: VdpaSimNetOpts): VdpaDevice {
  const seed = k.config.profile === "seed";
  if (seed && o.mtu !== undefined && o.mtu !== 1500) {
    throw new Errno(EINVAL, "the seed-era vdpa_sim has no MTU attribute (mtu is fixed at 1500)");
  }
  if (o.mtu !== undefined && (o.mtu < 68 || o.mtu > 65535)) {
    throw new Errno(EINVAL, `mtu ${o.mtu} out of range`);
  }
  const sim = new VdpaSimNet(k, o);
  const ops = seed ? sim.ops : { ...sim.ops, ...sim.mainlineOps() };
  return vdpaRegisterDevice(k, {
    name: o.name,
    config: ops,
    nvqs: sim.attr.nvqs,
    ngroups: sim.attr.ngroups,
    nas: sim.iommu.length,
    use_va: sim.useVa,
    parent: sim,
  });
}
