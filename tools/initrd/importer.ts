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

export interface ImportedTree {
  tree: Tree;
  kind: 'cpio' | 'tar';
  /** Entries skipped (sockets, unsupported types), with why. */
  skipped: string[];
  dispose(): Promise<void>;
}

/** Read `input` (cpio image or tarball) into a Tree. */
export async function importTree(input: string): Promise<ImportedTree> {
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
    const r = await importCpio(input, spool);
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

async function importCpio(input: string, spool: string): Promise<{ tree: Tree; skipped: string[] }> {
  const tree = new Tree();
  const skipped: string[] = [];
  // Hard links: (segment, ino) -> first path seen; GNU cpio puts data on the last name.
  const links = new Map<string, string>();
  let n = 0;
  await scanCpioImage(input, async (seg, e, data) => {
    const where = `${input}: segment ${seg}: entry "${e.name}"`;
    const p = normalise(e.name, where);
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
        const target = tree.get(first);
        if (target?.type === 'file' && e.size > 0) {
          const file = path.join(spool, String(n++));
          await pipeline(Readable.from(data), createWriteStream(file));
          target.size = e.size;
          target.content = { kind: 'host', path: file };
        }
        entry = { type: 'hardlink', target: first };
      } else {
        const file = path.join(spool, String(n++));
        await pipeline(Readable.from(data), createWriteStream(file));
        entry = { type: 'file', mode, size: e.size, content: { kind: 'host', path: file } };
        if (e.nlink > 1) links.set(key, p);
      }
    } else {
      skipped.push(`${e.name} (mode ${e.mode.toString(8)}: sockets and unknown types are not packed)`);
      return;
    }
    tree.replace(p, entry, where);
  });
  return { tree, skipped };
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
