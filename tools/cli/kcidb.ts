/**
 * The --kcidb step of vm test, patches status and bench: read the facts,
 * map, validate, write. Loaded only when --kcidb is given.
 */
import { log } from '../common/log.js';
import { cacheDir } from '../common/paths.js';
import { buildRecordBeside } from '../kernel/index.js';
import type { BenchPlan, BenchResult } from '../bench/index.js';
import type { KcidbContext, KcidbDocument } from '../kcidb/index.js';
import type { RobotRecord } from '../robot/index.js';
import type { StatusReport } from '../status/index.js';
import type { RunResult } from '../vm/index.js';
import type { KcidbCliOptions } from './options.js';

function context(opts: KcidbCliOptions, cacheRoot = cacheDir()): KcidbContext {
  return { origin: opts.kcidbOrigin, cacheRoot, ...(opts.kcidbCacheUrl ? { cacheUrl: opts.kcidbCacheUrl } : {}) };
}

async function write(file: string, doc: KcidbDocument): Promise<void> {
  const { writeKcidb } = await import('../kcidb/index.js');
  await writeKcidb(file, doc);
  log.info(`KCIDB: ${file} (${doc.checkouts.length} checkout(s), ${doc.builds.length} build(s), ${doc.tests.length} test(s); schema v${doc.version.major}.${doc.version.minor})`);
}

export async function writeRunsKcidb(file: string, results: RunResult[], opts: KcidbCliOptions): Promise<void> {
  const { kcidbFromRuns, readBuildFacts } = await import('../kcidb/index.js');
  const runs = [];
  for (const result of results) {
    const build = await readBuildFacts(result.kernel?.metadataPath);
    runs.push({ result, ...(build ? { build } : {}) });
  }
  await write(file, kcidbFromRuns(runs, context(opts)));
}

export async function writeStatusKcidb(file: string, report: StatusReport, opts: KcidbCliOptions, cacheRoot?: string): Promise<void> {
  const { kcidbFromStatus, readBuildFacts, seriesFiles } = await import('../kcidb/index.js');
  const facts = new Map();
  for (const c of report.cells) {
    const f = c.kind === 'build' ? await readBuildFacts(c.metadataPath) : undefined;
    if (f) facts.set(c.id, f);
  }
  const patchFiles: Record<string, string[]> = {};
  for (const s of report.series) patchFiles[s.base] = await seriesFiles(s.base);
  await write(file, kcidbFromStatus(report, facts, patchFiles, context(opts, cacheRoot)));
}

export async function writeBenchKcidb(file: string, plan: BenchPlan, result: BenchResult, outDir: string, opts: KcidbCliOptions): Promise<void> {
  const { kcidbFromBench, readBuildFacts } = await import('../kcidb/index.js');
  const kernels: Record<string, Awaited<ReturnType<typeof readBuildFacts>>> = {};
  for (const [key, k] of Object.entries(result.meta.kernels)) kernels[key] = await readBuildFacts(buildRecordBeside(k.bzImage));
  // A cell's kernel: the meta.kernels entry with the same spec as the plan's cell.
  const cellKernel = (cell: string): string | undefined => {
    const spec = plan.cells.find((c) => c.id === cell)?.kernel;
    if (!spec) return undefined;
    return Object.entries(result.meta.kernels).find(
      ([, k]) => k.spec !== 'given' && k.spec.base === spec.base && k.spec.patches === spec.patches && k.spec.fragments.join(',') === spec.fragments.join(','),
    )?.[0];
  };
  await write(file, kcidbFromBench(result, outDir, kernels, cellKernel, context(opts)));
}

/** The robot's record; `patchFiles` are the series' patch files in order, hashed per prefix. */
export async function writeRobotKcidb(file: string, record: RobotRecord, patchFiles: string[], opts: KcidbCliOptions, cacheRoot?: string): Promise<void> {
  const { kcidbFromRobot } = await import('../kcidb/index.js');
  const { seriesHash } = await import('../git/index.js');
  const prefixHashes = [''];
  for (let n = 1; n < record.patches.length; n++) prefixHashes.push(await seriesHash(patchFiles.slice(0, n)));
  await write(file, kcidbFromRobot(record, { patchFiles, prefixHashes }, context(opts, cacheRoot)));
}
