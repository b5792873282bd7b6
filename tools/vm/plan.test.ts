import { describe, expect, it } from 'vitest';
import { initrdFileName, planScenario, runDirName } from './plan.js';
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
    expect(p.boot).toEqual({ append: 'loglevel=7', commandLine: 'console=ttyS0 panic=-1 loglevel=7', memoryMiB: 1024, bootTimeoutS: 45, accel: 'auto' });
    expect(p.hostFiles).toEqual(['/bin/busybox']);
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

describe('names', () => {
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
