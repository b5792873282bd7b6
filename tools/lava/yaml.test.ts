import { describe, expect, it } from 'vitest';
import { toYaml } from './yaml.js';

describe('toYaml', () => {
  it('writes block mappings and sequences with JSON-quoted strings', () => {
    expect(toYaml({ a: 'x: "y"', n: 3, list: [{ k: 'v', m: ['p'] }, 'q'], empty: {}, none: [], skip: undefined, 'odd key': true })).toBe(
      [
        'a: "x: \\"y\\""',
        'n: 3',
        'list:',
        '- k: "v"',
        '  m:',
        '  - "p"',
        '- "q"',
        'empty: {}',
        'none: []',
        '"odd key": true',
        '',
      ].join('\n'),
    );
  });
});
