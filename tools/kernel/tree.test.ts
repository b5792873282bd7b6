/** prepareTree / externalTree on tiny synthetic "kernel" sources, with the real tar and git. */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readlink, realpath, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import type { KernelBase } from './bases.js';
import { externalTree, prepareTree, pristineTree, recordBase, sideCache } from './tree.js';

let work: string;
let base: KernelBase;

beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'iofs-tree-'));
  const src = path.join(work, 'src', 'linux-source-9.9');
  await mkdir(path.join(src, 'init'), { recursive: true });
  await writeFile(path.join(src, 'Makefile'), 'VERSION = 9\n');
  await writeFile(path.join(src, 'Kconfig'), 'mainmenu "x"\n');
  await writeFile(path.join(src, 'init', 'main.c'), 'int main;\n');
  await writeFile(path.join(src, '.gitignore'), 'init/\n'); // ignored files are committed anyway (add -f)
  const tarball = path.join(work, 'linux-source-9.9.tar.xz');
  await execa('tar', ['-cJf', tarball, '-C', path.join(work, 'src'), 'linux-source-9.9']);
  base = { name: '9.9', version: '9.9.1', debianPackage: 'linux-source-9.9', tarball, topDir: 'linux-source-9.9', patches: '9.9' };
});

describe('prepareTree', () => {
  it('commits the tarball with the fixed recipe, tags it and reuses it', async () => {
    const cache = path.join(work, 'cache');
    const tree = await prepareTree(base, { cache });
    expect(tree.path).toBe(path.join(cache, 'trees', '9.9'));
    const log = await execa('git', ['log', '--format=%an <%ae> %aI|%cn <%ce> %cI|%s|%D'], { cwd: tree.path });
    expect(String(log.stdout)).toBe(
      'iofs <iofs@localhost> 2000-01-01T00:00:00+00:00|iofs <iofs@localhost> 2000-01-01T00:00:00+00:00|Linux 9.9.1 (Debian linux-source-9.9)|HEAD -> iofs, tag: base-9.9',
    );
    expect(String((await execa('git', ['ls-files'], { cwd: tree.path })).stdout).split('\n')).toContain('init/main.c');
    // No temporary directory left beside the tree.
    expect(await readdir(path.join(cache, 'trees'))).toEqual(['9.9']);
    // Same input, same commit id: another workspace agrees (format-patch --base lines match).
    const other = await prepareTree(base, { cache: path.join(work, 'cache2') });
    expect(other.baseCommit).toBe(tree.baseCommit);
    expect((await prepareTree(base, { cache })).baseCommit).toBe(tree.baseCommit);
    const pristine = await pristineTree(tree, { cache });
    expect(pristine.path).toBe(path.join(cache, 'pristine', 'trees', '9.9'));
    expect(String((await execa('git', ['rev-parse', 'HEAD'], { cwd: pristine.path })).stdout)).toBe(tree.baseCommit);
  });

  it('names the Debian package when the tarball is missing, and refuses a half tree', async () => {
    const cache = path.join(work, 'cache');
    await expect(prepareTree({ ...base, tarball: '/nonexistent.tar.xz' }, { cache })).rejects.toMatchObject({
      message: expect.stringContaining('/nonexistent.tar.xz for base 9.9 is missing'),
      hint: 'install the Debian package: apt-get install linux-source-9.9 (scripts/setup does)',
    });
    await mkdir(path.join(cache, 'trees', '9.9'), { recursive: true });
    await expect(prepareTree(base, { cache })).rejects.toThrow(/exists but is not a prepared tree \(no tag base-9\.9\)/);
  });
});

describe('externalTree', () => {
  it('needs a kernel git checkout; tags HEAD as the base unless told', async () => {
    const cache = path.join(work, 'cache');
    await expect(externalTree(base, work)).rejects.toThrow(/is not a kernel source tree/);
    const prepared = await prepareTree(base, { cache });
    const clone = path.join(work, 'clone');
    await execa('git', ['clone', '-q', '--no-tags', prepared.path, clone]);
    const t = await externalTree(base, clone);
    expect(t.baseRef).toBe('base-9.9');
    expect(t.baseCommit).toBe(prepared.baseCommit);
    expect(existsSync(path.join(clone, '.git', 'refs', 'tags', 'base-9.9'))).toBe(true);
    await expect(externalTree(base, clone, { baseRef: 'nosuch' })).rejects.toThrow(/--base-ref nosuch is not a commit/);
    expect((await externalTree(base, clone, { baseRef: 'HEAD' })).baseCommit).toBe(prepared.baseCommit);
  });
});

describe('worktrees iofs makes', () => {
  it('know their recorded base without a tag, and never tag the repository', async () => {
    const prepared = await prepareTree(base, { cache: path.join(work, 'cache') });
    const clone = path.join(work, 'clone');
    await execa('git', ['clone', '-q', '--no-tags', prepared.path, clone]);
    await execa('git', ['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '-q', '--allow-empty', '-m', 'on top'], { cwd: clone });
    const wt = path.join(work, 'wt');
    await execa('git', ['worktree', 'add', '-q', '--detach', wt, 'HEAD'], { cwd: clone });
    await recordBase(wt, prepared.baseCommit);
    const t = await externalTree(base, wt);
    expect(t).toMatchObject({ baseRef: prepared.baseCommit, baseCommit: prepared.baseCommit });
    expect(String((await execa('git', ['tag'], { cwd: clone })).stdout)).toBe('');
  });
});

describe('sideCache', () => {
  it('makes <cache>/<name> whose ccache is the main one, idempotently', async () => {
    const cache = path.join(work, 'cache');
    const root = await sideCache('status', cache);
    expect(root).toBe(path.join(cache, 'status'));
    expect(await realpath(path.join(root, 'ccache'))).toBe(await realpath(path.join(cache, 'ccache')));
    expect(await sideCache('status', cache)).toBe(root);
    expect(await readlink(path.join(root, 'ccache'))).toBe(path.join('..', 'ccache'));
  });
});
