/**
 * Kernel source trees: the prepared tree (Debian tarball committed as the
 * pristine base of a git repository), its pristine worktree, or a
 * developer's own checkout given with --tree.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { InfraError, InputError } from '../common/errors.js';
import { log, progress } from '../common/log.js';
import { cacheDir } from '../common/paths.js';
import { baseTag, type KernelBase } from './bases.js';
import { git, iofsIdentityEnv, revParse } from '../git/index.js';
import { lockPathFor, withLock } from './lock.js';
import { sourceTarball, upstreamVersion } from './source.js';

export interface KernelTree {
  /** Absolute path of the source tree (a git work tree). */
  path: string;
  base: KernelBase;
  /** prepared: <cache>/trees/<base>; pristine: its worktree at the base tag; external: --tree. */
  kind: 'prepared' | 'pristine' | 'external';
  /** The ref the series applies onto and exports from (tag or commit). */
  baseRef: string;
  baseCommit: string;
}

export interface TreeOptions {
  /** Cache root (default: see cacheDir(): $IOFS_CACHE, $XDG_CACHE_HOME/iofs or ~/.cache/iofs). */
  cache?: string;
}

export function preparedTreePath(base: KernelBase, cache = cacheDir()): string {
  return path.join(cache, 'trees', base.name);
}

/**
 * <cache>/pristine/trees/<base>: the same depth and name as the prepared tree
 * <cache>/trees/<base>, so from <cache>/pristine/builds/<key> the compiler sees
 * the same relative source paths as from <cache>/builds/<key>, and ccache
 * (CCACHE_BASEDIR=<cache>) shares every object the series does not change.
 */
export function pristineTreePath(base: KernelBase, cache = cacheDir()): string {
  return path.join(cache, 'pristine', 'trees', base.name);
}

/**
 * The commit message of the pristine base commit (part of the reproducible
 * recipe). A package fetched from a suite names its Debian version: the
 * suite moves on, and the tree says which point release it holds.
 */
export function baseCommitMessage(base: KernelBase, debianVersion?: string): string {
  if (debianVersion) return `Linux ${upstreamVersion(debianVersion)} (Debian ${base.debianPackage} ${debianVersion})`;
  return `Linux ${base.version} (Debian ${base.debianPackage})`;
}

/**
 * Extract the base's Debian tarball into <cache>/trees/<base> and commit it,
 * tagged base-<name>. Reproducible: fixed identity and date, so every
 * workspace gets the same commit id and `git format-patch --base` agrees.
 * Extraction happens in a temporary directory renamed into place at the end:
 * an interrupted prepare never leaves a tree that looks prepared.
 * Idempotent: a tree that already has its tag is reused as it stands.
 */
export async function prepareTree(base: KernelBase, opts: TreeOptions = {}): Promise<KernelTree> {
  const cache = path.resolve(opts.cache ?? cacheDir());
  const dest = preparedTreePath(base, cache);
  const tag = baseTag(base);
  return withLock(lockPathFor(cache, 'tree', dest), `kernel tree ${dest}`, async () => {
    if (existsSync(dest)) {
      const commit = await revParse(dest, `refs/tags/${tag}`).catch(() => undefined);
      if (!commit) {
        throw new InputError(`${dest} exists but is not a prepared tree (no tag ${tag})`, {
          hint: `remove it (rm -rf ${dest}) and run \`iofs kernel prepare --base ${base.name}\` again`,
        });
      }
      log.debug(`reusing prepared tree ${dest} (${tag} = ${commit})`);
      return { path: dest, base, kind: 'prepared', baseRef: tag, baseCommit: commit };
    }
    const { tarball, record } = await sourceTarball(base, cache);
    const tmp = path.join(cache, 'trees', `.${base.name}.tmp-${process.pid}`);
    await fs.rm(tmp, { recursive: true, force: true });
    await fs.mkdir(tmp, { recursive: true });
    try {
      const p = progress(`prepare ${base.name}`, 15_000);
      let files = 0;
      await streamLines(execa('tar', ['-xvf', tarball, '-C', tmp], { buffer: false }), () => {
        files++;
        if (files % 500 === 0) p.update(`extracting ${tarball}: ${files} files`);
      });
      const work = path.join(tmp, base.topDir);
      if (!existsSync(path.join(work, 'Makefile'))) {
        throw new InfraError(`${tarball} has no ${base.topDir}/Makefile (check topDir in bases.json)`);
      }
      await git(work, ['init', '-q', '-b', 'iofs']);
      let added = 0;
      await streamLines(
        execa('git', ['-c', 'core.autocrlf=false', 'add', '-A', '-f', '--verbose'], { cwd: work, buffer: false }),
        () => {
          added++;
          if (added % 500 === 0) p.update(`git add: ${added}/${files} files`);
        },
      );
      p.update(`git commit of ${added} files`);
      await git(
        work,
        ['-c', 'core.autocrlf=false', '-c', 'commit.gpgsign=false', 'commit', '-q', '--no-verify', '-m', baseCommitMessage(base, record?.debianVersion)],
        { ...iofsIdentityEnv },
      );
      await git(work, ['tag', tag]);
      // The first commit leaves ~90k loose objects, so every later commit or
      // `git am` would start a minutes-long background `git gc --auto`.
      // Repacking a single snapshot saves little: leave it to the developer.
      await git(work, ['config', 'gc.auto', '0']);
      await fs.rename(work, dest);
      const commit = (await revParse(dest, `refs/tags/${tag}`)) as string;
      p.done(`${dest} at ${tag} = ${commit}`);
      return { path: dest, base, kind: 'prepared', baseRef: tag, baseCommit: commit };
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
}

async function streamLines(proc: ReturnType<typeof execa>, onLine: (line: string) => void): Promise<void> {
  let rest = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    for (const l of parts) onLine(l);
  });
  let stderr = '';
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-4000);
  });
  try {
    await proc;
  } catch (err) {
    throw new InfraError(`${(err as { command?: string }).command ?? 'command'} failed: ${stderr.trim()}`, { cause: err });
  }
}

/**
 * The pristine base as its own git worktree (detached at the base tag), so a
 * `--no-patches` build never disturbs the developer's tree.
 */
export async function pristineTree(prepared: KernelTree, opts: TreeOptions = {}): Promise<KernelTree> {
  const cache = path.resolve(opts.cache ?? cacheDir());
  const dest = pristineTreePath(prepared.base, cache);
  return withLock(lockPathFor(cache, 'tree', dest), `kernel tree ${dest}`, async () => {
    if (!existsSync(dest)) {
      log.step(`creating the pristine worktree ${dest} at ${prepared.baseRef}`);
      await git(prepared.path, ['worktree', 'prune']);
      await fs.mkdir(path.dirname(dest), { recursive: true });
      const tmpName = `${dest}.tmp-${process.pid}`;
      await git(prepared.path, ['worktree', 'add', '-q', '--detach', tmpName, prepared.baseCommit]);
      await git(prepared.path, ['worktree', 'move', tmpName, dest]);
    }
    const head = await revParse(dest, 'HEAD');
    if (head !== prepared.baseCommit) {
      throw new InputError(`the pristine worktree ${dest} is not at ${prepared.baseRef} (HEAD ${head})`, {
        hint: `it is managed by iofs: remove it with \`git -C ${prepared.path} worktree remove --force ${dest}\``,
      });
    }
    return { ...prepared, path: dest, kind: 'pristine' };
  });
}

export interface ExternalTreeOptions {
  /** Where the series starts in that repository (tag, branch, commit). */
  baseRef?: string;
}

/**
 * A developer's own kernel checkout. The base the series applies onto and is
 * exported from: `baseRef` when given; else the tag base-<name> when the
 * repository has it; else HEAD, which is then tagged base-<name> so later
 * `patches export` knows where the series starts.
 */
export async function externalTree(base: KernelBase, treePath: string, opts: ExternalTreeOptions = {}): Promise<KernelTree> {
  const abs = path.resolve(treePath);
  if (!existsSync(path.join(abs, 'Makefile')) || !existsSync(path.join(abs, 'Kconfig'))) {
    throw new InputError(`--tree ${abs} is not a kernel source tree (no Makefile and Kconfig at its top)`);
  }
  const top = await execa('git', ['rev-parse', '--show-toplevel'], { cwd: abs, reject: false });
  if (top.exitCode !== 0 || path.resolve(String(top.stdout).trim()) !== (await fs.realpath(abs))) {
    throw new InputError(`--tree ${abs} is not the top of a git repository`, {
      hint: 'series are applied with `git am` and exported with `git format-patch`: use a git checkout',
    });
  }
  const tag = baseTag(base);
  const recorded = opts.baseRef ? undefined : await recordedBase(abs);
  if (recorded) return { path: abs, base, kind: 'external', baseRef: recorded, baseCommit: recorded };
  if (opts.baseRef) {
    const commit = await revParse(abs, opts.baseRef);
    if (!commit) throw new InputError(`--base-ref ${opts.baseRef} is not a commit in ${abs}`);
    return { path: abs, base, kind: 'external', baseRef: opts.baseRef, baseCommit: commit };
  }
  let commit = await revParse(abs, `refs/tags/${tag}`);
  if (!commit) {
    commit = (await revParse(abs, 'HEAD')) as string;
    await git(abs, ['tag', tag, commit]);
    log.info(`tagged HEAD ${commit.slice(0, 12)} of ${abs} as ${tag}: the series is applied onto and exported from there`);
  }
  return { path: abs, base, kind: 'external', baseRef: tag, baseCommit: commit };
}

/** Resolve the tree a command works on: --tree PATH, or the prepared tree (prepared on demand). */
export async function resolveTree(
  base: KernelBase,
  opts: TreeOptions & ExternalTreeOptions & { tree?: string | undefined },
): Promise<KernelTree> {
  if (opts.tree) return externalTree(base, opts.tree, opts);
  return prepareTree(base, opts);
}

/** File in a worktree's own git dir naming the commit iofs made it at (see recordBase). */
const recordedBaseFile = 'iofs-base-commit';

/**
 * Remember, inside a worktree iofs made (status, format), which commit is its
 * base, so externalTree() on it (a build with `tree`) knows where the series
 * starts without looking for, or creating, a base-<name> tag in someone's
 * repository. Kept in the worktree's private git dir: removing the worktree
 * removes it.
 */
export async function recordBase(worktree: string, commit: string): Promise<void> {
  const gitDir = path.resolve(worktree, await git(worktree, ['rev-parse', '--git-dir']));
  await fs.writeFile(path.join(gitDir, recordedBaseFile), `${commit}\n`);
}

async function recordedBase(treePath: string): Promise<string | undefined> {
  const r = await execa('git', ['rev-parse', '--git-dir'], { cwd: treePath, reject: false });
  if (r.exitCode !== 0) return undefined;
  const text = await fs.readFile(path.join(path.resolve(treePath, String(r.stdout).trim()), recordedBaseFile), 'utf8').catch(() => '');
  const commit = text.trim();
  return /^[0-9a-f]{40}$/.test(commit) ? commit : undefined;
}

/**
 * A cache root of its own (status worktrees, bisect clones) under the main
 * cache that still shares its compiler cache: <cache>/<name>/ccache is a
 * symlink to <cache>/ccache. Trees go in <cache>/<name>/trees/<base> and
 * builds in <cache>/<name>/builds/<key>, the depths of the prepared tree and
 * its builds, so with CCACHE_BASEDIR at this root the compiler sees the same
 * relative paths (../../trees/<base>/…) and objects hit across all of them.
 */
export async function sideCache(name: string, cache = cacheDir()): Promise<string> {
  const root = path.join(path.resolve(cache), name);
  await fs.mkdir(path.join(path.resolve(cache), 'ccache'), { recursive: true });
  await fs.mkdir(root, { recursive: true });
  const link = path.join(root, 'ccache');
  const target = path.join('..', 'ccache');
  const current = await fs.readlink(link).catch(() => undefined);
  if (current !== target) {
    await fs.rm(link, { recursive: true, force: true });
    await fs.symlink(target, link).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'EEXIST') throw err; // another process made it at the same time
    });
  }
  return root;
}
