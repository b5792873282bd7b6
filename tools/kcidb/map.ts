/**
 * The workbench's results as KCIDB objects. Pure: every fact (build
 * metadata, the compiler, the series' files) is read beforehand by
 * sources.ts. Decisions (tools/kcidb/README.md):
 * - one checkout per kernel source: the base's commit in the kernel tree plus
 *   the series (patchset_hash exactly as KCIDB defines it, the same hash
 *   `iofs kernel build` records), one build per kernel build, one test per
 *   scenario run (path iofs.<scenario>) with one sub-test per check
 *   (iofs.<scenario>.<check>), and for the benchmark one DONE test per cell
 *   and metric carrying the median as its number;
 * - statuses: PASS→PASS, FAIL→FAIL, PANIC (unexpected)→FAIL and
 *   BOOT-TIMEOUT→FAIL (the kernel under test crashed or hung: "reported the
 *   tested code as faulty"; `iofs bisect-run` calls both bad too), INFRA and
 *   INTERRUPTED→MISS ("didn't run due to a failure in the test harness").
 *   A scenario that expects a panic and gets it is PASS (misc.observed_outcome).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BuildMetadata } from '../kernel/index.js';
import type { Outcome, RunResult } from '../vm/index.js';
import type { CellResult, CellState, StatusReport } from '../status/index.js';
import type { BenchResult, CellSummary, Metric } from '../bench/index.js';
import { KCIDB_VERSION } from './schema.js';
import type { KcidbBuild, KcidbCheckout, KcidbContext, KcidbDocument, KcidbResource, KcidbStatus, KcidbTest } from './model.js';

/** Facts about one kernel build, read from its iofs-build.json and .config. */
export interface BuildFacts {
  metadataPath: string;
  meta: BuildMetadata;
  /** CONFIG_CC_VERSION_TEXT of the build's .config. */
  compiler?: string;
  /** The series' patch files, in apply order ([] when built without the series). */
  patchFiles: string[];
  /** The kernel tree's origin remote, when it is an https:// URL (KCIDB accepts no other). */
  gitRepositoryUrl?: string;
}

export const KCIDB_ORIGIN_PATTERN = /^[a-z0-9_]+$/;
/** KCIDB's test path pattern (schema $defs/path), for names we turn into path segments. */
const PATH_SEGMENT = /^[a-zA-Z0-9_-]+$/;
const LOG_EXCERPT_MAX = 16384;

/** A local file as a URL: under the served cache root when --kcidb-cache-url is given, else file://. */
export function fileUrl(file: string, ctx: KcidbContext): string {
  const abs = path.resolve(file);
  const rel = path.relative(ctx.cacheRoot, abs);
  if (ctx.cacheUrl && rel && !rel.startsWith('..') && !path.isAbsolute(rel)) {
    return `${ctx.cacheUrl.replace(/\/+$/, '')}/${rel.split(path.sep).map(encodeURIComponent).join('/')}`;
  }
  return pathToFileURL(abs).href;
}

export function resource(file: string, ctx: KcidbContext, name = path.basename(file)): KcidbResource {
  return { name, url: fileUrl(file, ctx) };
}

/** A name as one segment of a KCIDB test path: [a-zA-Z0-9_-]+. */
export function pathSegment(name: string): string {
  if (PATH_SEGMENT.test(name)) return name;
  return name.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '') || 'unnamed';
}

export function outcomeStatus(outcome: Outcome): KcidbStatus {
  switch (outcome) {
    case 'PASS':
      return 'PASS';
    case 'FAIL':
    case 'PANIC':
    case 'BOOT-TIMEOUT':
      return 'FAIL';
    case 'INFRA':
    case 'INTERRUPTED':
      return 'MISS';
  }
}

/** A status cell: ok PASS, fail FAIL, infra MISS, skipped (a prerequisite failed) MISS, n/a SKIP. */
export function cellStatus(state: CellState): KcidbStatus {
  return ({ ok: 'PASS', fail: 'FAIL', infra: 'MISS', skipped: 'MISS', na: 'SKIP' } as const)[state];
}

const short = (s: string, n = 12): string => s.slice(0, n);
const excerpt = (s: string): string => (s.length > LOG_EXCERPT_MAX ? s.slice(s.length - LOG_EXCERPT_MAX) : s);

export function checkoutId(f: BuildFacts, ctx: KcidbContext): string {
  const m = f.meta;
  const source = m.variant === 'tree' ? `tree-${short(m.tree.head)}${m.tree.dirty ? '-dirty' : ''}` : m.variant;
  return `${ctx.origin}:${m.base}:${m.tree.baseCommit}:${m.seriesHash || 'no-patches'}:${source}`;
}

export function checkoutFromBuild(f: BuildFacts, ctx: KcidbContext): KcidbCheckout {
  const m = f.meta;
  // patchset_hash says which patches were applied: only claim it when the tree is exactly the series (or pristine).
  const exact = m.variant === 'pristine' || (m.seriesState === 'applied' && !m.tree.dirty);
  return {
    id: checkoutId(f, ctx),
    origin: ctx.origin,
    ...(m.variant !== 'tree' ? { tree_name: `debian-linux-source-${m.base}` } : {}),
    ...(f.gitRepositoryUrl ? { git_repository_url: f.gitRepositoryUrl } : {}),
    ...(/^[0-9a-f]{40}$/.test(m.tree.baseCommit) ? { git_commit_hash: m.tree.baseCommit } : {}),
    git_commit_name: m.tree.baseRef,
    ...(exact ? { patchset_hash: m.variant === 'pristine' ? '' : m.seriesHash } : {}),
    ...(exact && m.variant !== 'pristine' && f.patchFiles.length ? { patchset_files: f.patchFiles.map((p) => resource(p, ctx)) } : {}),
    comment:
      m.variant === 'pristine'
        ? `Linux ${m.baseVersion} (${m.base}), pristine`
        : `Linux ${m.baseVersion} (${m.base}) with the initoverlayfs series (${f.patchFiles.length} patches, tree ${m.seriesState ?? 'unknown'})`,
    valid: true,
    misc: {
      base: m.base,
      base_version: m.baseVersion,
      variant: m.variant,
      // The base commit is the local git import of Debian's linux-source tarball (or your --tree's base-ref), not an upstream commit.
      base_commit_is_local_import: m.variant !== 'tree',
      tree_head: m.tree.head,
      commits_on_base: m.tree.commitsOnBase,
      tree_dirty: m.tree.dirty,
      series_state: m.seriesState,
      series_hash: m.seriesHash,
    },
  };
}

export function buildId(f: BuildFacts, ctx: KcidbContext): string {
  return `${ctx.origin}:build:${path.basename(path.dirname(f.metadataPath))}:${f.meta.finishedAt}`;
}

export function buildFromFacts(f: BuildFacts, ctx: KcidbContext): KcidbBuild {
  const m = f.meta;
  const duration = Math.round((m.durations.configSeconds + m.durations.buildSeconds) * 1000) / 1000;
  const start = new Date(Date.parse(m.finishedAt) - duration * 1000);
  return {
    id: buildId(f, ctx),
    checkout_id: checkoutId(f, ctx),
    origin: ctx.origin,
    comment: `${m.kernelRelease}: tinyconfig + ${m.fragments.map((x) => x.name).join(', ')}`,
    ...(Number.isFinite(start.getTime()) ? { start_time: start.toISOString() } : {}),
    duration,
    architecture: 'x86_64',
    ...(f.compiler ? { compiler: f.compiler } : {}),
    input_files: m.fragments.map((x) => resource(x.path, ctx, `${x.name}.config`)),
    output_files: [resource(m.artifacts.bzImage.path, ctx, 'bzImage'), resource(m.artifacts.vmlinux.path, ctx, 'vmlinux')],
    config_name: ['tinyconfig', ...m.fragments.map((x) => x.name)].join('+'),
    config_url: fileUrl(m.artifacts.config, ctx),
    log_url: fileUrl(m.artifacts.buildLog, ctx),
    status: 'PASS',
    misc: {
      kernel_release: m.kernelRelease,
      config_hash: m.configHash,
      // Builds are incremental: the duration is what this make run took, not a build from scratch.
      incremental: true,
      reconfigured: m.reconfigured,
      ccache: m.ccache,
      jobs: m.jobs,
      metadata: fileUrl(f.metadataPath, ctx),
    },
  };
}

/** A kernel given with --kernel and no iofs-build.json beside it: what it is, we cannot say. */
export function unknownKernel(bzImage: string, release: string | undefined, ctx: KcidbContext): { checkout: KcidbCheckout; build: KcidbBuild } {
  const key = createHash('sha256').update(path.resolve(bzImage)).digest('hex').slice(0, 16);
  const checkout: KcidbCheckout = {
    id: `${ctx.origin}:given-kernel:${key}`,
    origin: ctx.origin,
    comment: `a kernel given with --kernel (${release ?? 'release unknown'}); its source is unknown (no iofs-build.json beside it)`,
  };
  const build: KcidbBuild = {
    id: `${ctx.origin}:given-kernel-build:${key}`,
    checkout_id: checkout.id,
    origin: ctx.origin,
    architecture: 'x86_64',
    output_files: [resource(bzImage, ctx, 'bzImage')],
    ...(release ? { misc: { kernel_release: release } } : {}),
  };
  return { checkout, build };
}

function environment(r: RunResult): KcidbTest['environment'] {
  const accel = r.accel?.accel ?? 'unknown';
  const qemu = r.qemu?.version ?? 'unknown';
  return {
    comment: `QEMU ${qemu} (${accel}), x86_64 q35, ${r.memoryMiB} MiB, on ${r.host.hostname}`,
    misc: { accel, accel_why: r.accel?.why, qemu_version: qemu, memory_mib: r.memoryMiB, host: r.host },
  };
}

/** One test for the scenario run and one sub-test per check. */
export function testsFromRun(r: RunResult, buildIdOf: string, ctx: KcidbContext): KcidbTest[] {
  const id = `${ctx.origin}:run:${path.basename(r.runDir)}`;
  const parent = `iofs.${pathSegment(r.scenario)}`;
  const consoleLog = path.join(r.runDir, 'console.log');
  const panicText = r.panic ? r.panic.context.join('\n') : '';
  const test: KcidbTest = {
    id,
    build_id: buildIdOf,
    origin: ctx.origin,
    environment: environment(r),
    path: parent,
    comment: r.reason.split('\n')[0] ?? '',
    log_url: fileUrl(consoleLog, ctx),
    ...(panicText ? { log_excerpt: excerpt(panicText) } : {}),
    status: outcomeStatus(r.outcome),
    start_time: new Date(r.startedAt).toISOString(),
    ...(r.timings.totalS !== undefined ? { duration: r.timings.totalS } : {}),
    input_files: [...(r.initrd ? [resource(r.initrd.path, ctx)] : []), ...(r.disk ? [resource(r.disk.path, ctx)] : [])],
    output_files: [resource(path.join(r.runDir, 'results.json'), ctx), resource(path.join(r.runDir, 'console.raw'), ctx)],
    misc: {
      outcome: r.outcome,
      ...(r.observedOutcome ? { observed_outcome: r.observedOutcome } : {}),
      ...(r.expectBoot ? { expect_boot: r.expectBoot } : {}),
      scenario_file: r.file,
      kernel_release: r.kernelRelease,
      command_line: r.commandLine,
      timings: r.timings,
      run_dir: fileUrl(r.runDir, ctx),
    },
  };
  const used = new Set<string>();
  const checks = r.checks.map((c, i): KcidbTest => {
    let seg = pathSegment(c.name);
    for (let n = 2; used.has(seg); n++) seg = `${pathSegment(c.name)}-${n}`;
    used.add(seg);
    const out = (f: string): string => path.resolve(r.runDir, f);
    return {
      id: `${id}:${String(i + 1).padStart(2, '0')}`,
      build_id: buildIdOf,
      origin: ctx.origin,
      path: `${parent}.${seg}`,
      comment: c.ok ? c.name : `${c.name}: ${c.reason ?? 'failed'}`,
      ...(c.stdoutFile ? { log_url: fileUrl(out(c.stdoutFile), ctx) } : {}),
      ...(c.stderrFile ? { output_files: [resource(out(c.stderrFile), ctx)] } : {}),
      // A check that could not run at all (no exit status, no timeout) is the harness's failure.
      status: c.ok ? 'PASS' : c.exitCode === null && !c.timedOut ? 'MISS' : 'FAIL',
      duration: c.durationS,
      misc: { name: c.name, run: c.run, exit_code: c.exitCode, timed_out: c.timedOut },
    };
  });
  return [test, ...checks];
}

/** Deduplicated by id, first wins (the same build or checkout reached from several runs). */
export function kcidbDocument(parts: { checkouts?: KcidbCheckout[]; builds?: KcidbBuild[]; tests?: KcidbTest[] }): KcidbDocument {
  const uniq = <T extends { id: string }>(xs: T[] = []): T[] => xs.filter((x, i) => xs.findIndex((y) => y.id === x.id) === i);
  return { version: { ...KCIDB_VERSION }, checkouts: uniq(parts.checkouts), builds: uniq(parts.builds), tests: uniq(parts.tests) };
}

/** `iofs vm test`: each run with the facts of the kernel it booted (undefined: no iofs-build.json). */
export function kcidbFromRuns(runs: Array<{ result: RunResult; build?: BuildFacts }>, ctx: KcidbContext): KcidbDocument {
  const checkouts: KcidbCheckout[] = [];
  const builds: KcidbBuild[] = [];
  const tests: KcidbTest[] = [];
  for (const { result, build } of runs) {
    if (build) {
      checkouts.push(checkoutFromBuild(build, ctx));
      builds.push(buildFromFacts(build, ctx));
      tests.push(...testsFromRun(result, buildId(build, ctx), ctx));
    } else {
      const k = unknownKernel(result.kernel?.bzImage ?? result.runDir, result.kernelRelease, ctx);
      checkouts.push(k.checkout);
      builds.push(k.build);
      tests.push(...testsFromRun(result, k.build.id, ctx));
    }
  }
  return kcidbDocument({ checkouts, builds, tests });
}

/**
 * `iofs patches status`: per base one checkout (valid when the series
 * applied), one build per build cell, and tests for the scenario cells
 * (iofs.<scenario>) and the series-level cells (iofs.checkpatch,
 * iofs.bisectable), the latter on the base's first build: KCIDB has no
 * checkout-level tests. `facts` holds what the build cells produced.
 */
export function kcidbFromStatus(report: StatusReport, facts: ReadonlyMap<string, BuildFacts>, patchFiles: Record<string, string[]>, ctx: KcidbContext): KcidbDocument {
  const checkouts: KcidbCheckout[] = [];
  const builds: KcidbBuild[] = [];
  const tests: KcidbTest[] = [];
  const run = report.startedAt;
  for (const s of report.series) {
    const cells = report.cells.filter((c) => c.base === s.base);
    const apply = cells.find((c) => c.kind === 'apply');
    const buildCells = cells.filter((c) => c.kind === 'build');
    const firstFacts = buildCells.map((c) => facts.get(c.id)).find((f): f is BuildFacts => f !== undefined);
    const files = patchFiles[s.base] ?? [];
    const checkout: KcidbCheckout = firstFacts
      ? checkoutFromBuild(firstFacts, ctx)
      : {
          id: `${ctx.origin}:${s.base}:status:${s.seriesHash || 'no-patches'}:${run}`,
          origin: ctx.origin,
          tree_name: `debian-linux-source-${s.base}`,
          patchset_hash: s.seriesHash,
          ...(files.length ? { patchset_files: files.map((f) => resource(f, ctx)) } : {}),
          comment: `${s.base} with the initoverlayfs series (${s.patches.length} patches)${apply ? `: ${apply.summary}` : ''}`,
          ...(apply ? { valid: apply.state === 'ok' } : {}),
          misc: { base: s.base, series_dir: s.seriesDir },
        };
    if (apply?.log) checkout.log_url = fileUrl(apply.log, ctx);
    checkouts.push(checkout);
    const buildIds = new Map<string, string>();
    for (const c of buildCells) {
      const f = facts.get(c.id);
      const b: KcidbBuild = f
        ? { ...buildFromFacts(f, ctx), comment: `${s.base} ${c.name}: ${c.summary}` }
        : {
            id: `${ctx.origin}:status-build:${c.id}:${run}`,
            checkout_id: checkout.id,
            origin: ctx.origin,
            comment: `${s.base} ${c.name}: ${c.summary}`,
            architecture: 'x86_64',
            config_name: ['tinyconfig', ...c.name.split('+')].join('+'),
            duration: c.seconds,
            ...(c.log ? { log_url: fileUrl(c.log, ctx) } : {}),
          };
      b.status = cellStatus(c.state);
      builds.push(b);
      buildIds.set(c.name, b.id);
    }
    const firstBuild = buildCells[0] ? buildIds.get(buildCells[0].name) : undefined;
    for (const c of cells) {
      const onBuild = c.kind === 'scenario' ? buildIds.get((c.fragments ?? []).join('+')) : c.kind === 'checkpatch' || c.kind === 'prefixes' ? firstBuild : undefined;
      if (!onBuild) continue;
      tests.push(statusTest(c, onBuild, run, ctx));
    }
  }
  return kcidbDocument({ checkouts, builds, tests });
}

function statusTest(c: CellResult, build: string, run: string, ctx: KcidbContext): KcidbTest {
  const name = c.kind === 'scenario' ? pathSegment(c.name) : c.kind === 'prefixes' ? 'bisectable' : c.kind;
  // A scenario cell's log is its run directory: the console is the overview.
  const log = c.log ? (c.kind === 'scenario' ? path.join(c.log, 'console.log') : c.log) : undefined;
  return {
    id: `${ctx.origin}:status:${c.id}:${run}`,
    build_id: build,
    origin: ctx.origin,
    path: `iofs.${name}`,
    comment: c.summary.split('\n')[0] ?? '',
    ...(log ? { log_url: fileUrl(log, ctx) } : {}),
    status: cellStatus(c.state),
    duration: c.seconds,
    misc: { base: c.base, cell: c.id, state: c.state, ...(c.reused ? { reused: true } : {}), ...(c.log ? { log: fileUrl(c.log, ctx) } : {}) },
  };
}

/** A benchmark metric's median as a KCIDB number: seconds, bytes (binary prefixes), microseconds as seconds. */
export function metricNumber(metric: Metric, value: number): NonNullable<KcidbTest['number']> {
  if (metric.endsWith('Kb')) return { value: value * 1024, unit: 'B', prefix: 'binary' };
  if (metric.endsWith('Us')) return { value: value / 1e6, unit: 's', prefix: 'metric' };
  return { value, unit: 's', prefix: 'metric' };
}

/**
 * `iofs bench`: per kernel a checkout and a build; per cell a test
 * iofs.bench.<mode>.<size> (DONE when some boot passed, the first failure's
 * status otherwise) and one DONE sub-test per metric with the median.
 */
export function kcidbFromBench(
  result: BenchResult,
  outDir: string,
  kernels: Record<string, BuildFacts | undefined>,
  cellKernel: (cell: string) => string | undefined,
  ctx: KcidbContext,
): KcidbDocument {
  const checkouts: KcidbCheckout[] = [];
  const builds: KcidbBuild[] = [];
  const buildOf = new Map<string, string>();
  for (const [key, k] of Object.entries(result.meta.kernels)) {
    const f = kernels[key];
    if (f) {
      checkouts.push(checkoutFromBuild(f, ctx));
      builds.push(buildFromFacts(f, ctx));
      buildOf.set(key, buildId(f, ctx));
    } else {
      const u = unknownKernel(k.bzImage, k.release, ctx);
      checkouts.push(u.checkout);
      builds.push(u.build);
      buildOf.set(key, u.build.id);
    }
  }
  const only = buildOf.size === 1 ? [...buildOf.values()][0] : undefined;
  const tests: KcidbTest[] = [];
  const runId = path.basename(outDir);
  for (const c of result.cells) {
    const key = cellKernel(c.cell);
    const build = (key !== undefined ? buildOf.get(key) : undefined) ?? only;
    if (!build) continue;
    tests.push(...benchTests(c, build, runId, outDir, result, ctx));
  }
  return kcidbDocument({ checkouts, builds, tests });
}

function benchTests(c: CellSummary, build: string, runId: string, outDir: string, result: BenchResult, ctx: KcidbContext): KcidbTest[] {
  const id = `${ctx.origin}:bench:${runId}:${c.cell}`;
  const parent = `iofs.bench.${pathSegment(c.mode)}.${pathSegment(`${c.sizeLabel}${c.read ? '-read' : ''}`)}`;
  const failure = c.failures[0]?.outcome;
  const failed: KcidbStatus = failure && ['PASS', 'FAIL', 'PANIC', 'BOOT-TIMEOUT', 'INFRA', 'INTERRUPTED'].includes(failure) ? outcomeStatus(failure as Outcome) : 'ERROR';
  const test: KcidbTest = {
    id,
    build_id: build,
    origin: ctx.origin,
    path: parent,
    comment: `${c.passed}/${c.boots} boots passed; ${result.meta.clock}`,
    log_url: fileUrl(path.join(outDir, 'table.md'), ctx),
    output_files: [resource(path.join(outDir, 'raw.json'), ctx), resource(path.join(outDir, 'summary.json'), ctx), resource(path.join(outDir, 'plot.svg'), ctx)],
    status: c.passed > 0 ? 'DONE' : failed,
    start_time: new Date(result.meta.startedAt).toISOString(),
    environment: { comment: `QEMU ${result.meta.qemu}; ${result.meta.accel.join(', ')}`, misc: { machine: result.meta.machine, memory_mib: result.meta.memoryMiB, clock: result.meta.clock } },
    misc: {
      boots: c.boots,
      passed: c.passed,
      size_bytes: c.sizeBytes,
      ...(c.initrdBytes !== undefined ? { initrd_bytes: c.initrdBytes } : {}),
      failures: c.failures.map((f) => ({ ...f, runDir: fileUrl(path.resolve(outDir, f.runDir), ctx) })),
    },
  };
  const metrics = Object.entries(c.stats).map(([metric, st]): KcidbTest => ({
    id: `${id}:${metric}`,
    build_id: build,
    origin: ctx.origin,
    path: `${parent}.${metric}`,
    status: 'DONE',
    number: metricNumber(metric as Metric, st.median),
    misc: { statistic: 'median', n: st.n, min: st.min, max: st.max },
  }));
  return [test, ...metrics];
}
