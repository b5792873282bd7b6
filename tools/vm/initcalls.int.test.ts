/**
 * Issue 11, item 4, booted for real (full tier: its kernel has the uevent
 * helper configured, a build of its own): what initcalls start after
 * wait_for_initramfs() (the uevent helper here; request_firmware() from
 * built-in drivers reads the same root) sees a cpio initrd's files, but not
 * an EROFS initrd's, which is mounted only after the initcalls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from './runner.js';
import { ResultsByName, runSuiteInTmp, why } from './testutil.js';

let suite: { cleanup: () => Promise<void> } | undefined;
const results = new ResultsByName();
const result = (name: string): RunResult => results.result(name);

beforeAll(async () => {
  suite = await runSuiteInTmp('initcalls-*', results);
});

afterAll(async () => {
  await suite?.cleanup();
});

describe('the image during initcalls (issue 11, item 4)', () => {
  it('a cpio initrd: the uevent helper runs from it for the devices of device initcalls', () => {
    const r = result('initcalls-cpio');
    expect(r.outcome, why(r)).toBe('PASS');
  });

  it('an EROFS initrd: the same helper is not there yet, and logs none of them', () => {
    const r = result('initcalls-erofs');
    expect(r.outcome, why(r)).toBe('PASS');
    expect(r.kernel?.buildDir).toBe(result('initcalls-cpio').kernel?.buildDir);
  });
});
