import assert from "node:assert/strict";
import fc from "fast-check";
import { boot } from "./testutil.ts";

/** One random descriptor: address kind, length kind, flags, next. */
const descArb = fc.record({
  addr: fc.oneof(
    fc.constant("buf"),
    fc.constant("unmapped"),
    fc.constant("ring"),
    fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  ),
  len: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 4096 }),
    fc.constant(0xffff_ffff),
    fc.integer({ min: 0, max: 0xffff_ffff }),
  ),
  flags: fc.integer({ min: 0, max: 7 }),
  next: fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff })),
});

const caseArb = fc.record({
  profile: fc.constantFrom("seed" as const, "mainline" as const),
  descs: fc.array(descArb, { minLength: 16, maxLength: 16 }),
  heads: fc.array(fc.oneof(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 0xffff })), {
    minLength: 1,
    maxLength: 8,
  }),
  q: fc.constantFrom(0, 1),
});

Deno.test("fuzz: random descriptor chains (loops, bad indexes, zero/huge lengths, unmapped addresses, indirect) never crash or hang the simulator; bad chains set NEEDS_RESET (vringh.c errors; virtio 1.x §2.1.1)", () => {
  fc.assert(
    fc.property(caseArb, (c) => {
      const t = boot(c.profile, { guest: true, useVa: false });
      const d = t.dev.driver!;
      const vq = d.vqs[c.q]!;
      // Write the random descriptors over the first 16 entries of the queue's table.
      const table = new Uint8Array(16 * 16);
      const dv = new DataView(table.buffer);
      c.descs.forEach((x, i) => {
        const addr = x.addr === "buf"
          ? BigInt(vq.buffers + i * 0x10000)
          : x.addr === "unmapped"
          ? 0x7000_0000_0000n
          : x.addr === "ring"
          ? BigInt(vq.desc)
          : x.addr;
        dv.setBigUint64(i * 16, addr, true);
        dv.setUint32(i * 16 + 8, x.len, true);
        dv.setUint16(i * 16 + 12, x.flags, true);
        dv.setUint16(i * 16 + 14, x.next, true);
      });
      d.write(vq.desc, table);
      const ring = new Uint8Array(2 * c.heads.length);
      c.heads.forEach((h, i) => new DataView(ring.buffer).setUint16(2 * i, h, true));
      d.write(vq.avail + 4, ring);
      d.write(vq.avail + 2, new Uint8Array([c.heads.length, 0]));
      // Give the other queue well-formed buffers so the datapath really runs.
      const other = 1 - c.q;
      if (other === 0) { for (let i = 0; i < 4; i++) d.post(0, [], [1526]); }
      else for (let i = 0; i < 4; i++) d.post(1, [new Uint8Array(72).fill(0xff)]);
      const t0 = performance.now();
      d.kick(0);
      d.kick(1);
      assert.ok(performance.now() - t0 < 2000, "bounded time");
      const sim = t.dev.sim;
      // Every recorded error is visible as NEEDS_RESET; and vice versa.
      assert.equal(sim.errors.length > 0, (sim.status & 0x40) !== 0);
      // The used rings stay readable and consistent (idx never runs past what was offered).
      for (const q of [0, 1]) {
        const used = d.read(d.vqs[q]!.used + 2, 2);
        assert.ok((used[0]! | (used[1]! << 8)) <= 16);
      }
    }),
    { numRuns: 150, seed: 42 },
  );
});
