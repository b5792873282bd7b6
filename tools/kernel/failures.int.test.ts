/**
 * Kernel builds when things go wrong: two iofs processes on one build
 * directory, Ctrl-C in the middle of make, a compile error half way
 * through a build, and the disk filling up half way (both in throwaway
 * clones, so no shared tree is touched), fixed and resumed. Reuses the
 * pristine guest build and the shared ccache.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { cacheDir, repoRoot } from '../common/paths.js';
import { processesIn } from '../common/testutil.js';
import { buildKernel, getBase, lockPathFor, prepareTree } from './index.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');
const buildArgs = ['kernel', 'build', '--base', '6.12', '--no-patches', '--config', 'guest', 'erofs', '-j', '2'];
let buildDir: string;

function iofsBuild(extra: string[] = [], env: Record<string, string> = {}) {
  return execa('node', [iofs, ...buildArgs, ...extra], { reject: false, env: { CI: '1', ...env }, timeout: 40 * 60_000 });
}

beforeAll(async () => {
  // The pristine guest build every VM test uses: after this, builds of it are incremental no-ops.
  buildDir = (await buildKernel({ base: '6.12', fragments: ['guest', 'erofs'], withPatches: false, jobs: 2 })).buildDir;
});

describe('kernel build: concurrency and interruption', () => {
  it('two iofs processes building the same directory serialize on its lock and agree', async () => {
    const [a, b] = await Promise.all([iofsBuild(), iofsBuild()]);
    expect(a.exitCode, String(a.stderr).slice(-2000)).toBe(0);
    expect(b.exitCode, String(b.stderr).slice(-2000)).toBe(0);
    expect(String(a.stdout).trim().split('\n').pop()).toBe(String(b.stdout).trim().split('\n').pop());
    // One of them waited, saying for what and for whom.
    expect(`${a.stderr}\n${b.stderr}`).toMatch(new RegExp(`waiting for build directory ${buildDir}: in use by iofs pid \\d+ \\(lock `));
    expect(existsSync(lockPathFor(cacheDir(), 'build', buildDir))).toBe(false);
  });

  it('Ctrl-C during make stops make and its compilers, keeps the log, and the next build goes on', async () => {
    const run = iofsBuild();
    let stderr = '';
    run.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const deadline = Date.now() + 10 * 60_000;
    while (!/==> building /.test(stderr) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 3000));
    expect((await processesIn(buildDir)).length, 'make is running in the build directory').toBeGreaterThan(0);
    run.kill('SIGINT');
    const r = await run;
    expect(r.exitCode, `exit ${r.exitCode} signal ${r.signal}\n${stderr.slice(-2000)}`).toBe(ExitCode.INTERRUPTED);
    expect(stderr).toMatch(/interrupted; make stopped, its lock released/);
    // The lock went with it: the next build neither waits nor reclaims a stale one.
    expect(existsSync(lockPathFor(cacheDir(), 'build', buildDir))).toBe(false);
    // make and its children go with it.
    const until = Date.now() + 15_000;
    while ((await processesIn(buildDir)).length > 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 500));
    expect(await processesIn(buildDir)).toEqual([]);
    expect(existsSync(path.join(buildDir, 'build.log'))).toBe(true);
    const again = await iofsBuild();
    expect(again.exitCode, String(again.stderr).slice(-2000)).toBe(0);
    expect(String(again.stderr)).not.toMatch(/stale/);
  });
});

/**
 * A throwaway clone of the 6.12 base laid out like the cache (<root>/trees/6.12 beside
 * <root>/builds), with the shared ccache: paths relative to the build directory match
 * the pristine build's, so it hits.
 */
async function scratchClone(name: string): Promise<{ scratch: string; tree: string }> {
  const prepared = await prepareTree(await getBase('6.12'));
  const scratch = path.join(cacheDir(), `scratch-${name}-${process.pid}`);
  const tree = path.join(scratch, 'trees', '6.12');
  await fs.mkdir(path.dirname(tree), { recursive: true });
  await execa('git', ['clone', '--quiet', '--shared', '--no-checkout', prepared.path, tree]);
  await execa('git', ['-C', tree, 'checkout', '--quiet', 'base-6.12']);
  await fs.symlink(path.join(cacheDir(), 'ccache'), path.join(scratch, 'ccache'));
  return { scratch, tree };
}

describe('kernel build: a compile error half way', () => {
  let scratch: string;
  afterAll(async () => {
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  });

  it('names the log and the first error; after the fix, the rerun resumes where it stopped', async () => {
    const clone = await scratchClone('failures');
    scratch = clone.scratch;
    const tree = clone.tree;
    const broken = path.join(tree, 'fs', 'erofs', 'super.c');
    const original = await fs.readFile(broken, 'utf8');
    await fs.writeFile(broken, `${original}\nthis is not C;\n`);

    const args = ['--tree', tree, '--cache', scratch];
    const failed = await iofsBuild(args);
    expect(failed.exitCode, String(failed.stderr).slice(-3000)).toBe(ExitCode.INFRA);
    const err = String(failed.stderr);
    const logPath = /full log: (\S+build\.log)/.exec(err)?.[1] as string;
    expect(logPath).toBeDefined();
    expect(existsSync(logPath)).toBe(true);
    expect(err).toMatch(/fs\/erofs\/super\.c:\d+:\d+: error: /);
    const dir = path.dirname(logPath);
    // Half way: objects before the error exist.
    const before = path.join(dir, 'kernel', 'fork.o');
    expect(existsSync(before)).toBe(true);
    expect(existsSync(path.join(dir, 'vmlinux'))).toBe(false);
    const mtime = (await fs.stat(before)).mtimeMs;

    await fs.writeFile(broken, original);
    const resumed = await iofsBuild(args);
    expect(resumed.exitCode, String(resumed.stderr).slice(-3000)).toBe(0);
    expect(existsSync(path.join(dir, 'arch', 'x86', 'boot', 'bzImage'))).toBe(true);
    // What was built before the error was not built again.
    expect((await fs.stat(before)).mtimeMs).toBe(mtime);
    const log = await fs.readFile(logPath, 'utf8');
    const second = log.slice(log.lastIndexOf('\n### '));
    expect(second).not.toMatch(/ CC\s+kernel\/fork\.o/);
  });
});

describe('kernel build: the disk fills up half way', () => {
  let scratch: string | undefined;
  let builds: string | undefined;
  afterAll(async () => {
    if (builds) await execa('umount', [builds], { reject: false });
    if (scratch) await fs.rm(scratch, { recursive: true, force: true });
  });

  it('says the filesystem is full, keeps the log and releases the lock; with space freed the build resumes', async () => {
    const clone = await scratchClone('enospc');
    scratch = clone.scratch;
    // Only the build directories on a small tmpfs (a whole build takes ~130 MB): locks and ccache stay on the real disk.
    builds = path.join(scratch, 'builds');
    await fs.mkdir(builds);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', builds]);

    const args = ['--tree', clone.tree, '--cache', scratch];
    const failed = await iofsBuild(args);
    const err = String(failed.stderr);
    expect(failed.exitCode, err.slice(-3000)).toBe(ExitCode.INFRA);
    expect(err).toMatch(/error: make failed in \S+\/builds\/6\.12-tree-\S+: no space left on the filesystem holding it\n/);
    // make's own first errors are quoted (which tool hits the full disk first varies: gcc, fixdep, ld).
    expect(err).toMatch(/\*\*\* .*Error \d/);
    expect(err).toMatch(/free space there \(df -h \S+\) and rerun: the build resumes where it stopped/);
    const logPath = /(?:full log|log \(incomplete: \w+\)): (\S+build\.log)/.exec(err)?.[1] as string;
    expect(logPath, err.slice(-3000)).toBeDefined();
    expect(existsSync(logPath)).toBe(true);
    // Half way: something was compiled, nothing was linked.
    const dir = path.dirname(logPath);
    expect(existsSync(path.join(dir, 'init', 'main.o'))).toBe(true);
    expect(existsSync(path.join(dir, 'vmlinux'))).toBe(false);
    expect(await fs.readdir(path.join(scratch, 'locks'))).toEqual([]);

    await execa('mount', ['-o', 'remount,size=1g', builds]);
    const resumed = await iofsBuild(args);
    expect(resumed.exitCode, String(resumed.stderr).slice(-3000)).toBe(0);
    expect(existsSync(path.join(dir, 'arch', 'x86', 'boot', 'bzImage'))).toBe(true);
    expect(String(resumed.stderr)).not.toMatch(/configuring /); // the configuration survived: only make ran
  });
});
