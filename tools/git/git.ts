/** Thin git wrapper: argument arrays only, errors that show git's stderr. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { InfraError } from '../common/errors.js';

/** A fixed identity and date so the pristine base commit is reproducible. */
export const iofsIdentityEnv = {
  GIT_AUTHOR_NAME: 'iofs',
  GIT_AUTHOR_EMAIL: 'iofs@localhost',
  GIT_AUTHOR_DATE: '2000-01-01T00:00:00 +0000',
  GIT_COMMITTER_NAME: 'iofs',
  GIT_COMMITTER_EMAIL: 'iofs@localhost',
  GIT_COMMITTER_DATE: '2000-01-01T00:00:00 +0000',
} as const;

export async function git(cwd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await execa('git', args, { cwd, env, reject: false, stripFinalNewline: true });
  if (r.exitCode !== 0) {
    throw new InfraError(`git ${args.join(' ')} failed in ${cwd} (exit ${r.exitCode}): ${String(r.stderr).trim() || String(r.stdout).trim()}`);
  }
  return String(r.stdout);
}

/** `git rev-parse --verify` or undefined when the ref does not exist. */
export async function revParse(cwd: string, ref: string): Promise<string | undefined> {
  const r = await execa('git', ['rev-parse', '-q', '--verify', `${ref}^{commit}`], { cwd, reject: false });
  return r.exitCode === 0 ? String(r.stdout).trim() : undefined;
}

/** Paths with uncommitted changes (tracked or untracked, ignoring .gitignore'd). */
export async function dirtyPaths(cwd: string): Promise<string[]> {
  const out = await git(cwd, ['status', '--porcelain=v1', '-z', '--untracked-files=normal']);
  return out
    .split('\0')
    .filter((l) => l.length > 3)
    .map((l) => l.slice(3));
}

/** Is a `git am` (or rebase) in progress in this repository? */
export async function amInProgress(cwd: string): Promise<boolean> {
  const dir = await git(cwd, ['rev-parse', '--git-path', 'rebase-apply']);
  return existsSync(path.resolve(cwd, dir));
}
