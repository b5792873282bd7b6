/**
 * A series as it stood at a revision of this repository (`--rev v2-ref`):
 * kernel-patches/<base>/ taken out of git into the robot's cache, so the
 * robot can check any revision of the series, not only the working tree's.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { repoRoot } from '../common/paths.js';
import { git } from '../git/index.js';

/** kernel-patches/<patches>/ at `rev`, written under `root`; returns the directory and how to name it. */
export async function seriesAtRevision(rev: string, patches: string, root: string): Promise<{ dir: string; revision: string }> {
  const commit = await git(repoRoot, ['rev-parse', '--verify', '-q', `${rev}^{commit}`]).catch(() => {
    throw new InputError(`--rev ${rev}: no such commit in ${repoRoot}`, { hint: 'give a commit, tag or branch of this repository, e.g. --rev HEAD~3' });
  });
  const prefix = `kernel-patches/${patches}/`;
  // Files only: a versions/ directory of earlier revisions is not part of the series.
  const names = (await git(repoRoot, ['ls-tree', commit, prefix]))
    .split('\n')
    .filter((l) => / blob /.test(l))
    .map((l) => l.slice(l.indexOf('\t') + 1));
  if (names.length === 0) throw new InputError(`--rev ${rev}: ${prefix} does not exist at ${commit.slice(0, 12)}`);
  const dir = path.join(root, 'series', `${patches}-${commit.slice(0, 12)}`);
  await fs.mkdir(dir, { recursive: true });
  for (const name of names) {
    const text = await git(repoRoot, ['show', `${commit}:${name}`]);
    await fs.writeFile(path.join(dir, path.basename(name)), `${text}\n`);
  }
  return { dir, revision: `${commit.slice(0, 12)}:${prefix.slice(0, -1)}` };
}
