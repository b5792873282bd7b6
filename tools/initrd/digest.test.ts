import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erofsImageDigest } from './digest.js';
import { packInitrd } from './index.js';
import { makeFixture, tempDir } from './testutil.js';

let dir: string;
beforeAll(async () => {
  dir = await tempDir();
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('erofsImageDigest', () => {
  it("covers the EROFS image's bytes, alone or between a layered initrd's archives, and says the command line", async () => {
    const manifest = await makeFixture(path.join(dir, 'a'));
    const plain = path.join(dir, 'plain.erofs');
    const r = await packInitrd({ manifestPath: manifest, format: 'erofs', output: plain });
    const image = await fs.readFile(plain);
    expect(r.digest).toEqual({ offset: 0, bytes: image.length, sha256: sha(image), cmdline: `initrd_erofs_sha256=${sha(image)}` });

    const layered = path.join(dir, 'layered.img');
    await packInitrd({ manifestPath: manifest, format: 'erofs', output: layered, earlyManifestPath: manifest, appendManifestPaths: [manifest] });
    const d = await erofsImageDigest(layered);
    expect(d?.offset).toBeGreaterThan(0);
    expect((d?.offset ?? 1) % 4096).toBe(0);
    const bytes = await fs.readFile(layered);
    // The same image in both: the early and appended archives are not in the digest.
    expect(d?.sha256).toBe(sha(bytes.subarray(d!.offset, d!.offset + d!.bytes)));
    expect(d?.bytes).toBe(image.length);
  });

  it('has nothing to say of a cpio initrd', async () => {
    const manifest = await makeFixture(path.join(dir, 'b'));
    const cpio = path.join(dir, 'x.cpio');
    const r = await packInitrd({ manifestPath: manifest, format: 'cpio', output: cpio });
    expect(r.digest).toBeUndefined();
    expect(await erofsImageDigest(cpio)).toBeUndefined();
  });
});
