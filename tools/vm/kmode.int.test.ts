/**
 * Issue 4's proof, booted for real: every kmode-* scenario in
 * test-vms/scenarios (the EROFS guest mounted by the patched kernel, the cpio
 * guest on the same kernel, initrd_erofs=off, and corrupted images that must
 * end in the documented panic) through the library, with one patched build
 * shared by all of them (incremental, the same build directory as
 * `iofs vm test`). Two scenarios written here keep the machinery honest: a
 * wrong expectation of a real panic must FAIL, and an extra disk must reach
 * the guest as /dev/vda. The CLI is run once, with a pattern.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../common/paths.js';
import { listScenarios, scenariosDir } from './scenario.js';
import { runScenarios } from './suite.js';
import type { RunResult } from './runner.js';
import { ResultsByName, why } from './testutil.js';
import { coreKernelSpec } from './testkernel.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');
const guestManifest = path.join(repoRoot, 'test-vms', 'guest', 'manifest.json');
let KERNEL: Awaited<ReturnType<typeof coreKernelSpec>>;

let tmp: string;
let kmode: string[];
const results = new ResultsByName();
const result = (name: string): RunResult => results.result(name);

async function consoleOf(r: RunResult): Promise<string> {
  return fs.readFile(path.join(r.runDir, 'console.log'), 'utf8');
}

beforeAll(async () => {
  KERNEL = await coreKernelSpec();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-kmode-int-'));
  kmode = (await listScenarios()).filter((n) => n.startsWith('kmode-'));
  // The truncated-image scenario, expecting the wrong errno: a real panic that does not match must FAIL.
  const truncated = JSON.parse(await fs.readFile(path.join(scenariosDir, 'kmode-corrupt-truncated.json'), 'utf8')) as Record<string, unknown>;
  const wrong = path.join(tmp, 'wrong-errno.json');
  await fs.writeFile(wrong, JSON.stringify({
    ...truncated,
    initrd: { ...(truncated.initrd as object), manifest: guestManifest },
    expectBoot: { outcome: 'PANIC', consoleMatches: '^Kernel panic - not syncing: initrd_erofs: superblock check failed: -5$', withinS: 120 },
  }));
  // The two-stage mode's disk: packed with the key, attached read-only, mountable in the guest.
  const disk = path.join(tmp, 'with-disk.json');
  await fs.writeFile(disk, JSON.stringify({
    kernel: KERNEL,
    initrd: { manifest: guestManifest, format: 'cpio', compress: 'gzip' },
    disk: { manifest: guestManifest, format: 'erofs', compress: 'lz4hc' },
    bootTimeoutS: 180,
    checks: [
      { name: 'vda is the read-only disk', run: 'cat /sys/block/vda/ro; echo $(( $(cat /sys/block/vda/size) * 512 ))', expect: { stdoutMatches: '^1\\n\\d+$' } },
      { name: 'vda holds the EROFS guest', run: 'mkdir -p /tmp/vda && mount -t erofs -o ro /dev/vda /tmp/vda && sha256sum /tmp/vda/bin/busybox', expect: { stdoutContains: '${hostSha256:/bin/busybox}' } },
    ],
  }));
  const suite = await runScenarios({
    scenarios: ['kmode-*', wrong, disk],
    // Two guests at once: each TCG guest keeps one core busy (the core tier's 30-minute budget).
    jobs: 2,
    keepGoing: true,
    accel: 'tcg',
    runsDir: path.join(tmp, 'runs'),
  });
  results.add(suite.results);
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('kernel mode (issue 4)', () => {
  it('runs every kmode scenario, and each does what it expects', () => {
    expect(kmode).toEqual(expect.arrayContaining([
      'kmode-erofs-none', 'kmode-erofs-lz4hc', 'kmode-erofs-file', 'kmode-cpio-gzip', 'kmode-erofs-off', 'kmode-erofs-no-init', 'kmode-erofs-bad-params', 'kmode-corrupt-truncated',
      // Layered initrds (issue 12): early cpio in front, cpio appended, both, garbage after the image.
      'kmode-layered-early', 'kmode-layered-append', 'kmode-layered-append-init', 'kmode-layered-both', 'kmode-layered-garbage-after', 'kmode-layered-two-images', 'kmode-layered-magic-in-cpio',
      // Image authentication (issue 15): initrd_erofs_sha256= matching, and each way an image is refused.
      'kmode-digest-match', 'kmode-digest-flip-data', 'kmode-digest-flip-padding', 'kmode-digest-flip-metadata', 'kmode-digest-other-image', 'kmode-digest-malformed', 'kmode-digest-archive-after',
      // Block by block (issue 15): initrd_erofs_verity= matching, a damaged block failing its read, another root refused.
      'kmode-verity-match', 'kmode-verity-flip-data', 'kmode-verity-other-root',
      // A bootconfig appended to the initrd cannot set the digest (issues 23, 24).
      'kmode-bootconfig-digest-ignored',
    ]));
    for (const name of kmode) expect(result(name).outcome, `${name}: ${why(result(name))}`).toBe('PASS');
  });

  it('boots the EROFS guest: mounted line, time to /init, memory, every check', async () => {
    for (const [name, compression] of [['kmode-erofs-none', 'none'], ['kmode-erofs-lz4hc', 'lz4']] as const) {
      const r = result(name);
      expect(r.observedOutcome, why(r)).toBe('PASS');
      expect(r.initrd?.format).toBe('erofs');
      expect(r.checks.length).toBeGreaterThanOrEqual(10);
      expect(r.checks.every((c) => c.ok)).toBe(true);
      expect(r.timings.kernelRunInitS).toBeGreaterThan(0);
      expect(r.timings.memAvailableKbAtInit).toBeGreaterThan(0);
      // No cpio unpacking happened: the kernel printed no unpack span.
      expect(r.timings.kernelUnpackS).toBeUndefined();
      // 7.3 leaves the compression out (no on-disk knowledge in init/); the backports still print it.
      expect(await consoleOf(r)).toMatch(new RegExp(`initrd_erofs: mounted ${r.initrd?.bytes}-byte image \\((compression ${compression}, )?backend bdev\\) as / in \\d+ us`));
    }
  });

  it('boots the EROFS guest from a ramfs copy with the file backend', async () => {
    const r = result('kmode-erofs-file');
    expect(r.timings.kernelRunInitS).toBeGreaterThan(0);
    const text = await consoleOf(r);
    expect(text).toMatch(new RegExp(`initrd_erofs: copied ${r.initrd?.bytes}-byte image into a ramfs file in \\d+ us`));
    expect(text).toMatch(new RegExp(`initrd_erofs: mounted ${r.initrd?.bytes}-byte image \\((compression lz4, )?backend file\\)`));
  });

  it('boots the cpio guest on the same kernel as before: unpacked, no initrd_erofs line', async () => {
    const r = result('kmode-cpio-gzip');
    expect(r.kernel?.buildDir).toBe(result('kmode-erofs-lz4hc').kernel?.buildDir);
    expect(r.timings.kernelRunInitS).toBeGreaterThan(0);
    expect(r.timings.kernelUnpackS).toBeGreaterThan(0);
    expect(await consoleOf(r)).not.toMatch(/initrd_erofs/);
  });

  it('records corrupted images: pristine and edited copies, the edits, the panic in time', async () => {
    for (const name of kmode.filter((n) => n.startsWith('kmode-corrupt-'))) {
      const r = result(name);
      expect(r.observedOutcome, why(r)).toBe('PANIC');
      expect(r.expectBoot?.outcome).toBe('PANIC');
      expect(r.panic?.line).toMatch(/Kernel panic - not syncing: initrd_erofs: (superblock check|mount erofs) failed: -\d+$/);
      expect(r.panic?.firstLine).toBe(r.panic?.line);
      expect(r.timings.wallToPanicS).toBeLessThanOrEqual(120);
      expect(r.initrd?.edits?.length).toBeGreaterThan(0);
      const pristine = r.initrd?.pristine;
      expect(pristine && (await fs.stat(pristine.path)).size).toBe(pristine?.bytes);
      expect((await fs.stat(r.initrd?.path ?? '')).size).toBe(r.initrd?.bytes);
      expect(r.initrd?.sha256).not.toBe(pristine?.sha256);
    }
    const truncated = result('kmode-corrupt-truncated');
    expect(truncated.initrd?.edits).toEqual(['truncate to 8192 bytes']);
    expect(truncated.initrd?.bytes).toBe(8192);
    expect(truncated.reason).toMatch(/^panicked as expected after [\d.]+s: .*superblock check failed: -22$/);
  });

  it('initrd_erofs=off ends as documented: unpacked as cpio, rejected, no root', () => {
    const r = result('kmode-erofs-off');
    expect(r.observedOutcome).toBe('PANIC');
    expect(r.unpackError).toMatch(/^Initramfs unpacking failed/);
    expect(r.panic?.line).toMatch(/VFS: Unable to mount root fs/);
  });

  it('fails a real panic that does not match the expectation, saying expected vs observed', () => {
    const r = result('wrong-errno');
    expect(r.outcome).toBe('FAIL');
    expect(r.observedOutcome).toBe('PANIC');
    expect(r.reason).toMatch(/^expected PANIC with a console line matching .*failed: -5\$\/m, none does; panic line ".*superblock check failed: -22"$/);
  });

  it('attaches the extra disk read-only as /dev/vda and records it', async () => {
    const r = result('with-disk');
    expect(r.outcome, why(r)).toBe('PASS');
    expect(r.disk).toMatchObject({ format: 'erofs', compress: 'lz4hc', path: path.join(r.runDir, 'disk.erofs.lz4hc') });
    expect((await fs.stat(r.disk?.path ?? '')).size).toBe(r.disk?.bytes);
    expect(r.qemu?.argv).toContain(`file=${r.disk?.path},if=virtio,format=raw,readonly=on`);
    const sizeCheck = await fs.readFile(path.join(r.runDir, r.checks[0]?.stdoutFile ?? ''), 'utf8');
    expect(sizeCheck.trim()).toBe(`1\n${r.disk?.bytes}`);
  });

  it('iofs vm test takes a pattern', async () => {
    const run = await execa('node', [iofs, 'vm', 'test', 'kmode-corrupt-sb-*', '--accel', 'tcg'], {
      reject: false, env: { CI: '1' }, timeout: 20 * 60_000,
    });
    expect(run.exitCode, `${run.stdout}\n${String(run.stderr).slice(-2000)}`).toBe(0);
    expect(String(run.stdout)).toMatch(/^PASS kmode-corrupt-sb-cut .*panicked as expected/m);
  });
});
