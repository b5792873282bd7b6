/**
 * Real boots under QEMU (TCG): the cpio guest passes its checks over SSH, and
 * the bad cases are classified: a garbage initrd is PANIC with the panic line
 * quoted, a guest that never starts sshd is BOOT-TIMEOUT within the bound, a
 * missing kernel is a usage error before QEMU starts.
 *
 * The kernel is the core tier's (the patched primary base, see testkernel.ts)
 * (incremental: shared with the kernel tests through the cache). For quick
 * development runs, IOFS_TEST_KERNEL=/path/to/bzImage skips the build.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { repoRoot } from '../common/paths.js';
import { buildKernel } from '../kernel/index.js';
import type { RunResult } from './runner.js';
import { loadScenario } from './scenario.js';
import { coreKernelSpec } from './testkernel.js';

const iofs = path.join(repoRoot, 'tools', 'cli', 'iofs.mjs');
const envKernel = process.env.IOFS_TEST_KERNEL;
let tmp: string;
let kernel: string;
let KERNEL: Awaited<ReturnType<typeof coreKernelSpec>>;

function iofsVm(args: string[]) {
  return execa('node', [iofs, 'vm', ...args], { reject: false, env: { CI: '1' }, timeout: 20 * 60_000 });
}

/** The summary lines on stdout → the results.json each names. */
async function resultsOf(stdout: string): Promise<Map<string, RunResult>> {
  const out = new Map<string, RunResult>();
  for (const line of stdout.split('\n').filter((l) => l.includes(' | '))) {
    const runDir = line.split(' | ').pop()?.trim() ?? '';
    if (!runDir.startsWith('/')) continue;
    const r = JSON.parse(await fs.readFile(path.join(runDir, 'results.json'), 'utf8')) as RunResult;
    out.set(r.scenario, r);
  }
  return out;
}

async function writeScenario(name: string, json: unknown): Promise<string> {
  const file = path.join(tmp, `${name}.json`);
  await fs.writeFile(file, JSON.stringify(json, null, 2));
  return file;
}

const guestManifest = path.join(repoRoot, 'test-vms', 'guest', 'manifest.json');

beforeAll(async () => {
  KERNEL = await coreKernelSpec();
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-vm-int-'));
  kernel = envKernel ?? (await buildKernel({ base: KERNEL.base, fragments: KERNEL.fragments, withPatches: true })).bzImage;
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('iofs vm test', () => {
  it('boots the cpio guest and passes its checks over SSH; a failing check is FAIL, naming it', async () => {
    const failing = await writeScenario('failing', {
      description: 'same guest, one check that cannot pass',
      kernel: KERNEL,
      initrd: { manifest: guestManifest, format: 'cpio', compress: 'gzip' },
      bootTimeoutS: 90,
      checks: [
        { name: 'root is tmpfs', run: 'stat -f -c %T /', expect: { stdout: 'tmpfs' } },
        { name: 'root is an overlay', run: 'cat /proc/mounts', expect: { stdoutMatches: '^overlay / overlay ' } },
      ],
    });
    const junit = path.join(tmp, 'junit.xml');
    // Without IOFS_TEST_KERNEL the runner builds the kernel itself (a no-op after beforeAll).
    const kernelArgs = envKernel ? ['--kernel', envKernel] : [];
    // kmode-cpio-gzip: the cpio guest on the core tier's kernel (cpio-gzip wants the pristine build, a second kernel).
    const r = await iofsVm(['test', 'kmode-cpio-gzip', failing, '--jobs', '2', '--keep-going', '--accel', 'tcg', '--junit', junit, ...kernelArgs]);
    expect(r.exitCode, `${r.stdout}\n${String(r.stderr).slice(-3000)}`).toBe(ExitCode.FAIL);
    const results = await resultsOf(String(r.stdout));

    const pass = results.get('kmode-cpio-gzip');
    expect(pass?.outcome, pass?.reason).toBe('PASS');
    expect(pass?.kernelRelease?.startsWith(KERNEL.base)).toBe(true);
    // Every check of the scenario file ran and held (rootfs as /, PID 1, packed bytes, dmesg, taint).
    const cpioGzipChecks = (await loadScenario('kmode-cpio-gzip')).checks.map((c) => c.name);
    expect(cpioGzipChecks).toContain('root fs is the initramfs rootfs');
    expect(pass?.checks.map((c) => [c.name, c.ok])).toEqual(cpioGzipChecks.map((n) => [n, true]));
    expect(pass?.accel).toEqual({ accel: 'tcg', why: 'requested (--accel tcg)' });
    expect(pass?.initrd?.format).toBe('cpio');
    const t = pass?.timings;
    expect(t?.qemuStartToFirstConsoleByteS).toBeGreaterThan(0);
    expect(t?.kernelRunInitS).toBeGreaterThan(0);
    expect(t?.markerInitUptimeS).toBeGreaterThan(t?.kernelRunInitS ?? 0);
    expect(t?.memAvailableKbAtInit).toBeGreaterThan(100_000);
    expect(t?.wallToSshReadyS).toBeGreaterThan(t?.qemuStartToFirstConsoleByteS ?? 0);
    const runDir = pass?.runDir ?? '';
    expect(await fs.readFile(path.join(runDir, 'checks', '01-kernel-release.stdout'), 'utf8')).toBe(`${pass?.kernelRelease}\n`);
    expect(await fs.readFile(path.join(runDir, 'console.log'), 'utf8')).toMatch(/^\[\+\d+\.\d{3}s\] .*Run \/init as init process$/m);
    const argv = JSON.parse(await fs.readFile(path.join(runDir, 'qemu-argv.json'), 'utf8')) as string[];
    expect(argv.find((a) => a.includes('hostfwd'))).toMatch(/^user,id=n0,hostfwd=tcp:127\.0\.0\.1:\d+-:22$/);

    const fail = results.get('failing');
    expect(fail?.outcome).toBe('FAIL');
    expect(fail?.reason).toMatch(/^check "root is an overlay" failed: stdout ".*" does not match/);
    expect(fail?.checks.map((c) => c.ok)).toEqual([true, false]);
    // Two guests at once: different ports and run directories.
    expect(fail?.qemu?.sshPort).not.toBe(pass?.qemu?.sshPort);
    expect(fail?.runDir).not.toBe(pass?.runDir);

    const xml = await fs.readFile(junit, 'utf8');
    // One test case per boot and one per check: kmode-cpio-gzip's, then the failing scenario's two.
    expect(xml).toContain(`<testsuites name="iofs vm test" tests="${1 + cpioGzipChecks.length + 1 + 2}" failures="1" errors="0"`);
    expect(xml).toContain('<testcase classname="failing" name="root is an overlay"');
  });

  it('a garbage initrd is PANIC, quoting the panic line', async () => {
    const garbage = path.join(tmp, 'garbage.img');
    // Deterministic junk: not gzip, not cpio, not anything.
    await fs.writeFile(garbage, Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 7919 + 13) % 251)));
    const file = await writeScenario('garbage', {
      kernel: KERNEL,
      initrd: { image: garbage },
      bootTimeoutS: 120,
      checks: [],
    });
    const started = Date.now();
    const r = await iofsVm(['test', file, '--kernel', kernel, '--accel', 'tcg']);
    expect(r.exitCode, `${r.stdout}\n${String(r.stderr).slice(-3000)}`).toBe(ExitCode.PANIC);
    // QEMU exits on the panic (panic=-1, -no-reboot): no waiting for the bound.
    expect(Date.now() - started).toBeLessThan(60_000);
    const res = (await resultsOf(String(r.stdout))).get('garbage');
    expect(res?.outcome).toBe('PANIC');
    expect(res?.reason).toMatch(/Kernel panic - not syncing: (VFS: Unable to mount root fs|No working init found)/);
    expect(res?.panic?.context.some((l) => l.includes('Kernel panic - not syncing'))).toBe(true);
    expect(res?.unpackError).toMatch(/^Initramfs unpacking failed/);
    expect(await fs.readFile(path.join(res?.runDir ?? '', 'panic.txt'), 'utf8')).toContain('Kernel panic - not syncing');
    expect(String(r.stdout)).toMatch(/^PANIC garbage /m);
  });

  it('a guest that never starts sshd is BOOT-TIMEOUT within the bound', async () => {
    const dir = path.join(tmp, 'sleeper');
    await fs.mkdir(dir);
    await fs.writeFile(path.join(dir, 'init'), '#!/bin/sh\n/bin/busybox mount -t devtmpfs devtmpfs /dev\necho "sleeper: no sshd here" >/dev/console\nexec /bin/busybox sleep 100000\n');
    await fs.writeFile(path.join(dir, 'manifest.json'), JSON.stringify({
      description: 'an /init that sleeps forever',
      binaries: ['/bin/busybox'],
      files: [{ src: 'init', dst: '/init', mode: '0755' }],
      dirs: [{ path: '/dev', mode: '0755' }, { path: '/proc', mode: '0555' }],
      symlinks: [{ path: '/bin/sh', target: 'busybox' }],
    }));
    const bound = 20;
    const file = await writeScenario('sleeper', {
      kernel: KERNEL,
      initrd: { manifest: path.join(dir, 'manifest.json'), format: 'cpio', compress: 'none' },
      bootTimeoutS: bound,
      checks: [{ name: 'never runs', run: 'true', expect: {} }],
    });
    const started = Date.now();
    const r = await iofsVm(['test', file, '--kernel', kernel, '--accel', 'tcg']);
    const tookS = (Date.now() - started) / 1000;
    expect(r.exitCode, `${r.stdout}\n${String(r.stderr).slice(-3000)}`).toBe(ExitCode.BOOT_TIMEOUT);
    expect(tookS).toBeLessThan(bound + 25);
    const res = (await resultsOf(String(r.stdout))).get('sleeper');
    expect(res?.outcome).toBe('BOOT-TIMEOUT');
    expect(res?.reason).toMatch(new RegExp(`^no SSH login within ${bound}s: no SSH after \\d+ attempts .*; last console line: `));
    expect(await fs.readFile(path.join(res?.runDir ?? '', 'console.log'), 'utf8')).toMatch(/^\[\+\d+\.\d{3}s\] sleeper: no sshd here$/m);
    expect(res?.checks).toEqual([]);
    expect(res?.qemu?.exit).toBeDefined();
    // QEMU is gone when the command returns.
    const ps = await execa('ps', ['-eo', 'args'], { reject: false });
    expect(String(ps.stdout)).not.toContain(res?.initrd?.path ?? 'never');
  });

  it('a kernel or disk path that does not exist is a clear error before QEMU starts', async () => {
    const missing = path.join(tmp, 'no-such-bzImage');
    for (const args of [['test', 'cpio-gzip', '--kernel', missing], ['boot', '--kernel', missing, '--initrd', '/dev/null']]) {
      const r = await iofsVm(args);
      expect(r.exitCode).toBe(ExitCode.USAGE);
      expect(String(r.stderr)).toContain(`error: kernel ${missing}: no such file`);
      expect(String(r.stdout)).toBe('');
    }
    const noDisk = path.join(tmp, 'no-such-disk.erofs');
    const r = await iofsVm(['boot', '--kernel', kernel, '--disk', noDisk]);
    expect(r.exitCode).toBe(ExitCode.USAGE);
    expect(String(r.stderr)).toContain(`error: disk ${noDisk}: no such file`);
  });
});
