import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { importImage } from './index.js';
import { inspectImage } from './inspect.js';
import { snapshotDir, tempDir } from './testutil.js';

let dir: string;
/** The multi-segment image and what each segment is, built with GNU cpio and the real compressors. */
let image: string;
const segs: Array<{ algo: string; file: string; entries: number }> = [];
const ZERO_PAD = 512;

async function tree(root: string, files: Record<string, string>): Promise<void> {
  for (const [p, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(root, p)), { recursive: true });
    await fs.writeFile(path.join(root, p), content);
  }
}

async function gnuCpio(src: string, out: string): Promise<number> {
  const list = (await execa('find', ['.', '-mindepth', '1'], { cwd: src })).stdout;
  await execa('cpio', ['-o', '-H', 'newc', '-R', '0:0', '--quiet'], { cwd: src, input: list + '\n', stdout: { file: out } });
  return list.split('\n').length;
}

beforeAll(async () => {
  dir = await tempDir();
  const compressors: Record<string, string[] | undefined> = { none: undefined, gzip: ['gzip', '-9', '-n', '-c'], zstd: ['zstd', '-q', '-c'], lz4: ['lz4', '-l', '-q', '-c'], xz: ['xz', '--check=crc32', '-c'] };
  for (const [i, algo] of Object.keys(compressors).entries()) {
    const src = path.join(dir, `seg${i}`);
    if (i === 0) await tree(src, { 'kernel/x86/microcode/GenuineIntel.bin': 'microcode\n' });
    else await tree(src, { [`etc/seg${i}.conf`]: `segment ${i}\n`.repeat(1000 * i), 'etc/shared.conf': `from segment ${i}\n`, [`usr/lib/lib${algo}.so`]: Buffer.alloc(70_000 * i, i).toString() });
    if (i === 2) {
      await fs.symlink(`seg${i}.conf`, path.join(src, 'etc/link'));
      await fs.link(path.join(src, 'etc/seg2.conf'), path.join(src, 'etc/seg2.hard'));
      await fs.chmod(path.join(src, 'etc/seg2.conf'), 0o600);
    }
    const rawFile = path.join(dir, `seg${i}.cpio`);
    const entries = await gnuCpio(src, rawFile);
    const cmd = compressors[algo];
    const file = cmd ? `${rawFile}.${algo}` : rawFile;
    if (cmd) await execa(cmd[0]!, [...cmd.slice(1), rawFile], { stdout: { file } });
    segs.push({ algo, file, entries });
  }
  const parts: Buffer[] = [];
  for (const s of segs) parts.push(await fs.readFile(s.file), Buffer.alloc(ZERO_PAD));
  image = path.join(dir, 'multi.img');
  await fs.writeFile(image, Buffer.concat(parts));
}, 60_000);
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('inspect', () => {
  it('lists every segment of a multi-segment image with offset, length, compression and entry count', async () => {
    const r = await inspectImage(image);
    if (r.kind !== 'cpio') throw new Error('expected cpio');
    let offset = 0;
    const want = [];
    for (const s of segs) {
      const bytes = await fs.readFile(s.file);
      // GNU cpio pads an uncompressed archive with zeros to 512-byte blocks; the
      // segment (as the kernel sees it) ends after TRAILER!!!, the zeros are padding.
      const trailerEnd = bytes.lastIndexOf('TRAILER!!!\0') + 11;
      const length = s.algo === 'none' ? (trailerEnd + 3) & ~3 : bytes.length;
      expect(bytes.subarray(length).every((b) => b === 0)).toBe(true);
      want.push({ offset, length, compression: s.algo, entries: s.entries });
      offset += bytes.length + ZERO_PAD;
    }
    expect(r.segments.map(({ offset, length, compression, entries }) => ({ offset, length, compression, entries }))).toEqual(want);
  });

  it('says clearly that garbage is neither cpio nor EROFS (exit code 2)', async () => {
    const junk = path.join(dir, 'junk');
    await fs.writeFile(junk, 'this is not an image at all, just text\n'.repeat(100));
    await expect(inspectImage(junk)).rejects.toMatchObject({ exitCode: ExitCode.USAGE, message: expect.stringMatching(/neither a cpio initramfs nor an EROFS image/) });
    const bz = path.join(dir, 'junk.bz2');
    await execa('bzip2', ['-c', junk], { stdout: { file: bz } }).catch(() => fs.writeFile(bz, Buffer.from('BZh91AY&SY')));
    await expect(inspectImage(bz)).rejects.toThrow(/neither a cpio initramfs nor an EROFS image \(starts with bzip2 data\)/);
    const truncated = path.join(dir, 'trunc');
    const whole = await fs.readFile(segs[1]!.file);
    await fs.writeFile(truncated, Buffer.concat([await fs.readFile(segs[0]!.file), whole.subarray(0, whole.length / 2)]));
    await expect(inspectImage(truncated)).rejects.toThrow(/segment 1 at offset \d+/);
  });
});

describe('import', () => {
  it('a multi-segment compressed cpio gives back its tree (later segments win, as in the kernel)', async () => {
    // The reference: GNU cpio unpacking each segment in order over one directory.
    const ref = path.join(dir, 'ref');
    await fs.mkdir(ref);
    for (const s of segs) {
      const raw = s.file.replace(/\.(gzip|zstd|lz4|xz)$/, '');
      await execa('cpio', ['-i', '-d', '-u', '-m', '--quiet'], { inputFile: raw, cwd: ref });
    }
    const out = path.join(dir, 'imported.cpio');
    // Everything in one tree, the early microcode segment too (see the next test for the default).
    const r = await importImage({ input: image, format: 'cpio', compress: 'zstd', output: out, keepEarly: false });
    expect(r.skipped).toEqual([]);
    const x = path.join(dir, 'x-imported');
    await fs.mkdir(x);
    const raw = (await execa('zstd', ['-dcq', out], { encoding: 'buffer' })).stdout;
    await execa('cpio', ['-i', '-d', '-m', '--quiet'], { input: raw, cwd: x });
    const got = await snapshotDir(x);
    expect(got).toEqual(await snapshotDir(ref));
    expect(got['/etc/shared.conf']!.size).toBe('from segment 4\n'.length);
    expect(got['/etc/seg2.hard']!.linkGroup).toBe('/etc/seg2.conf');
  });

  it('keeps a leading early cpio in front, byte for byte, and converts the rest (a layered EROFS initrd)', async () => {
    const early = await fs.readFile(segs[0]!.file);
    const end = early.lastIndexOf('TRAILER!!!\0') + 11;
    const earlyLength = (end + 3) & ~3;
    const out = path.join(dir, 'layered.erofs');
    const r = await importImage({ input: image, format: 'erofs', output: out });
    expect(r.early).toEqual({ bytes: earlyLength, files: ['/kernel/x86/microcode/GenuineIntel.bin'] });
    const bytes = await fs.readFile(out);
    expect(bytes.subarray(0, earlyLength).equals(early.subarray(0, earlyLength))).toBe(true);
    expect(bytes.subarray(earlyLength, 4096).every((b) => b === 0)).toBe(true);
    const layers = await inspectImage(out);
    if (layers.kind !== 'cpio') throw new Error(`expected a layered initrd, got ${layers.kind}`);
    expect(layers.segments.map((s) => [s.offset, s.compression])).toEqual([[0, 'none'], [4096, 'erofs']]);
    // The microcode is where the early loader reads it, not in the image.
    const x = path.join(dir, 'x-layered');
    const img = path.join(dir, 'layered-image-only.erofs');
    await fs.writeFile(img, bytes.subarray(4096));
    await execa('fsck.erofs', [`--extract=${x}`, img]);
    expect((await snapshotDir(x))['/kernel/x86/microcode/GenuineIntel.bin']).toBeUndefined();
    expect(await fs.readFile(path.join(x, 'etc/shared.conf'), 'utf8')).toBe('from segment 4\n');
    // As cpio: the early archive first, then the converted main archive.
    const cpioOut = path.join(dir, 'layered.cpio');
    await importImage({ input: image, format: 'cpio', compress: 'gzip', output: cpioOut });
    const c = await inspectImage(cpioOut);
    expect(c.kind === 'cpio' && c.segments.map((s) => s.compression)).toEqual(['none', 'gzip']);
  });

  it('finds the early segments as the generators write them, and never the whole image', async () => {
    const { earlySegmentCount } = await import('./importer.js');
    const seg = (compression: string, ...names: string[]) => ({ compression, names });
    expect(earlySegmentCount([seg('none', '', 'kernel', 'kernel/x86/microcode/AuthenticAMD.bin'), seg('zstd', 'init')])).toBe(1);
    expect(earlySegmentCount([seg('none', 'early_cpio', 'kernel/x86/microcode/GenuineIntel.bin'), seg('none', 'kernel/firmware/acpi/ssdt.aml'), seg('gzip', 'init')])).toBe(2);
    expect(earlySegmentCount([seg('none', 'kernel/x86/microcode/GenuineIntel.bin', 'etc/passwd'), seg('zstd', 'init')])).toBe(0);
    expect(earlySegmentCount([seg('gzip', 'kernel/x86/microcode/GenuineIntel.bin'), seg('zstd', 'init')])).toBe(0);
    expect(earlySegmentCount([seg('none', 'kernel/x86/microcode/GenuineIntel.bin')])).toBe(0);
  });

  it.each([
    ['tar', ['-cf']],
    ['tar.gz', ['-czf']],
    ['tar.xz', ['-cJf']],
    ['tar.zst', ['--zstd', '-cf']],
  ])('a rootfs %s becomes an EROFS image with the same tree', async (ext, flags) => {
    const src = path.join(dir, `rootfs-${ext}`);
    await tree(src, { 'bin/tool': '#!/bin/sh\n', 'etc/os-release': 'ID=test\n', 'usr/share/big': 'x'.repeat(300_000) });
    await fs.symlink('usr/share', path.join(src, 'share'));
    await fs.link(path.join(src, 'bin/tool'), path.join(src, 'bin/tool2'));
    await fs.chmod(path.join(src, 'bin/tool'), 0o755);
    await execa('mknod', [path.join(src, 'null'), 'c', '1', '3']);
    const tarball = path.join(dir, `rootfs.${ext}`);
    await execa('tar', [...flags, tarball, '--owner=0', '--group=0', '-C', src, '.']);
    const out = path.join(dir, `rootfs-${ext}.erofs`);
    await importImage({ input: tarball, format: 'erofs', output: out });
    const x = path.join(dir, `x-rootfs-${ext}`);
    await execa('fsck.erofs', [`--extract=${x}`, out]);
    const noLinks = (s: Record<string, object>): Record<string, object> => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { ...v, linkGroup: undefined }]));
    expect(noLinks(await snapshotDir(x))).toEqual(noLinks(await snapshotDir(src)));
  });

  it('refuses an EROFS image as import input and leaves no output', async () => {
    const erofs = path.join(dir, 'rootfs-tar.erofs');
    const out = path.join(dir, 'never.cpio');
    await expect(importImage({ input: erofs, format: 'cpio', output: out })).rejects.toThrow(/is an EROFS image/);
    await expect(importImage({ input: image, format: 'cpio', compress: 'brotli', output: out })).rejects.toThrow('unknown cpio compression "brotli": valid are none, gzip, zstd, lz4, xz');
    await expect(fs.stat(out)).rejects.toThrow();
  });
});

describe('lz4 legacy segment boundaries', () => {
  it('tells real lz4 blocks from a following header that looks like a block size', async () => {
    const { isLz4Block } = await import('./segments.js');
    const data = Buffer.from('hello hello hello hello, this is lz4 block content '.repeat(200));
    const frame = Buffer.from((await execa('lz4', ['-l', '-9', '-c'], { input: data, encoding: 'buffer' })).stdout);
    const block = frame.subarray(8, 8 + frame.readUInt32LE(4));
    expect(isLz4Block(block)).toBe(true);
    const gz = (await import('node:zlib')).gzipSync(Buffer.from('x'));
    expect(gz.readUInt32LE(0)).toBe(0x88b1f); // FLG 0: reads as a plausible block size
    expect(isLz4Block(gz.subarray(4))).toBe(false);
    expect(isLz4Block(Buffer.alloc(100))).toBe(false);
  });

  it('an lz4 segment directly followed by a gzip one (no padding) splits where it should', async () => {
    const { Tree } = await import('./tree.js');
    const { writeCpioImage } = await import('./pack.js');
    const a = new Tree();
    a.add('/a', { type: 'file', mode: 0o644, size: 3, content: { kind: 'bytes', data: Buffer.from('aaa') } }, 'test');
    const b = new Tree();
    b.add('/b/c', { type: 'file', mode: 0o600, size: 1, content: { kind: 'bytes', data: Buffer.from('c') } }, 'test');
    const out = path.join(dir, 'lz4-then-gzip');
    await writeCpioImage(out, [{ tree: a, compression: { algo: 'lz4', level: undefined } }, { tree: b, compression: { algo: 'gzip', level: undefined } }]);
    const r = await inspectImage(out);
    expect(r.kind === 'cpio' && r.segments.map((s) => [s.compression, s.entries])).toEqual([['lz4', 1], ['gzip', 2]]);
  });
});
