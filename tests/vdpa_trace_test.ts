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

/** The vhost-vdpa calls of a trace, with fd numbers and host addresses normalised. */
function vdpaCalls(lines: string[]): string[] {
  return lines
    .filter((l) =>
      (l.includes("/dev/vhost-vdpa") && !l.startsWith("mmap(")) || l.startsWith("eventfd2(")
    )
    .map((l) =>
      l.replace(/\d+<\/dev/g, "N</dev")
        .replace(/fd=\d+/g, "fd=N")
        .replace(/uaddr=0x[0-9a-f]+/g, "uaddr=HVA")
        .replace(/^((?:openat|eventfd2)\(.*\)) = \d+$/, "$1 = N")
    );
}

Deno.test("examples/vdpa-qemu-bringup.vmt issues, call for call, what `vmtopo trace` shows for a `device … vdpa-net { guest … }` declaration (vhost-vdpa.md §6; doorbell mmaps aside)", () => {
  const decl = new Session({ trace: true, stopOnError: true }).run(
    `host h { arch x86_64  kernel mainline  vdpa-sim-use-va false }
guest vm1 { vcpus 1  memory 64M }
device net0 vdpa-net { mac 52:54:00:12:34:56  guest vm1 }
`,
    "t.vmt",
  );
  assert.ok(decl.ok, decl.lines.join("\n"));
  const path = new URL("../examples/vdpa-qemu-bringup.vmt", import.meta.url);
  const ex = new Session({ trace: true, stopOnError: true }).run(
    Deno.readTextFileSync(path),
    "examples/vdpa-qemu-bringup.vmt",
  );
  assert.ok(ex.ok, ex.lines.join("\n"));
  const want = vdpaCalls(decl.lines);
  const got = vdpaCalls(ex.lines);
  assert.ok(want.length >= 39, `the declaration's bring-up has ${want.length} calls`);
  // The example goes on with QEMU 6.x's stop sequence after DRIVER_OK.
  assert.deepEqual(got.slice(0, want.length), want);
  assert.match(
    want.at(-1)!,
    /VHOST_VDPA_GET_STATUS, \[ACKNOWLEDGE\|DRIVER\|DRIVER_OK\|FEATURES_OK\]/,
  );
});

Deno.test("seed: the same QEMU sequence stops where the seed kernel refuses it — GET_IOVA_RANGE (newer QEMU) → EPERM, and without it SET_VRING_CALL before FEATURES_OK → EBUSY (seed vhost_vdpa_unlocked_ioctl default path and vring gate; vhost-vdpa.md §4.1, §4.2, §6 steps 2–3)", () => {
  const path = new URL("../examples/vdpa-qemu-bringup.vmt", import.meta.url);
  const seed = Deno.readTextFileSync(path)
    .replace("kernel mainline  vdpa-sim-use-va false", "kernel seed")
    .replace("/dev/vhost-vdpa-0", "/dev/vhost-vdpa/0");
  const run = (text: string) => {
    const r = new Session({ trace: true, stopOnError: true }).run(text, "seed.vmt");
    assert.ok(!r.ok);
    return vdpaCalls(r.lines);
  };
  // The seed has no GET_IOVA_RANGE: it reaches the vhost core before SET_OWNER.
  assert.match(run(seed).at(-1)!, /VHOST_VDPA_GET_IOVA_RANGE, .*\) = -1 EPERM/);
  // QEMU 6.x does not ask for the range; it then meets the seed's first gate.
  const qemu6 = seed.replace(/let range = .*\nexpect range\.first == 0\n/, "");
  const calls = run(qemu6);
  assert.match(calls.at(-1)!, /VHOST_SET_VRING_CALL, \{index=0, fd=N\}\) = -1 EBUSY/);
  assert.ok(!calls.some((l) => l.includes("VHOST_SET_FEATURES")), "stopped before features");
});
