/**
 * Writing images: cpio (one or more segments) and EROFS, atomically.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import { Writable } from 'node:stream';
import path from 'node:path';
import { once } from 'node:events';
import { InfraError, InputError } from '../common/errors.js';
import { progress } from '../common/log.js';
import { withAtomicOutput } from '../common/atomic.js';
import { cpioChunks } from './cpio.js';
import { formatCompression, parseCpioCompression, writeCompressed, type CompressionSpec } from './compress.js';
import { formatErofsCompression, mkfsErofs, parseErofsCompression, stageTreeTo, uuidFromHash, type ErofsCompression } from './erofs.js';
import { mkfsExt4 } from './ext4.js';
import type { Tree } from './tree.js';
import { hashFile } from '../common/hash.js';

export const INITRD_FORMATS = ['cpio', 'erofs'] as const;
export type InitrdFormat = (typeof INITRD_FORMATS)[number];
/** What a scenario's extra disk may be: an initrd format, or ext4 (a real root). */
export const DISK_FORMATS = ['cpio', 'erofs', 'ext4'] as const;
export type ImageFormat = (typeof DISK_FORMATS)[number];

export function parseFormat(text: string): InitrdFormat {
  if (!(INITRD_FORMATS as readonly string[]).includes(text)) throw new InputError(`unknown format "${text}": valid are ${INITRD_FORMATS.join(', ')}`);
  return text as InitrdFormat;
}

/** mtime for reproducible output: SOURCE_DATE_EPOCH when set, else 0. */
export function sourceDateEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const v = env.SOURCE_DATE_EPOCH;
  if (v === undefined || v === '') return 0;
  if (!/^\d+$/.test(v) || Number(v) > 0xffffffff) throw new InputError(`SOURCE_DATE_EPOCH must be a non-negative integer (seconds), got "${v}"`);
  return Number(v);
}

export interface CpioSegment {
  tree: Tree;
  compression: CompressionSpec;
}

/** Pass chunks through, reporting progress for big trees (stderr only). */
async function* withProgress(chunks: AsyncIterable<Buffer>, label: string, total: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const p = total >= 64 << 20 ? progress(label) : undefined;
  let done = 0;
  signal?.throwIfAborted();
  for await (const c of chunks) {
    // Aborting ends the pipeline here; the compressor is killed and the temporary output removed.
    signal?.throwIfAborted();
    done += c.length;
    p?.update(`${(done / 1048576).toFixed(0)} / ${(total / 1048576).toFixed(0)} MiB`);
    yield c;
  }
  p?.done(`${(done / 1048576).toFixed(0)} MiB`);
}

/** An uncompressed newc archive of `tree`, in memory (early archives are a few KiB to a few MiB). */
export async function cpioBytes(tree: Tree, mtime = sourceDateEpoch()): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of cpioChunks(tree, { mtime })) parts.push(c);
  return Buffer.concat(parts);
}

/**
 * Write segments back to back (each its own archive, each compressed on its
 * own) to `output`, atomically; `early`, raw bytes (an early cpio kept as it
 * was), goes first.
 */
export async function writeCpioImage(output: string, segments: CpioSegment[], mtime = sourceDateEpoch(), signal?: AbortSignal, early?: Buffer): Promise<void> {
  await withAtomicOutput(output, async (tmp) => {
    const out = createWriteStream(tmp);
    try {
      if (early?.length && !out.write(early)) await once(out, 'drain');
      for (const seg of segments) {
        const label = `cpio ${formatCompression(seg.compression)} ${path.basename(output)}`;
        await writeCompressed(withProgress(cpioChunks(seg.tree, { mtime }), label, seg.tree.contentBytes(), signal), seg.compression, out);
      }
      out.end();
      await once(out, 'finish');
    } catch (err) {
      out.destroy();
      throw err;
    }
  });
}

export interface ErofsWriteOptions {
  compression: ErofsCompression;
  mtime?: number;
  clusterBytes?: number | undefined;
  /** Fixed UUID; default derived from the tree's content hash. */
  uuid?: string | undefined;
  /**
   * cpio segments appended after the filesystem, as a bootloader (systemd's
   * sd-stub, for credentials and sysexts) appends them to an initrd.
   */
  append?: CpioSegment[] | undefined;
  /**
   * Bytes written BEFORE the filesystem (an early microcode cpio),
   * zero-padded so that the image starts on a LAYER_ALIGN boundary, where
   * the kernel looks for it in a layered initrd.
   */
  early?: Buffer | undefined;
  signal?: AbortSignal | undefined;
}

/** Where the kernel (the series' initrd_erofs) looks for an EROFS image after leading cpio archives: 4096-byte boundaries. */
export const LAYER_ALIGN = 4096;

/** Write cpio segments to a stream, each compressed on its own. */
async function writeSegments(out: Writable, segments: CpioSegment[], mtime: number, signal?: AbortSignal): Promise<void> {
  for (const seg of segments) await writeCompressed(withProgress(cpioChunks(seg.tree, { mtime }), 'cpio', 0, signal), seg.compression, out);
}

/**
 * Stage the tree in a temporary directory beside `output` (same filesystem as
 * the result, and not /tmp, which may be RAM-backed: a 1 GiB payload would
 * cost 1 GiB of memory there), run mkfs.erofs, write `output` atomically.
 */
export async function writeErofsImage(output: string, tree: Tree, opts: ErofsWriteOptions): Promise<void> {
  const outDir = path.dirname(path.resolve(output));
  await fs.mkdir(outDir, { recursive: true });
  const stage = await fs.mkdtemp(path.join(outDir, `.${path.basename(output)}.stage-`));
  try {
    const hash = await stageTreeTo(tree, path.join(stage, 'root'), opts.signal);
    const mtime = opts.mtime ?? sourceDateEpoch();
    const fsImage = path.join(stage, 'image.erofs');
    await mkfsErofs(path.join(stage, 'root'), fsImage, { compression: opts.compression, mtime, uuid: opts.uuid ?? uuidFromHash(hash), clusterBytes: opts.clusterBytes, signal: opts.signal });
    await withAtomicOutput(output, async (tmp) => {
      const out = createWriteStream(tmp);
      try {
        if (opts.early?.length) {
          const pad = (LAYER_ALIGN - (opts.early.length % LAYER_ALIGN)) % LAYER_ALIGN;
          out.write(opts.early);
          if (pad) out.write(Buffer.alloc(pad));
        }
        for await (const chunk of createReadStream(fsImage)) if (!out.write(chunk)) await once(out, 'drain');
        await writeSegments(out, opts.append ?? [], mtime, opts.signal);
        out.end();
        await once(out, 'finish');
      } catch (err) {
        out.destroy();
        throw err;
      }
    });
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

/** Stage the tree beside `output` (as for EROFS) and make an ext4 image of it, atomically. */
export async function writeExt4Image(output: string, tree: Tree, signal?: AbortSignal): Promise<void> {
  const outDir = path.dirname(path.resolve(output));
  await fs.mkdir(outDir, { recursive: true });
  const stage = await fs.mkdtemp(path.join(outDir, `.${path.basename(output)}.stage-`));
  try {
    const treeHash = await stageTreeTo(tree, path.join(stage, 'root'), signal);
    await withAtomicOutput(output, (tmp) => mkfsExt4(path.join(stage, 'root'), tmp, { treeHash, contentBytes: tree.contentBytes(), mtime: sourceDateEpoch(), signal }));
  } finally {
    await fs.rm(stage, { recursive: true, force: true });
  }
}

export interface WriteResult {
  output: string;
  format: ImageFormat;
  compress: string;
  bytes: number;
  sha256: string;
}

/** Check a compression name for a format without writing anything (fail before slow work). */
export function checkCompression(format: ImageFormat, compress: string | undefined): void {
  if (compress === undefined || format === 'ext4') return;
  if (format === 'cpio') parseCpioCompression(compress);
  else parseErofsCompression(compress);
}

/** Write `tree` as `format` with the compression named by `compress` (validated first: nothing is written on bad input). */
export interface WriteExtras {
  clusterBytes?: number | undefined;
  /** An uncompressed cpio segment written before the main one (early microcode style); for EROFS, padded to LAYER_ALIGN. */
  early?: Tree | undefined;
  /** The same, as raw bytes kept from an imported image (an early cpio as the distribution made it); wins over `early`. */
  earlyBytes?: Buffer | undefined;
  /** erofs: uncompressed cpio segments appended after the filesystem, in order. */
  append?: Tree[] | undefined;
  /** Abort writing: nothing is left at the output path. */
  signal?: AbortSignal | undefined;
}

export async function writeImage(tree: Tree, format: ImageFormat, compress: string | undefined, output: string, extra: WriteExtras = {}): Promise<WriteResult> {
  try {
    return await writeImageUnchecked(tree, format, compress, output, extra);
  } catch (err) {
    // A full disk is the machine's problem, not a bug: say where, and that nothing was left behind.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT' || (err instanceof InfraError && /No space left on device/i.test(err.message))) {
      throw new InfraError(`no space left on the filesystem holding ${path.resolve(output)}: the ${format} image could not be written (nothing was left at that path)`, {
        hint: `free space there (df -h ${path.dirname(path.resolve(output))}) or choose another --output`,
        cause: err,
      });
    }
    throw err;
  }
}

function earlyOf(extra: WriteExtras): Promise<Buffer | undefined> {
  return extra.earlyBytes ? Promise.resolve(extra.earlyBytes) : extra.early ? cpioBytes(extra.early) : Promise.resolve(undefined);
}

async function writeImageUnchecked(tree: Tree, format: ImageFormat, compress: string | undefined, output: string, extra: WriteExtras): Promise<WriteResult> {
  let compressName: string;
  if (format === 'ext4') {
    if (compress !== undefined && compress !== 'none') throw new InputError('ext4 images are not compressed: leave out the compression or say "none"');
    if (extra.early || extra.earlyBytes || extra.append?.length || extra.clusterBytes !== undefined) throw new InputError('early and appended segments and cluster sizes apply to initrds, not to an ext4 disk');
    await writeExt4Image(output, tree, extra.signal);
    compressName = 'none';
  } else if (format === 'cpio') {
    if (extra.clusterBytes !== undefined) throw new InputError('--cluster-size applies to EROFS images only');
    if (extra.append?.length) throw new InputError('an appended cpio segment applies to EROFS images only (for cpio, use an early segment or pack one tree)');
    const c = parseCpioCompression(compress ?? 'gzip');
    compressName = formatCompression(c);
    await writeCpioImage(output, [{ tree, compression: c }], sourceDateEpoch(), extra.signal, await earlyOf(extra));
  } else {
    const c = parseErofsCompression(compress ?? 'lz4hc');
    compressName = formatErofsCompression(c);
    const plain = (t: Tree): CpioSegment[] => [{ tree: t, compression: { algo: 'none' as const, level: undefined } }];
    await writeErofsImage(output, tree, {
      compression: c, clusterBytes: extra.clusterBytes, signal: extra.signal,
      append: (extra.append ?? []).flatMap(plain), early: await earlyOf(extra),
    });
  }
  const { bytes, sha256 } = await hashFile(output);
  return { output: path.resolve(output), format, compress: compressName, bytes, sha256 };
}

export { hashFile };
