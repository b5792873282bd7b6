/**
 * The results directory of a run: table.md, plot.svg, raw.json (per boot,
 * written while running) and summary.json (per cell), and publishing them to
 * test-vms/bench/results/ for the README. raw.json and summary.json are read
 * back (`iofs bench --from`, the published results) through schemas, so a
 * file from another version or edited by hand fails naming file and key.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as v from 'valibot';
import { writeFileAtomic } from '../common/atomic.js';
import { cacheDir, repoRoot, testVmsDir } from '../common/paths.js';
import { bool, dataObject, dataRecord, expected, int, list, loadJsonFile, str } from '../common/schema.js';
import { renderMarkdown, renderSvg, type ModeKind, type ReportInput, type ReportMode } from './render.js';
import { METRICS, type BootRecord, type CellSummary, type Metric } from './aggregate.js';
import type { BenchMatrix, BenchMode } from './matrix.js';
import type { BenchMeta, BenchResult, KernelRecord } from './run.js';

export const publishedResultsDir = path.join(testVmsDir, 'bench', 'results');

/** Where a run's results are published: another architecture's beside x86_64's (results-arm64/), never over them. Pure. */
export function publishedDirFor(meta: { arch?: string | undefined }): string {
  return meta.arch && meta.arch !== 'x86_64' ? `${publishedResultsDir}-${meta.arch}` : publishedResultsDir;
}
export const RESULT_FILES = ['table.md', 'plot.svg', 'raw.json', 'summary.json'] as const;

/** `<cache>/bench/20261126T021500Z`. */
export function defaultOutDir(now = new Date(), cache = cacheDir()): string {
  return path.join(cache, 'bench', now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z'));
}

export function modeKind(m: BenchMode): ModeKind {
  if (m.disk) return 'two-stage';
  return m.initrd.format === 'erofs' ? 'kernel' : 'cpio';
}

export function reportModes(matrix: BenchMatrix): ReportMode[] {
  return matrix.modes.map((m) => ({ name: m.name, kind: modeKind(m), description: m.description }));
}

/**
 * A given kernel's path as the table shows it: relative inside the repository,
 * as recorded outside it (a path relative to the clone would change with
 * where the clone is, and the published table is re-rendered in the tests).
 */
function shownKernelPath(p: string): string {
  const rel = path.relative(repoRoot, p);
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel;
}

/** The run's facts, one line each, for the table's header. */
export function runFacts(meta: BenchMeta): Array<[string, string]> {
  const kernels = Object.values(meta.kernels).map((k) => {
    const what = k.spec === 'given' ? `given kernel image ${shownKernelPath(k.bzImage)}` : `${k.spec.base} + ${k.spec.fragments.join(', ')}${k.spec.patches ? ', series applied' : ', pristine'}`;
    const state = k.seriesState && k.seriesState !== 'applied' ? `; tree ${k.seriesState}` : '';
    const dirty = k.treeDirty ? '; tree DIRTY (uncommitted changes were built)' : '';
    return `${k.release ?? 'unknown release'} (${what}${k.seriesHash ? `; series hash ${k.seriesHash.slice(0, 12)}` : ''}${state}${dirty})`;
  });
  const m = meta.machine;
  const facts: Array<[string, string]> = [
    ['run', `${meta.startedAt}${meta.wallS !== undefined ? `, ${(meta.wallS / 60).toFixed(1)} min wall (packing ${((meta.packS ?? 0) / 60).toFixed(1)} min)` : ''}${meta.interrupted ? ', INTERRUPTED (partial)' : ''}`],
    ['command', meta.parallelRuns ? `${meta.parallelRuns} runs side by side, merged with \`iofs bench --from\`: ${meta.command?.split(' & ').map((c) => `\`${c}\``).join(', ')}` : `\`${meta.command ?? 'iofs bench'}\``],
    ['machine', `${m.cpuModel}, ${m.cpus} CPUs, ${m.memGiB} GiB, ${m.os}; load average ${m.loadAverageAtStart.join(' ')} at start${m.loadAverageAtEnd ? `, ${m.loadAverageAtEnd.join(' ')} at end` : ''}`],
    ['QEMU', `${meta.qemu}; accel ${meta.accel.join(', ') || 'none (no boot ran)'}; -smp 1 -m ${meta.memoryMiB}`],
    ['guest clock', meta.clock],
    ['kernel', kernels.join('; ') || '–'],
    ['boots', `${meta.parallelRuns ? 'up to ' : ''}${meta.bootsPerCell} per cell, round-robin over the cells, ${meta.jobs ? `${meta.jobs} at a time (the guest clock counts instructions, so sharing the host changes host wall times only)` : 'one at a time'}; only boots that passed the mode's checks are aggregated`],
  ];
  return facts;
}

export function reportInput(matrix: BenchMatrix, result: BenchResult): ReportInput {
  return {
    modes: reportModes(matrix),
    cells: result.cells,
    facts: runFacts(result.meta),
    skipped: result.meta.skipped,
  };
}

/** Caveats printed under the tables: what the numbers are and are not. */
export const NOTES = `
Notes:
- Time to /init is the guest's /proc/uptime when the real /init prints its first marker (for two-stage: after the first stage has switched root). MemAvailable is read at the same moment.
- Under -icount, guest time counts guest instructions (2^shift ns each), whatever the host load: CPU-bound paths (unpacking, kernel mode) repeat to the millisecond. Waits for the virtual disk do not: with sleep=off an idle vCPU jumps to its next timer, so the two-stage row (which reads /dev/vda) varies from boot to boot; its minimum is the best estimate.
- Instruction counts weigh work differently from TCG's wall clock and from real hardware: copying is cheap in instructions, decompression expensive. Under TCG's wall clock zstd unpacks slower than gzip; counted in instructions it is faster, as on real hardware. Compare the shapes (how each mode grows with size), not codecs or absolute times across clocks.
- kernel-bdev keeps the EROFS image reserved for the life of the system: MemTotal is lower by the image size, and MemAvailable includes that cost. kernel-file copies the image into a ramfs file (time grows with the image) and frees the initrd. A cpio initrd is freed after unpacking, but every unpacked byte stays in rootfs (unreclaimable shmem).
`;

export async function writeResults(matrix: BenchMatrix, result: BenchResult, outDir: string): Promise<{ markdown: string }> {
  const input = reportInput(matrix, result);
  const markdown = `${renderMarkdown(input)}${NOTES}`;
  const when = result.meta.startedAt.slice(0, 16).replace('T', ' ');
  const svg = renderSvg({
    title: 'Time to /init and memory against initrd payload size',
    subtitle: `${result.meta.clock.split(':')[0]}; ${result.meta.accel.map((a) => a.split(' ')[0]).join(', ') || 'no boots'}; ${result.meta.bootsPerCell} boot(s) per point (median, bar: min–max); ${when} UTC`,
    modes: input.modes,
    cells: result.cells,
  });
  await writeFileAtomic(path.join(outDir, 'table.md'), markdown);
  await writeFileAtomic(path.join(outDir, 'plot.svg'), svg);
  await writeFileAtomic(path.join(outDir, 'summary.json'), `${JSON.stringify({ meta: result.meta, cells: result.cells }, null, 2)}\n`);
  return { markdown };
}

/** Copies a run's results into test-vms/bench/results/ (what the README shows). */
export async function publishResults(outDir: string, dest = publishedResultsDir): Promise<string[]> {
  await fs.mkdir(dest, { recursive: true });
  const written: string[] = [];
  for (const f of RESULT_FILES) {
    const data = await fs.readFile(path.join(outDir, f));
    await writeFileAtomic(path.join(dest, f), data);
    written.push(path.relative(repoRoot, path.join(dest, f)));
  }
  return written;
}

// Schemas of raw.json and summary.json. Annotated with the types the writers
// use, so the compiler keeps them in step.

const num = () => v.number(expected('a number'));
const count = () => int(0, Number.MAX_SAFE_INTEGER);
const optional = <S extends v.GenericSchema>(s: S) => v.optional(s);

/** One key per metric, each optional (a boot can fail anywhere). */
const perMetric = <S extends v.GenericSchema>(schema: S) =>
  dataObject(Object.fromEntries(METRICS.map((m) => [m, optional(schema)])) as Record<Metric, v.OptionalSchema<S, undefined>>);

const kernelRecordSchema: v.GenericSchema<unknown, KernelRecord> = dataObject({
  spec: v.union([v.literal('given'), dataObject({ base: str(), fragments: list(str()), patches: bool() })], expected('"given" or a kernel spec {base, fragments, patches}')),
  bzImage: str(),
  release: optional(str()),
  seriesHash: optional(str()),
  baseVersion: optional(str()),
  configHash: optional(str()),
  seriesState: optional(str()),
  treeHead: optional(str()),
  treeDirty: optional(bool()),
});

const benchMetaSchema: v.GenericSchema<unknown, BenchMeta> = dataObject({
  matrix: str(),
  description: str(),
  command: optional(str()),
  startedAt: str(),
  finishedAt: optional(str()),
  wallS: optional(num()),
  packS: optional(num()),
  interrupted: optional(bool()),
  parallelRuns: optional(count()),
  arch: optional(str()),
  machine: dataObject({
    hostname: str(), cpuModel: str(), cpus: count(), memGiB: num(), os: str(), loadAverageAtStart: list(num()), loadAverageAtEnd: optional(list(num())),
  }),
  qemu: str(),
  accel: list(str()),
  clock: str(),
  memoryMiB: count(),
  bootsPerCell: count(),
  jobs: optional(count()),
  bootTimeoutS: count(),
  kernels: dataRecord(v.string(), kernelRecordSchema),
  images: list(dataObject({ id: str(), file: str(), bytes: count(), sha256: str(), compress: str(), cached: bool(), packS: optional(num()) })),
  skipped: list(dataObject({ mode: str(), reason: str() })),
});

/** What a cell and a boot record share. */
const cellKeys = { cell: str(), mode: str(), sizeLabel: str(), sizeBytes: count(), read: bool(), initrdBytes: optional(count()), diskBytes: optional(count()) };

const bootRecordSchema: v.GenericSchema<unknown, BootRecord> = dataObject({
  ...cellKeys,
  boot: count(),
  outcome: str(),
  reason: str(),
  runDir: str(),
  metrics: perMetric(num()),
  problems: list(str()),
});

const cellSummarySchema: v.GenericSchema<unknown, CellSummary> = dataObject({
  ...cellKeys,
  boots: count(),
  passed: count(),
  failures: list(dataObject({ boot: count(), outcome: str(), reason: str(), runDir: str() })),
  stats: perMetric(dataObject({ n: count(), median: num(), min: num(), max: num() })),
});

/** raw.json: the run's facts and every boot. */
export const rawResultsSchema = dataObject({ meta: benchMetaSchema, boots: list(bootRecordSchema) });

/** summary.json: the run's facts and every cell's statistics. */
export const summarySchema = dataObject({ meta: benchMetaSchema, cells: list(cellSummarySchema) });

/** A results directory's raw.json (what `iofs bench --from DIR` re-renders). */
export async function loadRawResults(dir: string): Promise<v.InferOutput<typeof rawResultsSchema>> {
  return loadJsonFile(rawResultsSchema, path.join(dir, 'raw.json'));
}
