/**
 * `iofs patches status`: where the series stands on every base, found by
 * doing the work. For each base, four cells:
 *
 *   applies     the base's series onto its base commit (git am -3) in a worktree
 *               <cache>/status/trees/<base> of the prepared tree (or of --tree),
 *               so the developer's tree is never touched;
 *   builds      that worktree with each config the scenarios need, plus the
 *               series' own config (STATUS_FRAGMENTS), so the code is compiled
 *               even without a scenario;
 *   checkpatch  the tree's own checkpatch.pl --strict on every patch;
 *   bisectable  every proper prefix of the series (patch 1, 1-2, …) builds with
 *               the series' own config, one after the other in the same worktree
 *               and build directory (incremental: only what a patch touches is
 *               rebuilt), after that base's other cells, then HEAD is restored:
 *               each patch must build on its own, or git bisect lands on a
 *               broken kernel;
 *   scenarios   every test-vms scenario whose kernel uses the series
 *               (kernel.patches: true), run against this base's build: those
 *               scenarios were written to exercise the series, and the series
 *               must pass them on every base it is maintained on. Scenarios that
 *               test the pristine kernel say nothing about the series. A base
 *               declares what it cannot run, with the reason, in bases.json
 *               ("notApplicable"): shown as n/a, not run, not red.
 *
 * Reuse: the worktree is re-applied only when the base or the series changed
 * (worktree.ts); builds are incremental in fixed build directories; a
 * scenario's PASS is reused when the bzImage, the packed initrd (packed
 * again and hashed: it is deterministic), the scenario file and the host
 * files its checks compare against are byte-identical to a run that passed.
 * Failures are always run again: under TCG on a loaded machine a boot can
 * fail for the machine's reasons (a timer check, a timeout), and a red cell
 * deserves a fresh look.
 *
 * Planning (which cells, which depend on which) and rendering are pure.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../common/atomic.js';
import { ExitCode, IofsError } from '../common/errors.js';
import { log } from '../common/log.js';
import { cacheDir } from '../common/paths.js';
import { archSysroot, packInitrd } from '../initrd/index.js';
import { archFragments, getArch, loadArchSet, type Arch } from '../common/arch.js';
import { getBase, patchesDir, type KernelBase } from '../kernel/bases.js';
import { buildKernel, planBuildDir, type BuildRequest, type BuildResult } from '../kernel/build.js';
import { buildRecordIn, readBuildRecord } from '../kernel/build-record.js';
import { configHash, resolveFragment } from '../kernel/config.js';
import { resolveTree, sideCache, type KernelTree } from '../kernel/tree.js';
import { git } from '../git/index.js';
import { createRunDir, ensureSshKey, planScenario, runScenario, type AccelMode, type RunResult, type Scenario } from '../vm/index.js';
// The runner's build memo: a scenario run asking for the build this status
// just made gets it without running make again. (Not in tools/vm's index yet.)
import { buildKernelOnce } from '../vm/index.js';
import { checkSeries } from '../patches/index.js';
import { readSeries, seriesHash } from '../git/index.js';
import { seriesWorktree, worktreePath, type SeriesWorktree } from '../patches/index.js';
import { sha256File } from '../common/hash.js';
import { findRobotRecord, robotVerdict } from '../robot/index.js';

/** The series' own configuration: built on every base even when no scenario asks for it. */
export const STATUS_FRAGMENTS = ['guest', 'erofs', 'initrd-erofs', 'distro'];

export type CellKind = 'apply' | 'build' | 'prefixes' | 'checkpatch' | 'robot' | 'scenario';
/**
 * ok: green; fail: the series is at fault; infra: could not be found out;
 * skipped: an earlier cell failed; na: the base declares the scenario not
 * applicable (bases.json notApplicable, with the reason).
 */
export type CellState = 'ok' | 'fail' | 'infra' | 'skipped' | 'na';

export interface CellPlan {
  /** Unique: "6.12/apply", "6.12/build/guest+erofs", "6.12/scenario/erofs-lz4"; another arch's: "7.3@arm64/build/…". */
  id: string;
  base: string;
  /** build, prefixes and scenario cells: the architecture built and booted (applies and checkpatch hold for every arch). */
  arch?: string;
  kind: CellKind;
  /** Cells that must be ok first. */
  deps: string[];
  /** Cells that must have finished first, whatever their state (ordering only). */
  after?: string[];
  /** build: the fragments; scenario: the fragments of its kernel. */
  fragments?: string[];
  /** scenario: the scenario, re-targeted at this base. */
  scenario?: Scenario;
  /** scenario: why this base cannot run it (not run, not red). */
  notApplicable?: string;
}

export interface CellResult {
  id: string;
  base: string;
  arch?: string;
  kind: CellKind;
  /** The scenario name, or the fragments of a build. */
  name: string;
  state: CellState;
  /** One line: what happened. */
  summary: string;
  /** Where to read more: a log file or a run directory. */
  log?: string;
  /** Nothing was redone: an earlier result for identical inputs stands. */
  reused?: boolean;
  seconds: number;
  /** build and scenario cells: the fragments of the kernel (which build a scenario booted). */
  fragments?: string[];
  /** build cells: the iofs-build.json of the build (KCIDB output reads it). */
  metadataPath?: string;
}

export interface BaseSeries {
  base: string;
  seriesDir: string;
  patches: string[];
  /** KCIDB patchset hash of the series ("" when empty). */
  seriesHash: string;
}

export interface StatusReport {
  startedAt: string;
  finishedAt: string;
  series: BaseSeries[];
  cells: CellResult[];
  green: boolean;
  exitCode: number;
}

/** Scenarios that count for the status: those whose kernel uses the series. Pure. */
export function seriesScenarios(all: Scenario[]): Scenario[] {
  return all.filter((s) => s.kernel.patches);
}

const fragKey = (f: string[]): string => f.join('+');

/** The architectures of a status run: `names` in order; `defaultName`'s cells keep the ids from before the arch axis. */
export interface StatusArches {
  names: string[];
  defaultName: string;
  /** arch → scenario → why that architecture cannot run it (kernel-patches/arches.json notApplicable). */
  notApplicable?: Record<string, Record<string, string>>;
}

export const X86_64_ONLY: StatusArches = { names: ['x86_64'], defaultName: 'x86_64' };

/** "7.3" for the default architecture, "7.3@arm64" for another: the prefix of a row's cell ids. Pure. */
export function rowKey(base: string, arch: string | undefined, arches: Pick<StatusArches, 'defaultName'>): string {
  return arch === undefined || arch === arches.defaultName ? base : `${base}@${arch}`;
}

/** The cells for these bases, scenarios and architectures, with their dependencies. Pure. */
export function planStatus(
  bases: string[],
  scenarios: Scenario[],
  buildFragments: string[] = STATUS_FRAGMENTS,
  notApplicable: Record<string, Record<string, string>> = {},
  arches: StatusArches = X86_64_ONLY,
): CellPlan[] {
  const cells: CellPlan[] = [];
  for (const base of bases) {
    const apply = `${base}/apply`;
    cells.push({ id: apply, base, kind: 'apply', deps: [] });
    cells.push({ id: `${base}/checkpatch`, base, kind: 'checkpatch', deps: [apply] });
    cells.push({ id: `${base}/robot`, base, kind: 'robot', deps: [apply] });
    for (const arch of arches.names) {
      const row = rowKey(base, arch, arches);
      const naOf = (s: Scenario): string | undefined => {
        const archReason = arches.notApplicable?.[arch]?.[s.name];
        return notApplicable[base]?.[s.name] ?? (archReason !== undefined ? `${arch}: ${archReason}` : undefined);
      };
      // The series' own config, and each config a scenario this row can run needs (not one only n/a scenarios use).
      const fragmentSets = new Map<string, string[]>([[fragKey(buildFragments), buildFragments]]);
      for (const s of scenarios) if (!naOf(s)) fragmentSets.set(fragKey(s.kernel.fragments), s.kernel.fragments);
      for (const [key, fragments] of fragmentSets) cells.push({ id: `${row}/build/${key}`, base, arch, kind: 'build', deps: [apply], fragments });
      for (const s of scenarios) {
        const retargeted: Scenario = { ...s, kernel: { ...s.kernel, base, patches: true } };
        const na = naOf(s);
        cells.push({
          id: `${row}/scenario/${s.name}`,
          base,
          arch,
          kind: 'scenario',
          deps: na ? [] : [`${row}/build/${fragKey(s.kernel.fragments)}`],
          fragments: s.kernel.fragments,
          scenario: retargeted,
          ...(na ? { notApplicable: na } : {}),
        });
      }
    }
    // Last, one arch after the other: they check out older commits in the worktree every cell of the base uses.
    const others = cells.filter((c) => c.base === base).map((c) => c.id).filter((id) => id !== apply);
    for (const arch of arches.names) {
      const id = `${rowKey(base, arch, arches)}/prefixes`;
      cells.push({ id, base, arch, kind: 'prefixes', deps: [apply], after: [...others], fragments: buildFragments });
      others.push(id);
    }
  }
  return cells;
}

/**
 * Run cells in dependency order, up to `jobs` at once; a cell whose
 * dependency is not ok is skipped (naming it) without running.
 */
export async function runCells(
  plan: CellPlan[],
  jobs: number,
  exec: (cell: CellPlan) => Promise<Omit<CellResult, 'id' | 'base' | 'kind' | 'seconds'>>,
): Promise<CellResult[]> {
  const results = new Map<string, CellResult>();
  const waiting = new Set(plan.map((c) => c.id));
  const byId = new Map(plan.map((c) => [c.id, c]));
  for (const c of plan) for (const d of [...c.deps, ...(c.after ?? [])]) if (!byId.has(d)) throw new Error(`internal: ${c.id} depends on unknown ${d}`);
  let running = 0;
  return new Promise<CellResult[]>((resolve, reject) => {
    const pump = (): void => {
      // Skipping a cell can make its dependents skippable: repeat until nothing changes.
      for (let changed = true; changed; ) {
        changed = false;
        for (const id of [...waiting]) {
          const cell = byId.get(id) as CellPlan;
          const failedDep = cell.deps.find((d) => results.has(d) && results.get(d)?.state !== 'ok');
          if (failedDep && cell.notApplicable === undefined) {
            waiting.delete(id);
            changed = true;
            results.set(id, { id, base: cell.base, ...archOf(cell), kind: cell.kind, name: cellName(cell), state: 'skipped', summary: `not run: ${failedDep} is not ok`, ...fragmentsOf(cell), seconds: 0 });
          }
        }
      }
      for (const id of [...waiting]) {
        const cell = byId.get(id) as CellPlan;
        if (cell.notApplicable !== undefined) {
          waiting.delete(id);
          results.set(id, { id, base: cell.base, ...archOf(cell), kind: cell.kind, name: cellName(cell), state: 'na', summary: `not applicable on ${cell.base}: ${cell.notApplicable}`, ...fragmentsOf(cell), seconds: 0 });
          continue;
        }
        if (running >= jobs || ![...cell.deps, ...(cell.after ?? [])].every((d) => results.has(d))) continue;
        waiting.delete(id);
        running++;
        const t0 = Date.now();
        exec(cell)
          .catch((err: unknown) => ({
            name: cellName(cell),
            state: 'infra' as CellState,
            summary: `${err instanceof Error ? err.message : String(err)}`.split('\n')[0] ?? 'error',
          }))
          .then((r) => {
            results.set(id, { id, base: cell.base, ...archOf(cell), kind: cell.kind, ...r, ...fragmentsOf(cell), seconds: Math.round((Date.now() - t0) / 100) / 10 });
            running--;
            if (waiting.size === 0 && running === 0) resolve(plan.map((c) => results.get(c.id) as CellResult));
            else pump();
          })
          .catch(reject);
      }
      if (waiting.size === 0 && running === 0) resolve(plan.map((c) => results.get(c.id) as CellResult));
    };
    pump();
  });
}

function archOf(cell: Pick<CellPlan, 'arch'>): { arch?: string } {
  return cell.arch !== undefined ? { arch: cell.arch } : {};
}

/** The fragments a build or scenario cell's result carries (prefixes builds are not a KCIDB build). */
function fragmentsOf(cell: CellPlan): { fragments?: string[] } {
  return cell.fragments && (cell.kind === 'build' || cell.kind === 'scenario') ? { fragments: cell.fragments } : {};
}

export function cellName(cell: Pick<CellPlan, 'kind' | 'fragments' | 'scenario'>): string {
  if (cell.kind === 'scenario') return cell.scenario?.name ?? '?';
  if (cell.kind === 'build') return fragKey(cell.fragments ?? []);
  return cell.kind;
}

const COLUMNS: { kind: CellKind; title: string }[] = [
  { kind: 'apply', title: 'applies' },
  { kind: 'build', title: 'builds' },
  { kind: 'prefixes', title: 'bisectable' },
  { kind: 'checkpatch', title: 'checkpatch' },
  { kind: 'robot', title: 'robot' },
  { kind: 'scenario', title: 'scenarios' },
];

const STATE_WORD: Record<CellState, string> = { ok: 'ok', fail: 'FAIL', infra: 'INFRA', skipped: 'skip', na: 'n/a' };

/** A column's word for a base: the worst of its cells, with n/m for several. Pure. */
export function columnSummary(all: CellResult[]): string {
  if (all.length === 0) return 'none';
  const cells = all.filter((c) => c.state !== 'na');
  if (cells.length === 0) return 'n/a';
  const order: CellState[] = ['fail', 'infra', 'skipped', 'ok'];
  const worst = order.find((s) => cells.some((c) => c.state === s)) as CellState;
  const ok = cells.filter((c) => c.state === 'ok').length;
  return cells.length > 1 ? `${STATE_WORD[worst]} ${ok}/${cells.length}` : STATE_WORD[worst];
}

/** A row's cells in a column: the base's applies and checkpatch serve every arch; the rest are the arch's own. Pure. */
function rowCells(cells: CellResult[], base: string, arch: string | undefined, kind: CellKind): CellResult[] {
  return cells.filter((c) => c.base === base && c.kind === kind && (kind === 'apply' || kind === 'checkpatch' || kind === 'robot' || arch === undefined || c.arch === arch));
}

/** Green: every base (on every arch) has every column, and every cell is ok. Pure. */
export function verdict(bases: string[], cells: CellResult[], arches: ReadonlyArray<string | undefined> = [undefined]): { green: boolean; exitCode: number } {
  const missing = bases.some((b) => arches.some((a) => COLUMNS.some((col) => rowCells(cells, b, a, col.kind).length === 0)));
  if (!missing && cells.every((c) => c.state === 'ok' || c.state === 'na')) return { green: true, exitCode: ExitCode.OK };
  const onlyInfra = !missing && cells.every((c) => c.state === 'ok' || c.state === 'na' || c.state === 'infra');
  return { green: false, exitCode: onlyInfra ? ExitCode.INFRA : ExitCode.FAIL };
}

/** The matrix and one line per cell with its log. Pure. */
export function renderStatus(report: Pick<StatusReport, 'series' | 'cells' | 'green'>): string {
  const out: string[] = [];
  for (const s of report.series) {
    out.push(`series ${s.base}: ${s.patches.length} patch(es), patchset ${s.seriesHash || '(empty)'} (${s.seriesDir})`);
  }
  out.push('');
  // An arch column only when the run had another architecture than x86_64: the matrix reads as before otherwise.
  const arches = [...new Set(report.cells.flatMap((c) => (c.arch !== undefined ? [c.arch] : [])))];
  const archAxis = arches.some((a) => a !== 'x86_64');
  const rows = [['base', ...(archAxis ? ['arch'] : []), ...COLUMNS.map((c) => c.title)]];
  for (const s of report.series) {
    for (const arch of archAxis ? arches : [undefined]) {
      rows.push([s.base, ...(arch !== undefined ? [arch] : []), ...COLUMNS.map((col) => columnSummary(rowCells(report.cells, s.base, arch, col.kind)))]);
    }
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  for (const r of rows) out.push(r.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  out.push('');
  const label = (c: CellResult): string => `${c.base}${archAxis && c.arch !== undefined ? ` ${c.arch}` : ''} ${c.kind === 'apply' ? 'applies' : c.kind === 'build' ? `builds ${c.name}` : c.kind === 'checkpatch' ? 'checkpatch' : c.kind === 'robot' ? 'robot' : c.kind === 'prefixes' ? 'every prefix builds' : `scenario ${c.name}`}`;
  const lw = Math.max(...report.cells.map((c) => label(c).length), 0);
  for (const c of report.cells) {
    out.push(`${label(c).padEnd(lw)}  ${STATE_WORD[c.state].padEnd(5)} ${c.summary}${c.reused ? ' (reused)' : ''}${c.log ? `  ${c.log}` : ''}`);
  }
  out.push('');
  const bad = report.cells.filter((c) => c.state === 'fail' || c.state === 'infra').map((c) => c.id);
  const skipped = report.cells.filter((c) => c.state === 'skipped').length;
  out.push(
    report.green
      ? 'all green'
      : `NOT green: ${bad.join(', ') || 'a column has no cells'}${skipped ? ` (${skipped} cell(s) skipped because of it)` : ''}`,
  );
  return `${out.join('\n')}\n`;
}

export interface StatusOptions {
  /** Base names (default: every base in kernel-patches/bases.json). */
  bases: string[];
  /** Architectures from kernel-patches/arches.json (default: its default, x86_64). */
  arches?: string[];
  /** A developer's checkout to take the base from (one base only). */
  tree?: string;
  baseRef?: string;
  /** Series directory per base (default kernel-patches/<base.patches>). */
  seriesDirs?: Record<string, string>;
  /** The scenarios to run (default: seriesScenarios of test-vms/scenarios). */
  scenarios: Scenario[];
  jobs: number;
  cache?: string;
  accel: AccelMode;
  /** Redo everything: ignore reusable scenario verdicts. */
  fresh?: boolean;
  signal?: AbortSignal;
  onCell?: (c: CellResult) => void;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

interface ReuseRecord {
  key: string;
  outcome: RunResult['outcome'];
  reason: string;
  runDir: string;
}

/**
 * The robot's verdict on exactly this series: the newest record (a run in
 * <cache>/robot/runs/, or one committed under kernel-patches/robot/records/)
 * whose series hash is this series'. The status run does not run the robot
 * (most of an hour on two cores): without a record the cell is n/a and says
 * how to make one.
 */
async function robotStatusCell(robotRoot: string, s: BaseSeries): Promise<Omit<CellResult, 'id' | 'base' | 'kind' | 'seconds'>> {
  const found = await findRobotRecord(robotRoot, s.base, s.seriesHash);
  if (!found) return { name: 'robot', state: 'na', summary: `no robot record for this series yet: iofs patches robot --base ${s.base}` };
  const { record, file } = found;
  const v = robotVerdict(record);
  return { name: 'robot', state: v.green ? 'ok' : 'fail', summary: `${v.summary} (robot run of ${record.startedAt.slice(0, 10)})`, log: file };
}

/** Only passes are reused: a failure may be a flake of a loaded machine, and a red cell deserves a fresh look. */
const REUSABLE: RunResult['outcome'][] = ['PASS'];

export async function runStatus(o: StatusOptions): Promise<StatusReport> {
  const startedAt = new Date().toISOString();
  const cache = path.resolve(o.cache ?? cacheDir());
  const root = await sideCache('status', cache);
  const bases: KernelBase[] = [];
  for (const b of o.bases) bases.push(await getBase(b));
  if (o.tree && bases.length !== 1) throw new IofsError('--tree needs exactly one --base: a checkout is one base', { exitCode: ExitCode.USAGE });
  const series: BaseSeries[] = [];
  for (const b of bases) {
    const dir = o.seriesDirs?.[b.name] ?? patchesDir(b);
    const s = await readSeries(dir);
    series.push({ base: b.name, seriesDir: dir, patches: s.names, seriesHash: await seriesHash(s.files) });
  }
  const notApplicable = Object.fromEntries(bases.map((b) => [b.name, b.notApplicable ?? {}]));
  for (const b of bases) {
    const unknown = Object.keys(b.notApplicable ?? {}).filter((n) => !o.scenarios.some((s) => s.name === n));
    if (unknown.length) log.debug(`bases.json ${b.name}.notApplicable names scenarios not in this run: ${unknown.join(', ')}`);
  }
  const archSet = await loadArchSet();
  const archList: Arch[] = [];
  for (const name of o.arches ?? [archSet.default]) archList.push(await getArch(name));
  const arches: StatusArches = {
    names: archList.map((a) => a.name),
    defaultName: archSet.default,
    notApplicable: Object.fromEntries(archList.map((a) => [a.name, a.notApplicable ?? {}])),
  };
  const archNamed = (name: string | undefined): Arch => archList.find((a) => a.name === name) ?? (archList[0] as Arch);
  const plan = planStatus(bases.map((b) => b.name), o.scenarios, STATUS_FRAGMENTS, notApplicable, arches);
  const worktrees = new Map<string, SeriesWorktree>();
  const builds = new Map<string, BuildResult>();
  const logDir = (base: string): string => path.join(root, 'logs', base);
  const buildRequest = (base: string, fragments: string[], arch: string | undefined): BuildRequest => ({
    base,
    tree: (worktrees.get(base) as SeriesWorktree).path,
    fragments: [...fragments],
    withPatches: true,
    cache: root,
    ...(arch !== undefined && arch !== archSet.default ? { arch } : {}),
  });

  const exec = async (cell: CellPlan): Promise<Omit<CellResult, 'id' | 'base' | 'kind' | 'seconds'>> => {
    const name = cellName(cell);
    const base = bases.find((b) => b.name === cell.base) as KernelBase;
    const s = series.find((x) => x.base === cell.base) as BaseSeries;
    switch (cell.kind) {
      case 'apply': {
        const logFile = path.join(logDir(cell.base), 'apply.log');
        if (s.patches.length === 0) {
          await fs.mkdir(logDir(cell.base), { recursive: true });
          await writeFileAtomic(logFile, `${s.seriesDir}/series is missing or empty\n`);
          return { name, state: 'fail', summary: `no patches: ${s.seriesDir}/series is missing or empty`, log: logFile };
        }
        const source: KernelTree = await resolveTree(base, {
          cache,
          ...(o.tree ? { tree: o.tree } : {}),
          ...(o.baseRef ? { baseRef: o.baseRef } : {}),
        });
        const dest = worktreePath(root, source, sha256);
        const r = await seriesWorktree(source, s.seriesDir, dest, { cache: root, logFile });
        if (!r.ok) {
          return { name, state: 'fail', summary: r.error.message.split('\n')[0] as string, log: logFile };
        }
        worktrees.set(cell.base, r.worktree);
        return {
          name,
          state: 'ok',
          summary: `${s.patches.length} patch(es) on ${source.baseRef} (${source.baseCommit.slice(0, 12)}) in ${r.worktree.path}, HEAD ${r.worktree.head.slice(0, 12)}`,
          log: logFile,
          ...(r.worktree.applied ? {} : { reused: true }),
        };
      }
      case 'checkpatch': {
        const wt = worktrees.get(cell.base) as SeriesWorktree;
        const logFile = path.join(logDir(cell.base), 'checkpatch.log');
        const r = await checkSeries(wt.path, s.seriesDir);
        await writeFileAtomic(logFile, r.patches.map((p) => `=== ${p.name}\n${p.output}\n`).join('\n'));
        const sum = (k: 'errors' | 'warnings' | 'checks'): number => r.patches.reduce((a, p) => a + p[k], 0);
        const unclean = r.patches.filter((p) => p.errors + p.warnings + p.checks > 0).map((p) => p.name);
        return {
          name,
          state: r.clean ? 'ok' : 'fail',
          summary: `${sum('errors')} errors, ${sum('warnings')} warnings, ${sum('checks')} checks${unclean.length ? ` in ${unclean.join(', ')}` : ''}`,
          log: logFile,
        };
      }
      case 'build': {
        const fragments = cell.fragments ?? [];
        const req = buildRequest(cell.base, fragments, cell.arch);
        const arch = archNamed(cell.arch);
        const resolved = await Promise.all(archFragments(arch, fragments).map((f) => resolveFragment(f)));
        const buildDir = planBuildDir({ cache: root, base: cell.base, arch: arch.name, variant: 'tree', treePath: req.tree as string, configHash: configHash(resolved) });
        const logFile = path.join(buildDir, 'build.log');
        const before = await fs.stat(buildRecordIn(buildDir)).catch(() => undefined);
        try {
          const built = await buildKernelOnce(req, o.signal);
          builds.set(cell.id, built);
          const meta = await readBuildRecord(built.metadataPath);
          return {
            name,
            state: 'ok',
            summary: `${built.kernelRelease}, make ${meta.durations.buildSeconds} s${before ? ' (incremental)' : ''}`,
            log: logFile,
            metadataPath: built.metadataPath,
          };
        } catch (err) {
          // Ctrl-C stopped make (its lock released): not the series' failure.
          if (o.signal?.aborted) return { name, state: 'infra', summary: 'interrupted', log: logFile };
          // On its base the series not compiling, or Kconfig dropping its option, is the series' failure.
          return { name, state: 'fail', summary: (err as Error).message.split('\n')[0] as string, log: logFile };
        }
      }
      case 'robot':
        return robotStatusCell(path.join(cache, 'robot'), s);
      case 'prefixes':
        return runPrefixesCell(cell, name);
      case 'scenario':
        return runScenarioCell(cell, name);
    }
  };

  /** Builds patch 1, then 1-2, … up to (not including) the whole series, which the build cells cover. */
  const runPrefixesCell = async (cell: CellPlan, name: string): Promise<Omit<CellResult, 'id' | 'base' | 'kind' | 'seconds'>> => {
    const wt = worktrees.get(cell.base) as SeriesWorktree;
    const commits = (await git(wt.path, ['rev-list', '--reverse', `${wt.baseCommit}..${wt.head}`])).split('\n').filter(Boolean);
    const prefixes = commits.slice(0, -1);
    const logFile = path.join(logDir(cell.base), `prefixes${cell.arch && cell.arch !== archSet.default ? `-${cell.arch}` : ''}.log`);
    await fs.mkdir(logDir(cell.base), { recursive: true });
    if (prefixes.length === 0) {
      await writeFileAtomic(logFile, 'one patch: the build cells cover it\n');
      return { name, state: 'ok', summary: 'a one-patch series: nothing more to build', log: logFile };
    }
    const branch = await git(wt.path, ['symbolic-ref', '-q', '--short', 'HEAD']).catch(() => '');
    const lines: string[] = [];
    try {
      for (const [i, commit] of prefixes.entries()) {
        await git(wt.path, ['checkout', '-q', '--detach', commit]);
        const subject = await git(wt.path, ['log', '-1', '--format=%s', commit]);
        try {
          // Not buildKernelOnce: its memo would hand back HEAD's build for every prefix (same request), building nothing.
          // A prefix may not define yet a symbol the series' fragment asks for (patch 2 adds CONFIG_INITRD_EROFS).
          const req = { ...buildRequest(cell.base, cell.fragments ?? [], cell.arch), allowUndefinedSymbols: true, ...(o.signal ? { signal: o.signal } : {}) };
          const built = await buildKernel(req);
          const meta = await readBuildRecord(built.metadataPath);
          // The build must be of this commit, or the column proves nothing.
          if (meta.tree.head !== commit) throw new Error(`built ${meta.tree.head.slice(0, 12)}, not ${commit.slice(0, 12)}`);
          lines.push(`ok   ${i + 1}/${commits.length} ${commit.slice(0, 12)} ${subject} (${built.kernelRelease}, make ${meta.durations.buildSeconds} s)`);
        } catch (err) {
          lines.push(`FAIL ${i + 1}/${commits.length} ${commit.slice(0, 12)} ${subject}: ${(err as Error).message.split('\n')[0]}`);
          if (o.signal?.aborted) return { name, state: 'infra', summary: 'interrupted', log: logFile };
          return { name, state: 'fail', summary: `patch ${i + 1} (${subject}) does not build without the ones after it: ${(err as Error).message.split('\n')[0]}`, log: logFile };
        }
      }
      return { name, state: 'ok', summary: `patches 1..${prefixes.length} of ${commits.length} build one by one (the whole series: the build cells)`, log: logFile };
    } finally {
      await writeFileAtomic(logFile, `${lines.join('\n')}\n`);
      await git(wt.path, ['checkout', '-q', ...(branch ? [branch] : ['--detach', wt.head])]);
    }
  };

  const runScenarioCell = async (cell: CellPlan, name: string): Promise<Omit<CellResult, 'id' | 'base' | 'kind' | 'seconds'>> => {
    const scenario = cell.scenario as Scenario;
    const built = builds.get(cell.deps[0] as string) as BuildResult;
    const req = buildRequest(cell.base, cell.fragments ?? [], cell.arch);
    const arch = cell.arch !== undefined && cell.arch !== archSet.default ? archNamed(cell.arch) : undefined;
    const key = await reuseKey(scenario, built, o.accel, root, arch);
    const recordFile = path.join(root, 'verdicts', `${key}.json`);
    if (!o.fresh) {
      const rec = await fs
        .readFile(recordFile, 'utf8')
        .then((t) => JSON.parse(t) as ReuseRecord)
        .catch(() => undefined);
      if (rec && REUSABLE.includes(rec.outcome) && existsSync(path.join(rec.runDir, 'results.json'))) {
        return { name, state: 'ok', summary: `${rec.outcome} ${rec.reason}`, log: rec.runDir, reused: true };
      }
    }
    const runDir = await createRunDir(`${rowKey(cell.base, cell.arch, arches).replace('@', '-')}-${scenario.name}`, path.join(cache, 'runs'));
    const plan = planScenario(scenario, { runDir, accel: o.accel, ...(arch ? { arch } : {}) });
    plan.kernel = { kind: 'build', request: req };
    const r = await runScenario(plan, o.signal ? { signal: o.signal } : {});
    if (REUSABLE.includes(r.outcome)) {
      await writeFileAtomic(recordFile, `${JSON.stringify({ key, outcome: r.outcome, reason: r.reason, runDir } satisfies ReuseRecord, null, 2)}\n`);
    }
    const state: CellState = r.outcome === 'PASS' ? 'ok' : r.outcome === 'INFRA' || r.outcome === 'INTERRUPTED' ? 'infra' : 'fail';
    return { name, state, summary: `${r.outcome} ${r.reason}`.replace(/\s+/g, ' '), log: runDir };
  };

  const cells = await runCells(plan, o.jobs, async (cell) => {
    if (o.signal?.aborted) return { name: cellName(cell), state: 'infra', summary: 'interrupted' };
    log.step(`status ${cell.id}`);
    return exec(cell);
  }).then((all) => {
    for (const c of all) o.onCell?.(c);
    return all;
  });
  const v = verdict(bases.map((b) => b.name), cells, arches.names);
  const report: StatusReport = { startedAt, finishedAt: new Date().toISOString(), series, cells, ...v };
  await writeFileAtomic(path.join(root, 'status.json'), `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

/**
 * What a scenario verdict depends on: the kernel image, the initrd it boots
 * (packed now with the workspace key into a scratch file and hashed; packing
 * is deterministic), the scenario file and the host files its checks read,
 * and the acceleration asked for.
 */
async function reuseKey(s: Scenario, built: BuildResult, accel: AccelMode, root: string, arch?: Arch): Promise<string> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-status-'));
  try {
    const plan = planScenario(s, { runDir: scratch, accel, ...(arch ? { arch } : {}) });
    let initrdSha: string;
    if (plan.initrd.kind === 'pack') {
      const key = await ensureSshKey();
      const sysroot = arch ? await archSysroot(arch, cacheDir()) : undefined;
      const packed = await packInitrd({ ...plan.initrd.pack, authorizedKeys: [key.publicKey], ...(sysroot ? { sysroot } : {}) });
      initrdSha = packed.sha256;
    } else if (plan.initrd.kind === 'image') {
      initrdSha = await sha256File(plan.initrd.image);
    } else {
      // Generated for the kernel at run time: the kernel's hash below and the scenario file stand for it.
      initrdSha = `generate:${plan.initrd.generator}:companions=${plan.initrd.companions}`;
    }
    const hostFiles: Record<string, string> = {};
    for (const f of plan.hostFiles) hostFiles[f] = await sha256File(f).catch(() => 'unreadable');
    const inputs = {
      bzImage: await sha256File(built.bzImage),
      initrd: initrdSha,
      scenario: await sha256File(s.file),
      base: s.kernel.base,
      hostFiles,
      accel,
      root,
    };
    return sha256(JSON.stringify(inputs));
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
