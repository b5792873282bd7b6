import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packInitrd } from './index.js';
import { buildTree } from './build.js';
import { ByteReader, cpioArchiveBytes, readCpioArchive, type CpioEntry } from './cpio.js';
import { inspectImage } from './inspect.js';
import { loadManifest } from './manifest.js';
import { writeCpioImage } from './pack.js';
import { Tree } from './tree.js';
import { makeFixture, snapshotDir, snapshotTree, tempDir, type Snapshot } from './testutil.js';

let dir: string;
let manifestPath: string;
let expected: Snapshot;

beforeAll(async () => {
  dir = await tempDir();
  manifestPath = await makeFixture(dir);
  expected = await snapshotTree(await buildTree(await loadManifest(manifestPath)));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const DECOMPRESS: Record<string, string[] | undefined> = {
  none: undefined,
  gzip: ['gzip', '-dc'],
  zstd: ['zstd', '-dcq'],
  lz4: ['lz4', '-dcq'],
  xz: ['xz', '-dc'],
};

async function decompressed(image: string, algo: string): Promise<string> {
  const cmd = DECOMPRESS[algo];
  if (!cmd) return image;
  const out = `${image}.raw`;
  await execa(cmd[0]!, [...cmd.slice(1), image], { stdout: { file: out } });
  return out;
}

describe('cpio newc writer, read back by GNU cpio', () => {
  it.each(Object.keys(DECOMPRESS))('compression %s: cpio -t lists and cpio -i extracts the manifest byte for byte', async (algo) => {
    const image = path.join(dir, `out-${algo}.cpio`);
    const r = await packInitrd({ manifestPath, format: 'cpio', compress: algo, output: image });
    expect(r.bytes).toBe((await fs.stat(image)).size);
    const raw = await decompressed(image, algo);
    const listed = await execa('cpio', ['-t', '--quiet'], { inputFile: raw });
    expect(listed.stdout.split('\n').sort()).toEqual(Object.keys(expected).map((p) => p.slice(1)).sort());
    const out = path.join(dir, `x-${algo}`);
    await fs.mkdir(out);
    await execa('cpio', ['-i', '-d', '-m', '--no-absolute-filenames', '--quiet'], { inputFile: raw, cwd: out });
    expect(await snapshotDir(out)).toEqual(expected);
  });

  it.each(['none', 'gzip', 'zstd', 'lz4', 'xz'])('inspect finds one %s segment spanning the file with every entry', async (algo) => {
    const image = path.join(dir, `out-${algo}.cpio`);
    const r = await inspectImage(image);
    const size = (await fs.stat(image)).size;
    expect(r).toMatchObject({ kind: 'cpio', segments: [{ offset: 0, length: size, compression: algo, entries: Object.keys(expected).length }] });
  });

  it('magic of each compression is what the kernel detects', async () => {
    const magics: Record<string, string> = { none: '303730373031', gzip: '1f8b', zstd: '28b52ffd', lz4: '02214c18', xz: 'fd377a585a00' };
    for (const [algo, magic] of Object.entries(magics)) {
      const head = (await fs.readFile(path.join(dir, `out-${algo}.cpio`))).subarray(0, magic.length / 2);
      expect(head.toString('hex')).toBe(magic);
    }
    // xz for the kernel needs CRC32 (check type 1 in the stream flags)
    const xz = await fs.readFile(path.join(dir, 'out-xz.cpio'));
    expect(xz[7]).toBe(1);
  });

  it.each(['none', 'gzip', 'zstd', 'lz4', 'xz'])('packing twice gives identical bytes (%s)', async (algo) => {
    const a = path.join(dir, `twice-a-${algo}`);
    const b = path.join(dir, `twice-b-${algo}`);
    await packInitrd({ manifestPath, format: 'cpio', compress: algo, output: a });
    await packInitrd({ manifestPath, format: 'cpio', compress: algo, output: b });
    expect((await fs.readFile(a)).equals(await fs.readFile(b))).toBe(true);
  });

  it('headers: uid/gid 0, mtime from SOURCE_DATE_EPOCH, inodes 1..n in sorted order, nlink of hard links, data on the last link', async () => {
    const image = path.join(dir, 'epoch.cpio');
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    try {
      await packInitrd({ manifestPath, format: 'cpio', compress: 'none', output: image });
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
    const entries: CpioEntry[] = [];
    const count = await readCpioArchive(ByteReader.from(createReadStream(image)), async (e) => void entries.push(e), image);
    expect(count).toBe(Object.keys(expected).length);
    expect(entries.map((e) => e.name)).toEqual([...entries.map((e) => e.name)].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y))));
    for (const e of entries) {
      expect([e.uid, e.gid, e.mtime]).toEqual([0, 0, 1_700_000_000]);
    }
    const hello = entries.find((e) => e.name === 'usr/bin/hello')!;
    const again = entries.find((e) => e.name === 'usr/bin/hello-again')!;
    expect(hello.ino).toBe(again.ino);
    expect([hello.nlink, again.nlink]).toEqual([2, 2]);
    // "usr/bin/hello" sorts before "usr/bin/hello-again": the data goes on the latter.
    expect([hello.size, again.size]).toEqual([0, 21]);
    const inos = entries.filter((e) => e !== again).map((e) => e.ino);
    expect(inos).toEqual(inos.map((_, i) => i + 1));
    expect(entries.find((e) => e.name === 'dev/vda')).toMatchObject({ rdevmajor: 254, rdevminor: 0, mode: 0o060660 });
  });

  it('aborting through the signal leaves nothing at the output path (cpio and EROFS)', async () => {
    const outDir = path.join(dir, 'abort');
    await fs.mkdir(outDir);
    for (const format of ['cpio', 'erofs'] as const) {
      const ac = new AbortController();
      const packing = packInitrd({ manifestPath, format, compress: format === 'cpio' ? 'xz' : 'lz4hc', payloadBytes: 256 << 20, output: path.join(outDir, format), signal: ac.signal });
      setTimeout(() => ac.abort(), 300);
      await expect(packing).rejects.toThrow(/abort/i);
      expect(await fs.readdir(outDir)).toEqual([]);
    }
  });

  it('leaves nothing at the output path when a source changes mid-write', async () => {
    for (const algo of ['none', 'gzip', 'zstd'] as const) {
      const outDir = path.join(dir, `fail-${algo}`);
      await fs.mkdir(outDir);
      const src = path.join(outDir, 'src');
      await fs.writeFile(src, 'short');
      const tree = new Tree();
      tree.add('/a', { type: 'file', mode: 0o644, size: 5, content: { kind: 'bytes', data: Buffer.alloc(5 << 20) } }, 'test');
      tree.add('/b', { type: 'file', mode: 0o644, size: 99, content: { kind: 'host', path: src } }, 'test');
      const out = path.join(outDir, 'image');
      await expect(writeCpioImage(out, [{ tree, compression: { algo, level: undefined } }])).rejects.toMatchObject({ name: 'InputError', message: expect.stringMatching(/changed size while packing/) });
      expect(await fs.readdir(outDir)).toEqual(['src']);
    }
  });
});

describe('cpioArchiveBytes', () => {
  it('writes a newc archive GNU cpio reads back', async () => {
    const dir = await tempDir();
    try {
      const bytes = cpioArchiveBytes([{ name: 'kernel/x86/microcode/GenuineIntel.bin', content: Buffer.from('mc\n') }, { name: 'etc/x', content: Buffer.from('odd'), mode: 0o600 }]);
      expect(bytes.length % 4).toBe(0);
      await execa('cpio', ['-i', '-d', '--quiet'], { input: bytes, cwd: dir });
      expect(await fs.readFile(path.join(dir, 'kernel/x86/microcode/GenuineIntel.bin'), 'utf8')).toBe('mc\n');
      expect(((await fs.stat(path.join(dir, 'etc/x'))).mode & 0o777).toString(8)).toBe('600');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
