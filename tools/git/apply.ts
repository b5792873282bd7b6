/**
 * Apply kernel-patches/<base>/series onto a kernel tree with `git am -3`.
 *
 * The tree must be clean and its HEAD must be the base commit plus a prefix
 * of the series (compared by `git patch-id --stable`, so a rebased or
 * re-exported patch still matches): the missing rest is applied, an
 * already-applied series is a no-op. Anything else (commits that are not the
 * series) is refused rather than guessed at: export them first.
 *
 * Commits are made with committer "iofs <iofs@localhost>" and the author's
 * date, so applying the same series onto the same base gives the same commit
 * ids in every workspace.
 */
import { promises as fs } from 'node:fs';
import { execa } from 'execa';
import { ExitCode, IofsError, InputError } from '../common/errors.js';
import { log } from '../common/log.js';
import { amInProgress, dirtyPaths, git } from './git.js';
import { patchFiles, patchSubject, readSeries } from './series.js';

export interface SeriesTree {
  /** Git work tree to apply onto. */
  path: string;
  /** Commit the series starts from. */
  baseCommit: string;
  /** How to name the base in messages (tag or ref). */
  baseRef: string;
}

export interface ApplyResult {
  /** Patches applied by this call (names). */
  applied: string[];
  /** Patches that were already in the tree. */
  alreadyApplied: string[];
  head: string;
}

export class PatchConflictError extends IofsError {
  readonly patch: string;
  readonly conflicts: string[];
  constructor(message: string, patch: string, conflicts: string[], hint: string) {
    super(message, { hint, exitCode: ExitCode.FAIL });
    this.name = 'PatchConflictError';
    this.patch = patch;
    this.conflicts = conflicts;
  }
}

const committerEnv = { GIT_COMMITTER_NAME: 'iofs', GIT_COMMITTER_EMAIL: 'iofs@localhost' };

export async function patchId(cwd: string, diffText: string): Promise<string> {
  const r = await execa('git', ['patch-id', '--stable'], { cwd, input: diffText });
  return String(r.stdout).split(' ')[0] ?? '';
}

async function commitPatchId(cwd: string, commit: string): Promise<string> {
  return patchId(cwd, await git(cwd, ['show', '--format=', '--patch', commit]));
}

/** Commits from base to HEAD, oldest first; refuses when HEAD does not descend from base. */
export async function commitsSinceBase(tree: SeriesTree): Promise<string[]> {
  const anc = await execa('git', ['merge-base', '--is-ancestor', tree.baseCommit, 'HEAD'], { cwd: tree.path, reject: false });
  if (anc.exitCode !== 0) {
    throw new InputError(`HEAD of ${tree.path} does not contain the base ${tree.baseRef} (${tree.baseCommit.slice(0, 12)})`, {
      hint: `check out a branch based on ${tree.baseRef}`,
    });
  }
  const out = await git(tree.path, ['rev-list', '--reverse', '--first-parent', `${tree.baseCommit}..HEAD`]);
  return out.split('\n').filter(Boolean);
}

export interface SeriesState {
  /** Commits on the base in the tree. */
  commits: number;
  /** How many of them, from the first, are the series' patches (by patch-id). */
  matching: number;
  /** Patches in the series. */
  patches: number;
  /** applied: tree = base + series; partial: base + a prefix; base: no commits; diverged: anything else. */
  state: 'applied' | 'partial' | 'base' | 'diverged';
}

/** How a tree relates to the series, without changing anything. */
export async function seriesState(tree: SeriesTree, seriesDir: string): Promise<SeriesState> {
  const series = await readSeries(seriesDir);
  const commits = await commitsSinceBase(tree);
  let matching = 0;
  for (; matching < Math.min(commits.length, series.files.length); matching++) {
    const [a, b] = await Promise.all([
      commitPatchId(tree.path, commits[matching] as string),
      fs.readFile(series.files[matching] as string, 'utf8').then((t) => patchId(tree.path, t)),
    ]);
    if (a !== b) break;
  }
  const state =
    commits.length === 0
      ? 'base'
      : matching < commits.length
        ? 'diverged'
        : matching === series.files.length
          ? 'applied'
          : 'partial';
  return { commits: commits.length, matching, patches: series.files.length, state };
}

export async function applySeries(tree: SeriesTree, seriesDir: string): Promise<ApplyResult> {
  const series = await readSeries(seriesDir);
  if (await amInProgress(tree.path)) {
    throw new InputError(`a git am is in progress in ${tree.path}`, {
      hint: `finish it (fix, git -C ${tree.path} add …, git -C ${tree.path} am --continue) or drop it (git -C ${tree.path} am --abort), then run again`,
    });
  }
  const dirty = await dirtyPaths(tree.path);
  if (dirty.length > 0) {
    throw new InputError(
      `${tree.path} has uncommitted changes (${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? `, … ${dirty.length} in all` : ''}); refusing to apply patches onto it`,
      { hint: `commit them (then \`iofs patches export\`) or stash them: git -C ${tree.path} stash` },
    );
  }
  const commits = await commitsSinceBase(tree);
  const texts = await Promise.all(series.files.map((f) => fs.readFile(f, 'utf8')));
  if (commits.length > series.files.length) {
    throw new InputError(
      `${tree.path} has ${commits.length} commits on ${tree.baseRef} but the series has only ${series.files.length} patches`,
      { hint: `export the tree's commits first (iofs patches export) or reset it: git -C ${tree.path} reset --hard ${tree.baseRef}` },
    );
  }
  for (let i = 0; i < commits.length; i++) {
    const commit = commits[i] as string;
    const [a, b] = await Promise.all([commitPatchId(tree.path, commit), patchId(tree.path, texts[i] as string)]);
    if (a !== b) {
      const subject = await git(tree.path, ['log', '-1', '--format=%s', commit]);
      throw new InputError(
        `${tree.path}: commit ${i + 1} on ${tree.baseRef} (${commit.slice(0, 12)} "${subject}") is not patch ${series.names[i]} ("${patchSubject(texts[i] as string)}")`,
        {
          hint: `the tree must be at ${tree.baseRef} or contain a prefix of the series. Export your commits (iofs patches export) or reset: git -C ${tree.path} reset --hard ${tree.baseRef}`,
        },
      );
    }
  }
  const alreadyApplied = series.names.slice(0, commits.length);
  const applied: string[] = [];
  for (let i = commits.length; i < series.files.length; i++) {
    const file = series.files[i] as string;
    const name = series.names[i] as string;
    const text = texts[i] as string;
    log.info(`applying ${i + 1}/${series.files.length} ${name}: ${patchSubject(text)}`);
    const r = await execa('git', ['am', '-3', '--committer-date-is-author-date', '--no-gpg-sign', file], {
      cwd: tree.path,
      env: committerEnv,
      reject: false,
      all: true,
    });
    if (r.exitCode !== 0) {
      const output = String(r.all ?? '');
      const unmerged = (await git(tree.path, ['diff', '--name-only', '--diff-filter=U']).catch(() => '')).split('\n').filter(Boolean);
      const mentioned = [...output.matchAll(/(?:Merge conflict in |patch failed: |does not exist in index: |already exists in index: )([^\s:]+)/g)].map(
        (m) => m[1] as string,
      );
      const conflicts = [...new Set([...unmerged, ...mentioned])];
      const files = conflicts.length > 0 ? conflicts : patchFiles(text);
      const excerpt = output
        .split('\n')
        .filter((l) => /error|CONFLICT|failed|Patch failed/i.test(l))
        .slice(0, 8)
        .map((l) => `    ${l}`)
        .join('\n');
      throw new PatchConflictError(
        `patch ${i + 1}/${series.files.length} ${name} ("${patchSubject(text)}") does not apply onto ${tree.path}\n` +
          `  conflicting files: ${files.join(', ') || '(unknown)'}\n` +
          (excerpt ? `  git am said:\n${excerpt}` : ''),
        name,
        files,
        `fix the files, \`git -C ${tree.path} add <files>\`, then \`git -C ${tree.path} am --continue\` ` +
          `and run \`iofs patches apply\` again for the rest; or give up with \`git -C ${tree.path} am --abort\``,
      );
    }
    applied.push(name);
  }
  const head = await git(tree.path, ['rev-parse', 'HEAD']);
  return { applied, alreadyApplied, head };
}

