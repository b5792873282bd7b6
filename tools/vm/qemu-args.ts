/**
 * QEMU command lines, built by pure functions so every flag is unit-tested
 * and recorded verbatim in each run directory.
 */
import { InputError } from '../common/errors.js';

export type Accel = 'kvm' | 'tcg';

/** Where the guest's serial console goes. */
export type SerialMode =
  /** QEMU's stdout (LAVA's dispatcher reads it there). */
  | 'stdio'
  /** A file QEMU appends to and the runner follows (tools/vm/file-tail.ts says why not a pipe). */
  | { file: string }
  /** A developer's terminal, multiplexed with the monitor (Ctrl-A X quits, Ctrl-A C monitor). */
  | 'mon:stdio';

/** The board QEMU emulates and its serial console (kernel-patches/arches.json `qemu`). */
export interface QemuMachine {
  binary: string;
  /** -machine type: q35 (x86_64), virt (arm64). */
  machine: string;
  /** The fixed kernel command line: the serial console (console=ttyS0, ttyAMA0), panic=-1, the arch's own. */
  append: string;
  /** The Debian package that installs `binary` (named when it is missing). */
  debianPackage?: string;
}

/** x86_64's, what every run used before the arch axis (IOFS_QEMU replaces the binary, e.g. to test a missing QEMU). */
export const X86_64_MACHINE: QemuMachine = {
  binary: process.env.IOFS_QEMU ?? 'qemu-system-x86_64',
  machine: 'q35',
  append: 'console=ttyS0 panic=-1 no_timer_check',
  debianPackage: 'qemu-system-x86',
};

export interface QemuArgsOptions {
  kernel: string;
  /** Default: X86_64_MACHINE. */
  machine?: QemuMachine;
  initrd?: string;
  /** Appended after the machine's fixed command line (x86_64: `console=ttyS0 panic=-1 no_timer_check`). */
  append?: string;
  memoryMiB: number;
  accel: Accel;
  /** Host port forwarded to the guest's port 22, always bound to 127.0.0.1. */
  sshPort?: number;
  serial: SerialMode;
  /**
   * Deterministic mode: an instruction counter clock (`-icount shift=N,sleep=off`)
   * so guest time depends on executed instructions, not host load. TCG only.
   */
  icountShift?: number | 'auto';
  /**
   * Extra read-only raw virtio-blk drives, in order: the guest sees them as
   * /dev/vda, /dev/vdb… (e.g. the image a two-stage /init mounts).
   */
  disks?: string[];
  /**
   * QEMU's gdbstub on 127.0.0.1:port, the CPU halted until the debugger
   * continues (-S), so a breakpoint on early code is not too late.
   */
  gdbPort?: number;
}

// no_timer_check: on a loaded host a TCG guest can miss timer ticks while the kernel
// checks the IO-APIC timer, and then panics "IO-APIC + timer doesn't work!" (seen
// with two guests booting at once on 2 busy cores); the check proves nothing in a VM.
/** The fixed part of the kernel command line: serial console, and a panic ends QEMU (with -no-reboot). */
export const BASE_APPEND = 'console=ttyS0 panic=-1 no_timer_check';

export function kernelCommandLine(extra?: string, base = BASE_APPEND): string {
  const rest = (extra ?? '').trim();
  return rest ? `${base} ${rest}` : base;
}

/** argv for the machine's QEMU binary (without the binary itself). */
export function buildQemuArgs(o: QemuArgsOptions): string[] {
  if (!Number.isInteger(o.memoryMiB) || o.memoryMiB < 64) {
    throw new InputError(`memory must be a whole number of MiB, at least 64 (got ${o.memoryMiB})`);
  }
  if (o.sshPort !== undefined && !(Number.isInteger(o.sshPort) && o.sshPort > 0 && o.sshPort < 65536)) {
    throw new InputError(`SSH port must be 1-65535 (got ${o.sshPort})`);
  }
  if (o.icountShift !== undefined && o.accel !== 'tcg') {
    throw new InputError('icount (deterministic mode) needs TCG: use --accel tcg');
  }
  if (typeof o.icountShift === 'number' && !(Number.isInteger(o.icountShift) && o.icountShift >= 0 && o.icountShift <= 10)) {
    throw new InputError(`icount shift must be 0-10 or "auto" (got ${o.icountShift})`);
  }
  const args = [
    '-machine', `${(o.machine ?? X86_64_MACHINE).machine},accel=${o.accel}`,
    // TCG emulates the richest CPU it can; KVM passes the host's through.
    '-cpu', o.accel === 'kvm' ? 'host' : 'max',
    '-m', String(o.memoryMiB),
    '-smp', '1',
    '-nographic',
    '-no-reboot',
    '-kernel', o.kernel,
  ];
  if (o.initrd !== undefined) args.push('-initrd', o.initrd);
  args.push('-append', kernelCommandLine(o.append, (o.machine ?? X86_64_MACHINE).append));
  if (o.sshPort !== undefined) {
    // Bound to loopback only: the guest's root login must not be reachable from the network.
    args.push('-netdev', `user,id=n0,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`);
    // romfile= skips the iPXE option ROM: seconds of firmware under TCG that we never use.
    args.push('-device', 'virtio-net-pci,netdev=n0,romfile=');
  } else {
    args.push('-nic', 'none');
  }
  if (typeof o.serial === 'string') args.push('-serial', o.serial);
  else args.push('-chardev', `file,id=console,path=${qemuOptionValue(o.serial.file)},append=on`, '-serial', 'chardev:console');
  args.push('-monitor', 'none');
  if (o.icountShift !== undefined) args.push('-icount', `shift=${o.icountShift},sleep=off`);
  if (o.gdbPort !== undefined) args.push('-gdb', `tcp:127.0.0.1:${o.gdbPort}`, '-S');
  for (const disk of o.disks ?? []) {
    // readonly=on: the guest cannot change the file the run directory records (path, size, sha256).
    args.push('-drive', `file=${qemuOptionValue(disk)},if=virtio,format=raw,readonly=on`);
  }
  return args;
}

/** A value inside a QEMU -drive/-device option list: a comma is written as two. */
export function qemuOptionValue(value: string): string {
  return value.replaceAll(',', ',,');
}

/** QEMU's complaint when the host side of a hostfwd rule cannot be bound (port taken). */
export function isHostForwardClash(stderr: string): boolean {
  return /Could not set up host forwarding rule/i.test(stderr);
}
