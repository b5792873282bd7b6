/**
 * The committable record of a full fuzz run, test-vms/fuzz/results/record.json:
 * what was fuzzed (seed, count, kernel release, series hash, image) and
 * every case's region, mutation and verdict, with a console excerpt for each
 * boot that did not come up. README.md and test-vms/fuzz/README.md quote
 * counts; tools/fuzz/published.test.ts derives them from this record, so
 * prose cannot drift from what was run. Building the record is pure;
 * publishFuzzRecord reads a run directory and writes it.
 */
import { promises as fs } from 'node:fs';
import * as v from 'valibot';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import { InputError } from '../common/errors.js';
import { repoRoot, testVmsDir } from '../common/paths.js';
import { bool, dataObject, int, list, loadJsonFile, nonEmptyString, oneOf, str } from '../common/schema.js';
import { FUZZ_CLASSES } from './classify.js';
import { stripControl } from '../vm/index.js';
import type { FuzzClass, Owner, Verdict } from './classify.js';
import { countCases, type CaseResult, type FuzzCounts, type FuzzSummary } from './run.js';
import type { VerifyOutcome, VerifySummary } from './verify.js';

export const fuzzRecordPath = path.join(testVmsDir, 'fuzz', 'results', 'record.json');
/** The record of a full run with verification on (--verify): a separate claim, a separate file. */
export const fuzzVerifyRecordPath = path.join(testVmsDir, 'fuzz', 'results', 'record-verify.json');

/** How the record is made, for the test that skips until it exists. */
export const FUZZ_RECORD_COMMAND = 'scripts/fuzz --publish, i.e. iofs vm fuzz --count 300 --seed 1 --jobs 2 --publish';

export interface FuzzRecordCase {
  id: number;
  region: string;
  mutation: string;
  class: FuzzClass;
  /** The verdict's finer reason ("superblock check failed (-22)", "kasan", "timeout", …). */
  kind: string;
  owner?: Owner;
  /** The image was mounted as the root (our success line was printed). */
  mounted: boolean;
  retriedAfterTimeout?: boolean;
  /** With --verify: intact, refused, or mounted-tampered (verify.ts). */
  verify?: VerifyOutcome;
  /** Non-boots only: the console around the line that decided the verdict (host timestamps removed). */
  console?: string[];
}

export interface FuzzRecord {
  $comment: string;
  seed: number;
  count: number;
  startedAt: string;
  wallS: number;
  jobs: number;
  boundS: number;
  memoryMiB: number;
  append: string;
  accel: string;
  qemuVersion: string;
  kernel: {
    release: string;
    seriesHash: string;
    seriesState: string | null;
    base: string;
    baseVersion: string;
    fragments: string[];
    configHash: string;
  };
  image: { bytes: number; sha256: string };
  /** With --verify: the digest every boot was given and what became of the tampered images. */
  verify?: VerifySummary;
  cases: FuzzRecordCase[];
}

/** The committed records' schema (tools/common/data-files.test.ts checks them with it): what the published tests read. */
export const fuzzRecordSchema = dataObject({
  seed: int(0, 0xffffffff),
  count: int(1, 100000),
  startedAt: nonEmptyString(),
  wallS: v.number(),
  jobs: int(1, 1024),
  boundS: int(1, 100000),
  memoryMiB: int(64, 65536),
  append: str(),
  accel: str(),
  qemuVersion: str(),
  kernel: dataObject({
    release: nonEmptyString(),
    seriesHash: nonEmptyString(),
    seriesState: v.nullable(str()),
    base: nonEmptyString(),
    baseVersion: str(),
    fragments: list(nonEmptyString()),
    configHash: str(),
  }),
  image: dataObject({ bytes: int(1, Number.MAX_SAFE_INTEGER), sha256: nonEmptyString() }),
  verify: v.optional(dataObject({ sha256: nonEmptyString(), cmdline: nonEmptyString(), intact: int(0, 100000), refused: int(0, 100000), mountedTampered: list(int(0, 100000)) })),
  cases: list(
    dataObject({
      id: int(0, 100000),
      region: nonEmptyString(),
      mutation: str(),
      class: oneOf(FUZZ_CLASSES),
      kind: str(),
      owner: v.optional(oneOf(['ours', 'erofs', 'overlayfs', 'other'])),
      mounted: bool(),
      retriedAfterTimeout: v.optional(bool()),
      verify: v.optional(oneOf(['intact', 'refused', 'mounted-tampered'])),
      console: v.optional(list(str())),
    }),
  ),
});

export function loadFuzzRecord(file: string): Promise<v.InferOutput<typeof fuzzRecordSchema>> {
  return loadJsonFile(fuzzRecordSchema, file);
}

const MAX_LINE = 300;

/** console.log lines are `[+12.345s] <line>`: the guest's line alone. */
function guestLine(logLine: string): string {
  const m = /^\[\+\d+(?:\.\d+)?s\] ?(.*)$/.exec(logLine);
  return stripControl(m ? (m[1] ?? '') : logLine).trimEnd();
}

/**
 * The console lines that explain a non-boot: for a clean failure the lines
 * leading to the panic message; for a crash or a kernel-detected hang the
 * report that follows its first line; otherwise (a timeout, a silent reset)
 * the last lines. Pure.
 */
export function consoleExcerpt(consoleLog: string, verdict: Pick<Verdict, 'class' | 'line'>): string[] {
  const lines = consoleLog.split('\n').map(guestLine);
  while (lines.length > 0 && lines.at(-1) === '') lines.pop();
  const clip = (ls: string[]): string[] => ls.map((l) => (l.length > MAX_LINE ? `${l.slice(0, MAX_LINE)}…` : l));
  if (verdict.class === 'booted') return [];
  const at = verdict.line ? lines.indexOf(stripControl(verdict.line).trimEnd()) : -1;
  if (at < 0) return clip(lines.slice(-15));
  if (verdict.class === 'clean-failure') return clip(lines.slice(Math.max(0, at - 8), at + 1));
  return clip(lines.slice(Math.max(0, at - 5), at + 41));
}

/** Why a run cannot be the published record, or undefined when it can. Pure. */
export function unpublishableBecause(s: Omit<FuzzSummary, 'runDir'>): string | undefined {
  if (s.interrupted) return 'the run was interrupted';
  if (s.regions || s.only) return `the run was restricted (${s.regions ? `--region ${s.regions.join(',')}` : `--case ${s.only?.join(',')}`}): only a whole plan is a record`;
  if (s.ran !== s.count) return `${s.ran} of ${s.count} cases ran`;
  if (!s.kernelRelease) return 'the kernel release is unknown';
  const b = s.kernelBuild;
  if (!b?.seriesHash) return `the kernel ${s.kernel} has no iofs build metadata with a series hash: fuzz a kernel built by iofs (the default)`;
  if (b.seriesState !== 'applied' || b.treeDirty) return `the kernel was not built from the committed series (series ${b.seriesState ?? 'none'}${b.treeDirty ? ', tree dirty' : ''})`;
  return undefined;
}

/** The record of a run from its summary and each case's console.log (by case id). Pure. */
export function fuzzRecord(s: Omit<FuzzSummary, 'runDir'> & { cases: readonly CaseResult[] }, consoles: ReadonlyMap<number, string>): FuzzRecord {
  const why = unpublishableBecause(s);
  if (why) throw new InputError(`this fuzz run cannot be published: ${why}`);
  const b = s.kernelBuild!;
  return {
    $comment: 'Written by publishFuzzRecord (tools/fuzz/record.ts) from a full `iofs vm fuzz` run; README.md and test-vms/fuzz/README.md quote counts that tools/fuzz/published.test.ts derives from the cases here.',
    seed: s.seed,
    count: s.count,
    startedAt: s.startedAt,
    wallS: s.wallS,
    jobs: s.jobs,
    boundS: s.boundS,
    memoryMiB: s.memoryMiB,
    append: s.append,
    accel: `${s.accel.accel} (${s.accel.why})`,
    qemuVersion: s.qemuVersion,
    kernel: {
      release: s.kernelRelease!,
      seriesHash: b.seriesHash,
      seriesState: b.seriesState,
      base: b.base,
      baseVersion: b.baseVersion,
      fragments: b.fragments,
      configHash: b.configHash,
    },
    image: { bytes: s.image.bytes, sha256: s.image.sha256 },
    ...(s.verify ? { verify: s.verify } : {}),
    cases: [...s.cases]
      .sort((a, b2) => a.id - b2.id)
      .map((c) => {
        const v = c.verdict;
        const out: FuzzRecordCase = { id: c.id, region: c.region, mutation: c.mutation, class: v.class, kind: v.kind, ...(v.owner ? { owner: v.owner } : {}), mounted: v.mounted };
        if (c.retriedAfterTimeout) out.retriedAfterTimeout = true;
        if (c.verify) out.verify = c.verify;
        if (v.class !== 'booted') out.console = consoleExcerpt(consoles.get(c.id) ?? '', v);
        return out;
      }),
  };
}

/** Counts per class, region and clean-failure reason, derived from the record's cases (not from any total it states). */
export function recordCounts(r: Pick<FuzzRecord, 'cases'>): FuzzCounts {
  return countCases(r.cases);
}

/** Reads a run directory (summary.json, cases/*\/console.log) and writes its record to `dest`; returns dest relative to the repository. */
export async function publishFuzzRecord(runDir: string, dest?: string): Promise<string> {
  let summary: FuzzSummary & { cases: CaseResult[] };
  try {
    summary = JSON.parse(await fs.readFile(path.join(runDir, 'summary.json'), 'utf8')) as FuzzSummary & { cases: CaseResult[] };
  } catch (err) {
    throw new InputError(`${runDir}: no readable summary.json (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): not a finished fuzz run`);
  }
  const why = unpublishableBecause(summary);
  if (why) throw new InputError(`${runDir} cannot be published: ${why}`);
  const consoles = new Map<number, string>();
  for (const c of summary.cases) {
    if (c.verdict.class === 'booted') continue;
    consoles.set(c.id, await fs.readFile(path.join(runDir, c.dir, 'console.log'), 'utf8').catch(() => ''));
  }
  const record = fuzzRecord(summary, consoles);
  const to = dest ?? (summary.verify ? fuzzVerifyRecordPath : fuzzRecordPath);
  await fs.mkdir(path.dirname(to), { recursive: true });
  await writeFileAtomic(to, `${JSON.stringify(record, null, 2)}\n`);
  return path.relative(repoRoot, to);
}
