/**
 * Issue 14's proof, booted for real: the patched primary kernel cross-built
 * for arm64 (the core tier's fragments, guest replaced by guest-arm64 as
 * kernel-patches/arches.json says), the guest's busybox and dropbear from
 * Debian's arm64 packages, qemu-system-aarch64 -machine virt under TCG, and
 * every kmode scenario with the same SSH checks: kernel mode with the
 * in-place, file and bdev backends, the cpio guest unchanged on the same
 * kernel, layered initrds, and the documented panics of corrupted images.
 * The initrd reaches the kernel through the device tree's /chosen node, as
 * an arm64 bootloader passes it.
 *
 * Full tier: a cold arm64 cross build of 7.3 takes about half an hour on 2
 * busy cores (test-vms/arm64.md).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getArch } from '../common/arch.js';
import { repoRoot } from '../common/paths.js';
import type { RunResult } from './runner.js';
import { listScenarios } from './scenario.js';
import { runScenarios } from './suite.js';
import { ResultsByName, why } from './testutil.js';
import { coreKernelSpec } from './testkernel.js';

let tmp: string;
let kmode: string[];
const results = new ResultsByName();
const result = (name: string): RunResult => results.result(name);
const consoleOf = (r: RunResult): Promise<string> => fs.readFile(path.join(r.runDir, 'console.log'), 'utf8');

beforeAll(async () => {
  tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-arm64-int-'));
  // What arches.json declares n/a on arm64 (with its reason) is not run, as `patches status --arch arm64` shows it.
  const arm64 = await getArch('arm64');
  kmode = (await listScenarios()).filter((n) => n.startsWith('kmode-') && !arm64.notApplicable?.[n]);
  // The guest itself says what it runs on, and its busybox is not the host's.
  const machine = path.join(tmp, 'arm64-machine.json');
  await fs.writeFile(machine, JSON.stringify({
    kernel: await coreKernelSpec(),
    initrd: { manifest: path.join(repoRoot, 'test-vms', 'guest', 'manifest.json'), format: 'cpio', compress: 'gzip' },
    bootTimeoutS: 240,
    checks: [
      { name: 'machine', run: 'uname -m', expect: { stdout: 'aarch64' } },
      { name: 'console on the PL011', run: 'cat /proc/cmdline', expect: { stdoutMatches: '^console=ttyAMA0 ' } },
      { name: 'busybox is an AArch64 ELF (e_machine 183)', run: 'hexdump -s 18 -n 2 -e \'1/2 "%u\\n"\' /bin/busybox', expect: { stdout: '183' } },
    ],
  }));
  const suite = await runScenarios({
    scenarios: [...kmode, machine],
    jobs: 1,
    keepGoing: true,
    accel: 'tcg',
    arch: arm64,
    runsDir: path.join(tmp, 'runs'),
  });
  results.add(suite.results);
});

afterAll(async () => {
  if (tmp) await fs.rm(tmp, { recursive: true, force: true });
});

describe('arm64 (issue 14)', () => {
  it('passes every kmode scenario and the machine checks on arm64', () => {
    expect(kmode).toEqual(expect.arrayContaining(['kmode-erofs-inplace', 'kmode-erofs-file', 'kmode-erofs-lz4hc', 'kmode-cpio-gzip', 'kmode-corrupt-truncated', 'kmode-layered-both']));
    for (const name of [...kmode, 'arm64-machine']) expect(result(name).outcome, `${name}: ${why(result(name))}`).toBe('PASS');
  });

  it('booted the cross-built Image in qemu-system-aarch64 -machine virt under TCG', () => {
    const r = result('kmode-erofs-inplace');
    expect(r.arch).toBe('arm64');
    expect(r.accel?.accel).toBe('tcg');
    expect(r.qemu?.argv?.[0]).toBe('qemu-system-aarch64');
    expect(r.qemu?.argv).toContain('virt,accel=tcg');
    expect(r.kernel?.bzImage).toMatch(/\/builds\/[^/]+-arm64-patched-[0-9a-f]{12}\/arch\/arm64\/boot\/Image$/);
    // no_timer_check is x86's: on arm64 it would reach /init as an argument.
    expect(r.commandLine).toMatch(/^console=ttyAMA0 panic=-1 (?!.*no_timer_check)/);
  });

  it('mounts the EROFS initrd in place, from a ramfs file, and from the block device', async () => {
    for (const [name, backend] of [['kmode-erofs-inplace', 'inplace'], ['kmode-erofs-file', 'file'], ['kmode-erofs-lz4hc', 'bdev']] as const) {
      const r = result(name);
      expect(r.initrd?.format).toBe('erofs');
      expect(r.timings.kernelUnpackS, name).toBeUndefined();
      expect(await consoleOf(r)).toMatch(new RegExp(`initrd_erofs: mounted ${r.initrd?.bytes}-byte image \\((compression lz4, )?backend ${backend}\\) as / in \\d+ us`));
    }
  });

  it('unpacks the cpio guest on the same kernel as before', async () => {
    const r = result('kmode-cpio-gzip');
    expect(r.kernel?.buildDir).toBe(result('kmode-erofs-inplace').kernel?.buildDir);
    expect(r.timings.kernelUnpackS).toBeGreaterThan(0);
    expect(await consoleOf(r)).not.toMatch(/initrd_erofs/);
  });
});
