import { describe, expect, it } from 'vitest';
import { getArch } from '../common/arch.js';
import { editedFileName, imageFileName, initrdFileName, planScenario, runDirName } from './plan.js';
import { parseScenario } from './scenario.js';

const scenario = parseScenario(
  {
    kernel: { base: '6.12', fragments: ['guest', 'erofs'], patches: true },
    initrd: { manifest: '../guest/manifest.json', format: 'cpio', compress: 'gzip', payload: '1M' },
    append: 'loglevel=7',
    memoryMiB: 1024,
    bootTimeoutS: 45,
    checks: [{ name: 'busybox', run: 'sha256sum /bin/busybox', expect: { stdoutContains: '${hostSha256:/bin/busybox}' } }],
  },
  '/repo/test-vms/scenarios/cpio-gzip.json',
);

describe('planScenario', () => {
  it('asks for a kernel build, a pack into the run directory, and a boot', () => {
    const p = planScenario(scenario, { runDir: '/cache/runs/X-cpio-gzip', accel: 'auto' });
    expect(p.kernel).toEqual({ kind: 'build', request: { base: '6.12', fragments: ['guest', 'erofs'], withPatches: true } });
    expect(p.initrd).toEqual({
      kind: 'pack',
      pack: {
        manifestPath: '/repo/test-vms/guest/manifest.json',
        format: 'cpio',
        compress: 'gzip',
        payloadBytes: 1024 * 1024,
        output: '/cache/runs/X-cpio-gzip/initrd.cpio.gz',
      },
    });
    expect(p.boot).toEqual({ append: 'loglevel=7', commandLine: 'console=ttyS0 panic=-1 no_timer_check loglevel=7', memoryMiB: 1024, bootTimeoutS: 45, accel: 'auto' });
    expect(p.hostFiles).toEqual(['/bin/busybox']);
    expect(p.initrdFiles).toEqual([]);
  });

  it('with --sanitize: the sanitizer fragments last, panic on any report, three times the boot bound', () => {
    const p = planScenario(scenario, { runDir: '/r', accel: 'auto', sanitize: true });
    expect(p.kernel).toEqual({ kind: 'build', request: { base: '6.12', fragments: ['guest', 'erofs', 'debug', 'sanitize'], withPatches: true } });
    expect(p.boot.commandLine).toBe('console=ttyS0 panic=-1 no_timer_check loglevel=7 kasan.fault=panic panic_on_warn=1 softlockup_panic=1 sysctl.kernel.hung_task_panic=1');
    expect(p.boot.bootTimeoutS).toBe(135);
  });

  it('plans another architecture: its kernel build, board and console', async () => {
    const arch = await getArch('arm64');
    const p = planScenario(scenario, { runDir: '/r', accel: 'auto', arch });
    expect(p.kernel).toEqual({ kind: 'build', request: { base: '6.12', fragments: ['guest', 'erofs'], withPatches: true, arch: 'arm64' } });
    expect(p.boot.machine).toEqual({ binary: 'qemu-system-aarch64', debianPackage: 'qemu-system-arm', machine: 'virt', append: 'console=ttyAMA0 panic=-1' });
    expect(p.boot.commandLine).toBe('console=ttyAMA0 panic=-1 loglevel=7');
    expect(p.arch?.name).toBe('arm64');
  });

  it('builds a developer\'s own tree when asked', () => {
    const p = planScenario(scenario, { runDir: '/r', accel: 'auto', tree: '/src/linux' });
    expect(p.kernel).toEqual({ kind: 'build', request: { base: '6.12', fragments: ['guest', 'erofs'], withPatches: true, tree: '/src/linux' } });
    const withRef = planScenario(scenario, { runDir: '/r', accel: 'auto', tree: '/src/linux', baseRef: 'v6.12' });
    expect(withRef.kernel).toEqual({ kind: 'build', request: { base: '6.12', fragments: ['guest', 'erofs'], withPatches: true, tree: '/src/linux', baseRef: 'v6.12' } });
  });

  it('uses a given kernel instead of building, and carries icount', () => {
    const p = planScenario(scenario, { runDir: '/r', accel: 'tcg', kernelOverride: '/k/bzImage', icountShift: 3 });
    expect(p.kernel).toEqual({ kind: 'given', bzImage: '/k/bzImage' });
    expect(p.boot.icountShift).toBe(3);
    expect(p.boot.accel).toBe('tcg');
  });

  it('boots a given initrd image as is', () => {
    const s = parseScenario({ kernel: { base: '6.12' }, initrd: { image: 'junk.img' }, checks: [] }, '/repo/t/s.json');
    expect(planScenario(s, { runDir: '/r', accel: 'tcg' }).initrd).toEqual({ kind: 'image', image: '/repo/t/junk.img' });
  });
});

describe('planScenario: edits, disk, boot expectations', () => {
  const FILE = '/repo/test-vms/scenarios/k.json';
  const base = { kernel: { base: '6.12', patches: true }, initrd: { manifest: '../guest/manifest.json', format: 'erofs', compress: 'lz4hc' }, checks: [] };

  it('keeps the pristine image and boots an edited copy beside it', () => {
    const s = parseScenario({ ...base, initrd: { ...base.initrd, edits: [{ op: 'truncate', length: 8192 }] } }, FILE);
    const p = planScenario(s, { runDir: '/r', accel: 'tcg' });
    expect(p.initrd).toMatchObject({ kind: 'pack', pack: { output: '/r/initrd.erofs.lz4hc' } });
    expect(p.initrd.edits).toEqual({ edits: [{ op: 'truncate', length: 8192 }], editedOutput: '/r/initrd-edited.erofs.lz4hc' });
    const given = parseScenario({ ...base, initrd: { image: '/img/x.erofs', edits: [{ op: 'flip', offset: 0, bit: 1 }] } }, FILE);
    expect(planScenario(given, { runDir: '/r', accel: 'tcg' }).initrd.edits?.editedOutput).toBe('/r/x-edited.erofs');
  });

  it('packs the disk into the run directory like the initrd', () => {
    const s = parseScenario({ ...base, disk: { manifest: '../guest/manifest.json', format: 'erofs', compress: 'lz4hc', payload: '64M' } }, FILE);
    expect(planScenario(s, { runDir: '/r', accel: 'tcg' }).disk).toEqual({
      kind: 'pack',
      pack: { manifestPath: '/repo/test-vms/guest/manifest.json', format: 'erofs', compress: 'lz4hc', payloadBytes: 64 * 1024 * 1024, output: '/r/disk.erofs.lz4hc' },
    });
    expect(planScenario(parseScenario(base, FILE), { runDir: '/r', accel: 'tcg' }).disk).toBeUndefined();
  });

  it('waits no longer for an expected panic than its bound', () => {
    const s = parseScenario({ ...base, bootTimeoutS: 120, expectBoot: { outcome: 'PANIC', withinS: 60, consoleContains: 'Kernel panic' } }, FILE);
    const p = planScenario(s, { runDir: '/r', accel: 'tcg' });
    expect(p.boot.bootTimeoutS).toBe(60);
    expect(p.expectBoot).toEqual({ outcome: 'PANIC', withinS: 60, consoleContains: ['Kernel panic'] });
    expect(planScenario(parseScenario({ ...base, bootTimeoutS: 120 }, FILE), { runDir: '/r', accel: 'tcg' }).boot.bootTimeoutS).toBe(120);
  });
});

describe('names', () => {
  it('edited images keep what they are in their name', () => {
    expect(editedFileName('/r/initrd.erofs.lz4hc')).toBe('initrd-edited.erofs.lz4hc');
    expect(editedFileName('/img/initrd')).toBe('initrd-edited');
    expect(imageFileName('disk', 'erofs', 'none')).toBe('disk.erofs');
  });
  it('initrd files say what they are', () => {
    expect(initrdFileName('cpio', 'none')).toBe('initrd.cpio');
    expect(initrdFileName('cpio', 'zstd')).toBe('initrd.cpio.zst');
    expect(initrdFileName('erofs', 'lz4hc,12')).toBe('initrd.erofs.lz4hc-12');
    expect(initrdFileName('erofs', 'none')).toBe('initrd.erofs');
  });
  it('run directories sort by UTC time and name the scenario', () => {
    expect(runDirName(new Date('2026-11-25T22:15:03.456Z'), 'cpio gzip/x')).toBe('20261125T221503Z-cpio_gzip_x');
  });
});
