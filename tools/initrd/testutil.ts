/**
 * Helpers for this folder's tests: small fixtures made on the fly, and a
 * comparable snapshot of a tree (expected from a Tree, actual from a
 * directory extracted by the real tools).
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { contentChunks, resolveGuestLink, type Tree } from './tree.js';

export interface SnapEntry {
  type: string;
  mode?: string;
  sha256?: string;
  size?: number;
  target?: string;
  rdev?: string;
  /** Smallest path of the hard-link group (files with nlink > 1 only). */
  linkGroup?: string;
}
export type Snapshot = Record<string, SnapEntry>;

export async function tempDir(prefix = 'iofs-test-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

const oct = (m: number): string => (m & 0o7777).toString(8).padStart(4, '0');

/** What extracting `tree` must give. */
export async function snapshotTree(tree: Tree): Promise<Snapshot> {
  const snap: Snapshot = {};
  const groups = new Map<string, string[]>();
  for (const [p, e] of tree.sorted()) {
    if (e.type === 'hardlink' || e.type === 'file') {
      const key = e.type === 'hardlink' ? e.target : p;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
  }
  for (const [p, e] of tree.sorted()) {
    switch (e.type) {
      case 'dir':
        snap[p] = { type: 'dir', mode: oct(e.mode) };
        break;
      case 'symlink':
        snap[p] = { type: 'symlink', target: e.target };
        break;
      case 'device':
        snap[p] = { type: e.device === 'c' ? 'char' : 'block', mode: oct(e.mode), rdev: `${e.major}:${e.minor}` };
        break;
      case 'fifo':
        snap[p] = { type: 'fifo', mode: oct(e.mode) };
        break;
      case 'file':
      case 'hardlink': {
        const key = e.type === 'hardlink' ? e.target : p;
        const f = tree.get(key);
        if (f?.type !== 'file') throw new Error(`bad link ${p}`);
        const h = createHash('sha256');
        for await (const c of contentChunks(f)) h.update(c);
        const g = groups.get(key)!;
        snap[p] = { type: 'file', mode: oct(f.mode), size: f.size, sha256: h.digest('hex'), ...(g.length > 1 ? { linkGroup: [...g].sort()[0]! } : {}) };
        break;
      }
    }
  }
  return snap;
}

/** What is actually in `dir` (paths relative to it, as guest paths). */
export async function snapshotDir(dir: string): Promise<Snapshot> {
  const snap: Snapshot = {};
  const byIno = new Map<number, string[]>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of (await fs.readdir(path.join(dir, rel))).sort()) {
      const r = `${rel}/${name}`;
      const abs = path.join(dir, r);
      const st = await fs.lstat(abs);
      if (st.isDirectory()) {
        snap[r] = { type: 'dir', mode: oct(st.mode) };
        await walk(r);
      } else if (st.isSymbolicLink()) snap[r] = { type: 'symlink', target: await fs.readlink(abs) };
      else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const major = (st.rdev >> 8) & 0xfff, minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
        snap[r] = { type: st.isCharacterDevice() ? 'char' : 'block', mode: oct(st.mode), rdev: `${major}:${minor}` };
      } else if (st.isFIFO()) snap[r] = { type: 'fifo', mode: oct(st.mode) };
      else if (st.isFile()) {
        snap[r] = { type: 'file', mode: oct(st.mode), size: st.size, sha256: createHash('sha256').update(await fs.readFile(abs)).digest('hex') };
        if (st.nlink > 1) byIno.set(st.ino, [...(byIno.get(st.ino) ?? []), r]);
      }
    }
  };
  await walk('');
  for (const g of byIno.values()) {
    const first = [...g].sort()[0]!;
    for (const p of g) snap[p]!.linkGroup = first;
  }
  return snap;
}

/**
 * A fixture directory with a manifest that uses every feature: files,
 * inline (string and lines), dirs with odd modes, absolute and relative
 * symlinks, a hard link, a char and a block device, a file larger than the
 * writer's 1 MiB batch, an empty file, and a setuid mode.
 */
export async function makeFixture(dir: string): Promise<string> {
  await fs.mkdir(path.join(dir, 'src'), { recursive: true });
  await fs.writeFile(path.join(dir, 'src', 'hello.sh'), '#!/bin/sh\necho hello\n');
  await fs.writeFile(path.join(dir, 'src', 'empty'), '');
  const big = Buffer.alloc(1_500_003);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7919) % 251;
  await fs.writeFile(path.join(dir, 'src', 'big.bin'), big);
  const manifest = {
    $comment: 'test fixture',
    description: 'every manifest feature',
    files: [
      { src: 'src/hello.sh', dst: '/usr/bin/hello', mode: '0755' },
      { src: 'src/empty', dst: '/etc/empty', mode: '0644' },
      { src: 'src/big.bin', dst: '/data/big.bin', mode: '0640' },
      { src: 'src/hello.sh', dst: '/sbin/suid', mode: '4755' },
    ],
    inline: [
      { dst: '/etc/passwd', mode: '0644', content: ['root:x:0:0:root:/root:/bin/sh'] },
      { dst: '/etc/motd', content: 'no newline at end' },
    ],
    dirs: [
      { path: '/root', mode: '0700' },
      { path: '/tmp', mode: '1777' },
      { path: '/empty/dir', mode: '0555' },
    ],
    symlinks: [
      { path: '/bin/hello', target: '../usr/bin/hello' },
      { path: '/etc/abs', target: '/etc/passwd' },
    ],
    hardlinks: [{ path: '/usr/bin/hello-again', target: '/usr/bin/hello' }],
    devices: [
      { path: '/dev/console', type: 'c', major: 5, minor: 1, mode: '0600' },
      { path: '/dev/vda', type: 'b', major: 254, minor: 0, mode: '0660' },
    ],
  };
  const p = path.join(dir, 'manifest.json');
  await fs.writeFile(p, JSON.stringify(manifest, null, 2));
  return p;
}

export { resolveGuestLink };
