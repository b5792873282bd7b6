/**
 * What one fuzz boot came to, from its console alone. Pure.
 *
 *  booted         /init ran: our guest's `IOFS_MARKER stage=init` line
 *                 (printed right after /proc is mounted) with no kernel
 *                 trouble anywhere on the console. Whether dropbear came up
 *                 too (stage=sshd) is recorded, not required: a damaged
 *                 library may stop it, and userspace seeing EIO is fine.
 *  clean-failure  the kernel stopped with a panic message and nothing worse
 *                 before it: the series' `initrd_erofs: <step> failed: <errno>`,
 *                 the fallback when the image was not claimed (cpio unpack
 *                 fails, no root), or init failing to run from the image.
 *  crash          an Oops, BUG, KASAN or UBSAN report or a WARNING before any
 *                 panic message, or a reset with no message at all.
 *  hang           no outcome within the bound, or the kernel's own
 *                 hung-task / soft-lockup / RCU-stall detector fired.
 * Crashes and kernel-detected hangs are attributed from the trace: the first
 * reliable frame (or KASAN/UBSAN location) that belongs to our code
 * (init/initrd_erofs.c), EROFS or overlayfs, walking from the top.
 */
import { splitPrintk, stripControl, parseMarker } from '../vm/index.js';

export const FUZZ_CLASSES = ['booted', 'clean-failure', 'crash', 'hang'] as const;
export type FuzzClass = (typeof FUZZ_CLASSES)[number];

export type Owner = 'ours' | 'erofs' | 'overlayfs' | 'other';

export interface BootObservation {
  lines: readonly string[];
  /** The bound passed and QEMU was stopped by us. */
  timedOut: boolean;
  /** QEMU's exit code (null if killed by a signal). */
  exitCode: number | null;
}

export interface Verdict {
  class: FuzzClass;
  /** Finer reason: the failed step, "fallback", "init", "oops", "kasan", "timeout", … */
  kind: string;
  /** The console line that decided it. */
  line: string;
  owner?: Owner;
  /** Frames (function names) of the trace, top first, reliable ones only. */
  frames?: string[];
  /** Our code appears anywhere in the trace. */
  ourFrameInTrace?: boolean;
  /** The image was mounted as the root (our success line was printed). */
  mounted: boolean;
  /** The guest's markers seen. */
  markers: string[];
}

type Trouble = { kind: string; hang: boolean };

/** Console messages (after the printk time) that start kernel trouble. */
const TROUBLE: ReadonlyArray<{ re: RegExp; t: Trouble }> = [
  { re: /^Kernel panic - not syncing/, t: { kind: 'panic', hang: false } },
  { re: /^INFO: task .* blocked for more than/, t: { kind: 'hung-task', hang: true } },
  { re: /^watchdog: BUG: soft lockup/, t: { kind: 'soft-lockup', hang: true } },
  { re: /^rcu: INFO: .*detected stalls?/, t: { kind: 'rcu-stall', hang: true } },
  { re: /^BUG: KASAN:/, t: { kind: 'kasan', hang: false } },
  { re: /^UBSAN: /, t: { kind: 'ubsan', hang: false } },
  { re: /^(BUG: |kernel BUG at )/, t: { kind: 'bug', hang: false } },
  { re: /^(Oops|general protection fault)\b/, t: { kind: 'oops', hang: false } },
  { re: /^WARNING: CPU: \d+ PID: \d+ at /, t: { kind: 'warning', hang: false } },
  { re: /^list_(add|del) corruption/, t: { kind: 'list-corruption', hang: false } },
];

/**
 * Functions the series adds (static ones may be inlined; these are the names a trace can show): init/initrd_erofs.c's,
 * and the two fs/erofs helpers of the 7.3 series' first patch (before the erofs rule, which would claim them).
 */
const OURS = /^(initrd_erofs_\w+|check_superblock|check_image|claim_image|mount_or_fail|mkdir_or_fail|compression_name|erofs_check_image|erofs_is_image)$/;
const OWNERS: ReadonlyArray<{ re: RegExp; owner: Owner }> = [
  { re: OURS, owner: 'ours' },
  { re: /^(z_erofs_|erofs_|z_erofs|erofs)\w*/, owner: 'erofs' },
  { re: /^ovl_\w+/, owner: 'overlayfs' },
];

export function ownerOf(fn: string): Owner | undefined {
  return OWNERS.find((o) => o.re.test(fn))?.owner;
}

/** Source files named by UBSAN/WARNING/BUG lines ("at fs/erofs/zmap.c:123"). */
function ownerOfFile(file: string): Owner | undefined {
  if (/^init\/initrd_erofs\.[ch]$/.test(file)) return 'ours';
  if (file.startsWith('fs/erofs/')) return 'erofs';
  if (file.startsWith('fs/overlayfs/')) return 'overlayfs';
  return undefined;
}

const FRAME = /(?:^|[\s:])(\?\s+)?([A-Za-z_][\w.]*)\+0x[0-9a-f]+\/0x[0-9a-f]+/;

/** Function names in a trace, top first; frames the unwinder marks unreliable ("? foo+…") are skipped. */
export function traceFrames(lines: readonly string[]): string[] {
  const out: string[] = [];
  for (const raw of lines) {
    const { message } = splitPrintk(stripControl(raw));
    // "BUG: KASAN: … in func+0x…", "RIP: 0010:func+0x…", " func+0x…/0x…".
    const m = FRAME.exec(message);
    if (!m || m[1]) continue;
    const fn = (m[2] as string).replace(/\.(constprop|isra|part|cold)\.\d+$|\.cold$/, '');
    if (out.at(-1) !== fn) out.push(fn);
  }
  return out;
}

export function attribute(lines: readonly string[]): { owner: Owner; frames: string[]; ourFrameInTrace: boolean } {
  const frames = traceFrames(lines);
  let owner: Owner | undefined;
  for (const raw of lines) {
    const { message } = splitPrintk(stripControl(raw));
    const file = /(?:\bat |\bin )((?:init|fs|mm|lib|block|kernel)\/[\w/.-]+\.[ch]):\d+/.exec(message)?.[1];
    if (file) {
      owner = ownerOfFile(file);
      if (owner) break;
    }
  }
  owner ??= frames.map(ownerOf).find((o) => o !== undefined) ?? 'other';
  return { owner, frames, ourFrameInTrace: frames.some((f) => ownerOf(f) === 'ours') };
}

/** A panic that says nothing about the image: the run retries such a case. */
export const EMULATION_FLAKE = 'emulation flake (not the image)';

/** A message with its case-specific numbers as N, and " (offset N of the initrd)" dropped, so equal reasons count together. */
function withoutNumbers(message: string): string {
  return message.replace(/ \(offset \d+ of the initrd\)/g, '').replace(/\b\d+\b/g, 'N');
}

/** The panic message after "Kernel panic - not syncing: ". */
function cleanKind(panicMessage: string, mounted: boolean): string {
  const ours = /^initrd_erofs: (.+) failed: (-?\d+)/.exec(panicMessage);
  if (ours) return `${ours[1]} failed (${ours[2]})`;
  // The series' other documented panics (layered initrds): offsets and sizes vary with the case, the reason does not.
  const oursText = /^initrd_erofs: (.+) failed: (.+)$/.exec(panicMessage);
  if (oursText) return `${withoutNumbers(oursText[1] ?? '')} failed (${oursText[2]})`;
  if (/^initrd_erofs: /.test(panicMessage)) return withoutNumbers(panicMessage.replace(/^initrd_erofs: /, ''));
  if (/No working init found|Attempted to kill init|Requested init .* failed/.test(panicMessage)) return 'init failed';
  if (/VFS: Unable to mount root fs/.test(panicMessage)) return mounted ? 'no /init in the image' : 'not claimed: fallback to cpio, no root';
  // TCG on a loaded host can miss the timer check at 0.03 s, long before the initrd is looked at.
  if (/IO-APIC \+ timer doesn't work/.test(panicMessage)) return EMULATION_FLAKE;
  return 'panic';
}

export function classifyBoot(o: BootObservation): Verdict {
  const clean = o.lines.map((l) => stripControl(l));
  const messages = clean.map((l) => splitPrintk(l).message);
  const mounted = messages.some((m) => /^initrd_erofs: mounted \d+-byte image/.test(m));
  const markers = clean.map(parseMarker).filter((m) => m !== undefined).map((m) => m.stage);
  const base = { mounted, markers };

  let first: { index: number; t: Trouble } | undefined;
  for (let i = 0; i < messages.length && !first; i++) {
    const hit = TROUBLE.find((x) => x.re.test(messages[i] as string));
    if (hit) first = { index: i, t: hit.t };
  }
  if (first) {
    const line = clean[first.index] as string;
    const trace = clean.slice(first.index, first.index + 80);
    if (first.t.hang) return { class: 'hang', kind: first.t.kind, line, ...attribute(trace), ...base };
    if (first.t.kind === 'panic') {
      const msg = (messages[first.index] as string).replace(/^Kernel panic - not syncing:\s*/, '');
      return { class: 'clean-failure', kind: cleanKind(msg, mounted), line, ...base };
    }
    return { class: 'crash', kind: first.t.kind, line, ...attribute(trace), ...base };
  }
  if (markers.includes('init')) {
    return { class: 'booted', kind: markers.includes('sshd') ? 'init and sshd' : 'init', line: clean.find((l) => parseMarker(l)?.stage === 'init') ?? '', ...base };
  }
  // /init could not be executed (a damaged ELF or library: EIO, EOPNOTSUPP) and the kernel went on to
  // /sbin/init, /bin/sh…: the image said no cleanly; a busybox shell then waits at its prompt forever.
  const noInit = clean.findIndex((l) => /Failed to execute \/init \(error -?\d+\)/.test(splitPrintk(l).message));
  if (noInit >= 0) {
    const code = /\(error (-?\d+)\)/.exec(clean[noInit] as string)?.[1];
    return { class: 'clean-failure', kind: `init failed (error ${code}): the kernel ran a fallback init`, line: clean[noInit] as string, ...base };
  }
  const last = [...clean].reverse().find((l) => l.trim() !== '') ?? '';
  if (o.timedOut) return { class: 'hang', kind: 'timeout', line: last, owner: 'other', ...base };
  // QEMU ended on its own with no message: a triple fault reset (-no-reboot) is a crash with no words.
  return { class: 'crash', kind: o.exitCode === 0 ? 'reset without a message' : `QEMU exited ${o.exitCode}`, line: last, owner: 'other', ...base };
}
