import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Verdict } from './classify.js';
import { consoleExcerpt, fuzzRecord, publishFuzzRecord, recordCounts, unpublishableBecause } from './record.js';
import { countCases, formatCounts, type CaseResult, type FuzzSummary } from './run.js';

const verdict = (v: Partial<Verdict> & Pick<Verdict, 'class' | 'kind' | 'line'>): Verdict => ({ mounted: false, markers: [], ...v });

const caseResult = (id: number, region: CaseResult['region'], v: Verdict): CaseResult => ({
  id, region, mutation: `mutation ${id}`, edits: [], described: [], verdict: v, wallS: 7, imageBytes: 4096, dir: `cases/${String(id).padStart(3, '0')}-${region}`,
});

const PANIC = '[    1.200000] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22';
const KASAN = '[    2.000000] BUG: KASAN: slab-out-of-bounds in z_erofs_load_compact_lcluster+0x1c3/0x5a0';

const cases: CaseResult[] = [
  caseResult(0, 'control', verdict({ class: 'booted', kind: 'init and sshd', line: 'IOFS_MARKER stage=init', mounted: true, markers: ['init', 'sshd'] })),
  caseResult(1, 'superblock', verdict({ class: 'clean-failure', kind: 'superblock check failed (-22)', line: PANIC })),
  caseResult(2, 'superblock', verdict({ class: 'clean-failure', kind: 'superblock check failed (-22)', line: PANIC })),
  caseResult(3, 'inode', verdict({ class: 'crash', kind: 'kasan', line: KASAN, owner: 'erofs', mounted: true })),
  caseResult(4, 'size', verdict({ class: 'clean-failure', kind: 'mount erofs failed (-74)', line: '[    1.3] Kernel panic - not syncing: initrd_erofs: mount erofs failed: -74' })),
];

const summary = (over: Partial<FuzzSummary> = {}): FuzzSummary & { cases: CaseResult[] } => ({
  seed: 1, count: 5, ran: 5, interrupted: false, startedAt: '2026-11-26T10:00:00.000Z', runDir: '/r', kernel: '/b/arch/x86/boot/bzImage', kernelRelease: '6.12.117+',
  kernelBuild: { base: '6.12', baseVersion: '6.12.117', seriesHash: 'ab'.repeat(32), seriesState: 'applied', fragments: ['guest', 'erofs', 'initrd-erofs', 'debug'], configHash: 'cd'.repeat(32), treeDirty: false },
  image: { path: '/r/base.erofs', bytes: 4132864, sha256: 'ef'.repeat(32) }, accel: { accel: 'tcg', why: 'asked' }, qemuVersion: 'QEMU 7.2', append: 'kasan.fault=panic panic_on_warn=1',
  memoryMiB: 256, boundS: 90, jobs: 2, wallS: 60, byClass: { booted: 1, 'clean-failure': 3, crash: 1, hang: 0 }, byRegion: {}, cleanFailureKinds: {}, notable: [], controlFailed: false, oursFailed: false,
  cases, ...over,
});

const log = (...lines: string[]): string => lines.map((l, i) => `[+${(1 + i / 10).toFixed(3)}s] ${l}`).join('\n') + '\n';

describe('fuzz counts', () => {
  it('counts per class, per region (plan order) and clean-failure reason, and formats them as the README quotes them', () => {
    const counts = countCases(cases.map((c) => ({ id: c.id, region: c.region, class: c.verdict.class, kind: c.verdict.kind })));
    expect(counts.byClass).toEqual({ booted: 1, 'clean-failure': 3, crash: 1, hang: 0 });
    expect(Object.keys(counts.byRegion)).toEqual(['control', 'superblock', 'inode', 'size']);
    expect(formatCounts(counts).join('\n')).toBe(
      [
        'region      booted  clean-failure  crash  hang  total',
        'control          1              0      0     0      1',
        'superblock       0              2      0     0      2',
        'inode            0              0      1     0      1',
        'size             0              1      0     0      1',
        'all              1              3      1     0      5',
        '',
        'clean failures:',
        '     2  superblock check failed (-22)',
        '     1  mount erofs failed (-74)',
      ].join('\n'),
    );
  });
});

describe('fuzz record', () => {
  it('keeps the console lines that led to a clean failure, the report after a crash, the end of anything else', () => {
    const before = Array.from({ length: 12 }, (_, i) => `[    1.0${String(i).padStart(2, '0')}000] line ${i}`);
    expect(consoleExcerpt(log(...before, 'initrd_erofs: image truncated', PANIC, ' dump_stack+0x1/0x2'), { class: 'clean-failure', line: PANIC })).toEqual([...before.slice(5), 'initrd_erofs: image truncated', PANIC]);
    const trace = Array.from({ length: 60 }, (_, i) => ` frame_${i}+0x1/0x2`);
    const crash = consoleExcerpt(log(...before, KASAN, ...trace), { class: 'crash', line: KASAN });
    expect(crash[5]).toBe(KASAN);
    expect(crash).toHaveLength(46);
    expect(consoleExcerpt(log(...before, ...trace), { class: 'hang', line: 'not on the console' })).toEqual(trace.slice(-15));
    expect(consoleExcerpt(log(`${'x'.repeat(400)}`), { class: 'hang', line: '' })[0]).toHaveLength(301);
  });

  it('records what was fuzzed and every case, with a console excerpt for non-boots only', () => {
    const consoles = new Map([[1, log('initrd_erofs: image truncated', PANIC)], [3, log(KASAN, ' frame+0x1/0x2')]]);
    const r = fuzzRecord(summary(), consoles);
    expect(r).toMatchObject({ seed: 1, count: 5, accel: 'tcg (asked)', kernel: { release: '6.12.117+', seriesHash: 'ab'.repeat(32), fragments: ['guest', 'erofs', 'initrd-erofs', 'debug'] }, image: { bytes: 4132864 } });
    expect(r.cases.map((c) => [c.id, c.class, c.console?.length])).toEqual([[0, 'booted', undefined], [1, 'clean-failure', 2], [2, 'clean-failure', 0], [3, 'crash', 2], [4, 'clean-failure', 0]]);
    expect(r.cases[3]).toMatchObject({ region: 'inode', mutation: 'mutation 3', kind: 'kasan', owner: 'erofs', mounted: true });
    expect(recordCounts(r).byClass).toEqual({ booted: 1, 'clean-failure': 3, crash: 1, hang: 0 });
  });

  it('refuses a run that is not the whole plan on the committed series', () => {
    expect(unpublishableBecause(summary())).toBeUndefined();
    expect(unpublishableBecause(summary({ interrupted: true }))).toMatch(/interrupted/);
    expect(unpublishableBecause(summary({ ran: 4 }))).toBe('4 of 5 cases ran');
    expect(unpublishableBecause(summary({ only: [3] }))).toMatch(/restricted \(--case 3\)/);
    expect(unpublishableBecause(summary({ regions: ['size'] }))).toMatch(/restricted \(--region size\)/);
    expect(unpublishableBecause(summary({ kernelBuild: undefined }))).toMatch(/no iofs build metadata with a series hash/);
    expect(unpublishableBecause(summary({ kernelBuild: { ...summary().kernelBuild!, treeDirty: true } }))).toMatch(/not built from the committed series \(series applied, tree dirty\)/);
    expect(() => fuzzRecord(summary({ interrupted: true }), new Map())).toThrow(/cannot be published: the run was interrupted/);
  });

  it('publishes from a run directory', async () => {
    const run = await mkdtemp(path.join(os.tmpdir(), 'iofs-fuzz-run-'));
    onTestFinished(() => rm(run, { recursive: true, force: true }));
    await writeFile(path.join(run, 'summary.json'), JSON.stringify(summary({ runDir: run })));
    await mkdir(path.join(run, 'cases', '001-superblock'), { recursive: true });
    await writeFile(path.join(run, 'cases', '001-superblock', 'console.log'), log('initrd_erofs: image truncated', PANIC));
    const dest = path.join(run, 'published', 'record.json');
    await publishFuzzRecord(run, dest);
    const r = JSON.parse(await readFile(dest, 'utf8')) as ReturnType<typeof fuzzRecord>;
    expect(r.cases[1]?.console).toEqual(['initrd_erofs: image truncated', PANIC]);
    // A case whose console is missing keeps an empty excerpt rather than failing the publication.
    expect(r.cases[4]?.console).toEqual([]);
    await writeFile(path.join(run, 'summary.json'), JSON.stringify(summary({ runDir: run, ran: 3 })));
    await expect(publishFuzzRecord(run, dest)).rejects.toThrow(/cannot be published: 3 of 5 cases ran/);
  });
});
