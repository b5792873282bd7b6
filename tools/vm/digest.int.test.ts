/**
 * Issue 15, the policy half (full tier: its kernel has
 * CONFIG_INITRD_EROFS_REQUIRE_DIGEST, a build of its own): an EROFS initrd
 * without initrd_erofs_sha256= is refused, one with its digest boots, and a
 * cpio initrd is not affected. The digest checks themselves (match, flipped
 * bytes, another image's digest, a malformed value, archives after the
 * image) are kmode-digest-* in the core tier.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from './runner.js';
import { ResultsByName, runSuiteInTmp, why } from './testutil.js';

let suite: { cleanup: () => Promise<void> } | undefined;
const results = new ResultsByName();
const result = (name: string): RunResult => results.result(name);

beforeAll(async () => {
  suite = await runSuiteInTmp('digest-required-*', results);
});

afterAll(async () => {
  await suite?.cleanup();
});

describe('a kernel that requires the image digest (issue 15)', () => {
  it('refuses an EROFS initrd when no digest is given, by name, before mounting it', () => {
    const r = result('digest-required-missing');
    expect(r.outcome, why(r)).toBe('PASS');
    expect(r.observedOutcome).toBe('PANIC');
  });

  it('boots the image with its own digest, on the same kernel', () => {
    const r = result('digest-required-match');
    expect(r.outcome, why(r)).toBe('PASS');
    expect(r.commandLine).toMatch(/ initrd_erofs_sha256=[0-9a-f]{64}(\s|$)/);
    expect(r.kernel?.buildDir).toBe(result('digest-required-missing').kernel?.buildDir);
  });

  it('refuses the image when only a bootconfig appended to the initrd carries its digest', () => {
    const r = result('digest-required-bootconfig');
    expect(r.outcome, why(r)).toBe('PASS');
    expect(r.observedOutcome).toBe('PANIC');
    expect(r.commandLine).toMatch(/(^|\s)bootconfig(\s|$)/);
    expect(r.commandLine).not.toMatch(/initrd_erofs_sha256=/);
  });

  it('unpacks a cpio initrd as before', () => {
    const r = result('digest-required-cpio');
    expect(r.outcome, why(r)).toBe('PASS');
  });
});
