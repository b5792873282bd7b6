import { describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { OUTCOME_EXIT_CODE, worstExitCode } from './outcome.js';

describe('outcomes', () => {
  it('map to the shared exit codes', () => {
    expect(OUTCOME_EXIT_CODE).toEqual({ PASS: 0, FAIL: 1, PANIC: 3, 'BOOT-TIMEOUT': 4, INFRA: 5, INTERRUPTED: 130 });
    expect(OUTCOME_EXIT_CODE.PANIC).toBe(ExitCode.PANIC);
  });
  it('several runs exit with the worst', () => {
    expect(worstExitCode([])).toBe(0);
    expect(worstExitCode(['PASS', 'FAIL', 'PASS'])).toBe(1);
    expect(worstExitCode(['PANIC', 'FAIL'])).toBe(3);
    expect(worstExitCode(['BOOT-TIMEOUT', 'PANIC'])).toBe(4);
    expect(worstExitCode(['INFRA', 'BOOT-TIMEOUT'])).toBe(5);
  });
});
