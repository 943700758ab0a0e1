/**
 * Simulated arm64 timer interrupts per second: 64 vCPUs, each a periodic
 * guest with a 1 ms vtimer period (arm, WFI, interrupt, mask, EOI, re-arm),
 * over 10 s of virtual time — 640 000 interrupts through the whole seed-004
 * path (background timer, wake, vcpu_load, ISR, vgic, entry, guest handler,
 * WFI, vcpu_put). Compared with a bare loop that fires the same number of
 * clock timers with empty callbacks in the same run.
 *
 * Run: `deno bench --allow-read bench/arm_timer_bench.ts`, or
 * `deno run --allow-read bench/arm_timer_bench.ts` for the figures.
 *
 * @example
 * ```ts
 * // deno run --allow-read bench/arm_timer_bench.ts
 * ```
 * @module
 */
import { bootArm } from "../runtime/arch/arm64/kvm/test_util.ts";
import { Clock } from "../runtime/kernel/clock.ts";

const VCPUS = 64;
const PERIOD_NS = 1_000_000;
const SECONDS = 10;

/** Run the workload; returns interrupts taken and clock callbacks fired. */
export function timerWorkload(
  mode: "lazy" | "legacy",
  vhe: "on" | "off",
): { irqs: number; ms: number } {
  const t = bootArm({ vcpus: VCPUS, cpus: 8, timerSave: mode, vhe });
  for (let i = 0; i < VCPUS; i++) t.b("timer_tick", t.cpu(i), BigInt(PERIOD_NS));
  const t0 = performance.now();
  t.kernel.clock.advance(SECONDS * 1_000_000_000);
  const ms = performance.now() - t0;
  let irqs = 0;
  for (let i = 0; i < VCPUS; i++) irqs += Number(t.b("irq_count", t.cpu(i)));
  return { irqs, ms };
}

/** The bare loop: the same number of one-shot clock timers, each re-arming the next. */
export function bareLoop(steps: number): number {
  const c = new Clock();
  let n = 0;
  const per = (SECONDS * 1_000_000_000) / (steps / VCPUS);
  for (let i = 0; i < VCPUS; i++) {
    const tick = (now: number) => {
      if (++n < steps) c.addTimer(now + per, tick);
    };
    c.addTimer(per, tick);
  }
  const t0 = performance.now();
  c.advance(SECONDS * 1_000_000_000 + 1);
  return performance.now() - t0;
}

Deno.bench({
  name: "bare clock loop, 640k timers",
  group: "arm-timer",
  baseline: true,
  n: 3,
  warmup: 1,
}, () => {
  bareLoop(VCPUS * SECONDS * 1000);
});
Deno.bench({
  name: "64 vCPUs × 1 ms vtimer × 10 s (VHE, lazy)",
  group: "arm-timer",
  n: 3,
  warmup: 1,
}, () => {
  timerWorkload("lazy", "on");
});
Deno.bench({
  name: "64 vCPUs × 1 ms vtimer × 10 s (non-VHE, legacy)",
  group: "arm-timer",
  n: 3,
  warmup: 1,
}, () => {
  timerWorkload("legacy", "off");
});

if (import.meta.main) {
  for (
    const [mode, vhe] of [["lazy", "on"], ["lazy", "off"], ["legacy", "on"], [
      "legacy",
      "off",
    ]] as const
  ) {
    const r = timerWorkload(mode, vhe);
    const bare = bareLoop(r.irqs);
    console.log(
      `${mode.padEnd(6)} vhe=${vhe.padEnd(3)}: ${r.irqs} interrupts in ${r.ms.toFixed(0)} ms = ` +
        `${Math.round(r.irqs / (r.ms / 1000)).toLocaleString("en")} irq/s; bare loop ${
          bare.toFixed(0)
        } ms ` +
        `(${Math.round(r.irqs / (bare / 1000)).toLocaleString("en")} steps/s) → ${
          (r.ms / bare).toFixed(1)
        }× the bare loop`,
    );
  }
}
