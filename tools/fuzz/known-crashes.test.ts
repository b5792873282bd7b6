import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { knownCrashesPath, knownCrashFor, loadKnownCrashes, parseKnownCrashes, unexpectedCrashes, type KnownCrash } from './known-crashes.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'iofs-known-'));
  await writeFile(path.join(root, 'repro.json'), '{}\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

const entry = (over: Partial<KnownCrash> = {}): Record<string, unknown> => ({
  name: 'erofs: KASAN in z_erofs_load_compact_lcluster',
  lineMatches: '^BUG: KASAN: slab-out-of-bounds in z_erofs_load_compact_lcluster\\+',
  owner: 'erofs',
  reproducer: 'repro.json',
  upstream: 'https://lore.kernel.org/example',
  ...over,
});

const errorOf = (data: unknown): string => {
  try {
    parseKnownCrashes(data, '/x/known-crashes.json', root);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('expected a validation error');
};

describe('known crashes', () => {
  it('the committed list parses, and tolerates nothing today', async () => {
    expect(await loadKnownCrashes(knownCrashesPath)).toEqual([]);
  });

  it('reads a well-formed entry whose reproducer exists', () => {
    expect(parseKnownCrashes({ crashes: [entry()] }, 'k.json', root)).toEqual([entry()]);
  });

  it('names the entry that is wrong', () => {
    expect(errorOf({})).toMatch(/known-crashes\.json: crashes: missing/);
    expect(errorOf({ crashes: [], extra: 1 })).toMatch(/unknown key "extra"/);
    expect(errorOf({ crashes: [entry({ owner: 'ours' as KnownCrash['owner'] })] })).toMatch(/crashes\[0\] \(.*\)\.owner: .*a crash in our code is never tolerated/);
    expect(errorOf({ crashes: [entry({ lineMatches: '(' })] })).toMatch(/crashes\[0\] \(.*\)\.lineMatches: invalid regular expression/);
    expect(errorOf({ crashes: [entry({ reproducer: 'missing.json' })] })).toMatch(/crashes\[0\] \(.*\)\.reproducer: missing\.json is not a file under/);
    expect(errorOf({ crashes: [entry({ reproducer: '../etc/passwd' })] })).toMatch(/reproducer: \.\.\/etc\/passwd is not a file under/);
    expect(errorOf({ crashes: [entry(), entry()] })).toMatch(/crashes\[1\] \(.*\): two crashes are named ".*"/);
    expect(errorOf({ crashes: [{ ...entry(), upstream: '' }] })).toMatch(/crashes\[0\] \(.*\)\.upstream: expected a non-empty string/);
  });

  it('a crash is known only with the same owner and a matching line; everything else is unexpected', () => {
    const known = parseKnownCrashes({ crashes: [entry()] }, 'k.json', root);
    const line = '[    2.000001] BUG: KASAN: slab-out-of-bounds in z_erofs_load_compact_lcluster+0x1c3/0x5a0';
    const cases = [
      { id: 1, verdict: { class: 'crash' as const, line, owner: 'erofs' as const } },
      { id: 2, verdict: { class: 'crash' as const, line, owner: 'other' as const } },
      { id: 3, verdict: { class: 'crash' as const, line: '[    2.1] Oops: general protection fault', owner: 'overlayfs' as const } },
      { id: 4, verdict: { class: 'crash' as const, line: '[    2.1] BUG: KASAN: use-after-free in initrd_erofs_mount_root+0x10/0x20', owner: 'ours' as const } },
      { id: 5, verdict: { class: 'clean-failure' as const, line, owner: undefined } },
    ];
    expect(knownCrashFor(cases[0]!.verdict, known)?.name).toBe('erofs: KASAN in z_erofs_load_compact_lcluster');
    expect(unexpectedCrashes(cases, known).map((c) => c.id)).toEqual([2, 3, 4]);
    expect(unexpectedCrashes(cases, []).map((c) => c.id)).toEqual([1, 2, 3, 4]);
  });
});
