/**
 * The fuzzer's deterministic CI sample: 12 cases of seed 1 (the unmodified
 * control, then at least one per region) booted with the real patched debug
 * kernel (the primary base + series + guest, erofs, initrd-erofs, debug:
 * KASAN, UBSAN…), two QEMUs at once; then 8 cases with verification on
 * (--verify: initrd_erofs_sha256= of the unmodified image), where every
 * tampered image must be refused. The full runs are scripts/fuzz.
 *
 * IOFS_TEST_FUZZ_KERNEL=/path/to/bzImage skips the build for quick runs.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';
import { buildKernel, primaryBaseName } from '../kernel/index.js';
import { FUZZ_FRAGMENTS, FUZZ_REGIONS, knownCrashFor, loadKnownCrashes, unexpectedCrashes, type CaseResult, type FuzzSummary } from './index.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');
let kernel: string;

beforeAll(async () => {
  kernel = process.env.IOFS_TEST_FUZZ_KERNEL ?? (await buildKernel({ base: await primaryBaseName(), fragments: FUZZ_FRAGMENTS, withPatches: true, jobs: 2 })).bzImage;
});

describe('iofs vm fuzz (12-case sample)', () => {
  it('boots the control, ends every damaged image in a boot or a clean failure (no crash of any attribution, no hang), and writes a replayable results directory', async () => {
    const r = await execa('node', [iofs, 'vm', 'fuzz', '--count', '12', '--seed', '1', '--jobs', '2', '--accel', 'tcg', '--kernel', kernel, '--json'], {
      reject: false,
      env: { CI: '1' },
      timeout: 30 * 60_000,
    });
    const stderr = String(r.stderr);
    expect(r.exitCode, `${String(r.stdout).slice(0, 3000)}\n${stderr.slice(-3000)}`).toBe(0);
    const summary = JSON.parse(String(r.stdout)) as FuzzSummary;
    expect(summary.ran).toBe(12);
    expect(summary.controlFailed).toBe(false);
    expect(summary.oursFailed).toBe(false);
    expect(Object.values(summary.byClass).reduce((n, v) => n + v, 0)).toBe(12);
    expect(summary.byClass.hang).toBe(0);
    expect(Object.keys(summary.byRegion).sort()).toEqual(['control', ...FUZZ_REGIONS].sort());

    const full = JSON.parse(await fs.readFile(path.join(summary.runDir, 'summary.json'), 'utf8')) as FuzzSummary & { cases: CaseResult[] };
    const byMutation = (re: RegExp): CaseResult => {
      const c = full.cases.find((x) => re.test(x.mutation));
      if (!c) throw new Error(`no case matches ${re}: ${full.cases.map((x) => x.mutation).join('; ')}`);
      return c;
    };
    // The control booted from the overlay our code mounted.
    expect(byMutation(/^unmodified image$/).verdict).toMatchObject({ class: 'booted', mounted: true });
    // A 1-byte image has no magic: not claimed, the kernel falls back to cpio and finds no root.
    expect(byMutation(/^truncated to 1 of/).verdict).toMatchObject({ class: 'clean-failure', kind: 'not claimed: fallback to cpio, no root', mounted: false });
    // A block count far beyond the image is caught by the superblock check at claim time, before EROFS mounts it:
    // the size (-22), or on 7.3 EROFS's checksum first when the plan left it stale (-74).
    const huge = byMutation(/blocks=0xffffffff: claims 16 TiB/).verdict;
    expect(huge.class).toBe('clean-failure');
    expect(huge.kind).toMatch(/^superblock check failed \((-22|-74)\)$/);

    for (const c of full.cases) {
      // Every case keeps its console, its edits and its verdict; images only where they matter.
      const dir = path.join(summary.runDir, c.dir);
      expect(existsSync(path.join(dir, 'console.log')), c.dir).toBe(true);
      const saved = JSON.parse(await fs.readFile(path.join(dir, 'case.json'), 'utf8')) as CaseResult;
      expect(saved.edits).toEqual(c.edits);
      expect(existsSync(path.join(dir, 'image.erofs'))).toBe(c.verdict.class === 'crash' || c.verdict.class === 'hang');
    }
    // A KASAN report or Oops in EROFS or overlayfs is as much a failure as one in our code: only a crash
    // reproduced under test-vms/ and listed by name in test-vms/fuzz/known-crashes.json is tolerated.
    const known = await loadKnownCrashes();
    const unexpected = unexpectedCrashes(full.cases, known).map((c) => `case ${c.id} (${c.region}, ${c.mutation}): ${c.verdict.kind}, owner ${c.verdict.owner ?? '?'}: ${c.verdict.line} [${c.dir}]`);
    expect(unexpected, 'crashes not in test-vms/fuzz/known-crashes.json').toEqual([]);
    expect(summary.byClass.crash).toBe(full.cases.filter((c) => knownCrashFor(c.verdict, known)).length);
    expect(existsSync(path.join(summary.runDir, 'base.erofs'))).toBe(true);
    expect(JSON.parse(await fs.readFile(path.join(summary.runDir, 'plan.json'), 'utf8')).cases).toHaveLength(12);
    // No QEMU outlives the run.
    const ps = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(String(ps.stdout)).not.toContain(summary.runDir);
  });

  it('with --verify: the control boots with its digest, and no tampered image is mounted (8 cases)', async () => {
    const r = await execa('node', [iofs, 'vm', 'fuzz', '--verify', '--count', '8', '--seed', '2', '--jobs', '2', '--accel', 'tcg', '--kernel', kernel, '--json'], {
      reject: false,
      env: { CI: '1' },
      timeout: 30 * 60_000,
    });
    expect(r.exitCode, `${String(r.stdout).slice(0, 3000)}\n${String(r.stderr).slice(-3000)}`).toBe(0);
    const summary = JSON.parse(String(r.stdout)) as FuzzSummary;
    expect(summary.controlFailed).toBe(false);
    expect(summary.append).toMatch(/ initrd_erofs_sha256=[0-9a-f]{64}$/);
    expect(summary.verify?.mountedTampered).toEqual([]);
    expect((summary.verify?.refused ?? 0) + (summary.verify?.intact ?? 0)).toBe(8);
    const full = JSON.parse(await fs.readFile(path.join(summary.runDir, 'summary.json'), 'utf8')) as FuzzSummary & { cases: CaseResult[] };
    expect(full.cases.find((c) => c.id === 0)).toMatchObject({ verify: 'intact', verdict: { class: 'booted', mounted: true } });
    // A tampered image ends before EROFS mounts it: refused by the digest, or earlier by the superblock check.
    for (const c of full.cases.filter((x) => x.verify === 'refused')) expect(c.verdict, `case ${c.id}: ${c.mutation}`).toMatchObject({ class: 'clean-failure', mounted: false });
  });
});
