import { promises as fs } from 'node:fs';
import { log } from '../../common/log.js';
import type { ErofsDigest } from '../../initrd/index.js';

export const CMDLINE_OPTION = ['--cmdline <file>', 'erofs: write the kernel command-line fragment that binds the kernel to this image (initrd_erofs_sha256=…) to FILE, e.g. for a unified kernel image'] as const;

/** Say which command line verifies the image; write it to `file` when asked. */
export async function reportDigest(digest: ErofsDigest | undefined, file: string | undefined): Promise<void> {
  if (!digest) {
    if (file) log.warn(`no EROFS image, so no digest: ${file} not written`);
    return;
  }
  log.info(`EROFS image ${digest.bytes} bytes at offset ${digest.offset}; kernel command line to verify it: ${digest.cmdline}`);
  if (file) await fs.writeFile(file, `${digest.cmdline}\n`);
}
