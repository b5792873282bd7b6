/**
 * cpio "newc" (SVR4, magic 070701): the format the kernel unpacks into rootfs.
 *
 * Writer: streaming and reproducible. Entries in Tree order (sorted paths),
 * inode numbers 1..n in that order (a hard-link group takes the number of its
 * first path), uid/gid 0, one mtime for everything, data of a hard-linked
 * file on its LAST link (GNU cpio's newc convention; the kernel accepts any).
 *
 * Reader: a streaming parser of newc (and 070702 "crc") archives, with the
 * kernel's tolerance for zero padding between concatenated archives.
 */
import { contentChunks, octal, type Tree, type TreeEntry } from './tree.js';
import { InputError } from '../common/errors.js';

export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000, S_IFREG = 0o100000, S_IFLNK = 0o120000, S_IFCHR = 0o020000, S_IFBLK = 0o060000, S_IFIFO = 0o010000, S_IFSOCK = 0o140000;

const TRAILER = 'TRAILER!!!';
const BATCH = 1 << 20;

interface Header {
  ino: number;
  mode: number;
  nlink: number;
  mtime: number;
  filesize: number;
  rdevmajor: number;
  rdevminor: number;
  name: string;
}

function header(h: Header): Buffer {
  const name = Buffer.from(h.name + '\0');
  const fields = [h.ino, h.mode, 0, 0, h.nlink, h.mtime, h.filesize, 0, 0, h.rdevmajor, h.rdevminor, name.length, 0];
  const text = '070701' + fields.map((v) => (v >>> 0).toString(16).padStart(8, '0')).join('');
  const total = pad4(110 + name.length);
  const buf = Buffer.alloc(total);
  buf.write(text, 0, 'latin1');
  name.copy(buf, 110);
  return buf;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * A small newc archive of regular files, in memory and at once (the fuzzer's
 * early and appended archives; packing uses cpioChunks). Pure.
 */
export function cpioArchiveBytes(files: ReadonlyArray<{ name: string; content: Buffer; mode?: number }>, mtime = 0): Buffer {
  const parts: Buffer[] = [];
  files.forEach((f, i) => {
    parts.push(header({ ino: i + 1, mode: S_IFREG | (f.mode ?? 0o644), nlink: 1, mtime, filesize: f.content.length, rdevmajor: 0, rdevminor: 0, name: f.name }));
    parts.push(f.content, Buffer.alloc(pad4(f.content.length) - f.content.length));
  });
  parts.push(header({ ino: 0, mode: 0, nlink: 1, mtime: 0, filesize: 0, rdevmajor: 0, rdevminor: 0, name: TRAILER }));
  return Buffer.concat(parts);
}

export interface CpioWriteOptions {
  /** mtime of every entry (SOURCE_DATE_EPOCH or 0). */
  mtime: number;
}

/** The archive as a stream of chunks (about 1 MiB each; large files pass through). */
export async function* cpioChunks(tree: Tree, opts: CpioWriteOptions): AsyncGenerator<Buffer> {
  const entries = tree.sorted();
  // Hard-link groups: target path -> all its names (sorted, since entries are).
  const groups = new Map<string, string[]>();
  for (const [p, e] of entries) {
    const key = e.type === 'hardlink' ? e.target : e.type === 'file' ? p : undefined;
    if (key === undefined) continue;
    const g = groups.get(key) ?? [];
    g.push(p);
    groups.set(key, g);
  }
  for (const g of groups.values()) g.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  // Subdirectory counts for directory nlink (2 + subdirs, as on a real filesystem).
  const subdirs = new Map<string, number>();
  for (const [p, e] of entries) {
    if (e.type !== 'dir') continue;
    const parent = p.slice(0, p.lastIndexOf('/')) || '/';
    subdirs.set(parent, (subdirs.get(parent) ?? 0) + 1);
  }

  const inoOf = new Map<string, number>();
  let nextIno = 1;
  let batch: Buffer[] = [];
  let batched = 0;
  const push = (b: Buffer): Buffer | undefined => {
    batch.push(b);
    batched += b.length;
    if (batched < BATCH) return undefined;
    const out = Buffer.concat(batch);
    batch = [];
    batched = 0;
    return out;
  };
  const flush = (): Buffer | undefined => {
    if (batched === 0) return undefined;
    const out = Buffer.concat(batch);
    batch = [];
    batched = 0;
    return out;
  };

  for (const [p, e] of entries) {
    const name = p.slice(1);
    const groupKey = e.type === 'hardlink' ? e.target : p;
    let ino = inoOf.get(groupKey);
    if (ino === undefined) {
      ino = nextIno++;
      inoOf.set(groupKey, ino);
    }
    const base = { ino, mtime: opts.mtime, rdevmajor: 0, rdevminor: 0, name };
    let out: Buffer | undefined;
    switch (e.type) {
      case 'dir':
        out = push(header({ ...base, mode: S_IFDIR | e.mode, nlink: 2 + (subdirs.get(p) ?? 0), filesize: 0 }));
        break;
      case 'symlink': {
        const target = Buffer.from(e.target);
        out = push(header({ ...base, mode: S_IFLNK | 0o777, nlink: 1, filesize: target.length }));
        if (out) yield out;
        out = push(Buffer.concat([target, Buffer.alloc(pad4(target.length) - target.length)]));
        break;
      }
      case 'device':
        out = push(header({ ...base, mode: (e.device === 'c' ? S_IFCHR : S_IFBLK) | e.mode, nlink: 1, filesize: 0, rdevmajor: e.major, rdevminor: e.minor }));
        break;
      case 'fifo':
        out = push(header({ ...base, mode: S_IFIFO | e.mode, nlink: 1, filesize: 0 }));
        break;
      case 'file':
      case 'hardlink': {
        const file = (e.type === 'file' ? e : tree.get(e.target)) as Extract<TreeEntry, { type: 'file' }>;
        const names = groups.get(groupKey)!;
        const last = names[names.length - 1] === p;
        const size = last ? file.size : 0;
        out = push(header({ ...base, mode: S_IFREG | file.mode, nlink: names.length, filesize: size }));
        if (size > 0) {
          if (size >= BATCH) {
            const f = flush();
            if (out) yield out;
            if (f) yield f;
            out = undefined;
            for await (const c of contentChunks(file)) yield c;
          } else {
            if (out) yield out;
            out = undefined;
            for await (const c of contentChunks(file)) {
              const o = push(c);
              if (o) yield o;
            }
          }
          const padding = pad4(size) - size;
          if (padding) out = push(Buffer.alloc(padding));
        }
        break;
      }
    }
    if (out) yield out;
  }
  const tail = push(header({ ino: 0, mode: 0, nlink: 1, mtime: 0, filesize: 0, rdevmajor: 0, rdevminor: 0, name: TRAILER }));
  if (tail) yield tail;
  const rest = flush();
  if (rest) yield rest;
}

/** A parsed newc header. */
export interface CpioEntry {
  name: string;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  size: number;
  devmajor: number;
  devminor: number;
  rdevmajor: number;
  rdevminor: number;
}

/**
 * Pulls exact byte counts out of a chunk stream; counts what it consumed so
 * callers can tell where an uncompressed archive ended.
 */
export class ByteReader {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  consumed = 0;
  constructor(private readonly it: AsyncIterator<Buffer>) {}

  static from(src: AsyncIterable<Buffer | Uint8Array | string>): ByteReader {
    const inner = src[Symbol.asyncIterator]();
    return new ByteReader({
      async next() {
        const r = await inner.next();
        return r.done ? r : { done: false, value: Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value) };
      },
    });
  }

  private async fill(n: number): Promise<void> {
    while (this.buf.length < n && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else if (r.value.length) this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    }
  }

  /** Up to `n` bytes, fewer only at end of stream. */
  async read(n: number): Promise<Buffer> {
    await this.fill(n);
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    this.consumed += out.length;
    return out;
  }

  async peek(n: number): Promise<Buffer> {
    await this.fill(n);
    return this.buf.subarray(0, n);
  }

  /** Exactly `n` bytes as chunks (for file data). */
  async *chunks(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0) await this.fill(1);
      if (this.buf.length === 0) throw new InputError(`truncated archive: ${left} bytes of file data missing`);
      const take = Math.min(left, this.buf.length);
      const out = this.buf.subarray(0, take);
      this.buf = this.buf.subarray(take);
      this.consumed += take;
      left -= take;
      yield out;
    }
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.chunks(n)) void _;
  }

  /** Skip NUL bytes (padding between concatenated archives); true if data follows. */
  async skipZeros(): Promise<boolean> {
    for (;;) {
      await this.fill(1);
      if (this.buf.length === 0) return false;
      let i = 0;
      while (i < this.buf.length && this.buf[i] === 0) i++;
      this.buf = this.buf.subarray(i);
      this.consumed += i;
      if (this.buf.length > 0) return true;
    }
  }
}

/**
 * Parse ONE newc archive (up to and including TRAILER!!! and its padding).
 * `onEntry` must consume exactly the entry's data via the given iterator
 * (or leave it: the rest is skipped). Returns the number of entries (without the trailer).
 */
export async function readCpioArchive(
  r: ByteReader,
  onEntry: (e: CpioEntry, data: AsyncGenerator<Buffer>) => Promise<void>,
  where: string,
): Promise<number> {
  let count = 0;
  for (;;) {
    const at = r.consumed;
    const h = await r.read(110);
    if (h.length < 110) throw new InputError(`${where}: truncated cpio header at offset ${at} (no TRAILER!!!)`);
    const magic = h.toString('latin1', 0, 6);
    if (magic !== '070701' && magic !== '070702') {
      throw new InputError(`${where}: bad cpio magic ${JSON.stringify(magic)} at offset ${at} (expected newc 070701)`);
    }
    const f = (i: number): number => {
      const text = h.toString('latin1', 6 + i * 8, 14 + i * 8);
      if (!/^[0-9a-fA-F]{8}$/.test(text)) throw new InputError(`${where}: bad cpio header field ${JSON.stringify(text)} at offset ${at}`);
      return parseInt(text, 16);
    };
    const namesize = f(11);
    const nameBuf = await r.read(pad4(110 + namesize) - 110);
    if (namesize === 0 || nameBuf.length < namesize) throw new InputError(`${where}: truncated cpio name at offset ${at}`);
    const name = nameBuf.toString('utf8', 0, namesize - 1);
    const size = f(6);
    if (name === TRAILER) {
      await r.skip(pad4(size));
      return count;
    }
    const entry: CpioEntry = { name, ino: f(0), mode: f(1), uid: f(2), gid: f(3), nlink: f(4), mtime: f(5), size, devmajor: f(7), devminor: f(8), rdevmajor: f(9), rdevminor: f(10) };
    const data = r.chunks(size);
    await onEntry(entry, data);
    for await (const _ of data) void _; // whatever the handler left
    await r.skip(pad4(size) - size);
    count++;
  }
}

/** Parse every archive in a decompressed stream (archives may follow each other, zero-padded). */
export async function readCpioStream(
  r: ByteReader,
  onEntry: (e: CpioEntry, data: AsyncGenerator<Buffer>) => Promise<void>,
  where: string,
): Promise<number> {
  let count = 0;
  while (await r.skipZeros()) count += await readCpioArchive(r, onEntry, where);
  return count;
}

export function describeMode(mode: number): string {
  const t = mode & S_IFMT;
  const kind = t === S_IFDIR ? 'dir' : t === S_IFREG ? 'file' : t === S_IFLNK ? 'symlink' : t === S_IFCHR ? 'char' : t === S_IFBLK ? 'block' : t === S_IFIFO ? 'fifo' : t === S_IFSOCK ? 'socket' : 'unknown';
  return `${kind} ${octal(mode & 0o7777)}`;
}
