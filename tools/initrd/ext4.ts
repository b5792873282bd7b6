/**
 * ext4 images of a tree: the real root filesystem the handover scenarios
 * attach as a virtio disk (an initrd's job is to find, mount and hand over to
 * it). mke2fs -d copies a staged directory into the new filesystem, with a
 * fixed UUID and hash seed from the tree's content and E2FSPROGS_FAKE_TIME
 * for the filesystem's own timestamps. The image is not byte-reproducible:
 * mke2fs copies each staged file's ctime, which no tool can set; the disk is
 * a test fixture, and its content is what the scenarios check.
 */
import { run } from '../common/process.js';
import { uuidFromHash } from './erofs.js';

export interface Ext4Options {
  /** sha256 of the staged tree (stageTreeTo's result): UUID and hash seed derive from it. */
  treeHash: string;
  /** Bytes of file content in the tree: the image gets room for them plus metadata. */
  contentBytes: number;
  mtime: number;
  signal?: AbortSignal | undefined;
}

/** Image size in MiB: the content, a quarter more for metadata and the journal, at least 32 MiB. Pure. */
export function ext4SizeMiB(contentBytes: number): number {
  return Math.max(32, Math.ceil((contentBytes * 1.25) / 1048576) + 16);
}

/** The mke2fs command for a staged directory. Pure. */
export function mke2fsArgs(stagingDir: string, output: string, o: Pick<Ext4Options, 'treeHash' | 'contentBytes'>): string[] {
  const uuid = uuidFromHash(o.treeHash);
  return ['-q', '-F', '-t', 'ext4', '-L', 'iofs-root', '-U', uuid, '-E', `root_owner=0:0,hash_seed=${uuid}`, '-d', stagingDir, output, `${ext4SizeMiB(o.contentBytes)}M`];
}

export async function mkfsExt4(stagingDir: string, output: string, o: Ext4Options): Promise<void> {
  const args = mke2fsArgs(stagingDir, output, o);
  const env = { E2FSPROGS_FAKE_TIME: String(o.mtime) };
  await run('mke2fs', args, { env, installHint: 'run scripts/setup (Debian package e2fsprogs)', ...(o.signal ? { signal: o.signal } : {}) }).catch((err: unknown) => {
    // Cancelled: the abort, not the killed program, is the news.
    o.signal?.throwIfAborted();
    throw err;
  });
}
