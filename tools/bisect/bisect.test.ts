import { describe, expect, it } from 'vitest';
import { BisectExit, bisectExitCode, bisectWord } from './index.js';

describe('bisectExitCode', () => {
  it('answers git bisect run: pass good, failures bad, infrastructure skip, interrupt aborts', () => {
    expect(bisectExitCode('PASS')).toBe(0);
    expect(bisectExitCode('FAIL')).toBe(1);
    expect(bisectExitCode('PANIC')).toBe(1);
    expect(bisectExitCode('BOOT-TIMEOUT')).toBe(1); // a hang is a regression too
    expect(bisectExitCode('INFRA')).toBe(125);
    // git bisect run aborts on any code above 127, and never reads it as good or bad.
    expect(bisectExitCode('INTERRUPTED')).toBeGreaterThan(127);
    expect(BisectExit.ABORT).toBeGreaterThan(127);
    expect([0, 1, 125, 255].map(bisectWord)).toEqual(['good', 'bad', 'skip', 'abort']);
  });
});
