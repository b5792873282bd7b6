/**
 * Manifest → Tree: resolves host sources (and binaries' library closures),
 * adds pack-time extras (authorized keys, payload), and names the manifest
 * entry in every error.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InputError } from '../common/errors.js';
import { guestRealpath, hostPathOf, libraryClosure, type Sysroot } from './elf.js';
import type { Manifest } from './manifest.js';
import { planPayload } from './payload.js';
import { contentChunks, resolveGuestLink, Tree, type TreeEntry } from './tree.js';

export interface BuildOptions {
  /** OpenSSH public key lines for /root/.ssh/authorized_keys (0600). */
  authorizedKeys?: string[] | undefined;
  /** Bytes of deterministic payload under the manifest's payload directory. */
  payloadBytes?: number | undefined;
  /** Library search directories (default: ld.so.conf + glibc defaults). */
  libraryDirs?: string[] | undefined;
  /**
   * The manifest's `binaries` come from this sysroot (another architecture's
   * Debian packages, see sysroot.ts) instead of the host: same guest paths,
   * library closure resolved inside it.
   */
  sysroot?: Sysroot | undefined;
}

export async function buildTree(manifest: Manifest, opts: BuildOptions = {}): Promise<Tree> {
  const tree = new Tree();
  for (const d of manifest.dirs) tree.add(d.path, { type: 'dir', mode: d.mode }, d.label);
  for (const b of manifest.binaries) {
    const root = opts.sysroot;
    const st = await fs.stat(hostPathOf(b.path, root)).catch(() => undefined);
    if (!st?.isFile()) throw new InputError(`${b.label}: no such file ${root ? `in the sysroot ${root.root} (add its Debian package to the architecture's userland packages in kernel-patches/arches.json)` : 'on the host'}`);
    await installHostPath(tree, b.path, b.label, 0, root);
    const closure = await libraryClosure(b.path, opts.libraryDirs, root).catch((err: unknown) => {
      if (err instanceof InputError) throw new InputError(`${b.label}: ${err.message}`);
      throw err;
    });
    const origin = `${b.label}: library closure`;
    if (closure.interpreter) await installHostPath(tree, closure.interpreter, origin, 0, root);
    for (const lib of closure.libraries) await installHostPath(tree, lib.path, origin, 0, root);
  }
  for (const f of manifest.files) {
    const st = await fs.stat(f.src).catch(() => undefined);
    if (!st) throw new InputError(`${f.label}: no such file`);
    if (!st.isFile()) throw new InputError(`${f.label}: not a regular file`);
    tree.add(f.dst, { type: 'file', mode: f.mode ?? st.mode & 0o7777, size: st.size, content: { kind: 'host', path: f.src } }, f.label);
  }
  for (const f of manifest.inline) {
    const data = Buffer.from(f.content);
    tree.add(f.dst, { type: 'file', mode: f.mode, size: data.length, content: { kind: 'bytes', data } }, f.label);
  }
  for (const s of manifest.symlinks) tree.add(s.path, { type: 'symlink', target: s.target }, s.label);
  for (const h of manifest.hardlinks) tree.add(h.path, { type: 'hardlink', target: h.target }, h.label);
  for (const d of manifest.devices) tree.add(d.path, { type: 'device', device: d.type, major: d.major, minor: d.minor, mode: d.mode }, d.label);

  if (opts.authorizedKeys && opts.authorizedKeys.length > 0) {
    const origin = 'authorized keys (pack option)';
    for (const [p, mode] of [['/root', 0o700], ['/root/.ssh', 0o700]] as const) {
      const e = tree.get(p);
      if (!e) tree.add(p, { type: 'dir', mode }, origin);
      else if (e.type !== 'dir') throw new InputError(`${origin}: ${p} must be a directory, but ${tree.originOf(p)} made it a ${e.type}`);
    }
    const lines = opts.authorizedKeys.map((k) => k.trim()).filter((k) => k !== '');
    for (const [i, k] of lines.entries()) {
      if (!/^(ssh-|ecdsa-|sk-)[\w@.-]+ [A-Za-z0-9+/=]+/.test(k)) throw new InputError(`${origin}: key ${i + 1} does not look like an OpenSSH public key line: "${k.slice(0, 40)}…"`);
    }
    const data = Buffer.from(lines.join('\n') + '\n');
    tree.add('/root/.ssh/authorized_keys', { type: 'file', mode: 0o600, size: data.length, content: { kind: 'bytes', data } }, origin);
  }

  if (opts.payloadBytes) {
    const origin = `payload (${opts.payloadBytes} bytes)`;
    if (!tree.has(manifest.payloadDir)) tree.add(manifest.payloadDir, { type: 'dir', mode: 0o755 }, origin);
    for (const f of planPayload(opts.payloadBytes)) {
      tree.add(`${manifest.payloadDir}/${f.rel}`, { type: 'file', mode: 0o644, size: f.size, content: { kind: 'payload', seed: f.seed, flavor: f.flavor } }, origin);
    }
  }
  return tree;
}

/**
 * Install a host path at the same guest path. A symlink in the last component
 * is installed as a symlink AND its target is installed too (recursively), so
 * /lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
 * works in the guest. Directory symlinks on the host (merged /usr) are
 * followed transparently: the guest gets real directories.
 */
export async function installHostPath(tree: Tree, p: string, origin: string, depth = 0, sysroot?: Sysroot): Promise<void> {
  if (depth > 40) throw new InputError(`${origin}: too many levels of symbolic links at ${p}`);
  const host = hostPathOf(p, sysroot);
  const st = await fs.lstat(host).catch(() => undefined);
  if (!st) throw new InputError(`${origin}: ${host}: no such file ${sysroot ? 'in the sysroot' : 'on the host'}`);
  if (st.isSymbolicLink()) {
    const target = await fs.readlink(host);
    tree.add(p, { type: 'symlink', target }, origin);
    let next = resolveGuestLink(p, target);
    if (!(await fs.lstat(hostPathOf(next, sysroot)).catch(() => undefined))) next = await guestRealpath(p, sysroot);
    await installHostPath(tree, next, origin, depth + 1, sysroot);
    return;
  }
  if (!st.isFile()) throw new InputError(`${origin}: ${host} is not a regular file`);
  tree.add(p, { type: 'file', mode: st.mode & 0o7777, size: st.size, content: { kind: 'host', path: host } }, origin);
}

/** The sha256 and size a guest file must have (follows symlinks and hard links inside the tree). */
export async function expectedFile(tree: Tree, guestFile: string): Promise<{ size: number; sha256: string }> {
  let p = guestFile;
  for (let i = 0; i < 40; i++) {
    const e: TreeEntry | undefined = tree.get(p);
    if (!e) throw new InputError(`${guestFile}: not in the tree`);
    if (e.type === 'symlink') {
      p = resolveGuestLink(p, e.target);
      continue;
    }
    if (e.type === 'hardlink') {
      p = e.target;
      continue;
    }
    if (e.type !== 'file') throw new InputError(`${guestFile}: is a ${e.type}, not a regular file`);
    const h = createHash('sha256');
    for await (const c of contentChunks(e)) h.update(c);
    return { size: e.size, sha256: h.digest('hex') };
  }
  throw new InputError(`${guestFile}: too many levels of symbolic links`);
}

export function manifestDir(m: Manifest): string {
  return path.dirname(m.path);
}
