/**
 * `inspect`: say what an image is. cpio: its segments (with an EROFS image
 * between them, a layered initrd); EROFS: its superblock and what follows it.
 */
import { promises as fs } from 'node:fs';
import { InputError } from '../common/errors.js';
import { detectFormat } from './compress.js';
import { parseErofsSuperblock, type ErofsSuperblock } from './erofs.js';
import { erofsImageDigest, type ErofsDigest } from './digest.js';
import { scanCpioImage, type SegmentInfo } from './segments.js';
import { findVerityTree, type VerityTree } from './verity.js';

export type ImageReport =
  | { path: string; kind: 'cpio'; bytes: number; segments: SegmentInfo[]; digest?: ErofsDigest; verity?: VerityTree }
  | {
      path: string;
      kind: 'erofs';
      bytes: number;
      superblock: ErofsSuperblock;
      /** cpio segments appended after the filesystem (blocks * block size), as a bootloader may add. */
      trailingSegments: SegmentInfo[];
      /** What initrd_erofs_sha256= must say for the kernel to mount the image. */
      digest?: ErofsDigest;
      /** The dm-verity hash tree after the image, and what initrd_erofs_verity= must say. */
      verity?: VerityTree;
    };

export async function inspectImage(file: string): Promise<ImageReport> {
  let head: Buffer;
  let bytes: number;
  try {
    const fh = await fs.open(file, 'r');
    try {
      bytes = (await fh.stat()).size;
      head = Buffer.alloc(2048);
      const { bytesRead } = await fh.read(head, 0, 2048, 0);
      head = head.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new InputError(`${file}: cannot read: ${(err as Error).message}`);
  }
  const sb = parseErofsSuperblock(head);
  if (sb) {
    const fsEnd = sb.blocks * sb.blockSize;
    const verity = await findVerityTree(file, { offset: 0, bytes: fsEnd }, bytes);
    const trailingSegments = bytes > fsEnd && !verity ? await scanCpioImage(file, undefined, fsEnd, { erofsLayers: true }) : [];
    // With a tree after it, the image is verified with initrd_erofs_verity=: a digest alone would refuse the tree as trailing data.
    const digest = fsEnd <= bytes && !verity ? await erofsImageDigest(file) : undefined;
    return { path: file, kind: 'erofs', bytes, superblock: sb, trailingSegments, ...(digest ? { digest } : {}), ...(verity ? { verity } : {}) };
  }
  let firstNonZero = 0;
  while (firstNonZero < head.length && head[firstNonZero] === 0) firstNonZero++;
  const fmt = detectFormat(head.subarray(firstNonZero));
  if (bytes === 0 || !['cpio', 'gzip', 'zstd', 'lz4', 'xz'].includes(fmt)) {
    const what = bytes === 0 ? 'empty' : fmt === 'unknown' ? `first bytes ${head.subarray(0, 8).toString('hex')}` : `starts with ${fmt} data`;
    throw new InputError(`${file}: neither a cpio initramfs nor an EROFS image (${what})`);
  }
  const { segments, verity } = await layeredSegments(file, bytes);
  const digest = segments.some((s) => s.compression === 'erofs') && !verity ? await erofsImageDigest(file) : undefined;
  return { path: file, kind: 'cpio', bytes, segments, ...(digest ? { digest } : {}), ...(verity ? { verity } : {}) };
}

/** The segments of a cpio-first initrd; an image's hash tree, if one ends the file, as a segment of its own. */
async function layeredSegments(file: string, bytes: number): Promise<{ segments: SegmentInfo[]; verity?: VerityTree }> {
  const segments = await scanCpioImage(file, undefined, 0, { erofsLayers: true, stopAfterErofs: true });
  const image = segments.at(-1);
  if (image?.compression !== 'erofs') return { segments };
  const end = image.offset + image.length;
  const verity = await findVerityTree(file, { offset: image.offset, bytes: image.length }, bytes);
  if (verity) return { segments: [...segments, { offset: end, length: verity.treeBytes, compression: 'verity-tree', entries: 0, uncompressedBytes: verity.treeBytes }], verity };
  return { segments: [...segments, ...(end < bytes ? await scanCpioImage(file, undefined, end, { erofsLayers: true }) : [])] };
}

/** Human-readable report (the CLI's default output). */
export function formatReport(r: ImageReport): string {
  if (r.kind === 'cpio') {
    const layered = r.segments.some((s) => s.compression === 'erofs');
    return `${r.path}: ${layered ? 'layered initrd (cpio archives and an EROFS image)' : 'cpio initramfs'}, ${r.bytes} bytes, ${r.segments.length} segment(s)\n${segmentTable(r.segments)}${digestLines(r.digest)}${verityLines(r.verity)}`;
  }
  const s = r.superblock;
  const rows: Array<[string, string]> = [
    ['magic', s.magic],
    ['blkszbits', `${s.blkszbits} (${s.blockSize}-byte blocks)`],
    ['feature_compat', s.featureCompat.join(', ') || '-'],
    ['feature_incompat', s.featureIncompat.join(', ') || '-'],
    ['compression', s.compressionAlgorithms.length ? s.compressionAlgorithms.join(', ') : s.featureIncompat.includes('zero_padding') ? 'lz4 (no compr_cfgs: lz4 is implied)' : 'none'],
    ['inodes', String(s.inodes)],
    ['blocks', `${s.blocks} (${s.blocks * s.blockSize} bytes)`],
    ['root_nid', String(s.rootNid)],
    ['build_time', `${s.buildTime} (${new Date(s.buildTime * 1000).toISOString()})`],
    ['uuid', s.uuid],
    ['volume_name', s.volumeName || '-'],
    ['checksum', s.checksum],
  ];
  let out = `${r.path}: EROFS image, ${r.bytes} bytes\n${table(rows.map(([k, v]) => [k, v]))}`;
  if (r.trailingSegments.length > 0) {
    out += `followed by ${r.trailingSegments.length} cpio segment(s)\n` + segmentTable(r.trailingSegments);
  }
  return out + digestLines(r.digest) + verityLines(r.verity);
}

/** The image's digest and the command-line fragment that binds the kernel to it. */
function digestLines(d: ErofsDigest | undefined): string {
  if (!d) return '';
  return `EROFS image: ${d.bytes} bytes at offset ${d.offset}, sha256 ${d.sha256}\nkernel command line to verify it: ${d.cmdline}\n`;
}

/** The hash tree after the image and the fragment that verifies the image block by block. */
function verityLines(t: VerityTree | undefined): string {
  if (!t) return '';
  return `dm-verity hash tree: ${t.treeBytes} bytes at offset ${t.imageOffset + t.imageBytes}, root hash ${t.rootHash}\nkernel command line to verify it block by block: ${t.cmdline}\n`;
}

function segmentTable(segments: SegmentInfo[]): string {
  return table([['#', 'offset', 'length', 'compression', 'entries', 'uncompressed'], ...segments.map((s, i) => [String(i), String(s.offset), String(s.length), s.compression, s.compression === 'erofs' || s.compression === 'verity-tree' ? '-' : String(s.entries), String(s.uncompressedBytes)])]);
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n';
}
