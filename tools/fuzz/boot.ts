/**
 * One fuzz boot: QEMU with the console captured into the case directory, no
 * network (the guest needs none to reach its init marker), stopped as soon as
 * the outcome is known: init ran (and dropbear listened, or a short settle
 * passed), the kernel reported trouble (and had time to finish the report),
 * QEMU exited, or the bound passed.
 */
import path from 'node:path';
import { findPanic, parseMarker, startQemu, stripControl, type Accel, type QemuExit } from '../vm/index.js';

export interface FuzzBootOptions {
  kernel: string;
  initrd: string;
  append: string;
  memoryMiB: number;
  accel: Accel;
  /** console.log / console.raw go here. */
  dir: string;
  /** Seconds from QEMU start to give up (a hang). */
  boundS: number;
  /** Seconds to wait after the init marker for the sshd marker (more of the image read). */
  settleS: number;
  signal?: AbortSignal;
}

export interface FuzzBoot {
  argv: string[];
  lines: string[];
  exit: QemuExit;
  timedOut: boolean;
  interrupted: boolean;
  /** Seconds from QEMU start to the end of the boot. */
  wallS: number;
}

/** Time a kernel is given to finish printing a report before QEMU is stopped. */
const REPORT_GRACE_MS = 5000;
/** Time after "Failed to execute /init" for a report (or a panic of the fallback) to land. */
const FALLBACK_GRACE_MS = 5000;

export async function fuzzBoot(o: FuzzBootOptions): Promise<FuzzBoot> {
  let settle: (why: string) => void = () => undefined;
  const decided = new Promise<string>((resolve) => (settle = resolve));
  const timers: NodeJS.Timeout[] = [];
  const later = (ms: number, why: string): void => {
    timers.push(setTimeout(() => settle(why), ms));
  };
  let sawInit = false;
  let sawTrouble = false;
  let sawFallback = false;
  const qemu = await startQemu({
    kernel: o.kernel,
    initrd: o.initrd,
    append: o.append,
    memoryMiB: o.memoryMiB,
    accel: o.accel,
    forwardSsh: false,
    consoleFiles: { log: path.join(o.dir, 'console.log'), raw: path.join(o.dir, 'console.raw') },
    onLine: (line) => {
      const clean = stripControl(line);
      const marker = parseMarker(clean);
      if (marker?.stage === 'init' && !sawInit) {
        sawInit = true;
        later(o.settleS * 1000, 'settled');
      } else if (marker?.stage === 'sshd') {
        // A short grace: a late report from the reads dropbear caused still lands.
        later(500, 'sshd');
      }
      // The kernel could not run /init and tries /sbin/init, /bin/sh…: a shell would wait at its prompt until the bound.
      if (!sawInit && !sawFallback && /Failed to execute \/init \(error/.test(clean)) {
        sawFallback = true;
        later(FALLBACK_GRACE_MS, 'fallback init');
      }
      if (!sawTrouble && findPanic([clean])) {
        sawTrouble = true;
        later(REPORT_GRACE_MS, 'trouble');
      }
    },
  });
  const onAbort = (): void => settle('interrupted');
  o.signal?.addEventListener('abort', onAbort, { once: true });
  if (o.signal?.aborted) settle('interrupted');
  later(o.boundS * 1000, 'timeout');
  const why = await Promise.race([decided, qemu.exited.then(() => 'exited')]);
  for (const t of timers) clearTimeout(t);
  o.signal?.removeEventListener('abort', onAbort);
  const exit = await qemu.stop();
  return {
    argv: qemu.argv,
    lines: qemu.lines,
    exit,
    timedOut: why === 'timeout',
    interrupted: why === 'interrupted',
    wallS: Math.round((Date.now() - qemu.startedAt) / 10) / 100,
  };
}
