/**
 * Issue 23, sanitizers on the scenarios: every kmode-* and handover-*
 * scenario booted on its kernel rebuilt with KASAN, UBSAN, lockdep, KFENCE,
 * DEBUG_LIST and the debug objects (`iofs vm test --sanitize`), which panics
 * on any report: a splat is a failed run whose reason quotes it. Full tier:
 * two kernel builds of their own (the core and the uevent-helper configs
 * with the sanitizers) and every boot three times slower under TCG.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScenarios } from './suite.js';
import { ResultsByName, why } from './testutil.js';

const results = new ResultsByName();
let tmp: string | undefined;

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-sanitize-int-'));
  const suite = await runScenarios({ scenarios: ['kmode-*', 'handover-*'], jobs: 2, keepGoing: true, accel: 'tcg', sanitize: true, runsDir: path.join(tmp, 'runs') });
  results.add(suite.results);
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('every kmode-* and handover-* scenario on a sanitizer kernel', () => {
  it('does what it expects, with no KASAN, UBSAN, lockdep or debug-objects report', () => {
    const names = [...results.map.keys()];
    expect(names.filter((n) => n.startsWith('kmode-')).length).toBeGreaterThanOrEqual(30);
    expect(names.filter((n) => n.startsWith('handover-')).length).toBeGreaterThanOrEqual(10);
    const bad = names.map((n) => results.result(n)).filter((r) => r.outcome !== 'PASS');
    expect(bad.map((r) => `${r.scenario}: ${why(r)}`)).toEqual([]);
    for (const r of results.map.values()) expect(r.commandLine, r.scenario).toMatch(/panic_on_warn=1|kasan\.fault=panic/);
  });
});
