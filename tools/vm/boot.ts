/** `iofs vm boot`: a guest on the developer's terminal. */
import { execa } from 'execa';
import { InputError } from '../common/errors.js';
import { log } from '../common/log.js';
import { buildDirOf } from '../kernel/index.js';
import { promises as fs } from 'node:fs';
import { resolveAccel, type AccelDecision, type AccelMode } from './accel.js';
import { inspectKernel } from './bzimage.js';
import { pickFreePort } from './ports.js';
import { buildQemuArgs, X86_64_MACHINE, type QemuMachine } from './qemu-args.js';
import { defaultKeyDir } from './ssh.js';
import path from 'node:path';

export interface InteractiveBootOptions {
  kernel: string;
  initrd?: string;
  append?: string;
  memoryMiB: number;
  accel: AccelMode;
  icountShift?: number | 'auto';
  /** Read-only virtio drives, /dev/vda, /dev/vdb… in order (e.g. the two-stage boot's EROFS image). */
  disks?: string[];
  /** The board (default: x86_64's); another architecture's runs under TCG. */
  machine?: QemuMachine;
  /** Why KVM cannot be used (another architecture than the host's). */
  tcgOnlyBecause?: string;
  /** Start halted with QEMU's gdbstub on this loopback port (0: a free one) and print the gdb command. */
  gdb?: number;
}

export interface InteractiveBootResult {
  exitCode: number;
  accel: AccelDecision;
  sshPort: number;
  argv: string[];
}

/**
 * Boots with the serial console (and QEMU's monitor, Ctrl-A C) on this
 * terminal; Ctrl-A X quits. Port 22 is forwarded to a loopback port so the
 * developer can also log in with the workspace key.
 */
export async function bootInteractive(o: InteractiveBootOptions): Promise<InteractiveBootResult> {
  await inspectKernel(o.kernel);
  if (o.initrd !== undefined) {
    const st = await fs.stat(o.initrd).catch(() => undefined);
    if (!st?.isFile()) throw new InputError(`initrd ${o.initrd}: no such file`);
  }
  for (const disk of o.disks ?? []) {
    const st = await fs.stat(disk).catch(() => undefined);
    if (!st?.isFile()) throw new InputError(`disk ${disk}: no such file`, { hint: 'give an image file (e.g. from `iofs initrd pack --format erofs`)' });
  }
  const accel = await resolveAccel(o.accel, o.kernel, {
    tcgOnlyBecause: o.tcgOnlyBecause ?? (o.icountShift !== undefined ? 'icount (deterministic clock) needs TCG' : undefined),
  });
  const sshPort = await pickFreePort();
  const gdbPort = o.gdb === undefined ? undefined : o.gdb || (await pickFreePort());
  // KASLR would move the kernel away from vmlinux's addresses: breakpoints by symbol need it off.
  const append = gdbPort === undefined ? o.append : `${o.append ?? ''} nokaslr`.trim();
  const args = buildQemuArgs({ ...o, append, accel: accel.accel, sshPort, serial: 'mon:stdio', ...(gdbPort === undefined ? {} : { gdbPort }) });
  log.info(`accel: ${accel.accel} (${accel.why})`);
  log.info(`ssh:   ssh -i ${path.join(defaultKeyDir(), 'id_ed25519')} -p ${sshPort} -o StrictHostKeyChecking=no root@127.0.0.1 (if the initrd was packed with the workspace key)`);
  log.info('quit:  Ctrl-A X   (Ctrl-A C: QEMU monitor; Ctrl-A H: help)');
  if (gdbPort !== undefined) log.info(`gdb:   the CPU waits for a debugger; in another terminal:\n       ${gdbCommand(o.kernel, gdbPort).join(' ')}`);
  const binary = (o.machine ?? X86_64_MACHINE).binary;
  const r = await execa(binary, args, { stdio: 'inherit', reject: false });
  return { exitCode: r.exitCode ?? 1, accel, sshPort, argv: [binary, ...args] };
}

/**
 * The gdb command for a kernel booted with --gdb: vmlinux beside the boot
 * image (<build>/arch/<arch>/boot/bzImage -> <build>/vmlinux), the build
 * directory trusted for its vmlinux-gdb.py (the lx-* helpers, built with the
 * gdb config fragment), and the stub. Pure; quoted for a POSIX shell.
 */
export function gdbCommand(kernel: string, port: number): string[] {
  const build = buildDirOf(kernel);
  const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  return ['gdb', '-q', q(path.join(build, 'vmlinux')), '-ex', q(`add-auto-load-safe-path ${build}`), '-ex', q(`target remote 127.0.0.1:${port}`)];
}
