/**
 * Reading initramfs images the way the kernel does (init/initramfs.c,
 * unpack_to_rootfs): a sequence of segments, each an uncompressed newc
 * archive or a compressed stream of archives, with any number of NUL bytes
 * between them. For each compressed segment we find its exact compressed
 * length from the container format (gzip: inflate's consumed count; zstd and
 * lz4-legacy: block headers; xz: the stream footer), so the next segment's
 * offset is known without guessing.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { execa } from 'execa';
import { InfraError, InputError } from '../common/errors.js';
import { detectFormat, type DetectedFormat } from './compress.js';
import { ByteReader, readCpioArchive, readCpioStream, type CpioEntry } from './cpio.js';
import { parseErofsSuperblock } from './erofs.js';

export interface SegmentInfo {
  /** Byte offset of the segment in the image. */
  offset: number;
  /** Bytes of the image it occupies (compressed size). */
  length: number;
  /**
   * 'erofs': an EROFS image between the archives of a layered initrd (with
   * `erofsLayers`); 'verity-tree': its dm-verity hash tree after it (found by inspect).
   */
  compression: 'none' | 'gzip' | 'zstd' | 'lz4' | 'xz' | 'erofs' | 'verity-tree';
  /** Entries in its archive(s), without trailers. */
  entries: number;
  /** Size of the decompressed cpio data. */
  uncompressedBytes: number;
}

export type EntryHandler = (segment: number, e: CpioEntry, data: AsyncGenerator<Buffer>) => Promise<void>;

const SUPPORTED = 'none (newc), gzip, zstd, lz4 (legacy), xz';

/** Walk every segment of a cpio initramfs image; `onEntry` sees every entry in order. */
export async function scanCpioImage(
  file: string,
  onEntry: EntryHandler = async () => undefined,
  startOffset = 0,
  opts: { erofsLayers?: boolean; stopAfterErofs?: boolean } = {},
): Promise<SegmentInfo[]> {
  const fh = await fs.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    const segments: SegmentInfo[] = [];
    let offset = startOffset;
    for (;;) {
      offset = await skipZeros(fh, offset, size);
      if (offset >= size) break;
      const layer = opts.erofsLayers ? await erofsLayerAt(fh, offset) : undefined;
      if (layer) {
        segments.push(layer);
        offset = layer.offset + layer.length;
        if (opts.stopAfterErofs) break;
        continue;
      }
      const head = await readAt(fh, offset, 16);
      const fmt = detectFormat(head);
      const idx = segments.length;
      const where = `${file}: segment ${idx} at offset ${offset}`;
      const handler = (e: CpioEntry, d: AsyncGenerator<Buffer>): Promise<void> => onEntry(idx, e, d);
      let seg: SegmentInfo;
      switch (fmt) {
        case 'cpio': {
          const r = ByteReader.from(createReadStream(file, { start: offset, highWaterMark: 1 << 20 }));
          const entries = await readCpioArchive(r, handler, where);
          seg = { offset, length: r.consumed, compression: 'none', entries, uncompressedBytes: r.consumed };
          break;
        }
        case 'gzip':
          seg = await gzipSegment(fh, file, offset, handler, where);
          break;
        case 'zstd':
        case 'lz4':
        case 'xz': {
          const length = fmt === 'zstd' ? await zstdLength(fh, offset, size, where) : fmt === 'lz4' ? await lz4LegacyLength(fh, offset, size) : await xzLength(fh, offset, size, where);
          // Streams the segment into the cpio reader: run() buffers.
          const sub = execa(fmt, ['-d', '-q', '-c'], { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false, stderr: true } });
          createReadStream(file, { start: offset, end: offset + length - 1 }).pipe(sub.stdin);
          const r = ByteReader.from(sub.stdout);
          let entries: number;
          try {
            entries = await readCpioStream(r, handler, `${where} (${fmt})`);
            await sub;
          } catch (err) {
            sub.kill();
            await sub.catch(() => undefined);
            if (err instanceof InputError) throw err;
            throw new InfraError(`${where}: ${fmt} -d failed: ${(err as { stderr?: string }).stderr ?? (err as Error).message}`, { cause: err });
          }
          seg = { offset, length, compression: fmt, entries, uncompressedBytes: r.consumed };
          break;
        }
        default:
          throw new InputError(
            fmt === 'unknown'
              ? `${where}: neither a cpio archive nor compressed data (first bytes ${head.subarray(0, 8).toString('hex')}); supported: ${SUPPORTED}`
              : `${where}: ${fmt} is not supported by this tool (supported: ${SUPPORTED})`,
          );
      }
      segments.push(seg);
      offset += seg.length;
    }
    if (segments.length === 0 && startOffset === 0) throw new InputError(`${file}: empty image (only zero bytes)`);
    return segments;
  } finally {
    await fh.close();
  }
}

type FH = fs.FileHandle;

/** Where the kernel looks for an EROFS image between a layered initrd's archives. */
const LAYER_ALIGN = 4096;

/**
 * An EROFS image at a LAYER_ALIGN boundary, as the kernel finds it: the zero
 * padding before it has been skipped, and with it the image's first 1024
 * bytes (zeros), so `offset` is where its superblock's magic is.
 */
async function erofsLayerAt(fh: FH, offset: number): Promise<SegmentInfo | undefined> {
  if (offset % LAYER_ALIGN !== 1024) return undefined;
  const sb = parseErofsSuperblock(await readAt(fh, offset - 1024, 2048));
  if (!sb) return undefined;
  const length = sb.blocks * sb.blockSize;
  return { offset: offset - 1024, length, compression: 'erofs', entries: 0, uncompressedBytes: length };
}

async function readAt(fh: FH, pos: number, n: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  const { bytesRead } = await fh.read(buf, 0, n, pos);
  return buf.subarray(0, bytesRead);
}

async function skipZeros(fh: FH, offset: number, size: number): Promise<number> {
  while (offset < size) {
    const buf = await readAt(fh, offset, 1 << 16);
    let i = 0;
    while (i < buf.length && buf[i] === 0) i++;
    offset += i;
    if (i < buf.length) break;
  }
  return offset;
}

async function gzipSegment(fh: FH, file: string, offset: number, onEntry: (e: CpioEntry, d: AsyncGenerator<Buffer>) => Promise<void>, where: string): Promise<SegmentInfo> {
  // RFC 1952 header, then raw deflate, then CRC32 + ISIZE.
  const h = await readAt(fh, offset, 10);
  if (h.length < 10 || h[2] !== 8) throw new InputError(`${where}: unsupported gzip header (method ${h[2]})`);
  const flags = h[3]!;
  let pos = offset + 10;
  if (flags & 4) pos += 2 + (await readAt(fh, pos, 2)).readUInt16LE(0);
  const skipCString = async (): Promise<void> => {
    for (;;) {
      const b = await readAt(fh, pos, 4096);
      if (b.length === 0) throw new InputError(`${where}: truncated gzip header`);
      const z = b.indexOf(0);
      if (z >= 0) {
        pos += z + 1;
        return;
      }
      pos += b.length;
    }
  };
  if (flags & 8) await skipCString();
  if (flags & 16) await skipCString();
  if (flags & 2) pos += 2;
  const src: Readable = createReadStream(file, { start: pos, highWaterMark: 1 << 20 });
  const inflate = zlib.createInflateRaw({ chunkSize: 1 << 20 });
  const inflateError = new Promise<never>((_, reject) => {
    inflate.on('error', (err) => reject(new InputError(`${where}: corrupt gzip data: ${err.message}`)));
  });
  inflateError.catch(() => undefined);
  // The deflate stream ends before the file does: stop feeding it there.
  inflate.on('end', () => src.destroy());
  src.pipe(inflate);
  const r = ByteReader.from(inflate);
  const entries = await Promise.race([readCpioStream(r, onEntry, `${where} (gzip)`), inflateError]);
  src.destroy();
  const length = pos - offset + inflate.bytesWritten + 8;
  return { offset, length, compression: 'gzip', entries, uncompressedBytes: r.consumed };
}

/** Length of consecutive zstd (and skippable) frames starting at `offset`. */
async function zstdLength(fh: FH, offset: number, size: number, where: string): Promise<number> {
  let pos = offset;
  for (;;) {
    const m = await readAt(fh, pos, 4);
    if (m.length < 4) break;
    const magic = m.readUInt32LE(0);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      pos += 8 + (await readAt(fh, pos + 4, 4)).readUInt32LE(0);
      continue;
    }
    if (magic !== 0xfd2fb528) break;
    const fhd = (await readAt(fh, pos + 4, 1))[0]!;
    const fcsFlag = fhd >> 6, single = (fhd >> 5) & 1, checksum = (fhd >> 2) & 1, dictFlag = fhd & 3;
    pos += 5 + (single ? 0 : 1) + [0, 1, 2, 4][dictFlag]! + [single ? 1 : 0, 2, 4, 8][fcsFlag]!;
    for (;;) {
      const b = await readAt(fh, pos, 3);
      if (b.length < 3) throw new InputError(`${where}: truncated zstd frame`);
      const v = b[0]! | (b[1]! << 8) | (b[2]! << 16);
      const last = v & 1, type = (v >> 1) & 3, bsize = v >>> 3;
      if (type === 3) throw new InputError(`${where}: corrupt zstd frame (reserved block type)`);
      pos += 3 + (type === 1 ? 1 : bsize);
      if (last) break;
    }
    if (checksum) pos += 4;
    if (pos > size) throw new InputError(`${where}: truncated zstd frame`);
  }
  return pos - offset;
}

/**
 * lz4 legacy frame: magic, then (u32 size, block)* with no end marker. It
 * ends at EOF, at zero padding, at a size no block can have, or where the
 * next bytes are another format's magic. Some magics are also valid block
 * sizes (gzip with FLG 0 reads as 559903): then the block decides, by
 * checking that it parses as an lz4 block.
 */
async function lz4LegacyLength(fh: FH, offset: number, size: number): Promise<number> {
  const BOUND = 8 * 1024 * 1024 + Math.floor((8 * 1024 * 1024) / 255) + 16;
  let pos = offset + 4;
  while (pos + 4 <= size) {
    const head = await readAt(fh, pos, 6);
    const v = head.readUInt32LE(0);
    if (v === 0x184c2102) {
      pos += 4; // another legacy frame continues the same stream, as in the kernel's unlz4
      continue;
    }
    if (v === 0 || v > BOUND || pos + 4 + v > size) break;
    if (detectFormat(head) !== 'unknown' && !isLz4Block(await readAt(fh, pos + 4, v))) break;
    pos += 4 + v;
  }
  return pos - offset;
}

/** Does `b` parse as one lz4 block (sequences that stay inside it and refer only to output already produced)? */
export function isLz4Block(b: Buffer): boolean {
  let i = 0;
  let out = 0;
  const MAX_OUT = 8 * 1024 * 1024;
  while (i < b.length) {
    const token = b[i++]!;
    let lit = token >> 4;
    if (lit === 15) {
      let x: number;
      do {
        if (i >= b.length) return false;
        x = b[i++]!;
        lit += x;
      } while (x === 255);
    }
    i += lit;
    out += lit;
    if (i > b.length || out > MAX_OUT) return false;
    if (i === b.length) return true; // the last sequence has literals only
    if (i + 2 > b.length) return false;
    const dist = b[i]! | (b[i + 1]! << 8);
    i += 2;
    if (dist === 0 || dist > out) return false;
    let match = (token & 15) + 4;
    if ((token & 15) === 15) {
      let x: number;
      do {
        if (i >= b.length) return false;
        x = b[i++]!;
        match += x;
      } while (x === 255);
    }
    out += match;
    if (out > MAX_OUT) return false;
  }
  return false;
}

/** xz stream length: find the footer ("YZ" at a 4-byte boundary whose CRC32 and flags check out). */
async function xzLength(fh: FH, offset: number, size: number, where: string): Promise<number> {
  const header = await readAt(fh, offset, 12);
  const flags = header.subarray(6, 8);
  let pos = offset + 12;
  const CH = 1 << 20;
  while (pos < size) {
    const buf = await readAt(fh, pos, CH + 12);
    let i = buf.indexOf('YZ', 0, 'latin1');
    while (i >= 0 && i < CH) {
      const at = pos + i;
      if ((at + 2 - offset) % 4 === 0 && at - 10 >= offset + 12) {
        const foot = await readAt(fh, at - 10, 12);
        if (foot.subarray(8, 10).equals(flags) && zlib.crc32(foot.subarray(4, 10)) === foot.readUInt32LE(0)) {
          return at + 2 - offset;
        }
      }
      i = buf.indexOf('YZ', i + 1, 'latin1');
    }
    pos += CH;
  }
  throw new InputError(`${where}: truncated xz stream (no stream footer)`);
}

export type { DetectedFormat };
