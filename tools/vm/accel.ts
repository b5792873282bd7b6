/**
 * Acceleration: `tcg`, `kvm`, or `auto`, which probes KVM with a short real
 * boot of the same kernel and falls back to TCG when the probe sees no kernel
 * console output in time (on some hosts KVM guests hang right after
 * "Booting from ROM"). Probe results are cached per kernel + QEMU version.
 */
import { createHash } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import path from 'node:path';
import { InfraError } from '../common/errors.js';
import { log } from '../common/log.js';
import { writeFileAtomic } from '../common/atomic.js';
import { cacheDir } from '../common/paths.js';
import { sha256File } from '../common/hash.js';
import { isKernelLine } from './console.js';
import { qemuVersion, startQemu } from './qemu.js';
import type { Accel } from './qemu-args.js';

export type AccelMode = 'auto' | Accel;
export const ACCEL_MODES: readonly AccelMode[] = ['auto', 'kvm', 'tcg'];

export interface AccelDecision {
  accel: Accel;
  /** Why this one, in words for results.json and the summary. */
  why: string;
}

export interface ProbeRecord {
  key: string;
  kvmWorks: boolean;
  detail: string;
  /** ms since the epoch. */
  at: number;
}

export const PROBE_TTL_MS = 60 * 60 * 1000;
export const PROBE_TIMEOUT_MS = 6000;

/** The cache key: the kernel's content and QEMU's version (either can change KVM's behaviour). */
export function probeKey(kernelSha256: string, qemuVersionLine: string): string {
  return createHash('sha256').update(`${kernelSha256}\n${qemuVersionLine}`).digest('hex').slice(0, 32);
}

/** A cached probe is used if it is for this key and younger than the TTL. */
export function freshProbe(records: readonly ProbeRecord[], key: string, now: number, ttlMs = PROBE_TTL_MS): ProbeRecord | undefined {
  return records.find((r) => r.key === key && now - r.at >= 0 && now - r.at < ttlMs);
}

export function decisionFromProbe(probe: ProbeRecord, cached: boolean): AccelDecision {
  const when = cached ? ` (cached probe from ${new Date(probe.at).toISOString()})` : '';
  return probe.kvmWorks
    ? { accel: 'kvm', why: `auto: KVM probe boot printed kernel output${when}` }
    : { accel: 'tcg', why: `auto: KVM probe failed, fell back to TCG: ${probe.detail}${when}` };
}

async function kvmOpenable(): Promise<string | undefined> {
  try {
    const fh = await fs.open('/dev/kvm', constants.O_RDWR);
    await fh.close();
    return undefined;
  } catch (err) {
    return `/dev/kvm cannot be opened (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
}

const probeFile = (): string => path.join(cacheDir(), 'accel-probe.json');
/** One probe per key per process, however many scenarios ask at once. */
const inFlight = new Map<string, Promise<ProbeRecord>>();

/** Boots the kernel under KVM without an initrd; success = kernel console output within the timeout. */
async function probeKvm(kernel: string, key: string, timeoutMs: number): Promise<ProbeRecord> {
  log.step(`probing KVM with a ${timeoutMs / 1000}s boot of ${kernel}`);
  let sawKernel = false;
  let resolveSeen!: () => void;
  const seen = new Promise<void>((r) => (resolveSeen = r));
  const vm = await startQemu({
    kernel,
    memoryMiB: 256,
    accel: 'kvm',
    forwardSsh: false,
    onLine: (line) => {
      if (!sawKernel && isKernelLine(line)) {
        sawKernel = true;
        resolveSeen();
      }
    },
  });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    seen.then(() => 'seen' as const),
    vm.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs))),
  ]);
  clearTimeout(timer);
  const exit = await vm.stop();
  const last = vm.lines.map((l) => l.trim()).filter(Boolean).at(-1);
  const detail =
    outcome === 'seen'
      ? 'kernel console output seen'
      : outcome === 'exited'
        ? `QEMU exited (${exit.code ?? exit.signal}) before kernel output: ${exit.stderr.trim().split('\n')[0] ?? ''}`
        : `no kernel console output within ${timeoutMs / 1000}s${last ? ` (last line: ${JSON.stringify(last.slice(0, 80))})` : ''}`;
  return { key, kvmWorks: outcome === 'seen', detail, at: Date.now() };
}

/** `tcgOnlyBecause`: a reason the run needs TCG (icount), which turns `auto` into TCG without a probe. */
export async function resolveAccel(
  mode: AccelMode,
  kernel: string,
  opts: { probeTimeoutMs?: number; tcgOnlyBecause?: string } = {},
): Promise<AccelDecision> {
  const probeTimeoutMs = opts.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  if (mode === 'tcg') return { accel: 'tcg', why: 'requested (--accel tcg)' };
  if (mode === 'auto' && opts.tcgOnlyBecause) return { accel: 'tcg', why: `auto: ${opts.tcgOnlyBecause}` };
  const unavailable = await kvmOpenable();
  if (mode === 'kvm') {
    if (unavailable) throw new InfraError(`--accel kvm: ${unavailable}`, { hint: 'use --accel tcg or auto' });
    return { accel: 'kvm', why: 'requested (--accel kvm)' };
  }
  if (unavailable) return { accel: 'tcg', why: `auto: ${unavailable}` };
  const key = probeKey(await sha256File(kernel), await qemuVersion());
  let records: ProbeRecord[] = [];
  try {
    const parsed: unknown = JSON.parse(await fs.readFile(probeFile(), 'utf8'));
    if (Array.isArray(parsed)) records = parsed as ProbeRecord[];
  } catch {
    // No cache yet, or an unreadable one: probe again.
  }
  const cached = freshProbe(records, key, Date.now());
  if (cached) return decisionFromProbe(cached, true);
  let pending = inFlight.get(key);
  if (!pending) {
    pending = probeKvm(kernel, key, probeTimeoutMs).then(async (rec) => {
      const keep = records.filter((r) => r.key !== key && Date.now() - r.at < PROBE_TTL_MS);
      await writeFileAtomic(probeFile(), `${JSON.stringify([...keep, rec], null, 2)}\n`);
      return rec;
    });
    inFlight.set(key, pending);
    pending.finally(() => inFlight.delete(key)).catch(() => undefined);
  }
  return decisionFromProbe(await pending, false);
}
