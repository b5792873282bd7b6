import { describe, expect, it } from 'vitest';
import { holdsImage, judgeVerification, summarizeVerification } from './verify.js';

describe('holdsImage', () => {
  const image = Buffer.alloc(8192, 7);
  it('finds the unmodified image at 0 or at a 4096-aligned offset after other bytes, whatever those bytes are', () => {
    expect(holdsImage(image, image)).toBe(true);
    expect(holdsImage(Buffer.concat([Buffer.alloc(4096, 0xff), image, Buffer.from('trailing')]), image)).toBe(true);
  });
  it('calls it tampered when one byte differs, when it is cut, or when it sits off the alignment the kernel requires', () => {
    const flipped = Buffer.from(image);
    flipped.writeUInt8(flipped.readUInt8(5000) ^ 1, 5000);
    expect(holdsImage(flipped, image)).toBe(false);
    expect(holdsImage(image.subarray(0, 8191), image)).toBe(false);
    expect(holdsImage(Buffer.concat([Buffer.alloc(512), image]), image)).toBe(false);
  });
});

describe('judgeVerification', () => {
  it('lets an intact image boot, and holds a tampered one to never being mounted', () => {
    expect(judgeVerification(true, { mounted: true })).toBe('intact');
    expect(judgeVerification(true, { mounted: false })).toBe('intact');
    expect(judgeVerification(false, { mounted: false })).toBe('refused');
    expect(judgeVerification(false, { mounted: true })).toBe('mounted-tampered');
  });
});

describe('summarizeVerification', () => {
  it('counts the judged cases and lists the tampered images that mounted, by id', () => {
    const v = summarizeVerification('ab'.repeat(32), 'initrd_erofs_sha256=abab', [
      { id: 0, verify: 'intact' },
      { id: 7, verify: 'mounted-tampered' },
      { id: 3, verify: 'refused' },
      { id: 2, verify: 'mounted-tampered' },
      { id: 5 },
    ]);
    expect(v).toEqual({ sha256: 'ab'.repeat(32), cmdline: 'initrd_erofs_sha256=abab', intact: 1, refused: 1, mountedTampered: [2, 7] });
  });
});

describe('summarize with --verify', () => {
  it('fails the run (oursFailed) when a tampered image mounted, and only then', async () => {
    const { summarize } = await import('./run.js');
    const head = {
      seed: 1, count: 2, interrupted: false, startedAt: '2026-12-02T00:00:00Z', runDir: '/r', kernel: '/k', image: { path: '/r/base.erofs', bytes: 1, sha256: 'cd'.repeat(32) },
      accel: { accel: 'tcg' as const, why: 'asked' }, qemuVersion: 'QEMU 7.2', append: 'x', memoryMiB: 256, boundS: 90, jobs: 1, wallS: 1,
    };
    const booted = { class: 'booted' as const, kind: 'init', line: '', mounted: true, markers: ['init'] };
    const cases = [
      { id: 0, region: 'control' as const, mutation: 'none', edits: [], described: [], verdict: booted, verify: 'intact' as const, wallS: 1, imageBytes: 1, dir: 'cases/000-control' },
      { id: 1, region: 'superblock' as const, mutation: 'flip', edits: [], described: [], verdict: booted, verify: 'mounted-tampered' as const, wallS: 1, imageBytes: 1, dir: 'cases/001-superblock' },
    ];
    const bad = summarize(cases, { ...head, verify: summarizeVerification('cd'.repeat(32), 'initrd_erofs_sha256=cdcd', cases) });
    expect(bad.oursFailed).toBe(true);
    expect(bad.verify?.mountedTampered).toEqual([1]);
    const good = summarize([cases[0]!], { ...head, verify: summarizeVerification('cd'.repeat(32), 'initrd_erofs_sha256=cdcd', [cases[0]!]) });
    expect(good.oursFailed).toBe(false);
  });
});
