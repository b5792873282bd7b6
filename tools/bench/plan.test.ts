import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testVmsDir } from '../common/paths.js';
import { planPayload } from '../initrd/index.js';
import { parseMatrix, type BenchMatrix } from './matrix.js';
import { defaultBenchJobs, planBench, readFileFor } from './plan.js';

const file = path.join(testVmsDir, 'bench', 'test-matrix.json');

function matrix(): BenchMatrix {
  return parseMatrix(
    {
      kernel: { base: '6.12', fragments: ['guest', 'erofs', 'initrd-erofs'], patches: true },
      manifest: '../guest/manifest.json',
      memoryMiB: 1024,
      bootTimeoutS: 120,
      boots: 2,
      sizes: ['64M', '0'],
      modes: [
        { name: 'cpio-gzip', initrd: { format: 'cpio', compress: 'gzip' } },
        { name: 'two-stage', initrd: { manifest: '../two-stage/manifest.json', format: 'cpio', compress: 'gzip' }, disk: { format: 'erofs', compress: 'lz4hc' } },
        { name: 'kernel-bdev', initrd: { format: 'erofs', compress: 'lz4hc' }, append: 'initrd_erofs_backend=bdev' },
        { name: 'kernel-file', initrd: { format: 'erofs', compress: 'lz4hc' }, disabled: 'not yet' },
      ],
      read: { size: '64M', modes: ['cpio-gzip', 'kernel-bdev'] },
    },
    file,
  );
}

describe('planBench', () => {
  it('one cell per enabled mode and size (sizes ascending), plus the read cells; disabled modes are reported', () => {
    const p = planBench(matrix());
    expect(p.cells.map((c) => c.id)).toEqual([
      'cpio-gzip/0', 'cpio-gzip/64M', 'two-stage/0', 'two-stage/64M', 'kernel-bdev/0', 'kernel-bdev/64M', 'cpio-gzip/64M+read', 'kernel-bdev/64M+read',
    ]);
    expect(p.skipped).toEqual([{ mode: 'kernel-file', reason: 'not yet' }]);
  });

  it('boots round-robin: every cell once, then every cell again', () => {
    const p = planBench(matrix(), { read: false });
    expect(p.boots).toHaveLength(12);
    expect(p.boots.slice(0, 6).map((b) => b.boot)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(p.boots.slice(6).map((b) => b.cell.id)).toEqual(p.boots.slice(0, 6).map((b) => b.cell.id));
  });

  it('packs each image once: cells and the read case share them, two-stage has a keyless first stage and the guest on the disk', () => {
    const p = planBench(matrix());
    const ids = p.images.map((i) => i.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual([
      'guest-cpio-gzip-0', 'guest-erofs-lz4hc-0', 'two-stage-cpio-gzip-0-nokey', 'guest-cpio-gzip-64M', 'guest-erofs-lz4hc-64M',
    ]);
    const two = p.cells.find((c) => c.id === 'two-stage/64M')!;
    expect(two.initrd).toMatchObject({ id: 'two-stage-cpio-gzip-0-nokey', payloadBytes: 0, sshKey: false });
    expect(two.disk).toMatchObject({ id: 'guest-erofs-lz4hc-64M', payloadBytes: 64 << 20, sshKey: true, format: 'erofs' });
    const k = p.cells.find((c) => c.id === 'kernel-bdev/64M')!;
    const kr = p.cells.find((c) => c.id === 'kernel-bdev/64M+read')!;
    expect(kr.initrd).toEqual(k.initrd);
    expect(k.disk).toBeUndefined();
  });

  it('the read case appends iofs.read= with the largest payload file after the mode\'s own options', () => {
    const p = planBench(matrix());
    const kr = p.cells.find((c) => c.id === 'kernel-bdev/64M+read')!;
    expect(kr.read).toBe(true);
    expect(kr.append).toBe(`initrd_erofs_backend=bdev iofs.read=${kr.readFile}`);
    const largest = planPayload(64 << 20).reduce((a, b) => (b.size > a.size ? b : a));
    expect(kr.readFile).toBe(`/payload/${largest.rel}`);
    expect(p.cells.find((c) => c.id === 'cpio-gzip/64M')!.append).toBe('');
  });

  it('selections: modes, sizes, boots; no read case when its size is not selected', () => {
    const p = planBench(matrix(), { modes: ['kernel-bdev'], sizes: [{ label: '0', bytes: 0 }], boots: 5 });
    expect(p.cells.map((c) => c.id)).toEqual(['kernel-bdev/0']);
    expect(p.boots).toHaveLength(5);
    expect(p.skipped).toEqual([]);
  });

  it('bad selections are input errors that say what is valid', () => {
    expect(() => planBench(matrix(), { modes: ['cpio-xz'] })).toThrow(/unknown mode "cpio-xz"/);
    expect(() => planBench(matrix(), { modes: ['kernel-file'] })).toThrow(/mode "kernel-file" is disabled in test-matrix\.json: not yet/);
    expect(() => planBench(matrix(), { boots: 0 })).toThrow(/at least 1/);
    expect(() => planBench(matrix(), { sizes: [{ label: '64M', bytes: 64 << 20 }, { label: '64MiB', bytes: 64 << 20 }] })).toThrow(/named twice/);
  });
});

describe('readFileFor', () => {
  it('is deterministic and under the payload directory', () => {
    expect(readFileFor(256 << 20)).toBe(readFileFor(256 << 20));
    expect(readFileFor(64 << 20, '/data/')).toMatch(/^\/data\/usr\/lib\/x86_64-linux-gnu\/\d+\/library-\d+\.so$/);
    expect(() => readFileFor(0)).toThrow(/needs a payload/);
  });
});

describe('defaultBenchJobs', () => {
  const host = { cpus: 2, freeMiB: 20_000, memoryMiB: 4096 };
  it('boots one at a time unless the guest clock is deterministic', () => {
    expect(defaultBenchJobs({ ...host, icountShift: undefined })).toBe(1);
    expect(defaultBenchJobs({ ...host, icountShift: 'auto' })).toBe(1);
    expect(defaultBenchJobs({ ...host, icountShift: 3 })).toBe(2);
  });
  it('is bounded by the CPUs and by the memory the guests need', () => {
    expect(defaultBenchJobs({ ...host, icountShift: 3, cpus: 16 })).toBe(4); // 20000 / (4096 + 512)
    expect(defaultBenchJobs({ ...host, icountShift: 0, freeMiB: 6000 })).toBe(1);
    expect(defaultBenchJobs({ ...host, icountShift: 3, freeMiB: 100 })).toBe(1);
  });
});
