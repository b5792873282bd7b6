/**
 * Where things are in an EROFS image, so that mutations can aim at each kind
 * of on-disk structure. Pure: reads a Buffer, follows the directory tree from
 * the root inode, and returns byte spans. The format is fs/erofs/erofs_fs.h
 * (Linux 6.12); only what mkfs.erofs writes for our guests is decoded in
 * depth (flat plain/inline and compressed compact/full inodes, 32-byte slots).
 */
import { InputError } from '../common/errors.js';
import { EROFS_MAGIC, EROFS_SB_OFFSET, EROFS_SB_SIZE } from '../initrd/index.js';

export { EROFS_MAGIC, EROFS_SB_OFFSET, EROFS_SB_SIZE };

/** Byte offsets of struct erofs_super_block fields, relative to the superblock. */
export const SB_FIELDS = {
  magic: { at: 0, size: 4 },
  checksum: { at: 4, size: 4 },
  feature_compat: { at: 8, size: 4 },
  blkszbits: { at: 12, size: 1 },
  sb_extslots: { at: 13, size: 1 },
  root_nid: { at: 14, size: 2 },
  inos: { at: 16, size: 8 },
  build_time: { at: 24, size: 8 },
  blocks: { at: 36, size: 4 },
  meta_blkaddr: { at: 40, size: 4 },
  xattr_blkaddr: { at: 44, size: 4 },
  feature_incompat: { at: 80, size: 4 },
  available_compr_algs: { at: 84, size: 2 },
  extra_devices: { at: 86, size: 2 },
  devt_slotoff: { at: 88, size: 2 },
  dirblkbits: { at: 90, size: 1 },
  xattr_prefix_count: { at: 91, size: 1 },
  xattr_prefix_start: { at: 92, size: 4 },
  packed_nid: { at: 96, size: 8 },
} as const;
export type SbField = keyof typeof SB_FIELDS;

/** EROFS_FEATURE_COMPAT_SB_CHKSUM: the superblock carries a crc32c. */
export const FEATURE_COMPAT_SB_CHKSUM = 0x1;

export const DATA_LAYOUTS = ['flat-plain', 'compressed-full', 'flat-inline', 'compressed-compact', 'chunk-based'] as const;
export type DataLayout = (typeof DATA_LAYOUTS)[number] | 'unknown';

export type InodeType = 'dir' | 'file' | 'symlink' | 'other';

export interface Span {
  /** First byte. */
  start: number;
  /** One past the last byte. */
  end: number;
}

export interface InodeInfo {
  nid: number;
  /** Path in the image, e.g. "/bin/busybox" (the first name found for it). */
  path: string;
  type: InodeType;
  layout: DataLayout;
  /** Byte offset of the on-disk inode. */
  offset: number;
  /** 32 (compact) or 64 (extended). */
  coreSize: number;
  xattrSize: number;
  size: number;
  rawBlkAddr: number;
  /** The inode with its inline xattrs, inline tail or compression indexes. */
  meta: Span;
  /** Compressed inodes: the map header and lcluster indexes (inside `meta`). */
  index?: Span;
}

export interface DirentInfo {
  /** The directory holding it. */
  dir: string;
  name: string;
  /** Byte offset of the 12-byte struct erofs_dirent. */
  offset: number;
  /** Byte span of its name. */
  nameSpan: Span;
  nid: number;
}

export interface ErofsLayout {
  imageBytes: number;
  blkszbits: number;
  blockSize: number;
  /** The superblock's block count (what the image claims to be). */
  blocks: number;
  metaBlkAddr: number;
  rootNid: number;
  featureCompat: number;
  featureIncompat: number;
  /** The superblock checksum is verified at mount (feature_compat bit 0). */
  checksummed: boolean;
  inodes: InodeInfo[];
  dirents: DirentInfo[];
  /** Directory contents (dirent blocks and inline tails). */
  directories: Array<Span & { path: string }>;
  /** Uncompressed regular-file data. */
  fileData: Array<Span & { path: string }>;
  /**
   * Blocks no inode, directory or uncompressed file claims: the compressed
   * clusters (mkfs.erofs writes nothing else there).
   */
  compressedData: Span[];
}

const S_IFMT = 0o170000;
const TYPES: Record<number, InodeType> = { 0o040000: 'dir', 0o100000: 'file', 0o120000: 'symlink' };

function readU64(buf: Buffer, at: number): number {
  return Number(buf.readBigUInt64LE(at));
}

const roundUp = (n: number, to: number): number => Math.ceil(n / to) * to;

/** Size of the lcluster index area of a compressed inode (fs/erofs/zmap.c, compacted_load_cluster_from_disk). */
function indexBytes(layout: DataLayout, ebase: number, totalidx: number, advise: number): number {
  if (layout === 'compressed-full') return totalidx * 8;
  const initial = Math.min(((32 - (ebase % 32)) / 4) & 7, totalidx);
  const twoB = advise & 0x1 && initial < totalidx ? Math.floor((totalidx - initial) / 16) * 16 : 0;
  const rest = totalidx - initial - twoB;
  return initial * 4 + twoB * 2 + rest * 4;
}

/** Decode the superblock and every inode reachable from the root directory. */
export function parseErofsLayout(image: Buffer): ErofsLayout {
  if (image.length < EROFS_SB_OFFSET + EROFS_SB_SIZE || image.readUInt32LE(EROFS_SB_OFFSET) !== EROFS_MAGIC) {
    throw new InputError('not an EROFS image: no magic 0xE0F5E1E2 at byte 1024');
  }
  const sb = EROFS_SB_OFFSET;
  const blkszbits = image[sb + SB_FIELDS.blkszbits.at] ?? 0;
  if (blkszbits < 9 || blkszbits > 12) throw new InputError(`EROFS image with block size bits ${blkszbits}: expected 9..12`);
  const blockSize = 1 << blkszbits;
  const featureCompat = image.readUInt32LE(sb + SB_FIELDS.feature_compat.at);
  const layout: ErofsLayout = {
    imageBytes: image.length,
    blkszbits,
    blockSize,
    blocks: image.readUInt32LE(sb + SB_FIELDS.blocks.at),
    metaBlkAddr: image.readUInt32LE(sb + SB_FIELDS.meta_blkaddr.at),
    rootNid: image.readUInt16LE(sb + SB_FIELDS.root_nid.at),
    featureCompat,
    featureIncompat: image.readUInt32LE(sb + SB_FIELDS.feature_incompat.at),
    checksummed: (featureCompat & FEATURE_COMPAT_SB_CHKSUM) !== 0,
    inodes: [],
    dirents: [],
    directories: [],
    fileData: [],
    compressedData: [],
  };
  const metaBase = layout.metaBlkAddr * blockSize;
  const inside = (start: number, len: number): boolean => start >= 0 && start + len <= image.length;

  const readInode = (nid: number, path: string): InodeInfo => {
    const offset = metaBase + nid * 32;
    if (!inside(offset, 32)) throw new InputError(`EROFS image: inode ${nid} (${path}) lies outside the image`);
    const format = image.readUInt16LE(offset);
    const extended = (format & 1) === 1;
    const coreSize = extended ? 64 : 32;
    if (!inside(offset, coreSize)) throw new InputError(`EROFS image: inode ${nid} (${path}) lies outside the image`);
    const dl = (format >> 1) & 7;
    const inodeLayout: DataLayout = DATA_LAYOUTS[dl] ?? 'unknown';
    const icount = image.readUInt16LE(offset + 2);
    const xattrSize = icount ? 12 + 4 * (icount - 1) : 0;
    const mode = image.readUInt16LE(offset + 4);
    const size = extended ? readU64(image, offset + 8) : image.readUInt32LE(offset + 8);
    const rawBlkAddr = image.readUInt32LE(offset + 16);
    const type = TYPES[mode & S_IFMT] ?? 'other';
    const bodyEnd = offset + coreSize + xattrSize;
    let metaEnd = bodyEnd;
    let index: Span | undefined;
    if (inodeLayout === 'flat-inline') {
      metaEnd = bodyEnd + (size % blockSize);
    } else if (inodeLayout === 'compressed-full' || inodeLayout === 'compressed-compact') {
      const headerAt = roundUp(bodyEnd, 8);
      const ebase = headerAt + 8;
      if (inside(headerAt, 8)) {
        const advise = image.readUInt16LE(headerAt + 4);
        const lclusterbits = blkszbits + ((image[headerAt + 7] ?? 0) & 0x0f);
        const totalidx = Math.ceil(size / 2 ** lclusterbits);
        metaEnd = ebase + indexBytes(inodeLayout, ebase, totalidx, advise);
        index = { start: headerAt, end: metaEnd };
      }
    }
    return { nid, path, type, layout: inodeLayout, offset, coreSize, xattrSize, size, rawBlkAddr, meta: { start: offset, end: metaEnd }, ...(index ? { index } : {}) };
  };

  /** The byte spans holding an uncompressed inode's data (blocks, then an inline tail). */
  const dataSpans = (ino: InodeInfo): Span[] => {
    if (ino.layout === 'flat-plain' || ino.layout === 'flat-inline') {
      const fullBlocks = ino.layout === 'flat-inline' ? Math.floor(ino.size / blockSize) : Math.ceil(ino.size / blockSize);
      const spans: Span[] = [];
      if (fullBlocks > 0) spans.push({ start: ino.rawBlkAddr * blockSize, end: Math.min(ino.rawBlkAddr * blockSize + ino.size, (ino.rawBlkAddr + fullBlocks) * blockSize) });
      if (ino.layout === 'flat-inline' && ino.size % blockSize) {
        const tail = ino.offset + ino.coreSize + ino.xattrSize;
        spans.push({ start: tail, end: tail + (ino.size % blockSize) });
      }
      return spans.filter((s) => s.end > s.start && inside(s.start, s.end - s.start));
    }
    return [];
  };

  const seen = new Set<number>();
  const queue: Array<{ nid: number; path: string }> = [{ nid: layout.rootNid, path: '/' }];
  while (queue.length > 0) {
    const { nid, path } = queue.shift() as { nid: number; path: string };
    if (seen.has(nid)) continue;
    seen.add(nid);
    const ino = readInode(nid, path);
    layout.inodes.push(ino);
    const spans = dataSpans(ino);
    if (ino.type === 'file') for (const s of spans) layout.fileData.push({ ...s, path });
    if (ino.type !== 'dir') continue;
    for (const s of spans) {
      layout.directories.push({ ...s, path });
      // Dirent blocks: a run of 12-byte dirents, then the names; the first nameoff gives the count.
      for (let blk = s.start; blk < s.end; blk += blockSize) {
        const blkEnd = Math.min(blk + blockSize, s.end);
        const first = image.readUInt16LE(blk + 8);
        const count = Math.floor(first / 12);
        if (first % 12 !== 0 || count === 0 || blk + count * 12 > blkEnd) {
          throw new InputError(`EROFS image: directory ${path} has a malformed dirent block at byte ${blk}`);
        }
        for (let i = 0; i < count; i++) {
          const at = blk + i * 12;
          const childNid = readU64(image, at);
          const nameoff = image.readUInt16LE(at + 8);
          const nextoff = i + 1 < count ? image.readUInt16LE(at + 20) : blkEnd - blk;
          let nameEnd = blk + nextoff;
          const nul = image.subarray(blk + nameoff, nameEnd).indexOf(0);
          if (nul >= 0) nameEnd = blk + nameoff + nul;
          const name = image.toString('latin1', blk + nameoff, nameEnd);
          layout.dirents.push({ dir: path, name, offset: at, nameSpan: { start: blk + nameoff, end: nameEnd }, nid: childNid });
          if (name === '.' || name === '..') continue;
          queue.push({ nid: childNid, path: path === '/' ? `/${name}` : `${path}/${name}` });
        }
      }
    }
  }

  // Compressed clusters: every block past the superblock's that nothing above claims.
  const claimed = new Uint8Array(Math.ceil(image.length / blockSize));
  const claim = (s: Span): void => {
    for (let b = Math.floor(s.start / blockSize); b * blockSize < s.end && b < claimed.length; b++) claimed[b] = 1;
  };
  claim({ start: 0, end: EROFS_SB_OFFSET + EROFS_SB_SIZE });
  for (const ino of layout.inodes) claim(ino.meta);
  for (const s of [...layout.directories, ...layout.fileData]) claim(s);
  const anyCompressed = layout.inodes.some((i) => i.layout === 'compressed-full' || i.layout === 'compressed-compact');
  const limit = Math.min(claimed.length, layout.blocks);
  for (let b = 0; anyCompressed && b < limit; b++) {
    if (claimed[b]) continue;
    const last = layout.compressedData.at(-1);
    if (last && last.end === b * blockSize) last.end += blockSize;
    else layout.compressedData.push({ start: b * blockSize, end: (b + 1) * blockSize });
  }
  return layout;
}

/**
 * crc32c (Castagnoli) as the kernel's crc32c(seed, data, len): no final
 * inversion. EROFS checks crc32c(~0, superblock from byte 1024 with the
 * checksum field zeroed, …) against the checksum field.
 */
const CRC32C_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(seed: number, data: Uint8Array): number {
  let crc = seed >>> 0;
  for (const byte of data) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return crc >>> 0;
}

/**
 * The superblock checksum EROFS expects for `image` as it stands (fs/erofs/
 * super.c, erofs_superblock_csum_verify): over 2^blkszbits bytes from byte
 * 1024, less 1024 when the block is larger than that. Undefined when the
 * block size bits make the kernel reject the image before checking.
 */
export function superblockChecksum(image: Buffer): number | undefined {
  const bits = image[EROFS_SB_OFFSET + SB_FIELDS.blkszbits.at] ?? 0;
  if (bits < 9 || bits > 12) return undefined;
  let len = 1 << bits;
  if (len > EROFS_SB_OFFSET) len -= EROFS_SB_OFFSET;
  if (image.length < EROFS_SB_OFFSET + len) return undefined;
  const copy = Buffer.from(image.subarray(EROFS_SB_OFFSET, EROFS_SB_OFFSET + len));
  copy.writeUInt32LE(0, SB_FIELDS.checksum.at);
  return crc32c(0xffffffff, copy);
}
