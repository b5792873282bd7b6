/**
 * A worktree of a kernel repository with the series applied on its base,
 * kept for reuse: what `patches status` builds and checks, and what
 * `patches format` formats. The developer's tree (the prepared one or
 * --tree) is never touched: `git worktree add` only writes the new directory
 * and an entry under the repository's .git/worktrees/.
 *
 * Reuse: a stamp beside the worktree records the base commit, the series
 * hash and the resulting HEAD. When all three still hold and the worktree
 * is clean, nothing is checked out again, so file times stay and the next
 * build is a no-op. Otherwise it is reset to the base (git touches only the
 * files that differ) and the series is applied again.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { writeFileAtomic } from '../common/atomic.js';
import { log } from '../common/log.js';
import { amInProgress, dirtyPaths, git } from '../git/index.js';
import { lockPathFor, withLock } from '../kernel/lock.js';
import { recordBase, type KernelTree } from '../kernel/tree.js';
import { applySeries, PatchConflictError, type SeriesTree } from '../git/index.js';
import { readSeries, seriesHash } from '../git/index.js';

export interface WorktreeStamp {
  baseCommit: string;
  seriesHash: string;
  head: string;
}

export interface SeriesWorktree extends SeriesTree {
  /** Applied this time (false: the stamp matched and the worktree was reused as is). */
  applied: boolean;
  head: string;
  seriesHash: string;
  patches: string[];
}

export type ApplyOutcome =
  | { ok: true; worktree: SeriesWorktree }
  /** The series does not apply: the worktree is left in `git am` at the failing patch. */
  | { ok: false; error: PatchConflictError; worktreePath: string };

/** Where a status/format worktree of this tree lives under a side cache root. Pure. */
export function worktreePath(root: string, tree: Pick<KernelTree, 'kind' | 'path' | 'base'>, hashOfPath: (p: string) => string): string {
  // The prepared tree's worktree mirrors <cache>/trees/<base> (see sideCache); a
  // developer's tree gets its own, named after its path.
  const name = tree.kind === 'external' ? `${tree.base.name}-${hashOfPath(path.resolve(tree.path)).slice(0, 8)}` : tree.base.name;
  return path.join(root, 'trees', name);
}

async function isWorktreeOf(dir: string, repo: string): Promise<boolean> {
  const [a, b] = await Promise.all(
    [dir, repo].map((d) => execa('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: d, reject: false })),
  );
  return a?.exitCode === 0 && b?.exitCode === 0 && String(a.stdout).trim() === String(b.stdout).trim();
}

/**
 * Make (or reuse) `dest` as a detached worktree of `source`'s repository at
 * its base commit with the series in `seriesDir` applied. `logFile` receives
 * what happened (git am's output on a conflict).
 */
export async function seriesWorktree(
  source: KernelTree,
  seriesDir: string,
  dest: string,
  opts: { cache: string; logFile: string },
): Promise<ApplyOutcome> {
  const series = await readSeries(seriesDir);
  const hash = await seriesHash(series.files);
  const stampFile = `${dest}.iofs-applied.json`;
  const lines: string[] = [`# ${new Date().toISOString()} ${series.names.length} patch(es) from ${seriesDir} onto ${source.baseRef} (${source.baseCommit}) in ${dest}`];
  const finish = async <T>(value: T): Promise<T> => {
    await fs.mkdir(path.dirname(opts.logFile), { recursive: true });
    await writeFileAtomic(opts.logFile, `${lines.join('\n')}\n`);
    return value;
  };
  return withLock(lockPathFor(opts.cache, 'tree', dest), `worktree ${dest}`, async () => {
    if (existsSync(dest) && !(await isWorktreeOf(dest, source.path))) {
      lines.push(`${dest} is not a worktree of ${source.path}: recreating it`);
      await fs.rm(dest, { recursive: true, force: true });
    }
    if (!existsSync(dest)) {
      // `worktree add` writes into the source repository's .git: hold its lock.
      await withLock(lockPathFor(opts.cache, 'tree', source.path), `kernel tree ${source.path}`, async () => {
        log.step(`creating worktree ${dest} of ${source.path} at ${source.baseRef}`);
        await git(source.path, ['worktree', 'prune']);
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await git(source.path, ['worktree', 'add', '-q', '--detach', dest, source.baseCommit]);
      });
      lines.push(`created the worktree at ${source.baseCommit}`);
    }
    await recordBase(dest, source.baseCommit);
    const stamp = await fs
      .readFile(stampFile, 'utf8')
      .then((t) => JSON.parse(t) as WorktreeStamp)
      .catch(() => undefined);
    const head = await git(dest, ['rev-parse', 'HEAD']);
    const clean = !(await amInProgress(dest)) && (await dirtyPaths(dest)).length === 0;
    const tree: SeriesTree = { path: dest, baseCommit: source.baseCommit, baseRef: source.baseRef };
    if (clean && stamp && stamp.baseCommit === source.baseCommit && stamp.seriesHash === hash && stamp.head === head) {
      lines.push(`unchanged since the last apply (series ${hash.slice(0, 12)}, HEAD ${head}): reused`);
      return finish({ ok: true as const, worktree: { ...tree, applied: false, head, seriesHash: hash, patches: series.names } });
    }
    await fs.rm(stampFile, { force: true });
    if (await amInProgress(dest)) await git(dest, ['am', '--abort']);
    await git(dest, ['reset', '-q', '--hard', source.baseCommit]);
    await git(dest, ['clean', '-q', '-fdx']);
    try {
      const r = await applySeries(tree, seriesDir);
      lines.push(...r.applied.map((n) => `applied ${n}`), `HEAD ${r.head}`);
      await writeFileAtomic(stampFile, `${JSON.stringify({ baseCommit: source.baseCommit, seriesHash: hash, head: r.head } satisfies WorktreeStamp, null, 2)}\n`);
      return finish({ ok: true as const, worktree: { ...tree, applied: true, head: r.head, seriesHash: hash, patches: series.names } });
    } catch (err) {
      if (err instanceof PatchConflictError) {
        lines.push(err.message, `hint: reproduce in ${dest}: git -C ${dest} am --show-current-patch=diff`);
        return finish({ ok: false as const, error: err, worktreePath: dest });
      }
      lines.push(`error: ${(err as Error).message}`);
      await finish(undefined);
      throw err;
    }
  });
}
