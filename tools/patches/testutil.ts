/** Shared by the patches tests: git run with a fixed identity and dates, so commits and patches are reproducible. */
import { execa } from 'execa';

export const TEST_GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Ada Dev',
  GIT_AUTHOR_EMAIL: 'ada@example.org',
  GIT_AUTHOR_DATE: '2026-01-02T03:04:05 +0000',
  GIT_COMMITTER_NAME: 'Ada Dev',
  GIT_COMMITTER_EMAIL: 'ada@example.org',
  GIT_COMMITTER_DATE: '2026-01-02T03:04:05 +0000',
};

/** `git ARGS` in `cwd` as the test identity; its stdout. Throws on failure. */
export async function testGit(cwd: string, ...args: string[]): Promise<string> {
  return String((await execa('git', args, { cwd, env: TEST_GIT_IDENTITY })).stdout);
}
