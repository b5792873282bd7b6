/**
 * One unattended guest: QEMU started with its console captured, watched for
 * kernel trouble, and SSH awaited until the boot bound. Independent of how the
 * kernel and initrd were made: it boots a kernel path and an initrd path.
 */
import { writeFileAtomic } from '../common/atomic.js';
import path from 'node:path';
import { findPanic, stripControl, type PanicReport } from './console.js';
import { startQemu, type QemuExit, type RunningQemu } from './qemu.js';
import type { Accel, QemuMachine } from './qemu-args.js';
import { connectSsh, SshConnectError, type SshSession } from './ssh.js';

export interface GuestOptions {
  kernel: string;
  /** Default: x86_64's q35. */
  machine?: QemuMachine;
  initrd?: string;
  append: string;
  memoryMiB: number;
  accel: Accel;
  icountShift?: number | 'auto';
  /** Extra read-only virtio disks (/dev/vda…). */
  disks?: string[];
  /** console.log, console.raw and qemu-argv.json go here. */
  runDir: string;
}

export type SshWait =
  | { kind: 'ready'; session: SshSession; wallToSshReadyS: number }
  /** The console showed a panic/Oops/BUG/WARNING (QEMU may or may not have exited). */
  | { kind: 'panic'; report: PanicReport }
  /** The bound passed with no SSH login. */
  | { kind: 'timeout'; detail: string }
  /** QEMU went away without a kernel trouble signature (exit 0: the guest reset or powered off). */
  | { kind: 'exited'; exit: QemuExit }
  | { kind: 'interrupted' };

const SSHD_MARKER = /IOFS_MARKER stage=sshd\b/;

/** Quick test of one console line, so the wait can stop at the first sign of trouble. */
function looksLikeTrouble(line: string): boolean {
  return findPanic([line]) !== undefined;
}

export class Guest {
  /** Aborted on QEMU exit, on a trouble line, or by the caller. */
  private readonly stopWaiting = new AbortController();
  private troubleAt: number | undefined;
  /** Our guest's /init prints `IOFS_MARKER stage=sshd` once dropbear listens (test-vms/guest/init). */
  private readonly sshdListening = new EventTarget();

  private constructor(
    readonly qemu: RunningQemu,
    readonly options: GuestOptions,
  ) {}

  static async start(o: GuestOptions): Promise<Guest> {
    let guest: Guest | undefined;
    const early: string[] = [];
    const qemu = await startQemu({
      kernel: o.kernel,
      ...(o.machine ? { machine: o.machine } : {}),
      initrd: o.initrd,
      append: o.append,
      memoryMiB: o.memoryMiB,
      accel: o.accel,
      icountShift: o.icountShift,
      disks: o.disks,
      forwardSsh: true,
      consoleFiles: { log: path.join(o.runDir, 'console.log'), raw: path.join(o.runDir, 'console.raw') },
      onLine: (line) => (guest ? guest.onLine(line) : early.push(line)),
    });
    guest = new Guest(qemu, o);
    for (const line of early) guest.onLine(line);
    await writeFileAtomic(path.join(o.runDir, 'qemu-argv.json'), `${JSON.stringify(qemu.argv, null, 2)}\n`);
    void qemu.exited.then(() => guest.stopWaiting.abort());
    return guest;
  }

  private onLine(line: string): void {
    if (SSHD_MARKER.test(line)) this.sshdListening.dispatchEvent(new Event('listening'));
    if (this.troubleAt === undefined && looksLikeTrouble(line)) {
      this.troubleAt = Date.now();
      this.stopWaiting.abort();
    }
  }

  /** The first kernel trouble on the console so far, with context. */
  panic(): PanicReport | undefined {
    return findPanic(this.qemu.lines);
  }

  /**
   * Waits for an SSH login until `bootTimeoutS` after QEMU started, stopping
   * at once when QEMU exits, the console shows trouble, or `signal` aborts.
   */
  async waitForSsh(privateKey: string, bootTimeoutS: number, signal?: AbortSignal): Promise<SshWait> {
    const onOuterAbort = (): void => this.stopWaiting.abort();
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    try {
      const session = await connectSsh({
        port: this.qemu.sshPort ?? 0,
        privateKey,
        deadline: this.qemu.startedAt + bootTimeoutS * 1000,
        signal: this.stopWaiting.signal,
        sshdListening: this.sshdListening,
      });
      return { kind: 'ready', session, wallToSshReadyS: (Date.now() - this.qemu.startedAt) / 1000 };
    } catch (err) {
      if (signal?.aborted) return { kind: 'interrupted' };
      if (this.troubleAt !== undefined) {
        // Let the rest of the report (call trace, panic line) reach the console.
        await Promise.race([this.qemu.exited, new Promise((r) => setTimeout(r, 3000))]);
        return { kind: 'panic', report: this.panic() ?? fallbackReport(this.qemu.lines) };
      }
      if (this.qemu.hasExited()) {
        const exit = await this.qemu.exited;
        const report = this.panic();
        return report ? { kind: 'panic', report } : { kind: 'exited', exit };
      }
      const last = lastKernelLine(this.qemu.lines);
      const why = err instanceof SshConnectError ? err.message : (err as Error).message;
      return {
        kind: 'timeout',
        detail: `no SSH login within ${bootTimeoutS}s: ${why}${last ? `; last console line: ${JSON.stringify(last)}` : '; no console output'}`,
      };
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
    }
  }

  async stop(): Promise<QemuExit> {
    return this.qemu.stop();
  }
}

function lastKernelLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const l = stripControl(lines[i] ?? '').trim();
    if (l) return l.slice(0, 200);
  }
  return undefined;
}

function fallbackReport(lines: readonly string[]): PanicReport {
  const last = lines.at(-1) ?? '';
  return { kind: 'panic', line: last, firstLine: last, index: Math.max(0, lines.length - 1), context: lines.slice(-40).map(stripControl) };
}
