/**
 * Simulated user processes (struct task_struct, reduced): pid, comm,
 * credentials, an fd table with lowest-free allocation, and an address space.
 * Every process starts with fds 0–2 taken and a stack VMA, as after exec.
 *
 * @example
 * ```ts
 * import { Process } from "./process.ts";
 * import { PhysMem } from "../mm/phys.ts";
 * import { File } from "./file.ts";
 * const p = new Process(100, "vmm", 0, new PhysMem(4096));
 * console.log(p.installFd(new File("/dev/null", { name: "null" }, undefined))); // 3
 * ```
 * @module
 */
import { EBADF, EMFILE } from "../include/uapi/asm-generic/errno.ts";
import { Errno } from "./errno.ts";
import { File } from "./file.ts";
import { MAP_ANONYMOUS, MAP_PRIVATE, MM, PROT_READ, PROT_WRITE } from "../mm/mm.ts";
import type { PhysMem } from "../mm/phys.ts";

/** CAP_IPC_LOCK and CAP_SYS_RESOURCE (include/uapi/linux/capability.h). */
const ROOT_CAPS = [14, 24];

/** Size of the stack VMA a process starts with (scripts' struct arguments live there). */
export const STACK_SIZE = 1024 * 1024;
const NR_OPEN = 1024;

const TTY = new File("/dev/pts/0", { name: "tty" }, undefined);

/** A process. */
export class Process {
  readonly pid: number;
  readonly comm: string;
  uid: number;
  readonly mm: MM;
  readonly fds = new Map<number, File>();
  /** Lowest address of the stack VMA. */
  readonly stackBase: number;
  exited = false;
  /**
   * RLIMIT_MEMLOCK (signal->rlim[RLIMIT_MEMLOCK]); undefined = inherited from
   * init (MLOCK_LIMIT of the booted kernel, see mm/util.ts rlimitMemlock).
   */
  memlock: { cur: bigint; max: bigint } | undefined;
  /**
   * Effective capabilities that the simulator checks (CAP_IPC_LOCK = 14,
   * CAP_SYS_RESOURCE = 24): root starts with all of them, other users none.
   */
  readonly caps: Set<number>;

  constructor(pid: number, comm: string, uid: number, phys: PhysMem) {
    this.pid = pid;
    this.comm = comm;
    this.uid = uid;
    this.mm = new MM(phys);
    this.caps = new Set(uid === 0 ? ROOT_CAPS : []);
    for (const fd of [0, 1, 2]) this.fds.set(fd, TTY);
    this.stackBase = this.mm.mmap(
      0,
      STACK_SIZE,
      PROT_READ | PROT_WRITE,
      MAP_PRIVATE | MAP_ANONYMOUS,
      "[stack]",
    );
  }

  /** fd_install at the lowest free number. */
  installFd(file: File): number {
    for (let fd = 0; fd < NR_OPEN; fd++) {
      if (!this.fds.has(fd)) {
        this.fds.set(fd, file);
        return fd;
      }
    }
    throw new Errno(EMFILE);
  }

  /** fdget(): the file for an fd, or EBADF. */
  fget(fd: number): File {
    const f = this.fds.get(fd);
    if (!f) throw new Errno(EBADF, `fd ${fd} is not open`);
    return f;
  }

  /** The lowest fd whose file has `path`, if any. */
  fdByPath(path: string): number | undefined {
    for (const [fd, f] of [...this.fds].sort((a, b) => a[0] - b[0])) if (f.path === path) return fd;
    return undefined;
  }
}
