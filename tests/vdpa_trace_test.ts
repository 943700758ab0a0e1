// `vmtopo trace` of a `device … vdpa-net` declaration is QEMU's bring-up
// sequence (vhost-vdpa.md §6: vhost_dev_init, then vhost_dev_start).
import assert from "node:assert/strict";
import { Session } from "../dsl/interp/session.ts";

function ioctlNames(profile: string): string[] {
  const s = new Session({ trace: true, stopOnError: true });
  const r = s.run(
    `host h { arch x86_64  kernel ${profile}  vdpa-sim-use-va false }
guest vm1 { vcpus 1  memory 64M }
device net0 vdpa-net { mac 52:54:00:12:34:56  guest vm1 }
`,
    "t.vmt",
  );
  assert.ok(r.ok, r.lines.join("\n"));
  return r.lines
    .filter((l) => l.includes("/dev/vhost-vdpa"))
    .map((l) => l.match(/^(?:ioctl\(\d+<[^>]+>, (\w+)|(openat|write|mmap))/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => m[1] ?? m[2]!);
}

Deno.test("mainline: the declaration issues QEMU's vhost-vdpa sequence in order (vhost-vdpa.md §6 steps 1–9)", () => {
  const names = ioctlNames("mainline");
  const order = [
    "openat",
    "VHOST_GET_FEATURES",
    "VHOST_VDPA_SET_STATUS", // add_status(ACKNOWLEDGE|DRIVER) before SET_OWNER
    "VHOST_SET_OWNER",
    "VHOST_SET_VRING_CALL",
    "VHOST_VDPA_GET_DEVICE_ID",
    "VHOST_SET_FEATURES",
    "VHOST_GET_BACKEND_FEATURES",
    "VHOST_SET_BACKEND_FEATURES",
    "VHOST_SET_VRING_NUM",
    "VHOST_SET_VRING_BASE",
    "VHOST_SET_VRING_ADDR",
    "VHOST_SET_VRING_KICK",
    "write", // IOTLB batch of guest RAM
    "VHOST_VDPA_SET_VRING_ENABLE",
  ];
  let at = -1;
  for (const n of order) {
    const i = names.indexOf(n, at + 1);
    assert.ok(i > at, `${n} should follow position ${at} in ${names.join(", ")}`);
    at = i;
  }
  assert.equal(names.at(-2), "VHOST_VDPA_SET_STATUS", "DRIVER_OK is set last, then read back");
  assert.ok(
    !names.includes("VHOST_SET_MEM_TABLE"),
    "QEMU does not send SET_MEM_TABLE to vhost-vdpa",
  );
});
