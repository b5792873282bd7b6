/**
 * The in-memory description of a guest filesystem tree: what every packer
 * output (cpio, EROFS, a staged directory) is written from.
 *
 * Entries are keyed by absolute guest path. File contents are not held in
 * memory: a file names where its bytes come from (a host file, a small inline
 * buffer, or the deterministic payload generator) and is streamed when
 * written, so a 1 GiB tree costs a few MiB of RAM.
 */
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { payloadChunks, type PayloadFlavor } from './payload.js';

export type ContentSource =
  | { kind: 'host'; path: string }
  | { kind: 'bytes'; data: Buffer }
  | { kind: 'payload'; seed: number; flavor: PayloadFlavor };

export type TreeEntry =
  | { type: 'dir'; mode: number }
  | { type: 'file'; mode: number; size: number; content: ContentSource }
  /** Another name for the regular file at `target` (a guest path). */
  | { type: 'hardlink'; target: string }
  | { type: 'symlink'; target: string }
  | { type: 'device'; device: 'c' | 'b'; major: number; minor: number; mode: number }
  | { type: 'fifo'; mode: number };

/** Where an entry came from, for error messages ("files[3]", "library closure of /bin/bash"). */
interface Placed {
  entry: TreeEntry;
  origin: string;
  /** Created only because a child needed a parent: an explicit entry may replace it. */
  implicit: boolean;
}

/**
 * What is wrong with an absolute guest path, if anything. Rejects relative
 * paths and any `..` component (even ones that would stay inside /): a
 * manifest that says `/etc/../x` is almost certainly a mistake, and
 * rejecting is cheaper than explaining.
 */
export function guestPathProblem(p: string): string | undefined {
  if (typeof p !== 'string' || p === '') return 'path must be a non-empty string';
  if (!p.startsWith('/')) return `"${p}" must be an absolute guest path (start with /)`;
  if (p.includes('\0')) return `"${p}" contains a NUL byte`;
  const parts = p.split('/').filter((s) => s !== '' && s !== '.');
  if (parts.includes('..')) return `"${p}" must not contain ".." (paths may not escape)`;
  if (parts.length === 0) return `"${p}" is the root directory, which cannot be an entry`;
  return undefined;
}

/** A guest path without empty and `.` components; check it with guestPathProblem first. */
export function normalizeGuestPath(p: string): string {
  return '/' + p.split('/').filter((s) => s !== '' && s !== '.').join('/');
}

/** Normalise and check an absolute guest path; `what` names it in the error. */
export function guestPath(p: string, what: string): string {
  const problem = guestPathProblem(p);
  if (problem) throw new InputError(`${what}: ${problem}`);
  return normalizeGuestPath(p);
}

export class Tree {
  private readonly placed = new Map<string, Placed>();

  /**
   * Add an entry, creating missing parent directories (0755). Adding the same
   * thing twice is fine (two binaries share libc); two different things at one
   * path is an error naming both origins.
   */
  add(p: string, entry: TreeEntry, origin: string): void {
    const at = guestPath(p, origin);
    this.ensureParents(at, origin);
    const old = this.placed.get(at);
    if (old && !old.implicit) {
      if (sameEntry(old.entry, entry)) return;
      if (old.entry.type === 'dir' && entry.type === 'dir') {
        throw new InputError(`${origin}: directory ${at} already declared with mode ${octal(old.entry.mode)} by ${old.origin}`);
      }
      throw new InputError(`${origin}: ${at} already added by ${old.origin} (as ${old.entry.type})`);
    }
    if (old?.implicit && entry.type !== 'dir') {
      throw new InputError(`${origin}: ${at} is a directory (parent of other entries) but is declared as ${entry.type}`);
    }
    this.placed.set(at, { entry, origin, implicit: false });
  }

  /**
   * Add or overwrite: what unpacking several archives does (a later segment
   * replaces an earlier file of the same name). Used by importers.
   */
  replace(p: string, entry: TreeEntry, origin: string): void {
    const at = guestPath(p, origin);
    this.ensureParents(at, origin);
    this.placed.set(at, { entry, origin, implicit: false });
  }

  private ensureParents(at: string, origin: string): void {
    const parts = at.split('/').slice(1, -1);
    let cur = '';
    for (const part of parts) {
      cur += '/' + part;
      const old = this.placed.get(cur);
      if (!old) {
        this.placed.set(cur, { entry: { type: 'dir', mode: 0o755 }, origin, implicit: true });
      } else if (old.entry.type !== 'dir') {
        throw new InputError(`${origin}: ${at} needs ${cur} to be a directory, but ${old.origin} made it a ${old.entry.type}`);
      }
    }
  }

  get(p: string): TreeEntry | undefined {
    return this.placed.get(p)?.entry;
  }

  has(p: string): boolean {
    return this.placed.has(p);
  }

  originOf(p: string): string | undefined {
    return this.placed.get(p)?.origin;
  }

  get size(): number {
    return this.placed.size;
  }

  /**
   * Entries in archive order: sorted by path bytes, so parents precede their
   * children and the same tree always gives the same order. Checks that every
   * hard link names a regular file.
   */
  sorted(): Array<[string, TreeEntry]> {
    const all = [...this.placed.entries()].map(([p, v]): [string, TreeEntry] => [p, v.entry]);
    all.sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
    for (const [p, e] of all) {
      if (e.type === 'hardlink') {
        const t = this.placed.get(e.target);
        if (!t || t.entry.type !== 'file') {
          throw new InputError(`${this.placed.get(p)?.origin ?? p}: hard link ${p} -> ${e.target}: target is not a regular file in the tree`);
        }
      }
    }
    return all;
  }

  /** Total bytes of regular-file content (hard links counted once). */
  contentBytes(): number {
    let n = 0;
    for (const v of this.placed.values()) if (v.entry.type === 'file') n += v.entry.size;
    return n;
  }
}

function sameEntry(a: TreeEntry, b: TreeEntry): boolean {
  if (a.type !== b.type) return false;
  if (a.type === 'file' && b.type === 'file') {
    return a.mode === b.mode && a.content.kind === 'host' && b.content.kind === 'host' && a.content.path === b.content.path;
  }
  return JSON.stringify(a) === JSON.stringify(b);
}

export function octal(mode: number): string {
  return '0' + mode.toString(8).padStart(3, '0');
}

/** The bytes of a file entry, as a stream of chunks (never the whole file at once). */
export async function* contentChunks(entry: Extract<TreeEntry, { type: 'file' }>): AsyncGenerator<Buffer> {
  const src = entry.content;
  switch (src.kind) {
    case 'bytes':
      if (src.data.length > 0) yield src.data;
      return;
    case 'payload':
      yield* payloadChunks(src.seed, src.flavor, entry.size);
      return;
    case 'host': {
      let seen = 0;
      for await (const chunk of createReadStream(src.path, { highWaterMark: 1 << 20 })) {
        const buf = chunk as Buffer;
        seen += buf.length;
        if (seen > entry.size) throw new InputError(`${src.path}: file grew while packing (expected ${entry.size} bytes)`);
        yield buf;
      }
      if (seen !== entry.size) throw new InputError(`${src.path}: file changed size while packing (expected ${entry.size}, read ${seen})`);
      return;
    }
  }
}

/** Resolve a symlink target against the symlink's own guest directory (lexically). */
export function resolveGuestLink(linkPath: string, target: string): string {
  return path.posix.resolve(path.posix.dirname(linkPath), target);
}
