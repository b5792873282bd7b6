/** Facts read from a kernel image's boot header (no build tree needed): an x86 bzImage, or an arm64 Image. */
import { promises as fs } from 'node:fs';
import { InputError } from '../common/errors.js';

/**
 * The release string (what `uname -r` prints) from the setup header: the
 * 16-bit kernel_version field at 0x20e points to "6.12.117 (user@host) #1 …"
 * at that offset + 0x200. Undefined if this is not a bzImage.
 */
export function bzImageRelease(head: Uint8Array): string | undefined {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  if (buf.length < 0x210 || buf.toString('latin1', 0x202, 0x206) !== 'HdrS') return undefined;
  const at = buf.readUInt16LE(0x20e) + 0x200;
  if (at >= buf.length) return undefined;
  const end = buf.indexOf(0, at);
  const text = buf.toString('latin1', at, end < 0 ? Math.min(buf.length, at + 256) : end);
  return text.split(' ')[0] || undefined;
}

/** An arm64 Image: the magic "ARM\x64" at byte 56 of its header (Documentation/arch/arm64/booting.rst). Pure. */
export function isArm64Image(head: Uint8Array): boolean {
  const buf = Buffer.from(head.buffer, head.byteOffset, head.byteLength);
  return buf.length >= 64 && buf.readUInt32LE(56) === 0x644d5241;
}

/** Checks that `file` exists and is a bzImage (or an arm64 Image, whose header has no release); returns its release. Errors are InputErrors (exit 2), before QEMU starts. */
export async function inspectKernel(file: string): Promise<{ release: string | undefined }> {
  let head: Buffer;
  try {
    const fh = await fs.open(file);
    try {
      const st = await fh.stat();
      if (!st.isFile()) throw new InputError(`kernel ${file} is not a regular file`);
      head = Buffer.alloc(Math.min(st.size, 64 * 1024));
      await fh.read(head, 0, head.length, 0);
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`kernel ${file}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, {
      hint: 'pass a bzImage, e.g. the path `iofs kernel build` prints',
    });
  }
  const release = bzImageRelease(head);
  if (release === undefined && isArm64Image(head)) return { release: undefined };
  if (release === undefined && head.toString('latin1', 0x202, 0x206) !== 'HdrS') {
    throw new InputError(`kernel ${file} is not an x86 bzImage (no "HdrS" boot header) nor an arm64 Image`, {
      hint: 'QEMU -kernel needs arch/x86/boot/bzImage (arm64: arch/arm64/boot/Image), not vmlinux',
    });
  }
  return { release };
}
