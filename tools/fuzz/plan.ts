/**
 * Fuzz cases as plain data: a seed and an image's layout give the same list
 * of edit lists every time, so a case that crashes a kernel can be named by
 * its seed and number, written down and replayed. Pure.
 *
 * Regions and what is done there:
 *  - superblock: raw bit flips and overwrites (the crc32c then no longer
 *    matches, unless the flip clears the checksum feature), and chosen field
 *    values with the checksum recomputed, so EROFS trusts them.
 *  - inode: flips and chosen values in inode cores (format, mode, size, block
 *    address, xattr count, nlink) and in compressed files' lcluster indexes.
 *  - directory: dirent nids, name offsets, file types, names and whole runs.
 *  - compressed-data: flips, overwrites and filled runs in compressed clusters.
 *  - truncation: the image cut short at many offsets, also with the block
 *    count (and checksum) made to agree, so only EROFS can notice.
 *  - magic-garbage: an EROFS magic followed by garbage.
 *  - size: block counts that lie (larger than the image, than the guest's
 *    memory, smaller) and bytes appended after the image.
 *  - layers: the image in a layered initrd (issue 12) with its boundaries
 *    damaged: an early cpio in front padded short or long or with non-zero
 *    padding, trailers renamed or missing, a size field that runs into the
 *    image, trailing archives cut, misaligned or compressed, two images.
 * Case 0 is always the unmodified image: if it does not boot, nothing else means anything.
 */
import { gzipSync } from 'node:zlib';
import { InputError } from '../common/errors.js';
import type { ImageEdit } from '../initrd/index.js';
import { applyImageEdits, cpioArchiveBytes, LAYER_ALIGN } from '../initrd/index.js';
import {
  EROFS_MAGIC,
  EROFS_SB_OFFSET,
  SB_FIELDS,
  superblockChecksum,
  type DirentInfo,
  type ErofsLayout,
  type InodeInfo,
  type SbField,
  type Span,
} from './layout.js';

export const FUZZ_REGIONS = ['superblock', 'inode', 'directory', 'compressed-data', 'truncation', 'magic-garbage', 'size', 'layers'] as const;
export type FuzzRegion = (typeof FUZZ_REGIONS)[number];

/** Share of the cases each region gets (after one each). */
const REGION_WEIGHTS: Record<FuzzRegion, number> = {
  superblock: 85,
  inode: 60,
  directory: 45,
  'compressed-data': 45,
  truncation: 40,
  'magic-garbage': 15,
  size: 24,
  layers: 30,
};

export interface FuzzCase {
  /** 0 is the unmodified image. */
  id: number;
  region: FuzzRegion | 'control';
  /** What was done and where, in words (the edits say it in bytes). */
  mutation: string;
  edits: ImageEdit[];
}

export interface PlanOptions {
  seed: number;
  /** Total cases, the control included. */
  count: number;
  /** Guest memory, for "claims more than the guest's RAM". */
  memoryMiB: number;
  /** Only these regions (default all). */
  regions?: readonly FuzzRegion[];
}

/** mulberry32: small, fast, and the same on every machine. */
export function makeRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: <T>(xs: readonly T[]): T => {
      if (xs.length === 0) throw new Error('internal: pick from an empty list');
      return xs[Math.floor(next() * xs.length)] as T;
    },
    bytes: (n) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = Math.floor(next() * 256);
      return b;
    },
  };
}

export interface Rng {
  next(): number;
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number;
  pick<T>(xs: readonly T[]): T;
  bytes(n: number): Buffer;
}

const hex = (n: number): string => `0x${n.toString(16)}`;

function le(value: number | bigint, size: number): string {
  const b = Buffer.alloc(size);
  if (size === 8) b.writeBigUInt64LE(BigInt(value));
  else b.writeUIntLE(Number(value), 0, size);
  return b.toString('hex');
}

/** Edits that set a superblock field. */
function setField(field: SbField, value: number | bigint): ImageEdit {
  const f = SB_FIELDS[field];
  return { op: 'write', offset: EROFS_SB_OFFSET + f.at, hex: le(value, f.size) };
}

/**
 * Appends the write that makes the superblock checksum match again after
 * `edits`, so EROFS reads the mutated fields instead of rejecting the crc.
 */
function withChecksum(image: Buffer, edits: ImageEdit[]): ImageEdit[] {
  const mutated = applyImageEdits(image, edits);
  const crc = superblockChecksum(mutated);
  if (crc === undefined) return edits;
  return [...edits, { op: 'write', offset: EROFS_SB_OFFSET + SB_FIELDS.checksum.at, hex: le(crc, 4) }];
}

function randomOffset(rng: Rng, s: Span): number {
  return rng.int(s.start, s.end - 1);
}

/** Paths /init and dropbear need, where damage shows at boot (others are mutated too, less often). */
const BOOT_PATHS = [/^\/$/, /^\/init$/, /^\/bin(\/busybox|\/sh)?$/, /^\/usr(\/sbin(\/dropbear)?)?$/, /^\/lib(64)?(\/|$)/, /^\/etc(\/|$)/, /^\/dev$/, /^\/proc$/, /^\/sys$/, /^\/tmp$/];
const onBootPath = (p: string): boolean => BOOT_PATHS.some((re) => re.test(p));

function pickBiased<T extends { path?: string; dir?: string }>(rng: Rng, xs: readonly T[]): T {
  const boot = xs.filter((x) => onBootPath(x.path ?? x.dir ?? ''));
  return boot.length > 0 && rng.next() < 0.7 ? rng.pick(boot) : rng.pick(xs);
}

type Generator = (rng: Rng, k: number) => { mutation: string; edits: ImageEdit[] };

interface Context {
  image: Buffer;
  layout: ErofsLayout;
  memoryMiB: number;
}

function superblockCase(c: Context): Generator {
  const { image, layout } = c;
  const sb: Span = { start: EROFS_SB_OFFSET, end: EROFS_SB_OFFSET + 128 };
  const nids = layout.inodes;
  const fileNid = nids.find((i) => i.type === 'file')?.nid ?? 1;
  const symlinkNid = nids.find((i) => i.type === 'symlink')?.nid ?? 2;
  // Chosen values: each one a way the kernel could trust a lie.
  const allFieldValues: Array<[SbField, number | bigint]> = [
    ['blkszbits', 0], ['blkszbits', 8], ['blkszbits', 9], ['blkszbits', 10], ['blkszbits', 11], ['blkszbits', 13], ['blkszbits', 16], ['blkszbits', 255],
    ['root_nid', 0], ['root_nid', 1], ['root_nid', layout.rootNid + 1], ['root_nid', fileNid], ['root_nid', symlinkNid], ['root_nid', 0xffff],
    ['inos', 0], ['inos', 0xffffffffffffffffn],
    ['blocks', 0], ['blocks', 1], ['blocks', layout.blocks - 1], ['blocks', layout.blocks + 1], ['blocks', 0xffffffff],
    ['meta_blkaddr', 1], ['meta_blkaddr', layout.blocks - 1], ['meta_blkaddr', layout.blocks], ['meta_blkaddr', 0x10000000], ['meta_blkaddr', 0xffffffff],
    ['xattr_blkaddr', 1], ['xattr_blkaddr', 0xffffffff],
    ['feature_incompat', layout.featureIncompat | 0x2], ['feature_incompat', layout.featureIncompat | 0x4], ['feature_incompat', layout.featureIncompat | 0x8],
    ['feature_incompat', layout.featureIncompat | 0x10], ['feature_incompat', layout.featureIncompat | 0x20], ['feature_incompat', layout.featureIncompat | 0x40],
    ['feature_incompat', 0x7f], ['feature_incompat', 0x8000], ['feature_incompat', 0],
    ['available_compr_algs', 0xffff], ['available_compr_algs', 0x2],
    ['sb_extslots', 1], ['sb_extslots', 0xff],
    ['extra_devices', 1], ['extra_devices', 0xffff], ['devt_slotoff', 0xffff],
    ['dirblkbits', 1], ['xattr_prefix_count', 0xff], ['xattr_prefix_start', 0xffffffff], ['packed_nid', 0xffffffffffffffffn],
  ];
  // A value the image already has would test nothing.
  const differs = ([field, value]: [SbField, number | bigint]): boolean => {
    const f = SB_FIELDS[field];
    return le(value, f.size) !== image.subarray(EROFS_SB_OFFSET + f.at, EROFS_SB_OFFSET + f.at + f.size).toString('hex');
  };
  const fieldValues = allFieldValues.filter(differs);
  const fieldOf = (off: number): string => {
    const rel = off - EROFS_SB_OFFSET;
    const hit = (Object.entries(SB_FIELDS) as Array<[string, { at: number; size: number }]>).find(([, f]) => rel >= f.at && rel < f.at + f.size);
    return hit ? hit[0] : `byte ${rel}`;
  };
  const raw: Generator = (rng, k) => {
    switch (k % 3) {
      case 0: {
        const off = randomOffset(rng, sb);
        const bit = rng.int(0, 7);
        return { mutation: `superblock: flip bit ${bit} of ${fieldOf(off)} (checksum left stale)`, edits: [{ op: 'flip', offset: off, bit }] };
      }
      case 1: {
        const n = rng.pick([1, 2, 4, 8]);
        const off = rng.int(sb.start, sb.end - n);
        const bytes = rng.bytes(n).toString('hex');
        return { mutation: `superblock: overwrite ${fieldOf(off)} with ${bytes} (checksum left stale)`, edits: [{ op: 'write', offset: off, hex: bytes }] };
      }
      default: {
        // Clearing sb_csum turns the checksum off: every other lie is then read.
        const off = randomOffset(rng, { start: sb.start + 12, end: sb.end });
        const bit = rng.int(0, 7);
        return {
          mutation: `superblock: checksum feature cleared, flip bit ${bit} of ${fieldOf(off)}`,
          edits: [setField('feature_compat', layout.featureCompat & ~1), { op: 'flip', offset: off, bit }],
        };
      }
    }
  };
  // One raw case in three; the others walk the chosen values in order, then pick at random.
  return (rng, k) => {
    if (k % 3 === 0) return raw(rng, k / 3);
    const j = k - Math.floor(k / 3) - 1;
    const [field, value] = (j < fieldValues.length ? fieldValues[j] : rng.pick(fieldValues)) as [SbField, number | bigint];
    const edits = withChecksum(image, [setField(field, value)]);
    // With block size bits EROFS rejects before checking the crc, there is none to fix.
    const note = edits.length > 1 ? 'checksum recomputed' : 'no checksum to fix for this block size';
    return { mutation: `superblock: ${field}=0x${value.toString(16)} (${note})`, edits };
  };
}

function inodeCase(c: Context): Generator {
  const { layout } = c;
  const inodes = layout.inodes;
  const compressed = inodes.filter((i) => i.index);
  const field = (ino: InodeInfo, name: string): { at: number; size: number } => {
    const ext = ino.coreSize === 64;
    const f: Record<string, { at: number; size: number }> = {
      i_format: { at: 0, size: 2 },
      i_xattr_icount: { at: 2, size: 2 },
      i_mode: { at: 4, size: 2 },
      i_size: { at: 8, size: ext ? 8 : 4 },
      i_u: { at: 16, size: 4 },
      i_nlink: ext ? { at: 44, size: 4 } : { at: 6, size: 2 },
    };
    return f[name] as { at: number; size: number };
  };
  const values = (ino: InodeInfo): Array<[string, number]> => [
    ['i_format', ino.coreSize === 64 ? 0 : 1], ['i_format', 1 << 1], ['i_format', 3 << 1], ['i_format', 4 << 1], ['i_format', 7 << 1], ['i_format', 0xffff],
    ['i_xattr_icount', 1], ['i_xattr_icount', 0xffff],
    ['i_mode', 0o040755], ['i_mode', 0o100755], ['i_mode', 0o120777], ['i_mode', 0o020600], ['i_mode', 0],
    ['i_size', 0], ['i_size', ino.size + 1], ['i_size', ino.size * 2 + 4096], ['i_size', 0x7fffffff], ['i_size', 0xffffffff],
    ['i_u', 0], ['i_u', layout.blocks], ['i_u', 0xffffffff], ['i_nlink', 0],
  ];
  return (rng, k) => {
    const kind = k % 5;
    if (kind === 3 && compressed.length > 0) {
      const ino = pickBiased(rng, compressed);
      const idx = ino.index as Span;
      if (rng.next() < 0.4) {
        // Map header: advise, algorithm, cluster bits.
        const which = rng.pick([['h_advise', 4, 2], ['h_algorithmtype', 6, 1], ['h_clusterbits', 7, 1]] as const);
        const bytes = rng.bytes(which[2]).toString('hex');
        return { mutation: `inode ${ino.path}: map header ${which[0]}=${bytes}`, edits: [{ op: 'write', offset: idx.start + which[1], hex: bytes }] };
      }
      const off = randomOffset(rng, { start: idx.start + 8, end: idx.end });
      const bytes = rng.bytes(rng.pick([1, 2, 4])).toString('hex');
      return { mutation: `inode ${ino.path}: lcluster index bytes at +${off - idx.start} = ${bytes}`, edits: [{ op: 'write', offset: Math.min(off, idx.end - bytes.length / 2), hex: bytes }] };
    }
    const ino = pickBiased(rng, inodes);
    const core: Span = { start: ino.offset, end: ino.offset + ino.coreSize };
    if (kind === 0 || kind === 3) {
      const off = randomOffset(rng, core);
      const bit = rng.int(0, 7);
      return { mutation: `inode ${ino.path}: flip bit ${bit} at +${off - ino.offset}`, edits: [{ op: 'flip', offset: off, bit }] };
    }
    if (kind === 4) {
      const byte = rng.pick([0x00, 0xff]);
      return { mutation: `inode ${ino.path}: whole core filled with ${hex(byte)}`, edits: [{ op: 'fill', offset: core.start, length: ino.coreSize, byte }] };
    }
    const [name, value] = rng.pick(values(ino));
    const f = field(ino, name);
    return { mutation: `inode ${ino.path}: ${name}=${hex(value)}`, edits: [{ op: 'write', offset: ino.offset + f.at, hex: le(value, f.size) }] };
  };
}

function directoryCase(c: Context): Generator {
  const { layout } = c;
  const dirents = layout.dirents;
  const parentNid = (d: DirentInfo): number => layout.inodes.find((i) => i.path === d.dir)?.nid ?? layout.rootNid;
  return (rng, k) => {
    const kind = k % 5;
    if (kind === 0) {
      const dir = pickBiased(rng, layout.directories);
      const off = randomOffset(rng, dir);
      const bit = rng.int(0, 7);
      return { mutation: `directory ${dir.path}: flip bit ${bit} at +${off - dir.start}`, edits: [{ op: 'flip', offset: off, bit }] };
    }
    const d = pickBiased(rng, dirents);
    const where = `directory ${d.dir}: entry "${d.name}"`;
    if (kind === 1) {
      const nid = rng.pick([0n, BigInt(d.nid + 1), BigInt(parentNid(d)), 0xffffffffn, 0xffffffffffffffffn, BigInt(rng.int(0, 1 << 20))]);
      return { mutation: `${where} nid=0x${nid.toString(16)}`, edits: [{ op: 'write', offset: d.offset, hex: le(nid, 8) }] };
    }
    if (kind === 2) {
      const nameoff = rng.pick([0, 1, 11, 12, 0xfff, 0x1000, 0xffff, d.nameSpan.end - (d.offset - (d.offset % layout.blockSize)), rng.int(0, 0xffff)]);
      return { mutation: `${where} nameoff=${hex(nameoff)}`, edits: [{ op: 'write', offset: d.offset + 8, hex: le(nameoff, 2) }] };
    }
    if (kind === 3) {
      if (d.nameSpan.end > d.nameSpan.start && rng.next() < 0.6) {
        const repl = rng.pick(['2f', '00', '2e', '2e2e', 'ff']);
        const len = Math.min(repl.length / 2, d.nameSpan.end - d.nameSpan.start);
        return { mutation: `${where}: name bytes set to ${repl.slice(0, len * 2)}`, edits: [{ op: 'write', offset: d.nameSpan.start, hex: repl.slice(0, len * 2) }] };
      }
      const ft = rng.pick([0, 1, 2, 7, 8, 0xff]);
      return { mutation: `${where} file_type=${ft}`, edits: [{ op: 'write', offset: d.offset + 10, hex: le(ft, 1) }] };
    }
    const dir = pickBiased(rng, layout.directories);
    const byte = rng.pick([0x00, 0xff]);
    return { mutation: `directory ${dir.path}: all ${dir.end - dir.start} bytes filled with ${hex(byte)}`, edits: [{ op: 'fill', offset: dir.start, length: dir.end - dir.start, byte }] };
  };
}

function compressedCase(c: Context): Generator {
  const spans = c.layout.compressedData;
  const total = spans.reduce((n, s) => n + s.end - s.start, 0);
  /** A uniformly random byte of the compressed area. */
  const anyOffset = (rng: Rng): number => {
    let at = rng.int(0, total - 1);
    for (const s of spans) {
      if (at < s.end - s.start) return s.start + at;
      at -= s.end - s.start;
    }
    return (spans[0] as Span).start;
  };
  return (rng, k) => {
    const off = anyOffset(rng);
    const block = c.layout.blockSize;
    switch (k % 4) {
      case 0: {
        const bit = rng.int(0, 7);
        return { mutation: `compressed data: flip bit ${bit} at ${hex(off)}`, edits: [{ op: 'flip', offset: off, bit }] };
      }
      case 1: {
        const n = Math.min(rng.pick([1, 4, 16]), c.layout.imageBytes - off);
        const bytes = rng.bytes(n).toString('hex');
        return { mutation: `compressed data: ${n} random bytes at ${hex(off)}`, edits: [{ op: 'write', offset: off, hex: bytes }] };
      }
      case 2: {
        const len = Math.min(rng.pick([64, 512, 4096]), c.layout.imageBytes - off);
        const byte = rng.pick([0x00, 0xff, rng.int(0, 255)]);
        return { mutation: `compressed data: ${len} bytes at ${hex(off)} filled with ${hex(byte)}`, edits: [{ op: 'fill', offset: off, length: len, byte }] };
      }
      default: {
        const start = off - (off % block);
        return { mutation: `compressed data: block ${start / block} zeroed`, edits: [{ op: 'fill', offset: start, length: block, byte: 0 }] };
      }
    }
  };
}

function truncationCase(c: Context): Generator {
  const { image, layout } = c;
  const size = image.length;
  // Fixed cut points first (inside and around the superblock, block edges), then spread over the image.
  const fixed = [1, 512, 1023, 1024, 1027, 1028, 1100, 1151, 1152, 2048, 4095, 4096, 4097, size - 1];
  return (rng, k) => {
    const agree = k % 3 === 2;
    const len = k < fixed.length && !agree ? (fixed[k] as number) : rng.int(1, size - 1);
    if (!agree || len < layout.blockSize) return { mutation: `truncated to ${len} of ${size} bytes`, edits: [{ op: 'truncate', length: len }] };
    // The block count made to agree (checksum too): our check passes, EROFS meets missing blocks.
    const blocks = Math.floor(len / layout.blockSize);
    return {
      mutation: `truncated to ${len} of ${size} bytes, blocks=${blocks} to match (checksum recomputed)`,
      edits: withChecksum(image.subarray(0, len), [{ op: 'truncate', length: len }, setField('blocks', blocks)]),
    };
  };
}

function magicGarbageCase(c: Context): Generator {
  const { image, layout } = c;
  return (rng, k) => {
    const garbageBytes = rng.pick([4096, 8192, 65536]);
    const garbage = rng.bytes(Math.min(garbageBytes, 16384)).toString('hex');
    const base: ImageEdit[] = [{ op: 'truncate', length: garbageBytes }, { op: 'write', offset: 0, hex: garbage }];
    if (garbageBytes > 16384) base.push({ op: 'fill', offset: 16384, length: garbageBytes - 16384, byte: rng.int(0, 255) });
    const magic: ImageEdit = { op: 'write', offset: EROFS_SB_OFFSET, hex: le(EROFS_MAGIC, 4) };
    switch (k % 4) {
      case 0:
        return { mutation: `magic followed by ${garbageBytes} bytes of garbage`, edits: [...base, magic] };
      case 1: {
        // Sane enough for our check (4 KiB blocks, a matching count, no checksum): EROFS gets the garbage.
        const fields = [magic, setField('feature_compat', 0), setField('blkszbits', 12), setField('blocks', garbageBytes / 4096), setField('dirblkbits', 0)];
        return { mutation: `magic, 4 KiB blocks, blocks=${garbageBytes / 4096}, no checksum, the rest garbage (${garbageBytes} bytes)`, edits: [...base, ...fields] };
      }
      case 2: {
        // The real superblock block, then garbage: EROFS mounts, the metadata is noise.
        const keep = Math.min(layout.blockSize, image.length);
        const len = Math.max(garbageBytes, keep * 2);
        const noise = rng.bytes(Math.min(len - keep, 16384)).toString('hex');
        const edits: ImageEdit[] = [{ op: 'truncate', length: len }, { op: 'write', offset: keep, hex: noise }];
        if (len - keep > 16384) edits.push({ op: 'fill', offset: keep + 16384, length: len - keep - 16384, byte: 0xa5 });
        return { mutation: `real superblock block, then ${len - keep} bytes of garbage, blocks=${len / layout.blockSize}`, edits: withChecksum(image.subarray(0, len), [...edits, setField('blocks', len / layout.blockSize)]) };
      }
      default:
        return {
          mutation: 'image zeroed except the magic',
          edits: [{ op: 'fill', offset: 0, length: image.length, byte: 0 }, magic],
        };
    }
  };
}

function sizeCase(c: Context): Generator {
  const { image, layout, memoryMiB } = c;
  const ramBlocks = Math.floor((memoryMiB * 1024 * 1024) / layout.blockSize) + 1;
  const lies: Array<{ mutation: string; edits: () => ImageEdit[] }> = [
    { mutation: 'blocks=0xffffffff: claims 16 TiB (checksum recomputed)', edits: () => withChecksum(image, [setField('blocks', 0xffffffff)]) },
    { mutation: 'blocks=0xffffffff: claims 16 TiB (checksum stale)', edits: () => [setField('blocks', 0xffffffff)] },
    { mutation: `blocks=${ramBlocks}: claims more than the guest's ${memoryMiB} MiB (checksum recomputed)`, edits: () => withChecksum(image, [setField('blocks', ramBlocks)]) },
    { mutation: `blocks=${layout.blocks + 1}: one block more than the image (checksum recomputed)`, edits: () => withChecksum(image, [setField('blocks', layout.blocks + 1)]) },
    { mutation: `blocks=${Math.floor(layout.blocks / 2)}: half the image (checksum recomputed)`, edits: () => withChecksum(image, [setField('blocks', Math.floor(layout.blocks / 2))]) },
    { mutation: 'blocks=1 (checksum recomputed)', edits: () => withChecksum(image, [setField('blocks', 1)]) },
    { mutation: 'one byte short of the claimed size', edits: () => [{ op: 'truncate', length: image.length - 1 }] },
    { mutation: '1 MiB of zeros appended', edits: () => [{ op: 'append', length: 1 << 20, byte: 0 }] },
    { mutation: '4 KiB of 0xff appended', edits: () => [{ op: 'append', length: 4096, byte: 0xff }] },
    { mutation: '100 bytes of 0x30 appended (not a whole sector)', edits: () => [{ op: 'append', length: 100, byte: 0x30 }] },
    { mutation: '64 MiB of zeros appended', edits: () => [{ op: 'append', length: 64 << 20, byte: 0 }] },
  ];
  return (rng, k) => {
    const lie = k < lies.length ? (lies[k] as (typeof lies)[number]) : rng.pick(lies.slice(0, 6));
    return { mutation: `size: ${lie.mutation}`, edits: lie.edits() };
  };
}

/** A cpio archive with its trailer's name changed, or cut just before the trailer. */
function withTrailer(archive: Buffer, how: 'renamed' | 'missing'): Buffer {
  const at = archive.lastIndexOf('TRAILER!!!');
  if (how === 'missing') return archive.subarray(0, at - 110);
  const out = Buffer.from(archive);
  out.write('TRAILER!!?', at, 'latin1');
  return out;
}

function layersCase(c: Context): Generator {
  const { image } = c;
  const early = cpioArchiveBytes([{ name: 'kernel/x86/microcode/GenuineIntel.bin', content: Buffer.from('iofs fuzz microcode\n') }]);
  const after = cpioArchiveBytes([
    { name: 'etc/hostname', content: Buffer.from('iofs-fuzz\n') },
    { name: 'run/credentials/@initrd/fuzz', content: Buffer.from('appended\n'), mode: 0o600 },
  ]);
  const pad = (LAYER_ALIGN - (early.length % LAYER_ALIGN)) % LAYER_ALIGN;
  // Appends first (at the end of the image as it is), then what goes in front.
  const front = (bytes: Buffer, padding: number, byte = 0): ImageEdit => ({ op: 'insert', offset: 0, hex: Buffer.concat([bytes, Buffer.alloc(padding, byte)]).toString('hex') });
  const back = (bytes: Buffer): ImageEdit => ({ op: 'insert', offset: image.length, hex: bytes.toString('hex') });
  // newc c_filesize: the 7th 8-digit field after the 6-byte magic.
  const sizeLie = Buffer.from(early);
  sizeLie.write('00010000', 6 + 6 * 8, 'latin1');
  const cases: Array<{ mutation: string; edits: ImageEdit[] }> = [
    { mutation: 'early cpio in front, zero-padded to 4096: the image at 4096', edits: [front(early, pad)] },
    { mutation: 'early cpio in front and a cpio archive after the image', edits: [back(after), front(early, pad)] },
    { mutation: 'early cpio padded one byte short: the image at 4095', edits: [front(early, pad - 1)] },
    { mutation: 'early cpio padded one byte long: the image at 4097', edits: [front(early, pad + 1)] },
    { mutation: 'early cpio padded with 0xff instead of zeros', edits: [front(early, pad, 0xff)] },
    { mutation: 'early cpio with its trailer renamed', edits: [front(withTrailer(early, 'renamed'), pad + early.length - withTrailer(early, 'renamed').length)] },
    { mutation: 'early cpio without its trailer', edits: [front(withTrailer(early, 'missing'), pad + early.length - withTrailer(early, 'missing').length)] },
    { mutation: 'early cpio whose file claims 64 KiB: it runs into the image', edits: [front(sizeLie, pad)] },
    { mutation: 'trailing archive cut inside its first header', edits: [back(after.subarray(0, 60))] },
    { mutation: 'trailing archive with its trailer renamed', edits: [back(withTrailer(after, 'renamed'))] },
    { mutation: 'trailing archive after 3 bytes of garbage', edits: [back(Buffer.concat([Buffer.from('abc'), after]))] },
    { mutation: 'trailing archive gzip-compressed', edits: [back(gzipSync(after, { level: 9 }))] },
    { mutation: 'two images: the image repeated', edits: [{ op: 'repeat' }] },
    { mutation: 'early cpio, then the image twice', edits: [{ op: 'repeat' }, front(early, pad)] },
    { mutation: 'trailing archive with a 4000-byte name', edits: [back(cpioArchiveBytes([{ name: `etc/${'n'.repeat(4000)}`, content: Buffer.from('x') }]))] },
  ];
  return (rng, k) => {
    if (k < cases.length) return cases[k] as (typeof cases)[number];
    // Then the early cpio's padding off by a random amount, or a random case again.
    const delta = rng.int(-64, 64);
    if (rng.next() < 0.5 && pad + delta >= 0) return { mutation: `early cpio padded ${delta >= 0 ? '+' : ''}${delta} bytes off 4096: the image at ${early.length + pad + delta}`, edits: [front(early, pad + delta)] };
    return rng.pick(cases);
  };
}

const REFRESH_CHECKSUM = new Set<FuzzRegion>(['inode', 'directory', 'compressed-data']);

/** Whether `edits` change a byte the superblock checksum covers (other than the checksum itself). */
function touchesChecksummedBlock(image: Buffer, edits: ImageEdit[], layout: ErofsLayout): boolean {
  const out = applyImageEdits(image, edits);
  const end = Math.min(layout.blockSize > EROFS_SB_OFFSET ? layout.blockSize : EROFS_SB_OFFSET + layout.blockSize, out.length);
  for (let i = EROFS_SB_OFFSET; i < end; i++) if (out[i] !== image[i]) return true;
  return false;
}

/** How many cases each region gets: one each, then the rest by weight (largest remainder). Pure. */
export function regionQuotas(count: number, regions: readonly FuzzRegion[] = FUZZ_REGIONS): Map<FuzzRegion, number> {
  const quotas = new Map<FuzzRegion, number>(regions.map((r) => [r, 0]));
  let left = count;
  for (const r of regions) {
    if (left === 0) break;
    quotas.set(r, 1);
    left--;
  }
  const weight = regions.reduce((n, r) => n + REGION_WEIGHTS[r], 0);
  const shares = regions.map((r) => ({ r, exact: (left * REGION_WEIGHTS[r]) / weight }));
  let given = 0;
  for (const s of shares) {
    const n = Math.floor(s.exact);
    quotas.set(s.r, (quotas.get(s.r) ?? 0) + n);
    given += n;
  }
  for (const s of [...shares].sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact))).slice(0, left - given)) {
    quotas.set(s.r, (quotas.get(s.r) ?? 0) + 1);
  }
  return quotas;
}

/**
 * The cases for `image`: case 0 unmodified, then each region's quota, each
 * region drawing from its own generator seeded by (seed, region), so adding
 * cases to one region never changes another's.
 */
export function planFuzz(image: Buffer, layout: ErofsLayout, o: PlanOptions): FuzzCase[] {
  if (!Number.isInteger(o.count) || o.count < 1) throw new InputError(`fuzz case count must be a whole number, at least 1 (got ${o.count})`);
  const regions = o.regions ?? FUZZ_REGIONS;
  const ctx: Context = { image, layout, memoryMiB: o.memoryMiB };
  const generators: Record<FuzzRegion, Generator> = {
    superblock: superblockCase(ctx),
    inode: inodeCase(ctx),
    directory: directoryCase(ctx),
    'compressed-data': layout.compressedData.length > 0 ? compressedCase(ctx) : () => ({ mutation: 'compressed data: none in this image (flip in the superblock block instead)', edits: [{ op: 'flip', offset: 2048, bit: 0 }] }),
    truncation: truncationCase(ctx),
    'magic-garbage': magicGarbageCase(ctx),
    size: sizeCase(ctx),
    layers: layersCase(ctx),
  };
  const cases: FuzzCase[] = [{ id: 0, region: 'control', mutation: 'unmodified image', edits: [] }];
  const quotas = regionQuotas(o.count - 1, regions);
  regions.forEach((region, ri) => {
    const rng = makeRng((o.seed >>> 0) ^ Math.imul(ri + 1, 0x9e3779b1));
    for (let k = 0; k < (quotas.get(region) ?? 0); k++) {
      const { mutation, edits } = generators[region](rng, k);
      // The superblock crc32c covers the rest of block 0, where mkfs.erofs puts the
      // root inode and directory: keep it matching, or EROFS never reads the damage.
      if (REFRESH_CHECKSUM.has(region) && layout.checksummed && touchesChecksummedBlock(image, edits, layout)) {
        cases.push({ id: cases.length, region, mutation: `${mutation} (in block 0: checksum recomputed)`, edits: withChecksum(image, edits) });
      } else {
        cases.push({ id: cases.length, region, mutation, edits });
      }
    }
  });
  return cases;
}
