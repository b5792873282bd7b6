/**
 * `iofs patches format` on the real bases: the mails it writes `git am`
 * onto a fresh checkout of the base, give the same tree as the series, and
 * pass the base's own checkpatch.pl --strict; version 2 carries the
 * range-diff against version 1. Every base with a series is covered (6.1
 * joins as soon as kernel-patches/6.1/series exists). Cost: one fresh
 * worktree checkout per base, no kernel build.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { cacheDir, repoRoot } from '../common/paths.js';
import { loadBases, patchesDir } from '../kernel/index.js';
import { parseCheckpatchTotals, readSeries } from './index.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');
const bases = [...(await loadBases()).values()].filter((b) => existsSync(path.join(patchesDir(b), 'series')));

async function git(cwd: string, ...args: string[]): Promise<string> {
  return String((await execa('git', args, { cwd })).stdout).trim();
}

// The person sending the series (as git would read it from user.name/user.email).
const sender = { GIT_AUTHOR_NAME: 'Ada Dev', GIT_AUTHOR_EMAIL: 'ada@example.org' };

describe.each(bases.map((b) => [b.name, b] as const))('patches format on %s', (name, base) => {
  it('writes mails that git am onto a fresh base, equal the series and pass checkpatch --strict', async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), `iofs-format-${name}-`));
    const v1 = path.join(out, 'v1');
    const r1 = await execa('node', [iofs, 'patches', 'format', '--base', name, '--version', '1', '--rfc', '-o', v1], { reject: false, all: true, env: { CI: '1', ...sender } });
    expect(r1.exitCode, String(r1.all).slice(-3000)).toBe(0);
    const files = String(r1.stdout).split('\n').filter(Boolean);
    const series = await readSeries(patchesDir(base));
    expect(files.map((f) => path.basename(f))).toEqual(['0000-cover-letter.patch', ...series.names]);
    const cover = await readFile(files[0] as string, 'utf8');
    expect(cover).toMatch(new RegExp(`^Subject: \\[RFC PATCH 0/${series.names.length}\\] \\S`, 'm'));
    expect(cover).not.toContain('*** ');
    expect(cover).toMatch(/^base-commit: [0-9a-f]{40}$/m);
    expect(cover).toMatch(/^To: .+@/m);
    expect(cover).toMatch(/^Cc: .*@vger\.kernel\.org|^ +.*@vger\.kernel\.org/m);
    const first = await readFile(files[1] as string, 'utf8');
    expect(first).toMatch(new RegExp(`^Subject: \\[RFC PATCH 1/${series.names.length}\\]`, 'm'));
    expect(first).toMatch(/^In-Reply-To: <cover\./m);
    // From and signed off by the sender's own identity, whatever placeholder the committed series carries.
    expect(first).toMatch(/^From: Ada Dev <ada@example\.org>$/m);
    expect(first.match(/^Signed-off-by: .*$/gm)).toEqual(['Signed-off-by: Ada Dev <ada@example.org>']);
    expect(cover).toMatch(/^From: Ada Dev <ada@example\.org>$/m);

    // A fresh copy of the base, as a reviewer would have it.
    const prepared = path.join(cacheDir(), 'trees', name);
    const baseCommit = /^base-commit: ([0-9a-f]{40})$/m.exec(cover)?.[1] as string;
    expect(await git(prepared, 'rev-parse', `base-${name}`)).toBe(baseCommit);
    const fresh = path.join(out, 'fresh');
    await git(prepared, 'worktree', 'add', '-q', '--detach', fresh, baseCommit);
    try {
      const am = await execa('git', ['-c', 'user.name=Reviewer', '-c', 'user.email=r@example.org', 'am', ...files.slice(1)], { cwd: fresh, reject: false, all: true });
      expect(am.exitCode, String(am.all)).toBe(0);
      // Same content as the series applied by iofs (kernel-patches/<base> is what was formatted).
      // Only MAINTAINERS differs where the series has one: it names the sender, not the committed placeholder.
      const statusTree = path.join(cacheDir(), 'status', 'trees', name);
      const statusHead = await git(statusTree, 'rev-parse', 'HEAD');
      const differ = (await git(fresh, 'diff', '--name-only', statusHead, 'HEAD')).split('\n').filter(Boolean);
      expect(differ.filter((f) => f !== 'MAINTAINERS')).toEqual([]);
      if (differ.length) expect(await readFile(path.join(fresh, 'MAINTAINERS'), 'utf8')).toMatch(/^M:\tAda Dev <ada@example\.org>$/m);
      const committedAuthor = await git(statusTree, 'log', '-1', '--format=%ae', 'HEAD');
      for (const f of files) expect(await readFile(f, 'utf8'), path.basename(f)).not.toContain(committedAuthor);
      for (const f of files.slice(1)) {
        const cp = await execa('perl', ['scripts/checkpatch.pl', '--strict', '--no-color', f], { cwd: fresh, reject: false, all: true });
        const totals = parseCheckpatchTotals(String(cp.all));
        expect(totals, `${path.basename(f)}:\n${String(cp.all)}`).toEqual({ errors: 0, warnings: 0, checks: 0 });
      }
    } finally {
      await execa('git', ['worktree', 'remove', '--force', fresh], { cwd: prepared, reject: false });
    }

    // Version 2 range-diffs against what version 1 sent, and asks for a changelog if the letter has none.
    const v2 = path.join(out, 'v2');
    const r2 = await execa('node', [iofs, 'patches', 'format', '--base', name, '--version', '2', '--rfc', '-o', v2, '--previous', v1], { reject: false, all: true, env: { CI: '1', ...sender } });
    expect(r2.exitCode, String(r2.all).slice(-3000)).toBe(0);
    const names = (await readdir(v2)).sort();
    expect(names[0]).toBe('v2-0000-cover-letter.patch');
    const cover2 = await readFile(path.join(v2, names[0] as string), 'utf8');
    expect(cover2).toMatch(new RegExp(`^Subject: \\[RFC PATCH v2 0/${series.names.length}\\]`, 'm'));
    expect(cover2).toMatch(/^Range-diff against v1:$/m);
    expect(cover2).toMatch(/^1: +[0-9a-f]+ = 1: +[0-9a-f]+ /m);
    if (!/changes (in|since) v/i.test(cover2)) expect(String(r2.all)).toMatch(/no changelog for v2/);
  });
});
