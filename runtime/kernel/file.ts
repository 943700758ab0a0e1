/**
 * Open files (struct file) and their operations (struct file_operations).
 * A driver gives a FileOperations object; `anon_inode_getfile` makes the
 * files KVM hands out (kvm-vm, kvm-vcpu:N, kvm-spapr-tce…).
 *
 * @example
 * ```ts
 * import { File } from "./file.ts";
 * const f = new File("/dev/null", { name: "null" }, undefined);
 * console.log(f.path, f.count); // "/dev/null" 1
 * ```
 * @module
 */
import type { IoctlDef } from "./uapi.ts";
import type { Vma } from "../mm/mm.ts";

/** What a driver implements for its files. Each method runs with `kernel.current` set. */
export interface FileOperations {
  /** Short driver name, for `show fds`. */
  name: string;
  /** unlocked_ioctl: returns ≥0 or throws Errno (or returns -errno). */
  ioctl?(file: File, cmd: number, arg: bigint): number;
  /** read(): the bytes read, or throws Errno. */
  read?(file: File, count: number): Uint8Array;
  /** write(): bytes consumed, or throws Errno. */
  write?(file: File, data: Uint8Array): number;
  /** mmap(): fill in `vma.fault` (and check size/offset), or throw Errno. */
  mmap?(file: File, vma: Vma, pgoff: number): void;
  /** Called when the last reference goes away. */
  release?(file: File): void;
  /** How strace would decode a buffer written to this file (e.g. a vhost_msg_v2). */
  describeWrite?(file: File, data: Uint8Array): string;
  /** The ioctls this file answers, so traces can name the numbers. */
  ioctls?(file: File): readonly IoctlDef[];
}

/** An open file description. */
export class File {
  /** What strace -y prints after the fd: "/dev/kvm", "anon_inode:kvm-vm". */
  readonly path: string;
  readonly fops: FileOperations;
  // deno-lint-ignore no-explicit-any
  private_data: any;
  count = 1;
  flags = 0;

  // deno-lint-ignore no-explicit-any
  constructor(path: string, fops: FileOperations, private_data: any) {
    this.path = path;
    this.fops = fops;
    this.private_data = private_data;
  }

  /** fget(): take a reference. */
  get(): File {
    this.count++;
    return this;
  }

  /** fput(): drop a reference; the last one calls release. */
  put(): void {
    if (--this.count === 0) this.fops.release?.(this);
  }
}
