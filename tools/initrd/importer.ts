/**
 * Import an existing image as a Tree: a cpio initramfs (any number of
 * segments, each possibly compressed) or a rootfs tarball (.tar, .tar.gz,
 * .tar.xz, .tar.zst, .tar.lz4). File data is spooled to a temporary directory,
 * not held in memory; call `dispose()` when done.
 */
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import tar from 'tar-stream';
import { InputError } from '../common/errors.js';
import { decompressStream, detectFormat } from './compress.js';
import { S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from './cpio.js';
import { scanCpioImage } from './segments.js';
import { guestPath, Tree, type TreeEntry } from './tree.js';

/** An early cpio kept from an imported image. */
export interface EarlyCpio {
  /** The image's bytes up to the end of its last early segment. */
  bytes: Buffer;
  /** Its entries other than directories, as the image names them. */
  files: string[];
}

export interface ImportedTree {
  tree: Tree;
  kind: 'cpio' | 'tar';
  /** The leading early cpio, kept apart from the tree (with `keepEarly`). */
  early?: EarlyCpio;
  /** Entries skipped (sockets, unsupported types), with why. */
  skipped: string[];
  dispose(): Promise<void>;
}

/**
 * Read `input` (cpio image or tarball) into a Tree. With `keepEarly`, a
 * leading early cpio (see earlySegmentCount) is kept apart, as bytes, instead
 * of being folded into the tree.
 */
export async function importTree(input: string, opts: { keepEarly?: boolean } = {}): Promise<ImportedTree> {
  const head = Buffer.alloc(1100);
  const fh = await fs.open(input, 'r').catch((err: unknown) => {
    throw new InputError(`${input}: cannot open: ${(err as Error).message}`);
  });
  const { bytesRead } = await fh.read(head, 0, head.length, 0);
  await fh.close();
  const fmt = detectFormat(head.subarray(0, bytesRead));
  const spool = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-import-'));
  const dispose = (): Promise<void> => fs.rm(spool, { recursive: true, force: true });
  try {
    if (fmt === 'erofs') throw new InputError(`${input}: is an EROFS image; import reads cpio initramfs images and tarballs`);
    if (fmt === 'tar' || (await looksLikeCompressedTar(input, fmt))) {
      const r = await importTar(input, fmt, spool);
      return { ...r, kind: 'tar', dispose };
    }
    const r = await importCpio(input, spool, opts.keepEarly ?? false);
    return { ...r, kind: 'cpio', dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** A compressed stream is a tarball if its first decompressed block says "ustar". */
async function looksLikeCompressedTar(input: string, fmt: string): Promise<boolean> {
  if (!['gzip', 'xz', 'zstd', 'lz4'].includes(fmt)) return false;
  const src = createReadStream(input);
  const out = decompressStream(fmt as 'gzip', src);
  let got = Buffer.alloc(0);
  try {
    for await (const c of out) {
      got = Buffer.concat([got, c as Buffer]);
      if (got.length >= 512) break;
    }
  } catch {
    // not decodable as a whole: let the cpio path report precisely
  } finally {
    src.destroy();
    out.destroy();
  }
  return detectFormat(got) === 'tar';
}

function normalise(name: string, where: string): string | undefined {
  const trimmed = name.replace(/^\.?\/+/, '').replace(/^\.$/, '').replace(/\/+$/, '');
  if (trimmed === '') return undefined; // the root itself
  return guestPath('/' + trimmed, where);
}

/**
 * How many leading segments are the early cpio a distribution's generator
 * puts in front (initramfs-tools' prepend_earlyinitramfs, dracut's
 * --early-microcode): uncompressed archives holding only what the early
 * loaders read from the initrd themselves (kernel/x86/microcode/,
 * kernel/firmware/acpi/: everything under kernel/), and dracut's early_cpio
 * marker. Never the whole image: something must be left to convert. Pure.
 */
export function earlySegmentCount(segments: ReadonlyArray<{ compression: string; names: readonly string[] }>): number {
  const early = (n: string): boolean => n === '' || n === 'kernel' || n.startsWith('kernel/') || n === 'early_cpio';
  let k = 0;
  while (k < segments.length - 1 && segments[k]!.compression === 'none' && segments[k]!.names.every(early)) k++;
  return k;
}

interface PendingEntry {
  seg: number;
  path: string;
  entry: TreeEntry;
  where: string;
}

async function importCpio(input: string, spool: string, keepEarly: boolean): Promise<{ tree: Tree; skipped: string[]; early?: EarlyCpio }> {
  const skipped: string[] = [];
  // Entries are applied once the early segments are known; names per segment decide which are early.
  const pending: PendingEntry[] = [];
  const names: string[][] = [];
  // Hard links: (segment, ino) -> the first entry seen; GNU cpio puts data on the last name.
  const links = new Map<string, { path: string; entry: TreeEntry }>();
  let n = 0;
  const segments = await scanCpioImage(input, async (seg, e, data) => {
    const where = `${input}: segment ${seg}: entry "${e.name}"`;
    const p = normalise(e.name, where);
    (names[seg] ??= []).push(p === undefined ? '' : p.replace(/^\//, ''));
    if (!p) return;
    const type = e.mode & S_IFMT;
    const mode = e.mode & 0o7777;
    let entry: TreeEntry;
    if (type === S_IFDIR) entry = { type: 'dir', mode };
    else if (type === S_IFLNK) {
      const parts: Buffer[] = [];
      for await (const c of data) parts.push(c);
      entry = { type: 'symlink', target: Buffer.concat(parts).toString('utf8') };
    } else if (type === S_IFCHR || type === S_IFBLK) entry = { type: 'device', device: type === S_IFCHR ? 'c' : 'b', major: e.rdevmajor, minor: e.rdevminor, mode };
    else if (type === S_IFIFO) entry = { type: 'fifo', mode };
    else if (type === S_IFREG) {
      const key = `${seg}:${e.devmajor}:${e.devminor}:${e.ino}`;
      const first = e.nlink > 1 ? links.get(key) : undefined;
      if (first !== undefined) {
        if (first.entry.type === 'file' && e.size > 0) {
          const file = path.join(spool, String(n++));
          await pipeline(Readable.from(data), createWriteStream(file));
          first.entry.size = e.size;
          first.entry.content = { kind: 'host', path: file };
        }
        entry = { type: 'hardlink', target: first.path };
      } else {
        const file = path.join(spool, String(n++));
        await pipeline(Readable.from(data), createWriteStream(file));
        entry = { type: 'file', mode, size: e.size, content: { kind: 'host', path: file } };
        if (e.nlink > 1) links.set(key, { path: p, entry });
      }
    } else {
      skipped.push(`${e.name} (mode ${e.mode.toString(8)}: sockets and unknown types are not packed)`);
      return;
    }
    pending.push({ seg, path: p, entry, where });
  });
  const k = keepEarly ? earlySegmentCount(segments.map((s, i) => ({ compression: s.compression, names: names[i] ?? [] }))) : 0;
  const tree = new Tree();
  for (const e of pending) if (e.seg >= k) tree.replace(e.path, e.entry, e.where);
  if (k === 0) return { tree, skipped };
  const last = segments[k - 1]!;
  const files = pending.filter((e) => e.seg < k && e.entry.type !== 'dir').map((e) => e.path);
  return { tree, skipped, early: { bytes: await readHead(input, last.offset + last.length), files } };
}

/** The first `end` bytes of `input`: an early cpio as the image has it (the early loaders parse it, not us). */
async function readHead(input: string, end: number): Promise<Buffer> {
  const fh = await fs.open(input, 'r');
  try {
    const bytes = Buffer.alloc(end);
    await fh.read(bytes, 0, end, 0);
    return bytes;
  } finally {
    await fh.close();
  }
}

async function importTar(input: string, fmt: string, spool: string): Promise<{ tree: Tree; skipped: string[] }> {
  const tree = new Tree();
  const skipped: string[] = [];
  const extract = tar.extract();
  let n = 0;
  const src = decompressStream(fmt as 'gzip', createReadStream(input));
  const done = pipeline(src, extract).catch((err: unknown) => {
    throw new InputError(`${input}: not a readable tarball: ${(err as Error).message}`);
  });
  for await (const item of extract) {
    const h = item.header;
    const where = `${input}: entry "${h.name}"`;
    const p = normalise(h.name, where);
    const mode = (h.mode ?? 0o644) & 0o7777;
    let entry: TreeEntry | undefined;
    switch (h.type) {
      case 'directory':
        entry = { type: 'dir', mode };
        break;
      case 'file':
      case 'contiguous-file': {
        const file = path.join(spool, String(n++));
        await pipeline(item, createWriteStream(file));
        entry = { type: 'file', mode, size: h.size ?? 0, content: { kind: 'host', path: file } };
        break;
      }
      case 'symlink':
        entry = { type: 'symlink', target: h.linkname ?? '' };
        break;
      case 'link': {
        const t = normalise(h.linkname ?? '', where);
        if (t) entry = { type: 'hardlink', target: t };
        break;
      }
      case 'character-device':
      case 'block-device':
        entry = { type: 'device', device: h.type === 'character-device' ? 'c' : 'b', major: h.devmajor ?? 0, minor: h.devminor ?? 0, mode };
        break;
      case 'fifo':
        entry = { type: 'fifo', mode };
        break;
      default:
        skipped.push(`${h.name} (tar type ${h.type})`);
    }
    item.resume();
    if (p && entry) tree.replace(p, entry, where);
  }
  await done;
  return { tree, skipped };
}
