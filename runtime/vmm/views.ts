/**
 * `show` views of the core: processes and their fds, guests, vCPUs, memslots,
 * exit counters, memory use. Subsystems add their own topics beside their
 * code.
 *
 * @example
 * ```ts
 * import { shows } from "./registry.ts";
 * import "./views.ts";
 * console.log(shows.has("fds")); // true
 * ```
 * @module
 */
import { type Kvm, kvmState, type KvmVcpu } from "../virt/kvm/kvm_host.ts";
import { formatNs } from "../kernel/clock.ts";
import type { Process } from "../kernel/process.ts";
import { CAP_IPC_LOCK, capable, fmtLimit, rlimitMemlock } from "../mm/util.ts";
import { registerObjectView, registerShow, type View } from "./registry.ts";
import { Obj, type Value } from "./value.ts";
import type { Vmm, VmmGuest, VmmVcpu } from "./vmm.ts";

const hx = (n: number | bigint): string => `0x${n.toString(16)}`;

function procArg(vmm: Vmm, args: Value[]): Process[] {
  const a = args[0];
  if (a instanceof Obj && a.kind === "process") return [a.impl as Process];
  return [...vmm.kernel.procs.values()];
}

function fdView(p: Process): View {
  const rows = [...p.fds].filter(([fd]) => fd > 2).sort((a, b) => a[0] - b[0]).map((
    [fd, f],
  ) => [String(fd), f.path, f.fops.name, String(f.count)]);
  return {
    title: `fds of ${p.comm} (pid ${p.pid})`,
    columns: ["fd", "file", "driver", "refs"],
    rows,
  };
}

registerShow({
  topic: "fds",
  doc: "open file descriptors of each process (or of one: `show fds vmm`)",
  render: (vmm, args) => procArg(vmm, args).map(fdView),
});

registerShow({
  topic: "processes",
  doc: "simulated processes, with mm->locked_vm and RLIMIT_MEMLOCK",
  render: (vmm) => [{
    columns: ["pid", "comm", "uid", "fds", "vmas", "resident pages", "locked_vm", "memlock"],
    rows: [...vmm.kernel.procs.values()].map((p) => [
      String(p.pid),
      p.comm,
      String(p.uid),
      String(p.fds.size),
      String(p.mm.vmas.length),
      String(p.mm.residentPages()),
      `${p.mm.lockedVm} pages`,
      fmtLimit(rlimitMemlock(p, vmm.kernel.config.profile).cur) +
      (capable(p, CAP_IPC_LOCK) ? " (CAP_IPC_LOCK)" : ""),
    ]),
  }],
});

function vmOf(vmm: Vmm, g: VmmGuest): Kvm {
  return vmm.proc.fget(g.vmfd).private_data as Kvm;
}

function guestView(vmm: Vmm, g: VmmGuest): View[] {
  const kvm = vmOf(vmm, g);
  return [
    {
      title: `guest ${g.name}`,
      columns: ["property", "value"],
      rows: [
        ["vm fd", String(g.vmfd)],
        ["vcpus", String(g.vcpus.length)],
        [
          "RAM",
          `${hx(g.ramGpa)}..${hx(g.ramGpa + g.ramSize)} (${g.ramSize} bytes) at hva ${
            hx(g.ramHva)
          }`,
        ],
        ["memslots", String(kvm.memslots.length)],
        ["devices", kvm.devices.map((d) => d.ops.name).join(", ") || "-"],
      ],
    },
    vcpuTable(vmm, g.vcpus),
  ];
}

function vcpuTable(vmm: Vmm, vcpus: VmmVcpu[]): View {
  return {
    title: "vCPUs",
    columns: [
      "vcpu",
      "fd",
      "state",
      "entries",
      "exits to VMM",
      "hcalls in kernel",
      "hcalls to VMM",
    ],
    rows: vcpus.map((v) => {
      const kv = vmm.kvmVcpu(v);
      return [
        kv.label,
        String(v.fd),
        kv.inGuest ? "in KVM_RUN" : kv.hasRun ? "stopped" : "created",
        String(kv.stat.entries),
        countMap(kv.stat.exits),
        countMap(kv.stat.hcallsInKernel),
        countMap(kv.stat.hcallsToUser),
      ];
    }),
  };
}

function countMap(m: Map<string, number>): string {
  return [...m].map(([k, n]) => `${k.replace(/^KVM_EXIT_/, "")}×${n}`).join(", ") || "-";
}

registerObjectView("guest", (vmm, impl) => guestView(vmm, impl as VmmGuest));
registerObjectView("vcpu", (vmm, impl) => [vcpuTable(vmm, [impl as VmmVcpu])]);
registerObjectView("process", (_vmm, impl) => [fdView(impl as Process)]);

registerShow({
  topic: "guests",
  doc: "declared guests",
  render: (vmm) => [{
    columns: ["guest", "vm fd", "vcpus", "memory", "memslots"],
    rows: [...vmm.guests.values()].map((g) => [
      g.name,
      String(g.vmfd),
      String(g.vcpus.length),
      String(g.ramSize),
      String(vmOf(vmm, g).memslots.length),
    ]),
  }],
});

registerShow({
  topic: "memslots",
  doc: "KVM memory slots of every VM",
  render: (vmm) => [{
    columns: ["vm", "slot", "flags", "guest_phys_addr", "memory_size", "userspace_addr"],
    rows: kvmState(vmm.kernel).vms.flatMap((kvm) =>
      kvm.memslots.map((s) => {
        const ps = vmm.kernel.config.pageSize;
        return [
          kvm.label,
          String(s.id),
          String(s.flags),
          hx(s.base_gfn * ps),
          hx(s.npages * ps),
          hx(s.userspace_addr),
        ];
      })
    ),
  }],
});

function allVcpus(vmm: Vmm): KvmVcpu[] {
  return kvmState(vmm.kernel).vms.flatMap((k) => k.vcpus);
}

registerShow({
  topic: "exits",
  doc: "per-vCPU guest entries, exits to the VMM and where hypercalls were answered",
  render: (vmm) => [{
    columns: ["vcpu", "entries", "exits to VMM", "hcalls in kernel", "hcalls to VMM"],
    rows: allVcpus(vmm).map((v) => [
      v.label,
      String(v.stat.entries),
      countMap(v.stat.exits),
      countMap(v.stat.hcallsInKernel),
      countMap(v.stat.hcallsToUser),
    ]),
  }],
});

registerShow({
  topic: "memory",
  doc: "host memory actually used by the simulation",
  render: (vmm) => [{
    columns: ["what", "value"],
    rows: [
      ["host pages handed out", String(vmm.kernel.phys.pagesAllocated())],
      ["bytes resident", String(vmm.kernel.phys.bytesResident())],
      ["page size", String(vmm.kernel.config.pageSize)],
    ],
  }],
});

registerShow({
  topic: "host",
  doc: "the host: arch, kernel profile, page size, clock",
  render: (vmm) => {
    const c = vmm.kernel.config;
    return [{
      columns: ["property", "value"],
      rows: [
        ["name", c.name],
        ["arch", c.arch],
        ["kernel", c.profile],
        ["page", String(c.pageSize)],
        ["now", formatNs(vmm.kernel.clock.now)],
        ...Object.entries(c.props).filter(([k]) => !["arch", "kernel", "page"].includes(k)).map((
          [k, v],
        ) => [k, String(v)]),
      ],
    }];
  },
});

registerShow({
  topic: "syscalls",
  doc: "system calls issued so far, by name",
  render: (vmm) => [{
    columns: ["syscall", "count"],
    rows: [...vmm.kernel.syscalls].sort().map(([k, n]) => [k, String(n)]),
  }],
});
