/**
 * drivers/vhost/vdpa.c, vring half: vhost_vdpa_vring_ioctl — the path every
 * per-vq ioctl (and every ioctl nobody else recognised) takes after the vhost
 * core's vhost_dev_ioctl returned ENOIOCTLCMD (vhost-vdpa.md §4.1, §4.2):
 *
 * 1. get_user(idx, (u32 __user *)argp): EFAULT if unreadable, ENOBUFS if
 *    idx ≥ nvqs;
 * 2. seed only: the two EBUSY gates — vring ioctls only between FEATURES_OK
 *    and DRIVER_OK, none but SET_VRING_ENABLE on a ready vq (both dropped
 *    before merge);
 * 3. the vDPA-specific vring ioctls (ENABLE; mainline also the group / ASID /
 *    size queries) and GET_VRING_BASE's read of the device's avail index;
 * 4. the core's vhost_vring_ioctl, then the push of the new value to the
 *    device (ADDR, BASE, CALL, NUM) — on mainline refused with EINVAL for
 *    ADDR/BASE while DRIVER_OK is set and the device is not suspended.
 *
 * It lives apart from vdpa.ts (as vdpa_iotlb.ts does) so the char device file
 * stays small; only a type is imported back, so there is no runtime cycle.
 *
 * @example
 * ```ts
 * import { vhostVdpaVringIoctl } from "./vdpa_vring.ts";
 * console.log(typeof vhostVdpaVringIoctl); // "function"
 * ```
 * @module
 */
import { EBUSY, EINVAL, EIO, EOPNOTSUPP } from "../../include/uapi/asm-generic/errno.ts";
import { VIRTIO_CONFIG_S } from "../../include/uapi/linux/virtio_config.ts";
import * as V from "../../include/uapi/linux/vhost.ts";
import { Errno } from "../../kernel/errno.ts";
import type { Kernel } from "../../kernel/kernel.ts";
import { nr, readState, vhostVringIoctl, vringIndex, writeState } from "./vhost.ts";
import type { VhostVdpa } from "./vdpa.ts";

const FEATURES_OK = Number(VIRTIO_CONFIG_S.VIRTIO_CONFIG_S_FEATURES_OK);
const DRIVER_OK = Number(VIRTIO_CONFIG_S.VIRTIO_CONFIG_S_DRIVER_OK);

/** Copy a vhost_vring_state {index, num} back to the caller; the ioctl's 0. */
function putState(k: Kernel, arg: bigint, index: number, num: number): number {
  writeState(k, arg, index, num);
  return 0;
}

/** The `num` field of the vhost_vring_state at arg. */
const stateNum = (k: Kernel, arg: bigint): number => readState(k, arg).num;

/**
 * vhost_vdpa_vring_ioctl for the profile of `v` (seed or mainline). Throws
 * Errno; returns 0, a device op's negative errno, or -ENOIOCTLCMD from the
 * core for a command nobody knows (the VFS turns that into ENOTTY).
 *
 * @example
 * ```ts
 * // let r = vhostDevIoctl(k, v.dev, cmd, arg);
 * // if (r === -ENOIOCTLCMD) r = vhostVdpaVringIoctl(v, k, cmd, arg);
 * ```
 */
export function vhostVdpaVringIoctl(v: VhostVdpa, k: Kernel, cmd: number, arg: bigint): number {
  const ops = v.vdpa.config;
  const idx = vringIndex(k, v.nvqs, arg);
  const vq = v.dev.vqs[idx]!;
  if (v.profile === "seed") {
    const status = ops.get_status();
    if (!(status & FEATURES_OK) || status & DRIVER_OK) {
      throw new Errno(EBUSY, "seed: vring ioctls only between FEATURES_OK and DRIVER_OK");
    }
    if (cmd === nr(k, V.VHOST_VDPA_SET_VRING_ENABLE)) {
      ops.set_vq_ready(idx, stateNum(k, arg) !== 0);
      return 0;
    }
    if (ops.get_vq_ready(idx)) throw new Errno(EBUSY, `seed: vq ${idx} is ready (enabled)`);
    if (cmd === nr(k, V.VHOST_GET_VRING_BASE)) vq.lastAvailIdx = ops.get_vq_state(idx);
  } else {
    switch (cmd) {
      case nr(k, V.VHOST_VDPA_SET_VRING_ENABLE):
        ops.set_vq_ready(idx, stateNum(k, arg) !== 0);
        return 0;
      case nr(k, V.VHOST_VDPA_GET_VRING_GROUP): {
        if (!ops.get_vq_group) throw new Errno(EOPNOTSUPP, "no get_vq_group op");
        const g = ops.get_vq_group(idx);
        if (g >= v.vdpa.ngroups) throw new Errno(EIO, `device says group ${g} ≥ ngroups`);
        return putState(k, arg, idx, g);
      }
      case nr(k, V.VHOST_VDPA_GET_VRING_DESC_GROUP):
        throw new Errno(EOPNOTSUPP, "DESC_ASID not negotiated / no get_vq_desc_group op");
      case nr(k, V.VHOST_VDPA_SET_GROUP_ASID): {
        const num = stateNum(k, arg);
        if (num >= v.vdpa.nas) throw new Errno(EINVAL, `asid ${num} ≥ nas ${v.vdpa.nas}`);
        if (!ops.set_group_asid) throw new Errno(EOPNOTSUPP, "no set_group_asid op");
        return ops.set_group_asid(idx, num);
      }
      case nr(k, V.VHOST_VDPA_GET_VRING_SIZE):
        if (!ops.get_vq_size) {
          throw new Errno(EOPNOTSUPP, "no get_vq_size op (batch-mapping simulator)");
        }
        return putState(k, arg, idx, ops.get_vq_size(idx));
      case nr(k, V.VHOST_GET_VRING_BASE):
        vq.lastAvailIdx = ops.get_vq_state(idx);
        break;
    }
  }
  const r = vhostVringIoctl(k, v.dev, cmd, arg);
  if (r) return r;
  const gate = () => {
    if (v.profile === "mainline" && ops.get_status() & DRIVER_OK && !v.suspended) {
      throw new Errno(
        EINVAL,
        "DRIVER_OK is set and the device is not suspended (stored by the core, not pushed)",
      );
    }
  };
  switch (cmd) {
    case nr(k, V.VHOST_SET_VRING_ADDR):
      gate();
      if (ops.set_vq_address(idx, vq.desc, vq.avail, vq.used)) {
        throw new Errno(EINVAL, "set_vq_address failed");
      }
      break;
    case nr(k, V.VHOST_SET_VRING_BASE): {
      gate();
      const e = ops.set_vq_state(idx, vq.lastAvailIdx);
      // The seed (and K57) turn a device error into EINVAL; KNOW returns the device's own.
      if (e && v.profile === "seed") throw new Errno(EINVAL, "set_vq_state failed");
      return e;
    }
    case nr(k, V.VHOST_SET_VRING_CALL): {
      const ctx = vq.callCtx;
      ops.set_vq_cb(idx, { callback: ctx ? () => ctx.signal1() : undefined });
      break;
    }
    case nr(k, V.VHOST_SET_VRING_NUM):
      ops.set_vq_num(idx, vq.num);
      break;
  }
  return 0;
}
