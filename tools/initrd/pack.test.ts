import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspectImage, packInitrd, parseErofsSuperblock } from './index.js';
import { LAYER_ALIGN } from './pack.js';

describe('layered initrds (early cpio + EROFS + appended cpio)', () => {
  it('puts the image on a 4096-byte boundary after the early cpio, and inspect lists the three layers', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-layered-'));
    try {
      const write = (name: string, m: unknown): Promise<void> => fs.writeFile(path.join(dir, name), JSON.stringify(m));
      await write('main.json', { inline: [{ dst: '/init', mode: '0755', content: ['#!/bin/sh'] }, { dst: '/etc/hostname', content: ['image'] }] });
      await write('early.json', { inline: [{ dst: '/kernel/x86/microcode/GenuineIntel.bin', content: 'x'.repeat(5000) }] });
      await write('after.json', { inline: [{ dst: '/etc/hostname', content: ['appended'] }] });
      const output = path.join(dir, 'layered.img');
      await packInitrd({ manifestPath: path.join(dir, 'main.json'), format: 'erofs', compress: 'lz4hc', output, earlyManifestPath: path.join(dir, 'early.json'), appendManifestPaths: [path.join(dir, 'after.json')] });
      const report = await inspectImage(output);
      expect(report.kind).toBe('cpio');
      if (report.kind !== 'cpio') return;
      const [early, image, after] = report.segments;
      expect(report.segments).toHaveLength(3);
      expect(early).toMatchObject({ offset: 0, compression: 'none' });
      // 5000 bytes of microcode make the early cpio longer than one alignment unit: the image starts at the next boundary.
      expect(image).toMatchObject({ offset: 2 * LAYER_ALIGN, compression: 'erofs' });
      const bytes = await fs.readFile(output);
      expect(bytes.subarray(early!.length, image!.offset).every((b) => b === 0)).toBe(true);
      expect(parseErofsSuperblock(bytes.subarray(image!.offset, image!.offset + 2048))).toBeDefined();
      expect(after).toMatchObject({ offset: image!.offset + image!.length, compression: 'none', entries: 2 });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
