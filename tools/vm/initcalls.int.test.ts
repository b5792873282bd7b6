/**
 * Issue 11, item 4, booted for real (full tier: its kernel has the uevent
 * helper configured, a build of its own): what initcalls start after
 * wait_for_initramfs() (the uevent helper here; request_firmware() from
 * built-in drivers reads the same root) sees a cpio initrd's files, but not
 * an EROFS initrd's, which is mounted only after the initcalls.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenarios } from './suite.js';
import type { RunResult } from './runner.js';
import { ResultsByName, why } from './testutil.js';

let tmp: string;
const results = new ResultsByName();
const result = (name: string): RunResult => results.result(name);

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-initcalls-int-'));
  const suite = await runScenarios({ scenarios: ['initcalls-*'], jobs: 1, keepGoing: true, accel: 'tcg', runsDir: path.join(tmp, 'runs') });
  results.add(suite.results);
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
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
