import { describe, expect, it } from 'vitest';
import { parseData } from '../common/schema.js';
import type { RunResult } from '../vm/index.js';
import { demoSpecSchema, loadDemoSpec, renderDemoReport } from './demo.js';

function result(over: Partial<RunResult>): RunResult {
  return {
    scenario: 'kmode-erofs-lz4hc',
    file: '/x/kmode-erofs-lz4hc.json',
    description: 'EROFS initrd under a tmpfs overlay',
    outcome: 'PASS',
    reason: '3 check(s) passed',
    runDir: '/c/runs/r1',
    startedAt: '2026-11-26T00:00:00Z',
    commandLine: 'console=ttyS0 panic=-1',
    memoryMiB: 512,
    bootTimeoutS: 60,
    kernelRelease: '6.12.117+',
    initrd: { output: '/c/runs/r1/initrd.erofs', path: '/c/runs/r1/initrd.erofs', format: 'erofs', compress: 'lz4hc', bytes: 3 * 1024 * 1024, sha256: 'ab' },
    host: { hostname: 'h', kernel: 'k', cpus: 2, node: 'v20' },
    timings: { kernelRunInitS: 1.234, wallToSshReadyS: 6.5, memAvailableKbAtInit: 480 * 1024, memTotalKb: 500 * 1024 },
    checks: [],
    ...over,
  };
}

describe('renderDemoReport', () => {
  it('shows each boot with its mount table, then a comparison row per boot', () => {
    const text = renderDemoReport([
      { result: result({}), mountTable: 'overlay / overlay rw,lowerdir=/x 0 0\n' },
      { result: result({ scenario: 'kmode-cpio-gzip', outcome: 'FAIL', reason: 'check "x" failed', initrd: undefined, timings: {} }) },
    ]);
    expect(text).toContain('## kmode-erofs-lz4hc: PASS\n');
    expect(text).toContain('time to /init (kernel "Run /init"): 1.23 s');
    expect(text).toContain('```\noverlay / overlay rw,lowerdir=/x 0 0\n```');
    expect(text).toContain('## kmode-cpio-gzip: FAIL (check "x" failed)');
    expect(text).toContain('mount table: not available');
    expect(text).toContain('| kmode-erofs-lz4hc | PASS | erofs lz4hc | 3.0 MiB | 1.23 s | - | 6.50 s | 480.0 MiB |');
    expect(text).toContain('| kmode-cpio-gzip | FAIL | - | - | - | - | - | - |');
  });
});

describe('demo.json', () => {
  it('the committed one names scenarios and the mount table check', async () => {
    const spec = await loadDemoSpec();
    expect(spec.scenarios.length).toBeGreaterThan(0);
    expect(spec.mountTableCheck).toBe('mount table');
  });

  it('names the file and key that is wrong', () => {
    expect(() => parseData(demoSpecSchema, { scenarios: [], mountTableCheck: 'm' }, 'demo.json')).toThrow('demo.json: scenarios: expected a non-empty list of scenario names, got []');
    expect(() => parseData(demoSpecSchema, { scenarios: ['a', 3] }, 'demo.json')).toThrow(/^demo\.json: scenarios\[1\]: expected a non-empty string, got 3\ndemo\.json: mountTableCheck: missing$/);
  });
});
