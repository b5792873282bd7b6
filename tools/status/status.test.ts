/**
 * The status matrix: planning, scheduling and rendering are pure; the red
 * path (a series that does not apply) runs for real with git on a small
 * synthetic kernel-like repository given as --tree.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import type { Scenario } from '../vm/index.js';
import {
  columnSummary,
  planStatus,
  renderStatus,
  runCells,
  runStatus,
  seriesScenarios,
  verdict,
  type CellResult,
} from './index.js';
import { seriesWorktree } from '../patches/index.js';
import { externalTree, getBase } from '../kernel/index.js';
import { testGit } from '../patches/testutil.js';

function scenario(name: string, fragments: string[], patches = true): Scenario {
  return {
    name,
    file: `/x/${name}.json`,
    description: name,
    kernel: { base: '6.12', fragments, patches },
    initrd: { kind: 'image', image: '/x/img' },
    append: '',
    memoryMiB: 512,
    bootTimeoutS: 60,
    checks: [],
  };
}

describe('planStatus', () => {
  it('plans apply → checkpatch, builds per distinct config, scenarios on their build, per base', () => {
    const s1 = scenario('erofs-a', ['guest', 'erofs', 'initrd-erofs', 'distro']);
    const s2 = scenario('erofs-b', ['guest', 'erofs', 'initrd-erofs', 'distro']);
    const s3 = scenario('other', ['guest', 'x']);
    const plan = planStatus(['6.12', '6.1'], [s1, s2, s3]);
    expect(plan.map((c) => `${c.id} <- ${c.deps.join(',')}`)).toEqual([
      '6.12/apply <- ',
      '6.12/checkpatch <- 6.12/apply',
      '6.12/robot <- 6.12/apply',
      '6.12/build/guest+erofs+initrd-erofs+distro <- 6.12/apply',
      '6.12/build/guest+x <- 6.12/apply',
      '6.12/scenario/erofs-a <- 6.12/build/guest+erofs+initrd-erofs+distro',
      '6.12/scenario/erofs-b <- 6.12/build/guest+erofs+initrd-erofs+distro',
      '6.12/scenario/other <- 6.12/build/guest+x',
      '6.12/prefixes <- 6.12/apply',
      '6.1/apply <- ',
      '6.1/checkpatch <- 6.1/apply',
      '6.1/robot <- 6.1/apply',
      '6.1/build/guest+erofs+initrd-erofs+distro <- 6.1/apply',
      '6.1/build/guest+x <- 6.1/apply',
      '6.1/scenario/erofs-a <- 6.1/build/guest+erofs+initrd-erofs+distro',
      '6.1/scenario/erofs-b <- 6.1/build/guest+erofs+initrd-erofs+distro',
      '6.1/scenario/other <- 6.1/build/guest+x',
      '6.1/prefixes <- 6.1/apply',
    ]);
    // Every prefix is built last, after the base's other cells: it checks out older commits in their worktree.
    expect(plan.find((c) => c.id === '6.12/prefixes')?.after).toEqual(plan.filter((c) => c.base === '6.12' && c.kind !== 'prefixes' && c.kind !== 'apply').map((c) => c.id));
    // Scenarios are re-targeted at the base, with the series.
    const on61 = plan.find((c) => c.id === '6.1/scenario/other');
    expect(on61?.scenario?.kernel).toEqual({ base: '6.1', fragments: ['guest', 'x'], patches: true });
    expect(s3.kernel.base).toBe('6.12'); // the input is not mutated
  });

  it('marks the scenarios a base declares not applicable, which never run and are not red', async () => {
    const plan = planStatus(['6.12', '6.1'], [scenario('file', ['guest']), scenario('bdev', ['guest'])], ['guest'], {
      '6.1': { file: 'no file-backed EROFS mounts in 6.1' },
    });
    expect(plan.filter((c) => c.notApplicable).map((c) => c.id)).toEqual(['6.1/scenario/file']);
    // A config only n/a scenarios use is not built on that base.
    const own = planStatus(['6.1'], [scenario('file', ['guest', 'file-only'])], ['guest'], { '6.1': { file: 'no file-backed EROFS mounts in 6.1' } });
    expect(own.filter((c) => c.kind === 'build').map((c) => c.id)).toEqual(['6.1/build/guest']);
    expect(own.find((c) => c.id === '6.1/scenario/file')?.deps).toEqual([]);
    const results = await runCells(plan, 1, async (c) => {
      if (c.notApplicable) throw new Error('ran a cell that is not applicable');
      return { name: c.id, state: 'ok', summary: 'fine' };
    });
    const na = results.find((r) => r.id === '6.1/scenario/file');
    expect(na).toMatchObject({ state: 'na', summary: 'not applicable on 6.1: no file-backed EROFS mounts in 6.1' });
    expect(verdict(['6.12', '6.1'], results)).toEqual({ green: true, exitCode: 0 });
    expect(columnSummary(results.filter((r) => r.base === '6.1' && r.kind === 'scenario'))).toBe('ok');
    expect(columnSummary([na as CellResult])).toBe('n/a');
    expect(renderStatus({ series: [], cells: results, green: true })).toMatch(/^6\.1 scenario file +n\/a +not applicable on 6\.1: no file-backed EROFS mounts in 6\.1$/m);
  });

  it('counts only the scenarios whose kernel uses the series', () => {
    expect(seriesScenarios([scenario('a', ['guest'], false), scenario('b', ['guest'], true)]).map((s) => s.name)).toEqual(['b']);
  });

  it('adds an arch axis: one apply and checkpatch per base, builds, scenarios and prefixes per arch, prefixes one arch after the other', () => {
    const arches = { names: ['x86_64', 'arm64'], defaultName: 'x86_64', notApplicable: { arm64: { gen: 'made by the host generator' } } };
    const plan = planStatus(['7.3'], [scenario('k', ['guest']), scenario('gen', ['guest'])], ['guest'], {}, arches);
    expect(plan.map((c) => `${c.id} <- ${c.deps.join(',')}${c.notApplicable ? ' (n/a)' : ''}`)).toEqual([
      '7.3/apply <- ',
      '7.3/checkpatch <- 7.3/apply',
      '7.3/robot <- 7.3/apply',
      '7.3/build/guest <- 7.3/apply',
      '7.3/scenario/k <- 7.3/build/guest',
      '7.3/scenario/gen <- 7.3/build/guest',
      '7.3@arm64/build/guest <- 7.3/apply',
      '7.3@arm64/scenario/k <- 7.3@arm64/build/guest',
      '7.3@arm64/scenario/gen <-  (n/a)',
      '7.3/prefixes <- 7.3/apply',
      '7.3@arm64/prefixes <- 7.3/apply',
    ]);
    expect(plan.filter((c) => c.kind === 'build').map((c) => c.arch)).toEqual(['x86_64', 'arm64']);
    // The worktree is shared: arm64's prefixes wait for x86_64's, and both for every other cell of the base.
    expect(plan.find((c) => c.id === '7.3@arm64/prefixes')?.after).toContain('7.3/prefixes');
    expect(plan.find((c) => c.id === '7.3/prefixes')?.after).toContain('7.3@arm64/scenario/k');
  });
});

describe('runCells', () => {
  it('skips what depends on a failed cell, names the cause, and keeps within the job limit', async () => {
    const plan = planStatus(['A', 'B'], [scenario('s', ['guest'])]);
    let running = 0;
    let peak = 0;
    const ran: string[] = [];
    const results = await runCells(plan, 2, async (cell) => {
      running++;
      peak = Math.max(peak, running);
      ran.push(cell.id);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (cell.id === 'B/apply') return { name: 'apply', state: 'fail', summary: 'patch 2/3 does not apply' };
      if (cell.id === 'A/build/guest') throw new Error('make exploded\nsecond line');
      return { name: cell.id, state: 'ok', summary: 'fine' };
    });
    expect(peak).toBe(2);
    expect(ran).not.toContain('B/checkpatch');
    const by = new Map(results.map((r) => [r.id, r]));
    expect(by.get('B/checkpatch')).toMatchObject({ state: 'skipped', summary: 'not run: B/apply is not ok' });
    expect(by.get('B/scenario/s')?.state).toBe('skipped'); // two levels down
    expect(by.get('A/build/guest')).toMatchObject({ state: 'infra', summary: 'make exploded' });
    expect(by.get('A/scenario/s')?.summary).toBe('not run: A/build/guest is not ok');
    expect(by.get('A/checkpatch')?.state).toBe('ok');
    expect(results.map((r) => r.id)).toEqual(plan.map((c) => c.id));
  });
});

const cell = (base: string, kind: CellResult['kind'], state: CellResult['state'], name: string = kind): CellResult => ({
  id: `${base}/${kind}/${name}`,
  base,
  kind,
  name,
  state,
  summary: `${state} summary`,
  log: `/logs/${base}/${name}`,
  seconds: 1,
});

describe('verdict and rendering', () => {
  const green = ['apply', 'build', 'prefixes', 'checkpatch', 'robot', 'scenario'].map((k) => cell('6.12', k as CellResult['kind'], 'ok'));
  it('is green only when every base has every column and every cell is ok', () => {
    expect(verdict(['6.12'], green)).toEqual({ green: true, exitCode: 0 });
    expect(verdict(['6.12'], green.filter((c) => c.kind !== 'scenario'))).toEqual({ green: false, exitCode: 1 });
    expect(verdict(['6.12'], [...green.slice(0, 5), cell('6.12', 'scenario', 'infra')])).toEqual({ green: false, exitCode: 5 });
    expect(verdict(['6.12'], green.filter((c) => c.kind !== 'prefixes'))).toEqual({ green: false, exitCode: 1 });
    expect(verdict(['6.12', '6.1'], green).green).toBe(false);
  });

  it('summarises a column by its worst cell and counts', () => {
    expect(columnSummary([])).toBe('none');
    expect(columnSummary([cell('b', 'scenario', 'ok', 'build'), cell('b', 'scenario', 'fail', 'apply')])).toBe('FAIL 1/2');
    expect(columnSummary([cell('b', 'build', 'ok')])).toBe('ok');
  });

  it('with arches: a row per base and arch, applies and checkpatch shared, green only when every arch row is', () => {
    const onArch = (k: CellResult['kind'], arch: string, state: CellResult['state'] = 'ok'): CellResult => ({ ...cell('7.3', k, state), id: `7.3@${arch}/${k}`, arch });
    const shared = [cell('7.3', 'apply', 'ok'), cell('7.3', 'checkpatch', 'ok'), cell('7.3', 'robot', 'ok')];
    const x86 = (['build', 'prefixes', 'scenario'] as const).map((k) => onArch(k, 'x86_64'));
    const arm = [onArch('build', 'arm64'), onArch('prefixes', 'arm64'), onArch('scenario', 'arm64', 'fail')];
    expect(verdict(['7.3'], [...shared, ...x86, ...arm], ['x86_64', 'arm64'])).toEqual({ green: false, exitCode: 1 });
    expect(verdict(['7.3'], [...shared, ...x86], ['x86_64', 'arm64']).green).toBe(false);
    expect(verdict(['7.3'], [...shared, ...x86, ...arm.slice(0, 2), onArch('scenario', 'arm64')], ['x86_64', 'arm64']).green).toBe(true);
    const text = renderStatus({ series: [{ base: '7.3', seriesDir: '/k/7.3', patches: ['a'], seriesHash: 'e'.repeat(64) }], cells: [...shared, ...x86, ...arm], green: false });
    expect(text).toMatch(/^base +arch +applies +builds +bisectable +checkpatch +robot +scenarios$/m);
    expect(text).toMatch(/^7\.3 +x86_64 +ok +ok +ok +ok +ok +ok$/m);
    expect(text).toMatch(/^7\.3 +arm64 +ok +ok +ok +ok +ok +FAIL$/m);
    expect(text).toMatch(/^7\.3 arm64 scenario scenario +FAIL/m);
  });

  it('renders the hash, the matrix and each cell with its log', () => {
    const cells = [...green, cell('6.1', 'apply', 'fail'), cell('6.1', 'prefixes', 'skipped'), cell('6.1', 'checkpatch', 'skipped')];
    const text = renderStatus({
      series: [
        { base: '6.12', seriesDir: '/k/6.12', patches: ['a', 'b'], seriesHash: 'f'.repeat(64) },
        { base: '6.1', seriesDir: '/k/6.1', patches: [], seriesHash: '' },
      ],
      cells,
      green: false,
    });
    expect(text).toContain(`series 6.12: 2 patch(es), patchset ${'f'.repeat(64)} (/k/6.12)`);
    expect(text).toContain('series 6.1: 0 patch(es), patchset (empty)');
    expect(text).toMatch(/^base +applies +builds +bisectable +checkpatch +robot +scenarios$/m);
    expect(text).toMatch(/^6\.12 +ok +ok +ok +ok +ok +ok$/m);
    expect(text).toMatch(/^6\.1 +FAIL +none +skip +skip +none +none$/m);
    expect(text).toMatch(/^6\.1 applies +FAIL +fail summary {2}\/logs\/6\.1\/apply$/m);
    expect(text).toMatch(/NOT green: 6\.1\/apply\/apply \(2 cell\(s\) skipped because of it\)\n$/);
  });
});

const git = testGit;

/** A kernel-like repository (Makefile, Kconfig, init/main.c) tagged base-6.12, and a series made on it. */
async function synthetic(): Promise<{ work: string; repo: string; series: string }> {
  const work = await mkdtemp(path.join(os.tmpdir(), 'iofs-status-'));
  const repo = path.join(work, 'linux');
  await mkdir(path.join(repo, 'init'), { recursive: true });
  await writeFile(path.join(repo, 'Makefile'), 'VERSION = 6\n');
  await writeFile(path.join(repo, 'Kconfig'), 'mainmenu "x"\n');
  const main = Array.from({ length: 30 }, (_, i) => `int line${i};`).join('\n') + '\n';
  await writeFile(path.join(repo, 'init', 'main.c'), main);
  await git(repo, 'init', '-q', '-b', 'master');
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'base');
  await git(repo, 'tag', 'base-6.12');
  await writeFile(path.join(repo, 'init', 'main.c'), main.replace('int line3;', 'int line3 = 3;'));
  await git(repo, 'commit', '-q', '-s', '-am', 'init: give line3 a value');
  await writeFile(path.join(repo, 'init', 'main.c'), main.replace('int line3;', 'int line3 = 3;').replace('int line20;', 'long line20;'));
  await git(repo, 'commit', '-q', '-s', '-am', 'init: widen line20');
  const series = path.join(work, 'series');
  await mkdir(series);
  const files = String((await execa('git', ['format-patch', '--zero-commit', '-o', series, 'base-6.12..HEAD'], { cwd: repo })).stdout)
    .split('\n')
    .map((f) => path.basename(f));
  await writeFile(path.join(series, 'series'), files.join('\n') + '\n');
  await git(repo, 'reset', '-q', '--hard', 'base-6.12');
  return { work, repo, series };
}

describe('runStatus on a series that does not apply', () => {
  it('turns the matrix red, naming the base, the cell and the patch; the tree is untouched', async () => {
    const { work, repo, series } = await synthetic();
    // The base moves on under the series: line 20 changed upstream, so patch 2 conflicts.
    const main = await readFile(path.join(repo, 'init', 'main.c'), 'utf8');
    await writeFile(path.join(repo, 'init', 'main.c'), main.replace('int line20;', 'short line20;'));
    await git(repo, 'commit', '-q', '-am', 'upstream: narrow line20');
    await git(repo, 'tag', '-f', 'base-6.12');
    const headBefore = await git(repo, 'rev-parse', 'HEAD');

    const cache = path.join(work, 'cache');
    const report = await runStatus({
      bases: ['6.12'],
      tree: repo,
      seriesDirs: { '6.12': series },
      scenarios: [scenario('s', ['guest'])],
      jobs: 2,
      cache,
      accel: 'tcg',
    });
    expect(report.green).toBe(false);
    expect(report.exitCode).toBe(1);
    const apply = report.cells.find((c) => c.id === '6.12/apply');
    expect(apply).toMatchObject({ state: 'fail' });
    expect(apply?.summary).toMatch(/^patch 2\/2 0002-init-widen-line20\.patch \("init: widen line20"\) does not apply/);
    expect(await readFile(apply?.log as string, 'utf8')).toContain('conflicting files: init/main.c');
    expect(report.cells.filter((c) => c.id !== '6.12/apply').every((c) => c.state === 'skipped')).toBe(true);
    const text = renderStatus(report);
    expect(text).toMatch(/^6\.12 +FAIL +skip 0\/2 +skip +skip +skip +skip$/m);
    expect(text).toContain('NOT green: 6.12/apply (6 cell(s) skipped because of it)');
    expect(report.series[0]?.seriesHash).toMatch(/^[0-9a-f]{64}$/);
    // The developer's checkout is exactly as it was.
    expect(await git(repo, 'rev-parse', 'HEAD')).toBe(headBefore);
    expect(await git(repo, 'status', '--porcelain')).toBe('');
    expect(existsSync(path.join(cache, 'status', 'status.json'))).toBe(true);
  });

  it('applies in a worktree once, and reuses it untouched while base and series are unchanged', async () => {
    const { work, repo, series } = await synthetic();
    const source = await externalTree(await getBase('6.12'), repo);
    const dest = path.join(work, 'cache', 'status', 'trees', '6.12');
    const opts = { cache: path.join(work, 'cache'), logFile: path.join(work, 'apply.log') };
    const first = await seriesWorktree(source, series, dest, opts);
    expect(first.ok && first.worktree.applied).toBe(true);
    expect(await readFile(path.join(dest, 'init', 'main.c'), 'utf8')).toContain('long line20;');
    const second = await seriesWorktree(source, series, dest, opts);
    expect(second.ok && !second.worktree.applied && second.worktree.head).toBe(first.ok && first.worktree.head);
    expect(await readFile(opts.logFile, 'utf8')).toMatch(/reused/);
    // A changed series is applied again from the base.
    const p2 = path.join(series, (await readFile(path.join(series, 'series'), 'utf8')).split('\n')[1] as string);
    await writeFile(p2, (await readFile(p2, 'utf8')).replace('Subject: [PATCH 2/2] init: widen line20', 'Subject: [PATCH 2/2] init: widen line20 to long'));
    const third = await seriesWorktree(source, series, dest, opts);
    expect(third.ok && third.worktree.applied).toBe(true);
    expect(await git(dest, 'log', '-1', '--format=%s')).toBe('init: widen line20 to long');
    expect(await git(repo, 'rev-parse', 'HEAD')).toBe(source.baseCommit);
  });
});
