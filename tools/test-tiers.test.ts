import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './common/paths.js';
import { coreIntegration, endOfRunSummary, fullGroups, undescribedFullFiles } from './test-tiers.js';

function intFiles(dir = path.join(repoRoot, 'tools'), rel = ''): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (e.name === 'node_modules') return [];
    if (e.isDirectory()) return intFiles(path.join(dir, e.name), `${rel}${e.name}/`);
    return e.name.endsWith('.int.test.ts') ? [`${rel}${e.name}`] : [];
  });
}

describe('test tiers', () => {
  it('every integration file is core or a described full group, and every listed file exists', () => {
    const files = intFiles();
    expect(undescribedFullFiles(files)).toEqual([]);
    for (const f of [...coreIntegration, ...Object.keys(fullGroups)]) expect(files).toContain(f);
  });

  it('the summary counts tests in one plain line and names every group that did not run', () => {
    const report = { numPassedTests: 7, numFailedTests: 1, numPendingTests: 2, numTodoTests: 0, testResults: [{ name: '/r/tools/vm/vm.int.test.ts' }, { name: '/r/tools/bench/bench.int.test.ts' }] };
    const core = endOfRunSummary(report, false, '/r');
    expect(core[0]).toBe('tests: 7 passed, 1 failed, 2 skipped');
    expect(core).toContain('not run (full tier): run them with `scripts/test --full`');
    expect(core.some((l) => l.startsWith('  tools/fuzz/fuzz.int.test.ts: '))).toBe(true);
    expect(core.some((l) => l.startsWith('  tools/bench/bench.int.test.ts'))).toBe(false);
    expect(endOfRunSummary(report, true, '/r')).toEqual(['tests: 7 passed, 1 failed, 2 skipped', 'every tier ran (unit, core, full)']);
    expect(endOfRunSummary(undefined, false, '/r')[0]).toMatch(/no report/);
  });
});
