import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendVerityTree, findVerityTree, verityTreeBytes } from './verity.js';
import { inspectImage, formatReport, packInitrd } from './index.js';
import { makeFixture, tempDir } from './testutil.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('verityTreeBytes', () => {
  it("counts dm-verity's levels: 128 digests a block, one level per 7 bits of the last block's index", () => {
    expect(verityTreeBytes(1)).toBe(0);
    expect(verityTreeBytes(2)).toBe(4096);
    expect(verityTreeBytes(128)).toBe(4096);
    expect(verityTreeBytes(129)).toBe(3 * 4096);
    expect(verityTreeBytes(1009)).toBe(9 * 4096);
    expect(verityTreeBytes(128 * 128 + 1)).toBe((129 + 2 + 1) * 4096);
  });
});

describe('appendVerityTree', () => {
  it("appends veritysetup's tree right after the image of a layered initrd, whose top block hashes to the root", async () => {
    const manifest = await makeFixture(path.join(dir, 'a'));
    const layered = path.join(dir, 'layered.img');
    await packInitrd({ manifestPath: manifest, format: 'erofs', output: layered, earlyManifestPath: manifest });
    const before = await fs.readFile(layered);
    const sealed = path.join(dir, 'sealed.img');
    const t = await appendVerityTree(layered, sealed);

    expect(t.imageOffset).toBeGreaterThan(0);
    expect(t.imageOffset % 4096).toBe(0);
    expect(t.treeBytes).toBe(verityTreeBytes(t.imageBytes / 4096));
    expect(t.cmdline).toBe(`initrd_erofs_verity=${t.rootHash}`);
    const after = await fs.readFile(sealed);
    const end = t.imageOffset + t.imageBytes;
    expect(after.length).toBe(end + t.treeBytes);
    // The early cpio and the image are untouched; the input file too.
    expect(sha(after.subarray(0, end))).toBe(sha(before.subarray(0, end)));
    expect(sha(await fs.readFile(layered))).toBe(sha(before));
    expect(sha(after.subarray(end, end + 4096))).toBe(t.rootHash);
    // The leaf level holds each data block's hash (two levels here would put it second: one level for small images).
    if (t.treeBytes === 4096) expect(after.subarray(end, end + 32).toString('hex')).toBe(sha(after.subarray(t.imageOffset, t.imageOffset + 4096)));

    expect(await findVerityTree(sealed, { offset: t.imageOffset, bytes: t.imageBytes }, after.length)).toEqual(t);
    const report = await inspectImage(sealed);
    expect(report.verity?.rootHash).toBe(t.rootHash);
    expect(formatReport(report)).toContain(`kernel command line to verify it block by block: ${t.cmdline}`);
    expect(formatReport(report)).toMatch(/verity-tree/);
  });

  it('refuses an initrd whose image is followed by archives, and one without an image, naming the file', async () => {
    const manifest = await makeFixture(path.join(dir, 'b'));
    const appended = path.join(dir, 'appended.img');
    await packInitrd({ manifestPath: manifest, format: 'erofs', output: appended, appendManifestPaths: [manifest] });
    await expect(appendVerityTree(appended, path.join(dir, 'x.img'))).rejects.toThrow(/appended\.img: \d+ bytes follow the EROFS image; a verified image must end the initrd/);
    const cpio = path.join(dir, 'b.cpio');
    await packInitrd({ manifestPath: manifest, format: 'cpio', output: cpio });
    await expect(appendVerityTree(cpio, path.join(dir, 'y.img'))).rejects.toThrow(/b\.cpio: no EROFS image to verify/);
    await expect(fs.access(path.join(dir, 'x.img'))).rejects.toThrow();
  });
});
