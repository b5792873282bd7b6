import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { BuildMetadata } from '../kernel/index.js';
import type { RunResult } from '../vm/index.js';
import type { StatusReport } from '../status/index.js';
import type { BenchResult } from '../bench/index.js';
import { readSeries, seriesHash } from '../git/index.js';
import { repoRoot } from '../common/paths.js';
import { fileUrl, kcidbFromBench, kcidbFromRuns, kcidbFromStatus, metricNumber, outcomeStatus, pathSegment, type BuildFacts } from './map.js';
import { kcidbProblems } from './schema.js';
import { compilerOf } from './sources.js';
import path from 'node:path';

const ctx = { origin: 'iofs', cacheRoot: '/c' };
const meta: BuildMetadata = {
  base: '7.3',
  baseVersion: '7.3.4',
  variant: 'patched',
  tree: { path: '/c/trees/7.3', head: '811dd8511b1d555b469f465ea7413c024144e715', baseRef: 'base-7.3', baseCommit: 'bdc372c4f79c60477c076dbad636d4a024c2ae54', commitsOnBase: 9, dirty: false },
  seriesHash: 'c699daa5f93e5128ae9b44cadf387cb0923b5e60dd2cfaaab6f8ebc674018c71',
  seriesState: 'applied',
  fragments: [{ name: 'guest', path: '/r/kernel-patches/configs/guest.config', sha256: 'd2' }, { name: 'erofs', path: '/r/kernel-patches/configs/erofs.config', sha256: 'ef' }],
  configHash: '912e9335bc4ace25fbb1bd469e817bd660c192b0561033a1107693cb0f5cefae',
  kernelRelease: '7.3.4+',
  ccache: true,
  jobs: 2,
  reconfigured: false,
  durations: { configSeconds: 0.007, buildSeconds: 10.828 },
  artifacts: {
    bzImage: { path: '/c/builds/7.3-patched-912e9335bc4a/arch/x86/boot/bzImage', bytes: 2380800 },
    vmlinux: { path: '/c/builds/7.3-patched-912e9335bc4a/vmlinux', bytes: 13343616 },
    config: '/c/builds/7.3-patched-912e9335bc4a/.config',
    buildLog: '/c/builds/7.3-patched-912e9335bc4a/build.log',
  },
  finishedAt: '2026-12-02T03:05:50.831Z',
};
const facts: BuildFacts = { metadataPath: '/c/builds/7.3-patched-912e9335bc4a/iofs-build.json', meta, compiler: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0', patchFiles: ['/r/kernel-patches/7.3/0001-init-a.patch', '/r/kernel-patches/7.3/0002-init b.patch'] };

// The shape of tools/vm/report.test.ts's fixture, one per outcome.
const run = (scenario: string, over: Partial<RunResult>): RunResult => ({
  scenario,
  file: `/r/test-vms/scenarios/${scenario}.json`,
  description: '',
  outcome: 'PASS',
  reason: '2 check(s) passed',
  runDir: `/c/runs/20261202T033113Z-${scenario}`,
  startedAt: '2026-12-02T03:31:13.144Z',
  commandLine: 'console=ttyS0 panic=-1',
  memoryMiB: 512,
  bootTimeoutS: 60,
  accel: { accel: 'tcg', why: 'requested (--accel tcg)' },
  qemu: { version: '7.2.15' },
  kernel: { bzImage: meta.artifacts.bzImage.path, source: 'given', metadataPath: facts.metadataPath, seriesHash: meta.seriesHash },
  kernelRelease: '7.3.4+',
  initrd: { output: '/c/runs/x/initrd.erofs', path: '/c/runs/x/initrd.erofs', format: 'erofs', compress: 'lz4hc', bytes: 4 << 20, sha256: 'ab' },
  host: { hostname: 'h', kernel: 'Linux', cpus: 2, node: 'v20' },
  timings: { kernelRunInitS: 1.0, wallToSshReadyS: 3.02, totalS: 8.9 },
  checks: [
    { name: 'kernel release', run: 'uname -r', ok: true, exitCode: 0, timedOut: false, durationS: 0.07, stdoutFile: 'checks/01.stdout', stderrFile: 'checks/01.stderr' },
    { name: 'root is the overlay (/proc/mounts)', run: 'cat /proc/mounts', ok: true, exitCode: 0, timedOut: false, durationS: 0.09, stdoutFile: 'checks/02.stdout', stderrFile: 'checks/02.stderr' },
  ],
  ...over,
});
const panic = { kind: 'panic' as const, line: 'Kernel panic - not syncing: VFS', firstLine: 'Kernel panic - not syncing: VFS', index: 3, context: ['[ 1.2] initrd_erofs: superblock check failed: -22', 'Kernel panic - not syncing: VFS'] };
const runs: RunResult[] = [
  run('kmode-erofs-inplace', {}),
  run('kmode-cpio-gzip', { outcome: 'FAIL', reason: 'check "root fs" failed', checks: [{ name: 'root fs', run: 'x', ok: false, reason: 'stdout does not match', exitCode: 1, timedOut: false, durationS: 0.1, stdoutFile: 'checks/01.stdout', stderrFile: 'checks/01.stderr' }] }),
  run('kmode-corrupt-truncated', { outcome: 'PASS', observedOutcome: 'PANIC', expectBoot: { outcome: 'PANIC', withinS: 60 }, panic, checks: [] }),
  run('kmode-unexpected-panic', { outcome: 'PANIC', reason: 'kernel panic: VFS', panic, checks: [] }),
  run('kmode-hang', { outcome: 'BOOT-TIMEOUT', reason: 'no SSH within 60 s', checks: [] }),
  run('kmode-no-qemu', { outcome: 'INFRA', reason: 'QEMU failed to start', qemu: undefined, accel: undefined, kernel: { bzImage: '/elsewhere/bzImage', source: 'given' }, checks: [] }),
];

describe('kcidbFromRuns', () => {
  const doc = kcidbFromRuns(runs.map((result) => ({ result, ...(result.kernel?.metadataPath ? { build: facts } : {}) })), ctx);

  it('validates against KCIDB schema v5.3', async () => {
    expect(await kcidbProblems(doc)).toEqual([]);
  });

  it('one checkout and build per kernel, a test per run and one per check, statuses mapped', () => {
    expect(doc.checkouts).toHaveLength(2);
    const [checkout] = doc.checkouts;
    expect(checkout).toMatchObject({ id: `iofs:7.3:${meta.tree.baseCommit}:${meta.seriesHash}:patched`, git_commit_hash: meta.tree.baseCommit, patchset_hash: meta.seriesHash });
    expect(checkout?.patchset_files?.map((f) => f.url)).toEqual(['file:///r/kernel-patches/7.3/0001-init-a.patch', 'file:///r/kernel-patches/7.3/0002-init%20b.patch']);
    expect(doc.builds[0]).toMatchObject({ config_name: 'tinyconfig+guest+erofs', compiler: 'gcc (Debian 12.2.0-14+deb12u1) 12.2.0', duration: 10.835, start_time: '2026-12-02T03:05:39.996Z', status: 'PASS', architecture: 'x86_64' });
    const byPath = new Map(doc.tests.map((t) => [t.path, t]));
    expect(byPath.get('iofs.kmode-erofs-inplace')?.status).toBe('PASS');
    expect(byPath.get('iofs.kmode-erofs-inplace.root-is-the-overlay-proc-mounts')?.status).toBe('PASS');
    expect(byPath.get('iofs.kmode-cpio-gzip')?.status).toBe('FAIL');
    expect(byPath.get('iofs.kmode-cpio-gzip.root-fs')).toMatchObject({ status: 'FAIL', log_url: 'file:///c/runs/20261202T033113Z-kmode-cpio-gzip/checks/01.stdout' });
    expect(byPath.get('iofs.kmode-corrupt-truncated')).toMatchObject({ status: 'PASS', misc: expect.objectContaining({ observed_outcome: 'PANIC' }), log_excerpt: expect.stringContaining('superblock check failed') });
    expect(byPath.get('iofs.kmode-unexpected-panic')?.status).toBe('FAIL');
    expect(byPath.get('iofs.kmode-hang')?.status).toBe('FAIL');
    expect(byPath.get('iofs.kmode-no-qemu')).toMatchObject({ status: 'MISS', build_id: expect.stringMatching(/^iofs:given-kernel-build:/) });
    expect(byPath.get('iofs.kmode-erofs-inplace')?.environment?.comment).toContain('QEMU 7.2.15 (tcg)');
  });

  it('with a cache URL, files under the cache become URLs there; others stay file://', () => {
    const served = { ...ctx, cacheUrl: 'https://lab.example/iofs-cache/' };
    expect(fileUrl('/c/runs/r 1/console.log', served)).toBe('https://lab.example/iofs-cache/runs/r%201/console.log');
    expect(fileUrl('/r/kernel-patches/7.3/0001.patch', served)).toBe('file:///r/kernel-patches/7.3/0001.patch');
  });

  it('claims no patchset_hash for a tree that is not exactly the series', () => {
    const diverged = kcidbFromRuns([{ result: runs[0] as RunResult, build: { ...facts, meta: { ...meta, seriesState: 'diverged' } } }], ctx);
    expect(diverged.checkouts[0]?.patchset_hash).toBeUndefined();
    expect(diverged.checkouts[0]?.misc?.series_state).toBe('diverged');
  });
});

describe('statuses and names', () => {
  it('maps every outcome', () => {
    expect(['PASS', 'FAIL', 'PANIC', 'BOOT-TIMEOUT', 'INFRA', 'INTERRUPTED'].map((o) => outcomeStatus(o as RunResult['outcome']))).toEqual(['PASS', 'FAIL', 'FAIL', 'FAIL', 'MISS', 'MISS']);
  });
  it('turns names into KCIDB path segments', () => {
    expect(pathSegment('kmode-erofs-inplace')).toBe('kmode-erofs-inplace');
    expect(pathSegment('MemAvailable at /init (kB)')).toBe('memavailable-at-init-kb');
    expect(pathSegment('...')).toBe('unnamed');
  });
  it('reads the compiler from a .config', () => {
    expect(compilerOf('CONFIG_X=y\nCONFIG_CC_VERSION_TEXT="gcc (Debian 12.2.0-14) 12.2.0"\n')).toBe('gcc (Debian 12.2.0-14) 12.2.0');
  });
});

describe('kcidbFromStatus', () => {
  // The shape runStatus returns (tools/status/status.ts), one base with a failing scenario, a skip and an n/a.
  const report: StatusReport = {
    startedAt: '2026-12-02T04:00:00.000Z',
    finishedAt: '2026-12-02T04:20:00.000Z',
    series: [
      { base: '7.3', seriesDir: '/r/kernel-patches/7.3', patches: ['0001-a.patch'], seriesHash: meta.seriesHash },
      { base: '6.1', seriesDir: '/r/kernel-patches/6.1', patches: ['0001-a.patch'], seriesHash: 'a'.repeat(64) },
    ],
    cells: [
      { id: '7.3/apply', base: '7.3', kind: 'apply', name: 'apply', state: 'ok', summary: '9 patch(es)', log: '/c/status/logs/7.3/apply.log', seconds: 3 },
      { id: '7.3/checkpatch', base: '7.3', kind: 'checkpatch', name: 'checkpatch', state: 'ok', summary: '0 errors', log: '/c/status/logs/7.3/checkpatch.log', seconds: 9 },
      { id: '7.3/build/guest+erofs', base: '7.3', kind: 'build', name: 'guest+erofs', state: 'ok', summary: '7.3.4+, make 10 s', log: '/c/status/builds/x/build.log', fragments: ['guest', 'erofs'], metadataPath: facts.metadataPath, seconds: 12 },
      { id: '7.3/scenario/kmode-erofs-inplace', base: '7.3', kind: 'scenario', name: 'kmode-erofs-inplace', state: 'fail', summary: 'FAIL check x', log: '/c/runs/r1', fragments: ['guest', 'erofs'], seconds: 20 },
      { id: '7.3/scenario/initcalls-erofs', base: '7.3', kind: 'scenario', name: 'initcalls-erofs', state: 'na', summary: 'not applicable', fragments: ['guest', 'erofs'], seconds: 0 },
      { id: '7.3/prefixes', base: '7.3', kind: 'prefixes', name: 'prefixes', state: 'ok', summary: 'patches build one by one', log: '/c/status/logs/7.3/prefixes.log', seconds: 100 },
      { id: '6.1/apply', base: '6.1', kind: 'apply', name: 'apply', state: 'fail', summary: 'patch 1 does not apply', log: '/c/status/logs/6.1/apply.log', seconds: 2 },
      { id: '6.1/build/guest+erofs', base: '6.1', kind: 'build', name: 'guest+erofs', state: 'skipped', summary: 'not run: 6.1/apply is not ok', fragments: ['guest', 'erofs'], seconds: 0 },
      { id: '6.1/scenario/kmode-erofs-bdev', base: '6.1', kind: 'scenario', name: 'kmode-erofs-bdev', state: 'skipped', summary: 'not run', fragments: ['guest', 'erofs'], seconds: 0 },
    ],
    green: false,
    exitCode: 1,
  };
  const doc = kcidbFromStatus(report, new Map([['7.3/build/guest+erofs', facts]]), { '6.1': ['/r/kernel-patches/6.1/0001-a.patch'] }, ctx);

  it('validates against KCIDB schema v5.3', async () => {
    expect(await kcidbProblems(doc)).toEqual([]);
  });
  it('a checkout per base (invalid where the series did not apply), builds and tests per cell', () => {
    expect(doc.checkouts.map((c) => [c.valid, c.patchset_hash])).toEqual([[true, meta.seriesHash], [false, 'a'.repeat(64)]]);
    expect(doc.builds.map((b) => b.status)).toEqual(['PASS', 'MISS']);
    expect(doc.tests.map((t) => [t.path, t.status])).toEqual([
      ['iofs.checkpatch', 'PASS'],
      ['iofs.kmode-erofs-inplace', 'FAIL'],
      ['iofs.initcalls-erofs', 'SKIP'],
      ['iofs.bisectable', 'PASS'],
      ['iofs.kmode-erofs-bdev', 'MISS'],
    ]);
    expect(doc.tests[1]?.log_url).toBe('file:///c/runs/r1/console.log');
  });
});

describe('kcidbFromBench', () => {
  const stats = { n: 3, median: 1.25, min: 1.2, max: 1.3 };
  const result = {
    meta: {
      startedAt: '2026-12-02T05:00:00.000Z',
      qemu: 'QEMU emulator version 7.2.15',
      accel: ['tcg (requested)'],
      clock: 'QEMU -icount shift=3,sleep=off',
      memoryMiB: 512,
      machine: { hostname: 'h', cpuModel: 'x', cpus: 2, memGiB: 24, os: 'Debian 12', loadAverageAtStart: [1, 1, 1] },
      kernels: { '7.3|guest,erofs|patched': { spec: { base: '7.3', fragments: ['guest', 'erofs'], patches: true }, bzImage: meta.artifacts.bzImage.path, release: '7.3.4+' } },
    },
    records: [],
    cells: [
      { cell: 'kernel-inplace/64M', mode: 'kernel-inplace', sizeLabel: '64M', sizeBytes: 64 << 20, read: false, boots: 3, passed: 3, failures: [], stats: { runInitS: stats, memAvailableKb: { ...stats, median: 480000 }, kernelMountUs: { ...stats, median: 1500 } } },
      { cell: 'cpio-gzip/64M+read', mode: 'cpio-gzip', sizeLabel: '64M', sizeBytes: 64 << 20, read: true, boots: 3, passed: 0, failures: [{ boot: 1, outcome: 'BOOT-TIMEOUT', reason: 'no SSH', runDir: 'runs/b1' }], stats: {} },
    ],
  } as unknown as BenchResult;
  const doc = kcidbFromBench(result, '/c/bench/20261202T050000Z', { '7.3|guest,erofs|patched': facts }, () => undefined, ctx);

  it('validates against KCIDB schema v5.3', async () => {
    expect(await kcidbProblems(doc)).toEqual([]);
  });
  it('a DONE test per cell and one per metric with the median as its number', () => {
    expect(doc.tests.map((t) => [t.path, t.status])).toEqual([
      ['iofs.bench.kernel-inplace.64M', 'DONE'],
      ['iofs.bench.kernel-inplace.64M.runInitS', 'DONE'],
      ['iofs.bench.kernel-inplace.64M.memAvailableKb', 'DONE'],
      ['iofs.bench.kernel-inplace.64M.kernelMountUs', 'DONE'],
      ['iofs.bench.cpio-gzip.64M-read', 'FAIL'],
    ]);
    expect(doc.tests[2]?.number).toEqual({ value: 480000 * 1024, unit: 'B', prefix: 'binary' });
    expect(metricNumber('kernelMountUs', 1500)).toEqual({ value: 0.0015, unit: 's', prefix: 'metric' });
  });
});

describe('patchset_hash', () => {
  it('is what KCIDB documents: sha256sum of the patches in order, cut -c-64, sha256sum', async () => {
    const { files } = await readSeries(path.join(repoRoot, 'kernel-patches', '7.3'));
    const shell = execFileSync('sh', ['-c', 'sha256sum "$@" | cut -c-64 | sha256sum | cut -c-64', 'sh', ...files], { encoding: 'utf8' }).trim();
    expect(files.length).toBeGreaterThan(1);
    expect(await seriesHash(files)).toBe(shell);
  });
});
