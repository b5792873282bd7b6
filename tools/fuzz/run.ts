/**
 * The fuzz run: take (or build) the debug kernel with the series, take (or
 * pack) a valid EROFS initrd, plan the cases, boot each mutated copy with a
 * few QEMUs at once, classify, and leave a results directory:
 *
 *   <cache>/runs/<stamp>-fuzz-s<seed>/
 *     base.erofs           the valid image every case starts from
 *     plan.json            seed, image hash, kernel, every case's edits
 *     cases/NNN-<region>/  case.json (edits, mutation, verdict, timings),
 *                          console.log, console.raw; image.erofs kept only
 *                          for crashes and hangs (the others are replayable)
 *     summary.json         counts per class, per region, the notable cases
 *
 * publishFuzzRecord (record.ts) turns a full run into the committed
 * test-vms/fuzz/results/record.json the READMEs' counts are checked against.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import { runPool } from '../common/pool.js';
import { InputError } from '../common/errors.js';
import { log, progress } from '../common/log.js';
import { testVmsDir } from '../common/paths.js';
import { applyImageEdits, describeImageEdit, erofsImageDigest, packInitrd } from '../initrd/index.js';
import { buildKernel, buildRecordBeside, readBuildRecordIfAny } from '../kernel/index.js';
import { createRunDir, inspectKernel, qemuVersion, resolveAccel, SANITIZE_APPEND, type AccelDecision, type AccelMode } from '../vm/index.js';
import { fuzzBoot } from './boot.js';
import { classifyBoot, EMULATION_FLAKE, FUZZ_CLASSES, type FuzzClass, type Verdict } from './classify.js';
import { parseErofsLayout } from './layout.js';
import { FUZZ_REGIONS, planFuzz, type FuzzCase, type FuzzRegion } from './plan.js';
import { holdsImage, judgeVerification, summarizeVerification, type VerifyOutcome, type VerifySummary } from './verify.js';

/** What the fuzz kernel is built from: the series, and KASAN & co. */
export const FUZZ_FRAGMENTS = ['guest', 'erofs', 'initrd-erofs', 'debug'];
/**
 * Appended to the command line: a KASAN report, a WARNING or a soft lockup
 * panics at once (QEMU exits, the case ends) instead of the boot carrying
 * on; a hung task too once sysctls apply (just before init runs; a hang
 * earlier is still reported, and classified from the report).
 */
export const FUZZ_APPEND = SANITIZE_APPEND;

export interface FuzzOptions {
  seed: number;
  count: number;
  jobs: number;
  /** A valid EROFS initrd to mutate; default: pack `manifest`. */
  image?: string;
  /** Guest manifest to pack (default test-vms/guest/manifest.json). */
  manifest?: string;
  /** A bzImage instead of building base + FUZZ_FRAGMENTS with the series. */
  kernel?: string;
  base: string;
  memoryMiB: number;
  boundS: number;
  settleS: number;
  accel: AccelMode;
  regions?: readonly FuzzRegion[];
  /** Only these case ids (replaying a case: same seed and count, --case N). */
  only?: readonly number[];
  /** Boot every case with initrd_erofs_sha256= of the unmodified image (verify.ts). */
  verify?: boolean;
  signal?: AbortSignal;
  /** Called after each case. */
  onCase?: (r: CaseResult, done: number, total: number) => void;
}

export interface CaseResult {
  id: number;
  region: FuzzCase['region'];
  mutation: string;
  edits: FuzzCase['edits'];
  /** describeImageEdit of each edit. */
  described: string[];
  verdict: Verdict;
  /** With --verify: whether the mutant's image was intact, refused, or (a failure) mounted though tampered. */
  verify?: VerifyOutcome;
  /** A timeout or emulation flake that was run again alone with twice the bound: what the second run said. */
  retriedAfterTimeout?: boolean;
  wallS: number;
  imageBytes: number;
  dir: string;
}

/** What `iofs kernel build` recorded about the fuzzed kernel (iofs-build.json beside it). */
export interface FuzzKernelBuild {
  base: string;
  baseVersion: string;
  /** KCIDB patchset hash of the series built in. */
  seriesHash: string;
  seriesState: string | null;
  fragments: string[];
  configHash: string;
  treeDirty: boolean;
}

export interface FuzzSummary {
  seed: number;
  count: number;
  ran: number;
  interrupted: boolean;
  /** Set when the run was restricted (--region, --case): not the whole plan. */
  regions?: FuzzRegion[];
  only?: number[];
  startedAt: string;
  runDir: string;
  kernel: string;
  kernelRelease?: string;
  /** Absent for a bzImage that did not come from `iofs kernel build`. */
  kernelBuild?: FuzzKernelBuild;
  image: { path: string; bytes: number; sha256: string };
  accel: AccelDecision;
  qemuVersion: string;
  append: string;
  memoryMiB: number;
  boundS: number;
  jobs: number;
  wallS: number;
  byClass: Record<FuzzClass, number>;
  byRegion: Record<string, Record<FuzzClass, number>>;
  /** Clean failures by reason ("superblock check failed (-22)", "fallback", …). */
  cleanFailureKinds: Record<string, number>;
  /** Crashes and hangs, with their attribution. */
  notable: Array<{ id: number; region: string; mutation: string; class: FuzzClass; kind: string; owner?: string; line: string; frames?: string[]; dir: string }>;
  /** The control case (unmodified image) did not boot: the harness or kernel is broken, nothing else means anything. */
  controlFailed: boolean;
  /** With --verify: the digest given and what became of the tampered images. */
  verify?: VerifySummary;
  /** A hang, a crash attributed to init/initrd_erofs.c, or (with --verify) a tampered image mounted. */
  oursFailed: boolean;
}

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const emptyCounts = (): Record<FuzzClass, number> => Object.fromEntries(FUZZ_CLASSES.map((c) => [c, 0])) as Record<FuzzClass, number>;

/** The series and config a kernel was built with, from its iofs-build.json; undefined for a kernel not built by iofs. */
export async function readKernelBuild(metadataPath: string): Promise<FuzzKernelBuild | undefined> {
  const meta = await readBuildRecordIfAny(metadataPath);
  if (!meta) return undefined;
  const { base, baseVersion, seriesHash, configHash } = meta;
  return { base, baseVersion, seriesHash, seriesState: meta.seriesState ?? null, fragments: meta.fragments.map((f) => f.name), configHash, treeDirty: meta.tree.dirty };
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzSummary> {
  if (!Number.isInteger(o.jobs) || o.jobs < 1) throw new InputError(`--jobs must be at least 1 (got ${o.jobs})`);
  const t0 = Date.now();
  const runDir = await createRunDir(`fuzz-s${o.seed}`);
  log.info(`fuzz results: ${runDir}`);

  // Kernel: the debug build with the series, unless one is given.
  let kernel: string;
  let kernelRelease: string | undefined;
  let kernelBuild: FuzzKernelBuild | undefined;
  if (o.kernel) {
    kernel = path.resolve(o.kernel);
    kernelRelease = (await inspectKernel(kernel)).release;
    // A bzImage from an iofs build directory (<build>/arch/x86/boot/bzImage) still says which series it carries.
    kernelBuild = await readKernelBuild(buildRecordBeside(kernel));
  } else {
    log.step(`building the fuzz kernel: ${o.base} with the series + ${FUZZ_FRAGMENTS.join(', ')}`);
    const built = await buildKernel({ base: o.base, fragments: FUZZ_FRAGMENTS, withPatches: true });
    kernel = built.bzImage;
    kernelRelease = built.kernelRelease;
    kernelBuild = await readKernelBuild(built.metadataPath);
  }

  // The valid image every case starts from, kept in the run directory.
  const basePath = path.join(runDir, 'base.erofs');
  if (o.image) {
    await fs.copyFile(o.image, basePath).catch((err: NodeJS.ErrnoException) => {
      throw new InputError(`--image ${o.image}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`);
    });
  } else {
    const manifest = o.manifest ?? path.join(testVmsDir, 'guest', 'manifest.json');
    log.step(`packing ${manifest} as EROFS (lz4hc)`);
    await packInitrd({ manifestPath: manifest, format: 'erofs', output: basePath, signal: o.signal });
  }
  const base = await fs.readFile(basePath);
  const layout = parseErofsLayout(base);
  const planned = planFuzz(base, layout, { seed: o.seed, count: o.count, memoryMiB: o.memoryMiB, regions: o.regions });
  const cases = o.only ? planned.filter((c) => o.only?.includes(c.id)) : planned;
  if (o.only && cases.length !== o.only.length) {
    throw new InputError(`--case ${o.only.join(',')}: this plan has cases 0..${planned.length - 1}`);
  }

  const accel = await resolveAccel(o.accel, kernel);
  const qemu = await qemuVersion();
  const image = { path: basePath, bytes: base.length, sha256: sha256(base) };
  const digest = o.verify ? await erofsImageDigest(basePath) : undefined;
  if (o.verify && !digest) throw new InputError(`--verify: ${basePath} holds no EROFS image to bind`);
  const append = digest ? `${FUZZ_APPEND} ${digest.cmdline}` : FUZZ_APPEND;
  await writeFileAtomic(
    path.join(runDir, 'plan.json'),
    `${JSON.stringify({ seed: o.seed, count: o.count, kernel, kernelRelease, image, append, memoryMiB: o.memoryMiB, layout: { blocks: layout.blocks, blockSize: layout.blockSize, inodes: layout.inodes.length, checksummed: layout.checksummed }, cases: planned }, null, 2)}\n`,
  );

  const results: CaseResult[] = [];
  const bar = progress(`fuzz s${o.seed}`, 30_000);
  const runCase = async (c: FuzzCase, boundS: number): Promise<CaseResult | undefined> => {
    const dir = path.join(runDir, 'cases', `${String(c.id).padStart(3, '0')}-${c.region}`);
    await fs.mkdir(dir, { recursive: true });
    await fs.rm(path.join(dir, 'console.log'), { force: true });
    await fs.rm(path.join(dir, 'console.raw'), { force: true });
    const mutated = applyImageEdits(base, c.edits);
    const imagePath = path.join(dir, 'image.erofs');
    await fs.writeFile(imagePath, mutated);
    const boot = await fuzzBoot({ kernel, initrd: imagePath, append, memoryMiB: o.memoryMiB, accel: accel.accel, dir, boundS, settleS: o.settleS, signal: o.signal });
    if (boot.interrupted) return undefined;
    const verdict = classifyBoot({ lines: boot.lines, timedOut: boot.timedOut, exitCode: boot.exit.code });
    const verify = digest ? judgeVerification(holdsImage(mutated, base), verdict) : undefined;
    const result: CaseResult = { id: c.id, region: c.region, mutation: c.mutation, edits: c.edits, described: c.edits.map(describeImageEdit), verdict, ...(verify ? { verify } : {}), wallS: boot.wallS, imageBytes: mutated.length, dir: path.relative(runDir, dir) };
    // Every case is replayable from base.erofs and its edits; keep the bytes only where they matter.
    if (verdict.class !== 'crash' && verdict.class !== 'hang') await fs.rm(imagePath, { force: true });
    await writeFileAtomic(path.join(dir, 'case.json'), `${JSON.stringify({ ...result, qemuArgv: boot.argv, qemuExit: boot.exit }, null, 2)}\n`);
    return result;
  };

  await runPool(
    cases,
    o.jobs,
    async (c) => {
      const r = await runCase(c, o.boundS);
      if (!r) return;
      results.push(r);
      bar.update(`${results.length}/${cases.length} (last: ${r.verdict.class})`);
      o.onCase?.(r, results.length, cases.length);
    },
    o.signal,
  );
  // A timeout under load may be slowness, and TCG can trip over its own timer: run each again alone, with twice the bound.
  for (const r of results.filter((x) => (x.verdict.class === 'hang' && x.verdict.kind === 'timeout') || x.verdict.kind === EMULATION_FLAKE)) {
    if (o.signal?.aborted) break;
    const c = cases.find((x) => x.id === r.id) as FuzzCase;
    log.info(`case ${c.id}: ${r.verdict.kind}; running it again alone with a ${o.boundS * 2}s bound`);
    const again = await runCase(c, o.boundS * 2);
    if (again) Object.assign(r, again, { retriedAfterTimeout: true });
  }
  bar.done(`${results.length} case(s)`);

  const summary = summarize(results, {
    seed: o.seed,
    count: o.count,
    interrupted: Boolean(o.signal?.aborted),
    ...(o.regions ? { regions: [...o.regions] } : {}),
    ...(o.only ? { only: [...o.only] } : {}),
    startedAt: new Date(t0).toISOString(),
    runDir,
    kernel,
    kernelRelease,
    ...(kernelBuild ? { kernelBuild } : {}),
    image,
    accel,
    qemuVersion: qemu,
    append,
    memoryMiB: o.memoryMiB,
    boundS: o.boundS,
    jobs: o.jobs,
    wallS: Math.round((Date.now() - t0) / 1000),
    ...(digest ? { verify: summarizeVerification(digest.sha256, digest.cmdline, results) } : {}),
  });
  await writeFileAtomic(path.join(runDir, 'summary.json'), `${JSON.stringify({ ...summary, cases: results.sort((a, b) => a.id - b.id) }, null, 2)}\n`);
  return summary;
}

type SummaryHead = Omit<FuzzSummary, 'ran' | 'byClass' | 'byRegion' | 'cleanFailureKinds' | 'notable' | 'controlFailed' | 'oursFailed'>;

/** What the counts are made of: one case's region and verdict. */
export interface CountedCase {
  id: number;
  region: string;
  class: FuzzClass;
  kind: string;
}

export interface FuzzCounts {
  byClass: Record<FuzzClass, number>;
  /** Regions in plan order (control first). */
  byRegion: Record<string, Record<FuzzClass, number>>;
  /** Clean failures by reason, in order of first appearance (case id). */
  cleanFailureKinds: Record<string, number>;
}

/** Counts per class, per region and per clean-failure reason. Pure. */
export function countCases(cases: readonly CountedCase[]): FuzzCounts {
  const byClass = emptyCounts();
  const byRegion: Record<string, Record<FuzzClass, number>> = {};
  const cleanFailureKinds: Record<string, number> = {};
  for (const region of ['control', ...FUZZ_REGIONS]) if (cases.some((r) => r.region === region)) byRegion[region] = emptyCounts();
  for (const r of [...cases].sort((a, b) => a.id - b.id)) {
    byClass[r.class]++;
    (byRegion[r.region] ??= emptyCounts())[r.class]++;
    if (r.class === 'clean-failure') cleanFailureKinds[r.kind] = (cleanFailureKinds[r.kind] ?? 0) + 1;
  }
  return { byClass, byRegion, cleanFailureKinds };
}

/** Counts and the cases worth a look. Pure. */
export function summarize(results: readonly CaseResult[], head: SummaryHead): FuzzSummary {
  const { byClass, byRegion, cleanFailureKinds } = countCases(results.map((r) => ({ id: r.id, region: r.region, class: r.verdict.class, kind: r.verdict.kind })));
  const notable = results
    .filter((r) => r.verdict.class === 'crash' || r.verdict.class === 'hang')
    .sort((a, b) => a.id - b.id)
    .map((r) => ({ id: r.id, region: r.region, mutation: r.mutation, class: r.verdict.class, kind: r.verdict.kind, owner: r.verdict.owner, line: r.verdict.line, frames: r.verdict.frames?.slice(0, 12), dir: r.dir }));
  const control = results.find((r) => r.id === 0);
  return {
    ...head,
    ran: results.length,
    byClass,
    byRegion,
    cleanFailureKinds,
    notable,
    controlFailed: control !== undefined && control.verdict.class !== 'booted',
    oursFailed:
      results.some((r) => r.verdict.class === 'hang' || (r.verdict.class === 'crash' && r.verdict.owner === 'ours')) || (head.verify?.mountedTampered.length ?? 0) > 0,
  };
}

/**
 * The table of classes per region, then the clean-failure reasons, most
 * frequent first: what `iofs vm fuzz` prints and test-vms/fuzz/README.md quotes.
 */
export function formatCounts(c: FuzzCounts): string[] {
  const cols = FUZZ_CLASSES;
  const rows = Object.entries(c.byRegion);
  const w = Math.max(8, ...rows.map(([r]) => r.length));
  const line = (name: string, counts: Record<FuzzClass, number>): string =>
    `${name.padEnd(w)}  ${cols.map((k) => String(counts[k]).padStart(k.length)).join('  ')}  ${String(cols.reduce((n, k) => n + counts[k], 0)).padStart(5)}`;
  const out = [`${'region'.padEnd(w)}  ${cols.join('  ')}  total`, ...rows.map(([r, counts]) => line(r, counts)), line('all', c.byClass)];
  const kinds = Object.entries(c.cleanFailureKinds).sort((a, b) => b[1] - a[1]);
  if (kinds.length > 0) out.push('', 'clean failures:', ...kinds.map(([k, n]) => `  ${String(n).padStart(4)}  ${k}`));
  return out;
}

/** The human summary: a table of classes per region, then the clean-failure reasons and notable cases. */
export function formatSummary(s: FuzzSummary): string {
  const out = [
    `fuzz seed ${s.seed}: ${s.ran} of ${s.count} case(s) in ${s.wallS}s (jobs ${s.jobs}, bound ${s.boundS}s, ${s.accel.accel})${s.interrupted ? ' INTERRUPTED' : ''}`,
    `kernel ${s.kernelRelease ?? s.kernel}; image ${s.image.bytes} bytes sha256 ${s.image.sha256.slice(0, 16)}`,
    '',
    ...formatCounts(s),
  ];
  if (s.notable.length > 0) {
    out.push('', 'crashes and hangs:');
    for (const n of s.notable) out.push(`  case ${n.id} (${n.region}) ${n.class}/${n.kind} owner=${n.owner ?? '?'}: ${n.mutation}`, `      ${n.line}`, `      ${n.dir}`);
  }
  if (s.verify) {
    const v = s.verify;
    out.push('', `verification on (${v.cmdline.slice(0, 40)}…): ${v.refused} tampered image(s) refused, ${v.intact} intact, ${v.mountedTampered.length} tampered image(s) MOUNTED${v.mountedTampered.length > 0 ? `: case(s) ${v.mountedTampered.join(', ')}` : ''}`);
  }
  if (s.controlFailed) out.push('', 'THE UNMODIFIED IMAGE DID NOT BOOT: the kernel or the harness is broken; the other verdicts mean nothing.');
  out.push('', `results: ${s.runDir}`);
  return out.join('\n');
}
