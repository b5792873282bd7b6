import { describe, expect, it } from 'vitest';
import { kunitFailures, parseKunitSummary } from './kunit.js';

const passed = `[00:01:02] ================ initrd_erofs (6 subtests) =================
[00:01:02] [PASSED] check_image_good
[00:01:02] ================== [PASSED] initrd_erofs ===================
[00:01:02] ============================================================
[00:01:02] Testing complete. Ran 15 tests: passed: 15
[00:01:02] Elapsed time: 301.2s total, 1.1s configuring, 290.0s building, 10.1s running`;

const failed = `[00:01:02] # choose: EXPECTATION FAILED at init/initrd_erofs_test.c:140
[00:01:02] Expected choose_backend(aligned, false, true) == ((void *)0), but
[00:01:02] [FAILED] choose
[00:01:02] Testing complete. Ran 15 tests: passed: 14, failed: 1`;

describe('kunit.py output', () => {
  it('reads the closing line', () => {
    expect(parseKunitSummary(passed)).toEqual({ ran: 15, passed: 15, failed: 0, line: 'Testing complete. Ran 15 tests: passed: 15' });
    expect(parseKunitSummary(failed)).toMatchObject({ ran: 15, passed: 14, failed: 1 });
    expect(parseKunitSummary('make: *** [Makefile] Error 2')).toBeUndefined();
  });

  it('quotes the failed expectations and tests', () => {
    expect(kunitFailures(failed)).toEqual([
      '# choose: EXPECTATION FAILED at init/initrd_erofs_test.c:140',
      'Expected choose_backend(aligned, false, true) == ((void *)0), but',
      '[FAILED] choose',
    ]);
  });
});
