/**
 * format's pure pieces, and range-diff for real (git mailinfo, apply
 * --cached, range-diff) on small synthetic repositories standing for two
 * bases.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { kernelPatchesDir } from '../common/paths.js';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelTree } from '../kernel/index.js';
import { commitPatches, hasChangelog, parseCoverLetter, parseMaintainers, patchesOfDir, rangeDiff, subjectPrefix, touchedPaths } from './index.js';
import { testGit } from './testutil.js';

describe('parseCoverLetter', () => {
  const letter = [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    'From: Ada Dev',
    ' <ada@example.org>',
    'Subject: [PATCH 0/2] init: a long subject',
    ' that wraps',
    '',
    'Prose.',
    '',
    'Changes in v2:',
    '- fixed (3): a thing',
    '',
    'Ada Dev (2):',
    '  init: one',
    '  init: two',
    '',
    ' init/main.c | 2 +-',
    '',
    'base-commit: 18bdfd1b8becad9d24cd5827d1a92d3ae8de6016',
    '-- ',
    '2.39.5',
  ].join('\n');

  it('takes the subject without its prefix, the author and the prose up to git\'s shortlog', () => {
    expect(parseCoverLetter(letter)).toEqual({
      subject: 'init: a long subject that wraps',
      from: 'Ada Dev <ada@example.org>',
      body: 'Prose.\n\nChanges in v2:\n- fixed (3): a thing',
    });
  });

  it('reads the real cover letters in kernel-patches/', async () => {
    for (const base of await readdir(kernelPatchesDir)) {
      const file = path.join(kernelPatchesDir, base, '0000-cover-letter.patch');
      if (!existsSync(file)) continue;
      const c = parseCoverLetter(await readFile(file, 'utf8'), file);
      expect(c.subject).toMatch(/^\S/);
      expect(c.subject).not.toMatch(/^\[/);
      expect(c.body).not.toMatch(/^base-commit:|^ \S.*\| +\d+ [+-]+$/m); // git's diffstat and trailer are gone
    }
  });

  it('refuses placeholders and a missing subject, naming the file', () => {
    expect(() => parseCoverLetter('Subject: [PATCH 0/1] *** SUBJECT HERE ***\n\nx\n', 'c.patch')).toThrow(/c\.patch: the Subject is empty or still the placeholder/);
    expect(() => parseCoverLetter('Subject: [PATCH 0/1] s\n\n*** BLURB HERE ***\n', 'c.patch')).toThrow(/no prose/);
    expect(() => parseCoverLetter('From: x\n\nbody\n', 'c.patch')).toThrow(/c\.patch: no Subject/);
  });
});

describe('format helpers', () => {
  it('prefixes RFC and finds kernel-style changelogs', () => {
    expect(subjectPrefix(true)).toBe('RFC PATCH');
    expect(subjectPrefix(false)).toBe('PATCH');
    expect(hasChangelog('anything', 1)).toBe(true);
    expect(hasChangelog('Prose\n\nChanges in v2:\n- x', 2)).toBe(true);
    expect(hasChangelog('Changes since v2:\n- x', 3)).toBe(true);
    expect(hasChangelog('v1 -> v2:\n- x', 2)).toBe(true);
    expect(hasChangelog('Changes in v2:\n- x', 3)).toBe(false);
    expect(hasChangelog('no log', 2)).toBe(false);
  });

  it('reads get_maintainer.pl output and leaves out the sender', () => {
    const out = 'Jonathan Corbet <corbet@lwn.net>\nAda Dev <ADA@example.org>\nlinux-doc@vger.kernel.org\n\n';
    expect(parseMaintainers(out, ['Ada Dev <ada@example.org>'])).toEqual(['Jonathan Corbet <corbet@lwn.net>', 'linux-doc@vger.kernel.org']);
  });

  it('lists the paths a series reads and writes', () => {
    expect(touchedPaths(['diff --git a/x.c b/y.c\n', 'diff --git a/init/main.c b/init/main.c\n'])).toEqual(['init/main.c', 'x.c', 'y.c']);
  });
});

const git = testGit;
const lines = (n: number, edits: Record<number, string> = {}): string => Array.from({ length: n }, (_, i) => edits[i] ?? `line ${i}`).join('\n') + '\n';

/** A base repository (with unrelated files too) and the series as patch files in `out`. */
async function baseWithSeries(work: string, name: string, baseEdits: Record<number, string>, patch2: string, out: string): Promise<KernelTree> {
  const repo = path.join(work, name);
  await mkdir(path.join(repo, 'init'), { recursive: true });
  await writeFile(path.join(repo, 'init', 'main.c'), lines(40, baseEdits));
  await writeFile(path.join(repo, 'unrelated.c'), 'int unrelated;\n');
  await git(repo, 'init', '-q', '-b', 'master');
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-m', `Linux ${name}`);
  const baseCommit = await git(repo, 'rev-parse', 'HEAD');
  await writeFile(path.join(repo, 'init', 'main.c'), lines(40, { ...baseEdits, 5: 'five' }));
  await git(repo, 'commit', '-q', '-s', '-am', 'init: spell five\n\nWords read better.');
  await writeFile(path.join(repo, 'init', 'main.c'), lines(40, { ...baseEdits, 5: 'five', 30: patch2 }));
  await writeFile(path.join(repo, 'init', 'new.c'), 'int new;\n');
  await git(repo, 'add', '-A');
  await git(repo, 'commit', '-q', '-s', '-m', 'init: spell thirty\n\nAnd add new.c.');
  await git(repo, 'format-patch', '-o', out, `${baseCommit}..HEAD`);
  await git(repo, 'reset', '-q', '--hard', baseCommit);
  return {
    path: repo,
    base: { name, version: '6.0.0', debianPackage: 'x', tarball: '/x', topDir: 'x', patches: name },
    kind: 'external',
    baseRef: baseCommit,
    baseCommit,
  };
}

describe('rangeDiff', () => {
  it('compares two versions on one base, from directories or revisions', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'iofs-rd-'));
    const v1 = path.join(work, 'v1');
    const tree = await baseWithSeries(work, 'A', {}, 'thirty', v1);
    // v2: patch 2 spells it differently; made in a clone so the tree's history stays the base.
    const v2 = path.join(work, 'v2');
    const other = await baseWithSeries(path.join(work, 'again'), 'A', {}, 'THIRTY', v2);
    await writeFile(path.join(v1, '0000-cover-letter.patch'), 'Subject: [PATCH 0/2] x\n\nprose\n');
    expect((await patchesOfDir(v1)).map((f) => path.basename(f))).toEqual(['0001-init-spell-five.patch', '0002-init-spell-thirty.patch']);
    expect(other.baseCommit).toBe(tree.baseCommit); // same recipe, same base commit

    const r = await rangeDiff({ from: { tree, spec: v1 }, to: { tree, spec: v2 }, root: work, color: false });
    expect(r.repo).toBe(tree.path);
    expect(r.text).toMatch(/^1: +[0-9a-f]+ = 1: +[0-9a-f]+ init: spell five$/m);
    expect(r.text).toMatch(/^2: +[0-9a-f]+ ! 2: +[0-9a-f]+ init: spell thirty$/m);
    expect(r.text).toMatch(/^ {4}-\+thirty$/m);
    expect(r.text).toMatch(/^ {4}\+\+THIRTY$/m);
    // Nothing was checked out: the tree is still at its base, clean.
    expect(await git(tree.path, 'rev-parse', 'HEAD')).toBe(tree.baseCommit);
    expect(await git(tree.path, 'status', '--porcelain')).toBe('');

    // A revision side: the v1 commits, named by their tip.
    const tip = await commitPatches(tree.path, tree.baseCommit, await patchesOfDir(v1));
    const same = await rangeDiff({ from: { tree, spec: tip }, to: { tree, spec: v1 }, root: work, color: false });
    expect(same.text.trim().split('\n').every((l) => / = /.test(l))).toBe(true);
    await expect(rangeDiff({ from: { tree, spec: 'nosuch' }, to: { tree, spec: v1 }, root: work, color: false })).rejects.toThrow(
      /"nosuch" is neither a directory of patches nor a revision/,
    );
  });

  it('compares two bases\' copies of the series from separate repositories', async () => {
    const work = await mkdtemp(path.join(os.tmpdir(), 'iofs-rd-'));
    // Base B differs from base A near patch 1's hunk (context), and its copy of patch 2 differs too.
    const a = await baseWithSeries(work, 'A', {}, 'thirty', path.join(work, 'pa'));
    const b = await baseWithSeries(work, 'B', { 7: 'seven (B)' }, 'thirty (B)', path.join(work, 'pb'));
    const r = await rangeDiff({ from: { tree: a, spec: path.join(work, 'pa') }, to: { tree: b, spec: path.join(work, 'pb') }, root: path.join(work, 'root'), color: false });
    expect(r.repo).toBe(path.join(work, 'root', 'range-diff'));
    expect(r.text).toMatch(/^1: +[0-9a-f]+ ! 1: +[0-9a-f]+ init: spell five$/m); // context differs
    expect(r.text).toMatch(/^2: +[0-9a-f]+ ! 2: +[0-9a-f]+ init: spell thirty$/m);
    expect(r.text).toContain('+thirty (B)');
    // The scratch base holds only the touched files, never the rest of the tree.
    const [baseA] = r.fromRange.split('..');
    expect((await git(r.repo, 'ls-tree', '-r', '--name-only', baseA as string)).split('\n')).toEqual(['init/main.c']);
    expect(await readFile(path.join(a.path, 'init', 'main.c'), 'utf8')).toBe(lines(40));
  });
});
