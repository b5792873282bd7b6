/**
 * `iofs patches robot`: check a series as upstream's robots would, patch by
 * patch: checkpatch --strict, kernel-doc, and for every configuration of
 * robot.json a build of the series' directories and (where asked) the
 * warnings W=1 and sparse add. A patch fails a check on an error, or on a
 * warning its parent did not have; what the base already has is not the
 * series' fault.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import { log } from '../common/log.js';
import { run } from '../common/process.js';
import { git, seriesHash } from '../git/index.js';
import { firstErrors, lockPathFor, withLock, type KernelBase, type KernelTree } from '../kernel/index.js';
import { checkSeries, readSeries, seriesWorktree } from '../patches/index.js';
import { compileAtPatch, configBuild, configureAtPatch, configureAtTip, type ConfigBuild } from './build.js';
import { robotRecordsDir, type RobotConfig } from './config.js';
import { loadRobotRecord } from './record.js';
import { kunitCell, type KunitSpec } from './kunit.js';
import { coccinelleCell, docsCell, type LintMemo } from './lint.js';
import { MAX_QUOTED, parseWarnings, touchedObjects, warningCell, type Cell } from './plan.js';

export interface RobotRequest {
  base: KernelBase;
  source: KernelTree;
  seriesDir: string;
  /** How the series was named: a directory, or `<rev>:kernel-patches/<base>`. */
  revision: string;
  configs: RobotConfig[];
  /** The robot's cache root (<cache>/robot): its worktree, build directories and runs. */
  root: string;
  jobs: number;
  /** Only the base and the whole series (what the core tier runs): new warnings are the series' as a whole. */
  tipOnly?: boolean;
  /** The series' KUnit tests (robot.json "kunit"); absent: no kunit column. */
  kunit?: KunitSpec;
  /** The docs and coccinelle columns (default true); the core test tier leaves them to the full tier and the unit tests, for time. */
  lint?: boolean;
}

export interface RobotRecord {
  base: string;
  baseVersion: string;
  revision: string;
  /** KCIDB's patchset hash of the series' files (what `patches status` matches a record by). */
  seriesHash?: string;
  /** The command that reproduces the record (set by the CLI). */
  command?: string;
  patches: string[];
  checks: string[];
  configs: Array<Pick<RobotConfig, 'name' | 'why' | 'start' | 'fragments' | 'set' | 'warnings'> & { seed?: number; arch?: string }>;
  touched: { sources: string[]; dirs: string[] };
  cells: Cell[];
  /** Patches 1..n with a failed cell: what makes the run fail. */
  failed: number[];
  startedAt: string;
  seconds: number;
  host: { cpus: number; jobs: number; cpu?: string };
  runDir: string;
}

/** The check columns, in table order. Pure. */
export function robotChecks(configs: readonly RobotConfig[], kunit = false, lint = true): string[] {
  return ['checkpatch', 'kernel-doc', ...(lint ? ['docs', 'coccinelle'] : []), ...(kunit ? ['kunit'] : []), ...configs.flatMap((c) => [`build:${c.name}`, ...(c.warnings ? [`warnings:${c.name}`] : [])])];
}

interface PatchState {
  warnings: Map<string, ReturnType<typeof parseWarnings>>;
  docs: LintMemo;
  cocci: LintMemo;
  baseBroken: Map<string, string>;
  /** Per configuration: the patch whose build failed first, and its first error, while later patches keep failing so. */
  failing: Map<string, { patch: number; error: string }>;
}

/** A build's first error line, without the tree's path (the key for "still fails as at patch N"). Pure. */
export function firstErrorLine(output: string, tree: string): string {
  return (output.split('\n').find((l) => /\berror:/.test(l)) ?? output.split('\n').find((l) => /\*\*\*/.test(l)) ?? '').split(`${tree}/`).join('').trim();
}

async function kernelDocCell(tree: string, files: Set<string>, patch: number, state: PatchState, runDir: string): Promise<Cell> {
  const existing: string[] = [];
  for (const f of files) if (await fs.stat(path.join(tree, f)).then(() => true, () => false)) existing.push(f);
  const logFile = path.join(runDir, 'kernel-doc', `${patch}.log`);
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  // kernel-doc's exit code counts warnings; the new ones are what matters.
  const output = (await run(path.join(tree, 'scripts', 'kernel-doc'), ['-none', '-Wall', ...existing], { cwd: tree, okExitCodes: 'any' })).all;
  await fs.writeFile(logFile, output);
  const now = parseWarnings(output, files, tree);
  const cell = warningCell(patch, 'kernel-doc', state.warnings.get('kernel-doc'), now, logFile);
  state.warnings.set('kernel-doc', now);
  return cell;
}

/** Build cells (and warning cells) of one configuration at one patch. */
async function configCells(b: ConfigBuild, patch: number, touched: ReturnType<typeof touchedObjects>, state: PatchState, runDir: string): Promise<Cell[]> {
  const name = b.config.name;
  const check = `build:${name}`;
  const logFile = path.join(runDir, name, `${patch}.log`);
  await fs.mkdir(path.dirname(logFile), { recursive: true });
  await fs.writeFile(logFile, `# robot: ${name} at patch ${patch}\n`);
  const broken = state.baseBroken.get(name);
  if (broken !== undefined) return [{ patch, check, status: 'n/a', summary: `the base does not build in ${name}: ${broken}` }];
  const t0 = Date.now();
  const cfg = await configureAtPatch(b, logFile);
  const fail = (summary: string, details: string[]): Cell[] => {
    if (patch === 0) state.baseBroken.set(name, summary);
    return [{ patch, check, status: 'fail', summary, details, log: logFile, seconds: (Date.now() - t0) / 1000 }];
  };
  if (!cfg.ok) return fail(cfg.why, cfg.details);
  const r = await compileAtPatch(b, touched.sources, touched.dirs, logFile);
  if (!r.ok) {
    // The same error as the patch before: say where it began instead of quoting it again.
    const error = firstErrorLine(r.output, b.tree);
    const since = state.failing.get(name);
    if (since && since.error === error && patch > 0) return fail(`still fails as at patch ${since.patch}`, [error]);
    state.failing.set(name, { patch, error });
    const quoted = firstErrors(r.output, 3, 2).split(`${b.tree}/`).join('');
    return fail(`make ${touched.dirs.join(' ')} failed`, quoted.split('\n').map((l) => l.trim()));
  }
  state.failing.delete(name);
  const seconds = (Date.now() - t0) / 1000;
  const built = r.compiled.length ? `compiled ${r.compiled.map((s) => s.replace(/\.c$/, '.o')).join(' ')}` : "none of the series' sources is built in this configuration";
  const cells: Cell[] = [{ patch, check, status: 'pass', summary: built, log: logFile, seconds }];
  if (b.config.warnings) {
    const now = parseWarnings(r.output, touched.files, b.tree);
    cells.push(warningCell(patch, `warnings:${name}`, state.warnings.get(name), now, logFile));
    state.warnings.set(name, now);
  }
  return cells;
}

/** After the builds: the first configuration's directory has this patch's generated headers. */
async function cocciAfterBuilds(first: ConfigBuild, sources: string[], patch: number, n: number, state: PatchState, runDir: string): Promise<Cell> {
  const cell = await coccinelleCell(first.tree, first.dir, first.env.ARCH ?? 'x86', sources, patch, state.cocci, path.join(runDir, 'coccinelle', `${patch}.log`));
  log.info(`robot: patch ${patch}/${n} coccinelle: ${cell.status === 'pass' ? 'ok' : cell.status.toUpperCase()} ${cell.summary} (${(cell.seconds ?? 0).toFixed(0)} s)`);
  return cell;
}

function checkpatchCells(result: Awaited<ReturnType<typeof checkSeries>>): Cell[] {
  return result.patches.map((p, i) => {
    const bad = p.errors + p.warnings + p.checks;
    const details = p.output.split('\n').filter((l) => /^(ERROR|WARNING|CHECK):/.test(l)).slice(0, MAX_QUOTED);
    return bad === 0
      ? { patch: i + 1, check: 'checkpatch', status: 'pass' as const, summary: 'clean' }
      : { patch: i + 1, check: 'checkpatch', status: 'fail' as const, summary: `${p.errors} errors, ${p.warnings} warnings, ${p.checks} checks`, details };
  });
}

/**
 * Run the robot; the record is also written to <runDir>/record.json. The
 * worktree is checked out patch by patch: a second robot on the same base
 * waits for this one.
 */
export async function runRobot(req: RobotRequest): Promise<RobotRecord> {
  const worktree = path.join(req.root, 'trees', req.base.name);
  return withLock(lockPathFor(req.root, 'tree', worktree), `robot worktree ${worktree}`, () => robotLocked(req, worktree), { timeoutMs: 6 * 3600_000 });
}

async function robotLocked(req: RobotRequest, worktree: string): Promise<RobotRecord> {
  const started = new Date();
  const runDir = path.join(req.root, 'runs', started.toISOString().replace(/[:.]/g, '-'));
  await fs.mkdir(runDir, { recursive: true });
  const series = await readSeries(req.seriesDir);
  const applied = await seriesWorktree(req.source, req.seriesDir, worktree, { cache: req.root, logFile: path.join(runDir, 'apply.log') });
  if (!applied.ok) throw applied.error;
  const tree = applied.worktree.path;
  const commits = (await git(tree, ['rev-list', '--reverse', `${req.source.baseCommit}..HEAD`])).split('\n').filter(Boolean);
  const touchedByPatch = await Promise.all(commits.map((c) => git(tree, ['diff', '--name-only', `${c}^`, c]).then((o) => o.split('\n').filter(Boolean))));
  const touched = touchedObjects(touchedByPatch.flat());
  log.step(`robot: ${commits.length} patches of ${req.revision}, ${req.configs.length} configurations, compiling ${touched.dirs.join(' ')} at every patch`);

  const cells: Cell[] = checkpatchCells(await checkSeries(tree, req.seriesDir));
  const builds: ConfigBuild[] = [];
  for (const config of req.configs) {
    const b = await configBuild(config, req.base, tree, req.root, req.jobs);
    log.step(`robot: configuring ${config.name} (${config.start}${config.seed === undefined ? '' : ` seed ${config.seed}`})`);
    await configureAtTip(b, path.join(runDir, `configure-${config.name}.log`));
    builds.push(b);
  }
  const state: PatchState = { warnings: new Map(), docs: {}, cocci: {}, baseBroken: new Map(), failing: new Map() };
  try {
    const patches = req.tipOnly ? [0, commits.length] : commits.map((_, i) => i + 1).concat(0).sort((a, b) => a - b);
    for (const patch of patches) {
      await git(tree, ['checkout', '-q', '--detach', patch === 0 ? req.source.baseCommit : (commits[patch - 1] as string)]);
      cells.push(await kernelDocCell(tree, touched.files, patch, state, runDir));
      if (req.lint !== false) cells.push(await docsCell(tree, touched.docs, patch, state.docs, path.join(runDir, 'docs', `${patch}.log`)));
      if (req.kunit) {
        const cell = await kunitCell(req.kunit, tree, patch, path.join(req.root, 'kunit', req.base.name), req.jobs, path.join(runDir, 'kunit', `${patch}.log`));
        cells.push(cell);
        log.info(`robot: patch ${patch}/${commits.length} kunit: ${cell.status === 'pass' ? 'ok' : cell.status.toUpperCase()} ${cell.summary}`);
      }
      for (const b of builds) {
        const got = await configCells(b, patch, touched, state, runDir);
        cells.push(...got);
        const bad = got.filter((c) => c.status === 'fail');
        log.info(`robot: patch ${patch}/${commits.length} ${b.config.name}: ${bad.length ? `FAIL ${bad.map((c) => `${c.check}: ${c.summary}`).join('; ')}` : 'ok'} (${(got[0]?.seconds ?? 0).toFixed(0)} s)`);
      }
      if (req.lint !== false) cells.push(await cocciAfterBuilds(builds[0] as ConfigBuild, touched.sources, patch, commits.length, state, runDir));
    }
  } finally {
    // Back at the tip, so the worktree's stamp holds and the next run reuses it.
    await git(tree, ['checkout', '-q', '--detach', applied.worktree.head]);
  }
  const failed = [...new Set(cells.filter((c) => c.status === 'fail' && c.patch > 0).map((c) => c.patch))].sort((a, b) => a - b);
  const record: RobotRecord = {
    base: req.base.name,
    baseVersion: req.base.version,
    revision: req.revision,
    seriesHash: await seriesHash(series.files),
    patches: ['(base)', ...series.names],
    checks: robotChecks(req.configs, req.kunit !== undefined, req.lint !== false),
    configs: req.configs.map(({ name, why, start, fragments, set, warnings, seed, arch }) => ({ name, why, start, fragments, set, warnings, ...(seed === undefined ? {} : { seed }), ...(arch === undefined ? {} : { arch }) })),
    touched: { sources: touched.sources, dirs: touched.dirs },
    cells,
    failed,
    startedAt: started.toISOString(),
    seconds: Math.round((Date.now() - started.getTime()) / 1000),
    host: { cpus: os.availableParallelism(), jobs: req.jobs, cpu: os.cpus()[0]?.model ?? 'unknown' },
    runDir,
  };
  await writeFileAtomic(path.join(runDir, 'record.json'), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** A record's verdict in one line: green, or which patches fail which checks. Pure. */
export function robotVerdict(record: Pick<RobotRecord, 'cells' | 'patches' | 'failed' | 'checks'>): { green: boolean; summary: string } {
  const trees = record.patches.length;
  if (record.failed.length === 0) return { green: true, summary: `every patch passes ${record.checks.length} checks (${trees} trees)` };
  const byPatch = record.failed.map((p) => `${p}: ${[...new Set(record.cells.filter((c) => c.patch === p && c.status === 'fail').map((c) => c.check))].join(',')}`);
  return { green: false, summary: `patch ${byPatch.join('; ')}` };
}

/**
 * The newest robot record of this base whose series hash matches: the
 * runs under `robotRoot`/runs, then the committed records. Records written
 * before the hash was kept never match.
 */
export async function findRobotRecord(robotRoot: string, base: string, hash: string, committed = robotRecordsDir): Promise<{ record: RobotRecord; file: string } | undefined> {
  const candidates: string[] = [];
  const runs = path.join(robotRoot, 'runs');
  for (const d of await fs.readdir(runs).catch(() => [] as string[])) candidates.push(path.join(runs, d, 'record.json'));
  for (const f of await fs.readdir(committed).catch(() => [] as string[])) if (f.endsWith('.json')) candidates.push(path.join(committed, f));
  let best: { record: RobotRecord; file: string } | undefined;
  for (const file of candidates) {
    const record = await loadRobotRecord(file).catch(() => undefined);
    if (!record || record.base !== base || record.seriesHash !== hash || record.seriesHash === undefined) continue;
    // A --tip-only run says nothing about the patches in between: only whole runs count.
    if (record.cells.every((c) => c.patch === 0 || c.patch === record.patches.length - 1)) continue;
    if (!best || record.startedAt > best.record.startedAt) best = { record, file };
  }
  return best;
}
