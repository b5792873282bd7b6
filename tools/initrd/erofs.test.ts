import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { packInitrd } from './index.js';
import { buildTree } from './build.js';
import { inspectImage } from './inspect.js';
import { loadManifest } from './manifest.js';
import { parseErofsCompression } from './erofs.js';
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

describe('EROFS images via mkfs.erofs', () => {
  it.each(['none', 'lz4', 'lz4hc', 'lz4hc,12'])('compression %s: fsck.erofs passes and --extract gives the manifest tree', async (compress) => {
    const image = path.join(dir, `img-${compress}.erofs`);
    await packInitrd({ manifestPath, format: 'erofs', compress, output: image });
    const out = path.join(dir, `x-${compress}`);
    await execa('fsck.erofs', [`--extract=${out}`, image]);
    const actual = await snapshotDir(out);
    // fsck.erofs 1.5 extracts hard links as separate copies and drops set-id
    // bits of regular files: compare those by content and 0777 here, and check
    // the image's own inodes in the tests below.
    const relaxed = (s: Snapshot): Snapshot =>
      Object.fromEntries(Object.entries(s).map(([k, v]) => [k, { ...v, linkGroup: undefined, mode: v.type === 'file' && v.mode ? '0' + v.mode.slice(1) : v.mode }]));
    expect(relaxed(actual)).toEqual(relaxed(expected));
  });

  it('keeps set-id bits in the image inode (i_mode read from the image)', async () => {
    const image = path.join(dir, 'img-none.erofs');
    const buf = await fs.readFile(image);
    const dump = await execa('dump.erofs', ['--path=/sbin/suid', image]);
    const nid = Number(/NID:\s*(\d+)/.exec(dump.stdout)![1]);
    const metaBlkAddr = buf.readUInt32LE(1024 + 40);
    const iMode = buf.readUInt16LE(metaBlkAddr * 4096 + nid * 32 + 4);
    expect(iMode.toString(8)).toBe('104755');
  });

  it('keeps hard links (one inode, nlink 2) in the image', async () => {
    const image = path.join(dir, 'img-none.erofs');
    const r = await execa('dump.erofs', ['--path=/usr/bin/hello', image]);
    const r2 = await execa('dump.erofs', ['--path=/usr/bin/hello-again', image]);
    const nid = (s: string): string | undefined => /NID:\s*(\d+)/.exec(s)?.[1];
    expect(nid(r.stdout)).toBeDefined();
    expect(nid(r.stdout)).toBe(nid(r2.stdout));
    expect(r.stdout).toMatch(/Links:\s*2/);
  });

  it.each(['none', 'lz4hc'])('packing twice gives identical bytes (%s)', async (compress) => {
    const a = path.join(dir, `twice-a-${compress}`);
    const b = path.join(dir, `twice-b-${compress}`);
    await packInitrd({ manifestPath, format: 'erofs', compress, output: a });
    await packInitrd({ manifestPath, format: 'erofs', compress, output: b });
    expect((await fs.readFile(a)).equals(await fs.readFile(b))).toBe(true);
  });

  it('superblock: build time from SOURCE_DATE_EPOCH, content-derived UUID, lz4 when compressed', async () => {
    const image = path.join(dir, 'sb.erofs');
    process.env.SOURCE_DATE_EPOCH = '1700000000';
    try {
      await packInitrd({ manifestPath, format: 'erofs', compress: 'lz4hc', output: image });
    } finally {
      delete process.env.SOURCE_DATE_EPOCH;
    }
    const r = await inspectImage(image);
    if (r.kind !== 'erofs') throw new Error('not erofs');
    expect(r.superblock).toMatchObject({ magic: '0xE0F5E1E2', blkszbits: 12, buildTime: 1_700_000_000 });
    expect(r.superblock.featureIncompat).toContain('zero_padding');
    expect(r.superblock.inodes).toBe(Object.keys(expected).length + 1 - 1); // + root, - one hard link
    const other = await inspectImage(path.join(dir, 'img-lz4hc.erofs'));
    expect(other.kind === 'erofs' && other.superblock.uuid).toBe(r.superblock.uuid);
    const dump = await execa('dump.erofs', [image]);
    expect(dump.stdout).toContain(r.superblock.uuid);
  });

  it('inspect reports cpio segments appended after the filesystem', async () => {
    const image = path.join(dir, 'img-lz4hc.erofs');
    const cpio = path.join(dir, 'out-trailing.cpio');
    await packInitrd({ manifestPath, format: 'cpio', compress: 'gzip', output: cpio });
    const both = path.join(dir, 'erofs-plus-cpio');
    await fs.writeFile(both, Buffer.concat([await fs.readFile(image), await fs.readFile(cpio)]));
    const r = await inspectImage(both);
    if (r.kind !== 'erofs') throw new Error('not erofs');
    expect(r.trailingSegments).toMatchObject([{ offset: (await fs.stat(image)).size, compression: 'gzip', entries: Object.keys(expected).length }]);
    // The packer can append one itself; the filesystem part stays byte-identical.
    const extra = path.join(dir, 'extra.json');
    await fs.writeFile(extra, JSON.stringify({ inline: [{ dst: '/etc/credstore/x', content: 'secret' }] }));
    const appended = path.join(dir, 'appended.erofs');
    await packInitrd({ manifestPath, format: 'erofs', compress: 'lz4hc', output: appended, appendManifestPaths: [extra] });
    const a = await inspectImage(appended);
    expect(a.kind === 'erofs' && a.trailingSegments).toMatchObject([{ compression: 'none', entries: 3 }]);
    const fsBytes = (await fs.stat(image)).size;
    expect((await fs.readFile(appended)).subarray(0, fsBytes).equals(await fs.readFile(image))).toBe(true);
    await execa('fsck.erofs', [appended]);
    const alone = await inspectImage(image);
    expect(alone.kind === 'erofs' && alone.trailingSegments).toEqual([]);
  });

  it('cluster size goes to mkfs.erofs -C', async () => {
    const a = path.join(dir, 'c4k.erofs');
    const b = path.join(dir, 'c64k.erofs');
    await packInitrd({ manifestPath, format: 'erofs', compress: 'lz4hc', output: a });
    await packInitrd({ manifestPath, format: 'erofs', compress: 'lz4hc', output: b, clusterBytes: 65536 });
    const r = await inspectImage(b);
    expect(r.kind === 'erofs' && r.superblock.featureIncompat.join()).toMatch(/compr_cfgs\|big_pcluster/);
    await execa('fsck.erofs', [b]);
  });

  it('rejects unknown compression listing the valid ones, before writing anything', async () => {
    const out = path.join(dir, 'never.erofs');
    await expect(packInitrd({ manifestPath, format: 'erofs', compress: 'zstd', output: out })).rejects.toThrow('unknown EROFS compression "zstd": valid are none, lz4, lz4hc');
    await expect(packInitrd({ manifestPath, format: 'erofs', compress: 'lz4,3', output: out })).rejects.toThrow(/takes no level/);
    await expect(packInitrd({ manifestPath, format: 'squashfs' as 'cpio', output: out })).rejects.toMatchObject({ exitCode: ExitCode.USAGE, message: 'unknown format "squashfs": valid are cpio, erofs' });
    await expect(fs.stat(out)).rejects.toThrow();
    expect(parseErofsCompression('lz4hc,9')).toEqual({ algo: 'lz4hc', level: 9 });
  });
});
