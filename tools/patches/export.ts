/**
 * Export base..HEAD of a kernel tree into kernel-patches/<base>/ with
 * `git format-patch`: numbered files, `--base` (a base-commit: trailer
 * reviewers and bots use) and `--zero-commit` (no commit ids in the From
 * lines, so re-exporting unchanged commits gives byte-identical files).
 * `series` is rewritten, stale numbered patches removed, and the
 * hand-written cover letter and any other non-patch file kept. The new
 * directory is built aside and swapped in (withAtomicOutput).
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { withAtomicOutput } from '../common/atomic.js';
import { InputError } from '../common/errors.js';
import { log } from '../common/log.js';
import { amInProgress, dirtyPaths, git } from '../git/index.js';
import { commitsSinceBase, type SeriesTree } from '../git/index.js';
import { coverLetterName, formatSeries, numberedPatchPattern, seriesFileName } from '../git/index.js';

export interface ExportResult {
  dir: string;
  names: string[];
  /** Numbered patches that were in the directory and are gone now. */
  removed: string[];
}

/** Which existing files an export keeps: everything it does not own. Pure. */
export function filesToKeep(existing: string[]): string[] {
  return existing.filter((n) => n === coverLetterName || (n !== seriesFileName && !numberedPatchPattern.test(n)));
}

export async function exportSeries(tree: SeriesTree, seriesDir: string): Promise<ExportResult> {
  if (await amInProgress(tree.path)) {
    throw new InputError(`a git am is in progress in ${tree.path}: finish or abort it before exporting`);
  }
  const commits = await commitsSinceBase(tree);
  if (commits.length === 0) {
    throw new InputError(`nothing to export: HEAD of ${tree.path} is the base ${tree.baseRef}`, {
      hint: 'commit your changes in the tree first (git commit -s), one commit per patch',
    });
  }
  const dirty = await dirtyPaths(tree.path);
  if (dirty.length > 0) log.warn(`${tree.path} has uncommitted changes that are NOT exported: ${dirty.slice(0, 5).join(', ')}`);
  // Debian's kernel sources end their .gitignore with "/*": a new file is ignored, not just untracked.
  const ignored = (await git(tree.path, ['ls-files', '--others', '--ignored', '--exclude-standard'])).split('\n').filter(Boolean);
  if (ignored.length > 0) {
    log.warn(`${tree.path} has files that .gitignore hides and no commit holds, so they are NOT exported: ${ignored.slice(0, 5).join(', ')}${ignored.length > 5 ? ', …' : ''}; if they belong to the series: git add -f them and amend`);
  }
  const existing = existsSync(seriesDir) ? await fs.readdir(seriesDir) : [];
  const keep = filesToKeep(existing);
  return withAtomicOutput(seriesDir, async (tmp) => {
    await fs.mkdir(tmp, { recursive: true });
    for (const n of keep) await fs.cp(path.join(seriesDir, n), path.join(tmp, n), { recursive: true, preserveTimestamps: true });
    const out = await git(tree.path, [
      '-c', 'diff.noprefix=false',
      '-c', 'format.coverLetter=false',
      'format-patch',
      '--zero-commit',
      `--base=${tree.baseCommit}`,
      '-o', tmp,
      `${tree.baseCommit}..HEAD`,
    ]);
    const names = out.split('\n').filter(Boolean).map((p) => path.basename(p));
    if (names.includes(coverLetterName)) throw new InputError(`format-patch produced ${coverLetterName}: unset format.coverLetter`);
    await fs.writeFile(path.join(tmp, seriesFileName), formatSeries(names));
    const removed = existing.filter((n) => numberedPatchPattern.test(n) && n !== coverLetterName && !names.includes(n));
    return { dir: seriesDir, names, removed };
  });
}
