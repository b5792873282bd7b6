/**
 * `iofs patches format`: the series as numbered mails ready for
 * `git send-email`, the way kernel developers send a version of a series:
 *
 *   git format-patch --cover-letter -v N --subject-prefix "[RFC ]PATCH"
 *                                   (no -v for version 1: "[RFC PATCH 0/3]", kernel style)
 *     --base=<base commit>          base-commit: trailer, so anyone can apply it
 *     --to=… --cc=…                 from the tree's own scripts/get_maintainer.pl
 *     --range-diff=<version N-1>    when the previous version is known
 *
 * The cover letter's subject and prose are the hand-written
 * kernel-patches/<base>/0000-cover-letter.patch (its own shortlog and
 * diffstat are dropped: git writes fresh ones). The changelog is part of that
 * prose, kernel style ("Changes in v2: …"), and git adds the range-diff
 * against the previous version below it.
 *
 * Versions are data: each formatted version is kept in
 * kernel-patches/<base>/versions/v<N>/ (the default output), exactly as sent,
 * so version N+1 range-diffs against it and a reviewer's "what changed" has
 * an answer in the repository.
 */
import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { withAtomicOutput } from '../common/atomic.js';
import { InfraError, InputError } from '../common/errors.js';
import { log } from '../common/log.js';
import { git } from '../git/index.js';
import type { KernelTree } from '../kernel/tree.js';
import { coverLetterName, readSeries } from '../git/index.js';
import { sideInTree } from './range-diff.js';
import { formatIdentity, resignCommits, senderIdentity, type Identity } from './sender.js';
import { seriesWorktree, worktreePath } from './worktree.js';

export interface CoverLetter {
  /** Subject without the [PATCH 0/N] prefix. */
  subject: string;
  /** "Name <email>" from its From: header. */
  from?: string;
  /** The prose: everything after the headers, up to git's shortlog/diffstat/base-commit. */
  body: string;
}

/** Split a hand-written cover letter (git format-patch layout) into subject, author and prose. Pure. */
export function parseCoverLetter(text: string, file = coverLetterName): CoverLetter {
  const headerEnd = text.indexOf('\n\n');
  if (headerEnd < 0) throw new InputError(`${file}: no blank line after the mail headers`);
  const headers = text.slice(0, headerEnd).replace(/\n[ \t]+/g, ' ');
  const subjectRaw = /^Subject: (.*)$/m.exec(headers)?.[1];
  if (!subjectRaw) throw new InputError(`${file}: no Subject: header`, { hint: 'write it as git format-patch --cover-letter does' });
  const subject = subjectRaw.replace(/^\[[^\]]*\]\s*/, '').trim();
  if (subject === '' || subject.includes('*** SUBJECT HERE ***')) throw new InputError(`${file}: the Subject is empty or still the placeholder`);
  const from = /^From: (.*)$/m.exec(headers)?.[1]?.trim();
  const lines = text.slice(headerEnd + 2).split('\n');
  // git's own additions end the prose: the shortlog ("Name (3):" then indented subjects),
  // the diffstat, base-commit:, the signature.
  let end = lines.length;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    if ((/^\S.* \(\d+\):$/.test(l) && /^ {2}\S/.test(lines[i + 1] ?? '')) || /^base-commit: /.test(l) || l === '-- ') {
      end = i;
      break;
    }
  }
  const body = lines.slice(0, end).join('\n').trim();
  if (body === '' || body.includes('*** BLURB HERE ***')) throw new InputError(`${file}: the cover letter has no prose (or still the placeholder)`);
  return { subject, ...(from ? { from } : {}), body };
}

/** The subject prefix for a version. Pure. */
export function subjectPrefix(rfc: boolean): string {
  return rfc ? 'RFC PATCH' : 'PATCH';
}

/**
 * Does the prose carry a changelog for version `version` (> 1)? Kernel style
 * is a section like "Changes in v2:", "v1 -> v2:" or "Changes since v1:". Pure.
 */
export function hasChangelog(body: string, version: number): boolean {
  if (version <= 1) return true;
  const prev = version - 1;
  return new RegExp(`^(changes (in|for) v${version}\\b|changes since v${prev}\\b|v${prev} *(->|→|\\.\\.) *v${version}\\b|changelog)`, 'im').test(body);
}

/** Split get_maintainer.pl output into addresses, without the sender. Pure. */
export function parseMaintainers(output: string, exclude: string[] = []): string[] {
  const lower = exclude.map((e) => (/<([^>]+)>/.exec(e)?.[1] ?? e).toLowerCase());
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes('@'))
    .filter((l) => !lower.includes((/<([^>]+)>/.exec(l)?.[1] ?? l).toLowerCase()));
}

export interface FormatOptions {
  /** The tree the series applies to (prepared, or --tree). */
  source: KernelTree;
  seriesDir: string;
  version: number;
  rfc: boolean;
  /** Output directory (replaced atomically). */
  outDir: string;
  /** The previous version: a directory of patches, or a git revision/range in the tree. */
  previous?: string;
  /** Side cache root for the worktree (see sideCache). */
  root: string;
  cache: string;
}

export interface FormatResult {
  outDir: string;
  files: string[];
  to: string[];
  cc: string[];
  baseCommit: string;
  /** What the range-diff compared against, when there was a previous version. */
  rangeDiffAgainst?: string;
  warnings: string[];
}

async function getMaintainers(tree: string, patches: string[], args: string[]): Promise<string> {
  const script = path.join(tree, 'scripts', 'get_maintainer.pl');
  if (!existsSync(script)) throw new InfraError(`${script} not found: is ${tree} a kernel tree?`);
  const r = await execa('perl', [script, '--no-rolestats', '--no-git', '--no-git-fallback', ...args, ...patches], { cwd: tree, reject: false });
  if (r.exitCode !== 0) throw new InfraError(`get_maintainer.pl failed (exit ${r.exitCode}): ${String(r.stderr).slice(0, 1000)}`);
  return String(r.stdout);
}

export async function formatForSending(o: FormatOptions): Promise<FormatResult> {
  if (!Number.isInteger(o.version) || o.version < 1) throw new InputError(`--version must be a whole number, at least 1 (got ${o.version})`);
  const series = await readSeries(o.seriesDir);
  if (series.files.length === 0) throw new InputError(`${o.seriesDir}/series is missing or empty: nothing to format`);
  const coverFile = path.join(o.seriesDir, coverLetterName);
  if (!existsSync(coverFile)) {
    throw new InputError(`${coverFile} is missing: the cover letter is written by hand`, {
      hint: 'start from `git format-patch --cover-letter` output and replace the SUBJECT and BLURB placeholders',
    });
  }
  const cover = parseCoverLetter(await fs.readFile(coverFile, 'utf8'), coverFile);
  // Before any work: a series without a person to sign it off is not formatted.
  const sender = await senderIdentity(o.source.path);
  const warnings: string[] = [];
  // The prepared tree's base is Debian's linux-source import (upstream plus Debian's patches): its commit
  // exists nowhere else, and the Debian mirror serves no source package to check it against upstream.
  if (o.source.kind !== 'external') {
    warnings.push(
      `the base-commit: trailer names this machine's import of Debian's ${o.source.base.debianPackage ?? 'linux-source'} ${o.source.base.version}, which no upstream tree has: ` +
        `for mails to send, format from your upstream checkout (--tree ~/linux --base-ref v${o.source.base.version}) so base-commit: is v${o.source.base.version}'s commit`,
    );
  }
  if (!hasChangelog(cover.body, o.version)) {
    warnings.push(`${coverFile} has no changelog for v${o.version} (e.g. a "Changes in v${o.version}:" section): reviewers expect one`);
  }

  // The same worktree `patches status` uses: formatting what status checked costs nothing more.
  const dest = worktreePath(o.root, o.source, (p) => createHash('sha256').update(p).digest('hex'));
  const applied = await seriesWorktree(o.source, o.seriesDir, dest, { cache: o.root, logFile: path.join(o.root, 'logs', o.source.base.name, 'format-apply.log') });
  if (!applied.ok) throw applied.error;
  const wt = applied.worktree;
  const signedHead = await resignCommits(wt.path, wt.baseCommit, wt.head, sender);
  // The committed series' author: a placeholder, never a recipient and never in a mail.
  const committedAuthor = await git(wt.path, ['log', '-1', '--format=%an <%ae>', wt.head]);

  // The previous version as commits in the same repository, for --range-diff.
  const rangeDiff = o.previous ? (await sideInTree(o.source, o.previous)).range : undefined;
  {
    const patchPaths = series.files;
    // MAINTAINERS in the worktree still names the committed author: the mails' copy names the sender.
    const self = [formatIdentity(sender), committedAuthor];
    const to = parseMaintainers(await getMaintainers(wt.path, patchPaths, ['--m', '--r', '--no-l', '--no-s']), self);
    const cc = parseMaintainers(await getMaintainers(wt.path, patchPaths, ['--no-m', '--no-r', '--l', '--no-s']), [...self, ...to]);
    if (to.length + cc.length === 0) warnings.push('get_maintainer.pl named no recipients: add --to/--cc when sending');

    const result = await withAtomicOutput(o.outDir, async (tmp) => {
      await fs.mkdir(tmp, { recursive: true });
      const args = [
        '-c', 'diff.noprefix=false',
        '-c', 'format.coverLetter=false',
        'format-patch',
        '--cover-letter',
        '--thread=shallow',
        // Kernel convention: the first posting carries no version ("[PATCH 0/3]", not "v1").
        ...(o.version > 1 ? [`-v${o.version}`] : []),
        `--subject-prefix=${subjectPrefix(o.rfc)}`,
        `--base=${wt.baseCommit}`,
        ...to.map((a) => `--to=${a}`),
        ...cc.map((a) => `--cc=${a}`),
        ...(rangeDiff ? [`--range-diff=${rangeDiff}`] : []),
        '-o', tmp,
        `${wt.baseCommit}..${signedHead}`,
      ];
      // The cover letter is "From:" the sender too (git takes the committer identity for it).
      const out = await git(wt.path, args, { GIT_COMMITTER_NAME: sender.name, GIT_COMMITTER_EMAIL: sender.email });
      const files = out.split('\n').filter(Boolean).map((p) => path.basename(p));
      const coverOut = files.find((f) => /^(v\d+-)?0000-cover-letter\.patch$/.test(f));
      if (!coverOut) throw new InfraError(`git format-patch wrote no cover letter in ${tmp}`);
      const coverPath = path.join(tmp, coverOut);
      const generated = await fs.readFile(coverPath, 'utf8');
      if (!generated.includes('*** SUBJECT HERE ***') || !generated.includes('*** BLURB HERE ***')) {
        throw new InfraError('git format-patch changed its cover letter template: no SUBJECT/BLURB placeholders');
      }
      await fs.writeFile(coverPath, generated.replace('*** SUBJECT HERE ***', cover.subject).replace('*** BLURB HERE ***', cover.body));
      await refuseLeftovers(tmp, files, committedAuthor, sender);
      return files;
    });
    for (const w of warnings) log.warn(w);
    return {
      outDir: o.outDir,
      files: result,
      to,
      cc,
      baseCommit: wt.baseCommit,
      ...(rangeDiff ? { rangeDiffAgainst: o.previous as string } : {}),
      warnings,
    };
  }
}

/** Default output: kernel-patches/<base>/versions/v<N> beside the series. Pure. */
export function defaultFormatDir(seriesDir: string, version: number): string {
  return path.join(seriesDir, 'versions', `v${version}`);
}

/** The previous version's directory when it was kept (versions/v<N-1>). */
export function previousVersionDir(seriesDir: string, version: number): string | undefined {
  if (version <= 1) return undefined;
  const dir = defaultFormatDir(seriesDir, version - 1);
  return existsSync(dir) ? dir : undefined;
}

/** Fails if a mail still names the committed series' author (unless the sender is that person). */
async function refuseLeftovers(dir: string, files: string[], committedAuthor: string, sender: Identity): Promise<void> {
  const email = /<([^>]+)>/.exec(committedAuthor)?.[1];
  if (!email || email === sender.email) return;
  for (const f of files) {
    const text = await fs.readFile(path.join(dir, f), 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes(email));
    if (line >= 0) throw new InfraError(`${f}:${line + 1} still names the committed series' author ${committedAuthor}: a mail must name only the sender`);
  }
}
