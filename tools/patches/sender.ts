/**
 * Whose name goes on the mails `iofs patches format` writes. The committed
 * series may carry a neutral placeholder author (kernel-patches/ is shared
 * work, not a person); a posting is signed off by the person who sends it,
 * under the Developer's Certificate of Origin, so format re-authors every
 * commit with the sender's own git identity and replaces the placeholder's
 * Signed-off-by with the sender's. There is no built-in identity: without
 * one, format refuses.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { InputError } from '../common/errors.js';
import { run } from '../common/process.js';
import { git } from '../git/index.js';

export interface Identity {
  name: string;
  email: string;
}

export const formatIdentity = (id: Identity): string => `${id.name} <${id.email}>`;

/** The sender's git identity (user.name, user.email as git resolves them in `cwd`); refuses without one. */
export async function senderIdentity(cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Identity> {
  const get = async (key: string): Promise<string> => {
    const r = await execa('git', ['config', '--get', key], { cwd, reject: false, env });
    return r.exitCode === 0 ? String(r.stdout).trim() : '';
  };
  const name = env.GIT_AUTHOR_NAME?.trim() || (await get('user.name'));
  const email = env.GIT_AUTHOR_EMAIL?.trim() || (await get('user.email'));
  if (!name || !email || !/^[^\s@<>]+@[^\s@<>]+$/.test(email)) {
    throw new InputError('no git identity to sign the series off with: the mails are From: and Signed-off-by: the person who sends them', {
      hint: 'git config --global user.name "Your Name" && git config --global user.email you@example.org (your real name and address: the DCO needs them)',
    });
  }
  return { name, email };
}

/**
 * The commit message with Signed-off-by lines of `replaced` (the committed
 * series' placeholder author) removed and the sender's appended, unless the
 * sender already signed it off. Pure.
 */
export function resignMessage(message: string, replaced: string, sender: Identity): string {
  const own = `Signed-off-by: ${formatIdentity(sender)}`;
  const lines = message.replace(/\s+$/, '').split('\n').filter((l) => l.trim() !== `Signed-off-by: ${replaced}`);
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  if (!lines.some((l) => l.trim() === own)) {
    const last = lines[lines.length - 1] ?? '';
    if (!/^[A-Za-z-]+: /.test(last)) lines.push('');
    lines.push(own);
  }
  return `${lines.join('\n')}\n`;
}

/** MAINTAINERS with every `M:` line naming `replaced` naming the sender instead. Pure. */
export function resignMaintainers(text: string, replaced: string, sender: Identity): string {
  return text
    .split('\n')
    .map((l) => (/^M:\s/.test(l) && l.replace(/^M:\s+/, '').trim() === replaced ? `M:\t${formatIdentity(sender)}` : l))
    .join('\n');
}

/**
 * The commit's tree, or one whose MAINTAINERS names the sender where the
 * committed series names its placeholder author: get_maintainer.pl would
 * otherwise put a made-up address in To: of every mail.
 */
async function maintainersTree(repo: string, commit: string, replaced: string, sender: Identity): Promise<string> {
  const tree = await git(repo, ['rev-parse', `${commit}^{tree}`]);
  const shown = await run('git', ['show', `${commit}:MAINTAINERS`], { cwd: repo, okExitCodes: [128] });
  if (shown.exitCode !== 0 || !shown.stdout.includes(replaced)) return tree;
  const blob = (await run('git', ['hash-object', '-w', '--stdin'], { cwd: repo, input: `${resignMaintainers(shown.stdout, replaced, sender)}\n` })).stdout.trim();
  // A scratch index: the worktree's own index and files are not touched.
  const index = path.join(await git(repo, ['rev-parse', '--absolute-git-dir']), `iofs-resign-${process.pid}.index`);
  const env = { GIT_INDEX_FILE: index };
  try {
    await run('git', ['read-tree', tree], { cwd: repo, env });
    await run('git', ['update-index', '--cacheinfo', `100644,${blob},MAINTAINERS`], { cwd: repo, env });
    return (await run('git', ['write-tree'], { cwd: repo, env })).stdout.trim();
  } finally {
    await fs.rm(index, { force: true });
  }
}

/**
 * Copies of the commits base..head authored, committed and signed off by
 * the sender (same trees, same order); returns the new head. The originals
 * and the worktree are left as they are.
 */
export async function resignCommits(repo: string, base: string, head: string, sender: Identity): Promise<string> {
  const env = {
    GIT_AUTHOR_NAME: sender.name, GIT_AUTHOR_EMAIL: sender.email,
    GIT_COMMITTER_NAME: sender.name, GIT_COMMITTER_EMAIL: sender.email,
  };
  let parent = base;
  for (const commit of (await git(repo, ['rev-list', '--reverse', `${base}..${head}`])).split('\n').filter(Boolean)) {
    const author = await git(repo, ['log', '-1', '--format=%an <%ae>', commit]);
    const date = await git(repo, ['log', '-1', '--format=%aI', commit]);
    const message = resignMessage(await git(repo, ['log', '-1', '--format=%B', commit]), author, sender);
    const tree = await maintainersTree(repo, commit, author, sender);
    const r = await execa('git', ['commit-tree', tree, '-p', parent, '-F', '-'], {
      cwd: repo, input: message, env: { ...env, GIT_AUTHOR_DATE: date }, reject: false,
    });
    if (r.exitCode !== 0) throw new InputError(`git commit-tree failed in ${repo}: ${String(r.stderr).trim()}`);
    parent = String(r.stdout).trim();
  }
  return parent;
}
