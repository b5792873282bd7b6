/**
 * `iofs patches range-diff`: two versions of the series, or two bases'
 * copies of it, compared by `git range-diff` (which pairs the patches and
 * shows how each one changed, message included).
 *
 * A side is a git revision (`REF`, meaning <base>..REF, or `A..B`) in the
 * base's tree, or a directory of patches (a kernel-patches/<base> series
 * directory, or `git format-patch` output such as versions/v1). A directory
 * is turned into commits without a checkout: each patch is applied to a
 * temporary index (`git apply --cached`) and committed with its own author
 * and date (`git mailinfo`), so it costs seconds even on a kernel tree.
 *
 * Both sides on one base: everything happens in that tree's repository.
 * Two bases: their trees are separate repositories, and fetching one into
 * the other would copy a whole kernel history. Instead each side is rebuilt
 * in a small scratch repository on a base commit holding only the files the
 * series touches, taken from its real base: the patches apply with exactly
 * the same context, which is all `git range-diff` looks at.
 */
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { InputError } from '../common/errors.js';
import { run } from '../common/process.js';
import { git, revParse } from '../git/index.js';
import type { KernelTree } from '../kernel/tree.js';
import { numberedPatchPattern, readSeries, seriesFileName } from '../git/index.js';

export interface SeriesSide {
  /** The commit range `git range-diff` takes for this side. */
  range: string;
  /** Repository the range lives in. */
  repo: string;
  cleanup: () => Promise<void>;
}

/** Patch files of a directory: its `series` when it has one, else the numbered *.patch without the cover letter. */
export async function patchesOfDir(dir: string): Promise<string[]> {
  if (existsSync(path.join(dir, seriesFileName))) return (await readSeries(dir)).files;
  const names = (await fs.readdir(dir)).filter((n) => /\.patch$/.test(n) && !/(^|-)0000-cover-letter\.patch$/.test(n)).sort();
  const numbered = names.filter((n) => numberedPatchPattern.test(n.replace(/^v\d+-/, '')));
  if (numbered.length === 0) throw new InputError(`${dir}: no series file and no numbered *.patch files`);
  return numbered.map((n) => path.join(dir, n));
}

interface MailInfo {
  author: string;
  email: string;
  date: string;
  message: string;
  diff: string;
}

async function mailinfo(repo: string, file: string, scratch: string): Promise<MailInfo> {
  const msg = path.join(scratch, 'msg');
  const patch = path.join(scratch, 'patch');
  // 'any': a mail git cannot read is the patch's fault (an InputError naming it), not git's.
  const r = await run('git', ['mailinfo', '--scissors', msg, patch], { cwd: repo, input: await fs.readFile(file), okExitCodes: 'any' });
  if (r.exitCode !== 0) throw new InputError(`${file}: git mailinfo cannot read it as a patch mail: ${r.stderr.replace(/\n$/, '')}`);
  const info = new Map<string, string>();
  for (const l of r.stdout.split('\n')) {
    const m = /^(\w+): (.*)$/.exec(l);
    if (m) info.set(m[1] as string, m[2] as string);
  }
  const subject = info.get('Subject') ?? '';
  const body = (await fs.readFile(msg, 'utf8')).trim();
  return {
    author: info.get('Author') ?? 'unknown',
    email: info.get('Email') ?? 'unknown@localhost',
    date: info.get('Date') ?? '2000-01-01T00:00:00 +0000',
    message: `${subject}\n\n${body}\n`,
    diff: await fs.readFile(patch, 'utf8'),
  };
}

/**
 * Commit `patches` on top of `baseCommit` in `repo` without touching any
 * work tree (a temporary index). Returns the tip. A patch that does not
 * apply is an InputError naming it.
 */
export async function commitPatches(repo: string, baseCommit: string, patches: string[]): Promise<string> {
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-rangediff-'));
  const env = { GIT_INDEX_FILE: path.join(scratch, 'index') };
  try {
    let parent = baseCommit;
    for (const file of patches) {
      const info = await mailinfo(repo, file, scratch);
      await git(repo, ['read-tree', parent], env);
      if (info.diff.trim() !== '') {
        // 'any': a patch that does not apply is an InputError naming it, not a tool failure.
        const r = await run('git', ['apply', '--cached', '--whitespace=nowarn', path.join(scratch, 'patch')], { cwd: repo, env, okExitCodes: 'any' });
        if (r.exitCode !== 0) {
          throw new InputError(`${path.basename(file)} does not apply onto ${parent.slice(0, 12)}: ${r.stderr.trim().split('\n').slice(0, 3).join('; ')}`);
        }
      }
      const tree = await git(repo, ['write-tree'], env);
      const commit = await run('git', ['commit-tree', tree, '-p', parent], {
        cwd: repo,
        input: info.message,
        env: {
          ...env,
          GIT_AUTHOR_NAME: info.author,
          GIT_AUTHOR_EMAIL: info.email,
          GIT_AUTHOR_DATE: info.date,
          GIT_COMMITTER_NAME: 'iofs',
          GIT_COMMITTER_EMAIL: 'iofs@localhost',
          GIT_COMMITTER_DATE: info.date,
        },
      });
      parent = commit.stdout.trim();
    }
    return parent;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/** Paths a set of patches reads or writes (both sides of every `diff --git`). Pure. */
export function touchedPaths(patchTexts: string[]): string[] {
  const out = new Set<string>();
  for (const t of patchTexts) {
    for (const m of t.matchAll(/^diff --git a\/(\S+) b\/(\S+)$/gm)) {
      out.add(m[1] as string);
      out.add(m[2] as string);
    }
  }
  return [...out].sort();
}

/** One side as a commit range in the tree's own repository. */
export async function sideInTree(tree: KernelTree, spec: string): Promise<SeriesSide> {
  const none = async (): Promise<void> => undefined;
  if (existsSync(spec) && (await fs.stat(spec)).isDirectory()) {
    const tip = await commitPatches(tree.path, tree.baseCommit, await patchesOfDir(spec));
    return { range: `${tree.baseCommit}..${tip}`, repo: tree.path, cleanup: none };
  }
  const [from, to] = spec.includes('..') ? spec.split(/\.\.\.?/) : [tree.baseCommit, spec];
  for (const ref of [from, to]) {
    if (!ref || !(await revParse(tree.path, ref))) {
      throw new InputError(`${JSON.stringify(spec)} is neither a directory of patches nor a revision in ${tree.path} (${ref || 'empty'} not found)`);
    }
  }
  return { range: `${from}..${to}`, repo: tree.path, cleanup: none };
}

/** Patch files for a side: a directory's, or format-patch of a revision range in the tree. */
async function sidePatchFiles(tree: KernelTree, spec: string, scratch: string, label: string): Promise<{ files: string[]; base: string }> {
  if (existsSync(spec) && (await fs.stat(spec)).isDirectory()) return { files: await patchesOfDir(spec), base: tree.baseCommit };
  const side = await sideInTree(tree, spec);
  const [from] = side.range.split('..');
  const out = path.join(scratch, label);
  const r = await git(tree.path, ['format-patch', '-q', '-o', out, side.range]).then(() => fs.readdir(out));
  return { files: r.sort().map((n) => path.join(out, n)), base: (await revParse(tree.path, from as string)) as string };
}

/**
 * The scratch repository for sides on different bases: for each side a base
 * commit with only the touched files, then its patches on top.
 */
async function sidesInScratch(sides: { tree: KernelTree; spec: string }[], root: string): Promise<SeriesSide[]> {
  const repo = path.join(root, 'range-diff');
  if (!existsSync(path.join(repo, '.git'))) {
    await fs.mkdir(repo, { recursive: true });
    await git(repo, ['init', '-q']);
  }
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-rangediff-'));
  try {
    const out: SeriesSide[] = [];
    for (const [i, { tree, spec }] of sides.entries()) {
      const { files, base } = await sidePatchFiles(tree, spec, scratch, `side${i}`);
      const texts = await Promise.all(files.map((f) => fs.readFile(f, 'utf8')));
      const paths = touchedPaths(texts);
      const env = { GIT_INDEX_FILE: path.join(scratch, `index${i}`) };
      const listing = paths.length ? await git(tree.path, ['ls-tree', '-z', base, '--', ...paths]) : '';
      for (const entry of listing.split('\0').filter(Boolean)) {
        const m = /^(\d+) blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
        if (!m) continue;
        // Binary blob bytes: run() decodes stdout as text.
        const blob = await execa('git', ['cat-file', 'blob', m[2] as string], { cwd: tree.path, encoding: 'buffer' });
        const sha = await run('git', ['hash-object', '-w', '--stdin'], { cwd: repo, input: blob.stdout });
        await git(repo, ['update-index', '--add', '--cacheinfo', `${m[1]},${sha.stdout.trim()},${m[3]}`], env);
      }
      const treeSha = await git(repo, ['write-tree'], env);
      const baseCommit = (
        await run('git', ['commit-tree', treeSha], {
          cwd: repo,
          input: `${tree.base.name} base ${base} (only the files the series touches)\n`,
          env: { GIT_AUTHOR_NAME: 'iofs', GIT_AUTHOR_EMAIL: 'iofs@localhost', GIT_AUTHOR_DATE: '2000-01-01T00:00:00 +0000', GIT_COMMITTER_NAME: 'iofs', GIT_COMMITTER_EMAIL: 'iofs@localhost', GIT_COMMITTER_DATE: '2000-01-01T00:00:00 +0000' },
        })
      ).stdout.trim();
      const tip = await commitPatches(repo, baseCommit, files);
      out.push({ range: `${baseCommit}..${tip}`, repo, cleanup: async () => undefined });
    }
    return out;
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

export interface RangeDiffOptions {
  from: { tree: KernelTree; spec: string };
  to: { tree: KernelTree; spec: string };
  /** Side cache root (the scratch repository for two bases lives there). */
  root: string;
  /** Colour the output (for a terminal). */
  color: boolean;
}

export interface RangeDiffResult {
  text: string;
  fromRange: string;
  toRange: string;
  repo: string;
}

export async function rangeDiff(o: RangeDiffOptions): Promise<RangeDiffResult> {
  const sameRepo = (await fs.realpath(o.from.tree.path)) === (await fs.realpath(o.to.tree.path));
  const [a, b] = sameRepo
    ? [await sideInTree(o.from.tree, o.from.spec), await sideInTree(o.to.tree, o.to.spec)]
    : await sidesInScratch([o.from, o.to], o.root);
  if (!a || !b) throw new Error('internal: range-diff needs two sides');
  // 'any': a failing range-diff is reported as the sides' fault (an InputError with git's words).
  const r = await run('git', ['range-diff', o.color ? '--color' : '--no-color', a.range, b.range], { cwd: a.repo, okExitCodes: 'any' });
  if (r.exitCode !== 0) throw new InputError(`git range-diff failed: ${r.stderr.trim()}`);
  // Without the final newline, as before: the CLI adds it.
  return { text: r.stdout.replace(/\n$/, ''), fromRange: a.range, toRange: b.range, repo: a.repo };
}
