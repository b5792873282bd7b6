import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../common/errors.js';
import { bzImageRelease, inspectKernel } from './bzimage.js';

/** The setup header fields bzImageRelease reads, laid out as in a real bzImage. */
function fakeBzImage(version: string): Buffer {
  const buf = Buffer.alloc(0x4000);
  buf.write('HdrS', 0x202, 'latin1');
  const at = 0x3000;
  buf.writeUInt16LE(at - 0x200, 0x20e);
  buf.write(`${version}\0`, at, 'latin1');
  return buf;
}

describe('bzImageRelease', () => {
  it('reads the release from the boot header', () => {
    expect(bzImageRelease(fakeBzImage('6.12.117 (root@vm) #1 Wed Nov 25 22:08:15 UTC 2026'))).toBe('6.12.117');
  });
  it('is undefined for something else', () => {
    expect(bzImageRelease(Buffer.from('\x7fELF'))).toBeUndefined();
    expect(bzImageRelease(Buffer.alloc(0x4000))).toBeUndefined();
  });
});

describe('inspectKernel', () => {
  it('rejects a missing kernel and a non-bzImage with usage errors', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-bz-'));
    try {
      await expect(inspectKernel(path.join(dir, 'nope'))).rejects.toMatchObject({ exitCode: ExitCode.USAGE, message: expect.stringMatching(/no such file/) });
      await fs.writeFile(path.join(dir, 'vmlinux'), Buffer.alloc(0x1000));
      await expect(inspectKernel(path.join(dir, 'vmlinux'))).rejects.toMatchObject({ exitCode: ExitCode.USAGE, message: expect.stringMatching(/not an x86 bzImage/) });
      const image = Buffer.alloc(0x1000);
      image.write('ARM\x64', 56, 'latin1');
      await fs.writeFile(path.join(dir, 'Image'), image);
      await expect(inspectKernel(path.join(dir, 'Image'))).resolves.toEqual({ release: undefined });
      await fs.writeFile(path.join(dir, 'bzImage'), fakeBzImage('6.1.0-test #1'));
      await expect(inspectKernel(path.join(dir, 'bzImage'))).resolves.toEqual({ release: '6.1.0-test' });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
