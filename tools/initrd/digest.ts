/**
 * The SHA-256 an initrd's EROFS image is bound to on the kernel command line
 * (initrd_erofs_sha256=, 7.3 series patch 11): the image's bytes as its
 * superblock sizes them, wherever it sits in a layered initrd. The kernel
 * hashes exactly these bytes before it mounts the image.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import { InputError } from '../common/errors.js';
import { detectFormat } from './compress.js';
import { parseErofsSuperblock } from './erofs.js';
import { scanCpioImage } from './segments.js';

/** The boot parameter the kernel reads. */
export const DIGEST_PARAMETER = 'initrd_erofs_sha256';

export interface ErofsDigest {
  /** Where the image starts in the initrd (0, or 4096-aligned after an early cpio). */
  offset: number;
  /** Its size by the superblock: what the digest covers. */
  bytes: number;
  sha256: string;
  /** The command-line fragment, e.g. for a unified kernel image's signed command line. */
  cmdline: string;
}

/** The EROFS image's place in `file`: at offset 0, or a layer between cpio archives; undefined if there is none. */
export async function erofsRange(file: string): Promise<{ offset: number; bytes: number } | undefined> {
  const fh = await fs.open(file, 'r');
  let head: Buffer;
  try {
    head = Buffer.alloc(2048);
    const { bytesRead } = await fh.read(head, 0, 2048, 0);
    head = head.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  // As the kernel: an initrd that starts as an archive is walked as one, whatever byte 1024 holds.
  const sb = detectFormat(head) === 'erofs' ? parseErofsSuperblock(head) : undefined;
  if (sb) return { offset: 0, bytes: sb.blocks * sb.blockSize };
  const layer = (await scanCpioImage(file, undefined, 0, { erofsLayers: true, stopAfterErofs: true })).find((s) => s.compression === 'erofs');
  return layer ? { offset: layer.offset, bytes: layer.length } : undefined;
}

/** The digest of the EROFS image in `file` (an image, or a layered initrd); undefined for a cpio initrd. */
export async function erofsImageDigest(file: string): Promise<ErofsDigest | undefined> {
  const range = await erofsRange(file);
  if (!range) return undefined;
  const size = (await fs.stat(file)).size;
  if (range.offset + range.bytes > size) {
    throw new InputError(`${file}: the EROFS image at offset ${range.offset} claims ${range.bytes} bytes, the file has ${size - range.offset} from there`);
  }
  const hash = createHash('sha256');
  if (range.bytes > 0) for await (const chunk of createReadStream(file, { start: range.offset, end: range.offset + range.bytes - 1 })) hash.update(chunk as Buffer);
  const sha256 = hash.digest('hex');
  return { ...range, sha256, cmdline: `${DIGEST_PARAMETER}=${sha256}` };
}
