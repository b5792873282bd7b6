/**
 * apply / export against a small synthetic git repository made here, with
 * the real git (am -3, format-patch). check (checkpatch.pl) needs a kernel
 * tree: tools/patches/check.int.test.ts.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applySeries, exportSeries, filesToKeep, PatchConflictError, seriesState, type SeriesTree } from './index.js';
import { testGit } from './testutil.js';


const git = testGit;

const lines = (n: number, change: Record<number, string> = {}): string =>
  Array.from({ length: n }, (_, i) => change[i + 1] ?? `line ${i + 1}`).join('\n') + '\n';

let work: string;
let repo: string;
let base: string;

async function commitFile(file: string, content: string, message: string): Promise<string> {
  await mkdir(path.dirname(path.join(repo, file)), { recursive: true });
  await writeFile(path.join(repo, file), content);
  await git(repo, 'add', file);
  await git(repo, 'commit', '-q', '-s', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'iofs-patches-'));
  repo = path.join(work, 'tree');
  await mkdir(repo);
  await git(repo, 'init', '-q', '-b', 'main');
  await writeFile(path.join(repo, 'a.c'), lines(20));
  await writeFile(path.join(repo, 'b.c'), lines(20));
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', 'base');
  await git(repo, 'tag', 'base-t');
  base = await git(repo, 'rev-parse', 'HEAD');
});

const tree = (): SeriesTree => ({ path: repo, baseCommit: base, baseRef: 'base-t' });

async function makeSeries(dir: string): Promise<void> {
  await commitFile('a.c', lines(20, { 5: 'five' }), 'a: spell five\n\nBecause words.');
  await commitFile('b.c', lines(20, { 10: 'ten' }), 'b: spell ten\n\nBecause words too.');
  await commitFile('c.c', 'new file\n', 'c: add c');
  await exportSeries(tree(), dir);
}

describe('export and apply', () => {
  it('round-trips: apply onto the base, export again, same bytes', async () => {
    const dir = path.join(work, 'patches');
    await mkdir(dir);
    await writeFile(path.join(dir, '0000-cover-letter.patch'), 'hand-written prose\n');
    await writeFile(path.join(dir, '0009-stale.patch'), 'old\n');
    await makeSeries(dir);
    const names = (await readdir(dir)).sort();
    expect(names).toEqual(['0000-cover-letter.patch', '0001-a-spell-five.patch', '0002-b-spell-ten.patch', '0003-c-add-c.patch', 'series']);
    expect(await readFile(path.join(dir, '0000-cover-letter.patch'), 'utf8')).toBe('hand-written prose\n');
    const first = await readFile(path.join(dir, '0001-a-spell-five.patch'), 'utf8');
    expect(first).toMatch(/^From 0{40} /);
    expect(first).toContain(`base-commit: ${base}`);
    expect(await readFile(path.join(dir, 'series'), 'utf8')).toMatch(/0001-a-spell-five\.patch\n0002-b-spell-ten\.patch\n0003-c-add-c\.patch\n$/);

    await git(repo, 'reset', '-q', '--hard', 'base-t');
    const result = await applySeries(tree(), dir);
    expect(result.applied).toHaveLength(3);
    expect(await readFile(path.join(repo, 'c.c'), 'utf8')).toBe('new file\n');

    const again = path.join(work, 'again');
    await exportSeries(tree(), again);
    for (const n of ['0001-a-spell-five.patch', '0002-b-spell-ten.patch', '0003-c-add-c.patch', 'series']) {
      expect(await readFile(path.join(again, n), 'utf8'), n).toBe(await readFile(path.join(dir, n), 'utf8'));
    }
  });

  it('applies only the rest of a partly applied series, and nothing when all are in', async () => {
    const dir = path.join(work, 'patches');
    await makeSeries(dir);
    await git(repo, 'reset', '-q', '--hard', 'HEAD~2');
    const r = await applySeries(tree(), dir);
    expect(r.alreadyApplied).toEqual(['0001-a-spell-five.patch']);
    expect(r.applied).toEqual(['0002-b-spell-ten.patch', '0003-c-add-c.patch']);
    expect((await applySeries(tree(), dir)).applied).toEqual([]);
  });

  it('applies reproducibly: the same commit ids in two clones', async () => {
    const dir = path.join(work, 'patches');
    await makeSeries(dir);
    await git(repo, 'reset', '-q', '--hard', 'base-t');
    const h1 = (await applySeries(tree(), dir)).head;
    await git(repo, 'reset', '-q', '--hard', 'base-t');
    const h2 = (await applySeries(tree(), dir)).head;
    expect(h2).toBe(h1);
  });

  it('refuses a dirty tree and commits that are not the series', async () => {
    const dir = path.join(work, 'patches');
    await makeSeries(dir);
    await git(repo, 'reset', '-q', '--hard', 'base-t');
    await writeFile(path.join(repo, 'a.c'), 'edited\n');
    await expect(applySeries(tree(), dir)).rejects.toThrow(/uncommitted changes \(a\.c\)/);
    await git(repo, 'commit', '-q', '-am', 'local hack');
    await expect(applySeries(tree(), dir)).rejects.toThrow(/commit 1 on base-t \([0-9a-f]{12} "local hack"\) is not patch 0001-a-spell-five\.patch/);
  });

  it('stops on a conflict naming the patch and the file, leaving git am to continue', async () => {
    const dir = path.join(work, 'patches');
    await makeSeries(dir);
    await git(repo, 'reset', '-q', '--hard', 'base-t');
    // A different base where line 10 of b.c changed: patch 2 conflicts.
    const other = await commitFile('b.c', lines(20, { 10: 'TEN' }), 'other base');
    const err = await applySeries({ path: repo, baseCommit: other, baseRef: 'other' }, dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PatchConflictError);
    const e = err as PatchConflictError;
    expect(e.exitCode).toBe(1);
    expect(e.message).toContain('patch 2/3 0002-b-spell-ten.patch ("b: spell ten") does not apply');
    expect(e.conflicts).toEqual(['b.c']);
    expect(e.hint).toContain(`git -C ${repo} am --continue`);
    expect(e.hint).toContain('am --abort');
    expect(existsSync(path.join(repo, '.git', 'rebase-apply'))).toBe(true);
    await expect(applySeries({ path: repo, baseCommit: other, baseRef: 'other' }, dir)).rejects.toThrow(/git am is in progress/);
  });

  it('tells how a tree relates to the series: applied, partial, base, diverged', async () => {
    const dir = path.join(work, 'patches');
    await makeSeries(dir);
    expect(await seriesState(tree(), dir)).toEqual({ commits: 3, matching: 3, patches: 3, state: 'applied' });
    await git(repo, 'reset', '-q', '--hard', 'HEAD~1');
    expect((await seriesState(tree(), dir)).state).toBe('partial');
    await commitFile('c.c', 'other\n', 'c: something else');
    expect(await seriesState(tree(), dir)).toEqual({ commits: 3, matching: 2, patches: 3, state: 'diverged' });
    await git(repo, 'reset', '-q', '--hard', 'base-t');
    expect((await seriesState(tree(), dir)).state).toBe('base');
  });

  it('warns, naming them, about new files a Debian-style .gitignore ("/*") hides from git add -A', async () => {
    await commitFile('.gitignore', '/*\n!/.gitignore\n', 'ignore the top level, as Debian\'s kernel sources do');
    await mkdir(path.join(repo, 'init'), { recursive: true });
    await writeFile(path.join(repo, 'init', 'new.c'), 'int x;\n');
    await git(repo, 'add', '-A');
    expect(await git(repo, 'status', '--porcelain')).toBe('');
    const warned: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => (warned.push(String(chunk)), true)) as typeof process.stderr.write;
    try {
      await exportSeries(tree(), path.join(work, 'p'));
    } finally {
      process.stderr.write = write;
    }
    expect(warned.join('')).toMatch(/files that \.gitignore hides and no commit holds, so they are NOT exported: init\/new\.c; .*git add -f/);
  });

  it('refuses to export nothing and keeps only non-numbered files', async () => {
    await expect(exportSeries(tree(), path.join(work, 'p'))).rejects.toThrow(/nothing to export/);
    expect(filesToKeep(['series', '0000-cover-letter.patch', '0001-x.patch', 'README'])).toEqual(['0000-cover-letter.patch', 'README']);
  });
});
