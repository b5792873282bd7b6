import { execa } from 'execa';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ext4SizeMiB, mke2fsArgs } from './ext4.js';
import { packInitrd } from './index.js';

async function debugfs(image: string, request: string): Promise<string> {
  return (await execa('debugfs', ['-R', request, image])).stdout;
}

describe('ext4 images (a real root for the handover scenarios)', () => {
  it('sizes the image for the content, with a floor', () => {
    expect(ext4SizeMiB(0)).toBe(32);
    expect(ext4SizeMiB(100 << 20)).toBe(125 + 16);
    expect(mke2fsArgs('/s', '/o.ext4', { treeHash: 'ab'.repeat(32), contentBytes: 0 })).toEqual(
      expect.arrayContaining(['-t', 'ext4', '-d', '/s', '/o.ext4', '32M']),
    );
  });

  it('packs a manifest with another over it and a file replaced', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-ext4-'));
    try {
      await fs.writeFile(path.join(dir, 'init'), '#!/bin/sh\necho base\n');
      await fs.writeFile(path.join(dir, 'fixed-tool'), 'fixed\n');
      await fs.writeFile(path.join(dir, 'base.json'), JSON.stringify({
        files: [{ src: 'init', dst: '/init', mode: '0755' }],
        inline: [{ dst: '/etc/name', content: ['base'] }, { dst: '/bin/tool', mode: '0755', content: ['packaged'] }],
        symlinks: [{ path: '/bin/applet', target: 'tool' }],
      }));
      await fs.writeFile(path.join(dir, 'over.json'), JSON.stringify({ inline: [{ dst: '/etc/name', content: ['over'] }], symlinks: [{ path: '/sbin/init', target: '/init' }] }));
      const pack = (output: string) => packInitrd({
        manifestPath: path.join(dir, 'base.json'), overManifestPath: path.join(dir, 'over.json'), format: 'ext4', output,
        replaceFiles: { '/bin/tool': path.join(dir, 'fixed-tool'), '/bin/applet': path.join(dir, 'fixed-tool') },
      });
      const a = await pack(path.join(dir, 'a.ext4'));
      expect(a).toMatchObject({ format: 'ext4', compress: 'none' });
      expect(await debugfs(a.output, 'cat /etc/name')).toBe('over');
      expect(await debugfs(a.output, 'cat /bin/tool')).toBe('fixed');
      expect(await debugfs(a.output, 'cat /bin/applet')).toBe('fixed');
      expect(await debugfs(a.output, 'stat /sbin/init')).toMatch(/Type: symlink/);
      await expect(packInitrd({ manifestPath: path.join(dir, 'base.json'), format: 'ext4', output: path.join(dir, 'c.ext4'), replaceFiles: { '/bin/none': path.join(dir, 'fixed-tool') } }))
        .rejects.toThrow(/cannot replace \/bin\/none .*: the manifest holds no file or symlink at \/bin\/none/);
      await expect(packInitrd({ manifestPath: path.join(dir, 'base.json'), format: 'ext4', compress: 'gzip', output: path.join(dir, 'c.ext4') }))
        .rejects.toThrow(/ext4 images are not compressed/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
