import { describe, expect, it } from 'vitest';
import { formatTimestampedLine } from './console.js';
import { consoleLogTimeOf } from './runner.js';

describe('consoleLogTimeOf', () => {
  it('finds the host time of the first copy of a line in console.log', () => {
    const log = [
      formatTimestampedLine(650, 'SeaBIOS (version 1.16.2)'),
      formatTimestampedLine(11_204, '[    1.205000] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22'),
      formatTimestampedLine(11_300, '[    1.205000] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22'),
      '',
    ].join('\n');
    expect(consoleLogTimeOf(log, '[    1.205000] Kernel panic - not syncing: initrd_erofs: superblock check failed: -22')).toBe(11.204);
    expect(consoleLogTimeOf(log, 'not there')).toBeUndefined();
    expect(consoleLogTimeOf('', 'x')).toBeUndefined();
  });
});
