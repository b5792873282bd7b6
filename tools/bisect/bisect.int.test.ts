/**
 * `git bisect run iofs bisect-run` finds a synthetic regression in the real
 * 6.12 tree: three commits on the base, the middle one makes the kernel
 * panic before /init. The clone lives in <cache>/bisect-test/trees/6.12 (a
 * side cache sharing ccache, same relative layout as the prepared tree) and
 * is kept, so a second run builds incrementally. Cost: one ccache-backed
 * build the first time, then two steps, each an init/main.o rebuild, a link
 * and a boot of the small cpio-gzip guest.
 */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cacheDir, repoRoot } from '../common/paths.js';
import { getBase, prepareTree, sideCache } from '../kernel/index.js';
import { testGit } from '../patches/testutil.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');

const git = async (cwd: string, ...args: string[]): Promise<string> => (await testGit(cwd, ...args)).trim();

async function edit(clone: string, file: string, from: string, to: string, message: string): Promise<string> {
  const p = path.join(clone, file);
  const text = await readFile(p, 'utf8');
  if (!text.includes(from)) throw new Error(`${file} does not contain ${JSON.stringify(from)}`);
  await writeFile(p, text.replace(from, to));
  await git(clone, 'commit', '-q', '-a', '-m', message);
  return git(clone, 'rev-parse', 'HEAD');
}

describe('bisect-run', () => {
  it('bisects a synthetic regression on 6.12 to the commit that introduced it', async () => {
    const prepared = await prepareTree(await getBase('6.12'));
    const root = await sideCache('bisect-test', cacheDir());
    const clone = path.join(root, 'trees', '6.12');
    if (!existsSync(path.join(clone, '.git'))) {
      await execa('git', ['clone', '-q', '--shared', '--no-checkout', prepared.path, clone]);
    } else {
      await execa('git', ['bisect', 'reset'], { cwd: clone, reject: false });
    }
    // Checkout touches only what differs from the last run: the next build stays incremental.
    await git(clone, 'checkout', '-q', '-f', '-B', 'bisect-test', prepared.baseCommit);
    await git(clone, 'clean', '-q', '-fdx');

    const good = prepared.baseCommit;
    const c1 = await edit(clone, 'README', 'Linux kernel', 'Linux kernel (bisect test)', 'README: mention the bisect test');
    const bad = await edit(
      clone,
      'init/main.c',
      '\tif (ramdisk_execute_command) {',
      '\tpanic("bisect test: synthetic regression");\n\n\tif (ramdisk_execute_command) {',
      'init: a regression: panic before running init',
    );
    const c3 = await edit(clone, 'README', '(bisect test)', '(bisect test, again)', 'README: touch it again');
    expect(new Set([c1, bad, c3]).size).toBe(3);

    await git(clone, 'bisect', 'start', c3, good);
    const run = await execa(
      'git',
      // --cache root: builds in <root>/builds beside <root>/trees, the layout ccache shares objects across.
      ['bisect', 'run', 'node', iofs, 'bisect-run', 'cpio-gzip', '--accel', 'tcg', '--cache', root],
      { cwd: clone, reject: false, all: true, env: { CI: '1' } },
    );
    const out = String(run.all);
    const bisectLog = await git(clone, 'bisect', 'log');
    await git(clone, 'bisect', 'reset');
    expect(run.exitCode, out.slice(-4000)).toBe(0);
    expect(out).toContain(`${bad} is the first bad commit`);
    // Each step said what it saw: the regression panics, its parent passes.
    expect(bisectLog).toMatch(new RegExp(`# bad: \\[${bad}\\]`));
    expect(bisectLog).toMatch(new RegExp(`# good: \\[${c1}\\]`));
    expect(out).toMatch(/^PANIC bisect-cpio-gzip|^PANIC cpio-gzip/m);
    expect(out).toMatch(/bisect-run: [0-9a-f]{12} is bad \(PANIC, exit 1\)/);
    expect(out).toMatch(/bisect-run: [0-9a-f]{12} is good \(PASS, exit 0\)/);
  });
});
