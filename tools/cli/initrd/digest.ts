import { promises as fs } from 'node:fs';
import { log } from '../../common/log.js';
import type { ErofsDigest, VerityTree } from '../../initrd/index.js';

export const CMDLINE_OPTION = ['--cmdline <file>', 'erofs: write the kernel command-line fragment that binds the kernel to this image (initrd_erofs_sha256=…, or initrd_erofs_verity=… with --verity) to FILE, e.g. for a unified kernel image'] as const;

export const VERITY_OPTION = [
  '--verity',
  'erofs: append the image\'s dm-verity hash tree (veritysetup, cryptsetup-bin) so the kernel verifies each block as it is read; prints initrd_erofs_verity=<root hash>. The image must end the initrd (no --append-manifest)',
] as const;

/** The initrd at `output` with its hash tree appended, and the fragment that verifies it block by block. */
export async function sealWithVerity(output: string, file: string | undefined, signal: AbortSignal): Promise<number> {
  const { appendVerityTree } = await import('../../initrd/index.js');
  const tree: VerityTree = await appendVerityTree(output, output, signal);
  log.info(`dm-verity hash tree: ${tree.treeBytes} bytes after the ${tree.imageBytes}-byte image at offset ${tree.imageOffset}; kernel command line to verify it block by block: ${tree.cmdline}`);
  if (file) await fs.writeFile(file, `${tree.cmdline}\n`);
  return tree.imageOffset + tree.imageBytes + tree.treeBytes;
}

/** Say which command line verifies the image; write it to `file` when asked. */
export async function reportDigest(digest: ErofsDigest | undefined, file: string | undefined): Promise<void> {
  if (!digest) {
    if (file) log.warn(`no EROFS image, so no digest: ${file} not written`);
    return;
  }
  log.info(`EROFS image ${digest.bytes} bytes at offset ${digest.offset}; kernel command line to verify it: ${digest.cmdline}`);
  if (file) await fs.writeFile(file, `${digest.cmdline}\n`);
}
