/**
 * An initrd whose EROFS image is verified block by block (initrd_erofs_verity=,
 * 7.3 series patch 12): the image's dm-verity hash tree, as veritysetup
 * writes it, right after the image, and its root hash on the command line.
 * The kernel derives the rest (data blocks from EROFS's superblock, the
 * tree's place and size from them), so the parameters below are fixed: they
 * are the kernel's, not choices.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InfraError, InputError } from '../common/errors.js';
import { run } from '../common/process.js';
import { writeFileAtomic } from '../common/atomic.js';
import { erofsRange } from './digest.js';

/** The boot parameter the kernel reads. */
export const VERITY_PARAMETER = 'initrd_erofs_verity';

const BLOCK = 4096;
/** SHA-256 digests per 4096-byte hash block. */
const DIGESTS_PER_BLOCK = BLOCK / 32;

/** What veritysetup is asked for: the format the kernel assumes. */
const VERITYSETUP_FORMAT_ARGS = ['--hash=sha256', `--data-block-size=${BLOCK}`, `--hash-block-size=${BLOCK}`, '--salt=-', '--no-superblock'] as const;

export interface VerityTree {
  /** Where the image starts in the initrd, and its size: the data dm-verity covers. */
  imageOffset: number;
  imageBytes: number;
  /** The hash tree's size, right after the image. */
  treeBytes: number;
  rootHash: string;
  /** The command-line fragment, e.g. for a unified kernel image's signed command line. */
  cmdline: string;
}

/**
 * The tree's size for `blocks` data blocks, as the kernel computes it: one
 * level of 128-digest blocks per 7 bits of the last block's index.
 */
export function verityTreeBytes(blocks: number): number {
  let total = 0;
  for (let level = 1; level <= 9 && Math.floor((blocks - 1) / DIGESTS_PER_BLOCK ** (level - 1)) > 0; level++) {
    total += Math.ceil(blocks / DIGESTS_PER_BLOCK ** level);
  }
  return total * BLOCK;
}

/** The root hash of a tree: the hash of its top block, which comes first (no salt). */
function verityRootHash(tree: Uint8Array): string {
  return createHash('sha256').update(tree.subarray(0, BLOCK)).digest('hex');
}

/** veritysetup's tree for the image bytes in `imageFile`, and the root hash it printed. */
async function veritysetupFormat(imageFile: string, treeFile: string, signal?: AbortSignal): Promise<string> {
  const args = ['format', ...VERITYSETUP_FORMAT_ARGS, imageFile, treeFile];
  const r = await run('veritysetup', args, { installHint: 'run scripts/setup (Debian package cryptsetup-bin)', ...(signal ? { signal } : {}) }).catch((err: unknown) => {
    // Cancelled: the abort, not the killed program, is the news.
    signal?.throwIfAborted();
    throw err;
  });
  const root = /^Root hash:\s+([0-9a-f]{64})$/m.exec(r.all);
  if (!root) throw new InfraError(`veritysetup printed no root hash: ${r.all.trim()}`);
  return root[1]!;
}

/**
 * Write `input` with its EROFS image's hash tree after the image to `output`
 * (atomically; the two may be the same file). The image must end the
 * initrd: archives after it would not be covered, and the kernel refuses
 * them. Zero padding after the image is dropped.
 */
export async function appendVerityTree(input: string, output: string, signal?: AbortSignal): Promise<VerityTree> {
  const range = await erofsRange(input);
  if (!range) throw new InputError(`${input}: no EROFS image to verify (initrd_erofs_verity= applies to EROFS initrds)`);
  const bytes = await fs.readFile(input);
  const end = range.offset + range.bytes;
  if (range.bytes % BLOCK !== 0 || end > bytes.length) {
    throw new InputError(`${input}: the EROFS image at offset ${range.offset} is ${range.bytes} bytes (file: ${bytes.length}); dm-verity needs whole 4096-byte blocks inside the file`);
  }
  if (bytes.subarray(end).some((b) => b !== 0)) {
    throw new InputError(`${input}: ${bytes.length - end} bytes follow the EROFS image; a verified image must end the initrd`, {
      hint: 'pack without --append-manifest: archives after the image would be unpacked over what the tree vouches for, and the kernel refuses them',
    });
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-verity-'));
  try {
    const imageFile = path.join(dir, 'image.erofs');
    const treeFile = path.join(dir, 'tree');
    await fs.writeFile(imageFile, bytes.subarray(range.offset, end));
    const rootHash = await veritysetupFormat(imageFile, treeFile, signal);
    const tree = await fs.readFile(treeFile);
    const expected = verityTreeBytes(range.bytes / BLOCK);
    // The kernel finds the tree by this size: a veritysetup that writes another layout must fail here, not at boot.
    if (tree.length !== expected) throw new InfraError(`veritysetup wrote a ${tree.length}-byte tree for ${range.bytes / BLOCK} blocks; the kernel expects ${expected}`);
    if (verityRootHash(tree) !== rootHash) throw new InfraError(`veritysetup's root hash ${rootHash} is not the hash of its tree's top block`);
    await writeFileAtomic(output, Buffer.concat([bytes.subarray(0, end), tree]));
    return { imageOffset: range.offset, imageBytes: range.bytes, treeBytes: tree.length, rootHash, cmdline: `${VERITY_PARAMETER}=${rootHash}` };
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/**
 * The hash tree after the image `range` in a file of `fileBytes` bytes, if the
 * bytes there are exactly a tree's size (what inspect reports); undefined
 * otherwise.
 */
export async function findVerityTree(file: string, range: { offset: number; bytes: number }, fileBytes: number): Promise<VerityTree | undefined> {
  if (range.bytes % BLOCK !== 0) return undefined;
  const treeBytes = verityTreeBytes(range.bytes / BLOCK);
  const start = range.offset + range.bytes;
  if (treeBytes === 0 || fileBytes !== start + treeBytes) return undefined;
  const fh = await fs.open(file, 'r');
  try {
    const top = Buffer.alloc(BLOCK);
    await fh.read(top, 0, BLOCK, start);
    const rootHash = verityRootHash(top);
    return { imageOffset: range.offset, imageBytes: range.bytes, treeBytes, rootHash, cmdline: `${VERITY_PARAMETER}=${rootHash}` };
  } finally {
    await fh.close();
  }
}
