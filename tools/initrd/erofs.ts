/**
 * EROFS output (via mkfs.erofs on a staged directory) and superblock reading.
 *
 * Reproducibility: every file gets the same timestamp (-T), the UUID is
 * derived from the tree's content hash (-U), ownership is root (--all-root)
 * and host xattrs are not copied (-x -1), so the same tree gives the same bytes.
 */
import { createHash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IofsError, InputError } from '../common/errors.js';
import { run } from '../common/process.js';
import { contentChunks, type Tree } from './tree.js';

export const EROFS_COMPRESSIONS = ['none', 'lz4', 'lz4hc'] as const;

export interface ErofsCompression {
  algo: (typeof EROFS_COMPRESSIONS)[number];
  level: number | undefined;
}

export function parseErofsCompression(text: string): ErofsCompression {
  const [algo, levelText, extra] = text.split(',');
  if (!(EROFS_COMPRESSIONS as readonly string[]).includes(algo ?? '') || extra !== undefined) {
    throw new InputError(`unknown EROFS compression "${text}": valid are ${EROFS_COMPRESSIONS.join(', ')} (lz4hc takes a level, e.g. lz4hc,12)`);
  }
  if (levelText === undefined) return { algo: algo as ErofsCompression['algo'], level: undefined };
  const level = Number(levelText);
  if (algo !== 'lz4hc' || !Number.isInteger(level) || level < 0 || level > 12) {
    throw new InputError(algo === 'lz4hc' ? `lz4hc level must be an integer 0..12, got "${levelText}"` : `EROFS compression "${algo}" takes no level`);
  }
  return { algo: 'lz4hc', level };
}

export function formatErofsCompression(c: ErofsCompression): string {
  return c.level === undefined ? c.algo : `${c.algo},${c.level}`;
}

/**
 * Materialise `tree` under `dir` (which must not exist or be empty). Returns a
 * sha256 over the tree (paths, types, modes, contents) for the image UUID.
 * Device nodes need mknod(2): as root that works; otherwise a clear error.
 */
export async function stageTreeTo(tree: Tree, dir: string, signal?: AbortSignal): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const digest = createHash('sha256');
  const entries = tree.sorted();
  const dirs: Array<[string, number]> = [];
  for (const [p, e] of entries) {
    signal?.throwIfAborted();
    const at = path.join(dir, p);
    digest.update(`${p}\0${e.type}\0`);
    switch (e.type) {
      case 'dir':
        await fs.mkdir(at, { recursive: true });
        dirs.push([at, e.mode]);
        digest.update(`${e.mode}\0`);
        break;
      case 'file': {
        const h = createHash('sha256');
        await pipeline(
          Readable.from(
            (async function* () {
              for await (const c of contentChunks(e)) {
                h.update(c);
                yield c;
              }
            })(),
          ),
          createWriteStream(at, { mode: 0o600 }),
        );
        await fs.chmod(at, e.mode);
        digest.update(`${e.mode}\0${h.digest('hex')}\0`);
        break;
      }
      case 'symlink':
        await fs.symlink(e.target, at);
        digest.update(`${e.target}\0`);
        break;
      case 'hardlink':
        digest.update(`${e.target}\0`);
        break;
      case 'device':
      case 'fifo': {
        const args = e.type === 'device' ? ['-m', e.mode.toString(8), at, e.device, String(e.major), String(e.minor)] : ['-m', e.mode.toString(8), at];
        // 'any': a refusal is explained below (root, CAP_MKNOD), not as a bare exit code.
        const r = await run(e.type === 'device' ? 'mknod' : 'mkfifo', args, { okExitCodes: 'any' });
        if (r.exitCode !== 0) {
          const perm = /not permitted|permission denied/i.test(r.stderr);
          throw new IofsError(`cannot create ${e.type === 'device' ? 'device node' : 'fifo'} ${p} in the staging directory: ${r.stderr.trim()}`, {
            exitCode: perm ? 2 : 5,
            hint: perm ? 'staging an EROFS image with device nodes needs root (CAP_MKNOD); run as root or drop "devices" and rely on devtmpfs' : undefined,
          });
        }
        digest.update(e.type === 'device' ? `${e.device}${e.major}:${e.minor}\0${e.mode}\0` : `${e.mode}\0`);
        break;
      }
    }
  }
  // Hard links after every file exists (a link may sort before its target).
  for (const [p, e] of entries) if (e.type === 'hardlink') await fs.link(path.join(dir, e.target), path.join(dir, p));
  // Directory modes last, deepest first: a 0500 directory must not block its own staging.
  for (const [at, mode] of dirs.reverse()) await fs.chmod(at, mode);
  return digest.digest('hex');
}

/** UUID (v4 layout) from a content hash: same tree, same UUID. */
export function uuidFromHash(hex: string): string {
  const b = Buffer.from(hex.slice(0, 32), 'hex');
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface MkfsOptions {
  compression: ErofsCompression;
  /** Fixed timestamp for every inode and the superblock. */
  mtime: number;
  uuid: string;
  /** Physical cluster size in bytes (-C), a multiple of 4096. */
  clusterBytes?: number | undefined;
  signal?: AbortSignal | undefined;
}

export async function mkfsErofs(stagingDir: string, output: string, opts: MkfsOptions): Promise<void> {
  const args = ['--quiet', `-T${opts.mtime}`, `-U${opts.uuid}`, '--all-root', '-x', '-1'];
  if (opts.compression.algo !== 'none') args.push(`-z${formatErofsCompression(opts.compression)}`);
  if (opts.clusterBytes !== undefined) {
    if (opts.compression.algo === 'none') throw new InputError('--cluster-size only applies to compressed EROFS images');
    if (opts.clusterBytes % 4096 !== 0 || opts.clusterBytes <= 0) throw new InputError(`cluster size must be a positive multiple of 4096, got ${opts.clusterBytes}`);
    args.push(`-C${opts.clusterBytes}`);
  }
  args.push(output, stagingDir);
  await run('mkfs.erofs', args, { installHint: 'run scripts/setup (Debian package erofs-utils)', ...(opts.signal ? { signal: opts.signal } : {}) }).catch((err: unknown) => {
    // Cancelled: the abort, not the killed program, is the news.
    opts.signal?.throwIfAborted();
    throw err;
  });
}

export interface ErofsSuperblock {
  magic: string;
  checksum: string;
  featureCompat: string[];
  featureIncompat: string[];
  blkszbits: number;
  blockSize: number;
  rootNid: number;
  inodes: number;
  blocks: number;
  buildTime: number;
  buildTimeNsec: number;
  metaBlkAddr: number;
  xattrBlkAddr: number;
  uuid: string;
  volumeName: string;
  /** Algorithms the image uses (from available_compr_algs, or lz4 when COMPR_CFGS is absent and any file is compressed). */
  compressionAlgorithms: string[];
  lz4MaxDistance: number | undefined;
  extraDevices: number;
}

const COMPAT: Record<number, string> = { 0x1: 'sb_csum', 0x2: 'mtime', 0x4: 'xattr_filter' };
const INCOMPAT: Record<number, string> = { 0x1: 'zero_padding', 0x2: 'compr_cfgs|big_pcluster', 0x4: 'chunked_file', 0x8: 'device_table|compr_head2', 0x10: 'ztailpacking', 0x20: 'fragments|dedupe', 0x40: 'xattr_prefixes' };
const ALGS = ['lz4', 'lzma', 'deflate', 'zstd'];

const flagNames = (v: number, names: Record<number, string>): string[] => {
  const out: string[] = [];
  for (let bit = 1; bit !== 0 && bit <= v; bit <<= 1) if (v & bit) out.push(names[bit] ?? `0x${bit.toString(16)}`);
  return out;
};

/** Where struct erofs_super_block sits in an image, its size, and its magic (fs/erofs/erofs_fs.h): the one place these are written. */
export const EROFS_SB_OFFSET = 1024;
export const EROFS_SB_SIZE = 128;
export const EROFS_MAGIC = 0xe0f5e1e2;

/** Whether `buf` starts with an EROFS superblock (the magic at byte 1024). Pure. */
export function hasErofsMagic(buf: Buffer): boolean {
  return buf.length >= EROFS_SB_OFFSET + 4 && buf.readUInt32LE(EROFS_SB_OFFSET) === EROFS_MAGIC;
}

/** Decode the superblock at byte 1024 (fs/erofs/erofs_fs.h, struct erofs_super_block). */
export function parseErofsSuperblock(buf: Buffer): ErofsSuperblock | undefined {
  if (buf.length < EROFS_SB_OFFSET + EROFS_SB_SIZE || !hasErofsMagic(buf)) return undefined;
  const sb = buf.subarray(EROFS_SB_OFFSET, EROFS_SB_OFFSET + EROFS_SB_SIZE);
  const incompat = sb.readUInt32LE(80);
  const u1 = sb.readUInt16LE(84);
  const hasCfgs = (incompat & 0x2) !== 0;
  const uuidHex = sb.subarray(48, 64).toString('hex');
  const nul = sb.subarray(64, 80).indexOf(0);
  return {
    magic: '0x' + sb.readUInt32LE(0).toString(16).toUpperCase(),
    checksum: '0x' + sb.readUInt32LE(4).toString(16).padStart(8, '0'),
    featureCompat: flagNames(sb.readUInt32LE(8), COMPAT),
    featureIncompat: flagNames(incompat, INCOMPAT),
    blkszbits: sb[12]!,
    blockSize: 2 ** sb[12]!,
    rootNid: sb.readUInt16LE(14),
    inodes: Number(sb.readBigUInt64LE(16)),
    buildTime: Number(sb.readBigUInt64LE(24)),
    buildTimeNsec: sb.readUInt32LE(32),
    blocks: sb.readUInt32LE(36),
    metaBlkAddr: sb.readUInt32LE(40),
    xattrBlkAddr: sb.readUInt32LE(44),
    uuid: `${uuidHex.slice(0, 8)}-${uuidHex.slice(8, 12)}-${uuidHex.slice(12, 16)}-${uuidHex.slice(16, 20)}-${uuidHex.slice(20)}`,
    volumeName: sb.toString('utf8', 64, nul < 0 ? 80 : 64 + nul),
    compressionAlgorithms: hasCfgs ? ALGS.filter((_, i) => u1 & (1 << i)) : [],
    lz4MaxDistance: hasCfgs ? undefined : u1,
    extraDevices: sb.readUInt16LE(86),
  };
}
