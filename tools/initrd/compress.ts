/**
 * Compression of initrd segments and detection of compressed data by magic.
 *
 * Streams through the compressor (node zlib for gzip, the real CLIs for the
 * others), so output size is bounded by the disk, not RAM. Parameters follow
 * what the kernel's decompressors accept: lz4 must be the LEGACY frame
 * (`lz4 -l`), xz must use CRC32 (`--check=crc32`); zstd runs single-threaded
 * because its multi-threaded output differs between runs/machines.
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { execa } from 'execa';
import { InfraError, InputError, IofsError } from '../common/errors.js';
import { hasErofsMagic } from './erofs.js';

export const CPIO_COMPRESSIONS = ['none', 'gzip', 'zstd', 'lz4', 'xz'] as const;
export type CpioCompression = (typeof CPIO_COMPRESSIONS)[number];

export interface CompressionSpec {
  algo: CpioCompression;
  /** undefined = our default (gzip 9, zstd 15, lz4 9, xz 6): the levels measurements.md uses. */
  level: number | undefined;
}

const LEVELS: Record<CpioCompression, [number, number, number]> = {
  // [min, max, default]
  none: [0, 0, 0],
  gzip: [1, 9, 9],
  zstd: [1, 19, 15],
  lz4: [1, 12, 9],
  xz: [0, 9, 6],
};

/** "zstd", "zstd,19", "gzip,6" → spec; errors list the valid values. */
export function parseCpioCompression(text: string): CompressionSpec {
  const [algo, levelText, extra] = text.split(',');
  if (!(CPIO_COMPRESSIONS as readonly string[]).includes(algo ?? '') || extra !== undefined) {
    throw new InputError(`unknown cpio compression "${text}": valid are ${CPIO_COMPRESSIONS.join(', ')} (optionally ",LEVEL", e.g. zstd,19)`);
  }
  const a = algo as CpioCompression;
  if (levelText === undefined) return { algo: a, level: undefined };
  const [min, max] = LEVELS[a];
  const level = Number(levelText);
  if (a === 'none' || !Number.isInteger(level) || level < min || level > max) {
    throw new InputError(a === 'none' ? `compression "none" takes no level` : `${a} level must be an integer ${min}..${max}, got "${levelText}"`);
  }
  return { algo: a, level };
}

export function formatCompression(c: CompressionSpec): string {
  return c.algo === 'none' ? 'none' : `${c.algo},${c.level ?? LEVELS[c.algo][2]}`;
}

function cliFor(c: CompressionSpec): [string, string[]] | undefined {
  const level = c.level ?? LEVELS[c.algo][2];
  switch (c.algo) {
    case 'zstd':
      return ['zstd', [`-${level}`, '-T1', '-q', '-c']];
    case 'lz4':
      return ['lz4', ['-l', `-${level}`, '-q', '-c']];
    case 'xz':
      return ['xz', ['--check=crc32', `-${level}`, '-T1', '-q', '-c']];
    default:
      return undefined;
  }
}

/**
 * Write `chunks` through compressor `c` into `out`, leaving `out` open (several
 * segments go into one file).
 */
export async function writeCompressed(chunks: AsyncIterable<Buffer>, c: CompressionSpec, out: Writable): Promise<void> {
  const source = Readable.from(chunks, { objectMode: false });
  if (c.algo === 'none') {
    await pipeline(source, out, { end: false });
    return;
  }
  if (c.algo === 'gzip') {
    await pipeline(source, zlib.createGzip({ level: c.level ?? 9, chunkSize: 1 << 20 }), out, { end: false });
    return;
  }
  const [cmd, args] = cliFor(c)!;
  await runFilter(cmd, args, source, out);
}

/** Pipe `source` through an external filter into `out` (left open). */
export async function runFilter(cmd: string, args: string[], source: Readable, out: Writable): Promise<void> {
  // Streams the archive through the filter: run() buffers.
  const sub = execa(cmd, args, { stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', buffer: { stdout: false, stderr: true } });
  try {
    await Promise.all([pipeline(source, sub.stdin), pipeline(sub.stdout, out, { end: false }), sub]);
  } catch (err) {
    sub.kill();
    await sub.catch(() => undefined);
    // Our own errors (a source file changed while packing) pass through unchanged.
    if (err instanceof IofsError) throw err;
    const e = err as { code?: string; stderr?: string; shortMessage?: string };
    if (e.code === 'ENOENT') throw new InfraError(`${cmd} is not installed`, { hint: 'run scripts/setup', cause: err });
    const why = (e.stderr ?? '').trim() || e.shortMessage || (err as Error).message;
    throw new InfraError(`${cmd} ${args.join(' ')} failed: ${why}`, { cause: err });
  }
}

/** Compression (or archive) formats recognised by magic, as the kernel's initramfs unpacker does. */
export type DetectedFormat = 'cpio' | 'gzip' | 'zstd' | 'lz4' | 'xz' | 'lz4-frame' | 'bzip2' | 'lzma' | 'lzo' | 'cpio-odc' | 'tar' | 'erofs' | 'unknown';

export function detectFormat(head: Buffer): DetectedFormat {
  const starts = (bytes: number[]): boolean => bytes.every((b, i) => head[i] === b);
  const ascii = head.toString('latin1', 0, 6);
  if (ascii === '070701' || ascii === '070702') return 'cpio';
  if (ascii === '070707') return 'cpio-odc';
  if (starts([0x1f, 0x8b]) || starts([0x1f, 0x9e])) return 'gzip';
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  if (starts([0x02, 0x21, 0x4c, 0x18])) return 'lz4';
  if (starts([0x04, 0x22, 0x4d, 0x18])) return 'lz4-frame';
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (starts([0x42, 0x5a, 0x68])) return 'bzip2';
  if (starts([0x89, 0x4c, 0x5a, 0x4f])) return 'lzo';
  if (starts([0x5d, 0x00, 0x00])) return 'lzma';
  if (hasErofsMagic(head)) return 'erofs';
  if (head.length >= 263 && head.toString('latin1', 257, 262) === 'ustar') return 'tar';
  return 'unknown';
}

/** A decompressing transform for a whole stream of `format` (used for tarballs). */
export function decompressStream(format: DetectedFormat, source: Readable): Readable {
  switch (format) {
    case 'gzip':
      return source.pipe(zlib.createGunzip());
    case 'zstd':
    case 'xz':
    case 'lz4': {
      // Streams the tarball through the decompressor: run() buffers.
      const sub = execa(format, ['-d', '-q', '-c'], { stdin: 'pipe', stdout: 'pipe', buffer: false });
      source.pipe(sub.stdin);
      sub.catch((err: unknown) => sub.stdout.destroy(new InfraError(`${format} -d failed: ${(err as Error).message}`)));
      return sub.stdout;
    }
    default:
      return source;
  }
}
