import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyImageEdits, inspectImage } from '../initrd/index.js';
import { crc32c, EROFS_SB_OFFSET, parseErofsLayout, superblockChecksum, type ErofsLayout, type Span } from './layout.js';
import { FUZZ_REGIONS, makeRng, planFuzz, regionQuotas } from './plan.js';

let dir: string;
let image: Buffer;
let layout: ErofsLayout;

/** Text that compresses, but not to nothing: lz4hc must emit real clusters. */
function compressible(bytes: number, seed: number): Buffer {
  const rng = makeRng(seed);
  const words = ['erofs', 'initrd', 'overlay', 'tmpfs', 'kernel', 'block', 'inode', 'dirent', 'cluster', 'lz4'];
  let s = '';
  while (s.length < bytes) s += `${rng.pick(words)}${rng.int(0, 999)} `;
  return Buffer.from(s.slice(0, bytes));
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-fuzz-'));
  const root = path.join(dir, 'root');
  await fs.mkdir(path.join(root, 'bin'), { recursive: true });
  await fs.mkdir(path.join(root, 'etc'), { recursive: true });
  await fs.mkdir(path.join(root, 'lib', 'x86_64-linux-gnu'), { recursive: true });
  await fs.writeFile(path.join(root, 'init'), '#!/bin/sh\necho hello\n', { mode: 0o755 });
  await fs.writeFile(path.join(root, 'bin', 'busybox'), compressible(200_000, 1), { mode: 0o755 });
  await fs.symlink('busybox', path.join(root, 'bin', 'sh'));
  await fs.writeFile(path.join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await fs.writeFile(path.join(root, 'lib', 'x86_64-linux-gnu', 'libc.so.6'), compressible(90_000, 2));
  for (let i = 0; i < 40; i++) await fs.writeFile(path.join(root, 'etc', `file-with-a-longish-name-${i}`), `${i}\n`);
  const out = path.join(dir, 'fixture.erofs');
  await execa('mkfs.erofs', ['--quiet', '-T0', '-Uc0ffee00-0000-4000-8000-000000000000', '--all-root', '-x', '-1', '-zlz4hc', out, root]);
  image = await fs.readFile(out);
  layout = parseErofsLayout(image);
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const within = (off: number, spans: readonly Span[]): boolean => spans.some((s) => off >= s.start && off < s.end);

/** Offsets where `b` differs from the base image (over the common length). */
function changed(b: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < Math.min(b.length, image.length); i++) if (b[i] !== image[i]) out.push(i);
  return out;
}

describe('EROFS layout', () => {
  it('finds every path of a mkfs.erofs image, its directories and its compressed clusters', () => {
    const paths = layout.inodes.map((i) => i.path).sort();
    expect(paths).toEqual(expect.arrayContaining(['/', '/bin', '/bin/busybox', '/bin/sh', '/etc', '/etc/passwd', '/init', '/lib/x86_64-linux-gnu/libc.so.6']));
    expect(layout.inodes.find((i) => i.path === '/bin/busybox')).toMatchObject({ type: 'file', layout: expect.stringMatching(/^compressed-/) });
    expect(layout.inodes.find((i) => i.path === '/bin/sh')?.type).toBe('symlink');
    expect(layout.directories.map((d) => d.path)).toEqual(expect.arrayContaining(['/', '/bin', '/etc']));
    expect(layout.dirents.find((d) => d.dir === '/bin' && d.name === 'busybox')).toBeDefined();
    // 290 KB of text at ~3-5x: well over one cluster of compressed data, all inside the claimed blocks.
    const compressedBytes = layout.compressedData.reduce((n, s) => n + s.end - s.start, 0);
    expect(compressedBytes).toBeGreaterThan(4 * layout.blockSize);
    for (const s of layout.compressedData) expect(s.end).toBeLessThanOrEqual(layout.blocks * layout.blockSize);
    // Compressed clusters never overlap metadata or directories.
    for (const i of layout.inodes) expect(within(i.offset, layout.compressedData)).toBe(false);
  });

  it('computes the superblock checksum mkfs.erofs wrote (crc32c, no final inversion)', () => {
    expect((crc32c(0xffffffff, Buffer.from('123456789')) ^ 0xffffffff) >>> 0).toBe(0xe3069283);
    expect(layout.checksummed).toBe(true);
    expect(superblockChecksum(image)).toBe(image.readUInt32LE(EROFS_SB_OFFSET + 4));
  });

  it('rejects what is not EROFS, naming why', () => {
    expect(() => parseErofsLayout(Buffer.alloc(8192))).toThrow(/no magic 0xE0F5E1E2 at byte 1024/);
  });
});

describe('fuzz plan', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = planFuzz(image, layout, { seed: 7, count: 120, memoryMiB: 256 });
    const b = planFuzz(image, layout, { seed: 7, count: 120, memoryMiB: 256 });
    const c = planFuzz(image, layout, { seed: 8, count: 120, memoryMiB: 256 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toHaveLength(120);
    expect(a[0]).toEqual({ id: 0, region: 'control', mutation: 'unmodified image', edits: [] });
    expect(a.map((x) => x.id)).toEqual([...Array(120).keys()]);
  });

  it('gives every region a case, then shares the rest by weight; 300 makes the issue\'s run', () => {
    const q12 = regionQuotas(11);
    expect([...q12.values()].reduce((n, v) => n + v, 0)).toBe(11);
    for (const r of FUZZ_REGIONS) expect(q12.get(r)).toBeGreaterThanOrEqual(1);
    const q = regionQuotas(299);
    expect([...q.values()].reduce((n, v) => n + v, 0)).toBe(299);
    expect(q.get('superblock')).toBeGreaterThan(q.get('magic-garbage') ?? 0);
    const plan = planFuzz(image, layout, { seed: 1, count: 300, memoryMiB: 256 });
    expect(plan).toHaveLength(300);
    // Truncations at many distinct offsets.
    const cuts = new Set(plan.flatMap((c) => c.edits).filter((e) => e.op === 'truncate').map((e) => (e as { length: number }).length));
    expect(cuts.size).toBeGreaterThan(30);
  });

  it('every case applies to the image, and each edits the region it names', () => {
    const plan = planFuzz(image, layout, { seed: 3, count: 300, memoryMiB: 256 });
    const inodeSpans = layout.inodes.map((i) => i.meta);
    const sb: Span[] = [{ start: EROFS_SB_OFFSET, end: EROFS_SB_OFFSET + 128 }];
    for (const c of plan) {
      const out = applyImageEdits(image, c.edits);
      // A recomputed superblock checksum is part of the edit, wherever the rest landed.
      const diff = changed(out).filter((o) => !(/checksum recomputed/.test(c.mutation) && o >= EROFS_SB_OFFSET + 4 && o < EROFS_SB_OFFSET + 8));
      const label = `case ${c.id} ${c.region}: ${c.mutation}`;
      switch (c.region) {
        case 'control':
          expect(out.equals(image), label).toBe(true);
          break;
        case 'superblock':
          expect(diff.length, label).toBeGreaterThan(0);
          expect(diff.every((o) => within(o, sb)), label).toBe(true);
          break;
        case 'inode':
          // A value equal to the old one changes nothing; a flip always does.
          expect(diff.every((o) => within(o, inodeSpans)), label).toBe(true);
          break;
        case 'directory':
          expect(diff.every((o) => within(o, layout.directories)), label).toBe(true);
          break;
        case 'compressed-data':
          expect(diff.length, label).toBeGreaterThan(0);
          expect(diff.every((o) => within(o, layout.compressedData)), label).toBe(true);
          break;
        case 'truncation':
          expect(out.length, label).toBeLessThan(image.length);
          break;
        case 'magic-garbage':
          expect(out.readUInt32LE(EROFS_SB_OFFSET), label).toBe(0xe0f5e1e2);
          break;
        case 'size':
          expect(out.length !== image.length || out.readUInt32LE(EROFS_SB_OFFSET + 36) !== layout.blocks, label).toBe(true);
          break;
      }
      // "checksum recomputed" means EROFS will accept the superblock's crc.
      if (/checksum recomputed/.test(c.mutation)) expect(superblockChecksum(out), label).toBe(out.readUInt32LE(EROFS_SB_OFFSET + 4));
    }
  });

  it('aims chosen superblock values, a lying block count and a magic-only image', () => {
    const plan = planFuzz(image, layout, { seed: 1, count: 300, memoryMiB: 256 });
    const text = plan.map((c) => c.mutation).join('\n');
    expect(text).toMatch(/superblock: blkszbits=0xd /);
    expect(text).toMatch(/superblock: root_nid=0xffff/);
    expect(text).toMatch(/blocks=0xffffffff: claims 16 TiB/);
    expect(text).toMatch(/claims more than the guest's 256 MiB/);
    expect(text).toMatch(/magic followed by \d+ bytes of garbage/);
    expect(text).toMatch(/truncated to \d+ of \d+ bytes, blocks=\d+ to match/);
  });

  it('rejects a count below one', () => {
    expect(() => planFuzz(image, layout, { seed: 1, count: 0, memoryMiB: 256 })).toThrow(/at least 1/);
  });
});

describe('layered initrd cases', () => {
  it('put the image where each case says, around real cpio archives the inspector walks', async () => {
    const cases = planFuzz(image, layout, { seed: 7, count: 40, memoryMiB: 512, regions: ['layers'] });
    const byName = (m: string): Buffer => applyImageEdits(image, cases.find((c) => c.mutation === m)!.edits);
    const aligned = byName('early cpio in front, zero-padded to 4096: the image at 4096');
    expect(aligned.subarray(0, 6).toString('latin1')).toBe('070701');
    expect(aligned.subarray(4096).equals(image)).toBe(true);
    expect(byName('early cpio padded one byte short: the image at 4095').subarray(4095).equals(image)).toBe(true);
    const both = byName('early cpio in front and a cpio archive after the image');
    const file = path.join(dir, 'layered-case.img');
    await fs.writeFile(file, both);
    const r = await inspectImage(file);
    expect(r.kind === 'cpio' && r.segments.map((s) => [s.offset, s.compression])).toEqual([[0, 'none'], [4096, 'erofs'], [4096 + image.length, 'none']]);
    expect(applyImageEdits(image, cases.find((c) => c.mutation === 'two images: the image repeated')!.edits).length).toBe(2 * image.length);
    // Every case is applicable (no edit past the end), and the list does not repeat itself early.
    for (const c of cases) expect(() => applyImageEdits(image, c.edits), c.mutation).not.toThrow();
    expect(new Set(cases.slice(1, 16).map((c) => c.mutation)).size).toBe(15);
  });
});
