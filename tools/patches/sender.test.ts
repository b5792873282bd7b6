import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resignCommits, resignMaintainers, resignMessage, senderIdentity } from './sender.js';

const placeholder = 'Series Placeholder <placeholder@invalid>';
const ada = { name: 'Ada Dev', email: 'ada@example.org' };
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'iofs-sender-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

// A repository whose config has no identity at all (HOME and XDG pointed away from the user's).
const bareEnv = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: work, XDG_CONFIG_HOME: work, GIT_CONFIG_NOSYSTEM: '1' });

describe('the sender of a formatted series', () => {
  it('replaces the placeholder sign-off with the sender\'s, once, after the other trailers', () => {
    const msg = `init: do a thing\n\nBecause.\n\nSigned-off-by: ${placeholder}\n`;
    expect(resignMessage(msg, placeholder, ada)).toBe('init: do a thing\n\nBecause.\n\nSigned-off-by: Ada Dev <ada@example.org>\n');
    const reviewed = `x\n\nwhy\n\nReviewed-by: R <r@example.org>\nSigned-off-by: ${placeholder}\n`;
    expect(resignMessage(reviewed, placeholder, ada)).toBe('x\n\nwhy\n\nReviewed-by: R <r@example.org>\nSigned-off-by: Ada Dev <ada@example.org>\n');
    const signed = 'x\n\nwhy\n\nSigned-off-by: Ada Dev <ada@example.org>\n';
    expect(resignMessage(signed, placeholder, ada)).toBe(signed);
  });

  it('refuses without a git identity, and reads it from git config otherwise', async () => {
    await execa('git', ['init', '-q', work], { env: bareEnv() });
    await expect(senderIdentity(work, bareEnv())).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('no git identity') });
    await execa('git', ['config', 'user.name', ada.name], { cwd: work });
    await execa('git', ['config', 'user.email', ada.email], { cwd: work });
    expect(await senderIdentity(work, bareEnv())).toEqual(ada);
  });

  it('re-authors copies of the commits with the same trees, leaving the originals alone', async () => {
    const env = { ...bareEnv(), GIT_AUTHOR_NAME: 'Series Placeholder', GIT_AUTHOR_EMAIL: 'placeholder@invalid', GIT_COMMITTER_NAME: 'Series Placeholder', GIT_COMMITTER_EMAIL: 'placeholder@invalid' };
    const git = (args: string[]) => execa('git', args, { cwd: work, env }).then((r) => String(r.stdout).trim());
    await writeFile(path.join(work, 'a'), '1\n');
    await git(['add', 'a']);
    await git(['commit', '-q', '-m', 'base']);
    const base = await git(['rev-parse', 'HEAD']);
    for (const n of ['2', '3']) {
      await writeFile(path.join(work, 'a'), `${n}\n`);
      await git(['commit', '-q', '-a', '-m', `change ${n}\n\nwhy ${n}\n\nSigned-off-by: ${placeholder}`]);
    }
    const head = await git(['rev-parse', 'HEAD']);
    const signed = await resignCommits(work, base, head, ada);
    expect(await git(['rev-parse', `${signed}^{tree}`])).toBe(await git(['rev-parse', `${head}^{tree}`]));
    expect(await git(['log', '--format=%an <%ae>|%cn <%ce>|%(trailers:key=Signed-off-by,valueonly,separator=;)', `${base}..${signed}`])).toBe(
      'Ada Dev <ada@example.org>|Ada Dev <ada@example.org>|Ada Dev <ada@example.org>\n'.repeat(2).trim(),
    );
    expect(await git(['rev-parse', 'HEAD'])).toBe(head);
  });

  it("names the sender where MAINTAINERS names the placeholder author, so that get_maintainer.pl never puts it in To:", async () => {
    const text = `EROFS INITRD\nM:\t${placeholder}\nL:\tlinux-erofs@lists.ozlabs.org\nM:\tSomeone Else <else@example.org>\n`;
    expect(resignMaintainers(text, placeholder, ada)).toBe('EROFS INITRD\nM:\tAda Dev <ada@example.org>\nL:\tlinux-erofs@lists.ozlabs.org\nM:\tSomeone Else <else@example.org>\n');
    const env = { ...bareEnv(), GIT_AUTHOR_NAME: 'Series Placeholder', GIT_AUTHOR_EMAIL: 'placeholder@invalid', GIT_COMMITTER_NAME: 'Series Placeholder', GIT_COMMITTER_EMAIL: 'placeholder@invalid' };
    const git = (args: string[]) => execa('git', args, { cwd: work, env }).then((r) => String(r.stdout).trim());
    const base = await git(['rev-parse', 'HEAD']);
    await writeFile(path.join(work, 'MAINTAINERS'), text);
    await git(['add', 'MAINTAINERS']);
    await git(['commit', '-q', '-m', `maintainers\n\nSigned-off-by: ${placeholder}`]);
    const head = await git(['rev-parse', 'HEAD']);
    const signed = await resignCommits(work, base, head, ada);
    const shown = await git(['show', `${signed}:MAINTAINERS`]);
    expect(shown).toContain('M:\tAda Dev <ada@example.org>');
    expect(shown).not.toContain('placeholder@invalid');
    expect(await git(['show', `${signed}:a`])).toBe('3');
    // The worktree and its index are as they were.
    expect(await git(['status', '--porcelain'])).toBe('');
    expect(await git(['show', 'HEAD:MAINTAINERS'])).toContain(placeholder);
  });
});
