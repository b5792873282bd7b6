import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTree } from './build.js';
import { defaultLibDirs, guestRealpath, libraryClosure, type Sysroot } from './elf.js';
import { parseManifest } from './manifest.js';
import { parseDependsRecurse, planSysrootDir } from './sysroot.js';

describe('parseDependsRecurse', () => {
  it('takes the unindented package lines once, without virtual packages', () => {
    const text = ['dropbear-bin', '  Depends: libc6', '  Depends: <debconf-2.0>', 'libc6', '  Depends: libgcc-s1', '<debconf-2.0>', 'libgcc-s1', 'libc6', ''].join('\n');
    expect(parseDependsRecurse(text)).toEqual(['dropbear-bin', 'libc6', 'libgcc-s1']);
  });
});

describe('planSysrootDir', () => {
  it('keys by architecture, release and the package set (not its order)', () => {
    const a = planSysrootDir('/c', 'arm64', 'bookworm', ['busybox-static', 'dropbear-bin']);
    expect(a).toMatch(/^\/c\/sysroots\/arm64-bookworm-[0-9a-f]{12}$/);
    expect(planSysrootDir('/c', 'arm64', 'bookworm', ['dropbear-bin', 'busybox-static'])).toBe(a);
    expect(planSysrootDir('/c', 'arm64', 'bookworm', ['busybox-static'])).not.toBe(a);
  });
});

describe('defaultLibDirs', () => {
  it('is glibc\'s list for the triplet; only x86_64 has lib64', () => {
    expect(defaultLibDirs('aarch64-linux-gnu')).toEqual(['/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib', '/usr/lib']);
    expect(defaultLibDirs('x86_64-linux-gnu')).toContain('/lib64');
  });
});

/**
 * A sysroot made of the host's own /usr/bin/true and its libraries, laid out
 * as Debian packages unpack them (with an absolute symlink, as libc6 has on
 * some architectures): the closure must be found there and only there.
 */
describe('a binary and its closure read from a sysroot', () => {
  let root: string;
  let sysroot: Sysroot;
  beforeAll(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'iofs-sysroot-'));
    sysroot = { root, multiarch: 'x86_64-linux-gnu' };
    for (const [src, dst] of [
      ['/usr/bin/true', 'usr/bin/true'],
      ['/lib/x86_64-linux-gnu/libc.so.6', 'lib/x86_64-linux-gnu/libc.so.6'],
      ['/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', 'lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'],
    ] as const) {
      await fs.mkdir(path.join(root, path.dirname(dst)), { recursive: true });
      await fs.copyFile(src, path.join(root, dst));
    }
    await fs.mkdir(path.join(root, 'lib64'));
    await fs.symlink('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', path.join(root, 'lib64/ld-linux-x86-64.so.2'));
  });
  afterAll(() => fs.rm(root, { recursive: true, force: true }));

  it('resolves absolute symlinks inside the sysroot', async () => {
    expect(await guestRealpath('/lib64/ld-linux-x86-64.so.2', sysroot)).toBe('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2');
  });

  it('gives guest paths, found under the sysroot', async () => {
    const c = await libraryClosure('/usr/bin/true', undefined, sysroot);
    expect(c.interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
    expect(c.libraries.map((l) => l.path)).toEqual(['/lib/x86_64-linux-gnu/libc.so.6']);
  });

  it('packs the sysroot\'s files at the guest paths, and names a binary the sysroot lacks', async () => {
    const m = parseManifest(JSON.stringify({ binaries: ['/usr/bin/true'] }), path.join(root, 'manifest.json'));
    const tree = await buildTree(m, { sysroot });
    expect(tree.get('/lib64/ld-linux-x86-64.so.2')).toEqual({ type: 'symlink', target: '/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2' });
    expect(tree.get('/lib/x86_64-linux-gnu/libc.so.6')).toMatchObject({ type: 'file', content: { kind: 'host', path: path.join(root, 'lib/x86_64-linux-gnu/libc.so.6') } });
    const missing = parseManifest(JSON.stringify({ binaries: ['/usr/sbin/dropbear'] }), path.join(root, 'manifest.json'));
    await expect(buildTree(missing, { sysroot })).rejects.toThrow(/no such file in the sysroot .*kernel-patches\/arches\.json/);
  });
});
