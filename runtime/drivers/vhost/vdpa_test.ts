import assert from "node:assert/strict";
import { boot } from "./testutil.ts";
import * as V from "../../include/uapi/linux/vhost.ts";
import { ioctlNumber } from "../../kernel/uapi.ts";
import { ERRNO } from "../../include/uapi/asm-generic/errno.ts";
import { VHOST_VDPA_NET_FEATURES } from "./vdpa.ts";
import { VDPASIM_NET_FEATURES, VDPASIM_NET_FEATURES_SEED } from "../vdpa/vdpa_sim/vdpa_sim_net.ts";

const E = (n: string) => -ERRNO[n]!;
const ACK = 1, DRV = 2, DOK = 4, FOK = 8;
const AP = 1n << 33n, V1 = 1n << 32n;

/** Owner, features and FEATURES_OK: where the seed allows vring ioctls. */
function negotiated(profile: "seed" | "mainline") {
  const t = boot(profile);
  assert.equal(t.io(V.VHOST_SET_OWNER), 0);
  assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV), 0);
  assert.equal(t.io(V.VHOST_SET_FEATURES, Number(AP | V1)), 0);
  assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV | FOK), 0);
  return t;
}

Deno.test("every VHOST_* ioctl number matches the reference table (vhost-vdpa.md §1; include/uapi/linux/vhost.h)", () => {
  const table: Record<string, number> = {
    VHOST_GET_FEATURES: 0x8008AF00,
    VHOST_SET_FEATURES: 0x4008AF00,
    VHOST_SET_OWNER: 0x0000AF01,
    VHOST_RESET_OWNER: 0x0000AF02,
    VHOST_SET_MEM_TABLE: 0x4008AF03,
    VHOST_SET_LOG_BASE: 0x4008AF04,
    VHOST_SET_LOG_FD: 0x4004AF07,
    VHOST_SET_VRING_NUM: 0x4008AF10,
    VHOST_SET_VRING_ADDR: 0x4028AF11,
    VHOST_SET_VRING_BASE: 0x4008AF12,
    VHOST_GET_VRING_BASE: 0xC008AF12,
    VHOST_SET_VRING_KICK: 0x4008AF20,
    VHOST_SET_VRING_CALL: 0x4008AF21,
    VHOST_SET_VRING_ERR: 0x4008AF22,
    // Not in the reference table; include/uapi/linux/vhost.h (both _IOW).
    VHOST_SET_VRING_BUSYLOOP_TIMEOUT: 0x4008AF23,
    VHOST_GET_VRING_BUSYLOOP_TIMEOUT: 0x4008AF24,
    VHOST_SET_BACKEND_FEATURES: 0x4008AF25,
    VHOST_GET_BACKEND_FEATURES: 0x8008AF26,
    VHOST_VDPA_GET_DEVICE_ID: 0x8004AF70,
    VHOST_VDPA_GET_STATUS: 0x8001AF71,
    VHOST_VDPA_SET_STATUS: 0x4001AF72,
    VHOST_VDPA_GET_CONFIG: 0x8008AF73,
    VHOST_VDPA_SET_CONFIG: 0x4008AF74,
    VHOST_VDPA_SET_VRING_ENABLE: 0x4008AF75,
    VHOST_VDPA_GET_VRING_NUM: 0x8002AF76,
    VHOST_VDPA_SET_CONFIG_CALL: 0x4004AF77,
    VHOST_VDPA_GET_IOVA_RANGE: 0x8010AF78,
    VHOST_VDPA_GET_CONFIG_SIZE: 0x8004AF79,
    VHOST_VDPA_GET_AS_NUM: 0x8004AF7A,
    VHOST_VDPA_GET_VRING_GROUP: 0xC008AF7B,
    VHOST_VDPA_SET_GROUP_ASID: 0x4008AF7C,
    VHOST_VDPA_SUSPEND: 0x0000AF7D,
    VHOST_VDPA_RESUME: 0x0000AF7E,
    VHOST_VDPA_GET_VRING_DESC_GROUP: 0xC008AF7F,
    VHOST_VDPA_GET_VQS_COUNT: 0x8004AF80,
    VHOST_VDPA_GET_GROUP_NUM: 0x8004AF81,
    VHOST_VDPA_GET_VRING_SIZE: 0xC008AF82,
  };
  assert.equal(V.VHOST_IOCTLS.length, Object.keys(table).length);
  for (const d of V.VHOST_IOCTLS) {
    assert.equal(ioctlNumber(d, "x86_64") >>> 0, table[d.name], d.name);
    assert.equal(ioctlNumber(d, "arm64") >>> 0, table[d.name], d.name);
    assert.ok(d.doc && d.fd && d.source && d.errors, `${d.name} has doc, fd, source, errors`);
  }
});

Deno.test("the seed's net allowlist is 0x8000_0017_3901_FFAB; sim features 0x3_0800_0020 / 0x3_0883_0028 (vhost-vdpa.md §3, §5)", () => {
  assert.equal(VHOST_VDPA_NET_FEATURES, 0x8000_0017_3901_FFABn);
  assert.equal(VDPASIM_NET_FEATURES_SEED, 0x3_0800_0020n);
  assert.equal(VDPASIM_NET_FEATURES, 0x3_0883_0028n);
});

Deno.test("node is vhost-vdpa/N on the seed, /dev/vhost-vdpa-N on mainline (seed commit message; vhost-vdpa.md §4.1)", () => {
  assert.equal(boot("seed", { open: false }).v.path, "/dev/vhost-vdpa/0");
  assert.equal(boot("mainline", { open: false }).v.path, "/dev/vhost-vdpa-0");
});

for (const p of ["seed", "mainline"] as const) {
  Deno.test(`${p}: a second open → EBUSY; after close it opens again (seed vhost_vdpa_open; vhost-vdpa.md §4.1)`, () => {
    const t = boot(p);
    assert.equal(t.k.open(t.vmm.proc, t.v.path), E("EBUSY"));
    assert.equal(t.vmm.close(t.fd), 0);
    assert.ok(t.k.open(t.vmm.proc, t.v.path) >= 0);
  });

  Deno.test(`${p}: open and close reset the device to status 0 (vhost_vdpa_open/release; vhost-vdpa.md §4.1)`, () => {
    const t = boot(p);
    assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV), 0);
    assert.equal(t.get(V.VHOST_VDPA_GET_STATUS), BigInt(ACK | DRV));
    t.vmm.close(t.fd);
    assert.equal(t.dev.sim.status, 0, "close reset");
    t.dev.sim.status = ACK;
    t.fd = t.vmm.open(t.v.path);
    assert.equal(t.get(V.VHOST_VDPA_GET_STATUS), 0n, "open reset");
  });

  Deno.test(`${p}: SET_STATUS bits only accumulate — dropping one → EINVAL, 0 resets, DRIVER_OK without FEATURES_OK accepted (seed vhost_vdpa_set_status)`, () => {
    const t = boot(p);
    assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV), 0);
    assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK), E("EINVAL"));
    assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV | DOK), 0);
    assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, 0), 0);
    assert.equal(t.get(V.VHOST_VDPA_GET_STATUS), 0n);
  });

  Deno.test(`${p}: SET_FEATURES after FEATURES_OK → EBUSY; without ACCESS_PLATFORM the simulator refuses → EINVAL (vhost_vdpa_set_features; vdpa_sim set_features)`, () => {
    const t = boot(p);
    assert.equal(t.io(V.VHOST_SET_FEATURES, Number(V1)), E("EINVAL"));
    assert.equal(t.io(V.VHOST_SET_FEATURES, Number(AP | V1)), 0);
    assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, FOK), 0);
    assert.equal(t.io(V.VHOST_SET_FEATURES, Number(AP | V1)), E("EBUSY"));
  });

  Deno.test(`${p}: SET_OWNER twice → EBUSY; vring ioctls and SET_MEM_TABLE without owner → EPERM (vhost_dev_set_owner, vhost_dev_check_owner)`, () => {
    const t = boot(p);
    assert.equal(t.io(V.VHOST_SET_VRING_NUM, { index: 0n, num: 256n }), E("EPERM"));
    assert.equal(t.io(V.VHOST_SET_MEM_TABLE, { nregions: 0n }), E("EPERM"));
    assert.equal(t.io(V.VHOST_SET_OWNER), 0);
    assert.equal(t.io(V.VHOST_SET_OWNER), E("EBUSY"));
  });

  Deno.test(`${p}: SET_LOG_BASE / SET_LOG_FD → ENOTTY, owner or not (ENOIOCTLCMD → ENOTTY; vhost-vdpa.md §4.1)`, () => {
    const t = boot(p);
    assert.equal(t.io(V.VHOST_SET_LOG_BASE, 0), E("ENOTTY"));
    t.io(V.VHOST_SET_OWNER);
    assert.equal(t.io(V.VHOST_SET_LOG_FD, 0), E("ENOTTY"));
  });

  Deno.test(`${p}: GET/SET_CONFIG — len 0 or len > size − off → EINVAL, never E2BIG (vhost_vdpa_config_validate and its callers)`, () => {
    const t = boot(p);
    const size = p === "seed" ? 17 : 24;
    assert.equal(t.io(V.VHOST_VDPA_GET_CONFIG, { off: 0n, len: 0n }), E("EINVAL"));
    assert.equal(t.io(V.VHOST_VDPA_GET_CONFIG, { off: 0n, len: BigInt(size + 1) }), E("EINVAL"));
    assert.equal(t.io(V.VHOST_VDPA_GET_CONFIG, { off: 4n, len: BigInt(size - 3) }), E("EINVAL"));
    assert.equal(t.io(V.VHOST_VDPA_GET_CONFIG, { off: 0n, len: BigInt(size) }), 0);
    assert.equal(t.io(V.VHOST_VDPA_SET_CONFIG, { off: 0n, len: BigInt(size + 1) }), E("EINVAL"));
  });

  Deno.test(`${p}: vring index ≥ nvqs → ENOBUFS (seed fixes 2; mainline: the device's 3) (vhost_vdpa_vring_ioctl)`, () => {
    const t = negotiated(p);
    const n = p === "seed" ? 2n : 3n;
    assert.equal(t.io(V.VHOST_SET_VRING_NUM, { index: n, num: 256n }), E("ENOBUFS"));
    assert.equal(t.io(V.VHOST_SET_VRING_NUM, { index: n - 1n, num: 256n }), 0);
  });

  Deno.test(`${p}: SET_VRING_NUM 0, non-power-of-two or > 0xFFFF → EINVAL (vhost_vring_set_num; vhost-vdpa.md §4.3)`, () => {
    const t = negotiated(p);
    for (const num of [0n, 3n, 0x10000n, 0x18000n]) {
      assert.equal(t.io(V.VHOST_SET_VRING_NUM, { index: 0n, num }), E("EINVAL"), String(num));
    }
    assert.equal(t.io(V.VHOST_SET_VRING_NUM, { index: 0n, num: 0x8000n }), 0);
  });

  Deno.test(`${p}: SET_VRING_ADDR — avail odd or used/log not 4-aligned → EINVAL; unknown flags → EOPNOTSUPP; desc unchecked (vhost_vring_set_addr)`, () => {
    const t = negotiated(p);
    const a = {
      index: 0n,
      flags: 0n,
      desc_user_addr: 0x1001n,
      used_user_addr: 0x2000n,
      avail_user_addr: 0x3000n,
      log_guest_addr: 0n,
    };
    assert.equal(t.io(V.VHOST_SET_VRING_ADDR, { ...a, avail_user_addr: 0x3001n }), E("EINVAL"));
    assert.equal(t.io(V.VHOST_SET_VRING_ADDR, { ...a, used_user_addr: 0x2002n }), E("EINVAL"));
    assert.equal(t.io(V.VHOST_SET_VRING_ADDR, { ...a, log_guest_addr: 2n }), E("EINVAL"));
    assert.equal(t.io(V.VHOST_SET_VRING_ADDR, { ...a, flags: 2n }), E("EOPNOTSUPP"));
    assert.equal(t.io(V.VHOST_SET_VRING_ADDR, a), 0);
    assert.equal(t.dev.sim.vqs[0]!.descAddr, 0x1001n);
  });

  Deno.test(`${p}: SET_VRING_BASE > 0xFFFF → EINVAL; GET_VRING_BASE reads it back from the device (vhost_vring_ioctl)`, () => {
    const t = negotiated(p);
    assert.equal(t.io(V.VHOST_SET_VRING_BASE, { index: 1n, num: 0x10000n }), E("EINVAL"));
    assert.equal(t.io(V.VHOST_SET_VRING_BASE, { index: 1n, num: 77n }), 0);
    assert.equal(t.rec(V.VHOST_GET_VRING_BASE, { index: 1n }).num, 77n);
  });

  Deno.test(`${p}: SET_VRING_KICK/CALL — closed fd → EBADF, not an eventfd → EINVAL, -1 unbinds (eventfd_fget; vhost-vdpa.md §4.3)`, () => {
    const t = negotiated(p);
    assert.equal(t.io(V.VHOST_SET_VRING_KICK, { index: 0n, fd: 99n }), E("EBADF"));
    assert.equal(t.io(V.VHOST_SET_VRING_CALL, { index: 0n, fd: BigInt(t.fd) }), E("EINVAL"));
    const e = t.vmm.eventfd();
    assert.equal(t.io(V.VHOST_SET_VRING_CALL, { index: 0n, fd: BigInt(e) }), 0);
    assert.equal(t.io(V.VHOST_SET_VRING_CALL, { index: 0n, fd: -1n }), 0);
    assert.equal(t.v.dev.vqs[0]!.callCtx, undefined);
  });

  Deno.test(`${p}: SET_MEM_TABLE — padding → EOPNOTSUPP, > 64 regions → E2BIG, empty region above gpa 0 → EFAULT (vhost_set_memory)`, () => {
    const t = boot(p);
    t.io(V.VHOST_SET_OWNER);
    assert.equal(t.io(V.VHOST_SET_MEM_TABLE, { nregions: 0n, padding: 1n }), E("EOPNOTSUPP"));
    assert.equal(t.io(V.VHOST_SET_MEM_TABLE, { nregions: 65n }), E("E2BIG"));
    assert.equal(
      t.io(V.VHOST_SET_MEM_TABLE, {
        nregions: 1n,
        regions: [{ guest_phys_addr: 0x1000n, memory_size: 0n, userspace_addr: 0x10000n }],
      }),
      E("EFAULT"),
    );
    assert.equal(
      t.io(V.VHOST_SET_MEM_TABLE, {
        nregions: 1n,
        regions: [{ guest_phys_addr: 0n, memory_size: 0x1000n, userspace_addr: 0x10000n }],
      }),
      0,
    );
  });

  Deno.test(`${p}: VHOST_RESET_OWNER falls through to the vring path: arg 0 → EFAULT (vhost-vdpa.md §4.1 quirk)`, () => {
    const t = boot(p);
    assert.equal(t.io(V.VHOST_RESET_OWNER, 0n), E("EPERM"), "no owner: the core refuses first");
    t.io(V.VHOST_SET_OWNER);
    assert.equal(
      t.k.ioctl(t.vmm.proc, t.fd, ioctlNumber(V.VHOST_RESET_OWNER, "x86_64"), 0n),
      E("EFAULT"),
    );
  });
}

Deno.test("seed: vring ioctls before FEATURES_OK → EBUSY, so QEMU's SET_VRING_CALL at init fails (seed vhost_vdpa_vring_ioctl gate 1)", () => {
  const t = boot("seed");
  t.io(V.VHOST_SET_OWNER);
  const e = t.vmm.eventfd();
  assert.equal(t.io(V.VHOST_SET_VRING_CALL, { index: 0n, fd: BigInt(e) }), E("EBUSY"));
});

Deno.test("mainline: the same SET_VRING_CALL before features is accepted — the gate was dropped before merge (K57; vhost-vdpa.md §4.2)", () => {
  const t = boot("mainline");
  t.io(V.VHOST_SET_OWNER);
  const e = t.vmm.eventfd();
  assert.equal(t.io(V.VHOST_SET_VRING_CALL, { index: 0n, fd: BigInt(e) }), 0);
});

Deno.test("seed: vring ioctls after DRIVER_OK → EBUSY; on a ready vq → EBUSY but SET_VRING_ENABLE still works (seed gates 1 and 2)", () => {
  const t = negotiated("seed");
  assert.equal(t.io(V.VHOST_VDPA_SET_VRING_ENABLE, { index: 0n, num: 1n }), 0);
  assert.equal(t.io(V.VHOST_SET_VRING_NUM, { index: 0n, num: 256n }), E("EBUSY"));
  assert.equal(t.io(V.VHOST_SET_VRING_NUM, { index: 1n, num: 256n }), 0);
  assert.equal(t.io(V.VHOST_VDPA_SET_VRING_ENABLE, { index: 0n, num: 0n }), 0);
  assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV | FOK | DOK), 0);
  assert.equal(t.io(V.VHOST_SET_VRING_NUM, { index: 1n, num: 256n }), E("EBUSY"));
  assert.equal(t.io(V.VHOST_VDPA_SET_VRING_ENABLE, { index: 1n, num: 1n }), E("EBUSY"));
});

Deno.test("seed: an unknown ioctl with owner and status 0 → EBUSY from the gate, not ENOTTY (seed dispatch order)", () => {
  const t = boot("seed");
  t.io(V.VHOST_SET_OWNER);
  assert.equal(
    t.io(V.VHOST_VDPA_GET_VQS_COUNT),
    E("EBUSY"),
    "u32 at arg is 0 < nvqs, then the status gate",
  );
});

Deno.test("mainline: SET_VRING_ADDR/BASE after DRIVER_OK → EINVAL unless suspended (KNOW gate; vhost-vdpa.md §4.2)", () => {
  const t = negotiated("mainline");
  assert.equal(t.io(V.VHOST_VDPA_SET_STATUS, ACK | DRV | FOK | DOK), 0);
  const a = {
    index: 0n,
    flags: 0n,
    desc_user_addr: 0x1000n,
    used_user_addr: 0x2000n,
    avail_user_addr: 0x3000n,
    log_guest_addr: 0n,
  };
  assert.equal(t.io(V.VHOST_SET_VRING_ADDR, a), E("EINVAL"));
  assert.equal(t.v.dev.vqs[0]!.desc, 0x1000n, "the core stored it before the gate");
  assert.equal(t.io(V.VHOST_SET_VRING_BASE, { index: 0n, num: 5n }), E("EINVAL"));
  assert.equal(t.io(V.VHOST_VDPA_SUSPEND), 0);
  assert.equal(t.io(V.VHOST_SET_VRING_ADDR, a), 0);
  assert.equal(t.io(V.VHOST_VDPA_RESUME), 0);
});

Deno.test("seed: GET_FEATURES is the device's features AND the allowlist; mainline: raw (vhost_vdpa_get_features)", () => {
  assert.equal(
    boot("seed").get(V.VHOST_GET_FEATURES),
    VDPASIM_NET_FEATURES_SEED & VHOST_VDPA_NET_FEATURES,
  );
  assert.equal(boot("mainline").get(V.VHOST_GET_FEATURES), VDPASIM_NET_FEATURES);
});

Deno.test("seed: SET_FEATURES with a bit outside the allowlist → EINVAL; mainline accepts and keeps what the device supports (seed vs K510)", () => {
  const ctrlVq = 1n << 17n;
  assert.equal(boot("seed").io(V.VHOST_SET_FEATURES, Number(AP | ctrlVq)), E("EINVAL"));
  const m = boot("mainline");
  assert.equal(m.io(V.VHOST_SET_FEATURES, Number(AP | ctrlVq | (1n << 40n))), 0);
  assert.equal(m.dev.sim.features, AP | ctrlVq);
});

Deno.test("seed-era simulator: a whole-config read returns zeros, a partial read the MAC once features are set (vdpa_sim ~v5.10 get_config off-by-one)", () => {
  const t = boot("seed");
  t.io(V.VHOST_SET_FEATURES, Number(AP | V1));
  const whole = t.rec(V.VHOST_VDPA_GET_CONFIG, { off: 0n, len: 17n }).buf as Uint8Array;
  assert.deepEqual([...whole.subarray(0, 17)], new Array(17).fill(0));
  const mac = t.rec(V.VHOST_VDPA_GET_CONFIG, { off: 0n, len: 6n }).buf as Uint8Array;
  assert.deepEqual([...mac.subarray(0, 6)], [0x52, 0x54, 0, 0x12, 0x34, 0x56]);
});

Deno.test("mainline: config reads force LINK_UP; off > size → EINVAL; GET_CONFIG_SIZE 24 (vdpasim_net_get_config; KNOW validate)", () => {
  const t = boot("mainline");
  const c = t.rec(V.VHOST_VDPA_GET_CONFIG, { off: 0n, len: 24n }).buf as Uint8Array;
  assert.equal(c[6], 1);
  assert.equal(c[10]! | (c[11]! << 8), 1500);
  assert.equal(t.io(V.VHOST_VDPA_GET_CONFIG, { off: 25n, len: 1n }), E("EINVAL"));
  assert.equal(t.get(V.VHOST_VDPA_GET_CONFIG_SIZE), 24n);
});

Deno.test("mainline: backend features — GET = 0x17E; unknown bit → EOPNOTSUPP; DESC_ASID without ASID → EINVAL (vhost_vdpa_unlocked_ioctl)", () => {
  const t = boot("mainline");
  assert.equal(t.get(V.VHOST_GET_BACKEND_FEATURES), 0x17En);
  assert.equal(t.io(V.VHOST_SET_BACKEND_FEATURES, Number(1n << 20n)), E("EOPNOTSUPP"));
  assert.equal(t.io(V.VHOST_SET_BACKEND_FEATURES, Number(1n << 7n)), E("EINVAL"));
  assert.equal(t.io(V.VHOST_SET_BACKEND_FEATURES, 6), 0);
});

Deno.test("mainline: GET_IOVA_RANGE is 0..U64_MAX, GET_VQS_COUNT 3, groups 2, AS 2; SUSPEND without DRIVER_OK is a no-op (vdpa_sim; KNOW)", () => {
  const t = boot("mainline");
  const r = t.rec(V.VHOST_VDPA_GET_IOVA_RANGE);
  assert.equal(r.first, 0n);
  assert.equal(r.last, (1n << 64n) - 1n);
  assert.equal(t.get(V.VHOST_VDPA_GET_VQS_COUNT), 3n);
  assert.equal(t.get(V.VHOST_VDPA_GET_GROUP_NUM), 2n);
  assert.equal(t.get(V.VHOST_VDPA_GET_AS_NUM), 2n);
  assert.equal(t.io(V.VHOST_VDPA_SUSPEND), 0);
  assert.equal(t.v.suspended, false);
});

Deno.test("mainline: vq groups — CVQ in group 1; SET_GROUP_ASID num ≥ nas → EINVAL; DESC_GROUP and VRING_SIZE → EOPNOTSUPP (KNOW vring ioctl)", () => {
  const t = boot("mainline");
  t.io(V.VHOST_SET_OWNER);
  assert.equal(t.rec(V.VHOST_VDPA_GET_VRING_GROUP, { index: 2n }).num, 1n);
  assert.equal(t.io(V.VHOST_VDPA_SET_GROUP_ASID, { index: 1n, num: 2n }), E("EINVAL"));
  assert.equal(t.io(V.VHOST_VDPA_SET_GROUP_ASID, { index: 1n, num: 1n }), 0);
  assert.equal(t.io(V.VHOST_VDPA_GET_VRING_DESC_GROUP, { index: 0n }), E("EOPNOTSUPP"));
  assert.equal(t.io(V.VHOST_VDPA_GET_VRING_SIZE, { index: 0n }), E("EOPNOTSUPP"));
});

Deno.test("seed: post-seed ioctls take the core path — EPERM without owner, then ENOBUFS from the u32 read at arg (seed dispatch)", () => {
  const t = boot("seed");
  assert.equal(t.io(V.VHOST_SET_BACKEND_FEATURES, 6), E("EPERM"));
  t.io(V.VHOST_SET_OWNER);
  assert.equal(t.io(V.VHOST_SET_BACKEND_FEATURES, 6), E("ENOBUFS"));
});

Deno.test("mainline: doorbell mmap — wrong size → EINVAL, readable → EINVAL, else ENOTSUPP (vdpa_sim has no get_vq_notification) (K68 vhost_vdpa_mmap)", () => {
  const t = boot("mainline");
  const ps = t.k.config.pageSize;
  assert.equal(t.k.mmap(t.vmm.proc, 0, 2 * ps, 2, 1, t.fd, 0), E("EINVAL"));
  assert.equal(t.k.mmap(t.vmm.proc, 0, ps, 3, 1, t.fd, 0), E("EINVAL"));
  assert.equal(t.k.mmap(t.vmm.proc, 0, ps, 2, 1, t.fd, 0), E("ENOTSUPP"));
  const s = boot("seed");
  assert.equal(
    s.k.mmap(s.vmm.proc, 0, ps, 2, 1, s.fd, 0),
    E("ENODEV"),
    "the seed's fops have no mmap",
  );
});

Deno.test("mainline: SET_CONFIG_CALL with a bad fd → EBADF/EINVAL and drops the eventfd bound before; -1 unbinds (KNOW vhost_vdpa_set_config_call swaps before the error check)", () => {
  const t = boot("mainline");
  const e = t.vmm.eventfd();
  assert.equal(t.io(V.VHOST_VDPA_SET_CONFIG_CALL, e), 0);
  assert.ok(t.v.configCtx, "bound");
  assert.equal(t.io(V.VHOST_VDPA_SET_CONFIG_CALL, t.fd), E("EINVAL"), "not an eventfd");
  assert.equal(t.v.configCtx, undefined, "the old eventfd was swapped out and put");
  assert.equal(t.io(V.VHOST_VDPA_SET_CONFIG_CALL, e), 0);
  assert.equal(t.io(V.VHOST_VDPA_SET_CONFIG_CALL, 99), E("EBADF"));
  assert.equal(t.v.configCtx, undefined);
  assert.equal(t.io(V.VHOST_VDPA_SET_CONFIG_CALL, e), 0);
  assert.equal(t.io(V.VHOST_VDPA_SET_CONFIG_CALL, -1), 0);
  assert.equal(t.v.configCtx, undefined, "VHOST_FILE_UNBIND");
});

Deno.test("SET_VRING_BASE: a device set_vq_state error is EINVAL on the seed, the device's own errno on mainline (seed vhost_vdpa_vring_ioctl; KNOW returns ops->set_vq_state's r)", () => {
  for (const [p, want] of [["seed", "EINVAL"], ["mainline", "EIO"]] as const) {
    const t = negotiated(p);
    t.v.vdpa.config.set_vq_state = () => E("EIO");
    assert.equal(t.io(V.VHOST_SET_VRING_BASE, { index: 0n, num: 5n }), E(want), p);
    // The core stored the value before the device refused it.
    assert.equal(t.v.dev.vqs[0]!.lastAvailIdx, 5, p);
  }
});

Deno.test("mainline: doorbell mmap with pgoff > 65535 → EINVAL (K68 vhost_vdpa_mmap)", () => {
  const t = boot("mainline");
  const ps = t.k.config.pageSize;
  assert.equal(t.k.mmap(t.vmm.proc, 0, ps, 2, 1, t.fd, 65536 * ps), E("EINVAL"));
  assert.equal(t.k.mmap(t.vmm.proc, 0, ps, 2, 1, t.fd, 65535 * ps), E("ENOTSUPP"));
});
