/**
 * Running a benchmark plan: build each kernel once, pack each image once
 * (cached across runs), then boot every (cell, boot) through the VM
 * harness's runScenario and keep each boot's record. Boots run one at a
 * time unless the guest clock is deterministic (-icount shift=N): then
 * guest-side numbers count instructions and do not depend on what else
 * the host runs, so `jobs` boots may share the host's cores. raw.json is
 * rewritten after every boot, so an interrupted run keeps what it measured.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import { InfraError, InputError } from '../common/errors.js';
import { log } from '../common/log.js';
import { buildKernel, buildRecordBeside, readBuildRecord, readBuildRecordIfAny, type BuildMetadata } from '../kernel/index.js';
import type { Arch } from '../common/arch.js';
import { cacheDir } from '../common/paths.js';
import { archSysroot } from '../initrd/index.js';
import {
  createRunDir, ensureSshKey, inspectKernel, parseScenario, planScenario, qemuVersion, runScenario, type AccelMode, type RunResult,
} from '../vm/index.js';
import { extraConsoleMetrics, stripHostTimestamp, summarize, type BootMetrics, type BootRecord, type CellSummary } from './aggregate.js';
import { ensureImage, type PackedImage } from './images.js';
import type { BenchMatrix, KernelSpec } from './matrix.js';
import type { BenchCell, BenchPlan } from './plan.js';

export interface BenchOptions {
  /** The results directory (created). */
  outDir: string;
  accel: AccelMode;
  /** Deterministic mode: QEMU -icount shift=N (TCG). */
  icountShift?: number | 'auto';
  /** A bzImage used for every mode instead of building the matrix's kernels. */
  kernelOverride?: string;
  /** The command line that started the run, for the record. */
  command?: string;
  signal?: AbortSignal;
  /** Boots at once (default 1); more than one needs a numeric icountShift. */
  jobs?: number;
  /** Called after each boot (progress on stderr). */
  onBoot?: (r: BootRecord, done: number, total: number) => void;
  /** Build, pack and boot for this architecture (default: x86_64). */
  arch?: Arch;
}

export interface KernelRecord {
  spec: KernelSpec | 'given';
  bzImage: string;
  release?: string;
  seriesHash?: string;
  baseVersion?: string;
  configHash?: string;
  /** How the built tree relates to kernel-patches/<base>/ ("applied": exactly the series). */
  seriesState?: string;
  treeHead?: string;
  treeDirty?: boolean;
}

export interface BenchMeta {
  matrix: string;
  description: string;
  command?: string;
  startedAt: string;
  finishedAt?: string;
  /** Host wall time of the whole run (packing and building included). */
  wallS?: number;
  /** Of which packing images. */
  packS?: number;
  interrupted?: boolean;
  /** Several runs side by side, merged (iofs bench --from a,b): how many. */
  parallelRuns?: number;
  machine: { hostname: string; cpuModel: string; cpus: number; memGiB: number; os: string; loadAverageAtStart: number[]; loadAverageAtEnd?: number[] };
  /** The guest's architecture when not x86_64 (--arch). */
  arch?: string;
  qemu: string;
  /** The acceleration every boot used ("tcg (why)"), or a list when boots differ. */
  accel: string[];
  /** "icount shift=auto (deterministic guest clock)" or "wall clock (TCG, no icount)". */
  clock: string;
  memoryMiB: number;
  bootsPerCell: number;
  /** Boots that ran at once (absent: one at a time). */
  jobs?: number;
  bootTimeoutS: number;
  kernels: Record<string, KernelRecord>;
  images: Array<{ id: string; file: string; bytes: number; sha256: string; compress: string; cached: boolean; packS?: number }>;
  skipped: BenchPlan['skipped'];
}

export interface BenchResult {
  meta: BenchMeta;
  records: BootRecord[];
  cells: CellSummary[];
}

export function clockDescription(shift: number | 'auto' | undefined): string {
  if (shift === undefined) return 'host wall clock (no -icount): guest times vary with host load';
  if (shift === 'auto') return 'QEMU -icount shift=auto,sleep=off: instruction-counted, but the rate adapts to the host (not deterministic)';
  return `QEMU -icount shift=${shift},sleep=off: deterministic, each guest instruction takes ${2 ** shift} ns of guest time`;
}

const kernelKey = (k: KernelSpec): string => `${k.base}|${k.fragments.join(',')}|${k.patches ? 'patched' : 'pristine'}`;

/** The in-memory scenario a boot runs: validated by the same parser as scenario files. */
export function scenarioJson(cell: BenchCell, matrix: BenchMatrix, images: Map<string, PackedImage>): unknown {
  const image = (id: string): string => {
    const p = images.get(id);
    if (!p) throw new Error(`internal: image ${id} was not packed`);
    return p.output;
  };
  const json: Record<string, unknown> = {
    description: `bench ${cell.id}`,
    kernel: cell.kernel,
    initrd: { image: image(cell.initrd.id), ...(cell.digest ? { digest: 'auto' } : {}), ...(cell.verity ? { verity: 'auto' } : {}) },
    append: cell.append,
    memoryMiB: matrix.memoryMiB,
    bootTimeoutS: matrix.bootTimeoutS,
    checks: cell.checks,
  };
  if (cell.disk) json.disk = { image: image(cell.disk.id) };
  return json;
}

/** A boot's record from its results.json and console. */
export function bootRecord(cell: BenchCell, boot: number, r: RunResult, consoleLines: readonly string[], outDir: string, diskBytes: number | undefined): BootRecord {
  const t = r.timings;
  const metrics: BootMetrics = {};
  if (t.kernelRunInitS !== undefined) metrics.runInitS = t.kernelRunInitS;
  if (t.kernelUnpackS !== undefined) metrics.unpackS = t.kernelUnpackS;
  if (t.markerInitUptimeS !== undefined) metrics.initUptimeS = t.markerInitUptimeS;
  if (t.memAvailableKbAtInit !== undefined) metrics.memAvailableKb = t.memAvailableKbAtInit;
  if (t.memTotalKb !== undefined) metrics.memTotalKb = t.memTotalKb;
  if (t.wallToSshReadyS !== undefined) metrics.sshReadyS = t.wallToSshReadyS;
  const extra = extraConsoleMetrics(consoleLines);
  Object.assign(metrics, extra.metrics);
  const problems = [...extra.problems];
  if (r.outcome === 'PASS') {
    if (metrics.initUptimeS === undefined) problems.push('no "IOFS_MARKER stage=init" line on the console');
    if (cell.read && metrics.readS === undefined && extra.problems.length === 0) problems.push('no "IOFS_MARKER stage=read" line on the console');
  }
  const rec: BootRecord = {
    cell: cell.id,
    mode: cell.mode,
    sizeLabel: cell.size.label,
    sizeBytes: cell.size.bytes,
    read: cell.read,
    boot,
    // A boot whose numbers are missing cannot be aggregated: it counts as a failure, saying why.
    outcome: r.outcome === 'PASS' && problems.length > 0 ? 'FAIL' : r.outcome,
    reason: r.outcome === 'PASS' && problems.length > 0 ? problems.join('; ') : r.reason,
    runDir: path.relative(outDir, r.runDir),
    metrics,
    problems,
  };
  if (r.initrd) rec.initrdBytes = r.initrd.bytes;
  if (diskBytes !== undefined) rec.diskBytes = diskBytes;
  return rec;
}

/** A kernel as the results name it: the facts its build recorded, or only its release for a kernel not built by iofs. */
async function kernelRecord(spec: KernelSpec | 'given', bzImage: string, meta: BuildMetadata | undefined): Promise<KernelRecord> {
  if (!meta) {
    const { release } = await inspectKernel(bzImage);
    return { spec, bzImage, ...(release ? { release } : {}) };
  }
  return {
    spec,
    bzImage,
    ...(meta.kernelRelease ? { release: meta.kernelRelease } : {}),
    seriesHash: meta.seriesHash,
    ...(meta.baseVersion ? { baseVersion: meta.baseVersion } : {}),
    ...(meta.configHash ? { configHash: meta.configHash } : {}),
    ...(meta.seriesState ? { seriesState: meta.seriesState } : {}),
    treeHead: meta.tree.head,
    treeDirty: meta.tree.dirty,
  };
}

function machine(): BenchMeta['machine'] {
  return {
    hostname: os.hostname(),
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cpus: os.cpus().length,
    memGiB: Math.round(os.totalmem() / 1024 ** 3),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export async function runBench(matrix: BenchMatrix, plan: BenchPlan, o: BenchOptions): Promise<BenchResult> {
  const jobs = o.jobs ?? 1;
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`internal: jobs must be a positive integer (got ${jobs})`);
  if (jobs > 1 && typeof o.icountShift !== 'number') {
    throw new InputError(`bench: ${jobs} boots at once need a deterministic guest clock (--icount 0-10)`, {
      hint: 'with the host\'s wall clock (or icount auto) boots running side by side slow each other down and the guest times would show it; use --jobs 1',
    });
  }
  const t0 = Date.now();
  await fs.mkdir(o.outDir, { recursive: true });
  const meta: BenchMeta = {
    matrix: matrix.file,
    description: matrix.description,
    startedAt: new Date(t0).toISOString(),
    machine: machine(),
    ...(o.arch && o.arch.name !== 'x86_64' ? { arch: o.arch.name } : {}),
    qemu: await qemuVersion(o.arch?.qemu.binary, o.arch?.qemu.debianPackage),
    accel: [],
    clock: clockDescription(o.icountShift),
    memoryMiB: matrix.memoryMiB,
    bootsPerCell: plan.bootsPerCell,
    ...(jobs > 1 ? { jobs } : {}),
    bootTimeoutS: matrix.bootTimeoutS,
    kernels: {},
    images: [],
    skipped: plan.skipped,
  };
  if (o.command) meta.command = o.command;
  const records: BootRecord[] = [];
  const save = async (): Promise<BenchResult> => {
    const result = { meta, records, cells: summarize(records) };
    await writeFileAtomic(path.join(o.outDir, 'raw.json'), `${JSON.stringify({ meta, boots: records }, null, 2)}\n`);
    return result;
  };

  // 1. Kernels: each distinct one built once, before anything is packed (a config error shows at once).
  const bzImages = new Map<string, string>();
  for (const cell of plan.cells) {
    const key = o.kernelOverride !== undefined ? 'given' : kernelKey(cell.kernel);
    if (bzImages.has(key)) continue;
    if (o.kernelOverride !== undefined) {
      const bzImage = path.resolve(o.kernelOverride);
      bzImages.set(key, bzImage);
      // A bzImage from `iofs kernel build` (or a copy of its build directory) says which series it carries.
      meta.kernels[key] = await kernelRecord('given', bzImage, await readBuildRecordIfAny(buildRecordBeside(bzImage)));
      continue;
    }
    log.step(`bench: kernel ${key}`);
    const built = await buildKernel({ base: cell.kernel.base, fragments: cell.kernel.fragments, withPatches: cell.kernel.patches, ...(o.arch ? { arch: o.arch.name } : {}) });
    bzImages.set(key, built.bzImage);
    meta.kernels[key] = await kernelRecord(cell.kernel, built.bzImage, await readBuildRecord(built.metadataPath));
  }

  // 2. Images, once each.
  const key = await ensureSshKey();
  const images = new Map<string, PackedImage>();
  const sysroot = o.arch ? await archSysroot(o.arch, cacheDir()) : undefined;
  const tPack = Date.now();
  for (const spec of plan.images) {
    o.signal?.throwIfAborted();
    const p = await ensureImage(spec, key.publicKey, { signal: o.signal, ...(sysroot ? { sysroot } : {}) });
    images.set(spec.id, p);
    const entry: BenchMeta['images'][number] = { id: spec.id, file: p.output, bytes: p.bytes, sha256: p.sha256, compress: p.compress, cached: p.cached };
    if (p.packS !== undefined) entry.packS = p.packS;
    meta.images.push(entry);
    log.info(`bench: image ${spec.id}: ${(p.bytes / 1e6).toFixed(1)} MB${p.cached ? ' (cached)' : ` (packed in ${p.packS}s)`}`);
  }
  meta.packS = Math.round((Date.now() - tPack) / 100) / 10;

  // 3. Boots, round-robin over the cells, `jobs` at a time.
  const runsDir = path.join(o.outDir, 'runs');
  const accels = new Set<string>();
  const queue = [...plan.boots];
  let done = 0;
  let stop: InfraError | undefined;
  let saving: Promise<unknown> = Promise.resolve();
  const bootOne = async (task: BenchPlan['boots'][number]): Promise<void> => {
    const { cell, boot } = task;
    const name = `${cell.id.replace(/[/+]/g, '-')}-b${boot}`;
    const scenario = parseScenario(scenarioJson(cell, matrix, images), path.join(path.dirname(matrix.file), `${name}.json`));
    const runDir = await createRunDir(name, runsDir);
    const scenarioPlan = planScenario(scenario, {
      runDir,
      kernelOverride: bzImages.get(o.kernelOverride !== undefined ? 'given' : kernelKey(cell.kernel)),
      accel: o.accel,
      icountShift: o.icountShift,
      ...(o.arch ? { arch: o.arch } : {}),
    });
    const r = await runScenario(scenarioPlan, { signal: o.signal });
    if (r.accel) accels.add(`${r.accel.accel} (${r.accel.why})`);
    const consoleText = await fs.readFile(path.join(runDir, 'console.log'), 'utf8').catch(() => '');
    const lines = consoleText.split('\n').map(stripHostTimestamp);
    const rec = bootRecord(cell, boot, r, lines, o.outDir, cell.disk ? images.get(cell.disk.id)?.bytes : undefined);
    records.push(rec);
    meta.accel = [...accels];
    // One write at a time, so a slower earlier write never replaces a newer raw.json.
    await (saving = saving.then(save));
    o.onBoot?.(rec, ++done, plan.boots.length);
    // Infrastructure trouble would fail every later boot too: start no more, let the running ones finish.
    if (r.outcome === 'INFRA' && !stop) stop = new InfraError(`bench: ${cell.id} boot ${boot}: ${r.reason}`, { hint: `run directory ${r.runDir}` });
  };
  const worker = async (): Promise<void> => {
    for (let task = queue.shift(); task; task = queue.shift()) {
      if (o.signal?.aborted || stop) return;
      await bootOne(task);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, Math.max(1, queue.length)) }, () => worker()));
  if (stop && !o.signal?.aborted) throw stop;
  meta.interrupted = Boolean(o.signal?.aborted) || undefined;
  meta.finishedAt = new Date().toISOString();
  meta.wallS = Math.round((Date.now() - t0) / 100) / 10;
  meta.machine.loadAverageAtEnd = os.loadavg().map((l) => Math.round(l * 100) / 100);
  return save();
}
